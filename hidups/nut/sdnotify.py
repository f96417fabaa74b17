"""systemd's readiness protocol (``sd_notify``), without libsystemd.

NUT's drivers tell systemd ``READY=1`` once their socket serves, ``RELOADING=1`` /
``READY=1`` around a reload and ``STOPPING=1`` on exit, when run as
``Type=notify`` units (``nut-driver@.service``). The protocol is one datagram of
``KEY=value`` lines to the socket named by ``$NOTIFY_SOCKET`` (``@`` = abstract).
Outside systemd every call is a harmless no-op.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping


def notify(*states: str, env: Mapping[str, str] | None = None) -> bool:
    """Send ``states`` (e.g. ``"READY=1"``, ``"STATUS=..."``); True if systemd got them."""
    address = (os.environ if env is None else env).get("NOTIFY_SOCKET")
    if not address or not states:
        return False
    if address.startswith("@"):
        address = "\0" + address[1:]
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.sendto("\n".join(states).encode(), address)
    except OSError:
        return False
    return True


def ready(status: str | None = None) -> bool:
    return notify("READY=1", *([f"STATUS={status}"] if status else []))


def reloading() -> bool:
    return notify("RELOADING=1")


def stopping() -> bool:
    return notify("STOPPING=1")


def watchdog_interval(env: Mapping[str, str] | None = None) -> float | None:
    """Seconds within which systemd wants ``WATCHDOG=1`` (``WatchdogSec=``), or None.

    As ``sd_watchdog_enabled``: ``$WATCHDOG_USEC``, for this process when
    ``$WATCHDOG_PID`` names it (or is unset).
    """
    source = os.environ if env is None else env
    usec, pid = source.get("WATCHDOG_USEC"), source.get("WATCHDOG_PID")
    if not usec or (pid and pid.strip() != str(os.getpid())):
        return None
    try:
        value = int(usec)
    except ValueError:
        return None
    return value / 1e6 if value > 0 else None


def watchdog() -> bool:
    """Tell systemd the driver's loop is alive (fed only after a completed update)."""
    return notify("WATCHDOG=1")
