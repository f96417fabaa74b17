# ruff: noqa: E501  (hid2nut rows stay one per line, so they can be grepped)
"""EcoFlow portable power stations (VID 3746, PID ffff) in UPS mode.

Behaviour follows NUT's ecoflow-hid 0.01 (added after 2.8.0). RunTimeToEmpty comes
in minutes; it is published in seconds, as NUT's ``battery.runtime`` always is.
"""

from __future__ import annotations

from hidups.device import DeviceInfo
from hidups.hid2nut.lookups import (
    BEEPER_INFO,
    CHARGING_INFO,
    COMMFAULT_INFO,
    DATE_CONVERSION,
    DEPLETED_INFO,
    DISCHARGING_INFO,
    FULLYCHARGED_INFO,
    LOWBATT_INFO,
    NOBATTERY_INFO,
    ONLINE_INFO,
    OVERLOAD_INFO,
    REPLACEBATT_INFO,
    SHUTDOWNIMM_INFO,
    STRINGID_CONVERSION,
    TIMELIMITEXPIRED_INFO,
)
from hidups.hid2nut.subdriver import Subdriver, UsbId
from hidups.hid2nut.table import (
    BOOL,
    NONE,
    QUICK,
    RW,
    SEMI_STATIC,
    STATIC,
    STRING,
    Context,
    Convert,
    Row,
)
from hidups.usages import UsageTable

ECOFLOW_VENDOR = 0x3746

USAGES = UsageTable(())

DEVICES = (UsbId(ECOFLOW_VENDOR, 0xFFFF, "EcoFlow power stations"),)


def runtime_minutes_to_nut(value: float, ctx: Context) -> str | None:
    """Minutes → seconds; a negative reading publishes nothing."""
    if value < 0:
        return None
    return "%.0f" % (value * 60.0)


ECOFLOW_RUNTIME_CONVERSION_LKP = Convert("ecoflow_runtime_conversion_lkp", runtime_minutes_to_nut)

# --- hid2nut --------------------------------------------------------------------------

HID2NUT: tuple[Row, ...] = (
    Row("ups.beeper.status", "UPS.PowerSummary.AudibleAlarmControl", "%s", QUICK, BEEPER_INFO),
    Row("ups.power.nominal", "UPS.Flow.[4].ConfigActivePower", "%.0f", STATIC),
    Row("battery.voltage.nominal", "UPS.PowerSummary.ConfigVoltage", "%.1f", SEMI_STATIC),
    Row("ups.timer.reboot", "UPS.OutletSystem.Outlet.DelayBeforeReboot", "%.0f", QUICK),
    Row("ups.timer.shutdown", "UPS.OutletSystem.Outlet.DelayBeforeShutdown", "%.0f", QUICK),
    Row("battery.capacity.nominal", "UPS.PowerSummary.DesignCapacity", "%.0f", SEMI_STATIC),
    Row("battery.capacity", "UPS.PowerSummary.FullChargeCapacity", "%.0f", SEMI_STATIC),
    Row("battery.type", "UPS.PowerSummary.iDeviceChemistry", "%s", STATIC, STRINGID_CONVERSION),
    Row("experimental.ups.powersummary.ioeminformation", "UPS.PowerSummary.iOEMInformation", "%s", STATIC, STRINGID_CONVERSION),
    Row("ups.mfr.date", "UPS.PowerSummary.ManufacturerDate", "%s", NONE, DATE_CONVERSION),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.ACPresent", None, QUICK, ONLINE_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.BatteryPresent", None, QUICK, NOBATTERY_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.BelowRemainingCapacityLimit", None, QUICK, LOWBATT_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.CommunicationLost", None, QUICK, COMMFAULT_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.Charging", None, QUICK, CHARGING_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.Discharging", None, QUICK, DISCHARGING_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.FullyCharged", None, QUICK, FULLYCHARGED_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.FullyDischarged", None, QUICK, DEPLETED_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.NeedReplacement", None, QUICK, REPLACEBATT_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.Overload", None, QUICK, OVERLOAD_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.RemainingTimeLimitExpired", None, QUICK, TIMELIMITEXPIRED_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.ShutdownImminent", None, QUICK, SHUTDOWNIMM_INFO),
    Row("experimental.ups.powersummary.presentstatus.shutdownrequested", "UPS.PowerSummary.PresentStatus.ShutdownRequested", "%.0f"),
    Row("experimental.ups.powersummary.presentstatus.voltagenotregulated", "UPS.PowerSummary.PresentStatus.VoltageNotRegulated", "%.0f"),
    Row("experimental.ups.powersummary.rechargeable", "UPS.PowerSummary.Rechargeable", "%.0f"),
    Row("battery.charge", "UPS.PowerSummary.RemainingCapacity", "%.0f", QUICK),
    Row("battery.charge.low", "UPS.PowerSummary.RemainingCapacityLimit", "%.0f", RW | STRING | SEMI_STATIC, length=5),
    Row("battery.runtime.low", "UPS.PowerSummary.RemainingTimeLimit", "%.0f", SEMI_STATIC),
    Row("battery.runtime", "UPS.PowerSummary.RunTimeToEmpty", "%.0f", QUICK, ECOFLOW_RUNTIME_CONVERSION_LKP),
    Row("battery.voltage", "UPS.PowerSummary.Voltage", "%.1f", QUICK),
    Row("battery.charge.warning", "UPS.PowerSummary.WarningCapacityLimit", "%.0f", SEMI_STATIC),
)


def format_mfr(device: DeviceInfo, ctx: Context) -> str | None:
    return device.manufacturer if device.manufacturer is not None else "EcoFlow"


SUBDRIVER = Subdriver(
    name="EcoFlow HID",
    version="0.01",
    usages=USAGES,
    hid2nut=HID2NUT,
    devices=DEVICES,
    format_mfr=format_mfr,
)
