"""One opened Q* device, as the Q* protocol layer talks to it, and how to open one.

A Q* UPS is a serial text protocol, reached through a USB-serial bridge (one framing
per bridge chip, ``qx_usb``) or a serial port (``serial_backend``). Both give a
:class:`QxLink`; :func:`open_qx_link` picks the one NUT's ``nutdrv_qx`` would and loads
its module only then (pyusb and pyserial are not needed by ``import hidups``).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Protocol

from hidups.device import DeviceInfo
from hidups.errors import AccessDenied, DeviceNotFound, Disconnected, TransportError

#: libusb errors after which nutdrv_qx's qx_command closes the device and reopens it on
#: the next loop (NUT 2.8.5: NO_DEVICE, ACCESS, IO, NOT_FOUND); the others (a timeout,
#: a STALL, an overflow) spoil that one answer and the walk goes on.
RECONNECT_ERRORS = frozenset({"LIBUSB_ERROR_NO_DEVICE", "LIBUSB_ERROR_ACCESS",
                              "LIBUSB_ERROR_IO", "LIBUSB_ERROR_NOT_FOUND"})

#: Options that make nutdrv_qx use USB rather than the serial port ``port`` names.
USB_OPTIONS = ("subdriver", "vendorid", "productid", "vendor", "product", "serial", "bus",
               "busport", "langid_fix")


class QxLink(Protocol):
    """One opened Q* device: a USB bridge or a serial port."""

    info: DeviceInfo
    bridge: str

    def command(self, cmd: bytes, timeout: float | None = None) -> bytes:
        """Send ``cmd`` (CR included) and return the answer as NUT's driver gets it;
        ``b""`` when NUT gets none. Transport failures raise hidups TransportErrors."""
        ...

    def close(self) -> None: ...


def is_link_lost(exc: TransportError) -> bool:
    """True for the errors after which NUT reopens the device (see RECONNECT_ERRORS)."""
    if isinstance(exc, (Disconnected, AccessDenied, DeviceNotFound)):
        return True
    return exc.libusb_error in RECONNECT_ERRORS


def as_query(link: QxLink) -> Callable[[bytes], bytes | None]:
    """The protocol layer's ``Query``: the answer, or None when this exchange failed
    (a timeout: NUT's "no reply"; a STALL or overflow: NUT's failed command); errors
    after which NUT reopens the device propagate."""
    def query(cmd: bytes) -> bytes | None:
        try:
            return link.command(cmd)
        except TransportError as exc:
            if is_link_lost(exc):
                raise
            return None
    return query


def uses_usb(options: Mapping[str, str]) -> bool:
    """NUT's rule: USB when ``port=auto`` or any USB matching option is set."""
    return options.get("port", "auto") == "auto" or any(o in options for o in USB_OPTIONS)


def open_qx_link(options: Mapping[str, str]) -> QxLink:
    """Open the Q* device the options name: a USB bridge, or the serial ``port``."""
    if uses_usb(options):
        link: QxLink = importlib.import_module("hidups.transport.qx_usb").open_qx_usb(options)
        return link
    serial = importlib.import_module("hidups.transport.serial_backend")
    opened: QxLink = serial.open_qx_serial(options["port"], options)
    return opened
