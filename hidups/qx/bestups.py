"""NUT's ``bestups`` protocol: Best Power / Sola units (Q1 plus ``ID``, ``RT``, ``M``...).

Why: these UPSes identify themselves with a comma-separated ``ID`` answer, give runtime
in minutes, encode transfer voltages as an index (``M``) and, for some models, invert
the boost/buck bit; NUT's rules for all of that are kept here.
"""

from __future__ import annotations

from hidups.qx import blazer
from hidups.qx.cstr import strtod
from hidups.qx.engine import Engine
from hidups.qx.items import Item, QxFlag, QxProtocol, StFlag, ValuePreprocess, row

F = QxFlag
N = StFlag.NONE
QP = F.QUICK_POLL
ST = F.STATIC
CMD = F.CMD
bits = blazer.process_status_bits
BATT_PACKS = ("0", "5")
PINS_SHUTDOWN_MODE = ("0", "6")

# M answer index -> (low, boost, nominal, buck, high); U models, then E models (+10).
VOLTAGE_SETTINGS: tuple[tuple[int, int, int, int, int], ...] = (
    (96, 109, 120, 130, 146), (96, 109, 120, 138, 156), (90, 104, 120, 130, 146),
    (90, 104, 120, 138, 156), (90, 104, 110, 120, 130), (90, 104, 110, 130, 146),
    (90, 96, 110, 120, 130), (90, 96, 110, 130, 146), (96, 109, 128, 146, 156),
    (90, 104, 128, 146, 156),
    (200, 222, 240, 250, 284), (200, 222, 240, 264, 290), (188, 210, 240, 250, 284),
    (188, 210, 240, 264, 290), (188, 210, 230, 244, 270), (188, 210, 230, 250, 284),
    (180, 200, 230, 244, 270), (180, 200, 230, 250, 284), (165, 188, 208, 222, 244),
    (165, 188, 208, 244, 270),
)
_SETTING_FIELD = {
    "input.transfer.low": 0, "input.transfer.boost.low": 0, "input.transfer.boost.high": 1,
    "input.voltage.nominal": 2, "output.voltage.nominal": 2, "input.transfer.trim.low": 3,
    "input.transfer.trim.high": 4, "input.transfer.high": 4,
}
_MAKERS = {"AX1": "Best Power", "FOR": "Best Power", "FTC": "Best Power", "PR2": "Best Power",
           "PRO": "Best Power", "325": "Sola Australia", "520": "Sola Australia",
           "620": "Sola Australia"}
_MODELS = {"AX1": "Axxium Rackmount", "FOR": "Fortress", "FTC": "Fortress Telecom",
           "PR2": "Patriot Pro II", "PRO": "Patriot Pro"}


def preprocess_id_answer(engine: Engine, item: Item, answer: str) -> str | None:
    """``bestups_preprocess_id_answer``: ``FOR,750,120,120,20.0,27.6`` -> fixed columns."""
    if not 25 <= len(answer) <= 27:
        return None
    tokens = [token for token in answer.split("\0", 1)[0].split(",") if token]
    if len(tokens) != 6:
        return None
    refined = tokens[0] + ",%4s" % tokens[1] + "".join("," + t for t in tokens[2:5]) \
        + ",%6s" % tokens[5]
    return refined if len(refined) == 28 else None


def manufacturer(engine: Engine, item: Item, value: str) -> str | None:
    """``bestups_manufacturer``."""
    return _MAKERS.get(value, "Unknown")


def model(engine: Engine, item: Item, value: str) -> str | None:
    """``bestups_model``; also enables runtime and battery.packs rows by model."""
    if value in _MODELS:
        out = _MODELS[value]
        if value in ("PR2", "PRO"):
            engine.state["inverted_bbb_bit"] = 1
    elif value in ("320", "325", "520", "525", "620"):
        out = f"Sola {value}"
    else:
        out = f"Unknown ({value})"
    if value not in ("PRO", "320") and not engine.unskip("battery.runtime"):
        return None
    if value in ("AX1", "620") and not engine.unskip("battery.packs", noflag=F.SETVAR):
        return None
    return out


def bbb_status_bit(engine: Engine, item: Item, value: str) -> str | None:
    """``bestups_process_bbb_status_bit``: ignored off line or in test/FSD; maybe inverted."""
    if not value:
        return bits(engine, item, value)
    first = value[0]
    if not engine.status_bit("OL") or engine.status_bit("CAL") or engine.status_bit("FSD"):
        first = "0" if first == "1" else first
    elif engine.state.get("inverted_bbb_bit"):
        first = {"1": "0", "0": "1"}.get(first, first)
    return bits(engine, item, first + value[1:])


def batt_runtime(engine: Engine, item: Item, value: str) -> str | None:
    """``bestups_batt_runtime``: minutes -> seconds."""
    if any(c not in "0123456789 ." for c in value):
        return None
    return (item.dfl or "%.0f") % (strtod(value) * 60)


def batt_packs(engine: Engine, item: Item, value: str) -> str | None:
    """``bestups_batt_packs``: the count, and the BP setvar row becomes usable."""
    if any(c not in "0123456789 " for c in value):
        return None
    count = int(value.split()[0]) if value.split() else 0
    if not engine.unskip("battery.packs", F.SETVAR):
        return None
    return "%d" % count


def pins_shutdown_mode(engine: Engine, item: Item, value: str) -> str | None:
    """``bestups_get_pins_shutdown_mode``: remember it; enable SS<n> if the user set one."""
    if any(c not in "0123456789" for c in value):
        return None
    engine.state["pins_shutdown_mode"] = int(value) if value else 0
    out = "%.0f" % engine.state["pins_shutdown_mode"]
    if item.name not in engine.settings.raw:
        return out
    return out if engine.unskip(item.name, F.SETVAR) else None


def process_setvar(engine: Engine, item: Item, value: str) -> str | None:
    """``bestups_process_setvar``: ``BP%.0f``/``SS%.0f``; SS only when it changes."""
    if not value:
        return None
    number = strtod(value)
    if item.name.lower() == "pins_shutdown_mode" and \
            number == engine.state.get("pins_shutdown_mode", 0):
        return None
    return (item.command or "").replace("%.0f", "%.0f" % number, 1)


def voltage_settings(engine: Engine, item: Item, value: str) -> str | None:
    """``bestups_voltage_settings``: the ``M`` index -> transfer and nominal voltages."""
    if any(c not in "0123456789" for c in value):
        return None
    index = int(value) if value else 0
    if index > 9:
        return None
    nominal = engine.getinfo("input.voltage.nominal") or engine.getinfo("output.voltage.nominal")
    if nominal is None:
        return None
    if int(strtod(nominal)) > 160:
        index += 10
    field = _SETTING_FIELD.get(item.name.lower())
    if field is None:
        return None
    return "%d" % VOLTAGE_SETTINGS[index][field]


def claim(engine: Engine) -> bool:
    """``bestups_claim``: Q1 then ID (device.model) must answer."""
    return engine.claim_items("input.voltage", "device.model")


def _id(name: str, start: int, end: int, dfl: str, flags: QxFlag,
        preprocess: ValuePreprocess | None = None) -> Item:
    return row(name, N, None, "ID\r", 28, "", start, end, dfl, flags, preprocess,
               preprocess_id_answer)


def _m(name: str) -> Item:
    return row(name, N, None, "M\r", 2, "", 0, 0, "%d", F.NONE, voltage_settings)


Q1 = "Q1\r"
BESTUPS = QxProtocol(
    name="bestups", version="BestUPS 0.08",
    table=(
        row("input.voltage",            N, None, Q1, 47, "(", 1, 5, "%.1f", F.NONE),
        row("input.voltage.fault",      N, None, Q1, 47, "(", 7, 11, "%.1f", F.NONE),
        row("output.voltage",           N, None, Q1, 47, "(", 13, 17, "%.1f", F.NONE),
        row("ups.load",                 N, None, Q1, 47, "(", 19, 21, "%.0f", F.NONE),
        row("input.frequency",          N, None, Q1, 47, "(", 23, 26, "%.1f", F.NONE),
        row("battery.voltage",          N, None, Q1, 47, "(", 28, 31, "%.2f", F.NONE,
            blazer.multiply_battvolt),
        row("ups.temperature",          N, None, Q1, 47, "(", 33, 36, "%.1f", F.NONE),
        row("ups.status",               N, None, Q1, 47, "(", 38, 38, None, QP, bits),
        row("ups.status",               N, None, Q1, 47, "(", 39, 39, None, QP, bits),
        row("ups.alarm",                N, None, Q1, 47, "(", 41, 41, None, F.NONE, bits),
        row("ups.type",                 N, None, Q1, 47, "(", 42, 42, "%s", ST, bits),
        row("ups.status",               N, None, Q1, 47, "(", 43, 43, None, QP, bits),
        row("ups.status",               N, None, Q1, 47, "(", 44, 44, None, QP, bits),
        # Bypass/boost/buck last: it needs the bits read above.
        row("ups.status",               N, None, Q1, 47, "(", 40, 40, None, QP, bbb_status_bit),
        # > [ID\r]  < [FOR,750,120,120,20.0,27.6\r] -> "FOR, 750,120,120,20.0, 27.6\r"
        _id("device.mfr",               0, 2, "%s", ST, manufacturer),
        _id("device.model",             0, 2, "%s", ST, model),
        _id("ups.power.nominal",        4, 7, "%.0f", ST),
        _id("input.voltage.nominal",    9, 11, "%.0f", ST),
        _id("output.voltage.nominal",   13, 15, "%.0f", ST),
        _id("battery.voltage.low",      17, 20, "%.1f", F.SEMI_STATIC),
        _id("battery.voltage.high",     22, 26, "%.1f", F.SEMI_STATIC),
        row("battery.runtime",          N, None, "RT\r", 4, "", 0, 2, "%.0f", F.SKIP,
            batt_runtime),
        row("battery.packs",  StFlag.RW, BATT_PACKS, "BP?\r", 3, "", 0, 1, "%d",
            F.SEMI_STATIC | F.RANGE | F.SKIP, batt_packs),
        row("battery.packs",            N, BATT_PACKS, "BP%.0f\r", 0, "", 0, 0, None,
            F.SETVAR | F.RANGE | F.SKIP, process_setvar),
        row("pins_shutdown_mode", StFlag.RW, PINS_SHUTDOWN_MODE, "SS?\r", 2, "", 0, 0, "%.0f",
            F.SEMI_STATIC | F.RANGE | F.NONUT, pins_shutdown_mode),
        row("pins_shutdown_mode",       N, PINS_SHUTDOWN_MODE, "SS%.0f\r", 0, "", 0, 0, None,
            F.SETVAR | F.RANGE | F.NONUT | F.SKIP, process_setvar),
        _m("input.transfer.low"),
        _m("input.transfer.boost.low"),
        _m("input.transfer.boost.high"),
        _m("input.voltage.nominal"),
        _m("output.voltage.nominal"),
        _m("input.transfer.trim.low"),
        _m("input.transfer.trim.high"),
        _m("input.transfer.high"),
        row("shutdown.return",          N, None, "S%s\r", 0, "", 0, 0, None, CMD,
            blazer.process_command),
        row("shutdown.stayoff",         N, None, "S%s\r", 0, "", 0, 0, None, CMD,
            blazer.process_command),
        row("shutdown.stop",            N, None, "C\r", 0, "", 0, 0, None, CMD),
        row("load.on",                  N, None, "C\r", 0, "", 0, 0, None, CMD),
        row("load.off",                 N, None, "S00R0000\r", 0, "", 0, 0, None, CMD),
        row("test.battery.start",       N, None, "T%02d\r", 0, "", 0, 0, None, CMD,
            blazer.process_command),
        row("test.battery.start.deep",  N, None, "TL\r", 0, "", 0, 0, None, CMD),
        row("test.battery.start.quick", N, None, "T\r", 0, "", 0, 0, None, CMD),
        row("test.battery.stop",        N, None, "CT\r", 0, "", 0, 0, None, CMD),
        row("ups.delay.start",    StFlag.RW, ("60", "599940"), None, 0, "", 0, 0, "180",
            F.ABSENT | F.SETVAR | F.RANGE, blazer.process_setvar),
        row("ups.delay.shutdown", StFlag.RW, ("12", "5940"), None, 0, "", 0, 0, "30",
            F.ABSENT | F.SETVAR | F.RANGE, blazer.process_setvar),
    ),
    claim=claim, initups=blazer.initups_light, accepted=None, rejected=None)
