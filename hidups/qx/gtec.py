"""NUT's ``gtec`` protocol: a ``Q4`` status answer with status *letters*, Megatec F/I.

Why: Gtec units answer ``Q4`` with 3-phase-style voltages and a run of letters (A-P)
instead of Q1's bit word; each letter sets a status bit, an alarm or
``battery.test.status``, and exactly one of A/C/M says whether the unit is on line.
"""

from __future__ import annotations

from hidups.qx import blazer
from hidups.qx.engine import Engine
from hidups.qx.items import Item, QxFlag, QxProtocol, StFlag, row
from hidups.qx.megatec import RATING_ROWS, command_rows, vendor_rows

F = QxFlag
N = StFlag.NONE

# Letter -> battery.test.status text.
TEST_STATUS = {
    "E": "Test in progress",
    "I": "Test passed - Result: OK",
    "J": "Test passed - Result: Failed",
    "K": "Battery disconnected",
    "L": "Test status unknown",
}
# Letter -> alarm text.
ALARMS = {
    "D": "UPS failed",
    "G": "Site fault",
    "H": "EPROM fail",
    "P": "Battery disconnected",
}
# Letter -> status bit set at once.
BITS = {"B": "LB", "F": "FSD", "J": "RB", "N": "OVER"}
# Letter -> the on-line word returned (the last of A/C/M wins; none: OFF).
LINE = {"A": "!OL", "C": "BYPASS", "M": "OL"}


def process_status(engine: Engine, item: Item, value: str) -> str | None:
    """``gtec_process_status``: OL unless a letter says otherwise, then each letter in
    order; unknown letters are ignored."""
    word = "OFF"
    engine.update_status("OL")
    for letter in value:
        if letter in LINE:
            word = LINE[letter]
        if letter in BITS:
            engine.update_status(BITS[letter])
        if letter in ALARMS:
            engine.alarms.append(ALARMS[letter])
        if letter in TEST_STATUS:
            engine.setinfo("battery.test.status", TEST_STATUS[letter])
    return word


def q4_rows(q: str = "Q4\r") -> tuple[Item, ...]:
    """``(236.7 243.2 212.1 220.1 230.4 002 001 50.0 371 372 041.3 22.9 IM``."""
    return (
        row("input.voltage",       N, None, q, 64, "(", 1, 5, "%.1f", F.NONE),
        row("input.voltage.fault", N, None, q, 64, "(", 19, 23, "%.1f", F.NONE),
        row("output.voltage",      N, None, q, 64, "(", 25, 29, "%.1f", F.NONE),
        row("ups.load",            N, None, q, 64, "(", 35, 37, "%.0f", F.NONE),
        row("input.frequency",     N, None, q, 64, "(", 39, 42, "%.1f", F.NONE),
        row("battery.voltage",     N, None, q, 64, "(", 52, 56, "%.1f", F.NONE),
        row("ups.temperature",     N, None, q, 64, "(", 58, 61, "%.1f", F.NONE),
        row("ups.status",          N, None, q, 64, "(", 63, 0, None, F.NONE, process_status),
    )


TABLE: tuple[Item, ...] = (*q4_rows(), *RATING_ROWS, *vendor_rows("I\r"), *command_rows())

GTEC = QxProtocol(
    name="gtec", version="Gtec 0.01", table=TABLE, claim=blazer.claim,
    initups=blazer.initups, accepted="ACK", rejected=None)
