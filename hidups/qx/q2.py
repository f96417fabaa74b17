"""NUT 2.8.5's ``q2`` protocol (``nutdrv_qx_q2.c``, "Q2 0.01"): 3-phase online UPSes.

Why: these UPSes answer ``Q2`` with one long line of per-phase voltages, loads and the
battery, ``WA`` with per-phase powers and currents, and the Megatec ``Q1`` for the
status bits; NUT reads all three and calls every unit 3-phase. The ``WA`` rows, the
Q1 status rows, the commands, the claim and the topology bits are shared with ``q6``
(``nutdrv_qx_q6.c`` is the same file with the ``Q6`` layout), so they live here once.
"""

from __future__ import annotations

from collections.abc import Callable

from hidups.qx import blazer
from hidups.qx.cstr import spn
from hidups.qx.engine import Engine
from hidups.qx.items import Claim, Item, QxFlag, QxProtocol, StFlag, row
from hidups.qx.multipliers import multiply_m2s, multiply_x1000

F = QxFlag
N = StFlag.NONE
QP = QxFlag.QUICK_POLL
ST = QxFlag.STATIC
CMD = QxFlag.CMD
DELAY = QxFlag.ABSENT | QxFlag.SETVAR | QxFlag.RANGE
bits = blazer.process_status_bits
battvolt = blazer.multiply_battvolt

def topology_bits(input_at: int, output_at: int) -> Callable[[Engine, Item, str], str | None]:
    """``q2``/``q6_process_topology_bits``: the transformer topology flag at a column.

    One ``0``/``1`` (``strspn`` must be exactly 1) becomes ``delta``/``star``; any other
    column is refused, as NUT's ``switch (item->from)`` does.
    """
    def process(engine: Engine, item: Item, value: str) -> str | None:
        if spn(value, "01") != 1 or item.start not in (input_at, output_at):
            return None
        return "star" if value[0] == "1" else "delta"
    return process


# > [WA\r]
# < [(WWW.W WWW.W WWW.W VVV.V VVV.V VVV.V TTT.T SSS.S AAA.A AAA.A AAA.A QQQ b7..b0\r]
WA_ROWS: tuple[Item, ...] = (
    row("output.L1.realpower", N, None, "WA\r", 80, "(", 1, 5, "%.1f", F.NONE, multiply_x1000),
    row("output.L2.realpower", N, None, "WA\r", 80, "(", 7, 11, "%.1f", F.NONE, multiply_x1000),
    row("output.L3.realpower", N, None, "WA\r", 80, "(", 13, 17, "%.1f", F.NONE, multiply_x1000),
    row("output.L1.power",     N, None, "WA\r", 80, "(", 19, 23, "%.1f", F.NONE, multiply_x1000),
    row("output.L2.power",     N, None, "WA\r", 80, "(", 25, 29, "%.1f", F.NONE, multiply_x1000),
    row("output.L3.power",     N, None, "WA\r", 80, "(", 31, 35, "%.1f", F.NONE, multiply_x1000),
    row("output.L1.current",   N, None, "WA\r", 80, "(", 49, 53, "%.1f", F.NONE),
    row("output.L2.current",   N, None, "WA\r", 80, "(", 55, 59, "%.1f", F.NONE),
    row("output.L3.current",   N, None, "WA\r", 80, "(", 61, 65, "%.1f", F.NONE),
    row("ups.realpower",       N, None, "WA\r", 80, "(", 37, 41, "%.1f", F.NONE, multiply_x1000),
    row("ups.power",           N, None, "WA\r", 80, "(", 43, 47, "%.1f", F.NONE, multiply_x1000),
    row("ups.load",            N, None, "WA\r", 80, "(", 67, 69, "%.0f", F.NONE),
)

# > [Q1\r]  < [(MMM.M NNN.N PPP.P QQQ RR.R S.SS TT.T b7b6b5b4b3b2b1b0\r]: the bits only
STATUS_ROWS: tuple[Item, ...] = (
    row("ups.status",        N, None, "Q1\r", 47, "(", 38, 38, None, QP, bits),  # utility fail
    row("ups.status",        N, None, "Q1\r", 47, "(", 39, 39, None, QP, bits),  # battery low
    row("ups.status",        N, None, "Q1\r", 47, "(", 40, 40, None, QP, bits),  # bypass/boost
    row("ups.alarm",         N, None, "Q1\r", 47, "(", 41, 41, None, F.NONE, bits),  # failed
    row("ups.type",          N, None, "Q1\r", 47, "(", 42, 42, "%s", ST, bits),
    row("ups.status",        N, None, "Q1\r", 47, "(", 43, 43, None, QP, bits),  # test running
    row("ups.status",        N, None, "Q1\r", 47, "(", 44, 44, None, QP, bits),  # shutdown
    row("ups.beeper.status", N, None, "Q1\r", 47, "(", 45, 45, "%s", F.NONE, bits),
)

_cmd = blazer.process_command
COMMAND_ROWS: tuple[Item, ...] = (
    row("beeper.toggle",            N, None, "Q\r", 0, "", 0, 0, None, CMD),
    row("load.off",                 N, None, "S00R0000\r", 0, "", 0, 0, None, CMD),
    row("load.on",                  N, None, "C\r", 0, "", 0, 0, None, CMD),
    row("shutdown.return",          N, None, "S%s\r", 0, "", 0, 0, None, CMD, _cmd),
    row("shutdown.stayoff",         N, None, "S%sR0000\r", 0, "", 0, 0, None, CMD, _cmd),
    row("shutdown.stop",            N, None, "C\r", 0, "", 0, 0, None, CMD),
    row("test.battery.start",       N, None, "T%02d\r", 0, "", 0, 0, None, CMD, _cmd),
    row("test.battery.start.deep",  N, None, "TL\r", 0, "", 0, 0, None, CMD),
    row("test.battery.start.quick", N, None, "T\r", 0, "", 0, 0, None, CMD),
    row("test.battery.stop",        N, None, "CT\r", 0, "", 0, 0, None, CMD),
    row("ups.delay.start",    StFlag.RW, blazer.ONDELAY_RANGE, None, 0, "", 0, 0, "180",
        DELAY, blazer.process_setvar),
    row("ups.delay.shutdown", StFlag.RW, blazer.OFFDELAY_RANGE, None, 0, "", 0, 0, "30",
        DELAY, blazer.process_setvar),
)

# > [Q2\r]
# < [(MMM.M MMM.M MMM.M NNN.N PPP.P PPP.P PPP.P QQQ QQQ QQQ RR.R SSS.S TT.T b7..b0
#     ttt.tt CCC BB ff ff ff ff wwwwwwww YO\r]  (118 bytes)
Q2_ROWS: tuple[Item, ...] = (
    row("input.L1-N.voltage",   N, None, "Q2\r", 118, "(", 1, 5, "%.1f", F.NONE),
    row("input.L2-N.voltage",   N, None, "Q2\r", 118, "(", 7, 11, "%.1f", F.NONE),
    row("input.L3-N.voltage",   N, None, "Q2\r", 118, "(", 13, 17, "%.1f", F.NONE),
    row("input.voltage.fault",  N, None, "Q2\r", 118, "(", 19, 23, "%.1f", F.NONE),
    row("input.frequency",      N, None, "Q2\r", 118, "(", 55, 58, "%.1f", F.NONE),
    row("output.L1-N.voltage",  N, None, "Q2\r", 118, "(", 25, 29, "%.1f", F.NONE),
    row("output.L2-N.voltage",  N, None, "Q2\r", 118, "(", 31, 35, "%.1f", F.NONE),
    row("output.L3-N.voltage",  N, None, "Q2\r", 118, "(", 37, 41, "%.1f", F.NONE),
    row("output.L1.load",       N, None, "Q2\r", 118, "(", 43, 45, "%.0f", F.NONE),
    row("output.L2.load",       N, None, "Q2\r", 118, "(", 47, 49, "%.0f", F.NONE),
    row("output.L3.load",       N, None, "Q2\r", 118, "(", 51, 53, "%.0f", F.NONE),
    row("ups.temperature",      N, None, "Q2\r", 118, "(", 66, 69, "%.1f", F.NONE),
    row("battery.voltage",      N, None, "Q2\r", 118, "(", 60, 64, "%.1f", F.NONE, battvolt),
    row("battery.runtime",      N, None, "Q2\r", 118, "(", 80, 85, "%.2f", F.NONE, multiply_m2s),
    row("battery.charge",       N, None, "Q2\r", 118, "(", 87, 89, "%.0f", F.NONE),
    row("experimental.input.topology",  N, None, "Q2\r", 118, "(", 115, 115, "%s", ST,
        topology_bits(115, 116)),
    row("experimental.output.topology", N, None, "Q2\r", 118, "(", 116, 116, "%s", ST,
        topology_bits(115, 116)),
)


def mandatory_claim(first: str) -> Claim:
    """``q2_claim``/``q6_claim``: ``first`` (the Q2/Q6 answer), ``ups.type`` (Q1) and
    ``output.L1.current`` (WA, not with ``nooutstats``) must each give a value.

    Nothing is taken back on failure: NUT's claim leaves what it published in dstate,
    and the next protocols see it.
    """
    mandatory = ((first, "Q2/Q6"), ("ups.type", "Q1"), ("output.L1.current", "WA"))

    def claim(engine: Engine) -> bool:
        names = [name for name, command in mandatory
                 if not (engine.settings.nooutstats and command == "WA")]
        return engine.claim_items(*names, take_back=False)
    return claim


def initups(engine: Engine) -> None:
    """``q2_initups``/``q6_initups``: norating (``F`` rows: none here), nooutstats (``WA``
    rows) and ignoresab (the Shutdown Active bit) disable their rows."""
    settings = engine.settings
    for index, item in enumerate(engine.protocol.table):
        if not item.command:
            continue
        command = item.command.lower()
        if settings.norating and command == "f\r":
            engine.skip.add(index)
        if settings.nooutstats and command == "wa\r":
            engine.skip.add(index)
        if (settings.ignoresab and item.name.lower() == "ups.status"
                and item.start == 44 and item.end == 44):
            engine.skip.add(index)


def initinfo(engine: Engine) -> None:
    """``q2_initinfo``/``q6_initinfo``: NUT calls every such unit 3-phase, whatever it
    reports (the last thing ``upsdrv_initinfo`` does)."""
    engine.setinfo("input.phases", "3")
    engine.setinfo("output.phases", "3")


Q2 = QxProtocol(
    name="q2", version="Q2 0.01",
    table=Q2_ROWS + WA_ROWS + STATUS_ROWS + COMMAND_ROWS,
    claim=mandatory_claim("input.L1-N.voltage"), initups=initups,
    accepted="ACK", rejected=None, initinfo=initinfo)
