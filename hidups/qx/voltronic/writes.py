"""Voltronic setvars and instant commands: NUT's value checks and byte formats.

Why: these are nutdrv_qx_voltronic's SETVAR/CMD preprocess functions. They decide the
bytes on the wire (``HEH%03.0f``, ``S.3R0002``, ``BZOFF``...) and refuse a value that
would send nothing useful (already set, out of NUT's range) before anything is sent.
None stands for NUT's -1.
"""

from __future__ import annotations

from hidups.qx.cstr import spn, strtod, strtol
from hidups.qx.engine import Engine
from hidups.qx.items import Item

#: ups.conf-only setvars NUT refuses when the value is already the UPS's.
_ALREADY = ("max_bypass_freq", "min_bypass_freq", "max_bypass_volt", "min_bypass_volt",
            "battery_number")


def _c_int(number: float) -> int:
    """C's ``(int)`` cast of a double: truncation toward zero."""
    return int(number)


def _c_mod(a: int, b: int) -> int:
    """C's ``%`` (the sign follows the dividend)."""
    return a - b * int(a / b)


def process_setvar(engine: Engine, item: Item, value: str) -> str | None:
    """``voltronic_process_setvar``: the delays rounded as the UPS counts them, the
    rest printed into the row's command with ``%f``."""
    if not value:
        return None
    val = strtod(value)
    name = item.name.lower()
    if name == "ups.delay.start":
        val -= _c_mod(_c_int(val), 60)
        return "%.0f" % val
    if name == "ups.delay.shutdown":
        val -= _c_mod(_c_int(val), 6) if val < 60 else _c_mod(_c_int(val), 60)
        return "%.0f" % val
    # NUT's globals start at 0, so 0 counts as "already set" before the UPS said otherwise
    if name in _ALREADY and val == engine.state.get(name, 0.0):
        return None
    return (item.command or "") % val


def _delay_text(seconds: int) -> str:
    """Voltronic's delay field: ``.n`` (n*6 s) under a minute, else ``nn`` minutes."""
    return ".%d" % (seconds // 6) if seconds < 60 else "%02d" % (seconds // 60)


def _c_div(a: int, b: int) -> int:
    """C's integer division (toward zero)."""
    return int(a / b)


def process_command(engine: Engine, item: Item, value: str) -> str | None:
    """``voltronic_process_command``: shutdown delays, battery test time, beeper."""
    name = item.name.lower()
    if name == "shutdown.return":
        offdelay = strtol(engine.getinfo("ups.delay.shutdown"))
        ondelay = _c_div(strtol(engine.getinfo("ups.delay.start")), 60)
        field = _c_delay(offdelay)
        if ondelay != 0:
            field += "R%04d" % ondelay
    elif name == "shutdown.stayoff":
        field = _c_delay(strtol(engine.getinfo("ups.delay.shutdown")))
    elif name == "test.battery.start":
        if spn(value, "0123456789") != len(value):
            return None
        delay = strtol(value) if value else 600
        if delay < 12 or delay > 5940:
            return None
        field = _delay_text(delay)
    elif name == "beeper.toggle":
        beeper = engine.getinfo("ups.beeper.status") or ""
        if beeper == "enabled":
            field = "OFF"
        elif "alarm_control" in engine.labels:
            if beeper != "muted":
                return None  # "The beeper is already disabled"
            field = "ON"
        else:
            field = "ON" if beeper == "disabled" else ""
    else:
        return None
    return (item.command or "") % field


def _c_delay(seconds: int) -> str:
    """The shutdown delay field with C's division (negative delays stay negative)."""
    return ".%d" % _c_div(seconds, 6) if seconds < 60 else "%02d" % _c_div(seconds, 60)


def capability_set(engine: Engine, item: Item, value: str) -> str | None:
    """``voltronic_capability_set``: yes/no -> ``PE<x>``/``PD<x>``."""
    letter = {"yes": "E", "no": "D"}.get(value.lower())
    return None if letter is None else (item.command or "") % letter


def capability_set_nonut(engine: Engine, item: Item, value: str) -> str | None:
    """``voltronic_capability_set_nonut``: a ups.conf capability, sent only when the UPS
    reported it and it differs."""
    current = engine.labels.get(item.name.lower())
    if current is None or value.lower() == current.lower():
        return None
    letter = {"disabled": "D", "enabled": "E"}.get(value.lower())
    return None if letter is None else (item.command or "") % letter


def capability_reset(engine: Engine, item: Item, value: str) -> str | None:
    """``voltronic_capability_reset``: ``PF`` only in standby (status OFF)."""
    if "reset_to_default" not in engine.settings.raw or not engine.status_bit("OFF"):
        return None
    return item.command


def outlet_delay_set(engine: Engine, item: Item, value: str) -> str | None:
    """``voltronic_outlet_delay_set``: seconds -> minutes into ``PSKn%03d``."""
    return (item.command or "") % _c_div(strtol(value), 60)


def _index(item: Item, value: str) -> int | None:
    """The position of ``value`` in the row's own enum (case-insensitive)."""
    for index, choice in enumerate(item.rw or ()):
        if choice.lower() == value.lower():
            return index
    return None


def battery_type_set(engine: Engine, item: Item, value: str) -> str | None:
    """``voltronic_p31b_set``: the enum's index, printed as ``PBT%02.0f``."""
    index = _index(item, value)
    return None if index is None else process_setvar(engine, item, str(index))


def work_range_set(engine: Engine, item: Item, value: str) -> str | None:
    """``voltronic_p31g_set``: the enum's index as ``PGR%02.0f``, unless already set."""
    index = _index(item, value)
    if index is None or index == engine.state.get("work_range_type", 0.0):
        return None
    return process_setvar(engine, item, str(index))


def phase_set(engine: Engine, item: Item, value: str) -> str | None:
    """``voltronic_phase_set``: NUT sends the enum's *index* (``PPD001`` for 120), not
    the angle; hidups sends the same bytes."""
    index = _index(item, value)
    if index is None:
        return None
    if strtol((item.rw or ())[index]) == engine.state.get("output_phase_angle", 0.0):
        return None
    return process_setvar(engine, item, str(index))
