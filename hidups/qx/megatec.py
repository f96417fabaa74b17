"""The Megatec family tables: megatec, megatec/old, mustek, zinto and q1.

Why: NUT gives each its own file but they differ only in the status query (``Q1``,
``D``, ``QS``), the identity query (``I``/``FW?``, field widths) and the claim; the
rows below are NUT 2.8.5's, row for row, built from those few differences.
"""

from __future__ import annotations

from hidups.qx import blazer
from hidups.qx.items import Item, QxFlag, QxProtocol, StFlag, row

F = QxFlag
N = StFlag.NONE
QP = QxFlag.QUICK_POLL
ST = QxFlag.STATIC
STT = QxFlag.STATIC | QxFlag.TRIM
CMD = QxFlag.CMD
DELAY = QxFlag.ABSENT | QxFlag.SETVAR | QxFlag.RANGE
bits = blazer.process_status_bits


def status_rows(q: str, length: int = 47) -> tuple[Item, ...]:
    """The Q1-format status answer ``(226.0 195.0 226.0 014 49.0 27.5 30.0 00001000``."""
    return (
        row("input.voltage",       N, None, q, length, "(", 1, 5, "%.1f", F.NONE),
        row("input.voltage.fault", N, None, q, length, "(", 7, 11, "%.1f", F.NONE),
        row("output.voltage",      N, None, q, length, "(", 13, 17, "%.1f", F.NONE),
        row("ups.load",            N, None, q, length, "(", 19, 21, "%.0f", F.NONE),
        row("input.frequency",     N, None, q, length, "(", 23, 26, "%.1f", F.NONE),
        row("battery.voltage",     N, None, q, length, "(", 28, 31, "%.2f", F.NONE,
            blazer.multiply_battvolt),
        row("ups.temperature",     N, None, q, length, "(", 33, 36, "%.1f", F.NONE),
        row("ups.status",          N, None, q, length, "(", 38, 38, None, QP, bits),  # util. fail
        row("ups.status",          N, None, q, length, "(", 39, 39, None, QP, bits),  # battery low
        row("ups.status",          N, None, q, length, "(", 40, 40, None, QP, bits),  # byp/boost
        row("ups.alarm",           N, None, q, length, "(", 41, 41, None, F.NONE, bits),  # failed
        row("ups.type",            N, None, q, length, "(", 42, 42, "%s", ST, bits),
        row("ups.status",          N, None, q, length, "(", 43, 43, None, QP, bits),  # test running
        row("ups.status",          N, None, q, length, "(", 44, 44, None, QP, bits),  # shutdown
        row("ups.beeper.status",   N, None, q, length, "(", 45, 45, "%s", F.NONE, bits),
    )


RATING_ROWS: tuple[Item, ...] = (
    # > [F\r]  < [#220.0 000 024.0 50.0\r]
    row("input.voltage.nominal",   N, None, "F\r", 22, "#", 1, 5, "%.0f", ST),
    row("input.current.nominal",   N, None, "F\r", 22, "#", 7, 9, "%.1f", ST),
    row("battery.voltage.nominal", N, None, "F\r", 22, "#", 11, 15, "%.1f", ST),
    row("input.frequency.nominal", N, None, "F\r", 22, "#", 17, 20, "%.0f", ST),
)


def vendor_rows(q: str) -> tuple[Item, ...]:
    """``#Manufacturer   Model      Version\\r``, 15/10/10 characters."""
    return (
        row("device.mfr",   N, None, q, 39, "#", 1, 15, "%s", STT),
        row("device.model", N, None, q, 39, "#", 17, 26, "%s", STT),
        row("ups.firmware", N, None, q, 39, "#", 28, 37, "%s", STT),
    )


# Megatec IC variant: "#MegaTecabcedfhi k130v12345 v3.400000\r" (mfr, serial, model, runtime).
MEGATEC_VENDOR_ROWS: tuple[Item, ...] = (
    row("device.mfr",      N, None, "I\r", 38, "#", 1, 7, "%s", STT),
    row("ups.serial",      N, None, "I\r", 38, "#", 8, 15, "%s", F.NONE),
    row("device.model",    N, None, "I\r", 38, "#", 17, 21, "%s", STT),
    row("battery.runtime", N, None, "I\r", 38, "#", 22, 26, "%s", F.TRIM),
    row("ups.firmware",    N, None, "I\r", 38, "#", 28, 0, "%s", STT),
)


def command_rows(answer_len: int = 0, leading: str = "", start: int = 0, end: int = 0,
                 test: Item | None = None) -> tuple[Item, ...]:
    """Instant commands and the two delay setvars (mecer expects a ``(ACK`` answer)."""
    a, lead, s, e = answer_len, leading, start, end
    cmd = blazer.process_command
    return (
        row("beeper.toggle",            N, None, "Q\r", a, lead, s, e, None, CMD),
        row("load.off",                 N, None, "S00R0000\r", a, lead, s, e, None, CMD),
        row("load.on",                  N, None, "C\r", a, lead, s, e, None, CMD),
        row("shutdown.return",          N, None, "S%s\r", a, lead, s, e, None, CMD, cmd),
        row("shutdown.stayoff",         N, None, "S%sR0000\r", a, lead, s, e, None, CMD, cmd),
        row("shutdown.stop",            N, None, "C\r", a, lead, s, e, None, CMD),
        test or row("test.battery.start", N, None, "T%02d\r", a, lead, s, e, None, CMD, cmd),
        row("test.battery.start.deep",  N, None, "TL\r", a, lead, s, e, None, CMD),
        row("test.battery.start.quick", N, None, "T\r", a, lead, s, e, None, CMD),
        row("test.battery.stop",        N, None, "CT\r", a, lead, s, e, None, CMD),
        row("ups.delay.start",    StFlag.RW, blazer.ONDELAY_RANGE, None, 0, "", 0, 0,
            "180", DELAY, blazer.process_setvar),
        row("ups.delay.shutdown", StFlag.RW, blazer.OFFDELAY_RANGE, None, 0, "", 0, 0,
            "30", DELAY, blazer.process_setvar),
    )


MEGATEC = QxProtocol(
    name="megatec", version="Megatec 0.09",
    table=status_rows("Q1\r") + RATING_ROWS + MEGATEC_VENDOR_ROWS + command_rows(),
    claim=blazer.claim, initups=blazer.initups, accepted="ACK", rejected=None)

MEGATEC_OLD = QxProtocol(
    name="megatec/old", version="Megatec/old 0.08",
    table=status_rows("D\r") + RATING_ROWS + vendor_rows("I\r") + command_rows(),
    claim=blazer.claim_light, initups=blazer.initups, accepted="ACK", rejected=None)

MUSTEK = QxProtocol(
    name="mustek", version="Mustek 0.08",
    table=status_rows("QS\r") + RATING_ROWS + vendor_rows("I\r") + command_rows(),
    claim=blazer.claim_light, initups=blazer.initups, accepted="ACK", rejected=None)

ZINTO = QxProtocol(
    name="zinto", version="Zinto 0.07",
    table=status_rows("Q1\r") + RATING_ROWS + vendor_rows("FW?\r") + command_rows(),
    claim=blazer.claim, initups=blazer.initups, accepted="ACK", rejected=None)

Q1 = QxProtocol(
    name="q1", version="Q1 0.08",
    table=status_rows("Q1\r") + command_rows(),
    claim=blazer.claim_light, initups=blazer.initups_light, accepted="ACK", rejected=None)
