"""CyberPower: descriptor fix-ups on real descriptors, and the scaling conversions.

The fix-up evidence is NUT's own: the CP1500PFCLCD capture holds raw GET_REPORT
answers and the values NUT 2.8.2 printed for them with its fix-ups applied; the
OL1000EXL and the PowerWalker VI 750 (a CPS OEM) have the LogMax the parser had to
re-read as unsigned.
"""

from __future__ import annotations

from typing import Any

import pytest
from hidups.subdrivers import cps
from shared_captures import shared_capture
from subdrivers_testlib import FakeContext, descriptor_of, device

from hidups import codec
from hidups.descriptor.model import Field, ReportDescriptor, ReportType
from hidups.device import DeviceInfo

CPS_0501 = device(0x0764, 0x0501)
CPS_0601 = device(0x0764, 0x0601)


def report_bytes(capture: dict[str, Any]) -> dict[int, bytes]:
    return {r["report_id"]: bytes.fromhex(r["hex"]) for r in capture["raw_reports"]
            if r["kind"] == "get"}


def field_at(desc: ReportDescriptor, kind: str, report_id: int, offset: int) -> Field:
    wanted = ReportType[kind.upper()]
    for item in desc.fields:
        if (item.report_type, item.report_id, item.offset) == (wanted, report_id, offset):
            return item
    raise AssertionError(f"no {kind} field at report {report_id} offset {offset}")


def limits(desc: ReportDescriptor, report_id: int, usage: int) -> tuple[int, int]:
    item = cps.field_by_id_node(desc, report_id, usage)
    assert item is not None
    return item.logical_min, item.logical_max


# --- fix-ups ----------------------------------------------------------------------------


def test_cp1500pfclcd_decodes_as_nut_after_fixup() -> None:
    """Output voltage 121 V is clipped to 136 by the copied limits; fixed, it reads 121."""
    capture = shared_capture("cyberpower-cp1500pfclcd-nut2642.json")
    desc = descriptor_of(capture)
    reports = report_bytes(capture)
    output = field_at(desc, "Feature", 0x12, 0)
    assert (output.logical_min, output.logical_max) == (136, 142)
    assert codec.read_value(output, reports[0x12]) == 136  # clipped before the fix

    changes = cps.fix_report_desc(CPS_0501, desc, {})

    assert any("0x12 Voltage" in line and "0..511" in line for line in changes)
    assert (output.logical_min, output.logical_max) == (0, 511)
    # the fixed descriptor decodes every Feature report as NUT printed it
    for path in capture["paths"]:
        if path["type"] != "Feature" or path["report_id"] not in reports:
            continue
        item = field_at(desc, "Feature", path["report_id"], path["offset"])
        assert codec.read_value(item, reports[path["report_id"]]) == pytest.approx(
            path["value"]), path["path"]


def test_ol1000exl_reread_logmax_is_raised() -> None:
    capture = shared_capture("cyberpower-ol1000exl-nut982.json")
    desc = descriptor_of(capture)
    output = cps.field_by_id_node(desc, 0x12, cps.USAGE_VOLTAGE)
    assert output is not None and output.assumed_logmax
    assert limits(desc, 0x12, cps.USAGE_VOLTAGE) == (0, 255)
    report = bytes([0x12]) + (460).to_bytes(2, "little")
    # NUT masks to the 8 bits LogMax 255 needs: 460 reads as 204
    assert codec.read_logical(output, report) == 460 & 0xFF

    changes = cps.fix_report_desc(CPS_0601, desc, {})

    assert changes == [
        "report 0x12 Voltage: logical maximum 255 -> 511",
        "report 0x18 ConfigActivePower: logical maximum 900 -> 2048",
    ]
    assert limits(desc, 0x12, cps.USAGE_VOLTAGE) == (0, 511)
    assert codec.read_logical(output, report) == 460


def test_powerwalker_cps_oem_fixup() -> None:
    capture = shared_capture("powerwalker-vi-750-cps-oem-nut645.json")
    desc = descriptor_of(capture)
    power = cps.field_by_id_node(desc, 0x18, cps.USAGE_CONFIG_ACTIVE_POWER)
    assert power is not None
    assert (power.logical_min, power.logical_max) == (999, 999)
    report = bytes([0x18]) + (1500).to_bytes(2, "little")
    assert codec.read_value(power, report) == 999  # every reading was 999

    changes = cps.fix_report_desc(DeviceInfo(0x0764, 0x0601), desc, {})

    assert changes == [
        "report 0x12 Voltage: logical maximum 255 -> 511",
        "report 0x18 ConfigActivePower: logical maximum 999 -> 2048",
    ]
    assert limits(desc, 0x12, cps.USAGE_VOLTAGE) == (0, 511)
    assert codec.read_value(power, report) == 1500
    # LogMin stays 999, as in NUT: a smaller reading still reads 999
    assert codec.read_value(power, bytes([0x18, 0xC2, 0x01])) == 999


@pytest.mark.parametrize(("dev", "options"), [
    (CPS_0501, {"disable_fix_report_desc": ""}),
    (device(0x0764, 0x0005), {}),
    (device(0x0483, 0xA430), {}),
])
def test_fixups_skipped(dev: DeviceInfo, options: dict[str, str]) -> None:
    desc = descriptor_of(shared_capture("cyberpower-cp1500pfclcd-nut2642.json"))
    assert cps.fix_report_desc(dev, desc, options) == []
    assert limits(desc, 0x12, cps.USAGE_VOLTAGE) == (136, 142)


def test_fixups_leave_sane_descriptors_alone() -> None:
    desc = descriptor_of(shared_capture("cyberpower-ec850lcd-ups2esp32.json"))
    before = limits(desc, 0x12, cps.USAGE_VOLTAGE), limits(desc, 0x0F, cps.USAGE_VOLTAGE)
    cps.fix_report_desc(CPS_0501, desc, {})
    assert (limits(desc, 0x12, cps.USAGE_VOLTAGE), limits(desc, 0x0F, cps.USAGE_VOLTAGE)) \
        == before


# --- conversions --------------------------------------------------------------------------


def test_battery_voltage_scaled_two_thirds_once_decided() -> None:
    ctx = FakeContext(CPS_0501)
    # no nominal yet: reported as is, nothing decided
    assert cps.CPS_BATTVOLT.to_nut(36.0, ctx) == "36.0"
    ctx.variables["battery.voltage.nominal"] = "24"
    # 36 / 24 = 1.5 > 1.4: NUT scales by 2/3 from now on
    assert cps.CPS_BATTVOLT.to_nut(36.0, ctx) == "%.1f" % (2.0 / 3 * 36.0)
    assert cps.CPS_BATTVOLT.to_nut(27.0, ctx) == "%.1f" % (2.0 / 3 * 27.0)


def test_battery_voltage_not_scaled_when_plausible_or_other_pid() -> None:
    ctx = FakeContext(CPS_0501, variables={"battery.voltage.nominal": "24"})
    assert cps.CPS_BATTVOLT.to_nut(27.2, ctx) == "27.2"
    assert cps.CPS_BATTVOLT.to_nut(40.0, ctx) == "40.0"  # decided on the first reading
    other = FakeContext(CPS_0601, variables={"battery.voltage.nominal": "24"})
    assert cps.CPS_BATTVOLT.to_nut(40.0, other) == "40.0"


def test_frequency_scale_detected_from_tenths() -> None:
    ctx = FakeContext(CPS_0501)
    # 599 is in the 550..650 band: nominal 60 Hz, window 57..63; 59.9 fits
    assert cps.CPS_INPUT_FREQ.to_nut(599.0, ctx) == "59.9"
    assert cps.CPS_INPUT_FREQ.to_nut(601.0, ctx) == "60.1"
    # the output direction is decided on its own
    assert cps.CPS_OUTPUT_FREQ.to_nut(50.0, ctx) == "50.0"


def test_frequency_scale_uses_published_limits() -> None:
    ctx = FakeContext(CPS_0501, variables={"input.frequency.low": "47",
                                           "input.frequency.high": "53"})
    assert cps.CPS_INPUT_FREQ.to_nut(499.0, ctx) == "49.9"


def test_frequency_undecided_reports_as_is() -> None:
    ctx = FakeContext(CPS_0501)
    assert cps.CPS_INPUT_FREQ.to_nut(0.0, ctx) == "0.0"  # UPS off: nothing decided
    assert cps.CPS_INPUT_FREQ.to_nut(500.0, ctx) == "50.0"


def test_frequency_never_scaled_off_0501() -> None:
    assert cps.CPS_INPUT_FREQ.to_nut(599.0, FakeContext(CPS_0601)) == "599.0"


def test_charge_clamp_status_and_sensitivity() -> None:
    ctx = FakeContext(CPS_0501)
    assert cps.CPS_BATTCHARGE.to_nut(104.0, ctx) == "100"
    assert cps.CPS_BATTCHARGE.to_nut(57.0, ctx) == "57"
    assert cps.CPS_BATTSTATUS.to_nut(100.0, ctx) == "100%"
    assert cps.CPS_SENSITIVITY_INFO.enum_values() == ["low", "normal", "high"]
    assert cps.CPS_SENSITIVITY_INFO.to_hid("high", ctx) == 2.0


def test_mfr_default() -> None:
    ctx = FakeContext(CPS_0501)
    assert cps.SUBDRIVER.format_mfr(CPS_0501, ctx) == "CPS"
    named = device(0x0764, 0x0501, manufacturer="CPS")
    assert cps.SUBDRIVER.format_mfr(named, ctx) == "CPS"
