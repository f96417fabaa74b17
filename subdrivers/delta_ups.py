# ruff: noqa: E501  (hid2nut rows stay one per line, so they can be grepped)
"""Delta Electronics UPSes (VID 05dd, PID 041b: RT and Amplon R single-phase series).

Behaviour follows NUT's delta_ups-hid 0.6. Most vendor usages (page 0xffff) have no
known meaning and carry placeholder names (``DELTA9``...); the named ones give the
transfer-point limits, sensitivity, output source, UPS type and the model string.
Delta/Minuteman PIDs a011 and a0a0 belong to Tripp Lite's subdriver.
"""

from __future__ import annotations

from hidups.device import DeviceInfo
from hidups.hid2nut.lookups import (
    AWAITINGPOWER_INFO,
    BEEPER_INFO,
    BOOST_INFO,
    CHARGING_INFO,
    COMMFAULT_INFO,
    DEPLETED_INFO,
    DISCHARGING_INFO,
    FULLYCHARGED_INFO,
    KELVIN_CELSIUS_CONVERSION,
    LOWBATT_INFO,
    NOBATTERY_INFO,
    OFF_INFO,
    ONLINE_INFO,
    OVERHEAT_INFO,
    OVERLOAD_INFO,
    REPLACEBATT_INFO,
    SHUTDOWNIMM_INFO,
    STRINGID_CONVERSION,
    TEST_READ_INFO,
    TRIM_INFO,
    VRANGE_INFO,
    YES_NO_INFO,
)
from hidups.hid2nut.subdriver import Subdriver, UsbId
from hidups.hid2nut.table import (
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
    Context,
    Convert,
    Row,
    Table,
)
from hidups.usages import UsageTable

DELTA_VENDOR = 0x05DD

USAGES = UsageTable(
    (
        ("DELTA1", 0x00000000),
        ("DELTA2", 0xFF000055),
        ("DeltaCustom", 0xFFFF0010),
        ("DELTA4", 0xFFFF0056),
        ("DeltaConfigTransferLowMax", 0xFFFF0057),
        ("DeltaConfigTransferLowMin", 0xFFFF0058),
        ("DeltaConfigTransferHighMax", 0xFFFF0059),
        ("DeltaConfigTransferHighMin", 0xFFFF005A),
        ("DELTA9", 0xFFFF0060),
        ("DeltaConfigExternalBatteryPack", 0xFFFF0061),
        ("DELTA11", 0xFFFF0062),
        ("DELTA12", 0xFFFF0063),
        ("DELTA13", 0xFFFF0064),
        ("DELTA14", 0xFFFF0065),
        ("DELTA15", 0xFFFF0066),
        ("DELTA16", 0xFFFF0067),
        ("DELTA17", 0xFFFF0068),
        ("DeltaModelName", 0xFFFF0075),  # string index
        ("DELTA19", 0xFFFF0076),
        ("DeltaUPSType", 0xFFFF007C),
        ("DELTA21", 0xFFFF007D),
        ("DeltaConfigStartPowerRestoreDelay", 0xFFFF0081),
        ("DeltaOutputSource", 0xFFFF0091),
        ("DELTA24", 0xFFFF0092),
        ("DELTA25", 0xFFFF0093),
        ("DELTA26", 0xFFFF0094),
        ("DELTA27", 0xFFFF0095),
        ("DELTA28", 0xFFFF0096),
        ("DELTA29", 0xFFFF0097),
        ("DELTA30", 0xFFFF0098),
        ("DELTA31", 0xFFFF0099),
        ("DELTA32", 0xFFFF009A),
        ("DeltaConfigSensitivity", 0xFFFF009B),
        ("DeltaConfigStartPowerRestore", 0xFFFF009C),
    )
)

DEVICES = (UsbId(DELTA_VENDOR, 0x041B, "RT / Amplon R series, 1-3 kVA"),)

DELTA_UPS_SENSITIVITY_INFO = Table(
    "delta_ups_sensitivity_info", ((0, "normal"), (1, "reduced"), (2, "low"))
)
DELTA_UPS_OUTPUT_SOURCE_INFO = Table(
    "delta_ups_output_source_info",
    (
        (0, "normal"),
        (1, "battery"),
        (2, "bypass/reserve"),
        (3, "reducing"),
        (4, "boosting"),
        (5, "manual bypass"),
        (6, "other"),
        (7, "no output"),
        (8, "on eco"),
    ),
)

UPS_TYPES = ("online", "offline", "line-interactive", "3-phase", "split-phase")


def ups_type_to_nut(value: float, ctx: Context) -> str | None:
    """Low nibble of DeltaUPSType: 0 online, 1 or 3 offline, 2 or 4 line-interactive,
    5 3-phase, 6 split-phase; anything else is not published."""
    code = int(value) & 0x0F
    if code == 6:
        code = 4
    elif 2 < code <= 5:
        code -= 2
    if not 0 <= code < len(UPS_TYPES):
        return None
    return UPS_TYPES[code]


DELTA_UPS_TYPE_INFO = Convert("delta_ups_type_info", ups_type_to_nut)

# --- hid2nut --------------------------------------------------------------------------

HID2NUT: tuple[Row, ...] = (
    # input
    Row("input.sensitivity", "UPS.DeltaCustom.[1].DeltaConfigSensitivity", "%s", RW, DELTA_UPS_SENSITIVITY_INFO),
    Row("input.voltage.nominal", "UPS.PowerSummary.Input.ConfigVoltage", "%.1f", SEMI_STATIC),
    Row("input.voltage", "UPS.PowerSummary.Input.Voltage", "%.1f", QUICK),
    Row("input.voltage", "UPS.PowerConverter.Input.Voltage", "%.1f", QUICK),
    Row("input.transfer.low", "UPS.PowerConverter.Output.LowVoltageTransfer", "%.1f", RW),
    Row("input.transfer.high", "UPS.PowerConverter.Output.HighVoltageTransfer", "%.1f", RW),
    Row("input.transfer.low.min", "UPS.PowerConverter.Output.DeltaConfigTransferLowMin", "%.1f", STATIC),
    Row("input.transfer.low.max", "UPS.PowerConverter.Output.DeltaConfigTransferLowMax", "%.1f", STATIC),
    Row("input.transfer.high.min", "UPS.PowerConverter.Output.DeltaConfigTransferHighMin", "%.1f", STATIC),
    Row("input.transfer.high.max", "UPS.PowerConverter.Output.DeltaConfigTransferHighMax", "%.1f", STATIC),
    Row("input.source", "UPS.OutletSystem.Outlet.DeltaOutputSource", "%s", NONE, DELTA_UPS_OUTPUT_SOURCE_INFO),
    Row("input.frequency", "UPS.PowerConverter.Input.Frequency", "%.1f", QUICK),
    # battery
    Row("battery.voltage.nominal", "UPS.BatterySystem.Battery.ConfigVoltage", "%.1f", STATIC),
    Row("battery.voltage", "UPS.BatterySystem.Battery.Voltage", "%.1f", QUICK),
    Row("battery.charge", "UPS.PowerSummary.RemainingCapacity", "%.0f", QUICK),
    Row("battery.charge", "UPS.BatterySystem.Battery.RemainingCapacity", "%.0f"),
    Row("battery.charge.low", "UPS.PowerSummary.RemainingCapacityLimit", "%.0f", RW | STRING | SEMI_STATIC, length=5),
    Row("battery.charge.warning", "UPS.PowerSummary.WarningCapacityLimit", "%.0f", SEMI_STATIC),
    Row("battery.temperature", "UPS.BatterySystem.Temperature", "%s", QUICK, KELVIN_CELSIUS_CONVERSION),
    Row("battery.runtime", "UPS.PowerSummary.RunTimeToEmpty", "%.0f", QUICK),
    Row("battery.type", "UPS.PowerSummary.iDeviceChemistry", "%s", STATIC, STRINGID_CONVERSION),
    Row("battery.capacity", "UPS.PowerSummary.DesignCapacity", "%.0f", SEMI_STATIC),
    Row("battery.capacity", "UPS.PowerSummary.FullChargeCapacity", "%.0f", SEMI_STATIC),
    # output
    Row("output.voltage.nominal", "UPS.Flow.ConfigVoltage", "%.1f", SEMI_STATIC),
    Row("output.frequency.nominal", "UPS.Flow.ConfigFrequency", "%.1f", SEMI_STATIC),
    Row("output.voltage", "UPS.PowerConverter.Output.Voltage", "%.1f", QUICK),
    Row("output.frequency", "UPS.PowerConverter.Output.Frequency", "%.1f", QUICK),
    Row("output.current", "UPS.PowerConverter.Output.Current", "%.1f", QUICK),
    # ups
    Row("ups.beeper.status", "UPS.PowerSummary.AudibleAlarmControl", "%s", QUICK, BEEPER_INFO),
    Row("ups.test.result", "UPS.BatterySystem.Test", "%s", NONE, TEST_READ_INFO),
    Row("ups.type", "UPS.DeltaCustom.[1].DeltaUPSType", "%s", STATIC, DELTA_UPS_TYPE_INFO),
    Row("ups.start.auto", "UPS.DeltaCustom.[1].DeltaConfigStartPowerRestore", "%s", RW, YES_NO_INFO),
    Row("ups.power.nominal", "UPS.Flow.ConfigApparentPower", "%.0f", STATIC),
    Row("ups.realpower", "UPS.OutletSystem.Outlet.ActivePower", "%.1f", QUICK),
    Row("ups.realpower", "UPS.PowerConverter.Output.ActivePower", "%.1f", QUICK),
    Row("ups.load", "UPS.OutletSystem.Outlet.PercentLoad", "%.1f", QUICK),
    Row("ups.delay.start", "UPS.OutletSystem.Outlet.DeltaConfigStartPowerRestoreDelay", "%.0f", RW),
    Row("ups.timer.start", "UPS.OutletSystem.Outlet.DelayBeforeStartup", "%.0f", QUICK),
    Row("ups.timer.shutdown", "UPS.OutletSystem.Outlet.DelayBeforeShutdown", "%.0f", QUICK),
    Row("ups.timer.reboot", "UPS.OutletSystem.Outlet.DelayBeforeReboot", "%.0f", QUICK),
    # status bits
    Row(BOOL, "UPS.PowerSummary.PresentStatus.Good", None, QUICK, OFF_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.InternalFailure", None, QUICK, COMMFAULT_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.ShutdownImminent", None, QUICK, SHUTDOWNIMM_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.ACPresent", None, QUICK, ONLINE_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.BelowRemainingCapacityLimit", None, QUICK, LOWBATT_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.FullyCharged", None, QUICK, FULLYCHARGED_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.Charging", None, QUICK, CHARGING_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.Discharging", None, QUICK, DISCHARGING_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.FullyDischarged", None, QUICK, DEPLETED_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.NeedReplacement", None, QUICK, REPLACEBATT_INFO),
    Row(BOOL, "UPS.PowerConverter.PresentStatus.VoltageOutOfRange", None, QUICK, VRANGE_INFO),
    Row(BOOL, "UPS.PowerConverter.PresentStatus.Buck", None, QUICK, TRIM_INFO),
    Row(BOOL, "UPS.PowerConverter.PresentStatus.Boost", None, QUICK, BOOST_INFO),
    Row(BOOL, "UPS.PowerConverter.PresentStatus.Overload", None, QUICK, OVERLOAD_INFO),
    Row(BOOL, "UPS.PowerConverter.PresentStatus.Used", None, QUICK, NOBATTERY_INFO),
    Row(BOOL, "UPS.PowerConverter.PresentStatus.OverTemperature", None, QUICK, OVERHEAT_INFO),
    Row(BOOL, "UPS.PowerConverter.PresentStatus.InternalFailure", None, QUICK, COMMFAULT_INFO),
    Row(BOOL, "UPS.PowerConverter.PresentStatus.AwaitingPower", None, QUICK, AWAITINGPOWER_INFO),
    # instant commands
    Row("beeper.on", "UPS.PowerSummary.AudibleAlarmControl", "2", CMD),
    Row("beeper.off", "UPS.PowerSummary.AudibleAlarmControl", "3", CMD),
    Row("beeper.enable", "UPS.PowerSummary.AudibleAlarmControl", "2", CMD),
    Row("beeper.disable", "UPS.PowerSummary.AudibleAlarmControl", "1", CMD),
    Row("beeper.mute", "UPS.PowerSummary.AudibleAlarmControl", "3", CMD),
    Row("test.battery.start.quick", "UPS.BatterySystem.Test", "1", CMD),
    Row("test.battery.start.deep", "UPS.BatterySystem.Test", "2", CMD),
    Row("test.battery.stop", "UPS.BatterySystem.Test", "3", CMD),
    Row("load.on.delay", "UPS.OutletSystem.Outlet.DelayBeforeStartup", ONDELAY, CMD),
    Row("load.off.delay", "UPS.OutletSystem.Outlet.DelayBeforeShutdown", OFFDELAY, CMD),
    Row("shutdown.stop", "UPS.OutletSystem.Outlet.DelayBeforeShutdown", "-1", CMD),
    Row("shutdown.reboot", "UPS.OutletSystem.Outlet.DelayBeforeReboot", "10", CMD),
)


MODEL_NAME_PATH = "UPS.DeltaCustom.[1].DeltaModelName"


def format_model(device: DeviceInfo, ctx: Context) -> str | None:
    """The model string the device names through DeltaModelName, else iProduct."""
    index = ctx.value(MODEL_NAME_PATH)
    model = ctx.string(int(index)) if index is not None else None
    return model if model else device.product


def format_mfr(device: DeviceInfo, ctx: Context) -> str | None:
    return device.manufacturer if device.manufacturer is not None else "Delta"


SUBDRIVER = Subdriver(
    name="Delta UPS HID",
    version="0.6",
    usages=USAGES,
    hid2nut=HID2NUT,
    devices=DEVICES,
    format_model=format_model,
    format_mfr=format_mfr,
)
