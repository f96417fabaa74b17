"""NUT's ``hunnox`` protocol: Megatec Q1/F with ``FW?`` identity and a ``BL`` charge query.

Why: Hunnox (HNX 850 and kin) units speak Megatec, but poll every Q1 value quickly,
name themselves through ``FW?`` and report their charge as ``BL100``; their commands
answer ``UPS No Ack`` and their delays default to 0 s (start) and 60 s (shutdown).
"""

from __future__ import annotations

from dataclasses import replace

from hidups.qx import blazer
from hidups.qx.cstr import strtol
from hidups.qx.engine import Engine
from hidups.qx.items import Item, QxProtocol, StFlag, row
from hidups.qx.megatec import DELAY, QP, RATING_ROWS, command_rows, status_rows, vendor_rows

N = StFlag.NONE


def battery_charge(engine: Engine, item: Item, value: str) -> str | None:
    """``hunnox_battery_charge``: ``BL<percent>`` (C ``atoi``) -> 0..100, else refused."""
    response = engine.raw_answer
    if not response.startswith("BL"):
        return None
    percent = strtol(response[2:].split("\0", 1)[0])
    if percent < 0 or percent > 100:
        return None
    return "%d" % percent


# NUT's hunnox table polls every Q1 value quickly (the megatec table only the status bits).
_Q1_ROWS = tuple(replace(r, flags=r.flags | QP) if r.name not in ("ups.alarm", "ups.type",
                                                                     "ups.beeper.status")
                 else r for r in status_rows("Q1\r"))

TABLE: tuple[Item, ...] = (
    *_Q1_ROWS,
    *RATING_ROWS,
    *vendor_rows("FW?\r"),
    # > [BL\r]  < [BL100\r]: the whole answer goes to the preprocess
    row("battery.charge", N, None, "BL\r", 6, "B", 0, 0, "%.0f", QP, battery_charge),
    *command_rows()[:10],
    row("ups.delay.start", StFlag.RW, blazer.ONDELAY_RANGE, None, 0, "", 0, 0, "0", DELAY,
        blazer.process_setvar),
    row("ups.delay.shutdown", StFlag.RW, blazer.OFFDELAY_RANGE, None, 0, "", 0, 0, "60",
        DELAY, blazer.process_setvar),
)

HUNNOX = QxProtocol(
    name="hunnox", version="Hunnox 0.03", table=TABLE, claim=blazer.claim,
    initups=blazer.initups, accepted="UPS No Ack", rejected=None)
