# ruff: noqa: E501  (hid2nut rows stay one per line, so they can be grepped)
"""Powervar (VID 4234, PID 0002): status and battery only, on the second descriptor.

Behaviour follows NUT's powervar-hid 0.21: every claim, including a ``productid``
one, defaults ``usb_hid_rep_index`` to 1. As in NUT, the InternalFailure and Good
bits are read through a yes/no table that the status synthesis ignores.
"""

from __future__ import annotations

from hidups.device import DeviceInfo
from hidups.hid2nut.lookups import (
    CHARGING_INFO,
    DEPLETED_INFO,
    DISCHARGING_INFO,
    FULLYCHARGED_INFO,
    LOWBATT_INFO,
    ONLINE_INFO,
    OVERHEAT_INFO,
    OVERLOAD_INFO,
    REPLACEBATT_INFO,
    SHUTDOWNIMM_INFO,
    STRINGID_CONVERSION,
    TIMELIMITEXPIRED_INFO,
    YES_NO_INFO,
)
from hidups.hid2nut.subdriver import Claim, Options, Subdriver, Support, UsbId, support_of
from hidups.hid2nut.table import (
    BOOL,
    NONE,
    QUICK,
    Context,
    Row,
)
from hidups.usages import UsageTable

POWERVAR_VENDOR = 0x4234
POWERVAR_TWEAKS = {"usb_hid_rep_index": "1"}

USAGES = UsageTable((("POWERVAR1", 0xFF000001),))

DEVICES = (UsbId(POWERVAR_VENDOR, 0x0002, "", POWERVAR_TWEAKS),)

# --- hid2nut --------------------------------------------------------------------------

HID2NUT: tuple[Row, ...] = (
    Row("battery.type", "UPS.PowerSummary.iDeviceChemistry", "%s", NONE, STRINGID_CONVERSION),
    Row("battery.charge", "UPS.PowerSummary.RemainingCapacity", "%.0f"),
    Row("battery.capacity", "UPS.PowerSummary.FullChargeCapacity", "%.0f"),
    Row("battery.runtime", "UPS.PowerSummary.RuntimeToEmpty", "%.0f"),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.ACPresent", None, QUICK, ONLINE_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.Discharging", None, QUICK, DISCHARGING_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.Charging", None, QUICK, CHARGING_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.ShutdownImminent", None, NONE, SHUTDOWNIMM_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.BelowRemainingCapacityLimit", None, NONE, LOWBATT_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.Overload", None, NONE, OVERLOAD_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.NeedReplacement", None, NONE, REPLACEBATT_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.RemainingTimeLimitExpired", None, NONE, TIMELIMITEXPIRED_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.InternalFailure", None, NONE, YES_NO_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.Good", None, NONE, YES_NO_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.OverTemperature", None, NONE, OVERHEAT_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.FullyCharged", None, NONE, FULLYCHARGED_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.FullyDischarged", None, NONE, DEPLETED_INFO),
)


def claim(sub: Subdriver, device: DeviceInfo, options: Options) -> Claim | None:
    """Listed id, or the VID with ``productid``; both with ``usb_hid_rep_index=1``."""
    support, _ = support_of(sub.devices, device)
    if support is Support.SUPPORTED or (support is Support.POSSIBLY and "productid" in options):
        return Claim(tweaks=dict(POWERVAR_TWEAKS))
    return None


def format_mfr(device: DeviceInfo, ctx: Context) -> str | None:
    return device.manufacturer if device.manufacturer is not None else "Powervar"


SUBDRIVER = Subdriver(
    name="Powervar HID",
    version="0.21",
    usages=USAGES,
    hid2nut=HID2NUT,
    devices=DEVICES,
    claim=claim,
    format_mfr=format_mfr,
)
