# ruff: noqa: E501  (hid2nut rows stay one per line, so they can be grepped)
"""PowerCOM (VID 0d9f): standard paths plus a second, non-standard usage tree.

Behaviour follows NUT's powercom-hid 0.75. Besides the Power Device tree, these
units describe a ``PowercomUPS`` tree on usage page 0x0002, with two bit-field
status words instead of one usage per bit, and delays in their own encodings:

* ``DelayBeforeStartup``: minutes, the two bytes of a 16-bit word swapped
  (with ``powercom_sdcmd_discrete_delay``: plain minutes);
* ``DelayBeforeShutdown``: minutes in the high byte and seconds in the low byte,
  plus 0x40 "restart when power returns" or 0x80 "stay off"; firmwares seen before
  2024 want the bytes the other way round (minutes low, flags 0x4000/0x8000),
  selected by ``powercom_sdcmd_byte_order_fallback``; with
  ``powercom_sdcmd_discrete_delay`` the delay is an index 1..18 into a fixed list
  (12 s ... 10 min).

0d9f:0001 only talks on the interrupt pipe, in 8-byte reports; 0d9f:0002 is a
serial-protocol unit for NUT's ``powercom`` driver and is never claimed.
"""

from __future__ import annotations

import re

from hidups.device import DeviceInfo
from hidups.hid2nut.lookups import (
    BOOST_INFO,
    CHARGING_INFO,
    COMMFAULT_INFO,
    DATE_CONVERSION,
    DISCHARGING_INFO,
    LOWBATT_INFO,
    NOBATTERY_INFO,
    ONLINE_INFO,
    OVERLOAD_INFO,
    REPLACEBATT_INFO,
    SHUTDOWNIMM_INFO,
    STRINGID_CONVERSION,
    TEST_READ_INFO,
    TIMELIMITEXPIRED_INFO,
    TRIM_INFO,
)
from hidups.hid2nut.subdriver import Claim, Options, Subdriver, Support, UsbId, support_of
from hidups.hid2nut.table import (
    ABSENT,
    BOOL,
    CMD,
    NONE,
    OFFDELAY,
    QUICK,
    RW,
    STATIC,
    STRING,
    Context,
    Convert,
    Row,
    Table,
)
from hidups.numbers import c_atoi
from hidups.usages import UsageTable

POWERCOM_VENDOR = 0x0D9F
SERIAL_PROTOCOL_PRODUCT = 0x0002

USAGES = UsageTable(
    (
        ("PowercomUPS", 0x00020004),
        ("PowercomBatterySystem", 0x00020010),
        ("PowercomPowerConverter", 0x00020016),
        ("PowercomInput", 0x0002001A),
        ("PowercomOutput", 0x0002001C),
        ("PowercomVoltage", 0x00020030),
        ("PowercomFrequency", 0x00020032),
        ("PowercomPercentLoad", 0x00020035),
        ("PowercomTemperature", 0x00020036),
        ("PowercomDelayBeforeStartup", 0x00020056),
        ("PowercomDelayBeforeShutdown", 0x00020057),
        ("PowercomTest", 0x00020058),
        ("PowercomShutdownRequested", 0x00020068),
        ("PowercomInternalChargeController", 0x00020081),
        ("PowercomPrimaryBatterySupport", 0x00020082),
        ("PowercomDesignCapacity", 0x00020083),
        ("PowercomSpecificationInfo", 0x00020084),
        ("PowercomManufacturerDate", 0x00020085),
        ("PowercomSerialNumber", 0x00020086),
        ("PowercomManufacturerName", 0x00020087),
        ("POWERCOM1", 0x0084002F),
        ("POWERCOM2", 0xFF860060),
        ("POWERCOM3", 0xFF860080),
        ("PCMDelayBeforeStartup", 0x00FF0056),
        ("PCMDelayBeforeShutdown", 0x00FF0057),
    )
)

DEVICES = (
    UsbId(POWERCOM_VENDOR, 0x00A2, "IMPERIAL"),
    UsbId(POWERCOM_VENDOR, 0x00A3, "Smart KING Pro"),
    UsbId(POWERCOM_VENDOR, 0x00A4, "WOW"),
    UsbId(POWERCOM_VENDOR, 0x00A5, "Vanguard"),
    UsbId(POWERCOM_VENDOR, 0x00A6, "Black Knight Pro"),
    UsbId(POWERCOM_VENDOR, 0x0004, "Vanguard, BNT-xxxAP"),
    UsbId(POWERCOM_VENDOR, 0x0001, "interrupt pipe only",
          {"interruptonly": "", "interruptsize": "8"}),
)

OPT_BYTE_ORDER_FALLBACK = "powercom_sdcmd_byte_order_fallback"
OPT_DISCRETE_DELAY = "powercom_sdcmd_discrete_delay"

#: Upper bounds (seconds) of the discrete shutdown delays; index = position + 1.
DISCRETE_DELAYS = (12, 18, 24, 30, 36, 42, 48, 54, 60, 120, 180, 240, 300, 360, 420, 480, 540)

RESTART_FLAG = 0x0040
STAYOFF_FLAG = 0x0080
LEGACY_RESTART_FLAG = 0x4000
LEGACY_STAYOFF_FLAG = 0x8000

# --- delay encodings ----------------------------------------------------------------------



def _requested_seconds(text: str, ctx: Context, option: str, variable: str,
                       default: int) -> int:
    """The delay to send: the command's value, else the option, else the variable."""
    for candidate in (text, ctx.option(option), ctx.get(variable)):
        if candidate:
            return c_atoi(candidate)
    return default


def _swap16(word: int) -> int:
    word &= 0xFFFF
    return ((word & 0xFF) << 8) | (word >> 8)


def startup_to_nut(value: float, ctx: Context) -> str | None:
    """Byte-swapped minutes → seconds."""
    return "%d" % (60 * _swap16(int(value)))


def startup_to_hid(text: str, ctx: Context) -> float | None:
    minutes = _requested_seconds(text, ctx, "ondelay", "ups.delay.start", 120) // 60
    if minutes < 0 or minutes > 0xFFFFFFFF:
        return None
    if ctx.option(OPT_DISCRETE_DELAY) is not None:
        return float(minutes)
    return float(_swap16(minutes))


def shutdown_to_nut(value: float, ctx: Context) -> str | None:
    """(minutes, seconds) bytes → seconds, in the configured byte order."""
    word = int(value) & 0xFFFF
    high, low = word >> 8, word & 0xFF
    if ctx.option(OPT_BYTE_ORDER_FALLBACK) is not None:
        return "%d" % (60 * low + high)
    return "%d" % (60 * high + low)


def _discrete_index(seconds: int) -> int:
    for index, bound in enumerate(DISCRETE_DELAYS, start=1):
        if seconds <= bound:
            return index
    return len(DISCRETE_DELAYS) + 1


def _encode_shutdown(seconds: int, ctx: Context, flag: int, legacy_flag: int) -> int:
    seconds = seconds or 1  # 0 would mean the longest delay
    if ctx.option(OPT_BYTE_ORDER_FALLBACK) is not None:
        return ((((seconds % 60) << 8) + seconds // 60) & 0xFFFF) | legacy_flag
    return ((((seconds // 60) << 8) + seconds % 60) & 0xFFFF) | flag


def shutdown_to_hid(text: str, ctx: Context) -> float | None:
    """Seconds → shutdown word, restarting when power returns (``shutdown.return``)."""
    seconds = _requested_seconds(text, ctx, "offdelay", "ups.delay.shutdown", 60)
    if seconds < 0 or seconds > 0xFFFF:
        return None
    if ctx.option(OPT_DISCRETE_DELAY) is not None:
        return float(_discrete_index(seconds))
    return float(_encode_shutdown(seconds, ctx, RESTART_FLAG, LEGACY_RESTART_FLAG))


def stayoff_to_hid(text: str, ctx: Context) -> float | None:
    """Seconds → shutdown word that keeps the load off when power returns."""
    seconds = _requested_seconds(text, ctx, "offdelay", "ups.delay.shutdown", 60)
    if seconds < 0 or seconds > 0xFFFF:
        return None
    return float(_encode_shutdown(seconds, ctx, STAYOFF_FLAG, LEGACY_STAYOFF_FLAG))


def write_only(value: float, ctx: Context) -> str | None:
    return None


POWERCOM_STARTUP_INFO = Convert("powercom_startup_info", startup_to_nut, startup_to_hid)
POWERCOM_SHUTDOWN_INFO = Convert("powercom_shutdown_info", shutdown_to_nut, shutdown_to_hid)
POWERCOM_STAYOFF_INFO = Convert("powercom_stayoff_info", write_only, stayoff_to_hid)
POWERCOM_BEEPER_INFO = Table("powercom_beeper_info", ((1, "enabled"), (2, "disabled")))

# --- bit-field status words -------------------------------------------------------------


def voltage_times_4_to_nut(value: float, ctx: Context) -> str | None:
    """The vendor tree reports line voltages in units of 4 V."""
    return "%0.0f" % (value * 4)


def _bit_status(name: str, mask: int, match: int, when_set: str, when_clear: str) -> Convert:
    """A status token from ``value & mask == match`` in a status word."""

    def to_nut(value: float, ctx: Context) -> str | None:
        return when_set if (int(value) & mask) == match else when_clear

    to_nut.__name__ = name
    return Convert(name, to_nut)


POWERCOM_VOLTAGE_CONVERSION = Convert("powercom_voltage_conversion", voltage_times_4_to_nut)
# InternalChargeController: bit 0 UPS fault, 1 battery bad, 2 test running, 4 shutdown count
POWERCOM_UPSFAIL_CONVERSION = _bit_status("powercom_upsfail_conversion", 0x01, 0x01, "fanfail", "!fanfail")
POWERCOM_REPLACEBATT_CONVERSION = _bit_status(
    "powercom_replacebatt_conversion", 0x02, 0x02, "replacebatt", "!replacebatt")
POWERCOM_TEST_CONVERSION = _bit_status("powercom_test_conversion", 0x04, 0x04, "cal", "!cal")
POWERCOM_SHUTDOWNIMM_CONVERSION = _bit_status(
    "powercom_shutdownimm_conversion", 0x10, 0x10, "shutdownimm", "!shutdownimm")
# PrimaryBatterySupport: bit 0 line failed, 1 battery low, 3 AVR active, 4 boost (else buck),
# 5 overload
POWERCOM_ONLINE_CONVERSION = _bit_status("powercom_online_conversion", 0x01, 0x01, "!online", "online")
POWERCOM_LOWBATT_CONVERSION = _bit_status("powercom_lowbatt_conversion", 0x02, 0x02, "lowbatt", "!lowbatt")
POWERCOM_TRIM_CONVERSION = _bit_status("powercom_trim_conversion", 0x18, 0x08, "trim", "!trim")
POWERCOM_BOOST_CONVERSION = _bit_status("powercom_boost_conversion", 0x18, 0x18, "boost", "!boost")
POWERCOM_OVERLOAD_CONVERSION = _bit_status(
    "powercom_overload_conversion", 0x20, 0x20, "overload", "!overload")

# --- battery voltage from report 0xa4 -----------------------------------------------------

#: The Feature report whose payload is the battery voltage as ASCII (" 13.7 2").
BATTERY_TEXT_REPORT = 0xA4
_DECIMAL = re.compile(r"[^\d.]*([\d.]*)")


def parse_battery_text(payload: bytes) -> str | None:
    """The first number in report 0xa4's text, if it has a decimal point."""
    text = payload[:7].split(b"\0", 1)[0].decode("latin-1")
    m = _DECIMAL.match(text)
    number = m.group(1) if m else ""
    return number if number and "." in number else None


def battery_voltage_to_nut(value: float, ctx: Context) -> str | None:
    """Battery voltage read from report 0xa4 (NUT issue #2766); ``value`` is ignored.

    The row hangs on ``ACPresent`` only because that path always exists. Needs the
    driver's raw-report access (``ctx.report``); without it, or on a bad answer, the
    last good reading stays published.
    """
    data = ctx.report(BATTERY_TEXT_REPORT)
    if not data:
        return None
    reading = parse_battery_text(bytes(data)[1:])
    return reading


POWERCOM_HACK_VOLTAGE_LKP = Convert("powercom_hack_voltage_lkp", battery_voltage_to_nut)

# --- hid2nut --------------------------------------------------------------------------

HID2NUT: tuple[Row, ...] = (
    # status bits, under PowerSummary or directly under UPS
    Row(BOOL, "UPS.PowerSummary.PresentStatus.ACPresent", None, NONE, ONLINE_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.BatteryPresent", None, NONE, NOBATTERY_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.BelowRemainingCapacityLimit", None, NONE, LOWBATT_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.Charging", None, NONE, CHARGING_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.CommunicationLost", None, NONE, COMMFAULT_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.Discharging", None, NONE, DISCHARGING_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.NeedReplacement", None, NONE, REPLACEBATT_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.Overload", None, NONE, OVERLOAD_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.RemainingTimeLimitExpired", None, NONE, TIMELIMITEXPIRED_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.ShutdownImminent", None, NONE, SHUTDOWNIMM_INFO),
    Row(BOOL, "UPS.PresentStatus.ACPresent", None, NONE, ONLINE_INFO),
    Row(BOOL, "UPS.PresentStatus.BatteryPresent", None, NONE, NOBATTERY_INFO),
    Row(BOOL, "UPS.PresentStatus.BelowRemainingCapacityLimit", None, NONE, LOWBATT_INFO),
    Row(BOOL, "UPS.PresentStatus.Boost", None, NONE, BOOST_INFO),
    Row(BOOL, "UPS.PresentStatus.Buck", None, NONE, TRIM_INFO),
    Row(BOOL, "UPS.PresentStatus.Charging", None, NONE, CHARGING_INFO),
    Row(BOOL, "UPS.PresentStatus.CommunicationLost", None, NONE, COMMFAULT_INFO),
    Row(BOOL, "UPS.PresentStatus.Discharging", None, NONE, DISCHARGING_INFO),
    Row(BOOL, "UPS.PresentStatus.NeedReplacement", None, NONE, REPLACEBATT_INFO),
    Row(BOOL, "UPS.PresentStatus.Overload", None, NONE, OVERLOAD_INFO),
    Row(BOOL, "UPS.PresentStatus.RemainingTimeLimitExpired", None, NONE, TIMELIMITEXPIRED_INFO),
    Row(BOOL, "UPS.PresentStatus.ShutdownImminent", None, NONE, SHUTDOWNIMM_INFO),
    # PowerSummary.Voltage repeats the output voltage on these units, so the battery
    # voltage comes from report 0xa4 instead (see battery_voltage_to_nut)
    Row("battery.voltage", "UPS.PowerSummary.PresentStatus.ACPresent", "%s", NONE, POWERCOM_HACK_VOLTAGE_LKP),
    Row("battery.charge", "UPS.PowerSummary.RemainingCapacity", "%.0f"),
    Row("battery.charge", "UPS.Battery.RemainingCapacity", "%.0f"),
    Row("battery.charge.low", "UPS.PowerSummary.RemainingCapacityLimit", "%.0f"),
    Row("battery.charge.warning", "UPS.PowerSummary.WarningCapacityLimit", "%.0f"),
    Row("battery.runtime", "UPS.PowerSummary.RunTimeToEmpty", "%.0f"),
    Row("battery.mfr.date", "UPS.Battery.ManufacturerDate", "%s", STATIC, DATE_CONVERSION),
    Row("battery.type", "UPS.PowerSummary.iDeviceChemistry", "%s", STATIC, STRINGID_CONVERSION),
    Row("ups.beeper.status", "UPS.PowerSummary.AudibleAlarmControl", "%s", NONE, POWERCOM_BEEPER_INFO),
    Row("ups.beeper.status", "UPS.AudibleAlarmControl", "%s", NONE, POWERCOM_BEEPER_INFO),
    Row("ups.load", "UPS.Output.PercentLoad", "%.0f"),
    Row("ups.date", "UPS.PowerSummary.ManufacturerDate", "%s", STATIC, DATE_CONVERSION),
    Row("ups.test.result", "UPS.Battery.Test", "%s", NONE, TEST_READ_INFO),
    # delays in the encodings described above
    Row("ups.delay.start", "UPS.PowerSummary.DelayBeforeStartup", "60", RW | STRING | ABSENT, length=8),
    Row("ups.timer.start", "UPS.PowerSummary.DelayBeforeStartup", "%.0f", NONE, POWERCOM_STARTUP_INFO),
    Row("ups.delay.shutdown", "UPS.PowerSummary.DelayBeforeShutdown", OFFDELAY, RW | STRING | ABSENT, length=8),
    Row("ups.timer.shutdown", "UPS.PowerSummary.DelayBeforeShutdown", "%.0f", QUICK, POWERCOM_SHUTDOWN_INFO),
    Row("ups.delay.shutdown", "UPS.PowerSummary.PCMDelayBeforeShutdown", OFFDELAY, RW | STRING | ABSENT, length=8),
    Row("ups.timer.shutdown", "UPS.PowerSummary.PCMDelayBeforeShutdown", "%.0f", QUICK, POWERCOM_SHUTDOWN_INFO),
    Row("input.voltage", "UPS.Input.Voltage", "%.1f"),
    Row("input.voltage.nominal", "UPS.Input.ConfigVoltage", "%.0f", STATIC),
    Row("input.frequency", "UPS.Input.Frequency", "%.1f"),
    Row("output.voltage", "UPS.Output.Voltage", "%.1f"),
    Row("output.voltage.nominal", "UPS.Output.ConfigVoltage", "%.0f", STATIC),
    Row("output.frequency", "UPS.Output.Frequency", "%.1f"),
    # instant commands
    Row("beeper.toggle", "UPS.PowerSummary.AudibleAlarmControl", "1", CMD),
    Row("beeper.enable", "UPS.PowerSummary.AudibleAlarmControl", "1", CMD),
    Row("beeper.disable", "UPS.PowerSummary.AudibleAlarmControl", "0", CMD),
    Row("test.battery.start.quick", "UPS.Battery.Test", "1", CMD),
    Row("load.on.delay", "UPS.PowerSummary.DelayBeforeStartup", None, CMD, POWERCOM_STARTUP_INFO),
    Row("shutdown.return", "UPS.PowerSummary.DelayBeforeShutdown", None, CMD, POWERCOM_SHUTDOWN_INFO),
    Row("shutdown.stayoff", "UPS.PowerSummary.DelayBeforeShutdown", None, CMD, POWERCOM_STAYOFF_INFO),
    Row("load.on", "UPS.PowerSummary.PCMDelayBeforeStartup", "0", CMD, POWERCOM_STARTUP_INFO),
    Row("load.off", "UPS.PowerSummary.PCMDelayBeforeShutdown", "0", CMD, POWERCOM_STAYOFF_INFO),
    Row("shutdown.return", "UPS.PowerSummary.PCMDelayBeforeShutdown", None, CMD, POWERCOM_SHUTDOWN_INFO),
    Row("shutdown.stayoff", "UPS.PowerSummary.PCMDelayBeforeShutdown", None, CMD, POWERCOM_STAYOFF_INFO),
    # the PowercomUPS tree (page 0x0002)
    Row("ups.serial", "PowercomUPS.PowercomSerialNumber", "%s", NONE, STRINGID_CONVERSION),
    Row("ups.mfr", "PowercomUPS.PowercomManufacturerName", "%s", NONE, STRINGID_CONVERSION),
    Row("ups.mfr.date", "PowercomUPS.PowercomManufacturerDate", "%s", NONE, DATE_CONVERSION),
    Row("battery.temperature", "PowercomUPS.PowercomBatterySystem.PowercomTemperature", "%.0f"),
    Row("battery.temperature", "UPS.Battery.Temperature", "%.1f"),
    Row("battery.charge", "PowercomUPS.PowercomBatterySystem.PowercomVoltage", "%.0f"),
    Row("input.frequency", "PowercomUPS.PowercomPowerConverter.PowercomInput.PowercomFrequency", "%.0f"),
    Row("input.voltage", "PowercomUPS.PowercomPowerConverter.PowercomInput.PowercomVoltage", "%.0f", NONE, POWERCOM_VOLTAGE_CONVERSION),
    Row("output.voltage", "PowercomUPS.PowercomPowerConverter.PowercomOutput.PowercomVoltage", "%.0f", NONE, POWERCOM_VOLTAGE_CONVERSION),
    Row("ups.load", "PowercomUPS.PowercomPowerConverter.PowercomOutput.PowercomPercentLoad", "%.0f"),
    Row(BOOL, "PowercomUPS.PowercomPowerConverter.PowercomOutput.PowercomInternalChargeController", None, QUICK, POWERCOM_UPSFAIL_CONVERSION),
    Row(BOOL, "PowercomUPS.PowercomPowerConverter.PowercomOutput.PowercomInternalChargeController", None, QUICK, POWERCOM_REPLACEBATT_CONVERSION),
    Row(BOOL, "PowercomUPS.PowercomPowerConverter.PowercomOutput.PowercomInternalChargeController", None, QUICK, POWERCOM_TEST_CONVERSION),
    Row(BOOL, "PowercomUPS.PowercomPowerConverter.PowercomOutput.PowercomInternalChargeController", None, QUICK, POWERCOM_SHUTDOWNIMM_CONVERSION),
    Row(BOOL, "PowercomUPS.PowercomPowerConverter.PowercomOutput.PowercomPrimaryBatterySupport", None, QUICK, POWERCOM_ONLINE_CONVERSION),
    Row(BOOL, "PowercomUPS.PowercomPowerConverter.PowercomOutput.PowercomPrimaryBatterySupport", None, QUICK, POWERCOM_LOWBATT_CONVERSION),
    Row(BOOL, "PowercomUPS.PowercomPowerConverter.PowercomOutput.PowercomPrimaryBatterySupport", None, QUICK, POWERCOM_TRIM_CONVERSION),
    Row(BOOL, "PowercomUPS.PowercomPowerConverter.PowercomOutput.PowercomPrimaryBatterySupport", None, QUICK, POWERCOM_BOOST_CONVERSION),
    Row(BOOL, "PowercomUPS.PowercomPowerConverter.PowercomOutput.PowercomPrimaryBatterySupport", None, QUICK, POWERCOM_OVERLOAD_CONVERSION),
    Row("output.frequency", "PowercomUPS.PowercomPowerConverter.PowercomOutput.PowercomFrequency", "%.0f"),
    Row("ups.test.result", "PowercomUPS.PowercomPowerConverter.PowercomTest", "%s", NONE, TEST_READ_INFO),
    Row("ups.delay.shutdown", "PowercomUPS.PowercomPowerConverter.PowercomDelayBeforeShutdown", "%.0f"),
    Row("ups.delay.start", "PowercomUPS.PowercomPowerConverter.PowercomDelayBeforeStartup", "%.0f"),
    Row("load.off", "PowercomUPS.PowercomPowerConverter.PowercomDelayBeforeShutdown", "0", CMD),
)


def claim(sub: Subdriver, device: DeviceInfo, options: Options) -> Claim | None:
    """Listed ids (0001 with its interrupt-only tweaks); never 0002."""
    support, usb_id = support_of(sub.devices, device)
    if support is Support.SUPPORTED:
        return Claim(tweaks=dict(usb_id.tweaks) if usb_id else {})
    if support is Support.POSSIBLY:
        if device.product_id == SERIAL_PROTOCOL_PRODUCT:
            return None
        if "productid" in options:
            return Claim()
    return None


def format_mfr(device: DeviceInfo, ctx: Context) -> str | None:
    return device.manufacturer if device.manufacturer is not None else "PowerCOM"


SUBDRIVER = Subdriver(
    name="PowerCOM HID",
    version="0.75",
    usages=USAGES,
    hid2nut=HID2NUT,
    devices=DEVICES,
    claim=claim,
    format_mfr=format_mfr,
)
