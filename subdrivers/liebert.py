# ruff: noqa: E501  (hid2nut rows stay one per line, so they can be grepped)
"""Phoenixtec (VID 06da) and its OEMs: Liebert PSP/PowerSure, PowerWalker, Ippon...

Behaviour follows NUT's liebert-hid 0.41 ("Phoenixtec/Liebert HID"): standard Power
Device paths, plus four unnamed vendor usages (page 0xffff) for the voltage and frequency
transfer points. 06da:ffff is every
Phoenixtec-built unit; GoldenMate batteries on the same id are taken earlier by the
iDowell subdriver. Liebert's own VID (10af) belongs to the Belkin subdriver.
"""

from __future__ import annotations

from hidups.device import DeviceInfo
from hidups.hid2nut.lookups import (
    BEEPER_INFO,
    BOOST_INFO,
    CHARGING_INFO,
    COMMFAULT_INFO,
    DISCHARGING_INFO,
    LOWBATT_INFO,
    OFF_INFO,
    ONLINE_INFO,
    OVERLOAD_INFO,
    SHUTDOWNIMM_INFO,
    STRINGID_CONVERSION,
    TEST_READ_INFO,
    TRIM_INFO,
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
    SEMI_STATIC,
    STRING,
    Context,
    Row,
)
from hidups.usages import UsageTable

PHOENIXTEC_VENDOR = 0x06DA

USAGES = UsageTable(())

DEVICES = (UsbId(PHOENIXTEC_VENDOR, 0xFFFF, "Phoenixtec and OEMs"),)

# --- hid2nut --------------------------------------------------------------------------

HID2NUT: tuple[Row, ...] = (
    Row("battery.voltage", "UPS.PowerSummary.Voltage", "%.2f"),
    Row("battery.charge", "UPS.PowerSummary.RemainingCapacity", "%.0f"),
    Row("experimental.battery.capacity", "UPS.PowerSummary.FullChargeCapacity", "%.0f"),
    Row("experimental.battery.capacity.nominal", "UPS.PowerSummary.DesignCapacity", "%.0f"),
    Row("battery.runtime", "UPS.PowerSummary.RunTimeToEmpty", "%.0f"),
    Row("battery.type", "UPS.PowerSummary.iDeviceChemistry", "%s", NONE, STRINGID_CONVERSION),
    Row("ups.load", "UPS.PowerSummary.PercentLoad", "%.0f"),
    Row("ups.power.nominal", "UPS.Flow.[4].ConfigApparentPower", "%.0f", SEMI_STATIC),
    Row("ups.test.result", "UPS.BatterySystem.Battery.Test", "%s", NONE, TEST_READ_INFO),
    Row("ups.beeper.status", "UPS.PowerSummary.AudibleAlarmControl", "%s", SEMI_STATIC, BEEPER_INFO),
    Row("output.voltage", "UPS.PowerConverter.Output.Voltage", "%.1f"),
    Row("output.voltage.nominal", "UPS.Flow.[4].ConfigVoltage", "%.0f", SEMI_STATIC),
    Row("output.frequency", "UPS.PowerConverter.Output.Frequency", "%.2f"),
    Row("output.frequency.nominal", "UPS.Flow.[4].ConfigFrequency", "%.0f", SEMI_STATIC),
    Row("output.transfer.high", "UPS.PowerConverter.Output.HighVoltageTransfer", "%.1f", SEMI_STATIC),
    Row("output.transfer.low", "UPS.PowerConverter.Output.LowVoltageTransfer", "%.1f", SEMI_STATIC),
    Row("input.voltage", "UPS.PowerConverter.Input.[1].Voltage", "%.1f"),
    Row("input.frequency", "UPS.PowerConverter.Input.[1].Frequency", "%.2f"),
    Row("input.transfer.low", "UPS.PowerConverter.Output.ffff0057", "%.0f", SEMI_STATIC),
    Row("input.transfer.high", "UPS.PowerConverter.Output.ffff0058", "%.0f", SEMI_STATIC),
    Row("input.frequency.transfer.low", "UPS.PowerConverter.Output.ffff00f9", "%.0f", SEMI_STATIC),
    Row("input.frequency.transfer.high", "UPS.PowerConverter.Output.ffff00f8", "%.0f", SEMI_STATIC),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.ACPresent", "%.0f", QUICK, ONLINE_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.BelowRemainingCapacityLimit", "%.0f", QUICK, LOWBATT_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.Charging", "%.0f", QUICK, CHARGING_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.Discharging", "%.0f", QUICK, DISCHARGING_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.Overload", "%.0f", QUICK, OVERLOAD_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.Good", None, QUICK, OFF_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.InternalFailure", None, QUICK, COMMFAULT_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.ShutdownImminent", "%.0f", QUICK, SHUTDOWNIMM_INFO),
    Row(BOOL, "UPS.PowerConverter.Input.[1].PresentStatus.Buck", None, NONE, TRIM_INFO),
    Row(BOOL, "UPS.PowerConverter.Input.[1].PresentStatus.Boost", None, NONE, BOOST_INFO),
    Row("ups.delay.start", "UPS.PowerSummary.DelayBeforeStartup", ONDELAY, RW | STRING | ABSENT, length=10),
    Row("ups.delay.shutdown", "UPS.PowerSummary.DelayBeforeShutdown", OFFDELAY, RW | STRING | ABSENT, length=10),
    Row("test.battery.start", "UPS.BatterySystem.Battery.Test", "1", CMD),
    Row("load.off.delay", "UPS.PowerSummary.DelayBeforeShutdown", OFFDELAY, CMD),
    Row("load.on.delay", "UPS.PowerSummary.DelayBeforeStartup", ONDELAY, CMD),
    Row("shutdown.stop", "UPS.PowerSummary.DelayBeforeShutdown", "-1", CMD),
    Row("beeper.toggle", "UPS.PowerSummary.AudibleAlarmControl", "1", CMD),
)


def format_mfr(device: DeviceInfo, ctx: Context) -> str | None:
    return device.manufacturer if device.manufacturer is not None else "Liebert"


SUBDRIVER = Subdriver(
    name="Phoenixtec/Liebert HID",
    version="0.41",
    usages=USAGES,
    hid2nut=HID2NUT,
    devices=DEVICES,
    format_mfr=format_mfr,
)
