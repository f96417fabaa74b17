"""NUT's ``voltronic-qs`` and ``voltronic-qs-hex`` protocols (Voltronic ``M``/``QS``).

Why: these small Voltronic units answer ``M`` with a one-letter protocol id and ``QS``
either in Megatec text (V/H) or in a binary hex-escaped form (P/T); the claim tells
them apart before Mustek's plain ``QS`` gets a chance.
"""

from __future__ import annotations

from hidups.qx import blazer
from hidups.qx.engine import Engine
from hidups.qx.items import Item, QxFlag, QxProtocol, StFlag, ValuePreprocess, row
from hidups.qx.megatec import CMD, DELAY, QP, ST

F = QxFlag
N = StFlag.NONE
bits = blazer.process_status_bits
ONDELAY_RANGE = ("60", "599940")
OFFDELAY_RANGE = ("12", "540")


def qs_protocol(engine: Engine, item: Item, value: str) -> str | None:
    """``voltronic_qs_protocol``: ``M`` must answer V or H."""
    if value.lower() not in ("v", "h"):
        return None
    return (item.dfl or "%s").replace("%s", value, 1)


def claim(engine: Engine) -> bool:
    """``voltronic_qs(_hex)_claim``: the protocol id, then input.voltage, must answer."""
    return engine.claim_items("ups.firmware.aux", "input.voltage")


def delay_rows() -> tuple[Item, ...]:
    """The two delay setvars with Voltronic's ranges."""
    return (
        row("ups.delay.start",    StFlag.RW, ONDELAY_RANGE, None, 0, "", 0, 0, "180", DELAY,
            blazer.process_setvar),
        row("ups.delay.shutdown", StFlag.RW, OFFDELAY_RANGE, None, 0, "", 0, 0, "30", DELAY,
            blazer.process_setvar),
    )


VOLTRONIC_QS = QxProtocol(
    name="voltronic-qs", version="Voltronic-QS 0.10",
    table=(
        row("ups.firmware.aux",         N, None, "M\r", 2, "", 0, 0, "PM-%s", ST, qs_protocol),
        # > [QS\r]  < [(215.0 195.0 230.0 014 49.0 22.7 30.0 00000000\r]
        row("input.voltage",            N, None, "QS\r", 47, "(", 1, 5, "%.1f", F.NONE),
        row("input.voltage.fault",      N, None, "QS\r", 47, "(", 7, 11, "%.1f", F.NONE),
        row("output.voltage",           N, None, "QS\r", 47, "(", 13, 17, "%.1f", F.NONE),
        row("ups.load",                 N, None, "QS\r", 47, "(", 19, 21, "%.0f", F.NONE),
        row("output.frequency",         N, None, "QS\r", 47, "(", 23, 26, "%.1f", F.NONE),
        row("battery.voltage",          N, None, "QS\r", 47, "(", 28, 31, "%.2f", F.NONE,
            blazer.multiply_battvolt),
        row("ups.temperature",          N, None, "QS\r", 47, "(", 33, 36, "%.1f", F.NONE),
        row("ups.status",               N, None, "QS\r", 47, "(", 38, 38, None, QP, bits),
        row("ups.status",               N, None, "QS\r", 47, "(", 39, 39, None, QP, bits),
        row("ups.status",               N, None, "QS\r", 47, "(", 40, 40, None, QP, bits),
        row("ups.alarm",                N, None, "QS\r", 47, "(", 41, 41, None, F.NONE, bits),
        row("ups.type",                 N, None, "QS\r", 47, "(", 42, 42, "%s", ST, bits),
        row("ups.status",               N, None, "QS\r", 47, "(", 43, 43, None, QP, bits),
        row("ups.status",               N, None, "QS\r", 47, "(", 44, 44, None, QP, bits),
        row("ups.beeper.status",        N, None, "QS\r", 47, "(", 45, 45, "%s", F.NONE, bits),
        # > [F\r]  < [#220.0 003 12.00 50.0\r]
        row("output.voltage.nominal",   N, None, "F\r", 22, "#", 1, 5, "%.0f", ST),
        row("output.current.nominal",   N, None, "F\r", 22, "#", 7, 9, "%.1f", ST),
        row("battery.voltage.nominal",  N, None, "F\r", 22, "#", 11, 15, "%.1f", ST),
        row("output.frequency.nominal", N, None, "F\r", 22, "#", 17, 20, "%.0f", ST),
        row("beeper.toggle",            N, None, "Q\r", 0, "", 1, 3, None, CMD),
        row("load.off",                 N, None, "S00R0000\r", 0, "", 1, 3, None, CMD),
        row("load.on",                  N, None, "C\r", 0, "", 1, 3, None, CMD),
        row("shutdown.return",          N, None, "S%s\r", 0, "", 1, 3, None, CMD,
            blazer.process_command),
        row("shutdown.stayoff",         N, None, "S%sR0000\r", 0, "", 1, 3, None, CMD,
            blazer.process_command),
        row("shutdown.stop",            N, None, "C\r", 0, "", 1, 3, None, CMD),
        row("test.battery.start.quick", N, None, "T\r", 0, "", 1, 3, None, CMD),
        *delay_rows(),
    ),
    claim=claim, initups=blazer.initups_light, accepted=None, rejected=None)


# -- voltronic-qs-hex ----------------------------------------------------------------

_ESCAPES = {0x00: 0x0D, 0x01: 0x11, 0x02: 0x13, 0x03: 0x0A, 0x04: 0x20}


def _binary_digits(byte: int) -> str:
    """``voltronic_qs_hex_char_to_binary`` printed with ``%08d``."""
    return format(byte, "08b")


def preprocess_qs_answer(engine: Engine, item: Item, answer: str) -> str | None:
    """``voltronic_qs_hex_preprocess_qs_answer``: binary QS -> ``#hh hh ... bbbbbbbb``.

    Bytes become hex pairs, except in tokens 10-11 (status and rating bits), which
    become 8 binary digits; ``(`` + 0..4 escapes CR, XON, XOFF, LF and space.
    """
    data = answer.encode("latin-1")
    if not data or data[0] != 0x23:
        return None
    parts = ["#"]
    token = 1
    i = 1
    while i < len(data):
        byte = data[i]
        if byte == 0x20:
            parts.append(" ")
            token += 1
            i += 1
            continue
        if byte == 0x28:
            follow = data[i + 1] if i + 1 < len(data) else 0
            if follow in _ESCAPES:
                parts.append("%02x" % _ESCAPES[follow])
                i += 2
                continue
        elif byte == 0x0D:
            break
        parts.append("%02x" % byte if token not in (10, 11) else _binary_digits(byte))
        i += 1
    refined = "".join(parts)
    if token not in (10, 11) or len(refined) != (46 if token == 10 else 55):
        return None
    return refined + "\r"


def _hex_pair(value: str) -> tuple[int, int] | None:
    """Two blank-separated hex numbers (C ``strtol(.., 16)`` twice)."""
    if any(c not in "0123456789ABCDEFabcdef " for c in value):
        return None
    fields = value.split()
    first = int(fields[0], 16) if fields else 0
    second = int(fields[1], 16) if len(fields) > 1 else 0
    return first, second


def hex_protocol(engine: Engine, item: Item, value: str) -> str | None:
    """``voltronic_qs_hex_protocol``: P or T; T units also have ratings and a test."""
    if value.lower() not in ("p", "t"):
        return None
    out = (item.dfl or "%s").replace("%s", value, 1)
    if value.lower() == "p":
        return out
    for name, flag in (("test.battery.start.quick", QxFlag.CMD),
                       ("output.frequency.nominal", QxFlag.NONE),
                       ("battery.voltage.nominal", QxFlag.NONE),
                       ("output.voltage.nominal", QxFlag.NONE)):
        if not engine.unskip(name, flag):
            return None
    return out


def hex_voltage(engine: Engine, item: Item, value: str) -> str | None:
    """``voltronic_qs_hex_input_output_voltage``: a*b/51 (integer) / 256."""
    pair = _hex_pair(value)
    if pair is None:
        return None
    return (item.dfl or "%f") % (pair[0] * pair[1] // 51 / 256.0)


def hex_load(engine: Engine, item: Item, value: str) -> str | None:
    """``voltronic_qs_hex_load``: one hex byte -- which NUT 2.8.5 never publishes.

    2.8.5 formats it with ``snprintf_dynamic(.., "%d", "%ld", ..)``, whose format check
    rejects the pair and leaves the value empty, so ups.load is dropped (2.8.0 shows
    it; seen on upsemu with NUT's own TESTING answer). hidups follows 2.8.5.
    """
    if any(c not in "0123456789ABCDEFabcdef" for c in value):
        return None
    return ""


def hex_frequency(engine: Engine, item: Item, value: str) -> str | None:
    """``voltronic_qs_hex_frequency``: b/a, at most 99.9."""
    pair = _hex_pair(value)
    if pair is None:
        return None
    ratio = pair[1] / pair[0] if pair[0] else (float("inf") if pair[1] else float("nan"))
    return (item.dfl or "%f") % (99.9 if ratio > 99.9 else ratio)


def hex_battery_voltage(engine: Engine, item: Item, value: str) -> str | None:
    """``voltronic_qs_hex_battery_voltage``: a*b/510."""
    pair = _hex_pair(value)
    if pair is None:
        return None
    return (item.dfl or "%f") % (pair[0] * pair[1] / 510.0)


_RATINGS = {
    47: {0: 50.0, 1: 60.0},
    48: {0: 12.0, 1: 24.0, 10: 36.0},
    52: {0: 110.0, 1: 120.0, 10: 220.0, 11: 230.0, 100: 240.0},
}


def hex_ratings_bits(engine: Engine, item: Item, value: str) -> str | None:
    """``voltronic_qs_hex_process_ratings_bits``: frequency, battery and output ratings."""
    if any(c not in "01" for c in value):
        return None
    number = int(value) if value else 0
    table = _RATINGS.get(item.start)
    if table is None:
        return None
    if item.start == 47:
        rating = 50.0 if number == 0 else 60.0
    elif item.start == 48:
        rating = table.get(number, 48.0)
    elif number in table:
        rating = table[number]
    else:
        return None
    return (item.dfl or "%f") % rating


def _qs(name: str, start: int, end: int, dfl: str | None, flags: QxFlag,
        preprocess: ValuePreprocess, length: int = 47) -> Item:
    """A row of the hex QS answer (always pre-processed into text first)."""
    return row(name, N, None, "QS\r", length, "#", start, end, dfl, flags, preprocess,
               preprocess_qs_answer)


VOLTRONIC_QS_HEX = QxProtocol(
    name="voltronic-qs-hex", version="Voltronic-QS-Hex 0.11",
    table=(
        row("ups.firmware.aux", N, None, "M\r", 2, "", 0, 0, "PM-%s", ST, hex_protocol),
        # QS refined: "#6c01 35 6c01 35 03 519a 1312d0 e6 1e 00001001"
        _qs("input.voltage",            1, 7, "%.1f", F.NONE, hex_voltage),
        _qs("output.voltage",           9, 15, "%.1f", F.NONE, hex_voltage),
        _qs("ups.load",                 17, 18, "%d", F.NONE, hex_load),
        _qs("output.frequency",         20, 30, "%.1f", F.NONE, hex_frequency),
        _qs("battery.voltage",          32, 36, "%.2f", F.NONE, hex_battery_voltage),
        _qs("ups.status",               38, 38, None, QP, bits),
        _qs("ups.status",               39, 39, None, QP, bits),
        _qs("ups.status",               40, 40, None, QP, bits),
        _qs("ups.alarm",                41, 41, None, F.NONE, bits),
        _qs("ups.type",                 42, 42, "%s", ST, bits),
        _qs("ups.status",               43, 43, None, QP, bits),
        _qs("ups.status",               44, 44, None, QP, bits),
        _qs("ups.beeper.status",        45, 45, "%s", F.NONE, bits),
        _qs("output.frequency.nominal", 47, 47, "%.1f", F.SKIP, hex_ratings_bits, 56),
        _qs("battery.voltage.nominal",  48, 49, "%.1f", F.SKIP, hex_ratings_bits, 56),
        _qs("output.voltage.nominal",   52, 54, "%.1f", F.SKIP, hex_ratings_bits, 56),
        row("beeper.toggle",            N, None, "Q\r", 0, "", 0, 0, None, CMD),
        row("load.off",                 N, None, "S00R0000\r", 0, "", 0, 0, None, CMD),
        row("load.on",                  N, None, "C\r", 0, "", 0, 0, None, CMD),
        row("shutdown.return",          N, None, "S%s\r", 0, "", 0, 0, None, CMD,
            blazer.process_command),
        row("shutdown.stayoff",         N, None, "S%sR0000\r", 0, "", 0, 0, None, CMD,
            blazer.process_command),
        row("shutdown.stop",            N, None, "C\r", 0, "", 0, 0, None, CMD),
        row("test.battery.start.quick", N, None, "T\r", 0, "", 0, 0, None, CMD | F.SKIP),
        *delay_rows(),
    ),
    claim=claim, initups=blazer.initups_light, accepted=None, rejected="N\r")
