"""Masterguard's value conversions (``nutdrv_qx_masterguard.c`` preprocess functions).

Why: the A/E series answer in their own layouts (``mmm.ss`` minutes, ``TTTT:hh:mm:ss``
counters, a model field with blanks, per-cell battery voltages); NUT converts each with a
``sscanf`` pattern, and a field that pattern refuses must be refused here too (None), so
a garbled answer never becomes a value. Subdriver globals (series, slave address, power,
cell count) live in ``engine.state`` so the claim hands them to the session.
"""

from __future__ import annotations

import re
import struct

from hidups.qx.cstr import strtod
from hidups.qx.engine import Engine
from hidups.qx.items import Item, QxFlag

#: sscanf's ``%d`` (blanks skipped, optional sign) and ``%f`` (a strtod prefix)
_INT = r"\s*([+-]?\d+)"
_FLOAT = r"\s*([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)"
_MMM_SS = re.compile(_INT + r"\." + _INT)
_TTTT = re.compile(_INT + ":" + _INT + ":" + _INT + ":" + _INT)
_ONE_INT = re.compile(_INT)
_ONE_FLOAT = re.compile(_FLOAT)
_FAULT = re.compile(r"(.)\s*" + _FLOAT + r"\s*" + _INT + ":" + _INT + ":" + _INT + ":" + _INT,
                    re.S)

#: WH T-field ``strncmp`` prefix, model name, power (VA), battery packs (min, max) for
#: tower units and for rack ("-19") units
MODELS: tuple[tuple[str, str, int, tuple[int, int], tuple[int, int]], ...] = (
    ("A  700", "A700", 700, (0, 0), (0, 0)),
    ("A 1000", "A1000", 1000, (0, 2), (0, 2)),
    ("A 2000", "A2000", 2000, (0, 2), (1, 5)),
    ("A 3000", "A3000", 3000, (0, 2), (1, 5)),
    ("E 60", "E60", 6000, (1, 1), (1, 1)),
    ("E100", "E100", 10000, (1, 1), (1, 1)),
    ("E200", "E200", 20000, (1, 1), (1, 1)),
)


def f32(number: float) -> float:
    """Round to a C ``float``: NUT keeps the cell voltage and fault values in floats."""
    return float(struct.unpack("f", struct.pack("f", number))[0])


def _model(value: str) -> tuple[str, str, int, tuple[int, int], tuple[int, int]] | None:
    for entry in MODELS:
        if value.startswith(entry[0]):
            return entry
    return None


def set_rw(engine: Engine, name: str, flag: QxFlag, values: tuple[str, ...]) -> None:
    """Point the readable row's ``info_rw`` at run-time values, as NUT's globals are."""
    index = engine.find(name, flag, QxFlag.SETVAR)
    if index is not None:
        engine.rw_values[engine.protocol.table[index]] = values


def slaveaddr(engine: Engine, item: Item, value: str) -> str | None:
    """``masterguard_slaveaddr``: the two-digit address the ``,XX`` commands carry."""
    if len(value) != 2:
        return None
    engine.state["slaveaddr"] = value
    return value


def series(engine: Engine, item: Item, value: str) -> str | None:
    """``masterguard_series``: A or E, which picks the commands the claim keeps."""
    if not value or value[0] not in "AE":
        return None
    engine.state["series"] = value[0]
    return value[:2]


def model(engine: Engine, item: Item, value: str) -> str | None:
    """``masterguard_model``: ``A  700  + 0 Bat Pack-19`` -> ``A700-19``; also sets the
    battery.packs range the model allows (rack units, ``-19``, take more)."""
    entry = _model(value)
    if entry is None:
        return None
    rack = "-19" in value
    low, high = entry[4] if rack else entry[3]
    engine.state["batpacks"] = (str(low), str(high))
    set_rw(engine, "battery.packs", QxFlag.RANGE, engine.state["batpacks"])
    return entry[1] + ("-19" if rack else "")


def power(engine: Engine, item: Item, value: str) -> str | None:
    """``masterguard_power``: the model's VA rating, kept for ups.power/output.current."""
    entry = _model(value)
    if entry is None:
        return None
    engine.state["power"] = entry[2]
    return "%d" % entry[2]


def mmm_ss(engine: Engine, item: Item, value: str) -> str | None:
    """``masterguard_mmm_ss``: minutes.seconds -> seconds."""
    match = _MMM_SS.match(value)
    if match is None:
        return None
    return "%d" % (60 * int(match.group(1)) + int(match.group(2)))


def hhh(engine: Engine, item: Item, value: str) -> str | None:
    """``masterguard_hhh``: hours -> seconds."""
    match = _ONE_INT.match(value)
    return None if match is None else "%d" % (3600 * int(match.group(1)))


def _tttt_seconds(match: re.Match[str], first: int = 1) -> int:
    days, hours, minutes, seconds = (int(match.group(first + i)) for i in range(4))
    return 86400 * days + 3600 * hours + 60 * minutes + seconds


def tttt_hh_mm_ss(engine: Engine, item: Item, value: str) -> str | None:
    """``masterguard_tttt_hh_mm_ss``: days:hours:minutes:seconds -> seconds."""
    match = _TTTT.match(value)
    return None if match is None else "%d" % _tttt_seconds(match)


def numcells(engine: Engine, item: Item, value: str) -> str | None:
    """``masterguard_numcells``: cells in series, for the battery voltages."""
    match = _ONE_INT.match(value)
    if match is None:
        return None
    engine.state["numcells"] = int(match.group(1))
    return "%d" % engine.state["numcells"]


def battvolt(engine: Engine, item: Item, value: str) -> str | None:
    """``masterguard_battvolt``: a cell voltage times the cell count (C float arithmetic)."""
    match = _ONE_FLOAT.match(value)
    if match is None:
        return None
    cells = float(engine.state.get("numcells", 0))
    return "%.2f" % f32(f32(cells) * f32(float(match.group(1))))


def ups_power(engine: Engine, item: Item, value: str) -> str | None:
    """``masterguard_ups_power``: load percent of the rated power."""
    match = _ONE_INT.match(value)
    if match is None:
        return None
    return "%.0f" % (int(match.group(1)) / 100.0 * engine.state.get("power", 0) + 0.5)


def _c_quotient(numerator: float, denominator: float) -> float:
    """IEEE division, as C does it (inf or nan for a zero denominator)."""
    if denominator != 0:
        return numerator / denominator
    if numerator == 0 or numerator != numerator:
        return float("nan")
    negative = (numerator < 0) != (str(denominator).startswith("-"))
    return float("-inf") if negative else float("inf")


def _c_float_text(number: float) -> str:
    """printf ``%.2f`` with C's spelling of inf and nan."""
    if number != number:
        return "-nan" if str(number).startswith("-") else "nan"
    if number in (float("inf"), float("-inf")):
        return "inf" if number > 0 else "-inf"
    return "%.2f" % number


def _current(engine: Engine, fraction: float) -> str | None:
    """``masterguard_output_current_fraction``: power share over output.voltage.

    NUT reads output.voltage unchecked (a crash when it is missing); here that is None.
    """
    voltage = engine.getinfo("output.voltage")
    if voltage is None:
        return None
    share = fraction * engine.state.get("power", 0)
    return _c_float_text(_c_quotient(share, strtod(voltage)) + 0.005)


def output_current(engine: Engine, item: Item, value: str) -> str | None:
    """``masterguard_output_current``: load percent -> amperes."""
    match = _ONE_INT.match(value)
    return None if match is None else _current(engine, int(match.group(1)) / 100.0)


def output_current_nominal(engine: Engine, item: Item, value: str) -> str | None:
    """``masterguard_output_current_nominal``: rated power over output voltage."""
    return _current(engine, 1.0)


#: Q3 flag position -> (text for '1', text for '0'); "" publishes nothing
STATUS_BITS: dict[int, tuple[str, str]] = {
    53: ("!OL", "OL"),               # B7 utility fail
    54: ("LB", "!LB"),               # B6 battery low
    55: ("BYPASS", "!BYPASS"),       # B5 bypass/boost active
    56: ("UPS Failed", ""),          # B4 (an alarm)
    57: ("offline", "online"),       # B3 UPS type (ups.type)
    58: ("CAL", "!CAL"),             # B2 test in progress
    59: ("FSD", "!FSD"),             # B1 shutdown active
    63: ("problems in parallel operation mode", ""),  # T6 (an alarm)
    65: ("RB", "!RB"),               # T4 battery end of life
    66: ("no battery connected", ""),  # T3 (an alarm)
}

#: T2..T0 -> ups.test.result
TEST_RESULTS = {
    "000": "no test in progress", "001": "in progress", "010": "OK", "011": "failed",
    "100": "not possible", "101": "aborted",
    "110": "autonomy time calibration in progress", "111": "unknown",
}


def status(engine: Engine, item: Item, value: str) -> str | None:
    """``masterguard_status``: one Q3 flag -> a status word, alarm, type or test result."""
    if not value or value[0] not in "01":
        return None
    if item.start == 67:
        return TEST_RESULTS.get(value[:3])
    texts = STATUS_BITS.get(item.start)
    if texts is None:
        return None
    return texts[0] if value[0] == "1" else texts[1]


def beeper_status(engine: Engine, item: Item, value: str) -> str | None:
    """``masterguard_beeper_status``: GS's beeper flag."""
    texts = {"0": "disabled", "1": "enabled"}
    return texts.get(value[:1]) if value else None


def output_voltages(engine: Engine, item: Item, value: str) -> str | None:
    """``masterguard_output_voltages``: MSO's list is output.voltage.nominal's enum."""
    voltages = tuple(word for word in value.split(" ") if word)
    engine.state["outvolts"] = voltages
    set_rw(engine, "output.voltage.nominal", QxFlag.ENUM, voltages)
    return value


#: FLT fault id -> description; ``{}`` takes the record's value (C float, %.0f / %.2f)
FAULTS = {
    "0": "none", "1": "bus fault ({:.0f}V)", "2": "inverter fault ({:.0f}V)",
    "3": "overheat fault ({:.0f}C)", "4": "battery overvoltage fault ({:.2f}V)",
    "5": "battery mode overload fault ({:.0f}%)", "6": "bypass mode overload fault ({:.0f}%)",
    "7": "inverter mode outpt short-circuit fault ({:.0f}V)", "8": "fan lock fault",
    "9": "battery fault ({:.0f}V)", "A": "charger fault", "B": "EPO activated",
    "C": "parallel error", "D": "MCU communication error",
}


def fault(engine: Engine, item: Item, value: str) -> str | None:
    """``masterguard_fault``: ``7 0043 0000:16:48:06`` -> ``60486: inverter mode ...``.

    NUT only logs these (QX_FLAG_NONUT); ids E, F and unknown ones are errors.
    """
    match = _FAULT.match(value)
    if match is None or match.group(1) not in FAULTS:
        return None
    text = FAULTS[match.group(1)]
    number = f32(float(match.group(2)))
    return "%d: " % _tttt_seconds(match, 3) + text.format(number)
