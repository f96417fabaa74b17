"""Belkin/Liebert subdriver: the table on the Liebert descriptors, the status bit
fields, Liebert's exponent repair, identity hooks and the claim."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import require_shared
from hidups.subdrivers import belkin
from shared_captures import shared_capture
from subdrivers_testlib import (
    FakeContext,
    captures_of,
    descriptor_of,
    device_of,
    first_row,
    path_value,
    resolving_names,
)

from hidups.device import DeviceInfo

SUB = belkin.SUBDRIVER
LIEBERT_CAPTURES = captures_of("10af", "050d")




@pytest.mark.parametrize("path", LIEBERT_CAPTURES, ids=lambda p: p.stem)
def test_liebert_descriptors_bind_status_and_charge(path: Path) -> None:
    require_shared()
    data = shared_capture(path.name)
    assert SUB.claims(device_of(data), {}) is not None
    names = resolving_names(SUB, descriptor_of(data))
    assert {"battery.charge", "BOOL"} <= names


def test_psi5_rows_added_after_nut_2_8_0() -> None:
    """PSI5 (nut#2271): NUT master maps its Flow/Outlet/BatterySystem paths."""
    require_shared()
    data = shared_capture("liebert-psi5-nut2271.json")
    desc = descriptor_of(data)
    for name, path in (
        ("ups.load", "UPS.OutletSystem.Outlet.PercentLoad"),
        ("battery.capacity", "UPS.Flow.ConfigApparentPower"),
        ("input.voltage.nominal", "UPS.Flow.ConfigVoltage"),
        ("output.voltage.nominal", "UPS.Flow.ConfigVoltage"),
        ("battery.voltage.nominal", "UPS.BatterySystem.Battery.ConfigVoltage"),
    ):
        row, _ = first_row(SUB, desc, name)
        assert row.path == path
        assert path_value(data, path) > 0


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        (0x0000, {"online", "!overload", "!overheat", "!commfault", "!awaitingpower"}),
        (0x0001, {"!online", "!overload", "!overheat", "!commfault", "!awaitingpower"}),
        (0x2010, {"online", "overload", "!overheat", "!commfault", "awaitingpower"}),
        (0x00C0, {"online", "!overload", "overheat", "commfault", "!awaitingpower"}),
        (0x8020, {"online", "!overload", "!overheat", "!commfault", "!awaitingpower"}),
    ],
)
def test_power_status_word(word: int, expected: set[str]) -> None:
    rows = [r for r in SUB.hid2nut if r.path == "UPS.BELKINStatus.BELKINPowerStatus"]
    assert len(rows) == 5
    ctx = FakeContext()
    assert {r.lookup.to_nut(word, ctx) for r in rows if r.lookup} == expected


@pytest.mark.parametrize(
    ("byte", "expected"),
    [
        (0x00, {"!lowbatt", "!depleted", "!replacebatt"}),
        (0x04, {"lowbatt", "!depleted", "!replacebatt"}),
        (0x30, {"!lowbatt", "!depleted", "!replacebatt"}),  # charging/discharging: unmapped
        (0xC4, {"lowbatt", "depleted", "replacebatt"}),
    ],
)
def test_battery_status_byte(byte: int, expected: set[str]) -> None:
    rows = [r for r in SUB.hid2nut if r.path == "UPS.BELKINStatus.BELKINBatteryStatus"]
    assert len(rows) == 3
    ctx = FakeContext()
    assert {r.lookup.to_nut(byte, ctx) for r in rows if r.lookup} == expected


@pytest.mark.parametrize(
    ("reading", "volts"),
    [(1.39e-06, "13.9"), (2.201e-05, "220.1"), (0.000273, "27.3"), (0.001212, "121.2"),
     (230.0, "230.0"), (24.0, "24.0")],
)
def test_liebert_line_voltage_repair(reading: float, volts: str) -> None:
    """The worked examples NUT gives for its heuristics (issue #2370 and before)."""
    assert belkin.LIEBERT_LINE_VOLTAGE_INFO.to_nut(reading, FakeContext()) == volts


def test_liebert_factors_persist_per_device() -> None:
    ctx = FakeContext()
    assert belkin.LIEBERT_CONFIG_VOLTAGE_INFO.to_nut(1e-7, ctx) == "10.0"
    assert ctx.state[belkin._LINE_MULT] == 1e7
    assert belkin.LIEBERT_CONFIG_VOLTAGE_INFO.to_nut(2.4e-7, ctx) == "24.0"
    other = FakeContext()
    assert belkin.LIEBERT_CONFIG_VOLTAGE_INFO.to_nut(24, other) == "24.0"


def test_belkin_value_conversions() -> None:
    ctx = FakeContext()
    assert belkin.BELKIN_FIRMWARE_CONVERSION.to_nut(0x52, ctx) == "5"
    assert [belkin.BELKIN_UPSTYPE_CONVERSION.to_nut(v, ctx) for v in (0x50, 0x51, 0x52, 0x55,
                                                                        0x57)] == [
        "online", "offline", "line-interactive", "simple line-interactive", "online"]
    assert [belkin.BELKIN_SENSITIVITY_CONVERSION.to_nut(v, ctx) for v in (0, 1, 2, 3)] == [
        "normal", "reduced", "low", "normal"]
    assert belkin.BELKIN_TEST_INFO.to_nut(0, ctx) == "No test initiated"
    row = next(r for r in SUB.hid2nut if r.path == "UPS.BELKINPowerState.BELKINInput.BELKINVoltage")
    assert row.lookup is not None and row.lookup.to_nut(2304, ctx) == "230.4"


def test_identity_hooks() -> None:
    ctx = FakeContext(values={"UPS.PowerSummary.iSerialNumber": 2}, strings={2: "GXT3-0123"})
    assert belkin.belkin_format_mfr(DeviceInfo(0x10AF, 8, "  Liebert"), ctx) == "Liebert"
    assert belkin.belkin_format_mfr(DeviceInfo(0x050D, 0x0980, "   "), ctx) == "Belkin"
    assert belkin.belkin_format_mfr(DeviceInfo(0x050D, 0x0980), ctx) == "Belkin"
    assert belkin.belkin_format_model(DeviceInfo(0x050D, 0x0980, product=""), ctx) == "unknown"
    assert belkin.belkin_format_serial(DeviceInfo(0x10AF, 8), ctx) == "GXT3-0123"
    assert belkin.belkin_format_serial(DeviceInfo(0x10AF, 8, serial="X1"), ctx) == "X1"
    assert belkin.belkin_format_serial(DeviceInfo(0x10AF, 8), FakeContext()) is None


def test_claims() -> None:
    def claim(vid: int, pid: int, options: dict[str, str] | None = None) -> dict[str, str] | None:
        found = SUB.claims(DeviceInfo(vid, pid), options or {})
        return None if found is None else dict(found.tweaks)

    assert claim(0x050D, 0x0980) == {}
    assert claim(0x10AF, 0x0000) == {}
    assert claim(0x10AF, 0x0002) == {"usb_hid_rep_index": "1"}
    assert claim(0x050D, 0x0218, {"productid": "0218"}) is None  # a USB hub
    assert claim(0x050D, 0x0999) is None
    assert claim(0x050D, 0x0999, {"productid": "0999"}) == {}
    assert claim(0x10AF, 0x0010, {"productid": "0010"}) == {}
    assert claim(0x0463, 0xFFFF) is None
