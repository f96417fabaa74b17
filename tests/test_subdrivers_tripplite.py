"""Tripp Lite: per-PID scales on real report data, chemistry workaround, watchdog rows."""

from __future__ import annotations

import pytest
from hidups.subdrivers import tripplite
from shared_captures import shared_capture
from subdrivers_testlib import FakeContext, descriptor_of, device

from hidups import codec
from hidups.descriptor.model import ReportType
from hidups.descriptor.paths import find_field, parse_path
from hidups.usages import NUT_STANDARD

SMART1500LCDT = device(0x09AE, 0x3016)


def test_3016_line_voltage_from_real_report() -> None:
    """The Smart1500LCDT reports 1214 with exponent 1 on a Volt unit: 0.001214 V.

    NUT multiplies by 100000 on this PID; the capture's raw report 0x31 then reads
    121.4 V, a plausible US mains voltage.
    """
    capture = shared_capture("tripplite-3016-nut414.json")
    desc = descriptor_of(capture)
    table = tripplite.USAGES.chained(NUT_STANDARD)
    item = find_field(desc, parse_path("UPS.PowerSummary.Input.Voltage", table),
                      ReportType.FEATURE)
    assert item is not None
    raw = {r["report_id"]: bytes.fromhex(r["hex"]) for r in capture["raw_reports"]}
    value = codec.read_value(item, raw[item.report_id])
    assert value == pytest.approx(1214e-6)
    assert tripplite.TRIPPLITE_IOVOLT.to_nut(value, FakeContext(SMART1500LCDT)) == "121.4"


def test_3016_frequency_and_current_hundredths() -> None:
    ctx = FakeContext(SMART1500LCDT)
    # Hz with exponent 1: raw 600 decodes as 6000; NUT scales by 0.01
    assert tripplite.TRIPPLITE_IOFREQ.to_nut(6000.0, ctx) == "60.0"
    assert tripplite.TRIPPLITE_IOAMP.to_nut(250.0, ctx) == "2.5"
    assert tripplite.TRIPPLITE_BATTVOLT.to_nut(0.000136, ctx) == "13.6"


def test_battery_tenths_on_old_consumer_pids() -> None:
    for pid in (0x1003, 0x1007, 0x1010, 0x2005, 0x2014):
        ctx = FakeContext(device(0x09AE, pid))
        assert tripplite.TRIPPLITE_BATTVOLT.to_nut(138.0, ctx) == "13.8", hex(pid)
    for pid in (0x1330, 0x3012, 0x4003):
        ctx = FakeContext(device(0x09AE, pid))
        assert tripplite.TRIPPLITE_BATTVOLT.to_nut(27.1, ctx) == "27.1", hex(pid)
    # HP and Delta units are never scaled
    assert tripplite.TRIPPLITE_BATTVOLT.to_nut(54.0, FakeContext(device(0x03F0, 0x1FE3))) \
        == "54.0"
    assert tripplite.TRIPPLITE_IOVOLT.to_nut(230.0, FakeContext(device(0x09AE, 0x4003))) \
        == "230.0"


def test_chemistry_workaround() -> None:
    strings = {10: "PbAcid"}
    assert tripplite.TRIPPLITE_CHEMISTRY.to_nut(
        10, FakeContext(device(0x09AE, 0x1003), strings=strings)) == "unknown"
    assert tripplite.TRIPPLITE_CHEMISTRY.to_nut(
        10, FakeContext(device(0x09AE, 0x2005), strings=strings)) == "unknown"
    assert tripplite.TRIPPLITE_CHEMISTRY.to_nut(
        10, FakeContext(device(0x09AE, 0x4003), strings=strings)) == "PbAcid"


def test_watchdog_rows_on_su1500rtxl2ua() -> None:
    """The 4003 describes TLWatchdog under the outlet: reset and reboot commands resolve."""
    capture = shared_capture("tripplite-4003-nut1268.json")
    desc = descriptor_of(capture)
    table = tripplite.USAGES.chained(NUT_STANDARD)
    rows = {(row.name, row.fmt) for row in tripplite.HID2NUT
            if row.path and row.path.endswith("TLWatchdog")}
    assert rows == {("ups.watchdog.status", "%.0f"), ("shutdown.reboot", "10"),
                    ("reset.watchdog", "60")}
    nodes = parse_path("UPS.OutletSystem.Outlet.TLWatchdog", table)
    assert find_field(desc, nodes, ReportType.FEATURE) is not None


def test_unreadable_chemistry_string_is_empty_as_in_nut() -> None:
    # NUT's HIDGetIndexString leaves an empty buffer when the string read fails,
    # and refuses indexes outside 0..255
    ctx = FakeContext(device(0x09AE, 0x4003))
    assert tripplite.TRIPPLITE_CHEMISTRY.to_nut(77, ctx) == ""
    assert tripplite.TRIPPLITE_CHEMISTRY.to_nut(300, ctx) is None
