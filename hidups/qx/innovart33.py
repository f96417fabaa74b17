"""NUT's ``innovart33`` protocol: Ippon Innova RT 3/3 (three phases in, bypass and out).

Why: the same seven queries as ``innovart31`` read per phase. NUT 2.8.5's claim asks for
``output.current`` and ``input.bypass.voltage``, which this table names per phase only,
so ``find_nut_info`` fails and NUT never claims a unit with this protocol (it sends Q6
and Q1, then gives up). hidups keeps that claim as it is, so both refuse the same units;
the table is still NUT's row for row, ready for the day NUT fixes its claim.
"""

from __future__ import annotations

from hidups.qx import blazer
from hidups.qx.innovart31 import (
    IDENTITY_ROWS,
    MANDATORY,
    bps,
    claim_all,
    innova_commands,
    phases,
    q1_status_rows,
    q6,
    wa,
)
from hidups.qx.items import QxProtocol
from hidups.qx.megatec import RATING_ROWS
from hidups.qx.multipliers import multiply_x1000

x1000 = multiply_x1000

INNOVART33 = QxProtocol(
    name="innovart33", version="INNOVART33 0.01",
    table=(
        # > [Q6\r]  < [(227.0 225.6 230.0 50.0 229.9 000.0 000.0 49.9 007 000 000 327.8
        #              000.0 23.0 06932 100 32 00000000 00000000 11\r]
        q6("input.L1-N.voltage",  1, 5, "%.1f"),
        q6("input.L2-N.voltage",  7, 11, "%.1f"),
        q6("input.L3-N.voltage",  13, 17, "%.1f"),
        q6("input.frequency",     19, 22, "%.1f"),
        q6("output.L1-N.voltage", 24, 28, "%.1f"),
        q6("output.L2-N.voltage", 30, 34, "%.1f"),
        q6("output.L3-N.voltage", 36, 40, "%.1f"),
        q6("output.frequency",    42, 45, "%.1f"),
        q6("output.L1.load",      47, 49, "%.0f"),
        q6("output.L2.load",      51, 53, "%.0f"),
        q6("output.L3.load",      55, 57, "%.0f"),
        q6("ups.temperature",     71, 74, "%.1f"),
        q6("battery.voltage",     59, 63, "%.1f", blazer.multiply_battvolt),
        q6("battery.runtime",     76, 80, "%.0f"),
        q6("battery.charge",      82, 84, "%.0f"),
        # > [WA\r]  < [(001.4 000.0 000.0 001.4 000.0 000.0 001.4 001.4 006.5 000.0 000.0
        #              007 00000000\r]
        wa("output.L1.realpower", 1, 5, "%.1f", x1000),
        wa("output.L2.realpower", 7, 11, "%.1f", x1000),
        wa("output.L3.realpower", 13, 17, "%.1f", x1000),
        wa("output.L1.power",     19, 23, "%.1f", x1000),
        wa("output.L2.power",     25, 29, "%.1f", x1000),
        wa("output.L3.power",     31, 35, "%.1f", x1000),
        wa("output.L1.current",   49, 53, "%.1f"),
        wa("output.L2.current",   55, 59, "%.1f"),
        wa("output.L3.current",   61, 65, "%.1f"),
        wa("ups.realpower",       37, 41, "%.1f", x1000),
        wa("ups.power",           43, 47, "%.1f", x1000),
        wa("ups.load",            67, 69, "%.0f"),
        # > [BPS\r]  < [(230.4 000.0 000.0 49.9\r]
        bps("input.bypass.L1-N.voltage", 1, 5),
        bps("input.bypass.L2-N.voltage", 7, 11),
        bps("input.bypass.L3-N.voltage", 13, 17),
        bps("input.bypass.frequency",    19, 22),
        *RATING_ROWS,
        *IDENTITY_ROWS,
        *q1_status_rows(),
        *innova_commands(),
    ),
    # NUT's innovart33_claim names innovart31's variables: see the module docstring
    claim=claim_all(MANDATORY), initups=blazer.initups_light, initinfo=phases(3, 3, 3),
    accepted="ACK", rejected="NAK\r")
