"""C string helpers with the exact semantics nutdrv_qx relies on.

Why: NUT accepts ``"12.3 "`` but not ``"1-2"`` as a number, reads ``strtod`` prefixes
and trims with ``str_trim_m``; matching these byte for byte keeps values identical.
"""

from __future__ import annotations

import re

_FLOAT = re.compile(r"\s*([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)")
_INT = re.compile(r"\s*([+-]?\d+)")


def strtod(text: str | None) -> float:
    """C ``strtod``: the longest numeric prefix after blanks, 0.0 when none."""
    if not text:
        return 0.0
    match = _FLOAT.match(text)
    return float(match.group(1)) if match else 0.0


def strtol(text: str | None) -> int:
    """C ``strtol(.., 10)``: the leading integer after blanks, 0 when none."""
    if not text:
        return 0
    match = _INT.match(text)
    return int(match.group(1)) if match else 0


def spn(text: str, accept: str) -> int:
    """C ``strspn``."""
    count = 0
    for char in text:
        if char not in accept:
            break
        count += 1
    return count


def is_numeric(text: str) -> bool:
    """nutdrv_qx's number test: only digits, blanks and dots (the empty string passes)."""
    return spn(text, "0123456789 .") == len(text)


def trim(text: str, chars: str = "# ") -> str:
    """NUT's ``str_trim_m``: strip leading and trailing characters from ``chars``."""
    return text.strip(chars)


def cfmt(fmt: str, number: float) -> str:
    """printf a double with a ``%.Nf`` format (Python's % rounds as glibc does)."""
    return fmt % number
