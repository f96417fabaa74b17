"""The replay backend: a capture served as the device, with scripted changes over time."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import PROJECT_CAPTURES, SHARED_CAPTURES, require_shared

from hidups.capture import Event, EventAction, load_capture
from hidups.descriptor.model import ReportType
from hidups.errors import DeviceNotFound, Disconnected, ProtocolError
from hidups.transport import get_backend, open_transport
from hidups.transport.replay import (
    ManualClock,
    ReplayDevice,
    ReplayTransport,
    forget_replay_devices,
    register_replay_device,
)

SCRIPTED = PROJECT_CAPTURES / "apc-back-ups-cs500-events.json"
F = ReportType.FEATURE


@pytest.fixture(autouse=True)
def _fresh_timelines() -> Iterator[None]:
    forget_replay_devices()
    yield
    forget_replay_devices()


def _scripted(clock: ManualClock) -> ReplayTransport:
    device = ReplayDevice(load_capture(SCRIPTED), clock=clock, name=str(SCRIPTED))
    register_replay_device(SCRIPTED, device)
    transport = open_transport({"port": f"replay:{SCRIPTED}"})
    assert isinstance(transport, ReplayTransport)
    return transport


def test_replay_is_selected_like_a_port_and_serves_the_capture() -> None:
    capture = load_capture(PROJECT_CAPTURES / "apc-back-ups-cs500.json")
    with open_transport({"port": f"replay:{PROJECT_CAPTURES / 'apc-back-ups-cs500.json'}",
                         "vendorid": "051d", "productid": "0002"}) as t:
        assert get_backend("replay") is type(t)
        assert t.info.vidpid == "051d:0002"
        assert t.report_descriptor() == capture.descriptor
        for record in capture.reports:
            assert t.get_report(F, record.report_id, len(record.data)) == record.data
        assert t.get_string(capture.usb.iproduct) == capture.device.product
        assert t.get_string(4) == "PbAc"
        assert t.get_string(77) is None


def test_replay_answers_like_a_device() -> None:
    with open_transport({"port": f"replay:{PROJECT_CAPTURES / 'apc-back-ups-cs500.json'}"}) as t:
        assert t.get_report(F, 0x0C, 3) == bytes.fromhex("0c6400")  # truncated to wLength
        with pytest.raises(ProtocolError):
            t.get_report(F, 0xEE, 2)  # not in the capture: stall
        with pytest.raises(ProtocolError):
            t.set_report(F, 0xEE, b"\xee\x01")  # not in the descriptor: stall
        t.set_report(F, 0x0F, bytes.fromhex("0f28 0000"))
        assert t.get_report(F, 0x0F, 4) == bytes.fromhex("0f280000")


def test_matching_options_apply_to_the_replayed_device() -> None:
    with pytest.raises(DeviceNotFound, match="vendorid"):
        open_transport({"port": f"replay:{PROJECT_CAPTURES / 'apc-back-ups-cs500.json'}",
                        "vendorid": "0764"})
    with pytest.raises(DeviceNotFound, match="does not exist"):
        open_transport({"port": "replay:/nonexistent/capture.json"})


def test_mains_lost_then_back_then_unplugged() -> None:
    clock = ManualClock(1000.0)
    t = _scripted(clock)
    assert t.get_report(F, 0x13, 2) == b"\x13\x01"  # ACPresent
    assert t.read_interrupt(0.75) is None
    clock.advance(4.5)  # t = 5.25: mains lost at 5 s
    assert t.read_interrupt(0.75) == b"\x13\x00"
    assert t.read_interrupt(0.75) == b"\x06\x00\x01\x08"
    assert t.get_report(F, 0x13, 2) == b"\x13\x00"
    assert t.get_report(F, 0x06, 4) == b"\x06\x00\x01\x08"
    clock.advance(15)  # t = 20.25: back on mains
    assert t.get_report(F, 0x13, 2) == b"\x13\x01"
    clock.advance(10)  # t = 30.25: unplugged
    with pytest.raises(Disconnected):
        t.get_report(F, 0x13, 2)
    with pytest.raises(Disconnected):
        t.read_interrupt(0.75)
    t.close()
    with pytest.raises(DeviceNotFound):
        open_transport({"port": f"replay:{SCRIPTED}"})  # a reconnect attempt fails ...
    clock.advance(5)  # t = 35.25: plugged back
    with open_transport({"port": f"replay:{SCRIPTED}"}) as again:  # ... then succeeds
        assert again.get_report(F, 0x13, 2) == b"\x13\x01"
        assert again.get_report(F, 0x0C, 6) == bytes.fromhex("0c5a0000b004")  # state kept


def test_interrupt_waits_for_a_due_report_within_the_timeout() -> None:
    clock = ManualClock()
    t = _scripted(clock)
    clock.advance(4.6)
    assert t.read_interrupt(0.75) == b"\x13\x00"  # due at 5.0, inside the 0.75 s wait
    assert clock.t == pytest.approx(5.0)


def test_unplug_during_an_interrupt_wait_raises() -> None:
    clock = ManualClock()
    t = _scripted(clock)
    clock.advance(29.5)
    drained = 0
    while t.read_interrupt(0.0) is not None:  # what came at 5, 15 and 20 s
        drained += 1
    assert drained == 5
    with pytest.raises(Disconnected):
        t.read_interrupt(0.75)


def test_zero_fill_policy_answers_declared_reports(tmp_path: Path) -> None:
    require_shared()
    capture = load_capture(SHARED_CAPTURES / "eaton-3s-700-nut2887.json")
    strict = ReplayDevice(capture, clock=ManualClock())
    zeros = ReplayDevice(capture, clock=ManualClock(), fill="zeros")
    declared = {r.report_id for r in capture.reports}
    missing = next(rid for rid in range(1, 256)
                   if rid not in declared and (F, rid) in zeros._lengths)
    with pytest.raises(ProtocolError):
        strict.get_report(F, missing, 64)
    answer = zeros.get_report(F, missing, 512)
    assert answer[0] == missing and set(answer[1:]) == {0}
    assert len(answer) == zeros._lengths[(F, missing)] + 1


def test_events_are_applied_in_time_order() -> None:
    capture = load_capture(PROJECT_CAPTURES / "apc-back-ups-cs500.json")
    capture.events = [Event(2.0, EventAction.REPORT, F, 0x13, b"\x13\x00"),
                      Event(1.0, EventAction.REPORT, F, 0x13, b"\x13\x01"),
                      Event(3.0, EventAction.INTERRUPT, data=b"\x14\x01\x00")]
    clock = ManualClock()
    t = ReplayTransport(ReplayDevice(capture, clock=clock))
    t.open()
    clock.advance(2.5)
    assert t.get_report(F, 0x13, 2) == b"\x13\x00"
    assert t.read_interrupt(1.0) == b"\x14\x01\x00"


def test_polling_is_not_blocked_by_a_waiting_interrupt_reader() -> None:
    import threading
    import time

    t = ReplayTransport(ReplayDevice(load_capture(PROJECT_CAPTURES / "apc-back-ups-cs500.json")))
    t.open()
    reader = threading.Thread(target=t.read_interrupt, args=(0.6,))
    reader.start()
    time.sleep(0.05)
    start = time.monotonic()
    assert t.get_report(F, 0x13, 2) == b"\x13\x01"
    assert time.monotonic() - start < 0.3
    reader.join()
