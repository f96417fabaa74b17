# ruff: noqa: E501  (hid2nut rows stay one per line, so they can be grepped)
"""Salicru (VID 2e66): SPS One, Twin and similar units; standard Power Device paths.

Behaviour follows NUT's salicru-hid 0.4 (which added PIDs 0101 and 0302 after 2.8.0).
"""

from __future__ import annotations

from hidups.device import DeviceInfo
from hidups.hid2nut.lookups import (
    BEEPER_INFO,
    BOOST_INFO,
    CHARGING_INFO,
    COMMFAULT_INFO,
    DISCHARGING_INFO,
    FULLYCHARGED_INFO,
    LOWBATT_INFO,
    ONLINE_INFO,
    OVERHEAT_INFO,
    OVERLOAD_INFO,
    STRINGID_CONVERSION,
    TEST_READ_INFO,
    TIMELIMITEXPIRED_INFO,
)
from hidups.hid2nut.subdriver import Subdriver, UsbId
from hidups.hid2nut.table import (
    BOOL,
    CMD,
    NONE,
    QUICK,
    RW,
    SEMI_STATIC,
    STATIC,
    STRING,
    Context,
    Row,
)
from hidups.usages import UsageTable

SALICRU_VENDOR = 0x2E66

USAGES = UsageTable(())

DEVICES = tuple(
    UsbId(SALICRU_VENDOR, pid) for pid in (0x0101, 0x0201, 0x0202, 0x0203, 0x0300, 0x0302)
)

# --- hid2nut --------------------------------------------------------------------------

HID2NUT: tuple[Row, ...] = (
    Row("battery.type", "UPS.PowerSummary.iDeviceChemistry", "%s", NONE, STRINGID_CONVERSION),
    Row("battery.charge", "UPS.PowerSummary.RemainingCapacity", "%.0f"),
    Row("battery.charge.warning", "UPS.PowerSummary.WarningCapacityLimit", "%.0f"),
    Row("battery.charge.low", "UPS.PowerSummary.RemainingCapacityLimit", "%.0f", RW | STRING | SEMI_STATIC, length=10),
    Row("battery.runtime", "UPS.PowerSummary.RunTimeToEmpty", "%.0f"),
    Row("battery.runtime.low", "UPS.PowerSummary.RemainingTimeLimit", "%.0f", RW | STRING | SEMI_STATIC, length=10),
    Row("battery.voltage.nominal", "UPS.PowerSummary.ConfigVoltage", "%.0f"),
    Row("battery.voltage", "UPS.PowerSummary.Voltage", "%.2f"),
    Row("ups.load", "UPS.Output.PercentLoad", "%.0f"),
    Row("ups.beeper.status", "UPS.PowerSummary.AudibleAlarmControl", "%s", NONE, BEEPER_INFO),
    Row("ups.test.result", "UPS.Output.Test", "%s", NONE, TEST_READ_INFO),
    Row("ups.realpower.nominal", "UPS.Output.ConfigActivePower", "%.0f"),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.ACPresent", None, QUICK, ONLINE_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.Charging", None, QUICK, CHARGING_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.Discharging", None, QUICK, DISCHARGING_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.BelowRemainingCapacityLimit", None, QUICK, LOWBATT_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.FullyCharged", None, NONE, FULLYCHARGED_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.RemainingTimeLimitExpired", None, NONE, TIMELIMITEXPIRED_INFO),
    Row(BOOL, "UPS.Output.CommunicationLost", None, NONE, COMMFAULT_INFO),
    Row(BOOL, "UPS.Output.Boost", None, NONE, BOOST_INFO),
    Row(BOOL, "UPS.Output.Overload", None, NONE, OVERLOAD_INFO),
    Row("input.frequency", "UPS.Input.Frequency", "%.1f"),
    Row("input.voltage.nominal", "UPS.Input.ConfigVoltage", "%.0f"),
    Row("input.voltage", "UPS.Input.Voltage", "%.1f"),
    Row("input.transfer.high", "UPS.PowerConverter.Output.HighVoltageTransfer", "%.0f", STATIC),
    Row("input.transfer.low", "UPS.PowerConverter.Output.LowVoltageTransfer", "%.0f", STATIC),
    Row("output.frequency", "UPS.Output.Frequency", "%.1f"),
    Row("output.voltage", "UPS.Output.Voltage", "%.1f"),
    Row("output.voltage.nominal", "UPS.Output.ConfigVoltage", "%.0f"),
    Row("ups.load", "UPS.PowerSummary.PercentLoad", "%.0f"),
    Row("ups.test.result", "UPS.BatterySystem.Battery.Test", "%s", NONE, TEST_READ_INFO),
    Row("ups.realpower.nominal", "UPS.Flow.[4].ConfigActivePower", "%.0f"),
    Row("ups.realpower", "UPS.PowerConverter.Output.ActivePower", "%.0f"),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.Overload", None, NONE, OVERLOAD_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.OverTemperature", None, NONE, OVERHEAT_INFO),
    Row("input.frequency", "UPS.PowerConverter.Input.[1].Frequency", "%.1f"),
    Row("input.voltage", "UPS.PowerConverter.Input.[1].Voltage", "%.1f"),
    Row("output.frequency", "UPS.PowerConverter.Output.Frequency", "%.1f"),
    Row("output.voltage", "UPS.PowerConverter.Output.Voltage", "%.1f"),
    Row("output.voltage.nominal", "UPS.PowerSummary.ConfigVoltage", "%.0f"),
    Row("ups.test.result", "UPS.BatterySystem.Battery.Test", "%s", NONE, TEST_READ_INFO),
    Row("test.battery.start.quick", "UPS.BatterySystem.Battery.Test", "1", CMD),
    Row("test.battery.start.deep", "UPS.BatterySystem.Battery.Test", "2", CMD),
    Row("test.battery.stop", "UPS.BatterySystem.Battery.Test", "3", CMD),
)


def format_mfr(device: DeviceInfo, ctx: Context) -> str | None:
    return device.manufacturer if device.manufacturer is not None else "Salicru"


SUBDRIVER = Subdriver(
    name="Salicru HID",
    version="0.4",
    usages=USAGES,
    hid2nut=HID2NUT,
    devices=DEVICES,
    format_mfr=format_mfr,
)
