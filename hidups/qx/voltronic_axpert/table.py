"""NUT 2.8.5's ``voltronic_axpert_qx2nut`` table, as NUT builds it by default.

Why: rows are data, checked line by line against ``nutdrv_qx_voltronic-axpert.c``.
Only the rows outside ``#if TESTING_AXPERT_*`` blocks are here: those blocks (setvars,
instant commands, energy and fault queries, ...) are compiled only when NUT is
configured ``--with-unmapped-data-points``, which release builds are not. So the
protocol has no instant commands and no setvar rows; ``input.voltage.nominal`` and
``battery.energysave`` are still flagged RW with their enums, as in NUT.
Every row sends its command with a CRC and checks and strips the answer's CRC.
"""

from __future__ import annotations

from hidups.qx.items import Item, QxFlag, StFlag, ValuePreprocess, row
from hidups.qx.voltronic_axpert import preprocess as P

F = QxFlag
N = StFlag.NONE
RW = StFlag.RW
ST = QxFlag.STATIC
QP = QxFlag.QUICK_POLL

#: ``voltronic_axpert_e_cap``: capabilities that have a NUT variable.
CAP = ("no", "yes")
#: ``voltronic_axpert_e_volt_nom``: low and high voltage models.
VOLT_NOM = ("101", "110", "120", "127", "202", "208", "220", "230", "240")


def _q(name: str, info: StFlag, rw: tuple[str, ...] | None, command: str, answer_len: int,
       start: int, end: int, dfl: str, flags: QxFlag,
       preprocess: ValuePreprocess | None = None) -> Item:
    """A row as NUT writes them all: leading ``(``, CRC added and checked."""
    return row(name, info, rw, command, answer_len, "(", start, end, dfl, flags, preprocess,
               P.checkcrc, P.crc_command)


TABLE: tuple[Item, ...] = (
    # > [QPI\r]  < [(PI30\r]
    _q("device.firmware.aux",           N, None, "QPI\r",    6, 1, 4, "%s", ST, P.protocol),
    # > [QVFW\r]  < [(VERFW:00074.50\r]; QVFW2..4: SCC1..3 CPUs, (VERFW2:00000.31\r
    _q("device.firmware",               N, None, "QVFW\r",   16, 7, 14, "0X%s", ST, P.firmware),
    _q("device.firmware.main",          N, None, "QVFW\r",   16, 7, 14, "0X%s", ST,
       P.hex_preprocess),
    _q("device.firmware.scc1",          N, None, "QVFW2\r",  17, 8, 15, "0X%s", ST,
       P.hex_preprocess),
    _q("device.firmware.scc2",          N, None, "QVFW3\r",  17, 8, 15, "0X%s", ST,
       P.hex_preprocess),
    _q("device.firmware.scc3",          N, None, "QVFW4\r",  17, 8, 15, "0X%s", ST,
       P.hex_preprocess),
    # > [QID\r]  < [(12345679012345\r] (no fixed length)
    _q("device.serial",                 N, None, "QID\r",    2, 1, 0, "%s", ST, P.serial_number),
    # > [QFLAG\r]  < [(EakxyDbjuvz\r]
    _q("battery.energysave",            RW, CAP, "QFLAG\r",  4, 1, 0, "%s",
       F.ENUM | F.SEMI_STATIC, P.capability),
    _q("ups.beeper.status",             N, None, "QFLAG\r",  4, 1, 0, "%s", F.SEMI_STATIC,
       P.capability),
    # > [QPIRI\r]  < [(230.0 21.7 230.0 50.0 21.7 5000 5000 48.0 46.0 42.0 56.4 54.0 0 30
    #                  060 0 0 2 9 01 0 1 54.0 0 1 000\r]
    _q("input.voltage.nominal",         RW, VOLT_NOM, "QPIRI\r", 99, 1, 5, "%.1f", F.ENUM | ST),
    _q("input.current.nominal",         N, None, "QPIRI\r",  99, 7, 10, "%.1f", ST),
    _q("output.voltage.nominal",        N, None, "QPIRI\r",  99, 12, 16, "%.1f", ST),
    _q("output.frequency.nominal",      N, None, "QPIRI\r",  99, 18, 21, "%.1f", ST),
    _q("output.current.nominal",        N, None, "QPIRI\r",  99, 23, 26, "%.1f", ST),
    _q("output.power.nominal",          N, None, "QPIRI\r",  99, 28, 31, "%.1f", ST),
    _q("output.realpower.nominal",      N, None, "QPIRI\r",  99, 33, 36, "%.1f", ST),
    _q("battery.voltage.nominal",       N, None, "QPIRI\r",  99, 38, 41, "%.1f", ST),
    _q("battery.voltage.recharge",      N, None, "QPIRI\r",  99, 43, 46, "%.1f", ST),
    _q("battery.voltage.under",         N, None, "QPIRI\r",  99, 48, 51, "%.1f", ST),
    _q("battery.voltage.bulk",          N, None, "QPIRI\r",  99, 53, 56, "%.1f", ST),
    _q("battery.voltage.float",         N, None, "QPIRI\r",  99, 58, 61, "%.1f", ST),
    _q("battery.type",                  N, None, "QPIRI\r",  99, 63, 63, "%s", ST, P.battery_type),
    _q("battery.charging.current.ac.high", N, None, "QPIRI\r", 99, 65, 66, "%.1f", ST),
    _q("battery.charging.current.high", N, None, "QPIRI\r",  99, 68, 70, "%.1f", ST),
    _q("device.model.type",             N, None, "QPIRI\r",  99, 80, 81, "%s", ST, P.model_type),
    _q("device.description",            N, None, "QPIRI\r",  99, 83, 83, "%s", ST, P.transformer),
    # > [QMD\r]  < [(#####INVERTEX5K ###5000 99 1/1 230 230 04 12.0\r]
    _q("device.model",                  N, None, "QMD\r",    48, 1, 15, "%s", ST | F.TRIM),
    # NUT's FIXME: the power factor should be divided by 100
    _q("output.powerfactor.nominal",    N, None, "QMD\r",    48, 25, 26, "%.0f", ST),
    _q("input.phases",                  N, None, "QMD\r",    48, 28, 28, "%.0f", ST),
    _q("output.phases",                 N, None, "QMD\r",    48, 30, 30, "%.0f", ST),
    _q("battery.number",                N, None, "QMD\r",    48, 40, 41, "%.0f", ST),
    # > [QDI\r]  < [(230.0 50.0 0030 42.0 54.0 56.4 46.0 60 0 0 2 0 0 0 0 0 1 1 0 0 1 0 54.0
    #                0 1 000\r]
    _q("output.voltage.default",        N, None, "QDI\r",    80, 1, 5, "%.1f", ST),
    _q("output.frequency.default",      N, None, "QDI\r",    80, 7, 10, "%.1f", ST),
    _q("experimental.battery.charging.current.ac.high.default", N, None, "QDI\r", 80, 12, 15,
       "%.1f", ST),
    _q("experimental.battery.voltage.under.default", N, None, "QDI\r", 80, 17, 20, "%.1f", ST),
    _q("experimental.battery.voltage.float.default", N, None, "QDI\r", 80, 22, 25, "%.1f", ST),
    _q("experimental.battery.voltage.bulk.default", N, None, "QDI\r", 80, 27, 30, "%.1f", ST),
    _q("experimental.battery.voltage.recharge.default", N, None, "QDI\r", 80, 32, 35, "%.1f",
       ST),
    _q("experimental.battery.charging.current.high.default", N, None, "QDI\r", 80, 37, 38,
       "%.1f", ST),
    _q("experimental.battery.type.default", N, None, "QDI\r", 80, 46, 46, "%s", ST,
       P.battery_type),
    # > [QPIGS\r]  < [(233.5 50.1 233.5 50.1 0467 0396 009 440 54.00 000 100 0033 0000 000.0
    #                  00.00 00000 00010101 00 00 00000 110\r]
    _q("input.voltage",                 N, None, "QPIGS\r",  108, 1, 5, "%.1f", F.NONE),
    _q("input.frequency",               N, None, "QPIGS\r",  108, 7, 10, "%.1f", F.NONE),
    _q("output.voltage",                N, None, "QPIGS\r",  108, 12, 16, "%.1f", ST),
    _q("output.frequency",              N, None, "QPIGS\r",  108, 18, 21, "%.1f", ST),
    _q("output.power",                  N, None, "QPIGS\r",  108, 23, 26, "%.1f", ST),
    _q("output.realpower",              N, None, "QPIGS\r",  108, 28, 31, "%.1f", ST),
    _q("ups.load",                      N, None, "QPIGS\r",  108, 33, 35, "%.0f", F.NONE),
    _q("battery.voltage",               N, None, "QPIGS\r",  108, 41, 45, "%.1f", F.NONE),
    _q("battery.charge",                N, None, "QPIGS\r",  108, 51, 53, "%.1f", F.NONE),
    _q("ups.temperature",               N, None, "QPIGS\r",  108, 55, 58, "%.1f", F.NONE),
    _q("experimental.input.pv1.current", N, None, "QPIGS\r", 108, 60, 63, "%.0f", F.NONE),
    _q("experimental.input.pv1.voltage", N, None, "QPIGS\r", 108, 65, 69, "%.0f", F.NONE),
    _q("experimental.battery.voltage.scc1", N, None, "QPIGS\r", 108, 71, 75, "%.1f", F.NONE),
    _q("battery.current",               N, None, "QPIGS\r",  108, 77, 81, "%.1f", F.NONE),
    _q("ups.status",                    N, None, "QPIGS\r",  108, 86, 86, "%s", QP, P.status_bits),
    _q("ups.status",                    N, None, "QPIGS\r",  108, 88, 88, "%s", QP, P.status_bits),
    # > [QPIGS2\r]: PV2/PV3 trackers
    _q("experimental.input.pv2.current", N, None, "QPIGS2\r", 69, 1, 4, "%.0f", F.NONE),
    _q("experimental.input.pv2.voltage", N, None, "QPIGS2\r", 69, 6, 10, "%.0f", F.NONE),
    _q("experimental.battery.voltage.scc2", N, None, "QPIGS2\r", 69, 12, 16, "%.1f", F.NONE),
    _q("experimental.input.pv3.current", N, None, "QPIGS2\r", 69, 42, 45, "%.0f", F.NONE),
    _q("experimental.input.pv3.voltage", N, None, "QPIGS2\r", 69, 47, 51, "%.0f", F.NONE),
    _q("experimental.battery.voltage.scc3", N, None, "QPIGS2\r", 69, 53, 57, "%.1f", F.NONE),
    # > [QPIWS\r]  < [(00000000000000000000000000000000\r]  (NUT's FIXME: device.alarm)
    _q("ups.alarm",                     N, None, "QPIWS\r",  27, 1, 0, "%s", QP, P.warnings),
    # > [QMOD\r]  < [(G\r]
    _q("ups.alarm",                     N, None, "QMOD\r",   3, 1, 1, "%s", F.NONE, P.mode),
    _q("ups.status",                    N, None, "QMOD\r",   3, 1, 1, "%s", QP, P.mode),
)
