"""NUT's ``ablerex`` protocol: Megatec Q1/F/I plus Ablerex's binary ``Q5`` and ``At``.

Why: Ablerex units report output frequency/current, battery voltage and an error code in
a binary ``Q5`` answer and the runtime in a binary ``At``; NUT derives battery voltage,
charge (from its voltage tables) and the low/high battery voltages from them, reads the
F answer as *output* ratings, and sets BYPASS/RB/OFF with ``status_set``.
"""

from __future__ import annotations

from hidups.qx import blazer
from hidups.qx.cstr import cfmt, strtod
from hidups.qx.engine import Engine
from hidups.qx.items import Item, QxFlag, QxProtocol, StFlag, row
from hidups.qx.megatec import CMD, command_rows, vendor_rows

F = QxFlag
N = StFlag.NONE
QP = QxFlag.QUICK_POLL
bits = blazer.process_status_bits

# ablerex_battery_charge's tables: per-cell volts on line (below 3 V), 12 V-block volts
# on battery; the first threshold the voltage reaches gives the charge.
ONLINE_V = (2.22, 2.21, 2.20, 2.19, 2.18, 2.17, 2.16, 2.15, 2.14, 2.13,
            2.12, 2.11, 2.10, 2.09, 2.08, 2.07, 2.06, 2.05, 2.04, 2.03,
            2.02, 2.01, 2.00, 1.99, 1.98, 1.97, 1.96, 1.95, 1.94, 1.93,
            1.92, 1.91, 1.90, 1.89, 1.88, 1.87, 1.86, 1.85, 1.84, 1.83,
            1.82, 1.81, 1.80, 1.79, 1.78, 1.77, 1.76, 1.75, 1.74, 1.73,
            1.72, 1.71, 1.70, 1.69, 1.68, 1.67)
ONLINE_C = (100, 90, 88, 87, 85, 83, 82, 80, 78, 77,
            75, 73, 72, 70, 68, 65, 65, 62, 62, 58,
            58, 55, 55, 53, 52, 50, 48, 47, 45, 43,
            42, 40, 38, 37, 35, 33, 32, 30, 28, 27,
            25, 23, 22, 20, 18, 17, 15, 13, 12, 10,
            8, 7, 5, 3, 2, 0, -1)
OFFLINE_V = (13.5, 13.3, 13.2, 13.1, 13, 12.9, 12.8, 12.7, 12.6, 12.5,
             12.4, 12.3, 12.2, 12.1, 12, 11.9, 11.8, 11.7, 11.6, 11.5,
             11.4, 11.3, 11.2, 11.1, 11, 10.9, 10.8, 10.7, 10.6, 10.5,
             10.4, 10.3, 10.2, 10.1, 10)
OFFLINE_C = (100, 90, 88, 86, 83, 80, 77, 74, 72, 69,
             66, 63, 61, 58, 55, 52, 49, 47, 44, 41,
             38, 36, 33, 30, 27, 24, 22, 19, 16, 13,
             11, 8, 5, 2, 0, -1)

# Subdriver globals NUT keeps across walks (static ints, -1 until a Q5 answer).
Q5_VB = "ablerex_q5_vb"
Q5_VBC = "ablerex_q5_vbc"


def _byte(engine: Engine, index: int) -> int:
    """``(unsigned char)item->answer[index]``: the buffer is zero past the answer."""
    raw = engine.raw_answer
    return ord(raw[index]) & 0xFF if index < len(raw) else 0


def _word(engine: Engine, index: int) -> int:
    """A big-endian 16-bit field at ``index``."""
    return _byte(engine, index) * 256 + _byte(engine, index + 1)


def _nominal(engine: Engine) -> float | None:
    text = engine.getinfo("battery.voltage.nominal")
    return None if text is None else strtod(text)


def q5(engine: Engine, item: Item, value: str) -> str | None:
    """``ablerex_Q5``: output frequency/current, the error code (an alarm) and the
    battery voltage words the battery rows use later."""
    fout, cur, err = _word(engine, 1), _word(engine, 15), _word(engine, 13)
    engine.state[Q5_VB] = _word(engine, 7)
    engine.state[Q5_VBC] = _word(engine, 9)
    engine.setinfo("output.frequency", "%.1f" % (0.1 * fout))
    engine.alarms.append("%d" % err)
    engine.setinfo("output.current", "%.1f" % (0.1 * cur))
    return "%.1f" % (fout * 0.1)


def battery_voltage(engine: Engine, item: Item, value: str) -> str | None:
    """``ablerex_battery``: Q5's voltage word scaled to the nominal, else Q1's value
    (per cell when below 3 V)."""
    volts = strtod(value)
    nominal = _nominal(engine)
    if nominal is None:
        return cfmt("%.2f", volts)
    vb = int(engine.state.get(Q5_VB, -1))
    if vb > 0:
        actual = vb * nominal / 1200
    elif volts > 3.0:
        actual = volts
    else:
        actual = volts * 6 * nominal / 12
    return cfmt("%.2f", actual)


def charge_from_volts(volts: float) -> int:
    """``ablerex_battery_charge``: per-cell table below 3 V, else the 12 V table."""
    levels, charges = (ONLINE_V, ONLINE_C) if volts < 3.0 else (OFFLINE_V, OFFLINE_C)
    for level, charge in zip(levels, charges, strict=False):
        if charge <= 0:
            break
        if volts >= level:
            return charge
    return 0


def battery_charge(engine: Engine, item: Item, value: str) -> str | None:
    """``ablerex_batterycharge``: 100 until the nominal voltage is known, else the
    table's charge for Q1's voltage per 12 V block."""
    volts = strtod(value)
    nominal = _nominal(engine)
    if nominal is None:
        return "100"
    if volts > 3.0:
        volts = volts / (nominal / 12)
    return "%d" % charge_from_volts(volts)


def battery_limits(engine: Engine, item: Item, value: str) -> str | None:
    """``ablerex_initbattery``: low (row from 1) from Q5's cut-off word, else 9.6 V per
    12 V; high (row from 2) 13.65 V per 12 V."""
    nominal = strtod(engine.getinfo("battery.voltage.nominal"))
    vbc = int(engine.state.get(Q5_VBC, -1))
    low = vbc * nominal / 1200 if vbc > 0 else 960 * nominal / 1200
    high = 1365 * nominal / 1200
    if item.start == 1:
        return cfmt("%.2f", low)
    if item.start == 2:
        return cfmt("%.2f", high)
    return None


def runtime(engine: Engine, item: Item, value: str) -> str | None:
    """``ablerex_At``: bytes 1-4 as one (C int, wrapping) number of seconds."""
    raw = (_byte(engine, 1) * 65536 * 256 + _byte(engine, 2) * 65536
           + _byte(engine, 3) * 256 + _byte(engine, 4)) & 0xFFFFFFFF
    return "%d" % (raw - (1 << 32) if raw >= 1 << 31 else raw)


def test_result(engine: Engine, item: Item, value: str) -> str | None:
    """``ablerex_TR``: characters 1-4 of the answer (as a C string)."""
    text = engine.raw_answer[1:5]
    return text.split("\0", 1)[0]


def status_bits(engine: Engine, item: Item, value: str) -> str | None:
    """``ablerex_process_status_bits``: bits 40-42 (BYPASS/TRIM/BOOST, by the UPS type
    at 42) and 41 (RB; OFF below 50 V out), set straight into the status buffer."""
    first = value[:1]
    if item.start == 40:
        if first == "1":
            vi = strtod(engine.getinfo("input.voltage"))
            vo = strtod(engine.getinfo("output.voltage"))
            if value[2:3] == "1":  # standby (line-interactive) unit
                word = blazer.bypass_word(vi, vo)
                if word is None:
                    return None
                engine.status_set(word)
            else:
                engine.status_set("BYPASS")
        return ""
    if item.start == 41:
        if first == "1":
            engine.status_set("RB")
        if strtod(engine.getinfo("output.voltage")) < 50.0:
            engine.status_set("OFF")
        return ""
    return None


def q1_rows(q: str = "Q1\r") -> tuple[Item, ...]:
    """Ablerex's Q1 rows: Megatec's, with its battery rows and status bits."""
    return (
        row("input.voltage",       N, None, q, 47, "(", 1, 5, "%.1f", F.NONE),
        row("input.voltage.fault", N, None, q, 47, "(", 7, 11, "%.1f", F.NONE),
        row("output.voltage",      N, None, q, 47, "(", 13, 17, "%.1f", F.NONE),
        row("ups.load",            N, None, q, 47, "(", 19, 21, "%.0f", F.NONE),
        row("input.frequency",     N, None, q, 47, "(", 23, 26, "%.1f", F.NONE),
        row("battery.voltage",     N, None, q, 47, "(", 28, 31, "%.2f", F.NONE,
            battery_voltage),
        row("battery.charge",      N, None, q, 47, "(", 28, 31, "%.2f", F.NONE,
            battery_charge),
        row("ups.temperature",     N, None, q, 47, "(", 33, 36, "%.1f", F.NONE),
        row("ups.status",          N, None, q, 47, "(", 38, 38, None, QP, bits),  # util. fail
        row("ups.status",          N, None, q, 47, "(", 39, 39, None, QP, bits),  # battery low
        row("ups.status",          N, None, q, 47, "(", 40, 42, None, QP, status_bits),
        row("ups.status",          N, None, q, 47, "(", 41, 41, None, QP, status_bits),
        row("ups.alarm",           N, None, q, 47, "(", 41, 41, None, F.NONE, bits),
        row("ups.type",            N, None, q, 47, "(", 42, 42, "%s", F.STATIC, bits),
        row("ups.status",          N, None, q, 47, "(", 43, 43, None, QP, bits),  # testing
        row("ups.status",          N, None, q, 47, "(", 44, 44, None, QP, bits),  # shutdown
        row("ups.beeper.status",   N, None, q, 47, "(", 45, 45, "%s", F.NONE, bits),
    )


# > [F\r]  < [#220.0 000 024.0 50.0\r]: Ablerex reads the ratings as output ones, and
# polls them quickly (with the battery limits derived from them).
F_ROWS: tuple[Item, ...] = (
    row("output.voltage.nominal",   N, None, "F\r", 22, "#", 1, 5, "%.1f", QP),
    row("output.current.nominal",   N, None, "F\r", 22, "#", 7, 9, "%.1f", QP),
    row("battery.voltage.nominal",  N, None, "F\r", 22, "#", 11, 15, "%.1f", QP),
    row("output.frequency.nominal", N, None, "F\r", 22, "#", 17, 20, "%.1f", QP),
    row("battery.voltage.low",      N, None, "F\r", 22, "#", 1, 2, "%.2f", QP, battery_limits),
    row("battery.voltage.high",     N, None, "F\r", 22, "#", 2, 3, "%.2f", QP, battery_limits),
)

ABLEREX_ROWS: tuple[Item, ...] = (
    row("output.frequency", N, None, "Q5\r", 22, "(", 1, 18, "%.1f", F.NONE, q5),
    row("battery.runtime",  N, None, "At\r", 0, "(", 0, 0, "%d", F.NONE, runtime),
    row("ups.test.result",  N, None, "TR\r", 0, "#", 0, 0, "%s", F.NONE, test_result),
)

_COMMANDS = command_rows()
# load.off is "S.2" (shut down in 12 s) instead of Megatec's "S00R0000".
_LOAD_OFF = row("load.off", N, None, "S.2\r", 0, "", 0, 0, None, CMD)

TABLE: tuple[Item, ...] = (
    *q1_rows(), *F_ROWS, *ABLEREX_ROWS, *vendor_rows("I\r"),
    *(_LOAD_OFF if r.name == "load.off" else r for r in _COMMANDS),
)

ABLEREX = QxProtocol(
    name="ablerex", version="Ablerex 0.02", table=TABLE, claim=blazer.claim,
    initups=blazer.initups, accepted="ACK", rejected=None)
