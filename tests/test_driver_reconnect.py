"""Losing the device never ends the driver: DATASTALE at once, back-off, the same
identity asked for again, DATAOK when it is back; and interrupt events that change
ups.status are committed immediately."""

from __future__ import annotations

import itertools
import re
import threading
import time

import pytest
from driver_fakes import CaptureDevice, HidDriver, MemoryStore, Plug, hid_driver, live
from hidups.subdrivers.apc import SUBDRIVER as APC
from shared_captures import shared_capture

from hidups.driver.settings import Settings
from hidups.errors import ConfigError, GiveUp, TransportTimeout

BK650 = "apc-bk650m2-ch-nutddl.json"


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def started(options: dict[str, str] | None = None
            ) -> tuple[HidDriver, Plug, MemoryStore, Clock]:
    clock = Clock()
    dev = CaptureDevice(shared_capture(BK650), serial="9B1234")
    plug = Plug(dev)
    store = MemoryStore()
    engine = hid_driver(options or {"pollonly": ""}, store, plug, lambda d, o, r: APC,
                    clock=clock, sleep=lambda s: None)
    engine.start()
    engine.update()
    return engine, plug, store, clock


def test_unplug_goes_stale_then_back_to_ok() -> None:
    engine, plug, store, clock = started()
    assert not store.stale
    plug.unplug()
    clock.now += 2
    engine.update()  # the walk fails: stale in this very poll
    assert store.stale and store.events[-1] == "DATASTALE"
    assert store.get("driver.state") == "reconnect.trying"
    for _ in range(3):  # still gone: no exit, stays stale
        clock.now += 60
        engine.update()
    assert store.stale
    plug.plug()
    clock.now += 60
    engine.update()
    assert not store.stale
    assert store.events.index("DATAOK", store.events.index("DATASTALE")) > 0
    assert store.get("driver.reconnect_count") == "1"
    assert store.get("ups.status") == "OL DISCHRG"


def test_fresh_again_log_counts_from_the_loss(caplog: pytest.LogCaptureFixture) -> None:
    """The one line that ends an outage says how long the data was stale: from the
    loss to the reconnect, not the reconnect's own instant."""
    engine, plug, store, clock = started()
    clock.now = 100.0
    plug.unplug()
    engine.update()
    clock.now = 142.5
    engine.update()  # still gone
    plug.plug()
    clock.now = 163.0
    with caplog.at_level("WARNING", logger="hidups.driver.core"):
        engine.update()
    assert not store.stale
    assert "UPS data is fresh again (stale for 63.0 s)" in caplog.text


def test_reconnect_asks_for_the_same_unit() -> None:
    engine, plug, _, clock = started({"pollonly": "", "vendorid": "051d"})
    plug.unplug()
    clock.now += 2
    engine.update()
    clock.now += 2
    engine.update()
    asked = plug.opens[-1]
    assert asked["vendorid"] == "051d" and asked["productid"] == "0002"
    assert asked["serial"] == "9B1234"
    assert re.fullmatch(asked["product"], shared_capture(BK650)["product"])


def attempt_times(engine: HidDriver, plug: Plug, clock: Clock, updates: int) -> list[float]:
    """Clock times at which an update tried to open the device (one update a second)."""
    attempts = []
    for _ in range(updates):
        before = len(plug.opens)
        clock.now += 1
        engine.update()
        if len(plug.opens) > before:
            attempts.append(clock.now)
    return attempts


def test_absent_device_is_looked_for_at_every_update() -> None:
    """Enumerating is cheap: an unplugged UPS is found at the first update after it is
    back, never after a grown back-off (issue 11: NUT 2.8.0 was back in 2 s, we in 9)."""
    engine, plug, store, clock = started()
    plug.unplug()
    clock.now += 2
    engine.update()  # loses the device
    attempts = attempt_times(engine, plug, clock, 100)
    assert {b - a for a, b in itertools.pairwise(attempts)} == {1}
    plug.plug()
    clock.now += 1
    engine.update()
    assert not store.stale


def test_failing_open_of_a_present_device_backs_off() -> None:
    """A device that is there but fails to open (here its descriptor read times out)
    is retried less and less often, up to the cap."""
    engine, plug, _, clock = started()
    plug.unplug()
    clock.now += 2
    engine.update()
    plug.plug()
    plug.device.descriptor_error = TransportTimeout("descriptor read timed out")
    attempts = attempt_times(engine, plug, clock, 200)
    gaps = [b - a for a, b in itertools.pairwise(attempts)]
    assert gaps[0] == 2  # one poll interval first
    assert gaps == sorted(gaps)  # then longer and longer
    assert max(gaps) == 30  # up to the cap


def test_reconnect_max_tries_zero_gives_up() -> None:
    engine, plug, _, clock = started({"pollonly": "", "reconnect_max_tries": "0"})
    plug.unplug()
    clock.now += 2
    with pytest.raises(GiveUp):
        engine.update()
        clock.now += 2
        engine.update()


def test_descriptor_is_read_again_on_reconnect() -> None:
    engine, plug, _, clock = started()
    reads = []
    original = plug.device.report_descriptor

    def counting() -> bytes:
        reads.append(1)
        return original()

    plug.device.report_descriptor = counting  # type: ignore[method-assign]
    plug.unplug()
    clock.now += 2
    engine.update()
    plug.plug()
    clock.now += 60
    engine.update()
    assert reads == [1]


def wait_for(predicate: object, timeout: float = 3.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():  # type: ignore[operator]
            return True
        time.sleep(0.01)
    return False


def status_reports(engine: HidDriver, ac_present: int) -> list[bytes]:
    """Input reports carrying the power bits, built from the descriptor."""
    from hidups import codec
    from hidups.descriptor.model import ReportType

    assert live(engine).desc is not None
    values = {"ACPresent": ac_present, "Discharging": 1 - ac_present, "Charging": 0,
              "BatteryPresent": 1}
    ids = sorted({f.report_id for f in live(engine).desc.fields if f.report_type is ReportType.INPUT
                  and live(engine).usages.name(f.path[-1]) in values})
    reports = []
    for rid in ids:
        buf = bytearray(live(engine).desc.buffer_length(ReportType.INPUT, rid))
        buf[0] = rid
        for f in live(engine).desc.fields_of(ReportType.INPUT, rid):
            codec.write_logical(f, buf, values.get(live(engine).usages.name(f.path[-1]) or "", 0))
        reports.append(bytes(buf))
    return reports


def test_interrupt_changes_status_at_once() -> None:
    clock = Clock()
    dev = CaptureDevice(shared_capture(BK650))
    store = MemoryStore()
    seen: list[str] = []
    engine = hid_driver({}, store, Plug(dev), lambda d, o, r: APC, clock=clock)
    engine.start()
    engine.update()
    assert store.get("ups.status") == "OL DISCHRG"
    original_set = store.set
    lock = threading.Lock()

    def watching_set(name: str, value: str) -> None:
        if name == "ups.status":
            with lock:
                seen.append(value)
        original_set(name, value)

    store.set = watching_set  # type: ignore[method-assign]
    session = live(engine)
    engine.start_events()
    try:
        mains_lost = status_reports(engine, 0)
        for report in mains_lost:
            dev.interrupts.put(report)
        assert wait_for(lambda: store.get("ups.status") == "OB DISCHRG")
        mains_back = status_reports(engine, 1)
        for report in mains_back:
            dev.interrupts.put(report)
        assert wait_for(lambda: store.get("ups.status") == "OL")
    finally:
        engine.close()
    assert session.counters.interrupts == len(mains_lost) + len(mains_back)
    assert seen[-1] == "OL"


def test_interrupt_pipe_loss_goes_stale_without_a_poll() -> None:
    clock = Clock()
    dev = CaptureDevice(shared_capture(BK650))
    plug = Plug(dev)
    store = MemoryStore()
    engine = hid_driver({}, store, plug, lambda d, o, r: APC, clock=clock)
    engine.start()
    engine.update()
    engine.start_events()
    try:
        plug.unplug()
        assert wait_for(lambda: store.stale)
        assert engine.wake.is_set()  # the main loop is woken to reconnect
    finally:
        engine.close()


def test_interruptonly_never_polls() -> None:
    """NUT's interruptonly: rows bind Input fields, values come only from interrupts."""
    clock = Clock()
    dev = CaptureDevice(shared_capture(BK650))
    store = MemoryStore()
    engine = hid_driver({"interruptonly": ""}, store, Plug(dev), lambda d, o, r: APC, clock=clock)
    engine.start()
    engine.update()
    assert sum(dev.gets.values()) == 0
    assert not store.stale  # silence is not a lost device here
    for report in status_reports(engine, 0):
        engine.handle_event(report)
    assert store.get("ups.status") == "OB DISCHRG"
    clock.now += 2
    engine.update()
    assert store.get("ups.status") == "OB DISCHRG"
    assert sum(dev.gets.values()) == 0


def test_replugged_unit_with_another_descriptor_is_bound_again() -> None:
    engine, plug, store, clock = started()
    assert store.get("battery.runtime.low") == shared_capture(BK650)["upsc"]["battery.runtime.low"]
    other = CaptureDevice(shared_capture("apc-back-ups-es-850g2-nut1304.json"), serial="9B1234")
    plug.unplug()
    clock.now += 2
    engine.update()
    plug.device = other
    plug.plug()
    clock.now += 60
    engine.update()
    assert not store.stale
    # the ES 850G2's own values now, read through the new descriptor's bindings
    assert store.get("battery.runtime.low") == "120"
    assert store.get("ups.delay.shutdown") is not None
    assert set(other.gets.values()) <= {1, 2}


def test_interrupt_pipe_silence_tolerance_forces_a_reconnect() -> None:
    """Tolerance 1: the second loop in a row without an interrupt report reopens."""
    engine, plug, store, clock = started({"interrupt_pipe_no_events_tolerance": "1"})
    opens = len(plug.opens)  # the start-up update was silent loop 1
    clock.now += 2
    engine.update()  # silent loop 2: reopened in this very update, never stale
    assert len(plug.opens) == opens + 1
    assert "DATASTALE" not in store.events
    engine.handle_event(status_reports(engine, 1)[0])
    for _ in range(2):
        clock.now += 2
        engine.update()  # the interrupt reset the count: loops 0 and 1
    assert len(plug.opens) == opens + 1
    clock.now += 2
    engine.update()
    assert len(plug.opens) == opens + 2


def test_serialless_unit_is_looked_for_on_its_port_first() -> None:
    from dataclasses import replace

    clock = Clock()
    dev = CaptureDevice(shared_capture(BK650), serial="")
    dev.info = replace(dev.info, port_path="1-4.2")
    plug = Plug(dev)
    engine = hid_driver({"pollonly": ""}, MemoryStore(), plug, lambda d, o, r: APC,
                    clock=clock, sleep=lambda s: None)
    engine.start()
    plug.unplug()
    clock.now += 2
    engine.update()
    clock.now += 2
    engine.update()  # both candidates fail while unplugged
    assert plug.opens[-2].get("port_path") == "1\\-4\\.2"
    assert "port_path" not in plug.opens[-1]


@pytest.mark.parametrize("value", ["9223372037", "inf", "nan", "0", "-2", "2s"])
def test_a_pollinterval_that_cannot_be_slept_is_refused_by_name(value: str) -> None:
    """Issue 11: ``pollinterval=9223372037`` killed the daemon with OverflowError (at
    start or at a SIGHUP reload); now it is a ConfigError naming the option and value,
    and a reload with it changes nothing."""
    with pytest.raises(ConfigError, match=f"pollinterval={value!r}"):
        Settings.from_options({"pollinterval": value})
    engine, _, _, _ = started()
    with pytest.raises(ConfigError, match="pollinterval"):
        engine.reload({"pollonly": "", "pollinterval": value})
    assert engine.settings.pollinterval == 2.0
    assert engine.user_options.get("pollinterval") is None
