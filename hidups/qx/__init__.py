"""Q* (Megatec/Voltronic family) protocol library: nutdrv_qx's tables and core, no USB.

Why: USB UPSes that tunnel a serial text protocol through a HID bridge are driven by
NUT's nutdrv_qx; this package reproduces its protocol side so hidups answers the same.
"""

from hidups.qx.items import CommandStatus, Item, Query, QxFlag, QxProtocol, RwInfo, StFlag
from hidups.qx.registry import ORDER, PROTOCOLS, detect, lookup
from hidups.qx.session import QxSession, WalkResult
from hidups.qx.settings import QxSettings

__all__ = ["ORDER", "PROTOCOLS", "CommandStatus", "Item", "Query", "QxFlag", "QxProtocol",
           "QxSession", "QxSettings", "RwInfo", "StFlag", "WalkResult", "detect", "lookup"]
