"""Which device protocol drives a UPS: HID Power Device, or Q* (nutdrv_qx's half).

NUT has two drivers and the user names one in ups.conf; hidups is one driver, so it
decides from the options a nutdrv_qx section carries anyway: ``protocol=``, a serial
``port``, a bridge ``subdriver=``, a Q* capture to replay, or the IDs of a USB-serial
bridge that no HID subdriver claims.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from hidups.device import DeviceInfo
from hidups.hid2nut.registry import builtin_subdrivers
from hidups.transport.qx_match import BRIDGES, qx_usb_ids

HID = "hid"
QX = "qx"
REPLAY = "replay:"


def is_qx_capture(path: str) -> bool:
    """A recorded Q* conversation (``captures/qx/*.json``: it has ``exchanges``)."""
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False  # the HID replay backend says what is wrong with it
    return isinstance(doc, dict) and "exchanges" in doc


def _hex(options: Mapping[str, str], name: str) -> int | None:
    try:
        return int(options[name], 16)
    except (KeyError, ValueError):
        return None


def bridge_ids_unclaimed(vid: int, pid: int) -> bool:
    """A USB-serial bridge nutdrv_qx knows, that no HID subdriver claims."""
    if not any(row.vendor_id == vid and row.product_id == pid for row in qx_usb_ids()):
        return False
    device = DeviceInfo(vid, pid)
    return not any(sub.claims(device, {}) for sub in builtin_subdrivers())


def device_protocol(options: Mapping[str, str]) -> str:
    """``"hid"`` or ``"qx"`` for these ups.conf/``-x`` options."""
    if options.get("protocol"):
        return QX
    port = options.get("port", "auto")
    if port.startswith(REPLAY):
        return QX if is_qx_capture(port[len(REPLAY):]) else HID
    if port != "auto":
        return QX  # a serial port: usbhid-ups ignores port, nutdrv_qx opens it
    if options.get("subdriver", "").lower() in BRIDGES:
        return QX
    vid, pid = _hex(options, "vendorid"), _hex(options, "productid")
    if vid is not None and pid is not None and bridge_ids_unclaimed(vid, pid):
        return QX
    return HID
