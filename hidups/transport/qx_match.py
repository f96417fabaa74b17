"""Which USB-serial bridge a Q* UPS sits behind: nutdrv_qx's ``qx_usb_id`` table.

NUT 2.8.5 (drivers/nutdrv_qx.c) picks the framing ("USB subdriver") from the
device's VID:PID and, for the ambiguous 0001:0000 and 06da:0002, its strings; the
first matching row wins, so the order below is NUT's and must stay so. ``subdriver=``
forces a framing (NUT then insists on ``vendorid`` and ``productid`` too).

Kept free of pyusb so that ``hidups list`` and the udev rule generator can use it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from hidups.device import DeviceInfo
from hidups.errors import ConfigError

#: Every framing nutdrv_qx 2.8.5 knows, in its ``usbsubdriver[]`` order.
BRIDGES: tuple[str, ...] = (
    "cypress", "phoenixtec", "phoenix", "ippon", "krauler", "fabula", "hunnox", "fuji",
    "sgs", "snr", "ablerex", "armac", "gtec",
)


@dataclass(frozen=True, slots=True)
class QxUsbId:
    """One row of NUT's ``qx_usb_id``: strings are compared case-insensitively, whole."""

    vendor_id: int
    product_id: int
    vendor: str | None
    product: str | None
    bridge: str | None  # None: NUT knows the device but has no framing for it (CH340)
    model: str

    @property
    def vidpid(self) -> str:
        return f"{self.vendor_id:04x}:{self.product_id:04x}"


#: NUT 2.8.5's table, in order (the first matching row wins).
QX_USB_ID: tuple[QxUsbId, ...] = (
    QxUsbId(0x05B8, 0x0000, None, None, "cypress", "Agiler UPS"),
    QxUsbId(0xFFFF, 0x0000, None, None, "ablerex", "Ablerex 625L USB"),
    QxUsbId(0x1CB0, 0x0035, None, None, "krauler", "Legrand Daker DK / DK Plus"),
    QxUsbId(0x0665, 0x5161, None, None, "cypress", "Belkin F6C1200-UNV/Voltronic Power UPSes"),
    QxUsbId(0x06DA, 0x0002, "Phoenixtec Power", "USB Cable (V2.00)", "phoenixtec",
            "Masterguard A Series"),
    QxUsbId(0x06DA, 0x0002, None, None, "cypress", "Online Yunto YQ450"),
    QxUsbId(0x06DA, 0x0003, None, None, "ippon", "Mustek Powermust"),
    QxUsbId(0x06DA, 0x0004, None, None, "cypress", "Phoenixtec Innova 3/1 T"),
    QxUsbId(0x06DA, 0x0005, None, None, "cypress", "Phoenixtec Innova RT"),
    QxUsbId(0x06DA, 0x0201, None, None, "cypress", "Phoenixtec Innova T"),
    QxUsbId(0x06DA, 0x0601, None, None, "phoenix", "Online Zinto A"),
    QxUsbId(0x0F03, 0x0001, None, None, "cypress", "Unitek Alpha 1200Sx"),
    QxUsbId(0x14F0, 0x00C9, None, None, "phoenix", "GE EP series"),
    QxUsbId(0x1A86, 0x7523, None, None, None, "Ippon Innova TAE (CH340 serial converter)"),
    QxUsbId(0x0483, 0x0035, None, None, "sgs", "TS Shara UPSes"),
    QxUsbId(0x0001, 0x0000, "MEC", "MEC0003", "fabula", "Fideltronik/MEC LUPUS 500 USB"),
    QxUsbId(0x0001, 0x0000, None, "MEC0003", "hunnox", "Hunnox HNX 850"),
    QxUsbId(0x0001, 0x0000, "ATCL FOR UPS", "ATCL FOR UPS", "fuji", "Fuji UPSes"),
    QxUsbId(0x0001, 0x0000, None, None, "krauler", "Krauler UP-M500VA"),
    QxUsbId(0x0001, 0x0000, None, "MEC0003", "snr", "SNR-UPS-LID-XXXX UPSes"),
    QxUsbId(0x0925, 0x1234, None, None, "armac", "Armac UPS (Richcomm PowerManagerII)"),
)


def qx_usb_ids() -> list[QxUsbId]:
    """Every VID:PID nutdrv_qx claims, with its bridge (for ``hidups list`` and udev rules)."""
    return list(QX_USB_ID)


def _same(expected: str | None, actual: str | None) -> bool:
    # NUT: a NULL table string matches anything; a device without the string never
    # matches a non-NULL one; otherwise strcasecmp (whole string, no trimming).
    if expected is None:
        return True
    return actual is not None and expected.lower() == actual.lower()


def bridge_for(info: DeviceInfo) -> tuple[str | None, str]:
    """(bridge, "") when NUT's table supports ``info``, else (None, why not).

    A row without a framing (the CH340 one) is "supported" by NUT's matcher, which then
    fails with "No subdriver selected"; it is refused here with that reason.
    """
    known_vendor = False
    for row in QX_USB_ID:
        if row.vendor_id != info.vendor_id:
            continue
        known_vendor = True
        if row.product_id != info.product_id:
            continue
        if not _same(row.vendor, info.manufacturer) or not _same(row.product, info.product):
            continue
        if row.bridge is None:
            return None, (f"{info.vidpid} ({row.model}) is known to nutdrv_qx but has no USB "
                          "framing (NUT: 'No subdriver selected'); use subdriver=")
        return row.bridge, ""
    if known_vendor:
        return None, (f"vendor {info.vendor_id:04x} is a known Q* bridge maker but "
                      f"{info.vidpid} with strings {info.manufacturer!r}/{info.product!r} is "
                      "not in nutdrv_qx's table (NUT: possibly supported; try subdriver=, "
                      "vendorid= and productid=)")
    return None, (f"{info.vidpid} is not a USB-serial bridge nutdrv_qx knows "
                  "(not in its qx_usb_id table)")


def forced_bridge(options: Mapping[str, str]) -> str | None:
    """The ``subdriver=`` framing, checked as NUT checks it; None when not given."""
    name = options.get("subdriver")
    if name is None:
        return None
    if not options.get("vendorid") or not options.get("productid"):
        raise ConfigError("When specifying a USB 'subdriver', 'vendorid' and 'productid' are "
                          "mandatory.", option="subdriver")
    for bridge in BRIDGES:
        if bridge == name.lower():
            return bridge
    raise ConfigError(f"Subdriver '{name}' not found! (known: {', '.join(BRIDGES)})",
                      option="subdriver")


def parse_langid_fix(options: Mapping[str, str]) -> int | None:
    """``langid_fix=0x0409`` → 0x409; None when absent.

    NUT skips the first two characters whatever they are (``0409`` becomes 0x09) and
    reads the rest as hex; when that fails it only logs a notice and goes on without
    the fix. hidups refuses both: a silently wrong workaround is how a string bridge
    ends up mute.
    """
    text = options.get("langid_fix")
    if text is None:
        return None
    digits = text[2:]
    try:
        if (text[:2].lower() != "0x" or not digits or digits[0] in "+-"
                or any(c.isspace() for c in digits)):
            raise ValueError(text)
        value = int(digits, 16)
    except ValueError:
        raise ConfigError(f"langid_fix={text!r} is not a 0x-prefixed hexadecimal language "
                          "ID (e.g. 0x0409)", option="langid_fix") from None
    if value > 0xFFFF:
        raise ConfigError(f"langid_fix={text!r} is above 0xffff", option="langid_fix")
    return value
