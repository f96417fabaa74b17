"""Value, answer and command preprocessing of NUT 2.8.5's voltronic-axpert protocol.

Why: each function mirrors one ``voltronic_axpert_*``/``voltronic_sunny_*`` function of
``nutdrv_qx_voltronic-axpert.c`` as built by default (``WITH_UNMAPPED_DATA_POINTS`` off),
quirks included, so a value hidups publishes is the value NUT publishes, and a value NUT
refuses (returns -1) is refused here too (None).
"""

from __future__ import annotations

from hidups.qx.cstr import spn, strtol
from hidups.qx.engine import Engine
from hidups.qx.items import Item, QxFlag, StFlag
from hidups.qx.voltronic_axpert.crc import add_crc, check_and_remove_crc

#: extstate.h's ST_MAX_VALUE_LEN: longer warning lists are given as bit numbers.
ST_MAX_VALUE_LEN = 256
#: nutdrv_qx's SMALLBUF value buffer: at most 511 characters of a value.
VALUE_MAX = 511


def _fmt(item: Item, text: str) -> str:
    """``snprintf_dynamic(value, .., item->dfl, "%s", text)``: every row here uses %s."""
    return (item.dfl or "%s").replace("%s", text, 1)


# -- CRC framing (answer and command preprocessing) ----------------------------------

def checkcrc(engine: Engine, item: Item, answer: str) -> str | None:
    """``voltronic_axpert_checkcrc``: answers must carry a valid CRC, which is removed.

    NUT's ``crc`` global is never cleared in this protocol, so every non-empty answer
    is checked (a NAK without CRC fails here, as in NUT).
    """
    return check_and_remove_crc(answer)


def crc_command(engine: Engine, item: Item, command: str) -> str | None:
    """``voltronic_axpert_crc``: every query goes out with its CRC before the CR."""
    return add_crc(command)


# -- identity ------------------------------------------------------------------------

def protocol(engine: Engine, item: Item, value: str) -> str | None:
    """``voltronic_axpert_protocol``: ``PI`` + digits 0/3 only, and only PI30 is taken."""
    if value[:2].lower() != "pi":
        return None
    digits = value[2:]
    if spn(digits, "03") != len(digits):
        return None
    number = strtol(digits)
    if number != 30:
        return None
    engine.state["protocol"] = float(number)
    return "P%02d" % number


def _hex_float(text: str) -> float:
    """C ``strtod`` of ``0X<hex>`` text: a hex float (its longest valid prefix)."""
    body = text[2:]
    for end in range(len(body), 0, -1):
        try:
            return float.fromhex("0x" + body[:end])
        except ValueError:
            continue
    return 0.0


def hex_preprocess(engine: Engine, item: Item, value: str) -> str | None:
    """``voltronic_axpert_hex_preprocess`` with the ``0X%s`` format all rows use: the
    answer's digits are published behind ``0X``, unchanged (not converted)."""
    if (item.dfl or "").lower() != "0x%s":
        return None  # no row of NUT's table takes the conversion branch
    return "0X" + value


def firmware(engine: Engine, item: Item, value: str) -> str | None:
    """``voltronic_axpert_fw``: as ``hex_preprocess``, and keeps the version (NUT's
    ``fw`` global, read by code paths NUT builds only for testing)."""
    out = hex_preprocess(engine, item, value)
    if out is not None:
        engine.state["fw"] = _hex_float(out)
    return out


def serial_number(engine: Engine, item: Item, value: str) -> str | None:
    """``voltronic_axpert_serial_numb``: an all-zero (or empty) serial is not published."""
    if spn(value, "0") == len(value):
        return None
    return _fmt(item, value)


# -- QFLAG capabilities --------------------------------------------------------------

def _strtok_split(raw: str) -> tuple[str | None, str | None]:
    """``strtok_r(raw + 1, "D")`` then ``strtok_r(NULL, "\\0")`` (an empty delimiter set:
    the rest). The first token skips leading D's, so ``EDa`` gives enabled ``a``."""
    rest = raw[1:].lstrip("D")
    if not rest:
        return None, None
    cut = rest.find("D")
    if cut < 0:
        return rest, None
    tail = rest[cut + 1:]
    return rest[:cut], (tail or None)


def capability(engine: Engine, item: Item, value: str) -> str | None:
    """``voltronic_axpert_capability``: QFLAG's ``E<enabled>D<disabled>`` letters.

    As NUT 2.8.5 is built, neither row ever publishes: ``ups.beeper.status`` must unskip
    the beeper.enable/disable commands and ``battery.energysave`` its setvar row, and
    those rows exist only in NUT's testing build, so both fail (seen on NUT 2.8.5).
    """
    enabled, disabled = _strtok_split(value)
    if enabled is None and disabled is None:
        return None
    enabled, disabled = enabled or "", disabled or ""
    name = item.name.lower()
    val = None
    if name == "ups.beeper.status":
        if "a" in value:
            val = "enabled" if "a" in enabled else "disabled" if "a" in disabled else None
            for command in ("beeper.enable", "beeper.disable"):
                if not engine.unskip(command, QxFlag.CMD):
                    return None
    elif name == "battery.energysave":
        val = "yes" if "j" in enabled else "no" if "j" in disabled else None
    if val is None:
        return None
    out = _fmt(item, val)
    if item.flags & QxFlag.NONUT or not item.info_flags & StFlag.RW:
        return out
    if not engine.unskip(item.name, QxFlag.SETVAR):
        return None
    return out


# -- QPIRI / QDI ratings -------------------------------------------------------------

BATTERY_TYPES = {0: "AGM", 1: "Flooded", 2: "User"}
MODEL_TYPES = {0: "Grid-tie", 1: "Off-grid", 10: "Hybrid", 11: "Off Grid with 2 Trackers",
               20: "Off Grid with 3 Trackers"}


def battery_type(engine: Engine, item: Item, value: str) -> str | None:
    """``voltronic_axpert_qpiri_battery_type``: only 0/1 digits (so never "User")."""
    if spn(value, "01") != len(value):
        return None
    text = BATTERY_TYPES.get(strtol(value))
    return None if text is None else _fmt(item, text)


def model_type(engine: Engine, item: Item, value: str) -> str | None:
    """``voltronic_axpert_qpiri_model_type``: 0/1 digits naming the model type."""
    if spn(value, "01") != len(value):
        return None
    number = strtol(value)
    text = MODEL_TYPES.get(number)
    if text is None:
        return None
    engine.state["model_type"] = float(number)
    return _fmt(item, text)


def transformer(engine: Engine, item: Item, value: str) -> str | None:
    """``voltronic_axpert_transformer``: first digit 0/1."""
    text = {"0": "Transformerless", "1": "With transformer"}.get(value[:1])
    return None if text is None else _fmt(item, text)


# -- status, warnings, mode ----------------------------------------------------------

#: QPIGS device-status bits NUT reads but publishes nothing for.
_SILENT_BITS = frozenset({24, 25, 83, 84, 85, 87, 89, 90, 104, 105, 106})


def status_bits(engine: Engine, item: Item, value: str) -> str | None:
    """``voltronic_axpert_status``: QPIGS bit 86 = load (OFF), 88 = charging (CHRG).

    A ``-`` (option not supported) is no status rather than a failed status query.
    """
    if "-" in value and item.flags & QxFlag.QUICK_POLL:
        return ""
    if spn(value, "01") != len(value):
        return None
    bit = value[:1] == "1"
    if item.start == 86:
        return "!OFF" if bit else "OFF"
    if item.start == 88:
        return "CHRG" if bit else "!CHRG"
    if item.start in _SILENT_BITS:
        return ""
    return None


WARNINGS: dict[int, str] = {
    0: "Device has fault.",
    1: "CPU is performing the auto-correction of AD signals.",
    2: "An external Flash device failed.",
    3: "Input PV is found lost.",
    4: "PV input voltage reads low.",
    5: "Power island.",
    6: "An Error occurred in the CPU initialization.",
    7: "Power grid voltage exceeds the upper threshold.",
    8: "Power grid voltage falls below the lower threshold.",
    9: "Power grid frequency exceeds the upper threshold.",
    10: "Power grid frequency falls below the lower threshold.",
    11: "Power grid-connected average voltage exceeds the maximum threshold.",
    12: "Require power from the power grid.",
    13: "Emergent grid disconnection.",
    14: "Battery voltage is too low.",
    15: "Low battery.",
    16: "Battery disconnected.",
    17: "End of battery discharge.",
    18: "Overload.",
    19: "EPO active.",
    22: "Over temperature alarm.",
    23: "No electrical ground.",
    24: "Fan fault.",
}
_LINE_LOSS = frozenset({7, 8, 9, 10, 11})
_STATUS_OF = {15: "LB", 18: "OVER"}


def warnings(engine: Engine, item: Item, value: str) -> str | None:
    """``voltronic_sunny_warning``: QPIWS's one digit per warning -> one alarm text.

    Bit 16 also sets LB and bit 19 OVER. Known warnings are spelled out, unknown ones
    listed by number; when the text would crowd ``ups.alarm`` (256 less 32) the known
    ones are given by number too.
    """
    if spn(value, "01-") != len(value):
        return None
    engine.state["line_loss"] = 0.0
    engine.state["pv_loss"] = 0.0
    if spn(value, "0-") == len(value):
        return ""
    known: list[str] = []
    known_bits: list[str] = []
    unknown: list[str] = []
    for index, digit in enumerate(value):
        if digit != "1":
            continue
        text = WARNINGS.get(index)
        if text is None:
            unknown.append("#%02d" % (index + 1))
            continue
        if index in _LINE_LOSS:
            engine.state["line_loss"] = 1.0
        elif index == 3:
            engine.state["pv_loss"] = 1.0
        if index in _STATUS_OF:
            engine.update_status(_STATUS_OF[index])
        known.append(text)
        known_bits.append("#%02d" % (index + 1))
    if known:
        warns = " ".join(known)
        bitwarns = "Known (see log or manual) [bit: " + ", ".join(known_bits) + "]"
        if unknown:
            warns += " Unknown warnings [bit: " + ", ".join(unknown) + "]"
            bitwarns += "; Unknown warnings [bit: " + ", ".join(unknown) + "]"
    else:
        warns = bitwarns = "Unknown warnings [bit: " + ", ".join(unknown) + "]"
    chosen = warns if len(warns) < ST_MAX_VALUE_LEN - 32 else bitwarns
    return ("Device warnings: " + chosen)[:VALUE_MAX]


_MODE_ALARMS = {"P": "Device is going ON.", "F": "Fault reported by device."}
#: ``H`` (power saving) sets ECO, a word nutdrv_qx's status table does not know.
_MODE_STATUS = {"S": "OFF", "L": "OL", "B": "!OL", "H": "ECO"}


def mode(engine: Engine, item: Item, value: str) -> str | None:
    """``voltronic_axpert_mode``: QMOD's letter -> an alarm (ups.alarm row) or a status
    word (ups.status row); an unknown letter is simply nothing."""
    letter = value[:1]
    if item.name.lower() == "ups.alarm" and letter in _MODE_ALARMS:
        return _fmt(item, _MODE_ALARMS[letter])
    if item.name.lower() == "ups.status" and letter in _MODE_STATUS:
        return _fmt(item, _MODE_STATUS[letter])
    return ""
