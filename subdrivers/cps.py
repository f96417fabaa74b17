# ruff: noqa: E501  (hid2nut rows stay one per line, so they can be grepped)
"""CyberPower Systems (VID 0764) and the Cyber Energy units under ST Micro's VID 0483.

Behaviour follows NUT's cps-hid 0.85. Besides its table, CyberPower firmware needs
three kinds of help, all here as small functions:

* report-descriptor fix-ups (0764:0501 and 0764:0601), because several firmwares
  publish logical limits that clip real readings (output voltage limits copied from
  the high transfer point, limits written as signed bytes, a nominal power cap);
* a battery-voltage scale of 2/3 and a frequency scale of 0.1 on 0764:0501, each
  decided once per device from the first plausible reading and kept in ``ctx.state``;
* ``battery.charge`` clamped to 100, which some units overshoot.
"""

from __future__ import annotations

from hidups.descriptor.model import Field, ReportDescriptor
from hidups.device import DeviceInfo
from hidups.hid2nut.lookups import (
    BEEPER_INFO,
    BOOST_INFO,
    CHARGING_INFO,
    DATE_CONVERSION,
    DISCHARGING_INFO,
    FULLYCHARGED_INFO,
    KELVIN_CELSIUS_CONVERSION,
    LOWBATT_INFO,
    ONLINE_INFO,
    OVERLOAD_INFO,
    REPLACEBATT_INFO,
    STRINGID_CONVERSION,
    TEST_READ_INFO,
    TIMELIMITEXPIRED_INFO,
)
from hidups.hid2nut.subdriver import Options, Subdriver, UsbId
from hidups.hid2nut.table import (
    ABSENT,
    BOOL,
    CMD,
    ENUM,
    NONE,
    OFFDELAY_CPS,
    ONDELAY_CPS,
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

CPS_VENDOR = 0x0764
STMICRO_VENDOR = 0x0483

#: The PID whose firmware needs the battery and frequency scale detection.
SCALED_PRODUCT = 0x0501
#: PIDs whose report descriptors get fixed up.
FIXUP_PRODUCTS = (0x0501, 0x0601)

USAGES = UsageTable(
    (
        ("CPSFirmwareVersion", 0xFF0100D0),  # string index
        ("CPSInputSensitivity", 0xFF010043),
    )
)

DEVICES = (
    UsbId(CPS_VENDOR, 0x0005, "900AVR/BC900D"),
    UsbId(CPS_VENDOR, 0x0501, "CP1500 and most consumer units; scales detected"),
    UsbId(CPS_VENDOR, 0x0601, "OR/PR rack units, CP1350EPFCLCD"),
    UsbId(STMICRO_VENDOR, 0xA430, "Cyber Energy (CPS OEM)"),
)

#: Above this ratio of battery voltage to its nominal, readings are taken as 3/2 too high.
BATTERY_RATIO_LIMIT = 1.4

# --- conversions ----------------------------------------------------------------------


def _number(text: str | None) -> float:
    """A published variable as a number; 0 when missing or not numeric (as strtod)."""
    if not text:
        return 0.0
    try:
        return float(text.split()[0])
    except (ValueError, IndexError):
        return 0.0


def battery_scale(value: float, ctx: Context) -> float:
    """The battery-voltage factor for this device, deciding it once when possible.

    Only 0764:0501 is checked, and only once ``battery.voltage.nominal`` is known and
    not zero; until then readings pass unscaled and the check is tried again.
    """
    state = ctx.state
    if "cps.battery_scale" in state:
        return float(state["cps.battery_scale"])
    if ctx.device.vendor_id != CPS_VENDOR or ctx.device.product_id != SCALED_PRODUCT:
        state["cps.battery_scale"] = 1.0
        return 1.0
    nominal = _number(ctx.get("battery.voltage.nominal"))
    if nominal == 0:
        return 1.0
    scale = 2.0 / 3 if value / nominal > BATTERY_RATIO_LIMIT else 1.0
    state["cps.battery_scale"] = scale
    return scale


def battery_voltage_to_nut(value: float, ctx: Context) -> str | None:
    return "%.1f" % (battery_scale(value, ctx) * value)


def _guess_nominal(low: float, high: float, reading: float) -> float:
    """50 or 60 Hz from the configured limits, else from the reading (Hz or 0.1 Hz)."""
    if 45 < low <= 50 or 50 <= high <= 55 or 45 < reading <= 55 or 450 < reading <= 550:
        return 50.0
    if 55 < low <= 60 or 60 <= high <= 65 or 55 < reading <= 65 or 550 < reading <= 650:
        return 60.0
    return 0.0


def frequency_scale(value: float, ctx: Context, direction: str) -> float:
    """The factor (1 or 0.1) for ``input``/``output`` frequency, decided once.

    The window is the published ``<dir>.frequency.low/high`` when present, else the
    nominal ±5 %, else 45..65 Hz. A reading inside it means factor 1; a reading
    ten times too large means 0.1; anything else stays undecided (reported as is).
    """
    key = f"cps.{direction}_freq_scale"
    state = ctx.state
    if key in state:
        return float(state[key])
    if ctx.device.vendor_id != CPS_VENDOR or ctx.device.product_id != SCALED_PRODUCT:
        state[key] = 1.0
        return 1.0
    nominal = _number(ctx.get(f"{direction}.frequency.nominal"))
    low = _number(ctx.get(f"{direction}.frequency.low"))
    high = _number(ctx.get(f"{direction}.frequency.high"))
    if nominal == 0:
        nominal = _guess_nominal(low, high, value)
    if low == 0:
        low = 45.0 if nominal == 0 else nominal * 0.95
    if high == 0:
        high = 65.0 if nominal == 0 else nominal * 1.05
    if low <= value <= high:
        state[key] = 1.0
    elif low <= value / 10.0 <= high:
        state[key] = 0.1
    else:
        return 1.0
    return float(state[key])


def input_frequency_to_nut(value: float, ctx: Context) -> str | None:
    return "%.1f" % (frequency_scale(value, ctx, "input") * value)


def output_frequency_to_nut(value: float, ctx: Context) -> str | None:
    return "%.1f" % (frequency_scale(value, ctx, "output") * value)


def battery_charge_to_nut(value: float, ctx: Context) -> str | None:
    """Charge in %, never above 100 (some units report 101..110 when full)."""
    return "%.0f" % min(value, 100.0)


def battery_status_to_nut(value: float, ctx: Context) -> str | None:
    """``FullChargeCapacity`` (a percentage on these units) as ``"NN%"``."""
    return "%.0f%%" % value


CPS_BATTVOLT = Convert("cps_battvolt", battery_voltage_to_nut)
CPS_INPUT_FREQ = Convert("cps_input_freq", input_frequency_to_nut)
CPS_OUTPUT_FREQ = Convert("cps_output_freq", output_frequency_to_nut)
CPS_BATTCHARGE = Convert("cps_battcharge", battery_charge_to_nut)
CPS_BATTSTATUS = Convert("cps_battstatus", battery_status_to_nut)
CPS_SENSITIVITY_INFO = Table("cps_sensitivity_info", ((0, "low"), (1, "normal"), (2, "high")))

# --- hid2nut --------------------------------------------------------------------------

HID2NUT: tuple[Row, ...] = (
    # battery
    Row("battery.type", "UPS.PowerSummary.iDeviceChemistry", "%s", NONE, STRINGID_CONVERSION),
    Row("battery.mfr.date", "UPS.Battery.ManufacturerDate", "%s", RW | STRING | SEMI_STATIC, DATE_CONVERSION, length=10),
    Row("battery.mfr.date", "UPS.PowerSummary.iOEMInformation", "%s", NONE, STRINGID_CONVERSION),
    Row("battery.charge.warning", "UPS.PowerSummary.WarningCapacityLimit", "%.0f"),
    Row("battery.charge.low", "UPS.PowerSummary.RemainingCapacityLimit", "%.0f", RW | STRING | SEMI_STATIC, length=10),
    Row("battery.charge", "UPS.PowerSummary.RemainingCapacity", "%s", NONE, CPS_BATTCHARGE),
    Row("battery.runtime", "UPS.PowerSummary.RunTimeToEmpty", "%.0f"),
    Row("battery.runtime.low", "UPS.PowerSummary.RemainingTimeLimit", "%.0f", RW | STRING | SEMI_STATIC, length=10),
    Row("battery.voltage.nominal", "UPS.PowerSummary.ConfigVoltage", "%.0f"),
    Row("battery.voltage", "UPS.PowerSummary.Voltage", "%s", NONE, CPS_BATTVOLT),
    Row("battery.status", "UPS.PowerSummary.FullChargeCapacity", "%s", NONE, CPS_BATTSTATUS),
    # ups
    Row("ups.load", "UPS.Output.PercentLoad", "%.0f"),
    Row("ups.beeper.status", "UPS.PowerSummary.AudibleAlarmControl", "%s", NONE, BEEPER_INFO),
    Row("ups.test.result", "UPS.Output.Test", "%s", NONE, TEST_READ_INFO),
    Row("ups.power", "UPS.Output.ApparentPower", "%.0f"),
    Row("ups.power.nominal", "UPS.Output.ConfigApparentPower", "%.0f"),
    Row("ups.realpower", "UPS.Output.ActivePower", "%.0f"),
    Row("ups.realpower.nominal", "UPS.Output.ConfigActivePower", "%.0f"),
    Row("ups.delay.start", "UPS.Output.DelayBeforeStartup", ONDELAY_CPS, RW | STRING | ABSENT, length=10),
    Row("ups.delay.shutdown", "UPS.Output.DelayBeforeShutdown", OFFDELAY_CPS, RW | STRING | ABSENT, length=10),
    Row("ups.timer.start", "UPS.Output.DelayBeforeStartup", "%.0f", QUICK),
    Row("ups.timer.shutdown", "UPS.Output.DelayBeforeShutdown", "%.0f", QUICK),
    Row("ups.timer.reboot", "UPS.Output.DelayBeforeReboot", "%.0f", QUICK),
    Row("ups.firmware", "UPS.PowerSummary.CPSFirmwareVersion", "%s", STATIC, STRINGID_CONVERSION),
    Row("ups.temperature", "UPS.PowerSummary.Temperature", "%s", NONE, KELVIN_CELSIUS_CONVERSION),
    # status bits
    Row(BOOL, "UPS.PowerSummary.PresentStatus.ACPresent", None, QUICK, ONLINE_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.Charging", None, QUICK, CHARGING_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.Discharging", None, QUICK, DISCHARGING_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.BelowRemainingCapacityLimit", None, QUICK, LOWBATT_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.FullyCharged", None, NONE, FULLYCHARGED_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.RemainingTimeLimitExpired", None, NONE, TIMELIMITEXPIRED_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.NeedReplacement", None, NONE, REPLACEBATT_INFO),
    Row(BOOL, "UPS.Output.Boost", None, NONE, BOOST_INFO),
    Row(BOOL, "UPS.Output.Overload", None, NONE, OVERLOAD_INFO),
    # input
    Row("input.frequency", "UPS.Input.Frequency", "%.1f", NONE, CPS_INPUT_FREQ),
    Row("input.voltage.nominal", "UPS.Input.ConfigVoltage", "%.0f"),
    Row("input.voltage", "UPS.Input.Voltage", "%.1f"),
    Row("input.transfer.low", "UPS.Input.LowVoltageTransfer", "%.0f", RW | STRING | SEMI_STATIC, length=10),
    Row("input.transfer.high", "UPS.Input.HighVoltageTransfer", "%.0f", RW | STRING | SEMI_STATIC, length=10),
    # CP1350EPFCLCD keeps its transfer points under Output
    Row("input.transfer.low", "UPS.Output.LowVoltageTransfer", "%.0f", RW | STRING | SEMI_STATIC, length=10),
    Row("input.transfer.high", "UPS.Output.HighVoltageTransfer", "%.0f", RW | STRING | SEMI_STATIC, length=10),
    Row("input.sensitivity", "UPS.Output.CPSInputSensitivity", "%s", RW | STRING | SEMI_STATIC | ENUM, CPS_SENSITIVITY_INFO),
    # output
    Row("output.frequency", "UPS.Output.Frequency", "%.1f", NONE, CPS_OUTPUT_FREQ),
    Row("output.voltage", "UPS.Output.Voltage", "%.1f"),
    Row("output.voltage.nominal", "UPS.Output.ConfigVoltage", "%.0f"),
    # instant commands
    Row("test.battery.start.quick", "UPS.Output.Test", "1", CMD),
    Row("test.battery.start.deep", "UPS.Output.Test", "2", CMD),
    Row("test.battery.stop", "UPS.Output.Test", "3", CMD),
    Row("load.off.delay", "UPS.Output.DelayBeforeShutdown", OFFDELAY_CPS, CMD),
    Row("load.on.delay", "UPS.Output.DelayBeforeStartup", ONDELAY_CPS, CMD),
    Row("shutdown.stop", "UPS.Output.DelayBeforeShutdown", "-1", CMD),
    Row("shutdown.reboot", "UPS.Output.DelayBeforeReboot", "10", CMD),
    Row("beeper.on", "UPS.PowerSummary.AudibleAlarmControl", "2", CMD),
    Row("beeper.off", "UPS.PowerSummary.AudibleAlarmControl", "3", CMD),
    Row("beeper.enable", "UPS.PowerSummary.AudibleAlarmControl", "2", CMD),
    Row("beeper.disable", "UPS.PowerSummary.AudibleAlarmControl", "1", CMD),
    Row("beeper.mute", "UPS.PowerSummary.AudibleAlarmControl", "3", CMD),
)

# --- report descriptor fix-ups ----------------------------------------------------------

USAGE_VOLTAGE = 0x00840030
USAGE_HIGH_VOLTAGE_TRANSFER = 0x00840054
USAGE_CONFIG_ACTIVE_POWER = 0x00840044

REPORT_INPUT_VOLTAGE = 0x0F
REPORT_HIGH_TRANSFER = 0x10
REPORT_OUTPUT_VOLTAGE = 0x12
REPORT_CONFIG_ACTIVE_POWER = 0x18

VOLTAGE_LOGMIN = 0
VOLTAGE_LOGMAX = 511  # above any mains voltage, with margin
NOMINAL_POWER_LOGMAX = 2048


def field_by_id_node(desc: ReportDescriptor, report_id: int, usage: int) -> Field | None:
    """The first field of any type in ``report_id`` whose own usage is ``usage``.

    NUT's ``FindObject_with_ID_Node``: fix-ups name fields by report and usage, not
    by path, because the firmware bugs they repair sit at fixed report ids.
    """
    for item in desc.fields:
        if item.report_id == report_id and item.usage == usage:
            return item
    return None


def _fix_copied_limits(desc: ReportDescriptor) -> list[str]:
    """Output (and input) voltage limits that merely repeat the high-transfer limits."""
    hvt = field_by_id_node(desc, REPORT_HIGH_TRANSFER, USAGE_HIGH_VOLTAGE_TRANSFER)
    output = field_by_id_node(desc, REPORT_OUTPUT_VOLTAGE, USAGE_VOLTAGE)
    if hvt is None or output is None:
        return []
    limits = (hvt.logical_min, hvt.logical_max)
    if (output.logical_min, output.logical_max) != limits:
        return []
    changes = [
        f"report 0x12 Voltage: logical limits {output.logical_min}..{output.logical_max} "
        f"(copied from HighVoltageTransfer) -> {VOLTAGE_LOGMIN}..{VOLTAGE_LOGMAX}"
    ]
    output.logical_min, output.logical_max = VOLTAGE_LOGMIN, VOLTAGE_LOGMAX
    source = field_by_id_node(desc, REPORT_INPUT_VOLTAGE, USAGE_VOLTAGE)
    if source is not None and (source.logical_min, source.logical_max) == limits:
        changes.append(
            f"report 0x0f Voltage: logical limits {source.logical_min}..{source.logical_max} "
            f"(copied from HighVoltageTransfer) -> {VOLTAGE_LOGMIN}..{VOLTAGE_LOGMAX}"
        )
        source.logical_min, source.logical_max = VOLTAGE_LOGMIN, VOLTAGE_LOGMAX
    return changes


def _size_cap(item: Field, logmax: int) -> int:
    """Cap a re-read LogMax at what the field's bits can hold (for sizes above 1)."""
    if 1 < item.size <= 64:
        return min(logmax, (1 << item.size) - 1)
    return logmax


def _fix_assumed_maxima(desc: ReportDescriptor) -> list[str]:
    """Voltage maxima the parser had to re-read as unsigned (NUT issue #1512).

    Raise each re-read maximum to at least 511, align it with the other voltage,
    then cap it at the field's bit width.
    """
    output = field_by_id_node(desc, REPORT_OUTPUT_VOLTAGE, USAGE_VOLTAGE)
    source = field_by_id_node(desc, REPORT_INPUT_VOLTAGE, USAGE_VOLTAGE)
    if output is None or source is None:
        return []
    if not (output.assumed_logmax or source.assumed_logmax):
        return []
    out_max, in_max = output.logical_max, source.logical_max
    if output.assumed_logmax and out_max < VOLTAGE_LOGMAX:
        out_max = VOLTAGE_LOGMAX
    if source.assumed_logmax and in_max < VOLTAGE_LOGMAX:
        in_max = VOLTAGE_LOGMAX
    if output.assumed_logmax and out_max < in_max:
        out_max = in_max
    elif source.assumed_logmax and in_max < out_max:
        in_max = out_max
    if source.assumed_logmax:
        in_max = _size_cap(source, in_max)
    if output.assumed_logmax:
        out_max = _size_cap(output, out_max)
    changes = []
    if in_max != source.logical_max:
        changes.append(f"report 0x0f Voltage: logical maximum {source.logical_max} -> {in_max}")
        source.logical_max = in_max
    if out_max != output.logical_max:
        changes.append(f"report 0x12 Voltage: logical maximum {output.logical_max} -> {out_max}")
        output.logical_max = out_max
    return changes


def _fix_nominal_power(desc: ReportDescriptor) -> list[str]:
    """A ConfigActivePower maximum that clips the real nominal power (NUT issue #2917)."""
    power = field_by_id_node(desc, REPORT_CONFIG_ACTIVE_POWER, USAGE_CONFIG_ACTIVE_POWER)
    if power is None or power.logical_max >= NOMINAL_POWER_LOGMAX:
        return []
    line = (f"report 0x18 ConfigActivePower: logical maximum {power.logical_max} -> "
            f"{NOMINAL_POWER_LOGMAX}")
    power.logical_max = NOMINAL_POWER_LOGMAX
    return [line]


def fix_report_desc(device: DeviceInfo, desc: ReportDescriptor, options: Options) -> list[str]:
    """Apply the three CyberPower fix-ups, in NUT's order, on 0764:0501/0601 only."""
    if device.vendor_id != CPS_VENDOR or device.product_id not in FIXUP_PRODUCTS:
        return []
    if "disable_fix_report_desc" in options:
        return []
    return _fix_copied_limits(desc) + _fix_assumed_maxima(desc) + _fix_nominal_power(desc)


# --- identity -------------------------------------------------------------------------


def format_mfr(device: DeviceInfo, ctx: Context) -> str | None:
    return device.manufacturer if device.manufacturer is not None else "CPS"


SUBDRIVER = Subdriver(
    name="CyberPower HID",
    version="0.85",
    usages=USAGES,
    hid2nut=HID2NUT,
    devices=DEVICES,
    format_mfr=format_mfr,
    fix_report_desc=fix_report_desc,
    defaults={"offdelay": OFFDELAY_CPS, "ondelay": ONDELAY_CPS, "pollfreq": "12"},
)
