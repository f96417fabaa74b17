"""NUT's ``innovatae`` protocol: Ippon Innova T/TAE (Megatec ``Q1``/``F``/``I``).

Why: a plain Megatec unit except that the ``I`` answer carries only the firmware
(columns 28-35 of a 38-39 character answer), the maker is fixed to "Ippon" and the
claim is blazer's light one (``Q1`` alone); autodetection reaches it only when no
earlier protocol (megatec needs a 39-character ``I``) claimed the unit.
"""

from __future__ import annotations

from hidups.qx import blazer
from hidups.qx.items import QxFlag, QxProtocol, StFlag, row
from hidups.qx.megatec import RATING_ROWS, command_rows, status_rows

INNOVATAE = QxProtocol(
    name="innovatae", version="INNOVATAE 0.01",
    table=(
        row("device.mfr", StFlag.NONE, None, "", 0, "", 0, 0, "Ippon",
            QxFlag.STATIC | QxFlag.ABSENT),
        # > [Q1\r]  < [(226.0 195.0 226.0 014 49.0 27.5 30.0 00001000\r]
        *status_rows("Q1\r"),
        # > [F\r]  < [#230.0 004 024.0 50.0\r]
        *RATING_ROWS,
        # > [I\r]  < [#222222222222222222222222222R1.00.48  \r]: the firmware only, untrimmed
        row("ups.firmware", StFlag.NONE, None, "I\r", 38, "#", 28, 35, "%s", QxFlag.STATIC),
        *command_rows(),
    ),
    claim=blazer.claim_light, initups=blazer.initups_light, accepted="ACK", rejected="NAK\r")
