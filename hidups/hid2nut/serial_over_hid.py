"""Recognise a serial UPS protocol (Megatec/Q*) carried over USB HID.

Many cheap UPSes put a USB-to-serial bridge behind a HID interface: the report
descriptor is a few dozen bytes of vendor-page "send 8 bytes / receive 8 bytes" items,
and the UPS speaks the Megatec/Q1 text protocol through them. No Power Device table can
drive such a device; NUT drives it with ``nutdrv_qx``, whose USB layer knows a handful of
bridge chips by VID:PID. ``explore`` uses this module to say so instead of producing a
useless subdriver.

The VID:PID table below states facts taken from NUT's ``nutdrv_qx.c`` (the
``qx_usb_id`` list and the USB ``subdriver`` option values, NUT 2.8.0 and master).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from hidups.descriptor.model import ReportDescriptor, is_index_node
from hidups.device import DeviceInfo

#: Descriptors shorter than this are suspicious: the smallest Power Device descriptors
#: in the corpus are around 270 bytes, Megatec bridges send 27.
SHORT_DESCRIPTOR_BYTES = 200

#: Power Device (0x84) and Battery System (0x85) usage pages.
POWER_PAGES = frozenset({0x84, 0x85})


@dataclass(frozen=True, slots=True)
class QxUsbId:
    """One entry of nutdrv_qx's USB device list.

    ``usb_subdriver`` is the value of nutdrv_qx's ``subdriver`` option that NUT picks
    for this id (``None`` where NUT has no specific handler). ``manufacturer`` and
    ``product``, when set, must equal the device's strings for the entry to apply.
    """

    vendor_id: int
    product_id: int
    usb_subdriver: str | None
    comment: str
    manufacturer: str | None = None
    product: str | None = None


# fmt: off
NUTDRV_QX_USB_IDS: tuple[QxUsbId, ...] = (
    QxUsbId(0x05B8, 0x0000, "cypress", "Agiler UPS"),
    QxUsbId(0xFFFF, 0x0000, "ablerex", "Ablerex 625L USB"),
    QxUsbId(0x1CB0, 0x0035, "krauler", "Legrand Daker DK / DK Plus"),
    QxUsbId(0x0665, 0x5161, "cypress", "Belkin F6C1200-UNV / Voltronic Power UPSes"),
    QxUsbId(0x06DA, 0x0002, "phoenixtec", "Masterguard A Series",
            "Phoenixtec Power", "USB Cable (V2.00)"),
    QxUsbId(0x06DA, 0x0002, "cypress", "Online Yunto YQ450"),
    QxUsbId(0x06DA, 0x0003, "ippon", "Mustek Powermust"),
    QxUsbId(0x06DA, 0x0004, "cypress", "Phoenixtec Innova 3/1 T"),
    QxUsbId(0x06DA, 0x0005, "cypress", "Phoenixtec Innova RT"),
    QxUsbId(0x06DA, 0x0201, "cypress", "Phoenixtec Innova T"),
    QxUsbId(0x06DA, 0x0601, "phoenix", "Online Zinto A"),
    QxUsbId(0x0F03, 0x0001, "cypress", "Unitek Alpha 1200Sx"),
    QxUsbId(0x14F0, 0x00C9, "phoenix", "GE EP series"),
    QxUsbId(0x1A86, 0x7523, None, "CH340 serial bridge (Ippon Innova TAE; also non-UPS devices)"),
    QxUsbId(0x0483, 0x0035, "sgs", "TS Shara UPSes"),
    QxUsbId(0x0590, 0x00B7, "omron", "OMRON BN150T"),
    QxUsbId(0x0001, 0x0000, "fabula", "Fideltronik/MEC LUPUS 500 USB", "MEC", "MEC0003"),
    QxUsbId(0x0001, 0x0000, "hunnox", "Hunnox HNX 850", None, "MEC0003"),
    QxUsbId(0x0001, 0x0000, "fuji", "Fuji UPSes", "ATCL FOR UPS", "ATCL FOR UPS"),
    QxUsbId(0x0001, 0x0000, "krauler", "Krauler UP-M500VA"),
    QxUsbId(0x0001, 0x0000, "snr", "SNR-UPS-LID-XXXX UPSes", None, "MEC0003"),
    QxUsbId(0x0925, 0x1234, "armac", "Armac UPS (richcomm-like)"),
)
# fmt: on

#: nutdrv_qx's USB ``subdriver`` values, to suggest when the VID:PID is not listed.
QX_USB_SUBDRIVERS = (
    "cypress", "phoenixtec", "phoenix", "ippon", "krauler", "fabula", "hunnox", "fuji",
    "sgs", "snr", "ablerex", "armac",
)


class Kind(enum.Enum):
    """What a descriptor looks like."""

    POWER_DEVICE = "power-device"  # a HID Power Device: a usbhid-ups-style driver fits
    SUSPECT = "suspect"  # short or listed by nutdrv_qx, yet declares Power Device usages
    SERIAL_OVER_HID = "serial-over-hid"  # no Power Device usage at all: a serial bridge


@dataclass(frozen=True, slots=True)
class Verdict:
    """The assessment, with the facts it rests on (so the text can cite them)."""

    kind: Kind
    descriptor_len: int
    pages: frozenset[int]
    power_fields: int  # fields whose path uses page 0x84 or 0x85
    qx_ids: tuple[QxUsbId, ...]  # nutdrv_qx entries matching the device
    parse_error: str | None = None

    @property
    def is_short(self) -> bool:
        return self.descriptor_len < SHORT_DESCRIPTOR_BYTES

    @property
    def flagged(self) -> bool:
        """True when the user must be told about nutdrv_qx."""
        return self.kind is not Kind.POWER_DEVICE


def _same_text(wanted: str | None, actual: str | None) -> bool:
    """nutdrv_qx compares strings case-insensitively; an unset entry string matches all."""
    return wanted is None or (actual is not None and wanted.lower() == actual.lower())


def matching_qx_ids(device: DeviceInfo) -> tuple[QxUsbId, ...]:
    """nutdrv_qx entries matching ``device``, in table order (NUT uses the first)."""
    return tuple(
        entry for entry in NUTDRV_QX_USB_IDS
        if (entry.vendor_id, entry.product_id) == (device.vendor_id, device.product_id)
        and _same_text(entry.manufacturer, device.manufacturer)
        and _same_text(entry.product, device.product)
    )


def pages_of(desc: ReportDescriptor) -> tuple[frozenset[int], int]:
    """Usage pages the descriptor names, and how many fields use a Power Device page."""
    pages: set[int] = {c.usage >> 16 for c in desc.collections if c.usage}
    power_fields = 0
    for fld in desc.fields:
        field_pages = {node >> 16 for node in fld.path if not is_index_node(node)}
        pages |= field_pages
        if field_pages & POWER_PAGES:
            power_fields += 1
    return frozenset(pages), power_fields


def assess(raw: bytes, device: DeviceInfo, desc: ReportDescriptor | None,
           parse_error: str | None = None) -> Verdict:
    """Classify a device from its descriptor bytes, parsed form (if it parsed) and id."""
    qx_ids = matching_qx_ids(device)
    if desc is None:
        pages: frozenset[int] = frozenset()
        power_fields = 0
    else:
        pages, power_fields = pages_of(desc)
    if power_fields == 0:
        kind = Kind.SERIAL_OVER_HID
    elif len(raw) < SHORT_DESCRIPTOR_BYTES or qx_ids:
        kind = Kind.SUSPECT
    else:
        kind = Kind.POWER_DEVICE
    return Verdict(kind, len(raw), pages, power_fields, qx_ids, parse_error)


def ups_conf_hint(device: DeviceInfo, verdict: Verdict) -> list[str]:
    """A ``ups.conf`` section to try with NUT's nutdrv_qx."""
    lines = [
        "[myups]",
        "    driver = nutdrv_qx",
        "    port = auto",
        f"    vendorid = {device.vendor_id:04x}",
        f"    productid = {device.product_id:04x}",
    ]
    first = verdict.qx_ids[0].usb_subdriver if verdict.qx_ids else None
    if first is not None:
        lines.append(f"    subdriver = {first}   # what nutdrv_qx picks for this VID:PID")
    else:
        lines.append(f"    # subdriver = one of: {', '.join(QX_USB_SUBDRIVERS)}")
    return lines


def explain(device: DeviceInfo, verdict: Verdict) -> list[str]:
    """Human-readable lines for ``explore``: what the device probably is and what to do."""
    if not verdict.flagged:
        return []
    page_text = ", ".join(f"0x{p:04x}" for p in sorted(verdict.pages)) or "none"
    facts = f"report descriptor: {verdict.descriptor_len} bytes; usage pages: {page_text}"
    if verdict.parse_error:
        facts += f"; it does not parse: {verdict.parse_error}"
    lines: list[str] = []
    if verdict.kind is Kind.SERIAL_OVER_HID:
        lines += [
            "This device does not look like a HID Power Device: its descriptor declares no "
            "Power Device (0x84) or Battery System (0x85) usage.",
            f"  ({facts})",
            "It is most likely a serial UPS protocol (Megatec/Q1 and relatives) carried over "
            "HID reports. A HID Power Device driver (hidups, NUT's usbhid-ups) cannot drive "
            "it, and a generated subdriver would map nothing.",
        ]
    else:
        reasons = []
        if verdict.is_short:
            reasons.append(
                f"its descriptor is short ({verdict.descriptor_len} bytes, "
                f"under {SHORT_DESCRIPTOR_BYTES})"
            )
        if verdict.qx_ids:
            reasons.append("NUT's nutdrv_qx lists its VID:PID as a serial-over-USB bridge")
        lines += [
            "Caution: " + " and ".join(reasons) + ", as is typical of serial UPS protocols "
            "(Megatec/Q*) carried over HID.",
            f"  ({facts}; {verdict.power_fields} fields use Power Device/Battery System "
            "usages)",
            "It does declare Power Device usages, so it may also be a minimal HID Power "
            "Device: check that the values below make sense before writing a subdriver.",
        ]
    for entry in verdict.qx_ids[:1]:
        sub = f"subdriver={entry.usb_subdriver}" if entry.usb_subdriver else "no USB subdriver"
        lines.append(
            f"nutdrv_qx knows {entry.vendor_id:04x}:{entry.product_id:04x} "
            f"({entry.comment}): {sub}."
        )
    if not verdict.qx_ids:
        lines.append(
            f"nutdrv_qx does not list {device.vidpid}: give it vendorid/productid and try "
            "its USB subdrivers one by one."
        )
    lines.append("Try NUT's nutdrv_qx driver (man nutdrv_qx), for example in ups.conf:")
    lines += ["    " + line for line in ups_conf_hint(device, verdict)]
    return lines
