"""``hidups serve``'s fleet: several replayed UPSes in one process, each in its own
driver loop; one goes stale (its replay unplugs for good) while the others stay fresh;
names, ups.conf sections, discovery names, reload and the watchdog's health test."""

from __future__ import annotations

import os
import socket
import threading
import time
from pathlib import Path

import pytest
from conftest import PROJECT_CAPTURES
from serve_app_util import CPS, CS500, spec, unplugging_copy, wait_for

from hidups.device import DeviceInfo
from hidups.errors import ConfigError
from hidups.nut.cmdline import parse_command_line, resolve_options
from hidups.nut.upsconf import parse_ups_conf
from hidups.serve.app import (
    ServeConfig,
    WatchdogFeeder,
    discovered_name,
    discovered_specs,
    serve,
    specs_from_upsconf,
)
from hidups.serve.fleet import Fleet, UpsSpec
from hidups.transport.base import DeviceSurvey


def test_one_stale_ups_does_not_stall_the_others(tmp_path: Path) -> None:
    gone = unplugging_copy(tmp_path, CS500, at=2.5)
    fleet = Fleet([spec("rack", CPS, "CyberPower in the rack"), spec("desk", gone)])
    fleet.start()
    try:
        served = fleet.served()
        assert sorted(served) == ["desk", "rack"]
        assert served["rack"].description == "CyberPower in the rack"
        assert served["rack"].dstate is not served["desk"].dstate
        assert wait_for(lambda: not served["rack"].dstate.is_stale
                        and not served["desk"].dstate.is_stale, 10)
        assert served["rack"].dstate.get("ups.mfr") == "CPS"
        assert served["desk"].dstate.get("ups.mfr") == "American Power Conversion"
        assert wait_for(lambda: served["desk"].dstate.is_stale, 10), "the unplug went unseen"
        walks_at_stale = served["rack"].figures().walks
        # the fresh one keeps its 1 s pace while the other looks for its device
        assert wait_for(lambda: served["rack"].figures().walks >= walks_at_stale + 2, 5)
        assert not served["rack"].dstate.is_stale
        assert served["desk"].dstate.is_stale
        rack = served["rack"].figures()
        assert rack.last_good_read is not None
        assert time.monotonic() - rack.last_good_read < 2.5
        assert rack.walk_transfers is not None and rack.walk_transfers > 0
        assert rack.transfers >= rack.walk_transfers
        assert rack.transfer_errors == 0
        desk = served["desk"].figures()
        assert desk.last_good_read is not None
        assert time.monotonic() - desk.last_good_read > 1.0
        assert served["desk"].dstate.get("driver.state") != "quiet"
        assert fleet.healthy()
    finally:
        fleet.stop()
    assert all(not r.thread.is_alive() for r in fleet.runners.values())
    assert not fleet.healthy()  # a stopped loop no longer feeds the watchdog


def test_reload_adds_removes_and_keeps(tmp_path: Path) -> None:
    fleet = Fleet([spec("a", CPS), spec("b", CS500)])
    fleet.start()
    try:
        kept = fleet.runners["a"]
        added, removed = fleet.reload([spec("a", CPS, "now described"), spec("c", CS500)])
        assert (added, removed) == (["c"], ["b"])
        assert fleet.runners["a"] is kept
        assert fleet.served()["a"].description == "now described"
        assert sorted(fleet.served()) == ["a", "c"]
        served = fleet.served()
        assert wait_for(lambda: not served["c"].dstate.is_stale, 10)
    finally:
        fleet.stop()


def test_duplicate_names_are_refused() -> None:
    with pytest.raises(ValueError, match="'a' given twice"):
        Fleet([spec("a", CPS), spec("a", CS500)])


UPS_CONF = """\
pollinterval = 1
[rack]
    driver = hidups
    port = replay:{cps}
    desc = "Rack UPS"
[other]
    driver = usbhid-ups
    port = auto
[desk]
    driver = hidups
    port = replay:{cs500}
"""


def test_specs_from_upsconf_take_hidups_sections(tmp_path: Path) -> None:
    conf = tmp_path / "ups.conf"
    conf.write_text(UPS_CONF.format(cps=CPS, cs500=CS500))
    specs = specs_from_upsconf(str(conf))
    assert [s.name for s in specs] == ["rack", "desk"]
    assert specs[0].description == "Rack UPS"
    assert specs[0].options.values["pollinterval"] == "1"  # the global directive
    assert [s.name for s in specs_from_upsconf(str(conf), only=["desk"])] == ["desk"]
    with pytest.raises(ConfigError, match=r"\[other\] is for driver usbhid-ups"):
        specs_from_upsconf(str(conf), only=["other"])
    with pytest.raises(ConfigError, match=r"section \[nope\] not found"):
        specs_from_upsconf(str(conf), only=["nope"])
    parsed = parse_ups_conf(conf.read_text(), str(conf))
    assert list(parsed.sections) == ["rack", "other", "desk"]


def survey(product: str | None, serial: str | None, vid: int = 0x051D, pid: int = 0x0002,
           port_path: str = "1-2") -> DeviceSurvey:
    return DeviceSurvey(DeviceInfo(vid, pid, "APC", product, serial, bus=1, address=5,
                                   port_path=port_path), looks_like_ups=True)


def test_discovered_names_are_legal_stable_and_distinct() -> None:
    assert discovered_name(survey("Back-UPS CS 500 FW:808.q8.I USB FW:q8", "BB0100012345")) \
        == "back-ups-cs-500-fw-808-q8-i-usb-fw-bb0100012345"
    assert discovered_name(survey(None, None, port_path="3-1.4")) == "ups-051d-0002-3-1-4"
    twins = [survey("Back-UPS ES 700", "X1"), survey("Back-UPS ES 700", "X1"),
             survey("Smart-UPS 750", "AS1", port_path="1-3")]
    specs = discovered_specs(list(reversed(twins)))
    names = [s.name for s in specs]
    assert names == ["back-ups-es-700-x1", "back-ups-es-700-x1-2", "smart-ups-750-as1"]
    assert names == [s.name for s in discovered_specs(twins)]  # order of discovery is moot
    first = specs[0].options.values
    assert (first["vendorid"], first["productid"], first["serial"]) == ("051d", "0002", "X1")
    not_ups = DeviceSurvey(DeviceInfo(0x046D, 0xC077, "Logitech", "Mouse"), looks_like_ups=False)
    assert discovered_specs([not_ups]) == []


class NotifySocket:
    """systemd's end of ``$NOTIFY_SOCKET``: collects the datagrams."""

    def __init__(self, path: Path) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(path))
        self.sock.settimeout(0.1)
        self.path = path
        self.messages: list[str] = []

    def drain(self) -> list[str]:
        while True:
            try:
                self.messages.append(self.sock.recv(4096).decode())
            except TimeoutError:
                return self.messages


def test_watchdog_is_fed_only_while_every_loop_comes_round(tmp_path: Path) -> None:
    systemd = NotifySocket(tmp_path / "notify")
    fleet = Fleet([spec("rack", CPS), spec("desk", CS500)], stuck_grace=0.5)
    env = {"NOTIFY_SOCKET": str(systemd.path), "WATCHDOG_USEC": "400000",
           "WATCHDOG_PID": str(os.getpid())}
    feeder = WatchdogFeeder(fleet, env)
    assert feeder.interval == 0.4
    fleet.start()
    feeder.start()
    try:
        assert wait_for(lambda: systemd.drain().count("WATCHDOG=1") >= 3, 5)
        desk = fleet.runners["desk"]
        with desk.engine.lock:  # desk's next update hangs on its driver's lock
            assert wait_for(lambda: not fleet.healthy(), 5)
            fed = feeder.fed
            time.sleep(1.0)
            assert feeder.fed == fed, "fed while a loop was stuck"
        assert wait_for(lambda: feeder.fed > fed, 5)  # the loop came round again
        assert fleet.healthy()
    finally:
        feeder.stop()
        fleet.stop()
    systemd.sock.close()


def test_serve_notifies_systemd_and_stops(tmp_path: Path) -> None:
    systemd = NotifySocket(tmp_path / "notify")
    stop = threading.Event()
    result: list[int] = []
    saved = {k: os.environ.get(k) for k in ("NOTIFY_SOCKET", "WATCHDOG_USEC")}
    os.environ["NOTIFY_SOCKET"] = str(systemd.path)
    os.environ.pop("WATCHDOG_USEC", None)
    try:
        config = ServeConfig(upsconf=str(tmp_path / "none.conf"))
        thread = threading.Thread(target=lambda: result.append(
            serve(config, None, load=lambda: [spec("rack", CPS)], stop=stop)))
        thread.start()
        assert wait_for(lambda: any(m.startswith("READY=1") for m in systemd.drain()), 10)
        assert "NOTIFY_SOCKET" not in os.environ  # the driver loops cannot feed systemd
        assert "STATUS=serving rack" in "\n".join(systemd.messages)
        stop.set()
        thread.join(20)
        assert result == [0]
        assert "STOPPING=1" in systemd.drain()
        assert os.environ["NOTIFY_SOCKET"] == str(systemd.path)  # given back
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        systemd.sock.close()


def test_serve_with_nothing_to_serve_says_so(tmp_path: Path,
                                             caplog: pytest.LogCaptureFixture) -> None:
    conf = tmp_path / "ups.conf"
    conf.write_text("[other]\n    driver = usbhid-ups\n    port = auto\n")
    assert serve(ServeConfig(upsconf=str(conf)), None) == 1
    assert f"no UPS to serve: no hidups section in {conf}" in caplog.text


def test_status_change_seen_by_a_walk_has_its_latency() -> None:
    """The capture's mains fail at 5 s; polled only, the walk that reads it publishes OB."""
    events = PROJECT_CAPTURES / "apc-back-ups-cs500-events.json"
    args = parse_command_line(["-s", "ev", "-x", f"port=replay:{events}",
                               "-x", "pollinterval=1", "-x", "pollonly"])
    fleet = Fleet([UpsSpec("ev", resolve_options(args, None))])
    fleet.start()
    try:
        ups = fleet.served()["ev"]
        assert wait_for(lambda: "OL" in (ups.dstate.get("ups.status") or ""), 10)
        before = ups.figures()
        assert wait_for(lambda: "OB" in (ups.dstate.get("ups.status") or "").split(), 10)
        after = ups.figures()
        assert after.status_changes > before.status_changes
        assert after.status_latency is not None
        assert 0.0 <= after.status_latency < 1.0  # one walk of a replay: well under 1 s
    finally:
        fleet.stop()
