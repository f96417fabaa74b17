"""Q* UPSes on a serial port, with nutdrv_qx's settings (pyserial, an optional extra).

NUT 2.8.5 (nutdrv_qx.c ``upsdrv_initups`` and ``qx_command``, common serial.c): 2400
baud 8N1, no flow control, the port locked; the line discipline in canonical mode with
CR as end-of-line, so one read returns one answer line; ``cablepower`` sets DTR/RTS
(normal: DTR on, RTS off) and the line then settles for 1.1 s. Each command flushes
both directions, writes the command and waits up to 1 s (``SER_WAIT_SEC``) for a line.
On close DTR is dropped.

``pyserial`` is imported inside :func:`open_qx_serial` only, so ``import hidups`` works
without it (``pip install hidups[serial]``).
"""

from __future__ import annotations

import errno
import logging
import os
import select
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from hidups.device import DeviceInfo
from hidups.errors import (
    AccessDenied,
    BackendUnavailable,
    ConfigError,
    DeviceBusy,
    DeviceNotFound,
    Disconnected,
    TransportError,
    TransportTimeout,
)

log = logging.getLogger("hidups.transport.serial")

BAUDRATE = 2400
#: NUT's SER_WAIT_SEC for nutdrv_qx.
ANSWER_TIMEOUT = 1.0
#: qx_process's answer buffer (SMALLBUF - 1).
BUFLEN = 511
#: ``cablepower`` value → (DTR, RTS), NUT's table; "normal" is the default.
CABLEPOWER: dict[str, tuple[bool, bool]] = {
    "normal": (True, False),
    "reverse": (False, True),
    "both": (True, True),
    "none": (False, False),
}
#: Time NUT gives the cable power to settle.
SETTLE_TIME = 1.1


def cablepower(options: Mapping[str, str]) -> tuple[bool, bool]:
    """(DTR, RTS) for the ``cablepower`` option (case-insensitive, as NUT compares)."""
    value = options.get("cablepower")
    if value is None:
        return CABLEPOWER["normal"]
    try:
        return CABLEPOWER[value.lower()]
    except KeyError:
        raise ConfigError(f"Value '{value}' not valid for 'cablepower' (one of: "
                          f"{', '.join(CABLEPOWER)})", option="cablepower") from None


def _canonical(fd: int) -> bool:
    """NUT's line discipline: canonical input, CR ends a line, no special characters.
    False where termios does not exist (then lines are assembled by hand)."""
    try:
        import termios
    except ImportError:
        return False
    attrs = termios.tcgetattr(fd)
    attrs[3] |= termios.ICANON
    cc = attrs[6]
    try:
        disabled = os.fpathconf(fd, "PC_VDISABLE")
    except (OSError, ValueError, AttributeError):
        disabled = 0  # Linux's _POSIX_VDISABLE
    for name in ("VEOF", "VERASE", "VINTR", "VKILL", "VQUIT", "VSUSP", "VSTART", "VSTOP"):
        index = getattr(termios, name, None)
        if index is not None:
            cc[index] = bytes([disabled & 0xFF])
    cc[termios.VEOL] = b"\r"
    termios.tcsetattr(fd, termios.TCSANOW, attrs)
    return True


class QxSerialLink:
    """A Q* UPS on a serial port; one command at a time, ``close`` waits for it."""

    bridge = "serial"

    def __init__(self, port: Any, path: str, canonical: bool) -> None:
        self.info = DeviceInfo(vendor_id=0, product_id=0, port_path=path)
        self.path = path
        self._port = port
        self._canonical = canonical
        self._lock = threading.Lock()
        self._closed = False

    def command(self, cmd: bytes, timeout: float | None = None) -> bytes:
        """Send ``cmd`` and return the first line that comes back (CR included);
        TransportTimeout when none comes within ``timeout`` (NUT: 1 s)."""
        if not isinstance(cmd, (bytes, bytearray)):
            raise TypeError(f"a Q* command is bytes, not {type(cmd).__name__}")
        wait = ANSWER_TIMEOUT if timeout is None else timeout
        with self._lock:
            if self._closed:
                raise Disconnected(f"serial link {self.path} is closed")
            try:
                self._port.reset_input_buffer()
                self._port.reset_output_buffer()
                if not cmd:
                    raise TransportTimeout(f"{self.path}: nothing to send")
                self._port.write(bytes(cmd))
                self._port.flush()
                answer = self._read_line(wait)
            except TransportError:
                raise
            except OSError as exc:
                raise Disconnected(f"{self.path}: {exc}") from exc
            if not answer:
                sent = bytes(cmd).split(b"\r")[0]
                raise TransportTimeout(f"{self.path}: no answer to {sent!r} within {wait:g} s")
            return answer

    def _read_line(self, wait: float) -> bytes:
        if self._canonical:  # as NUT: one select, one read, which returns one line
            fd = self._port.fileno()
            ready, _, _ = select.select([fd], [], [], wait)
            if not ready:
                return b""
            try:
                return os.read(fd, BUFLEN)
            except BlockingIOError:
                return b""
        deadline = time.monotonic() + wait
        line = bytearray()
        while len(line) < BUFLEN:
            self._port.timeout = max(0.0, deadline - time.monotonic())
            byte = self._port.read(1)
            if not byte:
                return b""  # canonical mode hands out no partial line either
            line += byte
            if byte in (b"\r", b"\n"):
                break
        return bytes(line)

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            try:
                self._port.dtr = False
            except OSError as exc:
                log.debug("%s: dropping DTR failed: %s", self.path, exc)
            try:
                self._port.close()
            except OSError as exc:
                log.debug("%s: close failed: %s", self.path, exc)

    def __enter__(self) -> QxSerialLink:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_qx_serial(port: str, options: Mapping[str, str] | None = None, *,
                   sleep: Callable[[float], None] = time.sleep) -> QxSerialLink:
    """Open ``port`` (e.g. ``/dev/ttyS0``) for a Q* UPS with NUT's serial settings."""
    options = options or {}
    dtr, rts = cablepower(options)
    try:
        import serial
    except ImportError as exc:
        raise BackendUnavailable("the serial transport needs pyserial: "
                                 "pip install 'hidups[serial]'") from exc
    handle = serial.Serial()
    handle.port = port
    handle.baudrate = BAUDRATE
    handle.bytesize = serial.EIGHTBITS
    handle.parity = serial.PARITY_NONE
    handle.stopbits = serial.STOPBITS_ONE
    handle.xonxoff = handle.rtscts = handle.dsrdtr = False
    handle.timeout = 0
    handle.dtr, handle.rts = dtr, rts
    if os.name == "posix":
        handle.exclusive = True  # NUT locks the port
    try:
        handle.open()
    except (OSError, ValueError) as exc:
        raise _open_error(port, exc) from exc
    try:
        canonical = _canonical(handle.fileno())
    except OSError as exc:
        handle.close()
        raise _open_error(port, exc) from exc
    sleep(SETTLE_TIME)
    return QxSerialLink(handle, port, canonical)


def _open_error(port: str, exc: BaseException) -> TransportError:
    code = getattr(exc, "errno", None)
    text = f"cannot open serial port {port}: {exc}"
    if code in (errno.EACCES, errno.EPERM):
        return AccessDenied(text + " (add the user to the 'dialout' group)")
    if code in (errno.EBUSY, errno.EAGAIN, errno.EWOULDBLOCK) or "lock" in str(exc).lower():
        return DeviceBusy(text + " - another program holds it")
    if code in (errno.ENOENT, errno.ENODEV, errno.ENXIO):
        return DeviceNotFound(text)
    return Disconnected(text)
