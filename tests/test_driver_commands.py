"""Instant commands and writes on real captures: composed shutdown order and spacing,
decimal values, range refusal before sending, read-back, NUT's status codes."""

from __future__ import annotations

from driver_fakes import CaptureDevice, HidDriver, MemoryStore, Plug, hid_driver, live
from hidups.subdrivers.apc import SUBDRIVER as APC
from hidups.subdrivers.cps import SUBDRIVER as CPS
from shared_captures import shared_capture

from hidups import codec
from hidups.driver.commands import (
    COMPOSE_PAUSE,
    CONVERSION_FAILED,
    HANDLED,
    INVALID,
    UNKNOWN,
)
from hidups.hid2nut.subdriver import Subdriver

BK650 = "apc-bk650m2-ch-nutddl.json"
CP1500 = "cyberpower-cp1500pfclcd-nut2642.json"


class Timeline:
    """Records SET_REPORTs and sleeps in one sequence."""

    def __init__(self) -> None:
        self.events: list[tuple[str, object]] = []

    def sleep(self, seconds: float) -> None:
        self.events.append(("sleep", seconds))


def started(capture: str, sub: Subdriver, options: dict[str, str] | None = None
            ) -> tuple[HidDriver, CaptureDevice, MemoryStore, Timeline]:
    timeline = Timeline()
    dev = CaptureDevice(shared_capture(capture))
    original = dev.set_report

    def recording_set(report_type: object, report_id: int, data: bytes) -> None:
        timeline.events.append(("set", report_id))
        original(report_type, report_id, data)  # type: ignore[arg-type]

    dev.set_report = recording_set  # type: ignore[method-assign]
    store = MemoryStore()
    engine = hid_driver(options or {}, store, Plug(dev), lambda d, o, r: sub, sleep=timeline.sleep)
    engine.start()
    engine.update()
    return engine, dev, store, timeline


def written_logical(engine: HidDriver, dev: CaptureDevice, name: str) -> int:
    binding = live(engine).find_row(name)
    assert binding is not None
    _report_id, data = [s for s in dev.sets if s[0] == binding.field.report_id][-1]
    return codec.read_logical(binding.field, data)


def test_shutdown_return_arms_start_timer_first_then_waits_125ms() -> None:
    engine, dev, store, timeline = started(CP1500, CPS)
    on = live(engine).find_row("load.on.delay")
    off = live(engine).find_row("load.off.delay")
    assert on is not None and off is not None
    assert engine.commands.instcmd("shutdown.return", None) == HANDLED
    assert timeline.events == [("set", on.field.report_id), ("sleep", COMPOSE_PAUSE),
                               ("set", off.field.report_id)]
    assert COMPOSE_PAUSE == 0.125
    # the timers get ups.delay.start / ups.delay.shutdown (CPS defaults 120 / 60 s)
    assert store.get("ups.delay.start") == "120"
    assert store.get("ups.delay.shutdown") == "60"
    assert codec.to_physical(on.field, written_logical(engine, dev, "load.on.delay")) == 120
    assert codec.to_physical(off.field, written_logical(engine, dev, "load.off.delay")) == 60


def test_shutdown_stayoff_writes_minus_one_to_start_timer() -> None:
    engine, dev, _, timeline = started(CP1500, CPS)
    assert engine.commands.instcmd("shutdown.stayoff", None) == HANDLED
    on = live(engine).find_row("load.on.delay")
    assert on is not None
    assert timeline.events[0] == ("set", on.field.report_id)
    # NUT's arithmetic on CPS's range (-60..1966020 over -1..32767): the product
    # (-1 + 60) * 32768 / 1966080 = 0.983 is truncated to 0 *before* LogMin is added,
    # so logical -1 ("no countdown"; NUT 2.8.5 writes 16 ff ff on upsemu); rounding
    # would give 0, a start timer of 0 s
    assert written_logical(engine, dev, "load.on.delay") == -1


def test_load_off_is_load_off_delay_zero() -> None:
    engine, dev, _, _ = started(CP1500, CPS)
    assert engine.commands.instcmd("load.off", None) == HANDLED
    off = live(engine).find_row("load.off.delay")
    assert off is not None
    assert codec.to_physical(off.field, written_logical(engine, dev, "load.off.delay")) == 0


def test_decimal_write_is_not_truncated() -> None:
    engine, dev, store, _ = started(BK650, APC)
    assert engine.commands.setvar("battery.charge.low", "15.6") == HANDLED
    assert written_logical(engine, dev, "battery.charge.low") == 16  # NUT's atol: 15
    assert store.get("battery.charge.low") == "16"  # read back from the device


def test_out_of_range_write_is_refused_before_sending() -> None:
    engine, dev, store, _ = started(BK650, APC)
    before = store.get("input.transfer.low")
    assert engine.commands.setvar("input.transfer.low", "150") == INVALID  # 160..196
    assert engine.commands.setvar("input.transfer.low", "197") == INVALID
    assert dev.sets == []
    assert store.get("input.transfer.low") == before


def test_write_is_read_back_and_published_at_once() -> None:
    engine, dev, store, _ = started(BK650, APC)
    assert engine.commands.setvar("input.transfer.low", "170") == HANDLED
    assert len(dev.sets) == 1
    assert store.get("input.transfer.low") == "170"
    assert engine.data_changed  # next update re-reads SEMI_STATIC rows


def test_status_codes_as_nut() -> None:
    engine, dev, store, _ = started(BK650, APC)
    cmds = engine.commands
    assert cmds.setvar("no.such.var", "1") == UNKNOWN
    assert cmds.setvar("battery.charge", "50") == UNKNOWN  # not RW
    assert cmds.setvar("input.sensitivity", "bogus") == CONVERSION_FAILED
    assert cmds.setvar("input.transfer.low", "abc") == CONVERSION_FAILED
    assert cmds.instcmd("no.such.cmd", None) == INVALID
    assert cmds.instcmd("battery.charge", None) == INVALID  # a variable, not a command
    assert dev.sets == []
    # server-side variable: stored only
    assert cmds.setvar("ups.delay.shutdown", "90") == HANDLED
    assert store.get("ups.delay.shutdown") == "90" and dev.sets == []


def test_enum_write_goes_through_the_lookup() -> None:
    engine, _dev, store, _ = started(BK650, APC)
    assert engine.commands.setvar("input.sensitivity", "high") == HANDLED
    assert store.get("input.sensitivity") == "high"


def test_beeper_on_off_rows_run_their_own_value() -> None:
    engine, dev, _, _ = started(BK650, APC)
    assert engine.commands.instcmd("beeper.off", None) == HANDLED
    assert written_logical(engine, dev, "beeper.off") == 3  # the row's own value (mute)


def test_default_shutdown_order_without_start_timer() -> None:
    """BK650M2 has no DelayBeforeStartup: shutdown.return cannot work, shutdown.reboot
    (next in NUT's order) does."""
    engine, dev, _, _ = started(BK650, APC)
    assert engine.commands.shutdown()
    reboot = live(engine).find_row("shutdown.reboot")
    assert reboot is not None
    assert [s[0] for s in dev.sets] == [reboot.field.report_id]


def test_sdcommands_replace_the_default_list() -> None:
    engine, dev, _, _ = started(BK650, APC, {"sdcommands": "load.off.delay"})
    assert engine.commands.instcmd("shutdown.default", None) == HANDLED
    off = live(engine).find_row("load.off.delay")
    assert off is not None and [s[0] for s in dev.sets] == [off.field.report_id]
    assert written_logical(engine, dev, "load.off.delay") == 20  # the row's default


def test_failed_shutdown_reports_failure() -> None:
    engine, dev, _, _ = started(BK650, APC, {"sdcommands": "shutdown.return"})
    assert not engine.commands.shutdown()
    assert dev.sets == []


def test_a_composed_command_with_a_bad_part_writes_nothing() -> None:
    """Issue 11: after ``SET ups.delay.shutdown -100`` (a driver-side variable, accepted
    as NUT accepts it), ``shutdown.return`` used to answer INVALID having already armed
    ``load.on.delay`` (SET_REPORT 0x16). Every part is checked before the first write."""
    engine, dev, store, timeline = started(CP1500, CPS)
    assert engine.commands.setvar("ups.delay.shutdown", "-100") == HANDLED
    assert store.get("ups.delay.shutdown") == "-100"
    assert engine.commands.instcmd("shutdown.return", None) == INVALID
    assert dev.sets == []
    assert timeline.events == []
    # the same command with a good delay goes through, both timers in order
    assert engine.commands.setvar("ups.delay.shutdown", "20") == HANDLED
    assert engine.commands.instcmd("shutdown.return", None) == HANDLED
    assert [e for e in timeline.events if e[0] == "set"] == [("set", r) for r, _ in dev.sets]
    assert len(dev.sets) == 2
