"""What the network server and the metrics endpoint see of one driven UPS.

Why: ``serve`` runs several driver cores in one process; the network server must not
know how a UPS is driven, only its data tree (variables, flags, enums, ranges,
commands, stale) and the path its SET/INSTCMD take, the two things upsd gets from a
driver's socket.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from hidups.nut.dstate import DState
from hidups.nut.server import CommandHandler


@dataclass(frozen=True)
class DriverFigures:
    """What only a driver knows, for ``/metrics``: counts since the driver started.

    Transfer figures exist only where the device protocol counts them (HID: GET_REPORT
    transfers); ``walk_transfers`` is None otherwise.
    """

    walks: int = 0  # update loops completed
    transfers: int = 0
    transfer_errors: int = 0  # transfers that timed out or failed (a STALL is an answer)
    walk_transfers: int | None = None  # in the last update
    walk_transfer_errors: int | None = None
    reconnects: int = 0
    status_changes: int = 0
    last_good_read: float | None = None  # time.monotonic() at the end of the last fresh update
    status_latency: float | None = None  # seconds from the update's start to a new ups.status


@dataclass(frozen=True)
class ServedUps:
    """One UPS as ``serve`` exposes it: a name, upsd's description, its data tree, the
    path its commands take, and (when the driver keeps them) its figures."""

    name: str
    description: str
    dstate: DState
    commands: CommandHandler
    figures: Callable[[], DriverFigures] = field(default=DriverFigures)
