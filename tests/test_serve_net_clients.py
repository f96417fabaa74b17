"""NUT 2.8.5's own clients (upsc, upsrw, upscmd) against our network server.

The server serves a data tree filled from a real capture's ``upsc`` (the APC BK650M2-CH
of nutddl): upsc must print it back unchanged; upsrw and upscmd must work with a user
who has the right, and be refused (nothing reaching the driver) without it, with a
wrong password, on an unknown UPS, and while the data is stale.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import require_nut285, require_shared
from serve_net_util import USERS_TEXT, Recorder
from shared_captures import shared_capture

from hidups.nut.dstate import DState
from hidups.serve.model import ServedUps
from hidups.serve.netserver import NetServer
from hidups.serve.users import Users

pytestmark = pytest.mark.nut


CAPTURE = "apc-bk650m2-ch-nutddl.json"
COMMANDS = ("beeper.disable", "beeper.enable", "load.off", "shutdown.return",
            "test.battery.start.quick")


def capture_dstate(upsc: dict[str, str]) -> DState:
    dstate = DState()
    for name, value in upsc.items():
        dstate.set(name, value)
    for name in ("ups.delay.shutdown", "battery.charge.low", "battery.runtime.low"):
        dstate.set_flags(name, "RW", "STRING")
        dstate.set_aux(name, 10)
    dstate.set_flags("input.sensitivity", "RW")
    for value in ("low", "medium", "high"):
        dstate.add_enum("input.sensitivity", value)
    for cmd in COMMANDS:
        dstate.add_cmd(cmd)
    dstate.data_ok()
    return dstate


@pytest.fixture
def served() -> Iterator[dict[str, Any]]:
    require_nut285()
    require_shared()
    upsc = shared_capture(CAPTURE)["upsc"]
    assert upsc, f"{CAPTURE} has no upsc output"
    dstate = capture_dstate(upsc)
    recorder = Recorder()
    ups = ServedUps("bk650", "APC BK650M2-CH in the rack", dstate, recorder)
    with NetServer({"bk650": ups}, Users.from_text(USERS_TEXT), [("127.0.0.1", 0)]) as server:
        host, port = server.addresses[0]
        yield {"upsc": upsc, "dstate": dstate, "recorder": recorder, "server": server,
               "host": f"{host}:{port}", "ups": f"bk650@{host}:{port}"}


def nut(*argv: str) -> subprocess.CompletedProcess[str]:
    from nut_util import nut_program

    return subprocess.run([nut_program(argv[0]), *argv[1:]], capture_output=True, text=True,
                          timeout=20, stdin=subprocess.DEVNULL)


def refused(result: subprocess.CompletedProcess[str], code: str) -> bool:
    """The client failed and showed upsd's ``ERR <code>``."""
    return result.returncode != 0 and f"ERR {code}" in result.stderr


def test_upsc_prints_the_capture_back(served: dict[str, Any]) -> None:
    result = nut("upsc", served["ups"])
    assert result.returncode == 0, result.stderr
    expected = [f"{name}: {value}" for name, value in
                sorted(served["upsc"].items(), key=lambda kv: kv[0].lower())]
    assert result.stdout.splitlines() == expected
    one = nut("upsc", served["ups"], "device.mfr")
    assert one.stdout == "American Power Conversion\n"
    status = nut("upsc", served["ups"], "ups.status")
    assert status.stdout == "OL DISCHRG\n"


def test_upsc_lists_upses_and_refuses_unknown(served: dict[str, Any]) -> None:
    assert nut("upsc", "-l", served["host"]).stdout == "bk650\n"
    assert nut("upsc", "-L", served["host"]).stdout == "bk650: APC BK650M2-CH in the rack\n"
    unknown = nut("upsc", f"nope@{served['host']}")
    assert unknown.returncode != 0
    assert "Unknown UPS" in unknown.stderr
    missing = nut("upsc", served["ups"], "no.such.var")
    assert missing.returncode != 0
    assert "Variable not supported by UPS" in missing.stderr


def test_upsrw_sets_with_the_right_and_is_refused_without(served: dict[str, Any]) -> None:
    listing = nut("upsrw", served["ups"])
    assert "[ups.delay.shutdown]" in listing.stdout
    assert "Option: \"low\" SELECTED" in listing.stdout
    ok = nut("upsrw", "-u", "admin", "-p", "adminpass", "-w", "-s", "ups.delay.shutdown=30",
             served["ups"])
    assert ok.returncode == 0 and "SUCCESS" in ok.stdout + ok.stderr, ok
    assert served["recorder"].calls == [("SET", "ups.delay.shutdown", "30")]
    for user, password in (("monuser", "monpass"), ("admin", "wrong"), ("ghost", "x")):
        answer = nut("upsrw", "-u", user, "-p", password, "-s", "ups.delay.shutdown=40",
                     served["ups"])
        assert refused(answer, "ACCESS-DENIED"), answer
    bad = nut("upsrw", "-u", "admin", "-p", "adminpass", "-s", "input.sensitivity=extreme",
              served["ups"])
    assert refused(bad, "INVALID-VALUE"), bad
    readonly = nut("upsrw", "-u", "admin", "-p", "adminpass", "-s", "battery.charge=5",
                   served["ups"])
    assert refused(readonly, "READONLY"), readonly
    long = nut("upsrw", "-u", "admin", "-p", "adminpass", "-s", "ups.delay.shutdown=12345678901",
               served["ups"])
    assert refused(long, "TOO-LONG"), long
    assert served["recorder"].calls == [("SET", "ups.delay.shutdown", "30")]


def test_upscmd_runs_with_the_right_and_is_refused_without(served: dict[str, Any]) -> None:
    listing = nut("upscmd", "-l", served["ups"])
    assert "test.battery.start.quick - Start a quick battery test" in listing.stdout
    ok = nut("upscmd", "-u", "operator", "-p", "oppass", "-w", served["ups"],
             "test.battery.start.quick")
    assert ok.returncode == 0 and "SUCCESS" in ok.stdout + ok.stderr, ok
    assert served["recorder"].calls == [("INSTCMD", "test.battery.start.quick", None)]
    for user, password, cmd in (("operator", "oppass", "load.off"),  # not its command
                                ("monuser", "monpass", "load.off"),
                                ("admin", "nope", "load.off")):
        answer = nut("upscmd", "-u", user, "-p", password, served["ups"], cmd)
        assert refused(answer, "ACCESS-DENIED"), answer
    unknown = nut("upscmd", "-u", "admin", "-p", "adminpass", served["ups"], "no.such.cmd")
    assert refused(unknown, "CMD-NOT-SUPPORTED"), unknown
    assert served["recorder"].calls == [("INSTCMD", "test.battery.start.quick", None)]


def test_driver_failure_reaches_the_tracking_client(served: dict[str, Any]) -> None:
    served["recorder"].status = 3
    failed = nut("upscmd", "-u", "admin", "-p", "adminpass", "-w", served["ups"], "load.off")
    # upscmd -w prints the tracked result; it exits 0 all the same (NUT's behaviour)
    assert "ERR FAILED" in failed.stderr, failed
    assert served["recorder"].calls == [("INSTCMD", "load.off", None)]


def test_stale_data_is_refused_like_upsd(served: dict[str, Any]) -> None:
    served["dstate"].data_stale()
    stale = nut("upsc", served["ups"])
    assert stale.returncode != 0 and "Data stale" in stale.stderr, stale
    assert nut("upsc", "-l", served["host"]).stdout == "bk650\n"  # LIST UPS still answers
    cmd = nut("upscmd", "-u", "admin", "-p", "adminpass", served["ups"], "load.off")
    assert refused(cmd, "DATA-STALE"), cmd
    rw = nut("upsrw", "-u", "admin", "-p", "adminpass", "-s", "ups.delay.shutdown=1",
             served["ups"])
    assert refused(rw, "DATA-STALE"), rw
    assert served["recorder"].calls == []
    served["dstate"].data_ok()
    assert nut("upsc", served["ups"], "ups.load").stdout == "5\n"
