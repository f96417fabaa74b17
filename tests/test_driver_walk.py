"""Walks on real captures: one transfer per report per walk, QUICK vs FULL, STATIC once,
row de-duplication, and the values NUT printed for the same device (capture's upsc)."""

from __future__ import annotations

import pytest
from driver_fakes import CaptureDevice, HidDriver, MemoryStore, Plug, hid_driver, live
from hidups.subdrivers.apc import SUBDRIVER as APC
from hidups.subdrivers.mge import SUBDRIVER as MGE
from shared_captures import shared_capture

from hidups.descriptor import paths
from hidups.descriptor.model import ReportDescriptor, ReportType
from hidups.driver.protocol import WalkMode
from hidups.hid2nut.subdriver import Subdriver
from hidups.hid2nut.table import Flag
from hidups.usages import STANDARD

CS500 = "apc-back-ups-cs500-nutddl.json"
BK650 = "apc-bk650m2-ch-nutddl.json"
CS500_STRINGS = {1: "Back-UPS 500 FW: 6.5.I USB FW: c1", 2: "REDACTED", 4: "PbAc"}


def make_engine(capture: str, sub: Subdriver = APC, options: dict[str, str] | None = None,
                strings: dict[int, str] | None = None,
                **kw: object) -> tuple[HidDriver, CaptureDevice, MemoryStore]:
    dev = CaptureDevice(shared_capture(capture), strings=strings)
    store = MemoryStore()
    engine = hid_driver(options or {}, store, Plug(dev), lambda d, o, r: sub, **kw)  # type: ignore[arg-type]
    return engine, dev, store


def resolved_reports(capture: str, sub: Subdriver, want: Flag | None) -> set[int]:
    """Report ids of the Feature fields the subdriver's rows name (independent of the
    engine: straight from the parser's path look-up)."""
    desc = ReportDescriptor.from_bytes(bytes.fromhex(shared_capture(capture)["descriptor_hex"]))
    usages = sub.usages.chained(STANDARD)
    ids = set()
    for row in sub.hid2nut:
        if row.path is None or row.flags & Flag.ABSENT:
            continue
        if want is not None and not row.flags & want:
            continue
        fld = paths.find_field(desc, paths.parse_path(row.path, usages), ReportType.FEATURE)
        if fld is not None:
            ids.add(fld.report_id)
    return ids


def test_init_reads_every_report_once() -> None:
    engine, dev, _ = make_engine(CS500)
    engine.start()
    assert set(dev.gets.values()) == {1}
    assert set(dev.gets) == resolved_reports(CS500, APC, None)


@pytest.mark.parametrize("capture", [CS500, BK650])
def test_quick_walk_reads_only_quick_reports_once(capture: str) -> None:
    engine, dev, _ = make_engine(capture)
    engine.start()
    dev.gets.clear()
    engine.update()  # first update after INIT is a QUICK one, as in NUT
    assert live(engine).counters.walks["quick"] == 1
    assert set(dev.gets.values()) == {1}
    quick = {b.field.report_id for b in live(engine).active if b.row.flags & Flag.QUICK}
    assert set(dev.gets) == quick
    assert quick <= resolved_reports(capture, APC, Flag.QUICK)
    # battery.charge (RemainingCapacity) is not a QUICK row in APC's table
    charge = live(engine).find_row("battery.charge")
    assert charge is not None and charge.field.report_id not in dev.gets


def test_full_walk_skips_static_and_semi_static_with_interrupts() -> None:
    clock = [0.0]
    engine, dev, _ = make_engine(BK650, clock=lambda: clock[0])
    engine.start()
    dev.gets.clear()
    clock[0] = 31.0  # past pollfreq (30 s): FULL
    engine.update()
    assert live(engine).counters.walks["full"] == 1
    assert set(dev.gets.values()) == {1}
    semi = [b for b in live(engine).active if b.row.flags & Flag.SEMI_STATIC]
    assert semi, "APC's table has SEMI_STATIC rows on this device"
    full_reports = {b.field.report_id for b in live(engine).active
                    if not b.row.flags & (Flag.ABSENT | Flag.CMD | Flag.SEMI_STATIC
                                          | Flag.STATIC)}
    assert set(dev.gets) == full_reports
    # after a write, the next FULL walk includes SEMI_STATIC rows again
    engine.data_changed = True
    dev.gets.clear()
    clock[0] = 33.0
    engine.update()
    assert {b.field.report_id for b in semi} <= set(dev.gets)
    assert set(dev.gets.values()) == {1}


def test_pollonly_full_walk_rereads_semi_static() -> None:
    clock = [0.0]
    engine, dev, _ = make_engine(BK650, options={"pollonly": ""}, clock=lambda: clock[0])
    engine.start()
    dev.gets.clear()
    clock[0] = 31.0
    engine.update()
    semi = {b.field.report_id for b in live(engine).active if b.row.flags & Flag.SEMI_STATIC}
    assert semi <= set(dev.gets)


def test_values_match_nut_for_the_same_reports() -> None:
    """The CS 500 capture's upsc (NUT 2.8.0 on the same device, same report bytes)."""
    engine, _, store = make_engine(CS500, strings=CS500_STRINGS)
    engine.start()
    engine.update()
    nut = shared_capture(CS500)["upsc"]
    for name, value in nut.items():
        if name.startswith(("driver.", "device.")) or name == "ups.firmware.aux":
            continue  # the capture's product string lost the trailing space NUT shows
        assert store.get(name) == value, name
    assert store.get("driver.version.data") == "APC HID 0.101"


def test_status_of_bk650_matches_nut() -> None:
    engine, _, store = make_engine(BK650)
    engine.start()
    engine.update()
    nut = shared_capture(BK650)["upsc"]
    assert store.get("ups.status") == nut["ups.status"] == "OL DISCHRG"
    for name in ("battery.charge", "battery.runtime", "input.voltage", "ups.test.result",
                 "input.transfer.high", "battery.charge.low"):
        assert store.get(name) == nut[name], name


def test_first_row_with_a_value_wins() -> None:
    engine, _, _store = make_engine(BK650)
    engine.start()
    runtime = [b for b in live(engine).active if b.row.name == "battery.runtime"]
    assert len(runtime) == 1
    session = live(engine)
    first = next(r for r in APC.hid2nut if r.name == "battery.runtime"
                 and r.path is not None
                 and paths.find_field(session.desc,
                                      paths.parse_path(r.path, session.usages),  # type: ignore[arg-type]
                                      ReportType.FEATURE) is not None)
    assert runtime[0].row is first


def test_default_no_longer_blocks_device_value() -> None:
    engine, _, store = make_engine(
        BK650, defaults={"battery.charge": "42", "ups.location": "rack 3"})
    engine.start()
    assert store.get("battery.charge") == shared_capture(BK650)["upsc"]["battery.charge"]
    assert store.get("ups.location") == "rack 3"  # the device has nothing for it


def test_override_wins_over_the_device() -> None:
    engine, _, store = make_engine(BK650, overrides={"battery.charge": "42"})
    engine.start()
    engine.update()
    assert store.get("battery.charge") == "42"
    assert live(engine).find_row("battery.charge") is None


def test_absent_rows_and_commands() -> None:
    engine, _, store = make_engine(BK650, options={"offdelay": "45", "lowbatt": "15.7"})
    engine.start()
    # this unit has DelayBeforeShutdown but no DelayBeforeStartup (NUT's upsc agrees)
    assert store.get("ups.delay.start") is None
    assert store.get("ups.delay.shutdown") == "45"  # offdelay replaces the row default
    assert store.flags["ups.delay.shutdown"] == ("RW", "STRING")
    assert store.aux["ups.delay.shutdown"] == 10
    assert store.get("battery.charge.low") == "15"  # strtol, as NUT
    for cmd in ("load.off", "shutdown.default", "load.off.delay"):
        assert store.has_cmd(cmd), cmd
    for cmd in ("load.on", "shutdown.return", "shutdown.stayoff", "load.on.delay"):
        assert not store.has_cmd(cmd), cmd


def test_mge_table_on_eaton_capture_runs() -> None:
    """A second vendor: every report once, the status from its BOOL rows."""
    engine, dev, store = make_engine("eaton-santak-tg-box-850-ludoux.json", MGE)
    engine.start()
    assert set(dev.gets.values()) == {1}
    engine.update()
    assert store.get("ups.status") == shared_capture(
        "eaton-santak-tg-box-850-ludoux.json")["upsc"]["ups.status"]


def test_walk_mode_counts() -> None:
    engine, _, _ = make_engine(CS500)
    engine.start()
    assert live(engine).counters.walks[WalkMode.INIT.value] == 1


def test_enum_rows_publish_their_values() -> None:
    """NUT's cps-hid: input.sensitivity is ENUM | RW; its table gives ADDENUMs."""
    from hidups.subdrivers.cps import SUBDRIVER as CPS

    engine, _, store = make_engine("cyberpower-cp1500pfclcd-nut2642.json", CPS)
    engine.start()
    row = live(engine).find_row("input.sensitivity")
    assert row is not None and row.row.lookup is not None
    assert store.enums["input.sensitivity"] == row.row.lookup.enum_values() != []
    assert store.flags["input.sensitivity"] == ("RW", "STRING")
    # rows without ENUM get no ADDENUM even with a look-up table
    assert set(store.enums) == {"input.sensitivity"}
