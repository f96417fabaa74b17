"""Numbers from text: one parser per kind, for options, protocol values and tables.

NUT parses numbers where it uses them, with ``atoi``, ``strtol`` or ``atof``, each with
its own idea of a bad value. hidups has these few, so that every option is read one
way and a bad value is always an error naming the option and the value.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

from hidups.errors import ConfigError

_LEADING_INT = re.compile(r"\s*([-+]?\d+)")


def c_atoi(text: str | None) -> int:
    """C's ``atoi``: the leading decimal integer of ``text``, 0 when there is none.

    NUT reads some option and variable values this way (``lowbatt``, ``ondelay``, table
    values), so ``"30s"`` is 30 and ``"x"`` is 0 there; kept where NUT's answer shows.
    """
    m = _LEADING_INT.match(text or "")
    return int(m.group(1)) if m else 0


def parse_int(text: str) -> int | None:
    """A whole decimal number (``"4"``, ``" -1 "``), or ``None`` (``"4.5"``, ``"lots"``)."""
    try:
        return int(text.strip(), 10)
    except ValueError:
        return None


def parse_number(text: str) -> float | None:
    """A finite decimal number (``"20"``, ``"12.5"``, ``"-1"``), or ``None``."""
    try:
        value = float(text.strip())
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def number_option(
    options: Mapping[str, str],
    name: str,
    default: float,
    *,
    low: float | None = None,
    high: float | None = None,
) -> float:
    """The option as a number, ``default`` when unset; a bad or out-of-range value is an
    error that names the option and the value."""
    text = options.get(name)
    if text is None or text == "":
        return default
    value = parse_number(text)
    if value is None:
        raise ConfigError(f"option {name}={text!r} is not a number", option=name)
    if (low is not None and value < low) or (high is not None and value > high):
        bounds = f"{low:g}..{high:g}" if low is not None and high is not None else (
            f">= {low:g}" if low is not None else f"<= {high:g}")
        raise ConfigError(f"option {name}={text!r} is out of range ({bounds})", option=name)
    return value


def int_option(options: Mapping[str, str], name: str, default: int, *,
               low: int | None = None, high: int | None = None) -> int:
    """The option as a whole number (decimals refused), ``default`` when unset."""
    value = number_option(options, name, default, low=low, high=high)
    if value != int(value):
        raise ConfigError(f"option {name}={options[name]!r} is not a whole number",
                          option=name)
    return int(value)
