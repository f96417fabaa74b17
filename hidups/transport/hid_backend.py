"""The hid backend: hidapi through the ``hid`` package (apmorton/pyhidapi, ctypes).

Used when asked for (``backend = hid``). hidapi owns the device access, so there is no
kernel-driver detach here: with hidapi's hidraw flavour the kernel's usbhid stays bound
(upower keeps seeing the UPS), with its libusb flavour hidapi detaches it itself.
``import hid`` raises ImportError when no hidapi shared library is installed
(Debian: libhidapi-hidraw0 or libhidapi-libusb0); that becomes BackendUnavailable only
when this backend is asked for.

hidapi below 0.14 (Debian 12 ships 0.13) has no call for the report descriptor, so it
is read, in this order, from ``hid_get_report_descriptor``, from sysfs (hidraw
devices), or with one USB control transfer through the pyusb backend before hidapi
opens the device.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hidups.descriptor.layout import UPS_PAGES, walk_layout
from hidups.descriptor.model import ReportType
from hidups.device import DeviceInfo
from hidups.errors import (
    AccessDenied,
    BackendUnavailable,
    DescriptorError,
    DeviceNotFound,
    Disconnected,
    ProtocolError,
    TransportError,
)
from hidups.transport.base import DeviceSurvey, Transport, parse_hex_option
from hidups.transport.matching import DeviceMatcher
from hidups.transport.pyusb_backend import load_backend
from hidups.transport.udev import access_hint

log = logging.getLogger("hidups.transport.hid")

try:
    import hid as _hid
except ImportError as _exc:  # the registry turns this into BackendUnavailable
    raise ImportError(f"the 'hid' package cannot load a hidapi library ({_exc}); "
                      "install one (Debian: apt install libhidapi-hidraw0) and "
                      "pip install hid") from _exc

if not hasattr(_hid, "Device") or not hasattr(_hid, "enumerate"):
    raise ImportError("the installed 'hid' module is not apmorton's 'hid' package "
                      "(cython-hidapi also installs a module named 'hid'); "
                      "pip uninstall hidapi && pip install hid")

#: hidapi-libusb device paths: ``bus:address:interface`` in hex (hidapi < 0.13) ...
_LIBUSB_PATH = re.compile(r"^([0-9a-fA-F]{4}):([0-9a-fA-F]{4}):([0-9a-fA-F]{2})$")
#: ... or ``bus-port.port:config.interface`` (hidapi >= 0.13, as sysfs names it).
_LIBUSB_PORT_PATH = re.compile(r"^(\d+)-([\d.]+):(\d+)\.(\d+)$")


def _path_text(entry: Mapping[str, Any]) -> str:
    path = entry.get("path") or b""
    return path.decode(errors="replace") if isinstance(path, bytes) else str(path)


def info_from_entry(entry: Mapping[str, Any]) -> DeviceInfo:
    """DeviceInfo from one ``hid.enumerate()`` entry."""
    path = _path_text(entry)
    bus = address = 0
    port_path = ""
    m = _LIBUSB_PATH.match(path)
    if m:
        bus, address = int(m.group(1), 16), int(m.group(2), 16)
    m = _LIBUSB_PORT_PATH.match(path)
    if m:
        bus, port_path = int(m.group(1)), f"{m.group(1)}-{m.group(2)}"
    return DeviceInfo(
        vendor_id=int(entry.get("vendor_id") or 0),
        product_id=int(entry.get("product_id") or 0),
        manufacturer=entry.get("manufacturer_string") or None,
        product=entry.get("product_string") or None,
        serial=entry.get("serial_number") or None,
        bus=bus, address=address, port_path=port_path,
        bcd_device=int(entry.get("release_number") or 0),
    )


def enumerate_hid(vendor_id: int = 0, product_id: int = 0) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = list(_hid.enumerate(vendor_id, product_id))
    return entries


def _sysfs_descriptor(path: str) -> bytes | None:
    """The descriptor the kernel holds for a ``/dev/hidrawN`` node, if readable."""
    if not path.startswith("/dev/hidraw"):
        return None
    node = Path("/sys/class/hidraw") / Path(path).name / "device" / "report_descriptor"
    try:
        return node.read_bytes()
    except OSError:
        return None


def _pyusb_descriptor(info: DeviceInfo, interface: int, options: Mapping[str, str]
                      ) -> bytes | None:
    """Read the descriptor with pyusb (before hidapi claims the interface)."""
    import usb.core  # pyusb is a dependency; imported here as the optional backends are
    import usb.util

    try:
        backend = load_backend(options)
        for dev in usb.core.find(find_all=True, backend=backend, idVendor=info.vendor_id,
                                 idProduct=info.product_id) or []:
            if info.address and (dev.bus, dev.address) != (info.bus, info.address):
                continue
            if info.port_path and dev.port_numbers and info.port_path != (
                    f"{dev.bus}-{'.'.join(str(p) for p in dev.port_numbers)}"):
                continue
            hid_desc = bytes(dev.ctrl_transfer(0x81, 0x06, 0x2100, interface, 9, 5000))
            length = hid_desc[7] | hid_desc[8] << 8 if len(hid_desc) >= 9 else 4096
            data = bytes(dev.ctrl_transfer(0x81, 0x06, 0x2200, interface, length, 5000))
            usb.util.dispose_resources(dev)
            return data
    except (BackendUnavailable, OSError, ValueError) as exc:
        log.debug("pyusb descriptor read failed: %s", exc)
    return None


class HidTransport(Transport):
    """A HID device through hidapi."""

    backend_name = "hid"

    def __init__(self, entry: Mapping[str, Any], info: DeviceInfo,
                 options: Mapping[str, str] | None = None) -> None:
        super().__init__(info, options)
        self.entry = dict(entry)
        self.path: bytes = entry.get("path") or b""
        self.interface = parse_hex_option(self.options, "usb_hid_rep_index", 0)
        self._dev: Any = None

    # --- state ----------------------------------------------------------------------

    def _open(self) -> None:
        path = _path_text(self.entry)
        if self._descriptor is None:
            self._descriptor = (_sysfs_descriptor(path)
                                or _pyusb_descriptor(self.info, self.interface, self.options))
        try:
            self._dev = _hid.Device(path=self.path)
        except Exception as exc:  # hid.HIDException: hidapi gives no error codes
            raise self._open_error(path, exc) from exc

    def _open_error(self, path: str, exc: Exception) -> TransportError:
        node = path if path.startswith("/dev/") else ""
        m = _LIBUSB_PATH.match(path)
        if m:
            node = f"/dev/bus/usb/{int(m.group(1), 16):03d}/{int(m.group(2), 16):03d}"
        if node and os.path.exists(node) and not os.access(node, os.R_OK | os.W_OK):
            return AccessDenied(f"cannot open {self.describe()} ({node}): permission denied\n"
                                + access_hint(self.info.vendor_id, self.info.product_id))
        return ProtocolError(f"cannot open {self.describe()} through hidapi: {exc}")

    def _close(self) -> None:
        if self._dev is not None:
            dev, self._dev = self._dev, None
            dev.close()

    def _failure(self, what: str, exc: Exception) -> TransportError:
        """Disconnected when the device no longer enumerates, else ProtocolError."""
        try:
            present = any(e.get("path") == self.path
                          for e in enumerate_hid(self.info.vendor_id, self.info.product_id))
        except Exception:
            present = True
        if not present:
            return Disconnected(f"{what}: {self.describe()} is gone")
        return ProtocolError(f"{what} on {self.describe()}: {exc}")

    # --- primitives -------------------------------------------------------------------

    def _read_report_descriptor(self) -> bytes:
        reader = getattr(self._dev, "get_report_descriptor", None)
        if reader is not None:
            try:
                data: bytes = reader()
                if data:
                    return data
            except Exception as exc:
                log.debug("hid_get_report_descriptor failed: %s", exc)
        if self._descriptor:
            return self._descriptor
        raise ProtocolError(f"{self.describe()}: hidapi {_hid.version} cannot read the "
                            "report descriptor, and neither sysfs nor pyusb could")

    def _get_report(self, report_type: ReportType, report_id: int, length: int) -> bytes:
        what = f"GET_REPORT {report_type.nut_name} 0x{report_id:02x}"
        try:
            if report_type is ReportType.FEATURE:
                data: bytes = self._dev.get_feature_report(report_id, length)
            elif report_type is ReportType.INPUT:
                data = self._dev.get_input_report(report_id, length)
            else:
                raise ProtocolError(f"{what}: hidapi cannot read output reports")
        except ProtocolError:
            raise
        except Exception as exc:
            raise self._failure(what, exc) from exc
        return data

    def _set_report(self, report_type: ReportType, report_id: int, data: bytes) -> None:
        what = f"SET_REPORT {report_type.nut_name} 0x{report_id:02x}"
        try:
            if report_type is ReportType.FEATURE:
                self._dev.send_feature_report(data)
            elif report_type is ReportType.OUTPUT:
                self._dev.write(data)
            else:
                raise ProtocolError(f"{what}: input reports cannot be written")
        except ProtocolError:
            raise
        except Exception as exc:
            raise self._failure(what, exc) from exc

    def _read_interrupt(self, timeout: float, size: int) -> bytes | None:
        try:
            data: bytes = self._dev.read(size, max(1, int(timeout * 1000)))
        except Exception as exc:
            raise self._failure("interrupt read", exc) from exc
        if not data:
            return None
        return data if self._report_ids_used() else b"\x00" + data

    def _get_string(self, index: int) -> str | None:
        try:
            text: str = self._dev.get_indexed_string(index)
        except Exception as exc:
            raise self._failure(f"reading string {index}", exc) from exc
        return text or None

    # --- finding devices ------------------------------------------------------------------

    @classmethod
    def open_matching(cls, options: Mapping[str, str]) -> HidTransport:
        matcher = DeviceMatcher.from_options(options)
        interface = parse_hex_option(options, "usb_hid_rep_index", 0)
        entries = enumerate_hid()
        for entry in entries:
            number = entry.get("interface_number", -1)
            if number not in (-1, interface):
                continue
            info = info_from_entry(entry)
            why = matcher.mismatch(info)
            if why:
                log.debug("skipping %s: %s", info.vidpid, why)
                continue
            transport = cls(entry, info, options)
            transport.open()
            return transport
        if not entries:
            raise DeviceNotFound("No matching HID UPS found: hidapi sees no HID devices")
        raise DeviceNotFound("No matching HID UPS found among "
                             + ", ".join(info_from_entry(e).vidpid for e in entries))


def survey_devices(options: Mapping[str, str] | None = None) -> list[DeviceSurvey]:
    """Every HID device hidapi sees (``hidups list --backend hid``)."""
    out = []
    for entry in enumerate_hid():
        info = info_from_entry(entry)
        number = int(entry.get("interface_number", -1))
        survey = DeviceSurvey(info=info, interfaces=[number] if number >= 0 else [])
        page = int(entry.get("usage_page") or 0)
        data = _sysfs_descriptor(_path_text(entry))
        if data:
            survey.source = "sysfs"
            survey.descriptor_length = len(data)
            try:
                layout = walk_layout(data)
                survey.usage_pages = sorted(layout.usage_pages)
                survey.looks_like_ups = layout.looks_like_ups
            except DescriptorError as exc:
                survey.problems.append(str(exc))
        elif page:
            survey.source = "hidapi usage page"
            survey.usage_pages = [page]
            survey.looks_like_ups = page in UPS_PAGES
        out.append(survey)
    return out
