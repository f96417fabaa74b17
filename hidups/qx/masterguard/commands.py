"""Masterguard's commands and setvars: slave address, shutdown and test formats.

Why: the bytes NUT 2.8.5 sends are the reference, including what its own code does
to them: ``,XX`` becomes the slave address just before sending, and the ``d`` setvars
go through ``snprintf_dynamic``, whose format check refuses ``%02d`` against the ``%ld``
it is handed, so NUT leaves the user's bare value as the command (then no ``,XX``
is found and nothing is sent, or, for ``PNV``, the digits go out without a CR).
"""

from __future__ import annotations

import re

from hidups.qx.engine import Engine
from hidups.qx.items import Item

_STRTOL = re.compile(r"\s*([+-]?\d+)")
_TTTT = re.compile(r"\s*([+-]?\d+):\s*([+-]?\d+):\s*([+-]?\d+):\s*([+-]?\d+)")


def strtol_whole(text: str | None) -> int | None:
    """``strtol(text, &p, 10)`` followed by ``*p != '\\0'`` -> error (None).

    As in C, the empty string passes as 0.
    """
    if text is None:
        return None
    match = _STRTOL.match(text)
    if match is None:
        return 0 if text == "" else None
    return int(match.group(1)) if match.end() == len(text) else None


def _c_div(a: int, b: int) -> int:
    """C integer division (truncates toward zero)."""
    quotient = abs(a) // abs(b)
    return quotient if (a < 0) == (b < 0) else -quotient


def _c_mod(a: int, b: int) -> int:
    """C ``%``: the sign follows the dividend."""
    return a - b * _c_div(a, b)


# -- NUT common.c's dynamic format check --------------------------------------------

def _minimize(fmt: str) -> str:
    """``minimize_formatting_string``: conversions reduced to their argument types."""
    out: list[str] = []
    escape = False
    i = 0
    while i < len(fmt):
        char = fmt[i]
        if char == "%":
            if fmt[i + 1: i + 2] == "%":
                i += 2
                continue
            escape = True
            out.append(char)
        elif escape:
            if char in "lLhzjt*":
                out.append(char)
            elif char in "di":
                out.append("i")
                escape = False
            elif char in "uoxX":
                out.append("u")
                escape = False
            elif char in "feEgGFaA":
                out.append("f")
                escape = False
            elif char in "cspn":
                out.append(char)
                escape = False
        i += 1
    return "".join(out)


def format_compatible(dynamic: str, reference: str) -> bool:
    """``validate_formatting_string`` >= 0: the same argument types, or a prefix."""
    mine, theirs = _minimize(dynamic), _minimize(reference)
    if mine == theirs:
        return True
    mine = mine.rstrip("".join(c for c in set(mine) if c not in "*iufcspn"))
    return theirs.startswith(mine)


def snprintf_dynamic(value: str, fmt: str, reference: str, arg: int | str) -> str:
    """NUT's ``snprintf_dynamic``: on a refused format ``value`` stays as it was."""
    if not format_compatible(fmt, reference):
        return value
    out = fmt.replace("%%", "\0")
    spec = re.search(r"%[-+ 0#]*\d*(?:\.\d+)?[lhzjt]*[a-zA-Z]", out)
    if spec is not None:
        conv = spec.group(0)
        py = re.sub(r"[lhzjt]", "", conv)
        out = out[:spec.start()] + (py % arg) + out[spec.end():]
    return out.replace("\0", "%")


# -- pre-command -----------------------------------------------------------------------

def add_slaveaddr(engine: Engine, item: Item, command: str) -> str | None:
    """``masterguard_add_slaveaddr``: ``...,XX\\r`` -> ``...,00\\r`` (this unit's address)."""
    address = engine.state.get("slaveaddr")
    if not command.endswith(",XX\r") or address is None:
        return None  # no address yet (explore asks before any claim): nothing is sent
    return command[:-3] + str(address) + "\r"


# -- instant commands ------------------------------------------------------------------

def _offdelay_text(engine: Engine) -> str | None:
    offdelay = strtol_whole(engine.getinfo("ups.delay.shutdown"))
    if offdelay is None or offdelay < 0 or offdelay > 99 * 60:
        return None
    if offdelay < 60:
        return "." + chr(ord("0") + offdelay // 6)
    return "%02d" % (offdelay // 60)


def shutdown_return(engine: Engine, item: Item, value: str) -> str | None:
    """``S<off>R<on>``: off delay as ``.n`` tenths or ``mm`` minutes, the start delay
    as NUT writes it: seconds, four digits."""
    off = _offdelay_text(engine)
    ondelay = strtol_whole(engine.getinfo("ups.delay.start"))
    if off is None or ondelay is None or not 0 <= ondelay <= 9999 * 60:
        return None
    return "S%sR%04d\r" % (off, ondelay)


def shutdown_stayoff(engine: Engine, item: Item, value: str) -> str | None:
    """``S<off>``: shut down and stay off."""
    off = _offdelay_text(engine)
    return None if off is None else "S%s\r" % off


def test_battery(engine: Engine, item: Item, value: str) -> str | None:
    """``masterguard_test_battery``: 10 s -> ``T``, 60..5940 s -> ``Tmm``; a duration
    is required."""
    if not value:
        return None
    duration = strtol_whole(value)
    if duration is None:
        return None
    if duration == 10:
        return "T\r"
    if duration < 60 or duration > 99 * 60:
        return None
    return "T%02d\r" % (duration // 60)


# -- setvars ---------------------------------------------------------------------------

def _thms(engine: Engine, value: str) -> str | None:
    """The ``thms`` input: NUT first parses the row's last answer value (``item->value``,
    a slip for ``value``), and only if that fails the user's seconds."""
    match = _TTTT.match(str(engine.state.get("src_value", "")))
    if match is not None:
        days, hours, minutes, seconds = (int(match.group(i)) for i in range(1, 5))
        if not (0 <= days <= 9999 and 0 <= hours <= 23 and 0 <= minutes <= 59
                and 0 <= seconds <= 59):
            return None
    else:
        total = strtol_whole(value)
        if total is None:
            return None
        seconds, total = _c_mod(total, 60), _c_div(total, 60)
        minutes, total = _c_mod(total, 60), _c_div(total, 60)
        hours, total = _c_mod(total, 24), _c_div(total, 24)
        if total > 9999:
            return None
        days = total
    return "%04d:%02d:%02d:%02d" % (days, hours, minutes, seconds)


def setvar(engine: Engine, item: Item, value: str) -> str | None:
    """``masterguard_setvar``: the value into the row's command; ``dfl`` names its type."""
    dfl = item.dfl or ""
    command = item.command or ""
    if not value or not dfl:
        return None
    if dfl == "d":
        number = strtol_whole(value)
        if number is None:
            return None
        return snprintf_dynamic(value, command, "%ld", number)
    if dfl == "s":
        if len(value) >= 80:
            return None
        return snprintf_dynamic(value, command, "%s", value)
    if dfl.startswith("thms"):
        text = _thms(engine, value)
        return None if text is None else snprintf_dynamic(value, command, "%s", text)
    return None


def set_slaveaddr(engine: Engine, item: Item, value: str) -> str | None:
    """``masterguard_set_slaveaddr``: keep the new address for after the SS command."""
    number = strtol_whole(value)
    if number is None:
        return None
    engine.state["next_slaveaddr"] = number
    return setvar(engine, item, value)


def new_slaveaddr(engine: Engine, item: Item, answer: str) -> str | None:
    """``masterguard_new_slaveaddr``: once SS went out (with the old address), use the
    new one."""
    number = int(engine.state.get("next_slaveaddr", -1))
    if not 0 <= number <= 99:
        return None
    engine.state["slaveaddr"] = "%02d" % number
    return answer


def record_src_value(engine: Engine, item: Item, answer: str) -> str | None:
    """Keep what NUT keeps in the SRC row's ``item->value``: its last answer up to CR."""
    engine.state["src_value"] = answer.split("\0", 1)[0].split("\r", 1)[0]
    return answer
