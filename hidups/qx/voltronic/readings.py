"""Voltronic answers -> NUT values: protocol id, status bits, mode, faults, warnings.

Why: these are nutdrv_qx_voltronic's query preprocess functions. Several do more than
convert: the protocol id enables the rows this unit answers, a status bit reads other
variables, the mode and warnings raise status bits. Each returns None where NUT's
returns -1, so a bad answer never becomes a value.
"""

from __future__ import annotations

from hidups.qx.cstr import is_numeric, spn, strtod, strtol
from hidups.qx.engine import Engine
from hidups.qx.items import Item, QxFlag
from hidups.qx.voltronic import messages
from hidups.qx.voltronic.limits import protocol_number
from hidups.qx.voltronic.unskip import massive_unskip

#: ``voltronic_protocol``'s accepted protocols.
PROTOCOLS = frozenset({0, 1, 2, 3, 8, 9, 10, 13, 14, 31, 99})
#: NUT's ``ST_MAX_VALUE_LEN``: warnings longer than this minus 32 go out as bit numbers.
ST_MAX_VALUE_LEN = 256


def dfl(item: Item, value: float | str) -> str:
    """``snprintf_dynamic(value, .., item->dfl, ..)``."""
    return (item.dfl or "%s") % value


def protocol(engine: Engine, item: Item, value: str) -> str | None:
    """``voltronic_protocol``: ``PInn`` with a supported nn -> ``Pnn``; enables its rows."""
    if value[:2].lower() != "pi" or spn(value[2:], "0123489") != len(value[2:]):
        return None
    number = strtol(value[2:])
    if number not in PROTOCOLS:
        return None
    massive_unskip(engine, number)
    return "P%02d" % number


def status(engine: Engine, item: Item, value: str) -> str | None:
    """``voltronic_status``: the QGS bits, by position."""
    if spn(value, "01") != len(value):
        return None
    first = value[:1]
    if item.start == 63:
        kind = strtol(value)
        return {0: "offline", 1: "line-interactive", 10: "online"}.get(kind)
    if item.start == 65:
        return "!OL" if first == "1" else "OL"
    if item.start == 66:
        return "LB" if first == "1" else "!LB"
    if item.start == 67:
        return _bypass_bit(engine, item) if first == "1" else ""
    if item.start == 68:
        # NUT compares the character with the number 1 (not '1'), so this never
        # fires: no "UPS Fault!" and QFS stays skipped. Kept as NUT 2.8.5 does.
        return ""
    if item.start == 70:
        return "CAL" if first == "1" else "!CAL"
    if item.start == 71:
        return "FSD" if first == "1" else "!FSD"
    if item.start == 72:
        return _beeper(engine, first)
    return None


def _bypass_bit(engine: Engine, item: Item) -> str | None:
    """Bit 67: TRIM, BOOST, or (by protocol) BYPASS / an AVR alarm, from vo/vi."""
    vi = strtod(engine.getinfo("input.voltage"))
    vo = strtod(engine.getinfo("output.voltage"))
    if vo < 0.5 * vi:
        return None
    if vo < 0.95 * vi:
        return "TRIM"
    if vo < 1.05 * vi:
        number = protocol_number(engine)
        if number in (0, 8):
            return "UPS is in AVR Mode." if item.name.lower() == "ups.alarm" else ""
        return "BYPASS" if item.name.lower() == "ups.status" else ""
    if vo < 1.5 * vi:
        return "BOOST"
    return None


def _beeper(engine: Engine, bit: str) -> str:
    """Bit 72: enabled/muted when the UPS can disable its alarm, else enabled/disabled."""
    if "alarm_control" in engine.labels:
        beeper = engine.getinfo("ups.beeper.status")
        if beeper is None or beeper.lower() != "disabled":
            return "enabled" if bit == "0" else "muted"
        return ""
    return "enabled" if bit == "0" else "disabled"


def mode(engine: Engine, item: Item, value: str) -> str | None:
    """``voltronic_mode``: QMOD's letter -> a status word or an alarm (per row)."""
    entry = messages.MODES.get(value[:1])
    if entry is None:
        return None
    word, alarm, buzzword = entry
    if buzzword is not None and buzzword not in engine.buzzwords:
        engine.buzzwords.append(buzzword)  # buzzmode_set
    if alarm is not None and item.name.lower() == "ups.alarm":
        return dfl(item, alarm)
    if word is not None and item.name.lower() == "ups.status":
        return dfl(item, word)
    return ""


def fault(engine: Engine, item: Item, value: str) -> str | None:
    """``voltronic_fault``: QFS's code -> a sentence; the row skips itself afterwards."""
    engine.set_skip(item, True)
    if value.lower() == "ok":
        return dfl(item, "No fault found")
    unknown = f"Unknown fault [{value}]"
    if spn(value, "0123456789ABC") != 2 or (value[0] != "1" and spn(value[1:], "0123456789") != 1):
        return dfl(item, unknown)
    code = strtol(value)
    if protocol_number(engine) == 31:
        if any(c in "ABC" for c in value[1:]):
            return dfl(item, unknown)
        text = messages.P31_FAULTS.get(code, unknown)
        word = messages.P31_FAULT_STATUS.get(code)
    elif code == 1:
        text = messages.FAULT_1_PHASE.get(value[1:2], messages.FAULTS[1])
        word = None
    else:
        text = messages.FAULTS.get(code, unknown)
        word = messages.FAULT_STATUS.get(code)
    if word is not None:
        engine.update_status(word)
    return dfl(item, text)


def warning(engine: Engine, item: Item, value: str) -> str | None:
    """``voltronic_warning``: QWS's 64 bits -> one alarm listing the warnings."""
    if spn(value, "01") != len(value):
        return None
    if spn(value, "0") == len(value):
        return ""
    known: list[str] = []
    bits: list[int] = []
    unknown: list[int] = []
    for index, bit in enumerate(value):
        if bit != "1":
            continue
        text = messages.WARNINGS.get(index)
        if text is None:
            unknown.append(index + 1)
            continue
        word = messages.WARNING_STATUS.get(index)
        if word is not None:
            engine.update_status(word)
        known.append(text)
        bits.append(index + 1)
    unk = ", ".join("#%02d" % n for n in unknown)
    if known:
        warns = " ".join(known)
        cryptic = "Known (see log or manual) [bit: " + ", ".join("#%02d" % n for n in bits)
        if unknown:
            warns += f" Unknown warnings [bit: {unk}]"
            cryptic += f"]; Unknown warnings [bit: {unk}]"
        else:
            cryptic += "]"
    else:
        warns = cryptic = f"Unknown warnings [bit: {unk}]"
    return "UPS warnings: " + (warns if len(warns) < ST_MAX_VALUE_LEN - 32 else cryptic)


def numeric(engine: Engine, item: Item, value: str) -> float | None:
    """NUT's ``strspn(item->value, "0123456789 .")`` test, then strtod."""
    return strtod(value) if is_numeric(value) else None


def battery_runtime(engine: Engine, item: Item, value: str) -> str | None:
    """``voltronic_batt_runtime``: minutes -> seconds."""
    number = numeric(engine, item, value)
    return None if number is None else dfl(item, number * 60)


def output_powerfactor(engine: Engine, item: Item, value: str) -> str | None:
    """``voltronic_output_powerfactor``: a percentage -> a factor."""
    number = numeric(engine, item, value)
    return None if number is None else dfl(item, number * 0.01)


def serial_number(engine: Engine, item: Item, value: str) -> str | None:
    """``voltronic_serial_numb``: an all-zero serial is not published."""
    if spn(value, "0") == len(value):
        return None
    return dfl(item, value)


def parallel(engine: Engine, item: Item, value: str) -> str | None:
    """``voltronic_parallel`` (a ups.conf-only item: logged by NUT, never published)."""
    if spn(value, "0123456789") != len(value):
        return None
    role = {1: "master", 2: "slave", 3: "slave"}.get(strtol(value))
    if role is None:
        return None
    return f"This UPS is *{role}* in a system of UPSes in parallel"


def outlet(engine: Engine, item: Item, value: str) -> str | None:
    """``voltronic_outlet``: QSKn 1/0 -> switchable/status; enables that outlet's rows."""
    state = {"1": "on", "0": "off"}.get(value[:1])
    if state is None:
        return None
    name = item.name.lower()
    if "switchable" in name:
        out = dfl(item, "yes")
    elif "status" in name:
        out = dfl(item, state)
    else:
        return None
    number = item.name[7]
    for other, flag in ((f"outlet.{number}.delay.shutdown", QxFlag.SEMI_STATIC),
                        (f"outlet.{number}.load.on", QxFlag.CMD),
                        (f"outlet.{number}.load.off", QxFlag.CMD)):
        if not engine.unskip(other, flag):
            return None
    return out


def outlet_delay(engine: Engine, item: Item, value: str) -> str | None:
    """``voltronic_outlet_delay``: minutes -> seconds; enables its setvar."""
    number = numeric(engine, item, value)
    if number is None:
        return None
    if not engine.unskip(item.name, QxFlag.SETVAR):
        return None
    return dfl(item, number * 60)


def battery_type(engine: Engine, item: Item, value: str) -> str | None:
    """``voltronic_p31b``: 00/01/02 -> the enum's word."""
    if value[:1] != "0" or spn(value[1:], "012") != 1:
        return None
    return dfl(item, (item.rw or ())[strtol(value)])


def work_range(engine: Engine, item: Item, value: str) -> str | None:
    """``voltronic_p31g``: 00/01 -> Appliance/UPS (remembered for its setvar)."""
    if value[:1] != "0" or spn(value[1:], "01") != 1:
        return None
    engine.state["work_range_type"] = strtol(value)
    return dfl(item, (item.rw or ())[strtol(value)])


def phase(engine: Engine, item: Item, value: str) -> str | None:
    """``voltronic_phase``: input/output phase angles (ups.conf-only items)."""
    if not is_numeric(value):
        return None
    angle = strtol(value)
    if item.name.lower() == "output_phase_angle":
        engine.state["output_phase_angle"] = angle
        if "output_phase_angle" in engine.settings.raw and \
                not engine.unskip(item.name, QxFlag.SETVAR):
            return None
    if angle < 0:
        return None
    return dfl(item, angle)
