"""Voltronic's CRC framing (NUT 2.8.5 ``common_voltronic-crc.c``), as text in and out.

Why: Axpert inverters want a CRC-16/XMODEM after each command and put one before the
CR of each answer; NUT bumps a CRC byte that would read as LF, CR or ``(`` by one, so
the framing survives line-based readers. Commands and answers here are latin-1 text,
one character per byte, as the Q* engine handles them.
"""

from __future__ import annotations

_POLY = 0x1021
_BUMPED = (0x0A, 0x0D, 0x28)  # LF, CR, '('


def _table() -> tuple[int, ...]:
    """CRC-16 (poly 0x1021) remainders of each leading byte."""
    out = []
    for dividend in range(256):
        rem = dividend << 8
        for _ in range(8):
            rem = ((rem << 1) ^ _POLY) if rem & 0x8000 else rem << 1
        out.append(rem & 0xFFFF)
    return tuple(out)


_TABLE = _table()


def _bump(byte: int) -> int:
    return byte + 1 if byte in _BUMPED else byte


def crc16(data: bytes) -> int:
    """``common_voltronic_crc_compute``: CRC-16/XMODEM, each byte bumped off LF/CR/(."""
    rem = 0
    for byte in data:
        rem = ((rem << 8) ^ _TABLE[(byte ^ (rem >> 8)) & 0xFF]) & 0xFFFFFFFF
    crc = rem & 0xFFFF
    return (_bump(crc >> 8) << 8) | _bump(crc & 0xFF)


def _body(text: str) -> tuple[str, bool]:
    """The text up to its first CR (else up to a NUL), and whether a CR was there."""
    cr = text.find("\r")
    if cr >= 0:
        return text[:cr], True
    nul = text.find("\0")
    return (text if nul < 0 else text[:nul]), False


def add_crc(command: str) -> str | None:
    """``common_voltronic_crc_calc_and_add``: body + 2 CRC bytes (+ CR if it had one)."""
    body, has_cr = _body(command)
    if not body:
        return None
    crc = crc16(body.encode("latin-1"))
    return body + chr(crc >> 8) + chr(crc & 0xFF) + ("\r" if has_cr else "")


def check_and_remove_crc(answer: str) -> str | None:
    """``common_voltronic_crc_check_and_remove``: the answer without its CRC, or None.

    At least one byte must precede the two CRC bytes; the trailing CR, if any, stays.
    """
    body, has_cr = _body(answer)
    if len(body) < 3:
        return None
    crc = crc16(body[:-2].encode("latin-1"))
    if ord(body[-2]) != crc >> 8 or ord(body[-1]) != crc & 0xFF:
        return None
    return body[:-2] + ("\r" if has_cr else "")
