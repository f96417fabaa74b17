"""Bridges whose "command" is a string-descriptor read: krauler, fabula, hunnox, snr.

These units map each Megatec command to a string index; reading that string sends
the command and returns the answer. Behaviour follows NUT 2.8.5's ``krauler_command``,
``fabula_command``, ``hunnox_command`` (with its lock-step reads) and ``snr_command``.
A command a bridge has no index for is echoed back without touching the device.
"""

from __future__ import annotations

import contextlib
import math

from hidups.errors import ProtocolError, TransportError
from hidups.transport.qx_framing import BUFLEN, CR, QxState, c_string, echo, scan_shutdown

GET_DESCRIPTOR = 0x06
DT_STRING = 0x03
#: libusb_get_string_descriptor's timeout.
STRING_TIMEOUT_MS = 1000

#: (command, string index, first byte of the answer) for krauler.
KRAULER = ((b"Q1\r", 0x03, b"("), (b"F\r", 0x0D, b"#"), (b"I\r", 0x0C, b"#"),
           (b"T\r", 0x04, b"\r"), (b"TL\r", 0x05, b"\r"), (b"Q\r", 0x07, b"\r"),
           (b"C\r", 0x0B, b"\r"), (b"CT\r", 0x0B, b"\r"))
SNR = KRAULER[:3]
FABULA = ((b"Q1\r", 0x03), (b"F\r", 0x0D), (b"I\r", 0x0C), (b"Q\r", 0x07), (b"C\r", 0x0A))
HUNNOX = (*FABULA, (b"BL\r", 0xF3))


def strncmp_equal(cmd: bytes, entry: bytes, n: int) -> bool:
    """C's ``strncmp(cmd, entry, n) == 0`` (NUT 2.8.5 compares cmdlen characters)."""
    for k in range(n):
        a = cmd[k] if k < len(cmd) else 0
        b = entry[k] if k < len(entry) else 0
        if a != b:
            return False
        if a == 0:
            return True
    return True


def get_string(st: QxState, index: int, langid: int, length: int) -> bytes:
    """libusb_get_string_descriptor: the raw descriptor (length byte, type, UTF-16LE)."""
    return st.io.control_in(0x80, GET_DESCRIPTOR, DT_STRING << 8 | (index & 0xFF),
                            langid & 0xFFFF, length, STRING_TIMEOUT_MS)


def get_string_ascii(st: QxState, index: int, length: int) -> bytes:
    """libusb_get_string_descriptor_ascii: the first language, then the string, with
    every non-ASCII character as '?'."""
    langs = st.io.control_in(0x80, GET_DESCRIPTOR, DT_STRING << 8, 0, 4, STRING_TIMEOUT_MS)
    if len(langs) != 4 or langs[0] < 4 or langs[1] != DT_STRING:
        raise _io_error(f"string {index}: broken language list {langs.hex(' ')}")
    langid = langs[2] | langs[3] << 8
    raw = get_string(st, index, langid, 255)
    if len(raw) < 2 or raw[1] != DT_STRING:
        raise _io_error(f"string {index}: not a string descriptor ({raw.hex(' ')})")
    count = (min(raw[0], len(raw)) - 2) // 2
    out = bytearray()
    for i in range(count):
        if len(out) >= length - 1:
            break
        c = raw[2 + 2 * i] | raw[3 + 2 * i] << 8
        out.append(ord("?") if c & 0xFF80 else c)
    return bytes(out)


def _io_error(message: str) -> ProtocolError:
    error = ProtocolError(message + " (LIBUSB_ERROR_IO)")
    error.libusb_error = "LIBUSB_ERROR_IO"
    return error


def unicode_to_ascii(raw: bytes, limit: int) -> bytes | None:
    """NUT's in-place UTF-16 → ASCII (high byte set → '?'); None when the descriptor's
    length byte disagrees with the transfer ("size mismatch", answer corrupted)."""
    signed = raw[0] - 256 if raw[0] >= 0x80 else raw[0]
    if len(raw) != signed:
        return None
    padded = raw + b"\0"
    out = bytearray()
    for si in range(2, raw[0], 2):
        if len(out) >= limit - 1:
            break
        out.append(ord("?") if padded[si + 1] else padded[si])
    return bytes(out)


def _cspn_cr(data: bytes) -> int:
    """C's ``strcspn(buf, "\\r")``."""
    text = c_string(data)
    cr = text.find(b"\r")
    return len(text) if cr < 0 else cr


def is_no_ack(data: bytes) -> bool:
    """The "UPS No Ack" reply these bridges give to an accepted action."""
    return _cspn_cr(data) == 10 and data[:10].lower() == b"ups no ack"


def add_cr(data: bytes, limit: int = BUFLEN) -> bytes:
    """NUT adds the missing terminating CR when there is room."""
    if data and CR not in data and len(data) < limit - 1:
        return data + b"\r"
    return data


def _lookup(table: tuple[tuple[bytes, int], ...], cmd: bytes) -> int:
    for entry, index in table:
        if strncmp_equal(cmd, entry, len(cmd)):
            return index
    return 0


def _krauler_like(st: QxState, cmd: bytes, table: tuple[tuple[bytes, int, bytes], ...],
                  langid: int | None) -> bytes:
    for entry, index, prefix in table:
        if not strncmp_equal(cmd, entry, len(cmd)):
            continue
        for _ in range(10):
            if langid is None:
                answer = get_string_ascii(st, index, BUFLEN)
                if not answer:
                    return b""
            else:
                raw = get_string(st, index, langid, 102 if table is SNR else BUFLEN)
                if not raw:
                    return b""
                converted = unicode_to_ascii(raw, BUFLEN)
                if converted is None:
                    continue
                answer = converted
            if table is not SNR:
                answer = add_cr(answer)
            if is_no_ack(answer):
                continue
            return (prefix + answer[1:]) if answer else answer
        return b""
    return echo(cmd)


def krauler(st: QxState, cmd: bytes) -> bytes:
    """String index per command (Q1 3, F 0x0d, I 0x0c, ...), up to 10 tries while the
    answer is corrupt or "UPS No Ack"; the first byte is replaced by the right one."""
    return _krauler_like(st, cmd, KRAULER, st.langid_fix)


def snr(st: QxState, cmd: bytes) -> bytes:
    """A 102-byte interrupt read first (the unit returns zeros otherwise), then krauler's
    Q1/F/I strings in language ``langid_fix``."""
    if st.langid_fix is None:
        raise ProtocolError("the snr bridge needs langid_fix (NUT 2.8.5 exits: "
                            "usb_get_string() args out of range)")
    with contextlib.suppress(TransportError):  # NUT ignores how this wake-up read went
        st.io.interrupt_read(0x81, 102, 1000)
    return _krauler_like(st, cmd, SNR, st.langid_fix)




def shutdown_index(cmd: bytes) -> int:
    """fabula/hunnox string index of ``Sn[Rm]``: 0x10 per Megatec delay step from .5 to
    10, +8 for shutdown.return (m != 0, or no R at all); 0 when not a shutdown."""
    count, val1, val2 = scan_shutdown(cmd)
    if count == 0 or math.isnan(val1):
        return 0
    delay = 0.5 if val1 < 0.5 else 10.0 if val1 > 10 else val1
    index = 16 + math.floor((delay - 0.5) * 10 + 0.5) * 16 if delay < 1 else int(
        96 + (delay - 1) * 16)
    if val2:
        index += 8
    return index


def fabula(st: QxState, cmd: bytes) -> bytes:
    """String index per command (shutdowns computed); "UPS No Ack" becomes no answer,
    which queries read as a failure and instant commands as a success."""
    index = _lookup(FABULA, cmd) or shutdown_index(cmd)
    if not index:
        return echo(cmd)
    answer = get_string_ascii(st, index, BUFLEN)
    if not answer:
        return b""
    answer = add_cr(answer)
    return b"" if is_no_ack(answer) else answer


def hunnox_lockstep(st: QxState, index: int) -> None:
    """The string reads the Windows client interleaves; their outcome is ignored."""
    langid = 0x0409 if st.langid_fix is None else st.langid_fix
    reads: list[tuple[int, int]] = []
    step = st.hunnox_step
    if step == 0:
        reads = [(0x00, 1026), (0x00, 1026), (0x01, 1026)]
    elif step == 1 and index != 0x0D:
        reads = [(0x0D, 102)]
    elif step == 2 and index != 0x03:
        reads = [(0x03, 102)]
    elif step == 3 and index != 0x0C and not st.novendor:
        reads = [(0x0C, 102)]
    elif step not in (1, 2, 3):
        st.hunnox_step = 0
    for string_index, length in reads:
        with contextlib.suppress(TransportError):
            get_string(st, string_index, langid, length)
    if step == 0:
        st.sleep(0.01)
    st.hunnox_step += 1
    if st.hunnox_step > 3:
        st.hunnox_step = 1


def hunnox(st: QxState, cmd: bytes) -> bytes:
    """fabula with a lock-step read before each command and a 102-byte buffer."""
    index = _lookup(HUNNOX, cmd) or shutdown_index(cmd)
    if not index:
        return echo(cmd)
    hunnox_lockstep(st, index)
    if st.langid_fix is None:
        answer = get_string_ascii(st, index, 102)
        if not answer:
            return b""
    else:
        raw = get_string(st, index, st.langid_fix, 102)
        if not raw:
            return b""
        converted = unicode_to_ascii(raw, 102)
        if converted is None:
            return b""
        answer = converted
    return b"" if is_no_ack(answer) else answer
