"""What a subdriver is: a vendor's usage names, claim, hid2nut rows and hooks.

One module per vendor in ``subdrivers/`` defines one (or a few) :class:`Subdriver`
values named ``SUBDRIVER`` (or ``SUBDRIVERS``, a tuple). Everything a subdriver does
is either a table or a small named function handed to this record.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from hidups.descriptor.model import ReportDescriptor
from hidups.device import DeviceInfo
from hidups.hid2nut.table import Context, Row
from hidups.usages import UsageTable

#: Driver options as the driver sees them: name → value (``""`` for a set flag).
Options = Mapping[str, str]


class Support(enum.Enum):
    """NUT's ``is_usb_device_supported`` answers."""

    NOT = 0
    SUPPORTED = 1
    POSSIBLY = 2  # known vendor id, unknown product id


@dataclass(frozen=True, slots=True)
class UsbId:
    """A VID:PID a subdriver claims, with what NUT's table says of it.

    ``tweaks`` are option defaults that apply when this id is claimed (NUT sets
    them in its claim functions): ``{"pollonly": ""}``, ``{"interruptsize": "8"}``,
    ``{"usb_hid_rep_index": "1"}``. A user's own option always wins.
    """

    vendor_id: int
    product_id: int
    comment: str = ""
    tweaks: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Claim:
    """A subdriver's yes to a device, with the option defaults it brings."""

    tweaks: Mapping[str, str] = field(default_factory=dict)


ClaimFn = Callable[["Subdriver", DeviceInfo, Options], "Claim | None"]
FormatFn = Callable[[DeviceInfo, Context], "str | None"]
#: A fix-up changes fields of the parsed descriptor in place and returns one
#: human-readable line per change (logged, and asserted by tests).
FixupFn = Callable[[DeviceInfo, ReportDescriptor, Options], list[str]]


def support_of(ids: tuple[UsbId, ...], device: DeviceInfo) -> tuple[Support, UsbId | None]:
    """How ``ids`` covers ``device``: exact id, known vendor only, or not at all."""
    vendor_known = False
    for usb_id in ids:
        if usb_id.vendor_id != device.vendor_id:
            continue
        vendor_known = True
        if usb_id.product_id == device.product_id:
            return Support.SUPPORTED, usb_id
    return (Support.POSSIBLY if vendor_known else Support.NOT), None


def claim_by_table(sub: Subdriver, device: DeviceInfo, options: Options) -> Claim | None:
    """NUT's usual claim: a listed VID:PID; a known VID only when ``productid`` is given."""
    support, usb_id = support_of(sub.devices, device)
    if support is Support.SUPPORTED:
        return Claim(tweaks=dict(usb_id.tweaks) if usb_id else {})
    if support is Support.POSSIBLY and "productid" in options:
        return Claim()
    return None


def format_model_default(device: DeviceInfo, ctx: Context) -> str | None:
    return device.product


def format_mfr_default(device: DeviceInfo, ctx: Context) -> str | None:
    return device.manufacturer


def format_serial_default(device: DeviceInfo, ctx: Context) -> str | None:
    return device.serial


def no_fixups(device: DeviceInfo, desc: ReportDescriptor, options: Options) -> list[str]:
    return []


@dataclass(frozen=True, slots=True)
class Subdriver:
    """A vendor's subdriver, as NUT's ``subdriver_t``.

    ``name`` and ``version`` make ``driver.version.data`` (``"APC HID 0.101"``);
    ``version`` follows the NUT subdriver version whose behaviour we match.
    ``usages`` holds only the vendor names; the driver chains it to the standard
    tables. ``defaults`` are option defaults for every device this subdriver claims
    (CyberPower: ``offdelay=60``, ``ondelay=120``, ``pollfreq=12``).
    """

    name: str
    version: str
    usages: UsageTable
    hid2nut: tuple[Row, ...]
    devices: tuple[UsbId, ...] = ()
    claim: ClaimFn = claim_by_table
    format_model: FormatFn = format_model_default
    format_mfr: FormatFn = format_mfr_default
    format_serial: FormatFn = format_serial_default
    fix_report_desc: FixupFn = no_fixups
    defaults: Mapping[str, str] = field(default_factory=dict)

    @property
    def full_name(self) -> str:
        return f"{self.name} {self.version}"

    def claims(self, device: DeviceInfo, options: Options) -> Claim | None:
        return self.claim(self, device, options)
