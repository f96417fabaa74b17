"""NUT's ``innovart31`` protocol: Ippon Innova RT 3/1 (three-phase in, one-phase out).

Why: these online units answer Megatec ``Q1``/``F`` plus Voltronic-style ``Q6`` (per-phase
input, battery, runtime), ``WA`` (power), ``BPS`` (bypass), ``FW?`` and ``SASV07?``
(serial); NUT only claims a unit that answers all seven, and publishes its phase counts
after the first walk. ``innovart33`` reuses the helpers here.
"""

from __future__ import annotations

from collections.abc import Callable

from hidups.qx import blazer
from hidups.qx.engine import Engine
from hidups.qx.items import Item, QxFlag, QxProtocol, StFlag, ValuePreprocess, row
from hidups.qx.megatec import RATING_ROWS, command_rows, status_rows
from hidups.qx.multipliers import multiply_x1000

F = QxFlag
N = StFlag.NONE
ST = QxFlag.STATIC
# sscanf's "%f" (glibc): blanks, a sign, then a hex float, inf/nan or a decimal prefix
def q1_status_rows() -> tuple[Item, ...]:
    """The Q1 status/alarm/type/beeper rows (columns 38-45) without the measurements."""
    return tuple(item for item in status_rows("Q1\r") if item.start >= 38)


def innova_commands() -> tuple[Item, ...]:
    """Megatec's commands and delays less ``beeper.toggle`` (the Innova RT ignore it)."""
    return tuple(item for item in command_rows() if item.name != "beeper.toggle")


#: innovart31_claim's mandatory variables, one per query (Q6, Q1, WA, BPS, F, FW?, SASV07?)
MANDATORY = ("input.L1-N.voltage", "ups.type", "output.current", "input.bypass.voltage",
             "input.voltage.nominal", "ups.firmware", "ups.serial")


def claim_all(names: tuple[str, ...]) -> Callable[[Engine], bool]:
    """``innovart3x_claim``: every named row must exist, answer and publish, in order.

    Nothing published is taken back on failure (NUT's code does not), and a name
    missing from the table fails the claim, as ``find_nut_info`` does.
    """

    def claim(engine: Engine) -> bool:
        return engine.claim_items(*names, take_back=False)

    return claim


def phases(input_phases: int, bypass_phases: int,
           output_phases: int) -> Callable[[Engine], None]:
    """``innovart3x_initinfo``: publish the unit's fixed phase counts."""

    def initinfo(engine: Engine) -> None:
        engine.setinfo("input.phases", "%d" % input_phases)
        engine.setinfo("input.bypass.phases", "%d" % bypass_phases)
        engine.setinfo("output.phases", "%d" % output_phases)

    return initinfo


def q6(name: str, start: int, end: int, dfl: str,
       preprocess: ValuePreprocess | None = None) -> Item:
    """A field of ``Q6`` (110 characters, leading ``(``)."""
    return row(name, N, None, "Q6\r", 110, "(", start, end, dfl, F.NONE, preprocess)


def wa(name: str, start: int, end: int, dfl: str,
       preprocess: ValuePreprocess | None = None) -> Item:
    """A field of ``WA`` (80 characters, leading ``(``)."""
    return row(name, N, None, "WA\r", 80, "(", start, end, dfl, F.NONE, preprocess)


def bps(name: str, start: int, end: int) -> Item:
    """A field of ``BPS`` (24 characters, leading ``(``)."""
    return row(name, N, None, "BPS\r", 24, "(", start, end, "%.1f", F.NONE)


#: > [FW?\r]  < [05516-1100\r]; > [SASV07?\r]  < [GASV07DN05K10KB100004      \r]
IDENTITY_ROWS: tuple[Item, ...] = (
    row("ups.firmware", N, None, "FW?\r", 0, "", 0, 0, "%s", ST),
    row("ups.serial",   N, None, "SASV07?\r", 28, "", 7, 0, "%s", ST | F.TRIM),
)

battvolt = blazer.multiply_battvolt

INNOVART31 = QxProtocol(
    name="innovart31", version="INNOVART31 0.02",
    table=(
        # > [Q6\r]  < [(227.0 225.6 230.0 50.0 229.9 000.0 000.0 49.9 007 000 000 327.8
        #              000.0 23.0 06932 100 32 00000000 00000000 11\r]
        q6("input.L1-N.voltage", 1, 5, "%.1f"),
        q6("input.L2-N.voltage", 7, 11, "%.1f"),
        q6("input.L3-N.voltage", 13, 17, "%.1f"),
        q6("input.frequency",    19, 22, "%.1f"),
        q6("output.voltage",     24, 28, "%.1f"),
        q6("output.frequency",   42, 45, "%.1f"),
        q6("ups.load",           47, 49, "%.0f"),
        q6("ups.temperature",    71, 74, "%.1f"),
        q6("battery.voltage",    59, 63, "%.1f", battvolt),
        q6("battery.runtime",    76, 80, "%.0f"),
        q6("battery.charge",     82, 84, "%.0f"),
        # > [WA\r]  < [(001.4 000.0 000.0 001.4 000.0 000.0 001.4 001.4 006.5 000.0 000.0
        #              007 00000000\r]
        wa("output.current", 49, 53, "%.1f"),
        wa("ups.realpower",  37, 41, "%.1f", multiply_x1000),
        wa("ups.power",      43, 47, "%.1f", multiply_x1000),
        # > [BPS\r]  < [(230.4 000.0 000.0 49.9\r]
        bps("input.bypass.voltage", 1, 5),
        bps("input.bypass.frequency", 19, 22),
        *RATING_ROWS,
        *IDENTITY_ROWS,
        *q1_status_rows(),
        *innova_commands(),
    ),
    claim=claim_all(MANDATORY), initups=blazer.initups_light, initinfo=phases(3, 1, 1),
    accepted="ACK", rejected="NAK\r")
