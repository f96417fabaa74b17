# ruff: noqa: E501  (hid2nut rows stay one per line, so they can be grepped)
"""Mini-Box openUPS (VID 04d8, PIDs d004 and d005): a DC UPS with a battery pack.

Behaviour follows NUT's openups-hid 0.50. Voltages and currents come in raw ADC
units whose factor depends on the product id, so they pass through functions that
look at ``ctx.device.product_id``; the temperature is a thermistor reading turned
into degrees by a table. Status bits count any non-zero value as set.
"""

from __future__ import annotations

from hidups.device import DeviceInfo
from hidups.hid2nut.lookups import (
    COMMFAULT_INFO,
    LOWBATT_INFO,
    NOBATTERY_INFO,
    OVERHEAT_INFO,
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
    STATIC,
    Context,
    Convert,
    Row,
)
from hidups.usages import UsageTable

OPENUPS_VENDOR = 0x04D8

USAGES = UsageTable(
    (
        ("Cell1", 0x00000001),
        ("Cell2", 0x00000002),
        ("Cell3", 0x00000003),
        ("Cell4", 0x00000004),
        ("Cell5", 0x00000005),
        ("Cell6", 0x00000006),
    )
)

DEVICES = (
    UsbId(OPENUPS_VENDOR, 0xD004, "openUPS"),
    UsbId(OPENUPS_VENDOR, 0xD005, "openUPS2"),
)

#: Per-PID factors: (input volts, output volts, charge amps, discharge amps).
SCALES: dict[int, tuple[float, float, float, float]] = {
    0xD004: (0.03545 * 100, 0.02571 * 100, 0.8274 / 10, 16.113 / 10),
    0xD005: (0.1, 0.1, 0.1, 0.1),
}
NO_SCALE = (1.0, 1.0, 1.0, 1.0)


def _scales(ctx: Context) -> tuple[float, float, float, float]:
    if ctx.device.vendor_id != OPENUPS_VENDOR:
        return NO_SCALE
    return SCALES.get(ctx.device.product_id, NO_SCALE)


def input_voltage_to_nut(value: float, ctx: Context) -> str | None:
    return "%.2f" % (value * _scales(ctx)[0])


def output_voltage_to_nut(value: float, ctx: Context) -> str | None:
    return "%.2f" % (value * _scales(ctx)[1])


def charge_current_to_nut(value: float, ctx: Context) -> str | None:
    return "%.3f" % (value * _scales(ctx)[2])


def discharge_current_to_nut(value: float, ctx: Context) -> str | None:
    return "%.3f" % (value * _scales(ctx)[3])


#: Thermistor readings (x100) at -40, -35, ... +125 degrees C.
THERMISTOR_TABLE = (
    0x031, 0x040, 0x053, 0x068, 0x082, 0x0A0, 0x0C3, 0x0E9, 0x113, 0x13F, 0x16E, 0x19F,
    0x1CF, 0x200, 0x22F, 0x25C, 0x286, 0x2AE, 0x2D3, 0x2F4, 0x312, 0x32D, 0x345, 0x35A,
    0x36D, 0x37E, 0x38C, 0x399, 0x3A5, 0x3AF, 0x3B7, 0x3BF, 0x3C6, 0x3CC,
)
THERMISTOR_FIRST_C = -40
THERMISTOR_STEP_C = 5


def temperature_to_nut(value: float, ctx: Context) -> str | None:
    """Thermistor reading → degrees C, interpolated linearly between table points."""
    reading = int(value * 100)
    table = THERMISTOR_TABLE
    if reading <= table[0]:
        return "%d" % THERMISTOR_FIRST_C
    if reading >= table[-1]:
        return "%d" % (THERMISTOR_FIRST_C + THERMISTOR_STEP_C * (len(table) - 1))
    pos = max(i for i, point in enumerate(table) if reading >= point)
    low_c = THERMISTOR_FIRST_C + THERMISTOR_STEP_C * pos
    if reading == table[pos]:
        return "%d" % low_c
    span = table[pos + 1] - table[pos]
    return "%.2f" % ((reading - table[pos]) * THERMISTOR_STEP_C / span + low_c)


def _nonzero_status(name: str, when_set: str, when_clear: str) -> Convert:
    """A status token for any non-zero value (the shared tables match 1 only)."""

    def to_nut(value: float, ctx: Context) -> str | None:
        return when_set if value else when_clear

    to_nut.__name__ = name
    return Convert(name, to_nut)


OPENUPS_CHARGING_INFO = _nonzero_status("openups_charging_info", "chrg", "!chrg")
OPENUPS_DISCHARGING_INFO = _nonzero_status("openups_discharging_info", "dischrg", "!dischrg")
OPENUPS_ONLINE_INFO = _nonzero_status("openups_online_info", "online", "!online")
OPENUPS_OFF_INFO = _nonzero_status("openups_off_info", "!off", "off")
OPENUPS_VIN_INFO = Convert("openups_vin_info", input_voltage_to_nut)
OPENUPS_VOUT_INFO = Convert("openups_vout_info", output_voltage_to_nut)
OPENUPS_CCHARGE_INFO = Convert("openups_ccharge_info", charge_current_to_nut)
OPENUPS_CDISCHARGE_INFO = Convert("openups_cdischarge_info", discharge_current_to_nut)
OPENUPS_TEMPERATURE_INFO = Convert("openups_temperature_info", temperature_to_nut)

# --- hid2nut --------------------------------------------------------------------------

HID2NUT: tuple[Row, ...] = (
    Row("ups.serial", "UPS.PowerSummary.iSerialNumber", "%s", NONE, STRINGID_CONVERSION),
    Row("battery.type", "UPS.PowerSummary.iDeviceChemistry", "%s", STATIC, STRINGID_CONVERSION),
    Row("battery.mfr.date", "UPS.PowerSummary.iOEMInformation", "%s", STATIC, STRINGID_CONVERSION),
    Row("battery.voltage", "UPS.PowerSummary.Voltage", "%.2f", QUICK),
    Row("battery.current", "UPS.PowerSummary.Current", "%.3f", QUICK),
    Row("battery.capacity", "UPS.PowerSummary.DesignCapacity", "%.0f", STATIC),
    Row("battery.charge", "UPS.PowerSummary.RemainingCapacity", "%.0f", QUICK),
    Row("battery.charge.low", "UPS.PowerSummary.RemainingCapacityLimit", "%.0f", QUICK),
    Row("battery.charge.warning", "UPS.PowerSummary.WarningCapacityLimit", "%.0f"),
    Row("battery.runtime", "UPS.PowerSummary.RunTimeToEmpty", "%.0f", QUICK),
    Row("battery.temperature", "UPS.PowerSummary.Temperature", None, QUICK, OPENUPS_TEMPERATURE_INFO),
    Row("output.voltage", "UPS.PowerSummary.Output.Voltage", None, QUICK, OPENUPS_VOUT_INFO),
    Row("output.current", "UPS.PowerSummary.Output.Current", None, QUICK, OPENUPS_CDISCHARGE_INFO),
    Row("input.voltage", "UPS.PowerSummary.Input.Voltage", None, QUICK, OPENUPS_VIN_INFO),
    Row("input.current", "UPS.PowerSummary.Input.Current", None, QUICK, OPENUPS_CCHARGE_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.Good", None, QUICK, OPENUPS_OFF_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.InternalFailure", None, QUICK, COMMFAULT_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.Overload", None, QUICK, OVERLOAD_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.OverTemperature", None, QUICK, OVERHEAT_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.ShutdownImminent", None, QUICK, SHUTDOWNIMM_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.BelowRemainingCapacityLimit", None, QUICK, LOWBATT_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.RemainingTimeLimitExpired", None, QUICK, TIMELIMITEXPIRED_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.Charging", None, QUICK, OPENUPS_CHARGING_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.Discharging", None, QUICK, OPENUPS_DISCHARGING_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.NeedReplacement", None, NONE, REPLACEBATT_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.ACPresent", None, QUICK, OPENUPS_ONLINE_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.BatteryPresent", None, QUICK, NOBATTERY_INFO),
)


def format_mfr(device: DeviceInfo, ctx: Context) -> str | None:
    return device.manufacturer if device.manufacturer is not None else "openUPS"


SUBDRIVER = Subdriver(
    name="openUPS HID",
    version="0.50",
    usages=USAGES,
    hid2nut=HID2NUT,
    devices=DEVICES,
    format_mfr=format_mfr,
)
