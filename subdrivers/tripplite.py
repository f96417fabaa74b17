# ruff: noqa: E501  (hid2nut rows stay one per line, so they can be grepped)
"""Tripp Lite (VID 09ae), and the HP (03f0) and Delta/Minuteman (05dd) units they build.

Behaviour follows NUT's tripplite-hid 0.85. Several firmwares report in the wrong
scale, and which one depends only on the product id, so each scaled value goes
through a function that looks at ``ctx.device.product_id``:

* battery voltage x0.1 on the older consumer PIDs (1003, 1007-1010, 2005-2014);
* 3016 and 3024 (Smart1500LCDT, newer AVR750U): battery and line voltages x100000,
  frequencies and currents x0.01.

Some OMNI1000LCD firmwares put four status usages on page 0x84 instead of 0x85; the
vendor names ``TLCharging``/``TLDischarging``/``TLNeedReplacement``/``TLACPresent``
cover them. The SU3000LCD2UHV (1330) answers report 0x54 with garbage, so its id
carries the ``skip_report`` tweak. Product 0001 is a serial-over-USB unit for NUT's
``tripplite_usb`` driver and is never claimed.
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
    ONLINE_INFO,
    OVERHEAT_INFO,
    OVERLOAD_INFO,
    REPLACEBATT_INFO,
    SHUTDOWNIMM_INFO,
    STRINGID_CONVERSION,
    TEST_READ_INFO,
    TRIM_INFO,
    VRANGE_INFO,
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
    SEMI_STATIC,
    STATIC,
    STRING,
    Context,
    Convert,
    Row,
)
from hidups.usages import UsageTable

TRIPPLITE_VENDOR = 0x09AE
HP_VENDOR = 0x03F0
DELTA_VENDOR = 0x05DD

USAGES = UsageTable(
    (
        ("TLCustom", 0xFFFF0010),
        ("TLDelayBeforeStartup", 0xFFFF0056),  # minutes
        ("TLLowVoltageTransferMax", 0xFFFF0057),
        ("TLLowVoltageTransferMin", 0xFFFF0058),
        ("TLHighVoltageTransferMax", 0xFFFF0059),
        ("TLHighVoltageTransferMin", 0xFFFF005A),
        ("OutletState", 0xFFFF007A),  # 1 on, 2 off, 3/4 pending, 5/6 unknown, 7/8 failed
        ("OutletCount", 0xFFFF007B),
        ("UPSFirmwareVersion", 0xFFFF007C),
        ("CommunicationProtocolVersion", 0xFFFF007D),
        ("CommunicationVersion", 0xFFFF007E),
        ("iUPSPartNumber", 0xFFFF007F),  # string index
        ("AutoOnDelay", 0xFFFF0080),  # seconds
        ("TLWatchdog", 0xFFFF0092),
        ("TLOutletsAvailableMask", 0xFFFF0095),
        ("TLOutletsStatusMask", 0xFFFF0096),
        # page 0x84 codes that these firmwares use for page 0x85 status bits; as the
        # vendor table is consulted first, these names win over the standard ones
        ("TLCharging", 0x00840044),
        ("TLDischarging", 0x00840045),
        ("TLNeedReplacement", 0x0084004B),
        ("TLACPresent", 0x008400D0),
    )
)

#: Battery voltage reported x10 too large.
BATTERY_TENTHS = frozenset((0x1003, 0x1007, 0x1008, 0x1009, 0x1010, 0x2005, *range(0x2007, 0x2015)))
#: Every reading off by powers of ten (Smart1500LCDT and the newer AVR750U).
SCALED_1500LCDT = frozenset((0x3016, 0x3024))
#: Battery chemistry string index is garbage (AVR550U, OMNI1000LCD).
BAD_CHEMISTRY = frozenset((0x1003, 0x2005))

_TL_IDS = (
    (0x1003, "AVR550U"),
    (0x1007, "AVR750U"),
    (0x1008, "ECO550UPS"),
    (0x1009, ""),
    (0x1010, ""),
    (0x1330, "SU3000LCD2UHV"),
    (0x2005, "OMNI1000LCD"),
    (0x2007, "OMNI900LCD"),
    (0x2008, ""),
    (0x2009, "Smart1000LCD"),
    (0x2010, ""),
    (0x2011, ""),
    (0x2012, ""),
    (0x2013, ""),
    (0x2014, ""),
    (0x3008, ""),
    (0x3009, ""),
    (0x3010, ""),
    (0x3011, ""),
    (0x3012, "SMART2200RMXL2U"),
    (0x3013, ""),
    (0x3014, ""),
    (0x3015, ""),
    (0x3016, "Smart1500LCD (newer)"),
    (0x3024, "AVR750U (newer)"),
    (0x4001, "SU1500RTXL2UA (older)"),
    (0x4002, "SU6000RT4U"),
    (0x4003, "SU1500RTXL2ua"),
    (0x4004, "SU1000XLA"),
    (0x4005, ""),
    (0x4006, ""),
    (0x4007, ""),
    (0x4008, ""),
)
_HP_IDS = (
    (0x0001, ""),
    (0x1FE0, "HP R1500 G2/G3 INTL"),
    (0x1FE1, "HP T750 G2"),
    (0x1FE2, ""),
    (0x1FE3, "HP T1500 G3"),
    (0x1F06, "HP T750 INTL"),
    (0x1F08, "HP T1000 INTL"),
    (0x1F09, "HP T1500 INTL"),
    (0x1F0A, "HP R/T 2200 INTL"),
)

DEVICES = (
    tuple(
        UsbId(TRIPPLITE_VENDOR, pid, comment,
              {"skip_report": "0x54"} if pid == 0x1330 else {})
        for pid, comment in _TL_IDS
    )
    + tuple(UsbId(HP_VENDOR, pid, comment) for pid, comment in _HP_IDS)
    + (
        UsbId(DELTA_VENDOR, 0xA011, "Minuteman Enterprise Plus E1500RM2U"),
        UsbId(DELTA_VENDOR, 0xA0A0, "Minuteman PRO1500RT2U"),
    )
)

#: Tripp Lite's serial-over-USB product id (NUT's tripplite_usb driver).
SERIAL_OVER_USB_PRODUCT = 0x0001

# --- conversions ----------------------------------------------------------------------


def _tripplite_pid(ctx: Context) -> int | None:
    """The product id when the device is a Tripp Lite one, else ``None``."""
    if ctx.device.vendor_id != TRIPPLITE_VENDOR:
        return None
    return ctx.device.product_id


def battery_voltage_scale(ctx: Context) -> float:
    pid = _tripplite_pid(ctx)
    if pid in BATTERY_TENTHS:
        return 0.1
    if pid in SCALED_1500LCDT:
        return 100000.0
    return 1.0


def line_voltage_scale(ctx: Context) -> float:
    return 100000.0 if _tripplite_pid(ctx) in SCALED_1500LCDT else 1.0


def frequency_scale(ctx: Context) -> float:
    return 0.01 if _tripplite_pid(ctx) in SCALED_1500LCDT else 1.0


def current_scale(ctx: Context) -> float:
    return 0.01 if _tripplite_pid(ctx) in SCALED_1500LCDT else 1.0


def battery_voltage_to_nut(value: float, ctx: Context) -> str | None:
    return "%.1f" % (battery_voltage_scale(ctx) * value)


def line_voltage_to_nut(value: float, ctx: Context) -> str | None:
    return "%.1f" % (line_voltage_scale(ctx) * value)


def frequency_to_nut(value: float, ctx: Context) -> str | None:
    return "%.1f" % (frequency_scale(ctx) * value)


def current_to_nut(value: float, ctx: Context) -> str | None:
    return "%.1f" % (current_scale(ctx) * value)


def chemistry_to_nut(value: float, ctx: Context) -> str | None:
    """The chemistry string, except on the two PIDs whose index points at garbage.

    NUT compares ``ups.productid`` only, whatever the vendor; so do we.
    """
    if ctx.device.product_id in BAD_CHEMISTRY:
        return "unknown"
    index = int(value)
    if not 0 <= index <= 255:
        return None
    # NUT publishes an empty string when the device cannot give that string
    return ctx.string(index) or ""


TRIPPLITE_BATTVOLT = Convert("tripplite_battvolt", battery_voltage_to_nut)
TRIPPLITE_IOVOLT = Convert("tripplite_iovolt", line_voltage_to_nut)
TRIPPLITE_IOFREQ = Convert("tripplite_iofreq", frequency_to_nut)
TRIPPLITE_IOAMP = Convert("tripplite_ioamp", current_to_nut)
TRIPPLITE_CHEMISTRY = Convert("tripplite_chemistry", chemistry_to_nut)

# --- hid2nut --------------------------------------------------------------------------

HID2NUT: tuple[Row, ...] = (
    # device
    Row("device.part", "UPS.TLCustom.[1].iUPSPartNumber", "%s", STATIC, STRINGID_CONVERSION),
    # battery
    Row("battery.charge", "UPS.PowerSummary.RemainingCapacity", "%.0f"),
    Row("battery.charge", "UPS.BatterySystem.Battery.RemainingCapacity", "%.0f"),
    Row("battery.charge.low", "UPS.PowerSummary.RemainingCapacityLimit", "%.0f", RW | STRING | SEMI_STATIC, length=5),
    Row("battery.charge.warning", "UPS.PowerSummary.WarningCapacityLimit", "%.0f"),
    Row("battery.runtime", "UPS.PowerSummary.RunTimeToEmpty", "%.0f"),
    Row("battery.voltage.nominal", "UPS.BatterySystem.Battery.ConfigVoltage", "%.1f", STATIC),
    Row("battery.voltage", "UPS.BatterySystem.Battery.Voltage", "%s", NONE, TRIPPLITE_BATTVOLT),
    Row("battery.type", "UPS.PowerSummary.iDeviceChemistry", "%s", STATIC, TRIPPLITE_CHEMISTRY),
    Row("battery.temperature", "UPS.BatterySystem.Temperature", "%s", NONE, KELVIN_CELSIUS_CONVERSION),
    # ups
    Row("ups.delay.start", "UPS.OutletSystem.Outlet.DelayBeforeStartup", ONDELAY, RW | STRING | ABSENT, length=10),
    Row("ups.delay.start", "UPS.OutletSystem.Outlet.TLDelayBeforeStartup", ONDELAY, RW | STRING | ABSENT, length=10),
    Row("ups.delay.shutdown", "UPS.OutletSystem.Outlet.DelayBeforeShutdown", OFFDELAY, RW | STRING | ABSENT, length=10),
    Row("ups.timer.start", "UPS.OutletSystem.Outlet.DelayBeforeStartup", "%.0f", QUICK),
    Row("ups.timer.start", "UPS.OutletSystem.Outlet.TLDelayBeforeStartup", "%.0f", QUICK),
    Row("ups.timer.shutdown", "UPS.OutletSystem.Outlet.DelayBeforeShutdown", "%.0f", QUICK),
    Row("ups.timer.reboot", "UPS.OutletSystem.Outlet.DelayBeforeReboot", "%.0f", QUICK),
    Row("ups.test.result", "UPS.BatterySystem.Test", "%s", NONE, TEST_READ_INFO),
    Row("ups.beeper.status", "UPS.PowerSummary.AudibleAlarmControl", "%s", NONE, BEEPER_INFO),
    Row("ups.power.nominal", "UPS.Flow.ConfigApparentPower", "%.0f", STATIC),
    Row("ups.power", "UPS.OutletSystem.Outlet.ActivePower", "%.1f"),
    Row("ups.power", "UPS.PowerConverter.Output.ActivePower", "%.1f"),
    Row("ups.load", "UPS.OutletSystem.Outlet.PercentLoad", "%.0f"),
    Row("ups.firmware", "UPS.TLCustom.[1].UPSFirmwareVersion", "%.0f", STATIC),
    # seconds until the watchdog restarts the UPS; 0 = disabled
    Row("ups.watchdog.status", "UPS.OutletSystem.Outlet.TLWatchdog", "%.0f"),
    # status bits
    Row(BOOL, "UPS.PowerSummary.PresentStatus.InternalFailure", None, NONE, COMMFAULT_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.ShutdownImminent", None, NONE, SHUTDOWNIMM_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.ACPresent", None, QUICK, ONLINE_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.BelowRemainingCapacityLimit", None, QUICK, LOWBATT_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.FullyCharged", None, QUICK, FULLYCHARGED_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.Charging", None, QUICK, CHARGING_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.Discharging", None, QUICK, DISCHARGING_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.FullyDischarged", None, QUICK, DEPLETED_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.NeedReplacement", None, NONE, REPLACEBATT_INFO),
    # the same bits under the page-0x84 codes of some OMNI1000LCD firmwares;
    # HP units use 0x00840045 as the standard ConfigPercentLoad instead
    Row(BOOL, "UPS.PowerSummary.PresentStatus.TLACPresent", None, QUICK, ONLINE_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.TLDischarging", None, QUICK, DISCHARGING_INFO),
    Row("ups.load.nominal", "UPS.Flow.ConfigPercentLoad", "%.0f"),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.TLCharging", None, QUICK, CHARGING_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.TLNeedReplacement", None, NONE, REPLACEBATT_INFO),
    Row(BOOL, "UPS.PowerConverter.PresentStatus.VoltageOutOfRange", None, NONE, VRANGE_INFO),
    Row(BOOL, "UPS.PowerConverter.PresentStatus.Buck", None, NONE, TRIM_INFO),
    Row(BOOL, "UPS.PowerConverter.PresentStatus.Boost", None, NONE, BOOST_INFO),
    Row(BOOL, "UPS.PowerConverter.PresentStatus.Overload", None, NONE, OVERLOAD_INFO),
    Row(BOOL, "UPS.PowerConverter.PresentStatus.OverTemperature", None, NONE, OVERHEAT_INFO),
    Row(BOOL, "UPS.PowerConverter.PresentStatus.InternalFailure", None, NONE, COMMFAULT_INFO),
    Row(BOOL, "UPS.PowerConverter.PresentStatus.AwaitingPower", None, NONE, AWAITINGPOWER_INFO),
    # input
    Row("input.voltage.nominal", "UPS.PowerSummary.Input.ConfigVoltage", "%.0f", STATIC),
    Row("input.voltage", "UPS.PowerSummary.Input.Voltage", "%s", NONE, TRIPPLITE_IOVOLT),
    Row("input.voltage", "UPS.PowerConverter.Input.Voltage", "%s", NONE, TRIPPLITE_IOVOLT),
    Row("input.frequency", "UPS.PowerConverter.Input.Frequency", "%s", NONE, TRIPPLITE_IOFREQ),
    Row("input.transfer.low", "UPS.PowerConverter.Output.LowVoltageTransfer", "%.1f", RW | STRING | SEMI_STATIC, length=5),
    Row("input.transfer.low.max", "UPS.PowerConverter.Output.TLLowVoltageTransferMax", "%.0f", STATIC),
    Row("input.transfer.low.min", "UPS.PowerConverter.Output.TLLowVoltageTransferMin", "%.0f", STATIC),
    Row("input.transfer.high", "UPS.PowerConverter.Output.HighVoltageTransfer", "%.1f", RW | STRING | SEMI_STATIC, length=5),
    Row("input.transfer.high.max", "UPS.PowerConverter.Output.TLHighVoltageTransferMax", "%.0f", STATIC),
    Row("input.transfer.high.min", "UPS.PowerConverter.Output.TLHighVoltageTransferMin", "%.0f", STATIC),
    # output
    Row("output.voltage.nominal", "UPS.Flow.ConfigVoltage", "%.0f", STATIC),
    Row("output.voltage", "UPS.PowerConverter.Output.Voltage", "%s", NONE, TRIPPLITE_IOVOLT),
    Row("output.voltage", "UPS.PowerSummary.Voltage", "%s", NONE, TRIPPLITE_IOVOLT),
    Row("output.current", "UPS.PowerConverter.Output.Current", "%s", NONE, TRIPPLITE_IOAMP),
    Row("output.frequency.nominal", "UPS.Flow.ConfigFrequency", "%.0f", STATIC),
    Row("output.frequency", "UPS.PowerConverter.Output.Frequency", "%s", NONE, TRIPPLITE_IOFREQ),
    # instant commands
    Row("test.battery.start.quick", "UPS.BatterySystem.Test", "1", CMD),
    Row("test.battery.start.deep", "UPS.BatterySystem.Test", "2", CMD),
    Row("test.battery.stop", "UPS.BatterySystem.Test", "3", CMD),
    Row("load.off.delay", "UPS.OutletSystem.Outlet.DelayBeforeShutdown", OFFDELAY, CMD),
    Row("load.on.delay", "UPS.OutletSystem.Outlet.DelayBeforeStartup", ONDELAY, CMD),
    Row("load.on.delay", "UPS.OutletSystem.Outlet.TLDelayBeforeStartup", ONDELAY, CMD),
    Row("shutdown.stop", "UPS.OutletSystem.Outlet.DelayBeforeShutdown", "-1", CMD),
    Row("shutdown.reboot", "UPS.OutletSystem.Outlet.DelayBeforeReboot", "10", CMD),
    # ECO550UPS has no DelayBeforeStartup: a short watchdog makes it restart
    Row("shutdown.reboot", "UPS.OutletSystem.Outlet.TLWatchdog", "10", CMD),
    # re-arms the watchdog; if it ever runs out the UPS restarts its outlets
    Row("reset.watchdog", "UPS.OutletSystem.Outlet.TLWatchdog", "60", CMD),
    Row("beeper.on", "UPS.PowerSummary.AudibleAlarmControl", "2", CMD),
    Row("beeper.off", "UPS.PowerSummary.AudibleAlarmControl", "3", CMD),
    Row("beeper.disable", "UPS.PowerSummary.AudibleAlarmControl", "1", CMD),
    Row("beeper.enable", "UPS.PowerSummary.AudibleAlarmControl", "2", CMD),
    Row("beeper.mute", "UPS.PowerSummary.AudibleAlarmControl", "3", CMD),
)


def claim(sub: Subdriver, device: DeviceInfo, options: Options) -> Claim | None:
    """Listed ids; other HP or Tripp Lite ids only with ``productid``; never 09ae:0001."""
    support, usb_id = support_of(sub.devices, device)
    if support is Support.SUPPORTED:
        return Claim(tweaks=dict(usb_id.tweaks) if usb_id else {})
    if support is Support.NOT:
        return None
    if device.vendor_id == TRIPPLITE_VENDOR and device.product_id == SERIAL_OVER_USB_PRODUCT:
        return None
    if device.vendor_id in (TRIPPLITE_VENDOR, HP_VENDOR) and "productid" in options:
        return Claim()
    return None


SUBDRIVER = Subdriver(
    name="TrippLite HID",
    version="0.85",
    usages=USAGES,
    hid2nut=HID2NUT,
    devices=DEVICES,
    claim=claim,
)
