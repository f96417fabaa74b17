"""The replay backend: a capture served as if it were the device.

Selected like a port (``port = replay:PATH``). A :class:`ReplayDevice` is the
simulated UPS: its report state (which SET_REPORT changes), its timed interrupt
stream and its scripted events (mains lost at 5 s, unplugged from 30 s to 35 s, ...).
A :class:`ReplayTransport` is one handle on it, as a libusb handle is on a real
device. Closing and re-opening, or opening a new transport on the same file in the
same process, continues the same timeline and keeps the state, so a driver's
reconnect logic sees what it would see with real hardware: ``Disconnected`` during
the unplugged window, then the same device again.

Time comes from a :class:`Clock`; tests inject :class:`ManualClock`, whose ``sleep``
advances time instantly, so a 30-second script runs in microseconds.
"""

from __future__ import annotations

import bisect
import stat
import threading
import time
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Protocol

from hidups.capture import Capture, EventAction, load_capture
from hidups.descriptor.layout import walk_layout
from hidups.descriptor.model import ReportType
from hidups.errors import (
    CaptureError,
    ConfigError,
    DescriptorError,
    DeviceNotFound,
    Disconnected,
    ProtocolError,
)
from hidups.transport.base import Transport
from hidups.transport.matching import DeviceMatcher

PORT_PREFIX = "replay:"
#: What GET_REPORT of a report the capture has no bytes for does.
FILL_POLICIES = ("stall", "zeros")


class Clock(Protocol):
    """Where replay time comes from."""

    def now(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class MonotonicClock:
    """Real time."""

    def now(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)


class ManualClock:
    """Test time: ``sleep`` and ``advance`` move it forward instantly."""

    def __init__(self, start: float = 0.0) -> None:
        self.t = start

    def now(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            self.t += seconds

    def advance(self, seconds: float) -> None:
        self.sleep(seconds)


class ReplayDevice:
    """The simulated device: report state, interrupt stream, scripted events."""

    def __init__(self, capture: Capture, clock: Clock | None = None,
                 fill: str = "stall", name: str = "<capture>") -> None:
        if fill not in FILL_POLICIES:
            raise ConfigError(f"replay_fill={fill!r}: expected one of {FILL_POLICIES}",
                              option="replay_fill")
        self.capture = capture
        self.clock: Clock = clock or MonotonicClock()
        self.fill = fill
        self.name = name
        self.state: dict[tuple[ReportType, int], bytes] = capture.initial_reports()
        self.plugged = True
        self._start: float | None = None
        self._events = sorted(capture.events, key=lambda e: e.t)
        self._next_event = 0
        stream = [(r.t, r.data) for r in capture.interrupts]
        stream += [(e.t, e.data) for e in self._events
                   if e.action is EventAction.INTERRUPT and e.data is not None]
        stream.sort(key=lambda item: item[0])
        self._interrupt_times = [t for t, _ in stream]
        self._interrupt_data = [data for _, data in stream]
        self._next_interrupt = 0
        self._lock = threading.RLock()
        self._lengths: dict[tuple[ReportType, int], int] = {}
        if capture.descriptor:
            try:
                layout = walk_layout(capture.descriptor)
                self._lengths = {key: (bits + 7) // 8 for key, bits
                                 in layout.report_bits.items()}
            except DescriptorError:
                self._lengths = {}

    # --- timeline ------------------------------------------------------------------

    def attach(self) -> None:
        """Start the timeline (on the first open); later calls change nothing."""
        with self._lock:
            if self._start is None:
                self._start = self.clock.now()

    def elapsed(self) -> float:
        """Seconds since the timeline started (0 before the first open)."""
        if self._start is None:
            return 0.0
        return self.clock.now() - self._start

    def _advance(self) -> None:
        """Apply every scripted event that is due."""
        now = self.elapsed()
        while self._next_event < len(self._events) and self._events[self._next_event].t <= now:
            event = self._events[self._next_event]
            self._next_event += 1
            if event.action is EventAction.REPORT and event.data is not None:
                rtype = event.report_type or ReportType.FEATURE
                rid = event.report_id if event.report_id is not None else event.data[0]
                self.state[(rtype, rid)] = event.data
            elif event.action is EventAction.UNPLUG:
                self.plugged = False
            elif event.action is EventAction.REPLUG:
                self.plugged = True
        if not self.plugged:
            # transfers queued while the device was away are lost with it
            self._next_interrupt = bisect.bisect_right(self._interrupt_times, now)

    def present(self) -> bool:
        with self._lock:
            self._advance()
            return self.plugged

    def _require_present(self) -> None:
        self._advance()
        if not self.plugged:
            raise Disconnected(f"{self.name}: device unplugged "
                               f"(replay t={self.elapsed():.3f} s)")

    # --- device operations -----------------------------------------------------------

    def descriptor(self) -> bytes:
        with self._lock:
            self._require_present()
            if self.capture.descriptor is None:
                raise ProtocolError(f"{self.name}: the capture has no report descriptor")
            return self.capture.descriptor

    def string(self, index: int) -> str | None:
        with self._lock:
            self._require_present()
            return self.capture.strings.get(index)

    def get_report(self, report_type: ReportType, report_id: int, length: int) -> bytes:
        with self._lock:
            self._require_present()
            data = self.state.get((report_type, report_id))
            if data is None:
                declared = self._lengths.get((report_type, report_id))
                if self.fill != "zeros" or declared is None:
                    raise ProtocolError(f"{self.name}: GET_REPORT {report_type.nut_name} "
                                        f"0x{report_id:02x} stalled (not in the capture)")
                data = bytes([report_id]) + bytes(declared)
            return data[:length]

    def set_report(self, report_type: ReportType, report_id: int, data: bytes) -> None:
        with self._lock:
            self._require_present()
            if (report_type, report_id) not in self._lengths and self._lengths:
                raise ProtocolError(f"{self.name}: SET_REPORT {report_type.nut_name} "
                                    f"0x{report_id:02x} stalled (no such report)")
            self.state[(report_type, report_id)] = bytes(data)

    def read_interrupt(self, timeout: float) -> bytes | None:
        """The next due interrupt transfer, waiting up to ``timeout`` for one.

        The lock is not held while waiting, so GET_REPORTs from another thread (the
        driver polls while its interrupt reader waits) are served meanwhile.
        """
        with self._lock:
            self._require_present()
            deadline = self.elapsed() + timeout
            due = (self._interrupt_times[self._next_interrupt]
                   if self._next_interrupt < len(self._interrupt_times) else None)
            wake = due if due is not None and due <= deadline else deadline
            wait = wake - self.elapsed()
        self.clock.sleep(wait)
        with self._lock:
            self._require_present()
            if (self._next_interrupt < len(self._interrupt_times)
                    and self._interrupt_times[self._next_interrupt] <= self.elapsed()):
                data = self._interrupt_data[self._next_interrupt]
                self._next_interrupt += 1
                return data
            return None


class ReplayTransport(Transport):
    """One handle on a :class:`ReplayDevice`."""

    backend_name = "replay"

    def __init__(self, device: ReplayDevice, options: Mapping[str, str] | None = None) -> None:
        info = device.capture.device
        if not info.port_path:
            info = replace(info, port_path=f"{PORT_PREFIX}{device.name}")
        super().__init__(info, options, sleep=device.clock.sleep)
        self.device = device

    def _open(self) -> None:
        self.device.attach()
        if not self.device.present():
            raise DeviceNotFound(f"{self.device.name}: device unplugged "
                                 f"(replay t={self.device.elapsed():.3f} s)")

    def _close(self) -> None:
        pass

    def _read_report_descriptor(self) -> bytes:
        return self.device.descriptor()

    def _get_report(self, report_type: ReportType, report_id: int, length: int) -> bytes:
        return self.device.get_report(report_type, report_id, length)

    def _set_report(self, report_type: ReportType, report_id: int, data: bytes) -> None:
        self.device.set_report(report_type, report_id, data)

    def _read_interrupt(self, timeout: float, size: int) -> bytes | None:
        data = self.device.read_interrupt(timeout)
        return None if data is None else data[:size]

    def _get_string(self, index: int) -> str | None:
        return self.device.string(index)


# --- devices by file: one timeline per capture file per process ----------------------

_DEVICES: dict[str, ReplayDevice] = {}
_DEVICES_LOCK = threading.Lock()


def _key(path: str | Path) -> str:
    return str(Path(path).expanduser().resolve())


def register_replay_device(path: str | Path, device: ReplayDevice) -> None:
    """Make ``replay:PATH`` use ``device`` (tests: a ManualClock, a built capture)."""
    with _DEVICES_LOCK:
        _DEVICES[_key(path)] = device


def forget_replay_devices() -> None:
    """Drop every device, so the next open of a file starts a fresh timeline."""
    with _DEVICES_LOCK:
        _DEVICES.clear()


def replay_device_for(path: str | Path, options: Mapping[str, str] | None = None
                      ) -> ReplayDevice:
    """The process's device for a capture file, loading it on first use."""
    key = _key(path)
    with _DEVICES_LOCK:
        device = _DEVICES.get(key)
        if device is None:
            _check_capture_file(path, Path(key))
            fill = (options or {}).get("replay_fill", "stall")
            device = ReplayDevice(load_capture(key), fill=fill, name=str(path))
            _DEVICES[key] = device
        return device


def _check_capture_file(path: str | Path, resolved: Path) -> None:
    """A missing file may yet appear (DeviceNotFound, as an unplugged device); a
    directory or a device node never becomes a capture (CaptureError)."""
    try:
        mode = resolved.stat().st_mode
    except FileNotFoundError:
        raise DeviceNotFound(f"replay capture {path} does not exist") from None
    except OSError as exc:
        raise CaptureError(f"cannot read: {exc.strerror}", source=str(path)) from None
    if stat.S_ISDIR(mode):
        raise CaptureError("is a directory, not a capture file (port = replay:FILE)",
                           source=str(path), option="port")
    if not stat.S_ISREG(mode):
        raise CaptureError("is not a regular file, not a capture file (port = replay:FILE)",
                           source=str(path), option="port")


def replay_path(port: str) -> str | None:
    """``"replay:PATH"`` → ``PATH``; None for any other port."""
    return port[len(PORT_PREFIX):] if port.startswith(PORT_PREFIX) else None


def open_replay(options: Mapping[str, str]) -> ReplayTransport:
    """open_transport for ``port = replay:PATH`` (the matching options apply too)."""
    port = options.get("port", "")
    path = replay_path(port)
    if not path:
        raise ConfigError(f"port={port!r}: the replay backend needs port = replay:PATH",
                          option="port")
    device = replay_device_for(path, options)
    why = DeviceMatcher.from_options(options).mismatch(device.capture.device)
    if why:
        raise DeviceNotFound(f"No matching HID UPS found: replay device {path}: {why}")
    transport = ReplayTransport(device, options)
    transport.open()
    return transport
