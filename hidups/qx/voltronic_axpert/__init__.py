"""NUT 2.8.5's ``voltronic-axpert`` protocol: Voltronic Axpert solar inverters.

Why: Axperts speak Voltronic's QPI/QPIGS/QPIRI dialect with a CRC on every command
and answer; NUT reports them as ``device.type`` ``scd`` (solar controller device).
The claim only needs ``QPI`` to answer PI30 with a valid CRC.
"""

from __future__ import annotations

from hidups.qx.engine import Engine
from hidups.qx.items import QxProtocol
from hidups.qx.voltronic_axpert.table import TABLE

VERSION = "Voltronic-Axpert 0.02"


def claim(engine: Engine) -> bool:
    """``voltronic_sunny_claim``: QPI answers a protocol this driver supports (PI30)."""
    return engine.claim_items("device.firmware.aux")


def initinfo(engine: Engine) -> None:
    """``voltronic_axpert_initinfo``: the device is a solar controller, not a UPS."""
    engine.setinfo("device.type", "scd")


VOLTRONIC_AXPERT = QxProtocol(
    name="voltronic-axpert", version=VERSION, table=TABLE, claim=claim, initups=None,
    accepted="ACK", rejected="(NAK\r", initinfo=initinfo)

__all__ = ["VOLTRONIC_AXPERT", "claim", "initinfo"]
