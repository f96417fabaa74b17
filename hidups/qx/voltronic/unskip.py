"""Rows a Voltronic unit's protocol id (QPI) turns on, and its capability flags (QFLAG).

Why: one table serves every Voltronic protocol; multi-phase readings, P31's battery
type and grid range, and the bypass limits are skipped until the protocol number says
the unit has them (``voltronic_massive_unskip``), and the capability answer decides
which setvars and commands exist (``voltronic_capability``).
"""

from __future__ import annotations

from hidups.qx.engine import Engine
from hidups.qx.items import Item, QxFlag

P09_ROWS = ("output.bypass.l1-n.voltage", "output.bypass.l2-n.voltage")  # answer_len 19
P10_ROWS = ("output.l3-n.voltage", "output.bypass.l1-l2.voltage",
            "output.bypass.l2-l3.voltage", "output.bypass.l1-l3.voltage",
            "output.l3.current", "output.l3.power.percent")
P10_BYPASS_37 = ("output.bypass.l1-n.voltage", "output.bypass.l2-n.voltage",
                 "output.bypass.l3-n.voltage")
P09_P10_ROWS = ("output.l1-n.voltage", "output.l2-n.voltage", "output.l1-l2.voltage",
                "output.l1.current", "output.l2.current", "output.l1.power.percent",
                "output.l2.power.percent")
P03_P09_P10_ROWS = ("input.l1-n.voltage", "input.l2-n.voltage", "input.l1-l2.voltage",
                    "input.l1.current", "input.l2.current")
BYPASS_LIMITS = ("max_bypass_volt", "min_bypass_volt", "max_bypass_freq", "min_bypass_freq")


def _wanted(engine: Engine, item: Item, protocol: int) -> bool:
    """One row of ``voltronic_massive_unskip``'s condition."""
    name = item.name.lower()
    setvar = bool(item.flags & QxFlag.SETVAR)
    raw = engine.settings.raw
    if protocol == 9 and name in P09_ROWS and item.answer_len == 19:
        return True
    if protocol == 10 and (
            (name in P10_ROWS and name not in ("output.l2-l3.voltage", "output.l1-l3.voltage"))
            or (name == "output.l2-l3.voltage" and item.start == 25)
            or (name == "output.l1-l3.voltage" and item.start == 31)
            or (name in P10_BYPASS_37 and item.answer_len == 37)):
        return True
    if protocol in (9, 10) and name in P09_P10_ROWS:
        return True
    if protocol in (3, 9, 10) and name in P03_P09_P10_ROWS:
        return True
    if protocol in (3, 10) and (
            name in ("input.l3-n.voltage", "input.l3.current")
            or (name == "input.l2-l3.voltage" and item.start == 25)
            or (name == "input.l1-l3.voltage" and item.start == 31)):
        return True
    if protocol == 31 and (
            name == "battery.type"
            or (name == "work_range_type" and (not setvar or "work_range_type" in raw))):
        return True
    if protocol not in (0, 8, 31) and name in BYPASS_LIMITS and not setvar:
        return True
    return ((name == "reset_to_default" and "reset_to_default" in raw)
            or (name == "unknown.7" and "testing" in raw))


def massive_unskip(engine: Engine, protocol: int) -> None:
    """``voltronic_massive_unskip``: clear SKIP on the rows this protocol has."""
    for item in engine.protocol.table:
        if item.command is not None and _wanted(engine, item, protocol):
            engine.set_skip(item, False)


#: QFLAG letter of each capability row (NUT variable or ups.conf-only setting).
LETTERS = {
    "bypass_alarm": "p", "battery_alarm": "b", "bypass_when_off": "o", "alarm_control": "a",
    "converter_mode": "v", "eco_mode": "e", "battery_open_status_check": "d",
    "bypass_forbidding": "f", "site_fault_detection": "l", "advanced_eco_mode": "n",
    "constant_phase_angle": "q", "limited_runtime_on_battery": "w",
    "ups.start.auto": "r", "battery.protection": "s", "battery.energysave": "g",
    "ups.start.battery": "c", "outlet.0.switchable": "j",
}
#: Rows with a NUT variable say yes/no; the ups.conf-only ones enabled/disabled.
NUT_CAPABILITIES = ("ups.start.auto", "battery.protection", "battery.energysave",
                    "ups.start.battery", "outlet.0.switchable")


def _split(value: str) -> tuple[str, str] | None:
    """``strtok_r(rawval+1, "D")`` then the rest: (enabled letters, disabled letters)."""
    text = value[1:]
    start = 0
    while start < len(text) and text[start] == "D":
        start += 1
    if start >= len(text):
        return None
    end = text.find("D", start)
    if end < 0:
        return text[start:], ""
    return text[start:end], text[end + 1:]


def _unskip_all(engine: Engine, rows: tuple[tuple[str, QxFlag], ...]) -> bool:
    return all(engine.unskip(name, flag) for name, flag in rows)


def capability(engine: Engine, item: Item, value: str) -> str | None:
    """``voltronic_capability``: one QFLAG letter -> yes/no or enabled/disabled; enables
    the setvar (ups.conf-only ones only when the user set them) and related rows."""
    parts = _split(value)
    if parts is None:
        return None
    enabled, disabled = parts
    name = item.name.lower()
    letter = LETTERS.get(name)
    if letter is None:
        return None
    nut = name in NUT_CAPABILITIES
    val: str | None = None
    if name in ("alarm_control", "eco_mode") and letter not in value:
        return None
    if letter in enabled:
        val = "yes" if nut else "enabled"
    elif letter in disabled:
        val = "no" if nut else "disabled"
    if not nut and val is not None:
        engine.labels[name] = val
    if name == "alarm_control" and val is not None:
        beeper = engine.getinfo("ups.beeper.status")
        if val == "disabled":
            engine.setinfo("ups.beeper.status", "disabled")
        elif beeper is None or beeper != "muted":
            engine.setinfo("ups.beeper.status", "enabled")
    if name == "alarm_control" and not _unskip_all(
            engine, (("beeper.enable", QxFlag.CMD), ("beeper.disable", QxFlag.CMD))):
        return None
    if name == "eco_mode" and not _unskip_all(engine, (
            ("bypass.start", QxFlag.CMD), ("bypass.stop", QxFlag.CMD),
            ("input.transfer.high", QxFlag.SEMI_STATIC),
            ("input.transfer.low", QxFlag.SEMI_STATIC),
            ("input.frequency.high", QxFlag.SEMI_STATIC),
            ("input.frequency.low", QxFlag.SEMI_STATIC))):
        return None
    if name == "outlet.0.switchable" and val == "yes":
        for number in range(1, 5):
            if not _unskip_all(engine, ((f"outlet.{number}.switchable", QxFlag.NONE),
                                        (f"outlet.{number}.status", QxFlag.NONE))):
                return None
    if val is None:
        return None
    if item.flags & QxFlag.NONUT and name not in engine.settings.raw:
        return (item.dfl or "%s") % val
    if not engine.unskip(item.name, QxFlag.SETVAR):
        return None
    return (item.dfl or "%s") % val
