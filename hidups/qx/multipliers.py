"""nutdrv_qx.c's multipliers (``qx_multiply_x1000``, ``qx_multiply_m2s``) and the C
``sscanf("%f")`` they read with.

Why: NUT scans a field into a single-precision ``float`` and multiplies in double, so
what ``%.2f`` prints depends on that rounding (and on glibc reading hex floats, inf
and nan); the protocols that use these (innovart31/33, q2, q6) must print the same.
"""

from __future__ import annotations

import math
import re
import struct
from typing import Any

from hidups.qx.items import Item

_SCANF_FLOAT = re.compile(
    r"\s*([+-]?)(?:(0x(?:[0-9a-f]+\.?[0-9a-f]*|\.[0-9a-f]+)(?:p[+-]?\d+)?)"
    r"|(inf(?:inity)?|nan(?:\([0-9a-z_]*\))?)|((?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?))",
    re.IGNORECASE)


def scanf_float(text: str) -> float | None:
    """C ``sscanf(text, "%f", &f)`` into a ``float``; None where it converts nothing.

    glibc reads hexadecimal floats too ("0x1.4" is 1.25: seen with NUT 2.8.5 on upsemu)
    and rounds to single precision (out of its range: infinity, as strtof gives).
    """
    match = _SCANF_FLOAT.match(text)
    if match is None:
        return None
    sign, hexa, special, decimal = match.groups()
    if hexa is not None:
        number = float.fromhex(sign + hexa)
    elif special is not None:
        number = float(sign + special.split("(")[0])
    else:
        number = float(sign + decimal)
    try:
        return float(struct.unpack("<f", struct.pack("<f", number))[0])
    except OverflowError:
        return math.copysign(math.inf, number)


def multiply_x1000(engine: Any, item: Item, value: str) -> str | None:
    """``qx_multiply_x1000``: kW/kVA -> W/VA, ``%.2f`` of the single-precision value.

    NUT reads the field into a ``float`` first, so 001.4 is 1399.99997..., which
    still prints 1400.00; an unreadable field fails (-1) and is not published.
    """
    number = scanf_float(value)
    if number is None:
        return None
    return "%.2f" % (number * 1000.0)


def multiply_m2s(engine: Any, item: Item, value: str) -> str | None:
    """``qx_multiply_m2s``: minutes (``Q2``'s runtime) -> seconds, ``%.0f``."""
    number = scanf_float(value)
    return None if number is None else "%.0f" % (number * 60.0)
