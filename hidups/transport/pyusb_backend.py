"""The pyusb backend (default): libusb-1.0 through pyusb, as NUT's libusb1.c talks to it.

The library comes from ``libusb-package`` (a wheel that bundles libusb-1.0), so
``pip install hidups`` alone works; option ``libusb`` or env ``HIDUPS_LIBUSB`` names
another libusb-1.0 (e.g. the upsemu emulator). pyusb keeps the first library it loads
for the whole process, so the backend object is created once and passed everywhere.

USB traffic follows NUT (libusb1.c, usb-common.c; table in ecosystem.md §1.2):

============================  =============  ========  ====================  =========
operation                     bmRequestType  bRequest  wValue                wIndex
============================  =============  ========  ====================  =========
HID descriptor (method 1)     0x81           0x06      0x2100 | desc_index   interface
report descriptor             0x81           0x06      0x2200 | desc_index   interface
GET_REPORT                    0xA1           0x01      type << 8 | id        interface
SET_REPORT                    0x21           0x09      type << 8 | id        interface
string descriptor             0x80           0x06      0x0300 | index        language
============================  =============  ========  ====================  =========

Interrupt-IN reads use endpoint ``0x80 | usb_hid_ep_in``.
"""

from __future__ import annotations

import errno
import logging
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import usb.core
import usb.util

from hidups.descriptor.layout import walk_layout
from hidups.descriptor.model import ReportType
from hidups.device import DeviceInfo
from hidups.errors import (
    AccessDenied,
    BackendUnavailable,
    ConfigError,
    DescriptorError,
    DeviceBusy,
    DeviceNotFound,
    Disconnected,
    ProtocolError,
    TransportError,
    TransportTimeout,
)
from hidups.transport.base import (
    MAX_DESCRIPTOR_SIZE,
    STRING_RETRY_DELAY,
    STRING_TRIES,
    DeviceSurvey,
    Transport,
    parse_hex_option,
)
from hidups.transport.matching import DeviceMatcher, allow_duplicates
from hidups.transport.udev import access_hint

log = logging.getLogger("hidups.transport.pyusb")

HID_CLASS = 0x03
DT_HID = 0x21
DT_REPORT = 0x22
DT_STRING = 0x03
GET_DESCRIPTOR = 0x06
HID_GET_REPORT = 0x01
HID_SET_REPORT = 0x09
LANG_EN_US = 0x0409
#: Claim attempts after the first (NUT libusb1.c: ``retries = 3``).
CLAIM_RETRIES = 3
#: Eaton (0x0463) firmware 2.02 keeps its full report descriptor at index 1 (NUT libusb1.c).
EATON_VID = 0x0463
EATON_FULL_DESCRIPTOR_BCD = 0x0202

#: libusb error code → (libusb name, hidups exception). NUT's handling in
#: nut-usbhid.md §2.7: BUSY, NO_DEVICE, ACCESS, NOT_FOUND end in a reconnect; PIPE is a
#: stall NUT ignores; TIMEOUT, OVERFLOW, OTHER are "try later".
LIBUSB_ERRORS: dict[int, tuple[str, type[TransportError]]] = {
    -1: ("LIBUSB_ERROR_IO", ProtocolError),
    -2: ("LIBUSB_ERROR_INVALID_PARAM", ProtocolError),
    -3: ("LIBUSB_ERROR_ACCESS", AccessDenied),
    -4: ("LIBUSB_ERROR_NO_DEVICE", Disconnected),
    -5: ("LIBUSB_ERROR_NOT_FOUND", Disconnected),
    -6: ("LIBUSB_ERROR_BUSY", DeviceBusy),
    -7: ("LIBUSB_ERROR_TIMEOUT", TransportTimeout),
    -8: ("LIBUSB_ERROR_OVERFLOW", ProtocolError),
    -9: ("LIBUSB_ERROR_PIPE", ProtocolError),
    -10: ("LIBUSB_ERROR_INTERRUPTED", ProtocolError),
    -11: ("LIBUSB_ERROR_NO_MEM", Disconnected),
    -12: ("LIBUSB_ERROR_NOT_SUPPORTED", ProtocolError),
    -99: ("LIBUSB_ERROR_OTHER", ProtocolError),
}

#: errno → libusb code, for backends that only set errno.
_ERRNO_CODES = {
    errno.EIO: -1, errno.EINVAL: -2, errno.EACCES: -3, errno.EPERM: -3, errno.ENODEV: -4,
    errno.ENOENT: -5, errno.EBUSY: -6, errno.ETIMEDOUT: -7, errno.EOVERFLOW: -8,
    errno.EPIPE: -9, errno.EINTR: -10, errno.ENOMEM: -11, errno.ENOSYS: -12,
}


def libusb_code(exc: usb.core.USBError) -> int:
    """The libusb error code of a pyusb error (-99 when unknown)."""
    code = getattr(exc, "backend_error_code", None)
    if isinstance(code, int) and code in LIBUSB_ERRORS:
        return code
    if isinstance(exc, usb.core.USBTimeoutError):
        return -7
    return _ERRNO_CODES.get(getattr(exc, "errno", None) or 0, -99)


def map_usb_error(exc: usb.core.USBError, what: str, info: DeviceInfo | None = None
                  ) -> TransportError:
    """The hidups exception for a pyusb error during ``what``."""
    code = libusb_code(exc)
    name, cls = LIBUSB_ERRORS[code]
    device = f" [{info.vidpid}]" if info else ""
    message = f"{what}{device}: {getattr(exc, 'strerror', None) or exc} ({name})"
    if cls is AccessDenied and info is not None:
        message += "\n" + access_hint(info.vendor_id, info.product_id)
    if cls is DeviceBusy:
        message += " - another program (NUT's usbhid-ups, a second hidups) holds it"
    error = cls(message)
    error.libusb_error = name
    return error


# --- the library --------------------------------------------------------------------

_backends: dict[str, Any] = {}


def _loaded_library_name() -> str | None:
    """Path or name of the libusb pyusb has already loaded in this process, if any."""
    import usb.backend.libusb1 as libusb1

    if getattr(libusb1, "_lib_object", None) is None:
        return None
    lib = getattr(libusb1, "_lib", None)
    return str(getattr(lib, "_name", "") or "") or None


def load_backend(options: Mapping[str, str] | None = None) -> Any:
    """pyusb's libusb-1.0 backend: option ``libusb``, env HIDUPS_LIBUSB, libusb-package,
    then the system library. Created once per process."""
    import usb.backend.libusb1 as libusb1

    path = (options or {}).get("libusb") or os.environ.get("HIDUPS_LIBUSB") or ""
    if path in _backends:
        return _backends[path]
    if path:
        if not Path(path).is_file():
            raise BackendUnavailable(f"libusb library {path} does not exist "
                                     "(option libusb / env HIDUPS_LIBUSB)")
        loaded = _loaded_library_name()
        if loaded is not None and Path(loaded).resolve() != Path(path).resolve():
            raise BackendUnavailable(
                f"pyusb already uses {loaded} in this process and cannot load {path} too "
                "(pyusb keeps the first libusb it loads); start a new process")
        backend = libusb1.get_backend(find_library=lambda _name: path)
    else:
        backend = None
        try:
            import libusb_package

            backend = libusb_package.get_libusb1_backend()
        except ImportError:
            log.debug("libusb-package is not installed; trying the system libusb-1.0")
        if backend is None:
            backend = libusb1.get_backend()
    if backend is None:
        raise BackendUnavailable(
            "no libusb-1.0 library could be loaded: pip install libusb-package, or install "
            "the system libusb-1.0 (Debian: libusb-1.0-0), or name one with HIDUPS_LIBUSB")
    _backends[path] = backend
    return backend


# --- device parameters ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class UsbParams:
    """NUT's ``usb_*`` numbers for one device."""

    config_index: int = 0
    interface: int = 0
    desc_index: int = 0
    ep_in: int = 1
    ep_out: int = 1
    desc_index_given: bool = False

    @classmethod
    def from_options(cls, options: Mapping[str, str]) -> UsbParams:
        return cls(
            config_index=parse_hex_option(options, "usb_config_index", 0),
            interface=parse_hex_option(options, "usb_hid_rep_index", 0),
            desc_index=parse_hex_option(options, "usb_hid_desc_index", 0),
            ep_in=parse_hex_option(options, "usb_hid_ep_in", 1, high=0x0F),
            ep_out=parse_hex_option(options, "usb_hid_ep_out", 1, high=0x0F),
            desc_index_given=bool(options.get("usb_hid_desc_index")),
        )

    def for_device(self, info: DeviceInfo) -> UsbParams:
        """Apply NUT's Eaton quirk: 0463 with bcdDevice 0x0202 → descriptor index 1."""
        if (info.vendor_id == EATON_VID and info.bcd_device == EATON_FULL_DESCRIPTOR_BCD
                and not self.desc_index_given):
            return UsbParams(self.config_index, self.interface, 1, self.ep_in, self.ep_out,
                             False)
        return self

    @property
    def prefers_hid_descriptor_length(self) -> bool:
        return self.desc_index == 1 and not self.desc_index_given


# --- strings and identity -----------------------------------------------------------


def _ms(seconds: float) -> int:
    return max(1, int(seconds * 1000))


def read_string_once(dev: Any, index: int, timeout: float) -> str | None:
    """One string read: the language list, then the string in the first language."""
    langs = bytes(dev.ctrl_transfer(0x80, GET_DESCRIPTOR, DT_STRING << 8, 0, 4,
                                    _ms(timeout)))
    if len(langs) == 4 and langs[0] >= 4 and langs[1] == DT_STRING:
        langid = langs[2] | langs[3] << 8
    else:
        log.debug("broken language list %s, assuming en_US", langs.hex(" "))
        langid = LANG_EN_US
    raw = bytes(dev.ctrl_transfer(0x80, GET_DESCRIPTOR, DT_STRING << 8 | index, langid, 255,
                                  _ms(timeout)))
    if len(raw) < 2:
        return None
    return raw[2:len(raw) - (len(raw) % 2)].decode("utf-16-le", errors="replace")


def read_string(dev: Any, index: int, timeout: float = 5.0,
                sleep: Callable[[float], None] = time.sleep,
                info: DeviceInfo | None = None) -> str | None:
    """A string with NUT's retries; AccessDenied/Disconnected propagate, else None."""
    if index <= 0:
        return None
    for attempt in range(STRING_TRIES):
        try:
            return read_string_once(dev, index, timeout)
        except usb.core.USBError as exc:
            error = map_usb_error(exc, f"reading string {index}", info)
            if isinstance(error, (AccessDenied, Disconnected)):
                raise error from exc
            if attempt + 1 < STRING_TRIES:
                sleep(STRING_RETRY_DELAY)
    return None


def port_path(dev: Any) -> str:
    """``"1-4.2"``: bus, then the hub port chain (as Linux sysfs names devices)."""
    try:
        ports = dev.port_numbers
    except (usb.core.USBError, NotImplementedError, AttributeError):
        ports = None
    if not ports:
        return ""
    return f"{dev.bus or 0}-{'.'.join(str(p) for p in ports)}"


def identity(dev: Any, sleep: Callable[[float], None] = time.sleep) -> DeviceInfo:
    """DeviceInfo of a pyusb device, strings included (AccessDenied when it cannot be
    opened)."""
    base = DeviceInfo(vendor_id=dev.idVendor, product_id=dev.idProduct,
                      bus=dev.bus or 0, address=dev.address or 0, port_path=port_path(dev),
                      bcd_device=dev.bcdDevice)
    return DeviceInfo(
        vendor_id=base.vendor_id, product_id=base.product_id,
        manufacturer=read_string(dev, dev.iManufacturer, sleep=sleep, info=base),
        product=read_string(dev, dev.iProduct, sleep=sleep, info=base),
        serial=read_string(dev, dev.iSerialNumber, sleep=sleep, info=base),
        bus=base.bus, address=base.address, port_path=base.port_path,
        bcd_device=base.bcd_device)


def hid_interfaces(dev: Any) -> list[int]:
    """Interface numbers of class HID in any configuration (empty if unreadable)."""
    found: list[int] = []
    try:
        for cfg in dev:
            for intf in cfg:
                if intf.bInterfaceClass == HID_CLASS and intf.bInterfaceNumber not in found:
                    found.append(intf.bInterfaceNumber)
    except (usb.core.USBError, NotImplementedError):
        return found
    return found


def find_devices(backend: Any) -> list[Any]:
    """Every USB device the library sees."""
    try:
        return list(usb.core.find(find_all=True, backend=backend) or [])
    except usb.core.NoBackendError as exc:
        raise BackendUnavailable(f"pyusb has no backend: {exc}") from exc
    except usb.core.USBError as exc:
        raise map_usb_error(exc, "listing USB devices") from exc


# --- the transport -----------------------------------------------------------------


class PyUsbTransport(Transport):
    """A USB HID device through pyusb."""

    backend_name = "pyusb"

    def __init__(self, dev: Any, info: DeviceInfo, params: UsbParams,
                 options: Mapping[str, str] | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        super().__init__(info, options, sleep=sleep)
        self.dev = dev
        self.params = params.for_device(info)

    # --- opening -------------------------------------------------------------------

    def _open(self) -> None:
        iface = self.params.interface
        try:
            if self.dev.is_kernel_driver_active(iface):
                log.debug("detaching the kernel driver from interface %d", iface)
                self._detach(iface)
        except (NotImplementedError, usb.core.USBError) as exc:
            if isinstance(exc, usb.core.USBError) and libusb_code(exc) in (-3, -4):
                raise map_usb_error(exc, "opening", self.info) from exc
            log.debug("kernel driver state unknown: %s", exc)
        self._claim(iface)
        self._set_altinterface(iface)

    def _set_altinterface(self, iface: int) -> None:
        """NUT's ``usb_set_altinterface[=N]``: an explicit SET_INTERFACE, only on request
        (it breaks old Tripp Lite units on macOS, so NUT never sends it by default)."""
        if "usb_set_altinterface" not in self.options:
            return
        text = self.options.get("usb_set_altinterface") or "0"
        try:
            alt = int(text, 10)
        except ValueError:
            raise ConfigError(f"usb_set_altinterface={text!r} is not a number",
                              option="usb_set_altinterface") from None
        try:
            self.dev.set_interface_altsetting(iface, alt)
        except usb.core.USBError as exc:
            log.warning("set_interface_altsetting(%d, %d) failed: %s", iface, alt, exc)

    def _detach(self, iface: int) -> None:
        try:
            self.dev.detach_kernel_driver(iface)
        except usb.core.USBError as exc:
            if libusb_code(exc) != -5:  # NOT_FOUND: already detached
                log.debug("failed to detach the kernel driver: %s", exc)

    def _claim(self, iface: int) -> None:
        attempts = 0
        while True:
            try:
                usb.util.claim_interface(self.dev, iface)
                return
            except usb.core.USBError as exc:
                error = map_usb_error(exc, f"Can't claim USB device interface {iface}",
                                      self.info)
                if isinstance(error, DeviceBusy) and allow_duplicates(self.options):
                    raise error from exc
                if isinstance(error, (AccessDenied, Disconnected)) or attempts >= CLAIM_RETRIES:
                    raise error from exc
                attempts += 1
                self._detach(iface)

    def _close(self) -> None:
        try:
            usb.util.release_interface(self.dev, self.params.interface)
        finally:
            usb.util.dispose_resources(self.dev)

    # --- primitives -----------------------------------------------------------------

    def _ctrl(self, what: str, request_type: int, request: int, value: int, index: int,
              data_or_length: int | bytes) -> Any:
        try:
            return self.dev.ctrl_transfer(request_type, request, value, index, data_or_length,
                                          _ms(self.control_timeout))
        except usb.core.USBError as exc:
            raise map_usb_error(exc, what, self.info) from exc

    def _descriptor_lengths(self) -> list[int]:
        """Report descriptor lengths to try, in NUT's order (config extra bytes first,
        the HID descriptor's own first for Eaton 2.02)."""
        p = self.params
        from_request = from_config = -1
        try:
            hid = bytes(self._ctrl("reading the HID descriptor", 0x81, GET_DESCRIPTOR,
                                   DT_HID << 8 | p.desc_index, p.interface, 9))
            if len(hid) >= 9:
                from_request = hid[7] | hid[8] << 8
        except (ProtocolError, TransportTimeout) as exc:
            log.debug("HID descriptor request failed: %s", exc)
        try:
            extra = bytes(self._interface_descriptor().extra_descriptors or b"")
            i = 0
            while i + 9 <= len(extra) and extra[i] > 0:
                if extra[i] >= 9 and extra[i + 1] == DT_HID:
                    from_config = extra[i + 7] | extra[i + 8] << 8
                    break
                i += extra[i]
        except (usb.core.USBError, NotImplementedError, IndexError, AttributeError) as exc:
            log.debug("configuration descriptor unreadable: %s", exc)
        if p.prefers_hid_descriptor_length:
            order = [from_request, from_config]
        else:
            order = [from_config, from_request] if from_config >= 0 else [from_request]
        lengths: list[int] = []
        for n in order:
            if 0 < n <= MAX_DESCRIPTOR_SIZE and n not in lengths:
                lengths.append(n)
        return lengths

    def _interface_descriptor(self) -> Any:
        cfg = usb.core.Configuration(self.dev, self.params.config_index)
        return cfg[(self.params.interface, 0)]

    def _read_report_descriptor(self) -> bytes:
        p = self.params
        failures = []
        for length in self._descriptor_lengths():
            try:
                data = bytes(self._ctrl("reading the report descriptor", 0x81, GET_DESCRIPTOR,
                                        DT_REPORT << 8 | p.desc_index, p.interface, length))
            except (ProtocolError, TransportTimeout) as exc:
                failures.append(f"{length} bytes: {exc}")
                continue
            if len(data) < length:
                log.debug("report descriptor too short (expected %d, got %d)", length,
                          len(data))
            if data:
                return data
        raise ProtocolError(f"{self.describe()}: no report descriptor at interface "
                            f"{p.interface} index {p.desc_index}"
                            + (f" ({'; '.join(failures)})" if failures else ""))

    def peek_report_descriptor(self) -> bytes:
        """Read the descriptor without detaching a kernel driver (for ``hidups list``)."""
        return self._read_report_descriptor()

    def _get_report(self, report_type: ReportType, report_id: int, length: int) -> bytes:
        value = report_type.request_value << 8 | report_id
        what = f"GET_REPORT {report_type.nut_name} 0x{report_id:02x}"
        if report_id == 0:
            payload = bytes(self._ctrl(what, 0xA1, HID_GET_REPORT, value, self.params.interface,
                                       max(length - 1, 1)))
            return b"\x00" + payload
        return bytes(self._ctrl(what, 0xA1, HID_GET_REPORT, value, self.params.interface,
                                length))

    def _set_report(self, report_type: ReportType, report_id: int, data: bytes) -> None:
        value = report_type.request_value << 8 | report_id
        payload = data[1:] if report_id == 0 else data
        self._ctrl(f"SET_REPORT {report_type.nut_name} 0x{report_id:02x}", 0x21,
                   HID_SET_REPORT, value, self.params.interface, payload)

    def _read_interrupt(self, timeout: float, size: int) -> bytes | None:
        endpoint = 0x80 | self.params.ep_in
        try:
            data = bytes(self.dev.read(endpoint, size, _ms(timeout)))
        except usb.core.USBError as exc:
            code = libusb_code(exc)
            if code == -7:
                return None
            if code == -9:  # stall: clear it; NUT then reports "no data"
                try:
                    self.dev.clear_halt(endpoint)
                except usb.core.USBError as clear_exc:
                    raise map_usb_error(clear_exc, "clearing the interrupt stall",
                                        self.info) from clear_exc
                return None
            raise map_usb_error(exc, "interrupt read", self.info) from exc
        if data and not self._report_ids_used():
            data = b"\x00" + data
        return data

    def _get_string(self, index: int) -> str | None:
        try:
            return read_string_once(self.dev, index, self.control_timeout)
        except usb.core.USBError as exc:
            raise map_usb_error(exc, f"reading string {index}", self.info) from exc

    # --- finding devices --------------------------------------------------------------

    @classmethod
    def open_matching(cls, options: Mapping[str, str], *, usb_backend: Any = None,
                      sleep: Callable[[float], None] = time.sleep) -> PyUsbTransport:
        """Open the first device that matches ``options`` (NUT's nut_libusb_open)."""
        matcher = DeviceMatcher.from_options(options)
        params = UsbParams.from_options(options)
        backend = usb_backend if usb_backend is not None else load_backend(options)
        devices = find_devices(backend)
        denied: list[DeviceInfo] = []
        skipped: list[str] = []
        rejected: list[str] = []
        for dev in devices:
            if not matcher and params.interface not in hid_interfaces(dev):
                continue  # without any matching option, only HID devices are candidates
            bare = DeviceInfo(dev.idVendor, dev.idProduct, bus=dev.bus or 0,
                              address=dev.address or 0, port_path=port_path(dev))
            try:
                info = identity(dev, sleep)
            except AccessDenied:
                if not matcher.mismatch(bare, without_strings=True):
                    denied.append(bare)
                continue
            except Disconnected:
                continue
            why = matcher.mismatch(info)
            if why:
                log.debug("skipping %s: %s", info.vidpid, why)
                if matcher.mismatch(info, without_strings=True) is None:
                    rejected.append(f"{info.vidpid} at {info.port_path or info.bus}: {why}")
                continue
            transport = cls(dev, info, params, options, sleep)
            try:
                transport.open()
            except DeviceBusy as exc:
                if allow_duplicates(options):
                    skipped.append(f"{info.vidpid} at {info.port_path or info.bus}: busy")
                    usb.util.dispose_resources(dev)
                    continue
                raise exc
            return transport
        message = _not_found_message(devices, denied, skipped, rejected)
        if denied:  # the wanted device may well be there: say what blocks it
            raise AccessDenied(message)
        raise DeviceNotFound(message)


def _not_found_message(devices: list[Any], denied: list[DeviceInfo], skipped: list[str],
                       rejected: list[str]) -> str:
    message = "No matching HID UPS found"
    if not devices:
        return message + ": no USB devices found"
    parts = [message]
    if denied:
        parts.append("insufficient permissions on "
                     + ", ".join(f"{d.vidpid} (bus {d.bus:03d} device {d.address:03d})"
                                 for d in denied))
        parts.extend(access_hint(d.vendor_id, d.product_id) for d in denied[:3])
    if skipped:
        parts.append("busy: " + ", ".join(skipped))
    if rejected:  # the same kind of UPS, but not the one asked for (another unit)
        parts.append("not taken: " + "; ".join(rejected))
    return "\n".join(parts)


# --- surveying (hidups list) -----------------------------------------------------------

SYSFS_USB = Path("/sys/bus/usb/devices")


def sysfs_descriptor(info: DeviceInfo, interface: int, root: Path = SYSFS_USB) -> bytes | None:
    """The report descriptor the kernel's HID driver read, if it is bound (Linux)."""
    if not info.port_path:
        return None
    for config in range(1, 4):
        folder = root / f"{info.port_path}:{config}.{interface}"
        if folder.is_dir():
            for node in sorted(folder.glob("*/report_descriptor")):
                try:
                    return node.read_bytes()
                except OSError:
                    return None
    return None


def _survey_descriptor(dev: Any, info: DeviceInfo, interface: int, survey: DeviceSurvey,
                       sysfs_root: Path) -> bytes | None:
    data = sysfs_descriptor(info, interface, sysfs_root)
    if data:
        survey.source = "sysfs"
        return data
    try:
        if dev.is_kernel_driver_active(interface):
            survey.problems.append(
                f"interface {interface}: kernel driver bound and its descriptor is not in "
                "sysfs (hidups detaches the kernel driver when it starts)")
            return None
    except (NotImplementedError, usb.core.USBError):
        pass
    transport = PyUsbTransport(dev, info, UsbParams(interface=interface))
    try:
        data = transport.peek_report_descriptor()
        survey.source = "usb"
        return data
    except TransportError as exc:
        if isinstance(exc, DeviceBusy):
            survey.problems.append(f"interface {interface}: busy - another program "
                                   "(NUT's usbhid-ups, a running hidups) holds it")
        elif isinstance(exc, AccessDenied):
            survey.problems.append("permission denied\n"
                                   + access_hint(info.vendor_id, info.product_id))
        else:
            survey.problems.append(f"interface {interface}: report descriptor unreadable: {exc}")
        return None
    finally:
        usb.util.dispose_resources(dev)


def survey_devices(options: Mapping[str, str] | None = None, *, usb_backend: Any = None,
                   sysfs_root: Path = SYSFS_USB) -> list[DeviceSurvey]:
    """Every USB device with a HID interface: identity, UPS-likeness, access problems."""
    backend = usb_backend if usb_backend is not None else load_backend(options)
    out = []
    for dev in find_devices(backend):
        interfaces = hid_interfaces(dev)
        if not interfaces:
            continue
        bare = DeviceInfo(dev.idVendor, dev.idProduct, bus=dev.bus or 0,
                          address=dev.address or 0, port_path=port_path(dev),
                          bcd_device=dev.bcdDevice)
        survey = DeviceSurvey(info=bare, interfaces=interfaces)
        out.append(survey)
        try:
            survey.info = identity(dev)
        except AccessDenied:
            survey.problems.append("cannot open: permission denied\n"
                                   + access_hint(bare.vendor_id, bare.product_id))
            continue
        except Disconnected as exc:
            survey.problems.append(f"vanished while being listed: {exc}")
            continue
        for interface in interfaces:
            data = _survey_descriptor(dev, survey.info, interface, survey, sysfs_root)
            if data is None:
                continue
            try:
                layout = walk_layout(data)
            except DescriptorError as exc:
                survey.problems.append(f"interface {interface}: {exc}")
                continue
            survey.usage_pages = sorted(set(survey.usage_pages) | layout.usage_pages)
            survey.descriptor_length = (survey.descriptor_length or 0) + len(data)
            survey.looks_like_ups = bool(survey.looks_like_ups) or layout.looks_like_ups
    return out
