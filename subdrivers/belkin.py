# ruff: noqa: E501  (hid2nut rows stay one per line, so they can be grepped)
"""Belkin and Liebert subdriver (NUT's ``belkin-hid.c``, "Belkin/Liebert HID 0.23").

Belkin put its vendor usages on the *reserved* page 0x86 (pages 0x84..0x88 belong
to the HID Power Device specs), reports volts and hertz in tenths, minutes for
start-up delays, and packs its status into two bit-field words. Liebert units
(10af) share the VID table; some of them describe standard PDC paths with unit
exponents wrong by 5, 7 or 8 decades, which the "liebert" conversions repair by
looking at the size of the first readings.
"""

from __future__ import annotations

from hidups.device import DeviceInfo
from hidups.hid2nut.lookups import (
    BEEPER_INFO,
    DATE_CONVERSION,
    DIVIDE_BY_10_CONVERSION,
    DIVIDE_BY_100_CONVERSION,
    STRINGID_CONVERSION,
)
from hidups.hid2nut.subdriver import Claim, Options, Subdriver, Support, UsbId, support_of
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
    Table,
)
from hidups.usages import UsageTable

BELKIN_VENDOR = 0x050D
LIEBERT_VENDOR = 0x10AF

# --- vendor usages (page 0x86, as Belkin encoded them) ------------------------------------

USAGES = UsageTable(
    (
        ("BELKINConfig", 0x00860026),
        ("BELKINConfigVoltage", 0x00860040),
        ("BELKINConfigFrequency", 0x00860042),
        ("BELKINConfigApparentPower", 0x00860043),
        ("BELKINConfigBatteryVoltage", 0x00860044),
        ("BELKINConfigOverloadTransfer", 0x00860045),
        ("BELKINLowVoltageTransfer", 0x00860053),
        ("BELKINHighVoltageTransfer", 0x00860054),
        ("BELKINLowVoltageTransferMax", 0x0086005B),
        ("BELKINLowVoltageTransferMin", 0x0086005C),
        ("BELKINHighVoltageTransferMax", 0x0086005D),
        ("BELKINHighVoltageTransferMin", 0x0086005E),
        ("BELKINControls", 0x00860027),
        ("BELKINLoadOn", 0x00860050),
        ("BELKINLoadOff", 0x00860051),
        ("BELKINLoadToggle", 0x00860052),
        ("BELKINDelayBeforeReboot", 0x00860055),
        ("BELKINDelayBeforeStartup", 0x00860056),
        ("BELKINDelayBeforeShutdown", 0x00860057),
        ("BELKINTest", 0x00860058),
        ("BELKINAudibleAlarmControl", 0x0086005A),
        ("BELKINDevice", 0x00860029),
        ("BELKINVoltageSensitivity", 0x00860074),
        ("BELKINModelString", 0x00860075),
        ("BELKINModelStringOffset", 0x00860076),
        ("BELKINUPSType", 0x0086007C),
        ("BELKINPowerState", 0x0086002A),
        ("BELKINInput", 0x0086001A),
        ("BELKINOutput", 0x0086001C),
        ("BELKINBatterySystem", 0x00860010),
        ("BELKINVoltage", 0x00860030),
        ("BELKINFrequency", 0x00860032),
        ("BELKINPower", 0x00860034),
        ("BELKINPercentLoad", 0x00860035),
        ("BELKINTemperature", 0x00860036),
        ("BELKINCharge", 0x00860039),
        ("BELKINRunTimeToEmpty", 0x0086006C),
        ("BELKINStatus", 0x00860028),
        ("BELKINBatteryStatus", 0x00860022),
        ("BELKINPowerStatus", 0x00860021),
    )
)

# --- status bit fields ---------------------------------------------------------------------
# BELKINPowerStatus (16 bits): 0 AC failure, 4 overload, 5 load off, 6 overheat,
# 7 UPS fault, 13 awaiting power, 15 alarm. BELKINBatteryStatus (8 bits): 2 low
# battery, 4 charging, 5 discharging, 6 battery empty, 7 replace battery. NUT maps
# the bits below (not "load off", "alarm", "charging", "discharging"); each is its
# own BOOL row on the same word.


def bit_flag(name: str, mask: int, token: str, *, set_means_not: bool = False) -> Convert:
    """A status conversion testing one bit: set → ``token``, clear → ``!token``.

    With ``set_means_not`` the sense is reversed (bit 0 of PowerStatus is "AC
    failure", so set → ``!online``).
    """

    def test_bit(value: float, ctx: Context) -> str | None:
        is_set = bool(int(value) & mask)
        return "!" + token if is_set == set_means_not else token

    test_bit.__name__ = name
    return Convert(name, test_bit)


BELKIN_ONLINE_CONVERSION = bit_flag("belkin_online_conversion", 0x0001, "online", set_means_not=True)
BELKIN_OVERLOAD_CONVERSION = bit_flag("belkin_overload_conversion", 0x0010, "overload")
BELKIN_OVERHEAT_CONVERSION = bit_flag("belkin_overheat_conversion", 0x0040, "overheat")
BELKIN_COMMFAULT_CONVERSION = bit_flag("belkin_commfault_conversion", 0x0080, "commfault")
BELKIN_AWAITINGPOWER_CONVERSION = bit_flag("belkin_awaitingpower_conversion", 0x2000, "awaitingpower")
BELKIN_LOWBATT_CONVERSION = bit_flag("belkin_lowbatt_conversion", 0x0004, "lowbatt")
BELKIN_DEPLETED_CONVERSION = bit_flag("belkin_depleted_conversion", 0x0040, "depleted")
BELKIN_REPLACEBATT_CONVERSION = bit_flag("belkin_replacebatt_conversion", 0x0080, "replacebatt")


def any_nonzero_flag(name: str, token: str) -> Convert:
    """Liebert's status rows: any non-zero value → ``token``, zero → ``!token``.

    Unlike the shared tables this also accepts values other than 0 and 1, and
    says ``!online`` (not ``offline``) for a clear ACPresent.
    """

    def nonzero(value: float, ctx: Context) -> str | None:
        return token if value else "!" + token

    nonzero.__name__ = name
    return Convert(name, nonzero)


LIEBERT_ONLINE_INFO = any_nonzero_flag("liebert_online_info", "online")
LIEBERT_DISCHARGING_INFO = any_nonzero_flag("liebert_discharging_info", "dischrg")
LIEBERT_CHARGING_INFO = any_nonzero_flag("liebert_charging_info", "chrg")
LIEBERT_LOWBATT_INFO = any_nonzero_flag("liebert_lowbatt_info", "lowbatt")
LIEBERT_REPLACEBATT_INFO = any_nonzero_flag("liebert_replacebatt_info", "replacebatt")
LIEBERT_SHUTDOWNIMM_INFO = any_nonzero_flag("liebert_shutdownimm_info", "shutdownimm")

# --- Liebert exponent repair --------------------------------------------------------------
# Factors are decided from readings and kept per device in ctx.state; later
# readings reuse them (as NUT's static multipliers do).

_LINE_MULT = "belkin.liebert_line_mult"
_CONFIG_MULT = "belkin.liebert_config_mult"


def liebert_config_voltage_to_nut(value: float, ctx: Context) -> str | None:
    """Battery ConfigVoltage: a reading of 1e-7 means volts scaled by 1e-8.

    That also tells that line voltages are scaled by 1e-7.
    """
    if value < 1 and abs(value - 1e-7) < 1e-9:
        ctx.state[_CONFIG_MULT] = 1e8
        ctx.state[_LINE_MULT] = 1e7
    return "%.1f" % (value * float(ctx.state.get(_CONFIG_MULT, 1.0)))


def liebert_line_voltage_to_nut(value: float, ctx: Context) -> str | None:
    """Line (and some battery) voltages read below 1 V are mis-scaled.

    Around 1e-5 (1.39e-06 → 13.9 V, 2.201e-05 → 220.1 V) the factor is 1e7;
    around 1e-3 (0.000273 → 27.3 V, 0.001212 → 121.2 V) it is 1e5. Readings of
    1 V and more are kept as they are, with the factor found so far.
    """
    if value < 1:
        if abs(value - 1e-5) < 4e-5:
            ctx.state[_LINE_MULT] = 1e7
        elif abs(value - 1e-3) < 4e-3:
            ctx.state[_LINE_MULT] = 1e5
    return "%.1f" % (value * float(ctx.state.get(_LINE_MULT, 1.0)))


LIEBERT_CONFIG_VOLTAGE_INFO = Convert("liebert_config_voltage_info", liebert_config_voltage_to_nut)
LIEBERT_LINE_VOLTAGE_INFO = Convert("liebert_line_voltage_info", liebert_line_voltage_to_nut)

# --- other Belkin conversions ---------------------------------------------------------------


def belkin_firmware_to_nut(value: float, ctx: Context) -> str | None:
    """Firmware version: the high nibble(s) of BELKINUPSType."""
    return "%d" % (int(value) >> 4)


_UPS_TYPES = {
    1: "offline",
    2: "line-interactive",
    3: "simple online",
    4: "simple offline",
    5: "simple line-interactive",
}


def belkin_upstype_to_nut(value: float, ctx: Context) -> str | None:
    """UPS type: the low nibble of BELKINUPSType; 0 and unknown codes are "online"."""
    return _UPS_TYPES.get(int(value) & 0x0F, "online")


def belkin_sensitivity_to_nut(value: float, ctx: Context) -> str | None:
    """1 reduced, 2 low, anything else normal."""
    return {1: "reduced", 2: "low"}.get(int(value), "normal")


BELKIN_FIRMWARE_CONVERSION = Convert("belkin_firmware_conversion", belkin_firmware_to_nut)
BELKIN_UPSTYPE_CONVERSION = Convert("belkin_upstype_conversion", belkin_upstype_to_nut)
BELKIN_SENSITIVITY_CONVERSION = Convert("belkin_sensitivity_conversion", belkin_sensitivity_to_nut)
BELKIN_TEST_INFO = Table(
    "belkin_test_info",
    (
        (0, "No test initiated"),
        (1, "Done and passed"),
        (2, "Done and warning"),
        (3, "Done and error"),
        (4, "Aborted"),
        (5, "In progress"),
    ),
)

# --- the hid2nut table --------------------------------------------------------------------

HID2NUT: tuple[Row, ...] = (
    # Belkin vendor tree (volts and hertz in tenths)
    Row("battery.charge", "UPS.BELKINBatterySystem.BELKINCharge", "%.0f"),
    Row("battery.charge.low", "UPS.PowerSummary.RemainingCapacityLimit", "%.0f"),
    Row("battery.charge.warning", "UPS.PowerSummary.WarningCapacityLimit", "%.0f"),
    Row("battery.runtime", "UPS.PowerSummary.RunTimeToEmpty", "%.0f"),
    Row("battery.type", "UPS.PowerSummary.iDeviceChemistry", "%s", NONE, STRINGID_CONVERSION),
    Row("battery.voltage", "UPS.BELKINBatterySystem.BELKINVoltage", "%s", NONE, DIVIDE_BY_10_CONVERSION),
    Row("battery.voltage.nominal", "UPS.BELKINConfig.BELKINConfigBatteryVoltage", "%.0f"),
    Row("input.frequency", "UPS.BELKINPowerState.BELKINInput.BELKINFrequency", "%s", NONE, DIVIDE_BY_10_CONVERSION),
    Row("input.frequency.nominal", "UPS.BELKINConfig.BELKINConfigFrequency", "%.0f"),
    Row("input.sensitivity", "UPS.BELKINDevice.BELKINVoltageSensitivity", "%s", RW | STRING, BELKIN_SENSITIVITY_CONVERSION, length=10),
    Row("input.transfer.high", "UPS.BELKINConfig.BELKINHighVoltageTransfer", "%.0f", RW | STRING, length=10),
    Row("input.transfer.high.max", "UPS.BELKINConfig.BELKINHighVoltageTransferMax", "%.0f"),
    Row("input.transfer.high.min", "UPS.BELKINConfig.BELKINHighVoltageTransferMin", "%.0f"),
    Row("input.transfer.low", "UPS.BELKINConfig.BELKINLowVoltageTransfer", "%.0f", RW | STRING, length=10),
    Row("input.transfer.low.max", "UPS.BELKINConfig.BELKINLowVoltageTransferMax", "%.0f"),
    Row("input.transfer.low.min", "UPS.BELKINConfig.BELKINLowVoltageTransferMin", "%.0f"),
    Row("input.voltage", "UPS.BELKINPowerState.BELKINInput.BELKINVoltage", "%s", NONE, DIVIDE_BY_10_CONVERSION),
    Row("input.voltage.nominal", "UPS.BELKINConfig.BELKINConfigVoltage", "%.0f"),
    Row("output.frequency", "UPS.BELKINPowerState.BELKINOutput.BELKINFrequency", "%s", NONE, DIVIDE_BY_10_CONVERSION),
    Row("output.voltage", "UPS.BELKINPowerState.BELKINOutput.BELKINVoltage", "%s", NONE, DIVIDE_BY_10_CONVERSION),
    Row("ups.beeper.status", "UPS.BELKINControls.BELKINAudibleAlarmControl", "%s", NONE, BEEPER_INFO),
    Row("ups.delay.start", "UPS.BELKINControls.BELKINDelayBeforeStartup", ONDELAY, RW | STRING | ABSENT, length=10),
    Row("ups.delay.shutdown", "UPS.BELKINControls.BELKINDelayBeforeShutdown", OFFDELAY, RW | STRING | ABSENT, length=10),
    Row("ups.timer.start", "UPS.BELKINControls.BELKINDelayBeforeStartup", "%.0f", QUICK),
    Row("ups.timer.shutdown", "UPS.BELKINControls.BELKINDelayBeforeShutdown", "%.0f", QUICK),
    Row("ups.timer.reboot", "UPS.BELKINControls.BELKINDelayBeforeReboot", "%.0f", QUICK),
    Row("ups.firmware", "UPS.BELKINDevice.BELKINUPSType", "%s", NONE, BELKIN_FIRMWARE_CONVERSION),
    Row("ups.load", "UPS.BELKINPowerState.BELKINOutput.BELKINPercentLoad", "%.0f"),
    Row("ups.load.high", "UPS.BELKINConfig.BELKINConfigOverloadTransfer", "%.0f"),
    Row("ups.mfr.date", "UPS.PowerSummary.ManufacturerDate", "%s", NONE, DATE_CONVERSION),
    Row("ups.power.nominal", "UPS.BELKINConfig.BELKINConfigApparentPower", "%.0f"),
    Row("ups.serial", "UPS.PowerSummary.iSerialNumber", "%s", NONE, STRINGID_CONVERSION),
    Row("ups.test.result", "UPS.BELKINControls.BELKINTest", "%s", NONE, BELKIN_TEST_INFO),
    Row("ups.type", "UPS.BELKINDevice.BELKINUPSType", "%s", NONE, BELKIN_UPSTYPE_CONVERSION),
    # Liebert PSA: standard paths, exponents repaired from the readings
    Row("battery.charge", "UPS.PowerSummary.RemainingCapacity", "%.0f", QUICK),
    Row("input.frequency", "UPS.Input.Frequency", "%s", NONE, DIVIDE_BY_10_CONVERSION),
    Row("input.voltage", "UPS.Input.Voltage", "%s", NONE, LIEBERT_LINE_VOLTAGE_INFO),
    Row("output.voltage", "UPS.Output.Voltage", "%s", NONE, LIEBERT_LINE_VOLTAGE_INFO),
    Row("battery.voltage", "UPS.PowerSummary.Voltage", "%s", NONE, LIEBERT_LINE_VOLTAGE_INFO),
    Row("battery.voltage.nominal", "UPS.PowerSummary.ConfigVoltage", "%s", STATIC, LIEBERT_CONFIG_VOLTAGE_INFO),
    Row("ups.load", "UPS.Output.PercentLoad", "%.0f"),
    # Liebert PSI5 (frequencies in hundredths)
    Row("input.voltage.nominal", "UPS.Flow.ConfigVoltage", "%.0f"),
    Row("input.frequency", "UPS.PowerConverter.Input.Frequency", "%s", NONE, DIVIDE_BY_100_CONVERSION),
    Row("input.voltage", "UPS.PowerConverter.Input.Voltage", "%s", NONE, LIEBERT_LINE_VOLTAGE_INFO),
    Row("output.voltage.nominal", "UPS.Flow.ConfigVoltage", "%.0f"),
    Row("output.frequency", "UPS.PowerConverter.Output.Frequency", "%s", NONE, DIVIDE_BY_100_CONVERSION),
    Row("output.voltage", "UPS.PowerConverter.Output.Voltage", "%s", NONE, LIEBERT_LINE_VOLTAGE_INFO),
    Row("ups.load", "UPS.OutletSystem.Outlet.PercentLoad", "%.0f"),
    Row("battery.voltage", "UPS.BatterySystem.Battery.Voltage", "%s", NONE, LIEBERT_LINE_VOLTAGE_INFO),
    Row("battery.voltage.nominal", "UPS.BatterySystem.Battery.ConfigVoltage", "%.0f"),
    Row("battery.capacity", "UPS.Flow.ConfigApparentPower", "%.0f"),
    # status bits: standard paths (Liebert), then the Belkin bit-field words
    Row(BOOL, "UPS.PowerSummary.Discharging", None, QUICK, LIEBERT_DISCHARGING_INFO),
    Row(BOOL, "UPS.PowerSummary.Charging", None, QUICK, LIEBERT_CHARGING_INFO),
    Row(BOOL, "UPS.PowerSummary.ShutdownImminent", None, NONE, LIEBERT_SHUTDOWNIMM_INFO),
    Row(BOOL, "UPS.PowerSummary.ACPresent", None, QUICK, LIEBERT_ONLINE_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.Discharging", None, QUICK, LIEBERT_DISCHARGING_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.Charging", None, QUICK, LIEBERT_CHARGING_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.ShutdownImminent", None, NONE, LIEBERT_SHUTDOWNIMM_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.ACPresent", None, QUICK, LIEBERT_ONLINE_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.NeedReplacement", None, QUICK, LIEBERT_REPLACEBATT_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.BelowRemainingCapacityLimit", None, QUICK, LIEBERT_LOWBATT_INFO),
    Row(BOOL, "UPS.BELKINStatus.BELKINPowerStatus", None, NONE, BELKIN_OVERLOAD_CONVERSION),
    Row(BOOL, "UPS.BELKINStatus.BELKINPowerStatus", None, NONE, BELKIN_OVERHEAT_CONVERSION),
    Row(BOOL, "UPS.BELKINStatus.BELKINPowerStatus", None, NONE, BELKIN_COMMFAULT_CONVERSION),
    Row(BOOL, "UPS.BELKINStatus.BELKINPowerStatus", None, NONE, BELKIN_AWAITINGPOWER_CONVERSION),
    Row(BOOL, "UPS.BELKINStatus.BELKINPowerStatus", None, QUICK, BELKIN_ONLINE_CONVERSION),
    Row(BOOL, "UPS.BELKINStatus.BELKINBatteryStatus", None, QUICK, BELKIN_DEPLETED_CONVERSION),
    Row(BOOL, "UPS.BELKINStatus.BELKINBatteryStatus", None, NONE, BELKIN_REPLACEBATT_CONVERSION),
    Row(BOOL, "UPS.BELKINStatus.BELKINBatteryStatus", None, QUICK, BELKIN_LOWBATT_CONVERSION),
    # instant commands; load.off/load.on write 1 to the delays
    Row("test.battery.start.quick", "UPS.BELKINControls.BELKINTest", "1", CMD),
    Row("test.battery.start.deep", "UPS.BELKINControls.BELKINTest", "2", CMD),
    Row("test.battery.stop", "UPS.BELKINControls.BELKINTest", "3", CMD),
    Row("beeper.on", "UPS.BELKINControls.BELKINAudibleAlarmControl", "2", CMD),
    Row("beeper.off", "UPS.BELKINControls.BELKINAudibleAlarmControl", "3", CMD),
    Row("beeper.disable", "UPS.BELKINControls.BELKINAudibleAlarmControl", "1", CMD),
    Row("beeper.enable", "UPS.BELKINControls.BELKINAudibleAlarmControl", "2", CMD),
    Row("beeper.mute", "UPS.BELKINControls.BELKINAudibleAlarmControl", "3", CMD),
    Row("load.off", "UPS.BELKINControls.BELKINDelayBeforeShutdown", "1", CMD),
    Row("load.on", "UPS.BELKINControls.BELKINDelayBeforeStartup", "1", CMD),
    Row("load.off.delay", "UPS.BELKINControls.BELKINDelayBeforeShutdown", OFFDELAY, CMD),
    Row("load.on.delay", "UPS.BELKINControls.BELKINDelayBeforeStartup", ONDELAY, CMD),
    Row("shutdown.stop", "UPS.BELKINControls.BELKINDelayBeforeShutdown", "-1", CMD),
    Row("shutdown.reboot", "UPS.BELKINControls.BELKINDelayBeforeReboot", "10", CMD),
)

# --- identity -----------------------------------------------------------------------------


def belkin_format_model(device: DeviceInfo, ctx: Context) -> str | None:
    return device.product if device.product else "unknown"


def belkin_format_mfr(device: DeviceInfo, ctx: Context) -> str | None:
    """The vendor string without leading spaces; "Belkin" when missing or blank."""
    vendor = (device.manufacturer or "").lstrip(" ")
    return vendor if vendor else "Belkin"


def belkin_format_serial(device: DeviceInfo, ctx: Context) -> str | None:
    """iSerialNumber, else the string at ``UPS.PowerSummary.iSerialNumber`` (GXT3)."""
    if device.serial is not None:
        return device.serial
    index = ctx.value("UPS.PowerSummary.iSerialNumber")
    if index is None or int(index) <= 0:
        return None
    return ctx.string(int(index)) or None


# --- claim ------------------------------------------------------------------------------------

DEVICES = (
    UsbId(BELKIN_VENDOR, 0x0980, "F6C800-UNV"),
    UsbId(BELKIN_VENDOR, 0x0900, "F6C900-UNV"),
    UsbId(BELKIN_VENDOR, 0x0910, "F6C100-UNV"),
    UsbId(BELKIN_VENDOR, 0x0912, "F6C120-UNV"),
    UsbId(BELKIN_VENDOR, 0x0551, "F6C550-AVR"),
    UsbId(BELKIN_VENDOR, 0x0750, "F6C1250-TW-RK"),
    UsbId(BELKIN_VENDOR, 0x0751, "F6C1500-TW-RK"),
    UsbId(BELKIN_VENDOR, 0x0375, "F6H375-USB"),
    UsbId(BELKIN_VENDOR, 0x0F51, "Regulator PRO-USB"),
    UsbId(BELKIN_VENDOR, 0x1100, "F6C1100-UNV, F6C1200-UNV"),
    UsbId(LIEBERT_VENDOR, 0x0000, "Liebert GXT4"),
    UsbId(LIEBERT_VENDOR, 0x0001, "Liebert PowerSure PSA"),
    UsbId(LIEBERT_VENDOR, 0x0002, "Liebert PowerSure PST / PSI5", tweaks={"usb_hid_rep_index": "1"}),
    UsbId(LIEBERT_VENDOR, 0x0004, "Liebert PowerSure PSI 1440"),
    UsbId(LIEBERT_VENDOR, 0x0008, "Liebert GXT3"),
)

#: Belkin's F5U218-MOB USB hub shares the vendor id.
BELKIN_NOT_UPS = (0x0218,)


def belkin_claim(sub: Subdriver, device: DeviceInfo, options: Options) -> Claim | None:
    """The id table; other Belkin/Liebert products only with ``productid``.

    10af:0002 (PSI5, PST) has its Power Device interface at 1: interface 0 only
    holds a 27-byte vendor report, so ``usb_hid_rep_index`` defaults to 1.
    """
    support, usb_id = support_of(sub.devices, device)
    if support is Support.SUPPORTED and usb_id is not None:
        return Claim(tweaks=dict(usb_id.tweaks))
    if support is not Support.POSSIBLY:
        return None
    if device.vendor_id == BELKIN_VENDOR and device.product_id in BELKIN_NOT_UPS:
        return None
    if "productid" not in options:
        return None
    return Claim()


SUBDRIVER = Subdriver(
    name="Belkin/Liebert HID",
    version="0.23",
    usages=USAGES,
    hid2nut=HID2NUT,
    devices=DEVICES,
    claim=belkin_claim,
    format_model=belkin_format_model,
    format_mfr=belkin_format_mfr,
    format_serial=belkin_format_serial,
)
