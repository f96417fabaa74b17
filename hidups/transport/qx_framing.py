"""How each USB-serial bridge carries a Q* command: nutdrv_qx's ``*_command`` framings.

One function per bridge, transcribed in behaviour (not in code) from NUT 2.8.5
drivers/nutdrv_qx.c, so the bytes on the wire, the timeouts, the retries and the
buffer sizes are NUT's. Each takes a :class:`QxState` and the command bytes and
returns what NUT's subdriver leaves in its buffer, cut to the length it returns: it
may hold NUL padding (cypress returns whole 8-byte chunks), exactly as NUT's protocol
code sees it. ``b""`` is NUT's 0 ("no answer"); a failed transfer raises the
hidups transport error (a timeout is :class:`TransportTimeout`).

The string-descriptor bridges (krauler, fabula, hunnox, snr) are in
:mod:`hidups.transport.qx_strings`.
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from hidups.errors import ProtocolError, TransportError, TransportTimeout

#: qx_process's answer buffer: ``char buf[sizeof(item->answer) - 1]`` (SMALLBUF - 1).
BUFLEN = 511
#: nutdrv_qx's SMALLBUF, the size of the cypress-type command buffer.
SMALLBUF = 512
CR = 0x0D
#: bmRequestType of a HID class request to the interface, host to device.
OUT_CLASS_INTERFACE = 0x21
HID_SET_REPORT = 0x09
HID_GET_REPORT = 0x01
#: NUT's USB_TIMEOUT.
USB_TIMEOUT_MS = 5000


class UsbIo(Protocol):
    """The libusb calls the framings make; errors are hidups TransportErrors that carry
    ``libusb_error`` (the libusb code's name), as :func:`map_usb_error` makes them."""

    def control_out(self, request_type: int, request: int, value: int, index: int,
                    data: bytes, timeout_ms: int) -> int: ...

    def control_in(self, request_type: int, request: int, value: int, index: int,
                   length: int, timeout_ms: int) -> bytes: ...

    def interrupt_read(self, endpoint: int, length: int, timeout_ms: int) -> bytes: ...

    def interrupt_write(self, endpoint: int, data: bytes, timeout_ms: int) -> int: ...

    def clear_halt(self, endpoint: int) -> None: ...

    def endpoints(self) -> list[tuple[int, int, int]] | None:
        """(address, bmAttributes, wMaxPacketSize) of the one interface's endpoints, or
        None unless the active configuration has exactly one interface and setting."""


@dataclass
class QxState:
    """What a framing keeps between commands, and the options it reads."""

    io: UsbIo
    langid_fix: int | None = None
    novendor: bool = False
    #: NUT's 1000 ms answer read timeout, unless the caller asks for another.
    read_timeout_ms: int = 1000
    sleep: Callable[[float], None] = time.sleep
    hunnox_step: int = 0
    armac_endpoints: tuple[bool, list[tuple[int, int, int]]] | None = field(default=None)


def is_stall(exc: TransportError) -> bool:
    return getattr(exc, "libusb_error", "") == "LIBUSB_ERROR_PIPE"


def c_string(data: bytes) -> bytes:
    """What C sees of ``data`` as a string: up to the first NUL."""
    nul = data.find(b"\0")
    return data if nul < 0 else data[:nul]


def echo(cmd: bytes) -> bytes:
    """NUT's "be megatec-y" answer to a command a bridge cannot carry: the command."""
    return c_string(cmd)[:BUFLEN - 1]


def _chunk(data: bytes, start: int, size: int) -> bytes:
    part = data[start:start + size]
    return part + b"\0" * (size - len(part))


def _send_chunks(st: QxState, cmd: bytes, value: int, timeout_ms: int, buffer: int,
                 upto: int | None = None) -> bool:
    """SET_REPORT the command in 8-byte chunks of a zeroed ``buffer``-byte copy; False
    when the device accepted 0 bytes (NUT returns 0)."""
    tmp = _chunk(cmd, 0, buffer)
    length = min(len(cmd), buffer) if upto is None else upto
    i = 0
    while i < length:
        sent = st.io.control_out(OUT_CLASS_INTERFACE, HID_SET_REPORT, value, 0,
                                 _chunk(tmp, i, 8), timeout_ms)
        if sent <= 0:
            return False
        i += sent
    return True


def _read_until_cr(st: QxState, endpoint: int, size: int) -> bytes:
    """Interrupt reads of ``size`` until a CR is in the buffer (cypress, phoenix, fuji,
    gtec); the answer keeps the chunks' padding, as NUT returns it."""
    buf = bytearray(BUFLEN)
    i = 0
    while i <= BUFLEN - size and CR not in buf:
        data = st.io.interrupt_read(endpoint, size, st.read_timeout_ms)
        if not data:
            return b""
        buf[i:i + len(data)] = data
        i += len(data)
    return bytes(buf[:i])


def cypress(st: QxState, cmd: bytes) -> bytes:
    """SET_REPORT Output 0x0200 in 8-byte chunks; 8-byte interrupt reads."""
    if not _send_chunks(st, cmd, 0x200, USB_TIMEOUT_MS, SMALLBUF):
        return b""
    return _read_until_cr(st, 0x81, 8)


def gtec(st: QxState, cmd: bytes) -> bytes:
    """cypress with wValue 0x0002, the command as a C string, 128-byte reads."""
    text = c_string(cmd[:SMALLBUF - 1])
    if not _send_chunks(st, text, 0x02, USB_TIMEOUT_MS, SMALLBUF, upto=len(text)):
        return b""
    return _read_until_cr(st, 0x81, 128)


def phoenix(st: QxState, cmd: bytes) -> bytes:
    """cypress after draining what the converter still holds (up to 8 reads, until one
    fails), with 1000 ms send timeouts."""
    for _ in range(8):
        try:
            st.io.interrupt_read(0x81, 8, 1000)
        except TransportError as exc:
            if is_stall(exc):
                with contextlib.suppress(TransportError):
                    st.io.clear_halt(0x81)
            break
    if not _send_chunks(st, cmd, 0x200, 1000, SMALLBUF):
        return b""
    return _read_until_cr(st, 0x81, 8)


def ippon(st: QxState, cmd: bytes) -> bytes:
    """SET_REPORT wValue 0x0002 in 8-byte chunks of a 64-byte buffer; one 64-byte read.

    The read lands in the same buffer the command was in, so an answer without CR or
    NUL runs on into the command's bytes, as in NUT.
    """
    tmp = bytearray(_chunk(cmd, 0, 64))
    if not _send_chunks(st, cmd, 0x02, 1000, 64):
        return b""
    data = st.io.interrupt_read(0x81, 64, st.read_timeout_ms)
    if not data:
        return b""
    tmp[:len(data)] = data
    cr = tmp.find(CR, 0, len(data))
    length = cr + 1 if cr >= 0 else len(c_string(bytes(tmp)))
    length = min(length, BUFLEN - 1)
    answer = bytes(tmp[:length])
    if length and CR not in answer and length < BUFLEN - 1:
        answer += b"\r"
    return answer


def sgs(st: QxState, cmd: bytes) -> bytes:
    """SET_REPORT 0x0200 of ``[count <= 7, data]``; 8-byte reads of the same shape until
    a read times out; a CR is added when the answer has none."""
    i = 0
    while i < len(cmd):
        count = min(len(cmd) - i, 7)
        sent = st.io.control_out(OUT_CLASS_INTERFACE, HID_SET_REPORT, 0x200, 0,
                                 _chunk(bytes([count]) + cmd[i:i + count], 0, 8),
                                 USB_TIMEOUT_MS)
        if sent <= 0:
            return b""
        if sent <= 1:
            raise ProtocolError(f"sgs bridge accepted only {sent} byte(s) of an 8-byte "
                                "chunk: no command data went out")
        i += sent - 1
    buf = bytearray(BUFLEN)
    i = 0
    while i <= BUFLEN - 8:
        try:
            data = st.io.interrupt_read(0x81, 8, st.read_timeout_ms)
        except TransportTimeout:
            break
        if not data:
            return b""
        data = _chunk(data, 0, 8)
        # NUT reads the count as a (signed) char capped at 7; a count byte >= 0x80 is
        # negative there and moves its buffer backwards, which hidups reads as 0.
        count = min(data[0], 7) if data[0] < 0x80 else 0
        buf[i:i + count] = data[1:1 + count]
        i += count
    answer = bytes(buf[:i])
    if i and CR not in answer and i < BUFLEN - 1:
        answer += b"\r"
    return answer


_FLOAT = re.compile(rb"\s*([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)")
_INT = re.compile(rb"\s*([+-]?\d+)")


def scan_shutdown(cmd: bytes) -> tuple[int, float, int]:
    """``sscanf(cmd, "S%lfR%d\\r", &val1, &val2)``: (conversions, val1, val2 or -1).

    Decimal floats only (no C hex floats, inf or nan: no Q* command uses them).
    """
    if not cmd.startswith(b"S"):
        return 0, -1.0, -1
    m = _FLOAT.match(cmd, 1)
    if m is None:
        return 0, -1.0, -1
    val1 = float(m.group(1))
    if cmd[m.end():m.end() + 1] != b"R":
        return 1, val1, -1
    n = _INT.match(cmd, m.end() + 1)
    if n is None:
        return 1, val1, -1
    return 2, val1, int(n.group(1))


#: Commands fuji units answer, with the answer length the bridge is told to expect.
FUJI_QUERIES = {b"Q1": 47, b"F": 22, b"I": 39}


def fuji(st: QxState, cmd: bytes) -> bytes:
    """8-byte interrupt OUT to 0x02: ``80 06 LEN 03 CMD[<=3] ... ANSWER_LEN``."""
    command = c_string(cmd).split(b"\r", 1)[0]
    count, _, val2 = scan_shutdown(cmd)
    if count == 2 and val2:
        command = command[:3]  # SnRm → Sn: the bridge has room for 3 characters
    if len(command) > 3:
        return echo(cmd)
    packet = bytearray(8)
    packet[0:4] = bytes([0x80, 0x06, len(command) + 1, 0x03])
    packet[4:4 + len(command)] = command
    packet[7] = FUJI_QUERIES.get(command, 0)
    if st.io.interrupt_write(0x02, bytes(packet), USB_TIMEOUT_MS) <= 0:
        return b""
    return c_string(_read_until_cr(st, 0x81, 8))


#: Phoenixtec commands the UPS does not answer (NUT reads nothing after them).
PHOENIXTEC_SILENT = (b"T", b"TL", b"S", b"C", b"CT", b"M", b"N", b"O", b"SRC", b"FCLR",
                     b"SS", b"TUD", b"SSN")


def phoenixtec(st: QxState, cmd: bytes) -> bytes:
    """One vendor request (0x42, bRequest 0x0d) with the whole command; interrupt reads
    of what is left of the buffer until a CR."""
    if st.io.control_out(0x42, 0x0D, 0, 0, cmd, 1000) <= 0:
        return b""
    text = c_string(cmd)
    for prefix in PHOENIXTEC_SILENT:
        if text.startswith(prefix):
            after = text[len(prefix):len(prefix) + 1]
            if not (after and b"A" <= after <= b"Z"):  # "M" must not match "MSO"
                return b""
    buf = bytearray(BUFLEN)
    pos = 0
    while pos < BUFLEN:
        data = st.io.interrupt_read(0x81, BUFLEN - pos, st.read_timeout_ms)
        if not data:
            return b""
        buf[pos:pos + len(data)] = data
        cr = data.find(CR)
        if cr >= 0:
            end = pos + cr + 1
            return bytes(buf[:end]) if end < BUFLEN else b""
        pos += len(data)
    return b""


#: Answer lengths (CR included) ablerex insists on, retrying otherwise.
ABLEREX_LENGTHS = {b"q1\r": 47, b"i\r": 39, b"f\r": 22}


def ablerex(st: QxState, cmd: bytes) -> bytes:
    """SET_REPORT Feature 0x0305 ``[05 00 count cmd CR]`` (47 bytes), 500 ms, then
    GET_REPORT Feature 0x0305; up to 3 tries until a query's answer has its length."""
    text = c_string(cmd)
    for _ in range(3):
        count = (1 + len(text.split(b"\r", 1)[0])) & 0xFF
        tmp = bytearray(64)
        tmp[0:3] = bytes([0x05, 0x00, count])
        n = min(count, len(cmd), 61)
        tmp[3:3 + n] = cmd[:n]
        with contextlib.suppress(TransportError):  # NUT only logs how the write went
            st.io.control_out(OUT_CLASS_INTERFACE, HID_SET_REPORT, 0x305, 0, bytes(tmp[:47]),
                              1000)
        st.sleep(0.5)
        reply = st.io.control_in(0xA1, HID_GET_REPORT, 0x305, 0, 47, 1000)
        if not reply:
            return b""
        cr = reply.find(CR, 0, 47)
        length = cr + 1 if cr > 0 else 0
        answer = reply[:length]
        wanted = ABLEREX_LENGTHS.get(text.lower())
        if wanted is not None and length != wanted:
            continue
        if text.lower() == b"q5\r" and length != 22:
            return b"(" + b"\0" * 21
        return answer
    return b""


ARMAC_UNSUPPORTED = (b"QGS\r", b"QS\r", b"QPI\r", b"M\r", b"D\r")


def _armac_interrupt_endpoints(st: QxState) -> bool:
    """NUT's "V2.0" check: endpoints 0x82 (64 bytes) and 0x02, both non-control."""
    if st.armac_endpoints is None:
        found = st.io.endpoints() or []
        st.armac_endpoints = (len(found) == 2, found)
    ok, found = st.armac_endpoints
    ins = [e for e in found if e[0] & 0x80]
    outs = [e for e in found if not e[0] & 0x80]
    return (ok and bool(ins) and bool(outs) and ins[-1][0] == 0x82 and bool(ins[-1][1] & 3)
            and outs[-1][0] == 0x02 and bool(outs[-1][1] & 3) and ins[-1][2] == 64)


def armac(st: QxState, cmd: bytes) -> bytes:
    """SET_REPORT 0x0200 of ``[0xa0 + count, <= 3 chars]`` (or one interrupt OUT on V2.0
    units); 6-byte (64) interrupt reads ``[0x80 | toggle | count, data]``, count 0 ends."""
    if c_string(cmd) in ARMAC_UNSUPPORTED:
        return echo(cmd)
    text_len = len(c_string(cmd))
    datalen = len(cmd) if text_len >= len(cmd) else text_len + 1
    use_interrupt = _armac_interrupt_endpoints(st)
    read_size, endpoint = 6, 0x81
    sent, error = 0, None
    if use_interrupt and datalen < 64:
        n = datalen if datalen < 63 else 62  # room for the count byte and a NUL
        sent = st.io.interrupt_write(0x02, bytes([(0xA0 + n) & 0xFF]) + _chunk(cmd, 0, n),
                                     5000)
        read_size, endpoint = 64, 0x82
    else:
        for _ in range(10):  # drain stale answers
            try:
                if len(st.io.interrupt_read(0x81, 6, 100)) != 6:
                    break
            except TransportError:
                break
        i = 0
        while i < datalen:
            n = min(3, datalen - i)
            try:
                sent, error = st.io.control_out(
                    OUT_CLASS_INTERFACE, HID_SET_REPORT, 0x200, 0,
                    _chunk(bytes([0xA0 + n]) + cmd[i:i + n], 0, 4), 5000), None
            except TransportError as exc:  # NUT checks only the last chunk's result
                sent, error = -1, exc
            i += n
    if error is not None:
        raise error
    if sent <= 0:
        return b""
    st.sleep(0.002)
    buf = bytearray()
    while len(buf) + read_size + 1 < BUFLEN:
        data = st.io.interrupt_read(endpoint, read_size, st.read_timeout_ms)
        if len(data) != read_size:
            return bytes(buf)
        available = min(data[0] & 0x3F, read_size - 1)
        if available == 0:
            break
        for c in data[1:1 + available]:
            if c == 0 and not buf:
                return b""  # a UPS switched off by hand sends NULs
            if c == 0:
                if len(buf) >= 38:  # Vultech V2000: NUL within the status bits
                    buf.append(ord("0"))
                    continue
                return _armac_end(buf, read_size)
            buf.append(c)
            if c == CR:
                return _armac_end(buf, read_size)
        if available <= 2:
            st.sleep(0.01)
    return _armac_end(buf, read_size)


def _armac_end(buf: bytearray, read_size: int) -> bytes:
    if len(buf) + read_size >= BUFLEN:
        raise ProtocolError(f"armac bridge sent more than {BUFLEN - read_size} bytes "
                            "without a CR (NUT: 'Protocol error, too much data read')")
    return bytes(buf)
