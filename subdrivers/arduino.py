# ruff: noqa: E501  (hid2nut rows stay one per line, so they can be grepped)
"""Arduino boards running a HID Power Device sketch (VIDs 2341 and 2a03).

Behaviour follows NUT's arduino-hid 0.22. The sketches (e.g. abratchik/HIDPowerDevice)
put the UPS on the board's second HID interface with endpoints 4 and 5, so every
claim, including a ``productid`` one, brings those transport defaults.
"""

from __future__ import annotations

from hidups.device import DeviceInfo
from hidups.hid2nut.lookups import (
    CHARGING_INFO,
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
    Row,
)
from hidups.usages import UsageTable

ARDUINO_VENDOR = 0x2341
ARDUINO_ORG_VENDOR = 0x2A03

#: Transport defaults for these boards; a user's own option wins.
ARDUINO_TWEAKS = {"usb_hid_ep_in": "4", "usb_hid_ep_out": "5", "usb_hid_rep_index": "2"}

USAGES = UsageTable(())

DEVICES = (
    UsbId(ARDUINO_VENDOR, 0x0036, "Leonardo bootloader", ARDUINO_TWEAKS),
    UsbId(ARDUINO_VENDOR, 0x8036, "Leonardo", ARDUINO_TWEAKS),
    UsbId(ARDUINO_ORG_VENDOR, 0x0036, "Leonardo bootloader (arduino.org)", ARDUINO_TWEAKS),
    UsbId(ARDUINO_ORG_VENDOR, 0x8036, "Leonardo (arduino.org)", ARDUINO_TWEAKS),
    UsbId(ARDUINO_ORG_VENDOR, 0x0040, "", ARDUINO_TWEAKS),
    UsbId(ARDUINO_ORG_VENDOR, 0x8040, "", ARDUINO_TWEAKS),
)

# --- hid2nut --------------------------------------------------------------------------

HID2NUT: tuple[Row, ...] = (
    Row("ups.delay.start", "UPS.PowerSummary.DelayBeforeStartup", ONDELAY, RW | STRING | ABSENT, length=10),
    Row("ups.delay.shutdown", "UPS.PowerSummary.DelayBeforeShutdown", OFFDELAY, RW | STRING | ABSENT, length=10),
    Row("ups.timer.start", "UPS.PowerSummary.DelayBeforeStartup", "%.0f", QUICK),
    Row("ups.timer.shutdown", "UPS.PowerSummary.DelayBeforeShutdown", "%.0f", QUICK),
    Row("ups.timer.reboot", "UPS.PowerSummary.DelayBeforeReboot", "%.0f", QUICK),
    Row("load.off.delay", "UPS.PowerSummary.DelayBeforeShutdown", OFFDELAY, CMD),
    Row("load.on.delay", "UPS.PowerSummary.DelayBeforeStartup", ONDELAY, CMD),
    Row("shutdown.stop", "UPS.PowerSummary.DelayBeforeShutdown", "-1", CMD),
    Row("shutdown.reboot", "UPS.PowerSummary.DelayBeforeReboot", "10", CMD),
    Row("battery.type", "UPS.PowerSummary.iDeviceChemistry", "%s", STATIC, STRINGID_CONVERSION),
    Row("battery.voltage.nominal", "UPS.PowerSummary.ConfigVoltage", "%.2f", QUICK),
    Row("battery.voltage", "UPS.PowerSummary.Voltage", "%.2f", QUICK),
    Row("battery.runtime", "UPS.PowerSummary.RunTimeToEmpty", "%.0f", QUICK),
    Row("battery.runtime.low", "UPS.PowerSummary.RemainingTimeLimit", "%.0f", SEMI_STATIC),
    Row("battery.charge", "UPS.PowerSummary.RemainingCapacity", "%.0f"),
    Row("battery.charge.low", "UPS.PowerSummary.RemainingCapacityLimit", "%.0f", SEMI_STATIC),
    Row("battery.charge.warning", "UPS.PowerSummary.WarningCapacityLimit", "%.0f", SEMI_STATIC),
    Row("ups.load", "UPS.PowerSummary.PercentLoad", "%.0f"),
    Row("input.voltage", "UPS.PowerConverter.Input.[1].Voltage", "%.1f"),
    Row("output.voltage", "UPS.PowerConverter.Output.Voltage", "%.1f"),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.ACPresent", None, QUICK, ONLINE_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.Discharging", None, QUICK, DISCHARGING_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.Charging", None, QUICK, CHARGING_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.NeedReplacement", None, NONE, REPLACEBATT_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.ShutdownImminent", None, NONE, SHUTDOWNIMM_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.BelowRemainingCapacityLimit", None, QUICK, LOWBATT_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.Overload", None, NONE, OVERLOAD_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.RemainingTimeLimitExpired", None, NONE, TIMELIMITEXPIRED_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.BatteryPresent", None, NONE, NOBATTERY_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.FullyCharged", None, QUICK, FULLYCHARGED_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.FullyDischarged", None, QUICK, DEPLETED_INFO),
)


def claim(sub: Subdriver, device: DeviceInfo, options: Options) -> Claim | None:
    """Listed ids, or a known VID with ``productid``; both with the endpoint tweaks."""
    support, _ = support_of(sub.devices, device)
    if support is Support.SUPPORTED or (support is Support.POSSIBLY and "productid" in options):
        return Claim(tweaks=dict(ARDUINO_TWEAKS))
    return None


def format_mfr(device: DeviceInfo, ctx: Context) -> str | None:
    return device.manufacturer if device.manufacturer is not None else "Arduino"


SUBDRIVER = Subdriver(
    name="Arduino HID",
    version="0.22",
    usages=USAGES,
    hid2nut=HID2NUT,
    devices=DEVICES,
    claim=claim,
    format_mfr=format_mfr,
)
