# ruff: noqa: E501  (hid2nut rows stay one per line, so they can be grepped)
"""Generic subdriver: the standard Power Device Class paths, for UPSes no vendor claims.

NUT refuses a device that no subdriver's id table lists. hidups instead offers
this table, last in the list, to any device whose report descriptor uses the
Power Device page (0x84): an unknown but standard-conforming UPS then still gives
``ups.status``, charge, runtime, voltages, delays and the usual commands. The
registry asks it only after every vendor subdriver said no (see
``hidups.hid2nut.registry``); a device a vendor subdriver knows only by vendor id
gets a log hint to set ``productid`` instead.

Paths are the PDC's own: ``UPS.PowerSummary.*`` first (what most firmware fills
in), then ``UPS.Battery``/``UPS.BatterySystem.Battery``, ``UPS.Input``,
``UPS.Output`` and the ``PowerConverter`` variants. The first row per variable
that resolves wins, so the order is the preference.
"""

from __future__ import annotations

from hidups.device import DeviceInfo
from hidups.hid2nut.lookups import (
    AWAITINGPOWER_INFO,
    BEEPER_INFO,
    BOOST_INFO,
    CHARGING_INFO,
    COMMFAULT_INFO,
    DATE_CONVERSION,
    DISCHARGING_INFO,
    FRANGE_INFO,
    FULLYCHARGED_INFO,
    KELVIN_CELSIUS_CONVERSION,
    LOWBATT_INFO,
    NOBATTERY_INFO,
    ONLINE_INFO,
    OVERHEAT_INFO,
    OVERLOAD_INFO,
    REPLACEBATT_INFO,
    SHUTDOWNIMM_INFO,
    STRINGID_CONVERSION,
    TEST_READ_INFO,
    TIMELIMITEXPIRED_INFO,
    TRIM_INFO,
    VRANGE_INFO,
)
from hidups.hid2nut.subdriver import Claim, Options, Subdriver, UsbId
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
    STATIC,
    STRING,
    Row,
)
from hidups.usages import UsageTable

#: Standard names only; no id is claimed (the registry offers this table by descriptor).
USAGES = UsageTable(())
DEVICES: tuple[UsbId, ...] = ()

HID2NUT: tuple[Row, ...] = (
    # battery
    Row("battery.charge", "UPS.PowerSummary.RemainingCapacity", "%.0f", QUICK),
    Row("battery.charge", "UPS.Battery.RemainingCapacity", "%.0f", QUICK),
    Row("battery.charge", "UPS.BatterySystem.Battery.RemainingCapacity", "%.0f", QUICK),
    Row("battery.charge.low", "UPS.PowerSummary.RemainingCapacityLimit", "%.0f", RW | STRING | SEMI_STATIC, length=10),
    Row("battery.charge.low", "UPS.Battery.RemainingCapacityLimit", "%.0f", RW | STRING | SEMI_STATIC, length=10),
    Row("battery.charge.warning", "UPS.PowerSummary.WarningCapacityLimit", "%.0f"),
    Row("battery.charge.warning", "UPS.Battery.WarningCapacityLimit", "%.0f"),
    Row("battery.runtime", "UPS.PowerSummary.RunTimeToEmpty", "%.0f", QUICK),
    Row("battery.runtime", "UPS.Battery.RunTimeToEmpty", "%.0f", QUICK),
    Row("battery.runtime", "UPS.BatterySystem.Battery.RunTimeToEmpty", "%.0f", QUICK),
    Row("battery.runtime.low", "UPS.PowerSummary.RemainingTimeLimit", "%.0f", RW | STRING | SEMI_STATIC, length=10),
    Row("battery.runtime.low", "UPS.Battery.RemainingTimeLimit", "%.0f", RW | STRING | SEMI_STATIC, length=10),
    Row("battery.voltage", "UPS.PowerSummary.Voltage", "%.1f"),
    Row("battery.voltage", "UPS.Battery.Voltage", "%.1f"),
    Row("battery.voltage", "UPS.BatterySystem.Battery.Voltage", "%.1f"),
    Row("battery.voltage", "UPS.BatterySystem.Voltage", "%.1f"),
    Row("battery.voltage.nominal", "UPS.PowerSummary.ConfigVoltage", "%.1f", STATIC),
    Row("battery.voltage.nominal", "UPS.Battery.ConfigVoltage", "%.1f", STATIC),
    Row("battery.voltage.nominal", "UPS.BatterySystem.Battery.ConfigVoltage", "%.1f", STATIC),
    Row("battery.voltage.nominal", "UPS.BatterySystem.ConfigVoltage", "%.1f", STATIC),
    Row("battery.temperature", "UPS.Battery.Temperature", "%s", NONE, KELVIN_CELSIUS_CONVERSION),
    Row("battery.temperature", "UPS.BatterySystem.Battery.Temperature", "%s", NONE, KELVIN_CELSIUS_CONVERSION),
    Row("battery.type", "UPS.PowerSummary.iDeviceChemistry", "%s", STATIC, STRINGID_CONVERSION),
    Row("battery.type", "UPS.Battery.iDeviceChemistry", "%s", STATIC, STRINGID_CONVERSION),
    Row("battery.mfr.date", "UPS.Battery.ManufacturerDate", "%s", STATIC, DATE_CONVERSION),
    Row("battery.mfr.date", "UPS.BatterySystem.Battery.ManufacturerDate", "%s", STATIC, DATE_CONVERSION),
    # ups
    Row("ups.load", "UPS.PowerSummary.PercentLoad", "%.0f"),
    Row("ups.load", "UPS.Output.PercentLoad", "%.0f"),
    Row("ups.load", "UPS.PowerConverter.Output.PercentLoad", "%.0f"),
    Row("ups.power", "UPS.Output.ApparentPower", "%.0f"),
    Row("ups.power", "UPS.PowerConverter.Output.ApparentPower", "%.0f"),
    Row("ups.power.nominal", "UPS.PowerSummary.ConfigApparentPower", "%.0f", STATIC),
    Row("ups.power.nominal", "UPS.Output.ConfigApparentPower", "%.0f", STATIC),
    Row("ups.power.nominal", "UPS.Flow.ConfigApparentPower", "%.0f", STATIC),
    Row("ups.realpower", "UPS.Output.ActivePower", "%.0f"),
    Row("ups.realpower", "UPS.PowerConverter.Output.ActivePower", "%.0f"),
    Row("ups.realpower.nominal", "UPS.PowerSummary.ConfigActivePower", "%.0f", STATIC),
    Row("ups.realpower.nominal", "UPS.Output.ConfigActivePower", "%.0f", STATIC),
    Row("ups.realpower.nominal", "UPS.Flow.ConfigActivePower", "%.0f", STATIC),
    Row("ups.temperature", "UPS.PowerSummary.Temperature", "%s", NONE, KELVIN_CELSIUS_CONVERSION),
    Row("ups.mfr.date", "UPS.PowerSummary.ManufacturerDate", "%s", STATIC, DATE_CONVERSION),
    Row("ups.mfr.date", "UPS.ManufacturerDate", "%s", STATIC, DATE_CONVERSION),
    Row("ups.test.result", "UPS.Battery.Test", "%s", NONE, TEST_READ_INFO),
    Row("ups.test.result", "UPS.BatterySystem.Battery.Test", "%s", NONE, TEST_READ_INFO),
    Row("ups.beeper.status", "UPS.PowerSummary.AudibleAlarmControl", "%s", NONE, BEEPER_INFO),
    Row("ups.beeper.status", "UPS.AudibleAlarmControl", "%s", NONE, BEEPER_INFO),
    # delays (driver-side settings) and the running timers
    Row("ups.delay.start", "UPS.PowerSummary.DelayBeforeStartup", ONDELAY, RW | STRING | ABSENT, length=10),
    Row("ups.delay.shutdown", "UPS.PowerSummary.DelayBeforeShutdown", OFFDELAY, RW | STRING | ABSENT, length=10),
    Row("ups.delay.start", "UPS.Output.DelayBeforeStartup", ONDELAY, RW | STRING | ABSENT, length=10),
    Row("ups.delay.shutdown", "UPS.Output.DelayBeforeShutdown", OFFDELAY, RW | STRING | ABSENT, length=10),
    Row("ups.timer.start", "UPS.PowerSummary.DelayBeforeStartup", "%.0f", QUICK),
    Row("ups.timer.shutdown", "UPS.PowerSummary.DelayBeforeShutdown", "%.0f", QUICK),
    Row("ups.timer.reboot", "UPS.PowerSummary.DelayBeforeReboot", "%.0f", QUICK),
    Row("ups.timer.start", "UPS.Output.DelayBeforeStartup", "%.0f", QUICK),
    Row("ups.timer.shutdown", "UPS.Output.DelayBeforeShutdown", "%.0f", QUICK),
    Row("ups.timer.reboot", "UPS.Output.DelayBeforeReboot", "%.0f", QUICK),
    # status bits
    Row(BOOL, "UPS.PowerSummary.PresentStatus.ACPresent", None, QUICK, ONLINE_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.Discharging", None, QUICK, DISCHARGING_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.Charging", None, QUICK, CHARGING_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.BelowRemainingCapacityLimit", None, QUICK, LOWBATT_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.ShutdownImminent", None, QUICK, SHUTDOWNIMM_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.RemainingTimeLimitExpired", None, NONE, TIMELIMITEXPIRED_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.FullyCharged", None, NONE, FULLYCHARGED_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.Overload", None, NONE, OVERLOAD_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.NeedReplacement", None, NONE, REPLACEBATT_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.BatteryPresent", None, NONE, NOBATTERY_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.Boost", None, NONE, BOOST_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.Buck", None, NONE, TRIM_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.OverTemperature", None, NONE, OVERHEAT_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.InternalFailure", None, NONE, COMMFAULT_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.VoltageOutOfRange", None, NONE, VRANGE_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.FrequencyOutOfRange", None, NONE, FRANGE_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.AwaitingPower", None, NONE, AWAITINGPOWER_INFO),
    # some firmware puts the bits straight under PowerSummary, or under Battery
    Row(BOOL, "UPS.PowerSummary.ACPresent", None, QUICK, ONLINE_INFO),
    Row(BOOL, "UPS.PowerSummary.Discharging", None, QUICK, DISCHARGING_INFO),
    Row(BOOL, "UPS.PowerSummary.Charging", None, QUICK, CHARGING_INFO),
    Row(BOOL, "UPS.PowerSummary.BelowRemainingCapacityLimit", None, QUICK, LOWBATT_INFO),
    Row(BOOL, "UPS.PowerSummary.ShutdownImminent", None, QUICK, SHUTDOWNIMM_INFO),
    Row(BOOL, "UPS.Battery.PresentStatus.ACPresent", None, QUICK, ONLINE_INFO),
    Row(BOOL, "UPS.Battery.PresentStatus.Discharging", None, QUICK, DISCHARGING_INFO),
    Row(BOOL, "UPS.Battery.PresentStatus.Charging", None, QUICK, CHARGING_INFO),
    Row(BOOL, "UPS.Battery.PresentStatus.BelowRemainingCapacityLimit", None, QUICK, LOWBATT_INFO),
    Row(BOOL, "UPS.Battery.PresentStatus.NeedReplacement", None, NONE, REPLACEBATT_INFO),
    Row(BOOL, "UPS.PresentStatus.ACPresent", None, QUICK, ONLINE_INFO),
    Row(BOOL, "UPS.PresentStatus.Discharging", None, QUICK, DISCHARGING_INFO),
    Row(BOOL, "UPS.PresentStatus.Charging", None, QUICK, CHARGING_INFO),
    Row(BOOL, "UPS.PresentStatus.BelowRemainingCapacityLimit", None, QUICK, LOWBATT_INFO),
    Row(BOOL, "UPS.PresentStatus.Overload", None, NONE, OVERLOAD_INFO),
    # input
    Row("input.voltage", "UPS.Input.Voltage", "%.1f"),
    Row("input.voltage", "UPS.PowerConverter.Input.Voltage", "%.1f"),
    Row("input.voltage.nominal", "UPS.Input.ConfigVoltage", "%.0f", STATIC),
    Row("input.frequency", "UPS.Input.Frequency", "%.1f"),
    Row("input.frequency", "UPS.PowerConverter.Input.Frequency", "%.1f"),
    Row("input.current", "UPS.Input.Current", "%.2f"),
    Row("input.transfer.low", "UPS.Input.LowVoltageTransfer", "%.0f", RW | STRING | SEMI_STATIC, length=10),
    Row("input.transfer.high", "UPS.Input.HighVoltageTransfer", "%.0f", RW | STRING | SEMI_STATIC, length=10),
    Row("input.transfer.low", "UPS.Output.LowVoltageTransfer", "%.0f", RW | STRING | SEMI_STATIC, length=10),
    Row("input.transfer.high", "UPS.Output.HighVoltageTransfer", "%.0f", RW | STRING | SEMI_STATIC, length=10),
    # output
    Row("output.voltage", "UPS.Output.Voltage", "%.1f"),
    Row("output.voltage", "UPS.PowerConverter.Output.Voltage", "%.1f"),
    Row("output.voltage.nominal", "UPS.Output.ConfigVoltage", "%.0f", STATIC),
    Row("output.frequency", "UPS.Output.Frequency", "%.1f"),
    Row("output.frequency", "UPS.PowerConverter.Output.Frequency", "%.1f"),
    Row("output.frequency.nominal", "UPS.Output.ConfigFrequency", "%.0f", STATIC),
    Row("output.current", "UPS.Output.Current", "%.2f"),
    Row("output.current", "UPS.PowerConverter.Output.Current", "%.2f"),
    # instant commands
    Row("test.battery.start.quick", "UPS.Battery.Test", "1", CMD),
    Row("test.battery.start.deep", "UPS.Battery.Test", "2", CMD),
    Row("test.battery.stop", "UPS.Battery.Test", "3", CMD),
    Row("test.battery.start.quick", "UPS.BatterySystem.Battery.Test", "1", CMD),
    Row("test.battery.start.deep", "UPS.BatterySystem.Battery.Test", "2", CMD),
    Row("test.battery.stop", "UPS.BatterySystem.Battery.Test", "3", CMD),
    Row("load.off.delay", "UPS.PowerSummary.DelayBeforeShutdown", OFFDELAY, CMD),
    Row("load.on.delay", "UPS.PowerSummary.DelayBeforeStartup", ONDELAY, CMD),
    Row("shutdown.stop", "UPS.PowerSummary.DelayBeforeShutdown", "-1", CMD),
    Row("shutdown.reboot", "UPS.PowerSummary.DelayBeforeReboot", "10", CMD),
    Row("load.off.delay", "UPS.Output.DelayBeforeShutdown", OFFDELAY, CMD),
    Row("load.on.delay", "UPS.Output.DelayBeforeStartup", ONDELAY, CMD),
    Row("shutdown.stop", "UPS.Output.DelayBeforeShutdown", "-1", CMD),
    Row("shutdown.reboot", "UPS.Output.DelayBeforeReboot", "10", CMD),
    Row("beeper.enable", "UPS.PowerSummary.AudibleAlarmControl", "2", CMD),
    Row("beeper.disable", "UPS.PowerSummary.AudibleAlarmControl", "1", CMD),
    Row("beeper.mute", "UPS.PowerSummary.AudibleAlarmControl", "3", CMD),
)


def never_by_id(sub: Subdriver, device: DeviceInfo, options: Options) -> Claim | None:
    """The generic table claims no id: the registry offers it devices by descriptor."""
    return None


SUBDRIVER = Subdriver(
    name="Generic HID",
    version="0.1",
    usages=USAGES,
    hid2nut=HID2NUT,
    devices=DEVICES,
    claim=never_by_id,
)
