# ruff: noqa: E501  (hid2nut rows stay one per line, so they can be grepped)
"""iDowell (VID 075d) and the GoldenMate LiFePO4 units sold under Phoenixtec's VID 06da.

Behaviour follows NUT's idowell-hid 0.22. GoldenMate shares 06da:ffff with every
Phoenixtec OEM, so that id is claimed only when the strings say GoldenMate (vendor
contains "BMS" or product contains "Smart-Battery"); other 06da units fall through
to the Phoenixtec/Liebert subdriver, which comes later in the registry.

The GoldenMate descriptor (075d:0300) gives report 0x02's RunTimeToEmpty and
Voltage a logical maximum below their minimum, which clips every reading; the
fix-up raises those maxima (see :func:`fix_report_desc`).
"""

from __future__ import annotations

from hidups.descriptor.model import Field, ReportDescriptor
from hidups.device import DeviceInfo
from hidups.hid2nut.lookups import (
    CHARGING_INFO,
    COMMFAULT_INFO,
    DISCHARGING_INFO,
    LOWBATT_INFO,
    NOBATTERY_INFO,
    OFF_INFO,
    ONLINE_INFO,
    OVERLOAD_INFO,
    REPLACEBATT_INFO,
    SHUTDOWNIMM_INFO,
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
    Row,
)
from hidups.usages import UsageTable

IDOWELL_VENDOR = 0x075D
PHOENIXTEC_VENDOR = 0x06DA

USAGES = UsageTable(())

DEVICES = (
    UsbId(IDOWELL_VENDOR, 0x0300, "iDowell, GoldenMate"),
    UsbId(PHOENIXTEC_VENDOR, 0xFFFF, "GoldenMate 1000VA/800W LiFePO4 (by strings only)"),
)

# --- hid2nut --------------------------------------------------------------------------

HID2NUT: tuple[Row, ...] = (
    # status bits
    Row(BOOL, "UPS.PowerSummary.PresentStatus.ACPresent", None, QUICK, ONLINE_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.BatteryPresent", None, NONE, NOBATTERY_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.BelowRemainingCapacityLimit", None, QUICK, LOWBATT_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.Charging", None, QUICK, CHARGING_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.CommunicationLost", None, NONE, COMMFAULT_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.Discharging", None, QUICK, DISCHARGING_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.Good", None, NONE, OFF_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.InternalFailure", None, NONE, COMMFAULT_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.NeedReplacement", None, NONE, REPLACEBATT_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.Overload", None, NONE, OVERLOAD_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.ShutdownImminent", None, NONE, SHUTDOWNIMM_INFO),
    # device
    Row("device.mfr", "UPS.PowerSummary.iManufacturer", "%s", STATIC, STRINGID_CONVERSION),
    Row("device.model", "UPS.PowerSummary.iProduct", "%s", STATIC, STRINGID_CONVERSION),
    Row("device.serial", "UPS.PowerSummary.iSerialNumber", "%s", STATIC, STRINGID_CONVERSION),
    # battery
    Row("battery.capacity.design", "UPS.PowerSummary.DesignCapacity", "%.0f", STATIC),
    Row("battery.charge", "UPS.PowerSummary.RemainingCapacity", "%.0f"),
    Row("battery.charge.low", "UPS.PowerSummary.RemainingCapacityLimit", "%.0f", STATIC),
    Row("battery.charge.low", "UPS.PowerSummary.WarningCapacityLimit", "%.0f", STATIC),
    Row("battery.capacity.full", "UPS.PowerSummary.FullChargeCapacity", "%.0f"),
    Row("battery.runtime", "UPS.PowerSummary.RunTimeToEmpty", "%.0f"),
    Row("battery.type", "UPS.PowerSummary.iDeviceChemistry", "%s", STATIC, STRINGID_CONVERSION),
    # ups
    Row("ups.delay.start", "UPS.PowerSummary.DelayBeforeStartup", ONDELAY, RW | STRING | ABSENT, length=10),
    Row("ups.delay.shutdown", "UPS.PowerSummary.DelayBeforeShutdown", OFFDELAY, RW | STRING | ABSENT, length=10),
    Row("ups.timer.start", "UPS.PowerSummary.DelayBeforeStartup", "%.0f", QUICK),
    Row("ups.timer.shutdown", "UPS.PowerSummary.DelayBeforeShutdown", "%.0f", QUICK),
    Row("ups.load", "UPS.PowerSummary.PercentLoad", "%.0f"),
    Row("ups.power.nominal", "UPS.Flow.[4].ConfigApparentPower", "%.0f", STATIC),
    # input and output
    Row("input.transfer.high", "UPS.PowerConverter.Output.HighVoltageTransfer", "%.0f", STATIC),
    Row("input.transfer.low", "UPS.PowerConverter.Output.LowVoltageTransfer", "%.0f", STATIC),
    Row("output.voltage", "UPS.PowerConverter.Output.Voltage", "%.1f"),
    Row("battery.voltage", "UPS.PowerSummary.Voltage", "%.1f"),
    Row("output.voltage.nominal", "UPS.Flow.[4].ConfigVoltage", "%.0f", STATIC),
    Row("battery.voltage.nominal", "UPS.PowerSummary.ConfigVoltage", "%.1f", STATIC),
    Row("output.frequency.nominal", "UPS.Flow.[4].ConfigFrequency", "%.0f", STATIC),
    # instant commands
    Row("load.off.delay", "UPS.PowerSummary.DelayBeforeShutdown", OFFDELAY, CMD),
    Row("load.on.delay", "UPS.PowerSummary.DelayBeforeStartup", ONDELAY, CMD),
    Row("shutdown.stop", "UPS.PowerSummary.DelayBeforeShutdown", "-1", CMD),
)

# --- claim and report descriptor fix-up ---------------------------------------------------


def is_goldenmate(device: DeviceInfo) -> bool:
    return "BMS" in (device.manufacturer or "") or "Smart-Battery" in (device.product or "")


def claim(sub: Subdriver, device: DeviceInfo, options: Options) -> Claim | None:
    """Listed ids, but 06da:ffff only for GoldenMate; other ids with ``productid``."""
    support, usb_id = support_of(sub.devices, device)
    if support is Support.SUPPORTED:
        if device.vendor_id == PHOENIXTEC_VENDOR and not is_goldenmate(device):
            return None
        return Claim(tweaks=dict(usb_id.tweaks) if usb_id else {})
    if support is Support.POSSIBLY and "productid" in options:
        return Claim()
    return None


USAGE_RUN_TIME_TO_EMPTY = 0x00850068
USAGE_VOLTAGE = 0x00840030
FIXUP_REPORT = 0x02
RUNTIME_LOGMAX = 0x75FFFFFF
VOLTAGE_LOGMAX = 65535
FIXUP_IDS = ((IDOWELL_VENDOR, 0x0300), (PHOENIXTEC_VENDOR, 0xFFFF))


def _field(desc: ReportDescriptor, report_id: int, usage: int) -> Field | None:
    """First field of any type in ``report_id`` whose own usage is ``usage`` (as NUT)."""
    for item in desc.fields:
        if item.report_id == report_id and item.usage == usage:
            return item
    return None


def _raise_inverted_max(desc: ReportDescriptor, usage: int, name: str,
                        new_max: int) -> list[str]:
    item = _field(desc, FIXUP_REPORT, usage)
    if item is None or item.logical_max >= item.logical_min:
        return []
    line = (f"report 0x02 {name}: logical maximum {item.logical_max} (below minimum "
            f"{item.logical_min}) -> {new_max}")
    item.logical_max = new_max
    item.assumed_logmax = True
    return [line]


def fix_report_desc(device: DeviceInfo, desc: ReportDescriptor, options: Options) -> list[str]:
    """Raise report 0x02's RunTimeToEmpty and Voltage maxima when below their minima."""
    if (device.vendor_id, device.product_id) not in FIXUP_IDS:
        return []
    if "disable_fix_report_desc" in options:
        return []
    return (_raise_inverted_max(desc, USAGE_RUN_TIME_TO_EMPTY, "RunTimeToEmpty", RUNTIME_LOGMAX)
            + _raise_inverted_max(desc, USAGE_VOLTAGE, "Voltage", VOLTAGE_LOGMAX))


def format_mfr(device: DeviceInfo, ctx: Context) -> str | None:
    return device.manufacturer if device.manufacturer is not None else "iDowell"


SUBDRIVER = Subdriver(
    name="iDowell HID",
    version="0.22",
    usages=USAGES,
    hid2nut=HID2NUT,
    devices=DEVICES,
    claim=claim,
    format_mfr=format_mfr,
    fix_report_desc=fix_report_desc,
)
