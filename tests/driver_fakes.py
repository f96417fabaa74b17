"""Fakes below the transport for the driver tests: a device made of a shared capture.

``CaptureDevice`` answers GET_REPORT with the capture's recorded reports, counts every
transfer, keeps SET_REPORTs (and applies them, so read-back sees the new value), and
can be unplugged and plugged back. ``MemoryStore`` is a minimal dstate for tests that
must not depend on the socket side.
"""

from __future__ import annotations

import queue
import time
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any

from hidups.descriptor.model import ReportType
from hidups.device import DeviceInfo
from hidups.driver.core import Driver
from hidups.errors import DeviceNotFound, Disconnected, ProtocolError
from hidups.hid.protocol import HidProtocol, Opener, Selector
from hidups.hid.session import HidSession


class CaptureDevice:
    """A transport whose device is a capture; every transfer is counted."""

    def __init__(self, capture: dict[str, Any], strings: dict[int, str] | None = None,
                 serial: str | None = None) -> None:
        self.capture = capture
        self.info = DeviceInfo(
            vendor_id=int(capture["vendorid"], 16),
            product_id=int(capture["productid"], 16),
            manufacturer=capture.get("manufacturer"),
            product=capture.get("product"),
            serial=serial if serial is not None else capture.get("serial"),
        )
        self.descriptor = bytes.fromhex(capture["descriptor_hex"])
        self.reports: dict[int, bytes] = {}
        for rep in capture.get("raw_reports", []):
            if rep.get("kind") in ("get", "short", "feature"):
                self.reports.setdefault(int(rep["report_id"]), bytes.fromhex(rep["hex"]))
        self.strings = strings or {}
        self.gets: Counter[int] = Counter()
        self.get_log: list[int] = []
        self.sets: list[tuple[int, bytes]] = []
        self.interrupts: queue.Queue[bytes] = queue.Queue()
        self.gone = False
        self.closed = False
        #: raised by report_descriptor (a device that is found but fails to open)
        self.descriptor_error: Exception | None = None

    # --- the transport interface ---

    def close(self) -> None:
        self.closed = True

    def report_descriptor(self) -> bytes:
        if self.descriptor_error is not None:
            raise self.descriptor_error
        return self.descriptor

    def get_report(self, report_type: ReportType, report_id: int, length: int) -> bytes:
        if self.gone:
            raise Disconnected("unplugged")
        self.gets[report_id] += 1
        self.get_log.append(report_id)
        if report_id not in self.reports:
            raise ProtocolError(f"stall on report {report_id}")
        return self.reports[report_id]

    def set_report(self, report_type: ReportType, report_id: int, data: bytes) -> None:
        if self.gone:
            raise Disconnected("unplugged")
        self.sets.append((report_id, bytes(data)))
        self.reports[report_id] = bytes(data)

    def read_interrupt(self, timeout: float, size: int = 512) -> bytes | None:
        if self.gone:
            raise Disconnected("unplugged")
        try:
            return self.interrupts.get(timeout=min(timeout, 0.05))
        except queue.Empty:
            return None

    def get_string(self, index: int) -> str | None:
        return self.strings.get(index)

    # --- test helpers ---

    def set_bits(self, report_id: int, byte: int, value: int) -> None:
        data = bytearray(self.reports[report_id])
        data[byte] = value
        self.reports[report_id] = bytes(data)


class Plug:
    """An opener for the engine: hands out the device while it is plugged in."""

    def __init__(self, device: CaptureDevice) -> None:
        self.device = device
        self.plugged = True
        self.opens: list[dict[str, str]] = []

    def __call__(self, options: Any) -> CaptureDevice:
        self.opens.append(dict(options))
        if not self.plugged:
            raise DeviceNotFound("No matching HID UPS found")
        self.device.gone = False
        self.device.closed = False
        return self.device

    def unplug(self) -> None:
        self.plugged = False
        self.device.gone = True

    def plug(self) -> None:
        self.plugged = True


class MemoryStore:
    """Just enough dstate: values, flags, aux, enums, commands, stale flag, a log."""

    def __init__(self) -> None:
        self.values: dict[str, str] = {}
        self.flags: dict[str, tuple[str, ...]] = {}
        self.aux: dict[str, int] = {}
        self.enums: dict[str, list[str]] = {}
        self.cmds: list[str] = []
        self.stale = True
        self.events: list[str] = []

    def set(self, name: str, value: str) -> None:
        if self.values.get(name) != value:
            self.events.append(f"SETINFO {name} {value}")
        self.values[name] = value

    def get(self, name: str) -> str | None:
        return self.values.get(name)

    def delete(self, name: str) -> None:
        if self.values.pop(name, None) is not None:
            self.events.append(f"DELINFO {name}")

    def set_flags(self, name: str, *flags: str) -> None:
        self.flags[name] = flags

    def set_aux(self, name: str, length: int) -> None:
        self.aux[name] = length

    def add_enum(self, name: str, value: str) -> None:
        self.enums.setdefault(name, []).append(value)

    def add_cmd(self, name: str) -> None:
        if name not in self.cmds:
            self.cmds.append(name)

    def has_cmd(self, name: str) -> bool:
        return name in self.cmds

    def data_ok(self) -> None:
        if self.stale:
            self.events.append("DATAOK")
        self.stale = False

    def data_stale(self) -> None:
        if not self.stale:
            self.events.append("DATASTALE")
        self.stale = True

    def names(self) -> list[str]:
        return sorted(self.values, key=str.lower)


HidDriver = Driver[HidSession]


def hid_driver(options: Mapping[str, str], store: Any, opener: Opener, selector: Selector, *,
               clock: Callable[[], float] = time.monotonic,
               sleep: Callable[[float], None] = time.sleep, upsname: str = "ups",
               **kw: Any) -> HidDriver:
    """The driver core with the HID protocol over a fake opener and subdriver selector."""
    protocol = HidProtocol(opener, selector, upsname=upsname, clock=clock)
    return Driver(options, store, protocol, upsname=upsname, clock=clock, sleep=sleep, **kw)


def live(driver: HidDriver) -> HidSession:
    """The driver's current HID session (the test expects one)."""
    assert driver.session is not None
    return driver.session
