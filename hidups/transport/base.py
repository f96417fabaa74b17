"""The one Transport interface every backend implements.

Template method, as python-can's ``BusABC``: the public methods (``get_report``,
``get_string``, ...) check arguments, own timeouts, retries and logging, and keep the
open/closed state; a backend implements only the ``_primitive`` methods, each one USB
or HID operation, raising the exceptions of :mod:`hidups.errors`.
"""

from __future__ import annotations

import abc
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import TypeVar

from hidups.descriptor.layout import walk_layout
from hidups.descriptor.model import ReportType
from hidups.device import DeviceInfo
from hidups.errors import (
    ConfigError,
    DescriptorError,
    Disconnected,
    ProtocolError,
    TransportError,
    TransportTimeout,
)

log = logging.getLogger("hidups.transport")

#: NUT's USB_TIMEOUT for control transfers (libusb1.c), in seconds.
CONTROL_TIMEOUT = 5.0
#: NUT's interrupt-IN timeout per update loop (libhid.c), in seconds.
INTERRUPT_TIMEOUT = 0.75
#: NUT's default (and maximum) interrupt transfer size.
INTERRUPT_SIZE = 512
#: String descriptor reads are tried this often, this far apart (NUT usb-common.c,
#: introduced for Tripp Lite units that fail the first request: NUT issue #414).
STRING_TRIES = 3
STRING_RETRY_DELAY = 0.05
#: Largest report descriptor NUT accepts (libusb1.c MAX_REPORT_SIZE).
MAX_DESCRIPTOR_SIZE = 0x1800


def hexdump(data: bytes) -> str:
    return data.hex(" ") if data else "-"


def parse_hex_option(options: Mapping[str, str], name: str, default: int,
                     high: int = 0xFF) -> int:
    """A NUT ``usb_*`` number option: hexadecimal, as NUT's ``str_to_ushort(s, 16)``."""
    text = options.get(name)
    if text is None or text == "":
        return default
    try:
        value = int(text.strip(), 16)
    except ValueError:
        raise ConfigError(f"could not parse {name}={text!r} (hexadecimal expected)",
                          option=name) from None
    if not 0 <= value <= high:
        raise ConfigError(f"{name}={text!r} is out of range 0..0x{high:x}", option=name)
    return value


T = TypeVar("T", bound="Transport")


class Transport(abc.ABC):
    """One opened (or openable) HID device.

    ``info`` is the device's identity. Reports are exchanged in NUT's layout: the
    report-ID byte first (0 for devices without report IDs).
    """

    #: registry name ("pyusb", "hid", "replay")
    backend_name: str = ""

    def __init__(self, info: DeviceInfo, options: Mapping[str, str] | None = None,
                 *, sleep: Callable[[float], None] = time.sleep) -> None:
        self.info = info
        self.options: Mapping[str, str] = dict(options or {})
        self.control_timeout = CONTROL_TIMEOUT
        self._sleep = sleep
        self._opened = False
        self._descriptor: bytes | None = None
        self._uses_report_ids: bool | None = None

    # --- state ---------------------------------------------------------------

    def open(self) -> None:
        """Claim the device. Idempotent."""
        if self._opened:
            return
        log.debug("%s: opening %s", self.backend_name, self.describe())
        self._open()
        self._opened = True

    def close(self) -> None:
        """Release the device. Idempotent; never raises."""
        if not self._opened:
            return
        self._opened = False
        try:
            self._close()
        except Exception as exc:  # closing a vanished device must not fail a reconnect
            log.debug("%s: close of %s failed: %s", self.backend_name, self.describe(), exc)

    def __enter__(self: T) -> T:
        self.open()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def describe(self) -> str:
        """``051d:0002 "Back-UPS ES 700G" bus 1 address 2`` for messages."""
        info = self.info
        text = info.vidpid
        if info.product:
            text += f' "{info.product}"'
        if info.port_path:
            text += f" at {info.port_path}"
        elif info.bus or info.address:
            text += f" bus {info.bus} address {info.address}"
        return text

    def _require_open(self) -> None:
        if not self._opened:
            raise TransportError(f"{self.describe()}: transport is not open")

    # --- public operations -----------------------------------------------------

    def report_descriptor(self) -> bytes:
        """The HID report descriptor (read once, then cached)."""
        self._require_open()
        if self._descriptor is None:
            data = self._read_report_descriptor()
            log.debug("%s: report descriptor: %d bytes", self.backend_name, len(data))
            self._descriptor = data
        return self._descriptor

    def _report_ids_used(self) -> bool:
        """Whether the device's reports carry an ID byte (when not, we prepend a 0).

        A descriptor that cannot be read or parsed counts as using IDs: every UPS does.
        """
        if self._uses_report_ids is None:
            try:
                self._uses_report_ids = walk_layout(self.report_descriptor()).uses_report_ids
            except (DescriptorError, ProtocolError):
                self._uses_report_ids = True
        return self._uses_report_ids

    def get_report(self, report_type: ReportType, report_id: int, length: int) -> bytes:
        """GET_REPORT: the answer with the report-ID byte first, as the device gave it.

        ``length`` counts the report-ID byte. A stall raises ProtocolError, a vanished
        device Disconnected.
        """
        self._require_open()
        _check_report_id(report_id)
        if not 1 <= length <= 0xFFFF:
            raise ValueError(f"report length {length} out of range 1..65535")
        data = self._get_report(ReportType(report_type), report_id, length)
        log.debug("%s: Report[get] %s 0x%02x: (%d bytes) => %s", self.backend_name,
                  ReportType(report_type).nut_name, report_id, len(data), hexdump(data))
        return data

    def set_report(self, report_type: ReportType, report_id: int, data: bytes) -> None:
        """SET_REPORT; ``data`` starts with the report-ID byte."""
        self._require_open()
        _check_report_id(report_id)
        if not data:
            raise ValueError("SET_REPORT needs at least the report-ID byte")
        if data[0] != report_id:
            raise ValueError(f"SET_REPORT data starts with 0x{data[0]:02x}, "
                             f"not report ID 0x{report_id:02x}")
        log.debug("%s: Report[set] %s 0x%02x: (%d bytes) => %s", self.backend_name,
                  ReportType(report_type).nut_name, report_id, len(data), hexdump(data))
        self._set_report(ReportType(report_type), report_id, bytes(data))

    def read_interrupt(self, timeout: float = INTERRUPT_TIMEOUT,
                       size: int = INTERRUPT_SIZE) -> bytes | None:
        """One interrupt-IN transfer (report-ID byte first); None when nothing came."""
        self._require_open()
        if timeout < 0:
            raise ValueError("timeout must be >= 0")
        try:
            data = self._read_interrupt(timeout, size)
        except TransportTimeout:
            data = None
        if data is None or not data:
            log.debug("%s: interrupt: nothing in %.3f s", self.backend_name, timeout)
            return None
        log.debug("%s: Report[int]: (%d bytes) => %s", self.backend_name, len(data),
                  hexdump(data))
        return data

    def get_string(self, index: int) -> str | None:
        """USB string descriptor ``index``; None when the device has none there.

        Tried :data:`STRING_TRIES` times (real units fail now and then: NUT #414).
        """
        self._require_open()
        if index <= 0 or index > 255:
            return None
        last: Exception | None = None
        for attempt in range(STRING_TRIES):
            try:
                return self._get_string(index)
            except (ProtocolError, TransportTimeout) as exc:
                last = exc
                if attempt + 1 < STRING_TRIES:
                    log.debug("%s: string %d failed (%s), retrying", self.backend_name,
                              index, exc)
                    self._sleep(STRING_RETRY_DELAY)
            except Disconnected:
                raise
        log.debug("%s: string %d unavailable: %s", self.backend_name, index, last)
        return None

    # --- primitives ------------------------------------------------------------

    @abc.abstractmethod
    def _open(self) -> None:
        """Claim the interface (detaching a kernel driver where that applies)."""

    @abc.abstractmethod
    def _close(self) -> None:
        """Release whatever ``_open`` took."""

    @abc.abstractmethod
    def _read_report_descriptor(self) -> bytes: ...

    @abc.abstractmethod
    def _get_report(self, report_type: ReportType, report_id: int, length: int) -> bytes:
        """GET_REPORT; must return the report-ID byte first (0 prepended if none)."""

    @abc.abstractmethod
    def _set_report(self, report_type: ReportType, report_id: int, data: bytes) -> None: ...

    @abc.abstractmethod
    def _read_interrupt(self, timeout: float, size: int) -> bytes | None:
        """One interrupt-IN transfer; None or TransportTimeout when nothing came."""

    @abc.abstractmethod
    def _get_string(self, index: int) -> str | None: ...


def _check_report_id(report_id: int) -> None:
    if not 0 <= report_id <= 255:
        raise ValueError(f"report ID {report_id} out of range 0..255")


@dataclass(slots=True)
class DeviceSurvey:
    """What ``hidups list`` reports about one HID device, without claiming it."""

    info: DeviceInfo
    interfaces: list[int] = field(default_factory=list)  # HID interface numbers
    descriptor_length: int | None = None
    looks_like_ups: bool | None = None  # None: the descriptor could not be read
    usage_pages: list[int] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # why it cannot be opened / read
    source: str = ""  # where the descriptor came from (sysfs, usb, hidapi)
