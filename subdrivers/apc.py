# ruff: noqa: E501  (hid2nut rows stay one per line, so they can be grepped)
"""APC subdriver (NUT's ``apc-hid.c``, "APC HID 0.101"): Back-UPS and Smart-UPS over USB.

APC puts its own usages on page 0xFF86, plus four oddly placed ones on the reserved
pages 0x85/0x86 ("BUP" = Back-UPS Pro). The table below is NUT's hid2nut table row
for row; the logic NUT hides in look-up callbacks lives in small named functions:
APC's hex-as-decimal battery dates, the line-fail cause, the product-string split
into model and firmware, and the Back-UPS XS 1400U descriptor fix-up.
"""

from __future__ import annotations

import re

from hidups.descriptor.model import Field, ReportDescriptor
from hidups.device import DeviceInfo
from hidups.hid2nut.lookups import (
    BEEPER_INFO,
    CHARGING_INFO,
    DATE_CONVERSION,
    DISCHARGING_INFO,
    KELVIN_CELSIUS_CONVERSION,
    LOWBATT_INFO,
    NOBATTERY_INFO,
    ONLINE_INFO,
    OVERLOAD_INFO,
    REPLACEBATT_INFO,
    SHUTDOWNIMM_INFO,
    STRINGID_CONVERSION,
    TEST_READ_INFO,
    TIMELIMITEXPIRED_INFO,
)
from hidups.hid2nut.subdriver import Claim, Options, Subdriver, UsbId, claim_by_table
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
    Convert,
    Row,
    Table,
)
from hidups.usages import UsageTable

APC_VENDOR = 0x051D

# --- vendor usages ----------------------------------------------------------------------

USAGES = UsageTable(
    (
        ("APCGeneralCollection", 0xFF860005),
        ("APCEnvironment", 0xFF860006),
        ("APCProbe1", 0xFF860007),
        ("APCProbe2", 0xFF860008),
        ("APCBattReplaceDate", 0xFF860016),
        ("APCBattCapBeforeStartup", 0xFF860019),
        ("APC_UPS_FirmwareRevision", 0xFF860042),
        ("APCLineFailCause", 0xFF860052),
        ("APCStatusFlag", 0xFF860060),
        ("APCSensitivity", 0xFF860061),
        ("APCPanelTest", 0xFF860072),
        ("APCShutdownAfterDelay", 0xFF860076),
        ("APC_USB_FirmwareRevision", 0xFF860079),
        ("APCDelayBeforeReboot", 0xFF86007C),
        ("APCDelayBeforeShutdown", 0xFF86007D),
        ("APCDelayBeforeStartup", 0xFF86007E),
        # Back-UPS Pro usages, placed by APC on the reserved pages 0x85 and 0x86.
        ("BUPHibernate", 0x00850058),
        ("BUPBattCapBeforeStartup", 0x00860012),
        ("BUPDelayBeforeStartup", 0x00860076),
        ("BUPSelfTest", 0x00860010),
    )
)

# --- conversions ------------------------------------------------------------------------


def _two_digits(nibbles: int) -> int:
    """Two hex nibbles read as decimal digits: 0x22 → 22."""
    return ((nibbles >> 4) & 0x0F) * 10 + (nibbles & 0x0F)


def apc_date_to_nut(value: float, ctx: Context) -> str | None:
    """APC's date ``0xMMDDYY`` with decimal digits as hex nibbles → ``YYYY/MM/DD``.

    0x102202 is 2002/10/22; years 70..99 are 19xx, 00..69 are 20xx; 0 is "not set".
    """
    packed = int(value)
    if packed == 0:
        return "not set"
    year = _two_digits(packed & 0xFF)
    day = _two_digits((packed >> 8) & 0xFF)
    month = _two_digits((packed >> 16) & 0xFF)
    year += 1900 if year >= 70 else 2000
    return f"{year:04d}/{month:02d}/{day:02d}"


_APC_DATE = re.compile(r"\s*(\d{1,4})/(\d{1,2})/(\d{1,2})")


def _nibbles(number: int) -> int:
    """A number below 100 as two decimal digits in two nibbles: 22 → 0x22."""
    return ((number // 10) << 4) | (number % 10)


def apc_date_to_hid(text: str, ctx: Context) -> float | None:
    """``YYYY/MM/DD`` → APC's ``0xMMDDYY``; ``None`` for text that is not such a date.

    NUT writes 0 for an out-of-range date (year >= 2070, month > 12, day > 31) and
    reads garbage for text that is no date; we refuse both (docs/differences.md).
    """
    m = _APC_DATE.match(text)
    if m is None:
        return None
    year, month, day = (int(g) for g in m.groups())
    if year >= 2070 or not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    return float((_nibbles(month) << 16) | (_nibbles(day) << 8) | _nibbles(year % 100))


APC_DATE_CONVERSION = Convert("apc_date_conversion", apc_date_to_nut, apc_date_to_hid)

#: Seen on a Back-UPS LS 500: 8 in normal operation, 16 briefly at power-on.
APCSTATUSFLAG_INFO = Table("apcstatusflag_info", ((8, "!off"), (16, "!off"), (0, "off")))

#: Why the UPS last went to battery (codes as apcupsd documents them): low or high
#: line voltage, notch, spike or blackout → the voltage is out of range; 0 = none yet.
APC_LINEFAILCAUSE_VRANGE_INFO = Table(
    "apc_linefailcause_vrange_info",
    ((1, "vrange"), (2, "vrange"), (4, "vrange"), (8, "vrange"), (9, "vrange"), (0, "!vrange")),
)
#: ... and 7 means the input frequency was out of range.
APC_LINEFAILCAUSE_FRANGE_INFO = Table(
    "apc_linefailcause_frange_info", ((7, "frange"), (0, "!frange"))
)

APC_SENSITIVITY_INFO = Table("apc_sensitivity_info", ((0, "low"), (1, "medium"), (2, "high")))

# --- the hid2nut table --------------------------------------------------------------------

HID2NUT: tuple[Row, ...] = (
    # battery
    Row("battery.charge", "UPS.PowerSummary.RemainingCapacity", "%.0f"),
    Row("battery.charge.low", "UPS.PowerSummary.RemainingCapacityLimit", "%.0f", RW | STRING | SEMI_STATIC, length=10),
    Row("battery.charge.warning", "UPS.PowerSummary.WarningCapacityLimit", "%.0f"),
    Row("battery.runtime", "UPS.Battery.RunTimeToEmpty", "%.0f"),
    Row("battery.runtime", "UPS.PowerSummary.RunTimeToEmpty", "%.0f"),
    Row("battery.runtime.low", "UPS.Battery.RemainingTimeLimit", "%.0f", RW | STRING | SEMI_STATIC, length=10),
    Row("battery.runtime.low", "UPS.PowerSummary.RemainingTimeLimit", "%.0f", RW | STRING | SEMI_STATIC, length=10),
    Row("battery.voltage", "UPS.Battery.Voltage", "%.1f"),
    Row("battery.voltage", "UPS.PowerSummary.Voltage", "%.1f"),
    Row("battery.voltage.nominal", "UPS.Battery.ConfigVoltage", "%.1f"),
    Row("battery.voltage.nominal", "UPS.PowerSummary.ConfigVoltage", "%.1f"),
    Row("battery.temperature", "UPS.Battery.Temperature", "%s", NONE, KELVIN_CELSIUS_CONVERSION),
    Row("battery.type", "UPS.PowerSummary.iDeviceChemistry", "%s", NONE, STRINGID_CONVERSION),
    Row("battery.mfr.date", "UPS.Battery.ManufacturerDate", "%s", RW | STRING | SEMI_STATIC, DATE_CONVERSION, length=10),
    Row("battery.mfr.date", "UPS.PowerSummary.APCBattReplaceDate", "%s", NONE, APC_DATE_CONVERSION),
    Row("battery.date", "UPS.Battery.APCBattReplaceDate", "%s", NONE, APC_DATE_CONVERSION),
    # ups
    Row("ups.load", "UPS.Output.PercentLoad", "%.1f"),
    Row("ups.load", "UPS.PowerConverter.PercentLoad", "%.0f"),
    # delays and timers: the PDC paths, then Smart-UPS RM (Output), then Back-UPS ES (APC collection)
    Row("ups.delay.start", "UPS.PowerSummary.DelayBeforeStartup", ONDELAY, RW | STRING | ABSENT, length=10),
    Row("ups.delay.shutdown", "UPS.PowerSummary.DelayBeforeShutdown", OFFDELAY, RW | STRING | ABSENT, length=10),
    Row("ups.timer.start", "UPS.PowerSummary.DelayBeforeStartup", "%.0f", QUICK),
    Row("ups.timer.shutdown", "UPS.PowerSummary.DelayBeforeShutdown", "%.0f", QUICK),
    Row("ups.timer.reboot", "UPS.PowerSummary.DelayBeforeReboot", "%.0f", QUICK),
    Row("ups.delay.start", "UPS.Output.DelayBeforeStartup", ONDELAY, RW | STRING | ABSENT, length=10),
    Row("ups.delay.shutdown", "UPS.Output.DelayBeforeShutdown", OFFDELAY, RW | STRING | ABSENT, length=10),
    Row("ups.timer.start", "UPS.Output.DelayBeforeStartup", "%.0f", QUICK),
    Row("ups.timer.shutdown", "UPS.Output.DelayBeforeShutdown", "%.0f", QUICK),
    Row("ups.timer.reboot", "UPS.Output.DelayBeforeReboot", "%.0f", QUICK),
    Row("ups.delay.start", "UPS.APCGeneralCollection.APCDelayBeforeStartup", ONDELAY, RW | STRING | ABSENT, length=10),
    Row("ups.delay.shutdown", "UPS.APCGeneralCollection.APCDelayBeforeShutdown", OFFDELAY, RW | STRING | ABSENT, length=10),
    Row("ups.timer.start", "UPS.APCGeneralCollection.APCDelayBeforeStartup", "%.0f", QUICK),
    Row("ups.timer.shutdown", "UPS.APCGeneralCollection.APCDelayBeforeShutdown", "%.0f", QUICK),
    Row("ups.timer.reboot", "UPS.APCGeneralCollection.APCDelayBeforeReboot", "%.0f", QUICK),
    Row("ups.test.result", "UPS.Battery.Test", "%s", NONE, TEST_READ_INFO),
    Row("ups.beeper.status", "UPS.PowerSummary.AudibleAlarmControl", "%s", NONE, BEEPER_INFO),
    Row("ups.mfr.date", "UPS.ManufacturerDate", "%s", NONE, DATE_CONVERSION),
    Row("ups.mfr.date", "UPS.PowerSummary.ManufacturerDate", "%s", NONE, DATE_CONVERSION),
    Row("ups.realpower.nominal", "UPS.PowerConverter.ConfigActivePower", "%.0f"),
    Row("ups.realpower.nominal", "UPS.Output.ConfigActivePower", "%.0f"),
    # status bits
    Row(BOOL, "UPS.PowerSummary.PresentStatus.ACPresent", None, QUICK, ONLINE_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.Discharging", None, QUICK, DISCHARGING_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.Charging", None, QUICK, CHARGING_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.ShutdownImminent", None, NONE, SHUTDOWNIMM_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.BelowRemainingCapacityLimit", None, QUICK, LOWBATT_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.Overload", None, NONE, OVERLOAD_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.NeedReplacement", None, NONE, REPLACEBATT_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.RemainingTimeLimitExpired", None, NONE, TIMELIMITEXPIRED_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.BatteryPresent", None, NONE, NOBATTERY_INFO),
    # Back-UPS 500 and LS 500 keep the bits directly under PowerSummary
    Row(BOOL, "UPS.PowerSummary.Charging", None, QUICK, CHARGING_INFO),
    Row(BOOL, "UPS.PowerSummary.Discharging", None, QUICK, DISCHARGING_INFO),
    Row(BOOL, "UPS.PowerSummary.ACPresent", None, QUICK, ONLINE_INFO),
    Row(BOOL, "UPS.PowerSummary.BelowRemainingCapacityLimit", None, QUICK, LOWBATT_INFO),
    Row(BOOL, "UPS.PowerSummary.ShutdownImminent", None, NONE, SHUTDOWNIMM_INFO),
    Row(BOOL, "UPS.PowerSummary.APCStatusFlag", None, QUICK, APCSTATUSFLAG_INFO),
    # one cause, two rows: each clears its own bit when the cause is 0
    Row(BOOL, "UPS.Input.APCLineFailCause", None, NONE, APC_LINEFAILCAUSE_VRANGE_INFO),
    Row(BOOL, "UPS.Input.APCLineFailCause", None, NONE, APC_LINEFAILCAUSE_FRANGE_INFO),
    # input (Back-UPS RS keeps the transfer points under Input)
    Row("input.voltage", "UPS.Input.Voltage", "%.1f"),
    Row("input.voltage.nominal", "UPS.Input.ConfigVoltage", "%.0f"),
    Row("input.transfer.low", "UPS.Output.LowVoltageTransfer", "%.0f", RW | STRING | SEMI_STATIC, length=10),
    Row("input.transfer.high", "UPS.Output.HighVoltageTransfer", "%.0f", RW | STRING | SEMI_STATIC, length=10),
    Row("input.transfer.low", "UPS.Input.LowVoltageTransfer", "%.0f", RW | STRING | SEMI_STATIC, length=10),
    Row("input.transfer.high", "UPS.Input.HighVoltageTransfer", "%.0f", RW | STRING | SEMI_STATIC, length=10),
    Row("input.sensitivity", "UPS.Input.APCSensitivity", "%s", RW | STRING | SEMI_STATIC, APC_SENSITIVITY_INFO, length=10),
    # output
    Row("output.voltage", "UPS.Output.Voltage", "%.1f"),
    Row("output.voltage.nominal", "UPS.Output.ConfigVoltage", "%.1f"),
    Row("output.current", "UPS.Output.Current", "%.2f"),
    Row("output.frequency", "UPS.Output.Frequency", "%.1f"),
    # environment probe
    Row("ambient.temperature", "UPS.APCEnvironment.APCProbe1.Temperature", "%s", NONE, KELVIN_CELSIUS_CONVERSION),
    Row("ambient.humidity", "UPS.APCEnvironment.APCProbe1.Humidity", "%.1f"),
    # instant commands
    Row("test.battery.start.quick", "UPS.BatterySystem.Battery.Test", "1", CMD),
    Row("test.battery.start.quick", "UPS.Battery.Test", "1", CMD),
    Row("test.battery.start.deep", "UPS.BatterySystem.Battery.Test", "2", CMD),
    Row("test.battery.start.deep", "UPS.Battery.Test", "2", CMD),
    Row("test.battery.stop", "UPS.BatterySystem.Battery.Test", "3", CMD),
    Row("test.battery.stop", "UPS.Battery.Test", "3", CMD),
    Row("test.panel.start", "UPS.APCPanelTest", "1", CMD),
    Row("test.panel.stop", "UPS.APCPanelTest", "0", CMD),
    Row("test.panel.start", "UPS.PowerSummary.APCPanelTest", "1", CMD),
    Row("test.panel.stop", "UPS.PowerSummary.APCPanelTest", "0", CMD),
    Row("load.off.delay", "UPS.PowerSummary.DelayBeforeShutdown", OFFDELAY, CMD),
    Row("load.on.delay", "UPS.PowerSummary.DelayBeforeStartup", ONDELAY, CMD),
    Row("shutdown.stop", "UPS.PowerSummary.DelayBeforeShutdown", "-1", CMD),
    Row("shutdown.reboot", "UPS.PowerSummary.DelayBeforeReboot", "10", CMD),
    Row("load.off.delay", "UPS.Output.DelayBeforeShutdown", OFFDELAY, CMD),
    Row("load.on.delay", "UPS.Output.DelayBeforeStartup", ONDELAY, CMD),
    Row("shutdown.stop", "UPS.Output.DelayBeforeShutdown", "-1", CMD),
    Row("shutdown.reboot", "UPS.Output.DelayBeforeReboot", "10", CMD),
    Row("load.off.delay", "UPS.APCGeneralCollection.APCDelayBeforeShutdown", OFFDELAY, CMD),
    Row("load.on.delay", "UPS.APCGeneralCollection.APCDelayBeforeStartup", ONDELAY, CMD),
    Row("shutdown.stop", "UPS.APCGeneralCollection.APCDelayBeforeShutdown", "-1", CMD),
    Row("shutdown.reboot", "UPS.APCGeneralCollection.APCDelayBeforeReboot", "10", CMD),
    # Back-UPS CS: a table row that pre-empts the composite shutdown.return
    Row("shutdown.return", "UPS.Output.APCDelayBeforeReboot", "1", CMD),
    Row("beeper.on", "UPS.PowerSummary.AudibleAlarmControl", "2", CMD),
    Row("beeper.off", "UPS.PowerSummary.AudibleAlarmControl", "3", CMD),
    Row("beeper.enable", "UPS.PowerSummary.AudibleAlarmControl", "2", CMD),
    Row("beeper.disable", "UPS.PowerSummary.AudibleAlarmControl", "1", CMD),
    Row("beeper.mute", "UPS.PowerSummary.AudibleAlarmControl", "3", CMD),
)

# --- identity: model, firmware, manufacturer ------------------------------------------


def split_product(product: str | None) -> tuple[str, str | None, str | None]:
    """Split APC's iProduct into (model, ``ups.firmware``, ``ups.firmware.aux``).

    APC appends firmware versions to the product string:
    ``"Back-UPS XS 1400U FW:926.T1 .I USB FW:T1"`` → model ``"Back-UPS XS 1400U"``,
    firmware ``"926.T1 .I"``, aux ``"T1"``. Like NUT, the character just before each
    marker (normally a space) is dropped with it.
    """
    text = product if product is not None else "unknown"
    at = text.find("FW:")
    if at < 0:
        return text, None, None
    model = text[: max(at - 1, 0)]
    firmware = text[at + len("FW:") :]
    aux = None
    usb_at = firmware.find("USB FW:")
    if usb_at >= 0:
        aux = firmware[usb_at + len("USB FW:") :]
        firmware = firmware[: max(usb_at - 1, 0)]
    return model, firmware, aux


def apc_format_model(device: DeviceInfo, ctx: Context) -> str | None:
    """``ups.model`` from iProduct; the firmware parts are published beside it."""
    model, firmware, aux = split_product(device.product)
    if firmware is not None:
        ctx.publish("ups.firmware", firmware)
    if aux is not None:
        ctx.publish("ups.firmware.aux", aux)
    return model


def apc_format_mfr(device: DeviceInfo, ctx: Context) -> str | None:
    return device.manufacturer if device.manufacturer is not None else "APC"


#: Back-UPS models whose firmware overflows some reports: NUT then asks for whole
#: buffers (its ``maxreport`` flag).
MAX_REPORT_PRODUCTS = ("Back-UPS ES 525", "Back-UPS CS")

#: 5G Smart-UPS (and Smart-UPS with firmware 04.3, PID 4) use the interrupt pipe
#: for a proprietary protocol: poll only.
DEVICES = (
    UsbId(APC_VENDOR, 0x0000, "AP9584 serial to USB kit"),
    UsbId(APC_VENDOR, 0x0002, "Back-UPS and most models"),
    UsbId(APC_VENDOR, 0x0003, "5G models", tweaks={"pollonly": ""}),
    UsbId(APC_VENDOR, 0x0004, "Smart-UPS 1000, firmware 04.3", tweaks={"pollonly": ""}),
    UsbId(APC_VENDOR, 0x0005, "models from 2025 on"),
)


def apc_claim(sub: Subdriver, device: DeviceInfo, options: Options) -> Claim | None:
    """NUT's table claim, plus ``maxreport`` for the Back-UPS that need it.

    (The LB/RB debounce default for BX…MI/BVK…M2/BK…M2-CH models is not a claim
    tweak: NUT decides it in the driver core, ``hidups.driver.status.lbrb_default_delay``.)
    """
    claim = claim_by_table(sub, device, options)
    if claim is None:
        return None
    tweaks = dict(claim.tweaks)
    if (
        device.vendor_id == APC_VENDOR
        and device.product_id == 0x0002
        and device.product is not None
        and device.product.startswith(MAX_REPORT_PRODUCTS)
    ):
        tweaks["maxreport"] = ""
    return Claim(tweaks=tweaks)


# --- descriptor fix-up -------------------------------------------------------------------

USAGE_VOLTAGE = 0x00840030
USAGE_CONFIG_VOLTAGE = 0x00840040
USAGE_HIGH_VOLTAGE_TRANSFER = 0x00840054


def find_by_report_and_usage(desc: ReportDescriptor, report_id: int, usage: int) -> Field | None:
    """The first field of report ``report_id`` whose own usage is ``usage`` (any type)."""
    for field in desc.fields:
        if field.report_id == report_id and field.path and field.path[-1] == usage:
            return field
    return None


def apc_fix_report_desc(device: DeviceInfo, desc: ReportDescriptor, options: Options) -> list[str]:
    """Back-UPS XS 1400U (230 V) declares input voltages too small for its readings.

    Report 0x31 ``Input.Voltage`` and 0x30 ``Input.ConfigVoltage`` have logical
    maxima below that of 0x33 ``HighVoltageTransfer``, so readings clip. When they do:
    Voltage becomes 0..2 * HVT max and ConfigVoltage max becomes 255 (one byte).
    Only for 051d:0002, and not with ``disable_fix_report_desc``.
    """
    if (device.vendor_id, device.product_id) != (APC_VENDOR, 0x0002):
        return []
    if "disable_fix_report_desc" in options:
        return []
    hvt = find_by_report_and_usage(desc, 0x33, USAGE_HIGH_VOLTAGE_TRANSFER)
    if hvt is None:
        return []
    changes: list[str] = []
    voltage = find_by_report_and_usage(desc, 0x31, USAGE_VOLTAGE)
    if voltage is not None and hvt.logical_max > voltage.logical_max:
        old = (voltage.logical_min, voltage.logical_max)
        voltage.logical_min, voltage.logical_max = 0, 2 * hvt.logical_max
        changes.append(
            f"report 0x31 Voltage: logical range {old[0]}..{old[1]} -> "
            f"0..{voltage.logical_max} (HighVoltageTransfer max {hvt.logical_max})"
        )
    config = find_by_report_and_usage(desc, 0x30, USAGE_CONFIG_VOLTAGE)
    if config is not None and hvt.logical_max > config.logical_max != 255:
        old_max = config.logical_max
        config.logical_max = 255
        changes.append(
            f"report 0x30 ConfigVoltage: logical max {old_max} -> 255 "
            f"(HighVoltageTransfer max {hvt.logical_max})"
        )
    return changes


SUBDRIVER = Subdriver(
    name="APC HID",
    version="0.101",
    usages=USAGES,
    hid2nut=HID2NUT,
    devices=DEVICES,
    claim=apc_claim,
    format_model=apc_format_model,
    format_mfr=apc_format_mfr,
    fix_report_desc=apc_fix_report_desc,
)
