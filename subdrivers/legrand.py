# ruff: noqa: E501  (hid2nut rows stay one per line, so they can be grepped)
"""Legrand Keor UPSes (VID 1cb0): Keor PDU (0038) and Keor SP (0032).

Behaviour follows NUT's legrand-hid 0.2. Their interrupt pipe is unusable, so both
ids carry the ``pollonly`` tweak. Some readings come in odd decades (line voltages
around 1e-5 or 1e-6 of the real value, transfer points a tenth), hence the fixed
multipliers below.
"""

from __future__ import annotations

from hidups.device import DeviceInfo
from hidups.hid2nut.lookups import (
    CHARGING_INFO,
    DISCHARGING_INFO,
    DIVIDE_BY_10_CONVERSION,
    LOWBATT_INFO,
    ONLINE_INFO,
    OVERLOAD_INFO,
)
from hidups.hid2nut.subdriver import Subdriver, UsbId
from hidups.hid2nut.table import (
    ABSENT,
    BOOL,
    CMD,
    NONE,
    OFFDELAY,
    ONDELAY,
    QUICK,
    RW,
    STATIC,
    STRING,
    Context,
    Convert,
    Row,
)
from hidups.usages import UsageTable

LEGRAND_VENDOR = 0x1CB0

USAGES = UsageTable(())

DEVICES = (
    UsbId(LEGRAND_VENDOR, 0x0038, "Keor PDU (800VA)", {"pollonly": ""}),
    UsbId(LEGRAND_VENDOR, 0x0032, "Keor SP (600-2000VA)", {"pollonly": ""}),
)


def times_10_to_nut(value: float, ctx: Context) -> str | None:
    return "%0.1f" % (value * 10)


def times_100k_to_nut(value: float, ctx: Context) -> str | None:
    return "%0.1f" % (value * 100000)


def times_1m_to_nut(value: float, ctx: Context) -> str | None:
    return "%0.1f" % (value * 1000000)


def times_10m_to_nut(value: float, ctx: Context) -> str | None:
    return "%0.1f" % (value * 10000000)


LEGRAND_TIMES10_INFO = Convert("legrand_times10_info", times_10_to_nut)
LEGRAND_TIMES100K_INFO = Convert("legrand_times100k_info", times_100k_to_nut)
LEGRAND_TIMES1M_INFO = Convert("legrand_times1M_info", times_1m_to_nut)
LEGRAND_TIMES10M_INFO = Convert("legrand_times10M_info", times_10m_to_nut)

# --- hid2nut --------------------------------------------------------------------------

HID2NUT: tuple[Row, ...] = (
    Row("input.voltage", "UPS.Input.Voltage", "%.0f"),
    Row("input.voltage", "UPS.PowerConverter.Input.Voltage", "%.0f", NONE, LEGRAND_TIMES1M_INFO),
    Row("input.transfer.high", "UPS.Input.HighVoltageTransfer", "%.0f", STATIC),
    Row("input.transfer.high", "UPS.PowerConverter.Output.HighVoltageTransfer", "%.0f", STATIC, LEGRAND_TIMES10_INFO),
    Row("input.transfer.low", "UPS.Input.LowVoltageTransfer", "%.0f", STATIC),
    Row("input.transfer.low", "UPS.PowerConverter.Output.LowVoltageTransfer", "%.0f", STATIC),
    Row("input.voltage.nominal", "UPS.Input.ConfigVoltage", "%.0f", STATIC),
    Row("input.voltage.nominal", "UPS.Flow.ConfigVoltage", "%.0f", STATIC),
    Row("battery.voltage.nominal", "UPS.PowerSummary.ConfigVoltage", "%.0f", STATIC, DIVIDE_BY_10_CONVERSION),
    Row("battery.voltage.nominal", "UPS.BatterySystem.Battery.ConfigVoltage", "%.0f", STATIC),
    Row("battery.voltage", "UPS.PowerSummary.Voltage", "%.0f", NONE, DIVIDE_BY_10_CONVERSION),
    Row("battery.voltage", "UPS.BatterySystem.Battery.Voltage", "%.0f", NONE, LEGRAND_TIMES100K_INFO),
    Row("battery.charge", "UPS.PowerSummary.RemainingCapacity", "%.0f"),
    Row("battery.runtime", "UPS.PowerSummary.RuntimeToEmpty", "%.0f"),
    Row("battery.charge.warning", "UPS.PowerSummary.WarningCapacityLimit", "%.0f", STATIC),
    Row("battery.charge.low", "UPS.PowerSummary.RemainingCapacityLimit", "%.0f", STATIC),
    Row("output.voltage", "UPS.Output.Voltage", "%.0f"),
    Row("output.voltage", "UPS.PowerConverter.Output.Voltage", "%.0f", NONE, LEGRAND_TIMES10M_INFO),
    Row("output.frequency", "UPS.Output.Frequency", "%.0f"),
    Row("ups.load", "UPS.Output.PercentLoad", "%.0f"),
    Row("ups.load", "UPS.OutletSystem.Outlet.PercentLoad", "%.0f"),
    Row("ups.realpower.nominal", "UPS.Output.ConfigActivePower", "%.0f", STATIC),
    Row("ups.realpower.nominal", "UPS.Flow.ConfigApparentPower", "%.0f", STATIC),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.ACPresent", None, QUICK, ONLINE_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.BelowRemainingCapacityLimit", None, QUICK, LOWBATT_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.Charging", None, QUICK, CHARGING_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.Discharging", None, QUICK, DISCHARGING_INFO),
    Row(BOOL, "UPS.Output.Overload", None, QUICK, OVERLOAD_INFO),
    Row("ups.delay.shutdown", "UPS.OutletSystem.Outlet.DelayBeforeShutdown", OFFDELAY, RW | STRING | ABSENT, length=10),
    Row("ups.delay.start", "UPS.OutletSystem.Outlet.DelayBeforeStartup", ONDELAY, RW | STRING | ABSENT, length=10),
    Row("ups.delay.shutdown", "UPS.Output.DelayBeforeShutdown", OFFDELAY, RW | STRING | ABSENT, length=10),
    Row("ups.delay.start", "UPS.Output.DelayBeforeStartup", ONDELAY, RW | STRING | ABSENT, length=10),
    Row("load.off.delay", "UPS.OutletSystem.Outlet.DelayBeforeShutdown", OFFDELAY, CMD),
    Row("load.on.delay", "UPS.OutletSystem.Outlet.DelayBeforeStartup", ONDELAY, CMD),
    Row("load.off.delay", "UPS.Output.DelayBeforeShutdown", OFFDELAY, CMD),
    Row("load.on.delay", "UPS.Output.DelayBeforeStartup", ONDELAY, CMD),
    Row("test.battery.start.quick", "UPS.BatterySystem.Battery.Test", "1", CMD),
    Row("test.battery.start.deep", "UPS.BatterySystem.Battery.Test", "2", CMD),
    Row("test.battery.stop", "UPS.BatterySystem.Battery.Test", "3", CMD),
    Row("test.battery.start.quick", "UPS.Output.Test", "1", CMD),
    Row("test.battery.start.deep", "UPS.Output.Test", "2", CMD),
    Row("test.battery.stop", "UPS.Output.Test", "3", CMD),
    Row("beeper.enable", "UPS.PowerSummary.AudibleAlarmControl", "2", CMD),
    Row("beeper.disable", "UPS.PowerSummary.AudibleAlarmControl", "3", CMD),
)


def format_mfr(device: DeviceInfo, ctx: Context) -> str | None:
    return device.manufacturer if device.manufacturer is not None else "Legrand"


SUBDRIVER = Subdriver(
    name="Legrand HID",
    version="0.2",
    usages=USAGES,
    hid2nut=HID2NUT,
    devices=DEVICES,
    format_mfr=format_mfr,
)
