"""NUT 2.8.5's ``voltronic`` Q* protocol (nutdrv_qx_voltronic.c, "Voltronic 0.14").

Why a package: NUT's subdriver is the largest of nutdrv_qx (~4,300 lines); here the
query rows (:mod:`.table`), the settable rows and commands (:mod:`.commands`), the
answer conversions (:mod:`.readings`, :mod:`.current`), the rows a unit enables
(:mod:`.unskip`), the per-unit limits (:mod:`.limits`), the setvar/command formats
(:mod:`.writes`) and NUT's sentences (:mod:`.messages`) each have a module.
"""

from __future__ import annotations

from hidups.qx.items import QxProtocol
from hidups.qx.voltronic.commands import COMMAND_ROWS, SETTING_ROWS
from hidups.qx.voltronic.table import QUERY_ROWS, claim

VOLTRONIC = QxProtocol(
    name="voltronic", version="Voltronic 0.14",
    table=QUERY_ROWS + SETTING_ROWS + COMMAND_ROWS,
    claim=claim, initups=None, accepted="ACK", rejected="(NAK\r")

__all__ = ["VOLTRONIC"]
