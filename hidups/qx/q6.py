"""NUT 2.8.5's ``q6`` protocol (``nutdrv_qx_q6.c``, "Q6 0.01"): 3-phase online UPSes.

Why: the ``Q6`` answer is ``Q2``'s successor: it adds the output frequency and the
negative battery string's voltage, gives the runtime in seconds (``Q2``: minutes) and
drops the fault voltage. Everything else (``WA``, the ``Q1`` status bits, commands,
claim, initups, initinfo) is ``q2``'s, row for row, so it is reused from there.
"""

from __future__ import annotations

from hidups.qx.items import Item, QxFlag, QxProtocol, StFlag, row
from hidups.qx.q2 import (
    COMMAND_ROWS,
    STATUS_ROWS,
    WA_ROWS,
    battvolt,
    initinfo,
    initups,
    mandatory_claim,
    topology_bits,
)

F = QxFlag
N = StFlag.NONE
ST = QxFlag.STATIC

# > [Q6\r]
# < [(MMM.M MMM.M MMM.M NN.N PPP.P PPP.P PPP.P RR.R QQQ QQQ QQQ SSS.S VVV.V TT.T ttttt
#     CCC KB ffffffff wwwwwwww YO\r]  (110 bytes)
Q6_ROWS: tuple[Item, ...] = (
    row("input.L1-N.voltage",  N, None, "Q6\r", 110, "(", 1, 5, "%.1f", F.NONE),
    row("input.L2-N.voltage",  N, None, "Q6\r", 110, "(", 7, 11, "%.1f", F.NONE),
    row("input.L3-N.voltage",  N, None, "Q6\r", 110, "(", 13, 17, "%.1f", F.NONE),
    row("input.frequency",     N, None, "Q6\r", 110, "(", 19, 22, "%.1f", F.NONE),
    row("output.L1-N.voltage", N, None, "Q6\r", 110, "(", 24, 28, "%.1f", F.NONE),
    row("output.L2-N.voltage", N, None, "Q6\r", 110, "(", 30, 34, "%.1f", F.NONE),
    row("output.L3-N.voltage", N, None, "Q6\r", 110, "(", 36, 40, "%.1f", F.NONE),
    row("output.frequency",    N, None, "Q6\r", 110, "(", 42, 45, "%.1f", F.NONE),
    row("output.L1.load",      N, None, "Q6\r", 110, "(", 47, 49, "%.0f", F.NONE),
    row("output.L2.load",      N, None, "Q6\r", 110, "(", 51, 53, "%.0f", F.NONE),
    row("output.L3.load",      N, None, "Q6\r", 110, "(", 55, 57, "%.0f", F.NONE),
    row("ups.temperature",     N, None, "Q6\r", 110, "(", 71, 74, "%.1f", F.NONE),
    row("battery.voltage",     N, None, "Q6\r", 110, "(", 59, 63, "%.1f", F.NONE, battvolt),
    row("battery.runtime",     N, None, "Q6\r", 110, "(", 76, 80, "%.0f", F.NONE),
    row("battery.charge",      N, None, "Q6\r", 110, "(", 82, 84, "%.0f", F.NONE),
    row("experimental.battery.voltage.negative", N, None, "Q6\r", 110, "(", 65, 69, "%.1f",
        F.NONE, battvolt),
    row("experimental.input.topology",  N, None, "Q6\r", 110, "(", 107, 107, "%s", ST,
        topology_bits(107, 108)),
    row("experimental.output.topology", N, None, "Q6\r", 110, "(", 108, 108, "%s", ST,
        topology_bits(107, 108)),
)

Q6 = QxProtocol(
    name="q6", version="Q6 0.01",
    table=Q6_ROWS + WA_ROWS + STATUS_ROWS + COMMAND_ROWS,
    claim=mandatory_claim("input.L1-N.voltage"), initups=initups,
    accepted="ACK", rejected=None, initinfo=initinfo)
