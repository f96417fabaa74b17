"""SET and INSTCMD on their way to the driver, and their results for ``GET TRACKING``.

Why: upsd answers ``OK`` as soon as a request is written to the driver's socket and
learns the outcome later (``TRACKING <id> <status>``); a driver call here may block on
USB, so requests run in order on one worker thread, never on the network loop, and
their results are kept for ``GET TRACKING`` (bounded in number; upsd keeps them an
hour). Ids are upper-case UUIDs, as upsd's.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from hidups.errors import CommandStatus

log = logging.getLogger(__name__)

#: Tracking results kept; the oldest go first.
MAX_TRACKING = 4096
PENDING = -1

_ANSWER = {
    PENDING: "PENDING",
    CommandStatus.HANDLED: "SUCCESS",
    CommandStatus.UNKNOWN: "ERR UNKNOWN",
    CommandStatus.INVALID: "ERR INVALID-ARGUMENT",
    CommandStatus.CONVERSION_FAILED: "ERR INVALID-ARGUMENT",
    CommandStatus.FAILED: "ERR FAILED",
}


class CommandQueue:
    """One worker running driver calls in order, and the tracking table."""

    def __init__(self, max_tracking: int = MAX_TRACKING) -> None:
        self.max_tracking = max_tracking
        self._results: OrderedDict[str, int] = OrderedDict()
        self._lock = threading.Lock()
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="netcmd")

    def submit(self, call: Callable[[], int], tracked: bool) -> str | None:
        """Queue ``call``; returns its tracking id when ``tracked``.
        Raises RuntimeError once closed."""
        ident = str(uuid.uuid4()).upper() if tracked else None
        if ident is not None:
            with self._lock:
                self._results[ident] = PENDING
                while len(self._results) > self.max_tracking:
                    self._results.popitem(last=False)

        def run() -> None:
            try:
                status = int(call())
            except Exception:
                log.exception("command handler failed")
                status = CommandStatus.FAILED
            if ident is not None:
                with self._lock:
                    if ident in self._results:
                        self._results[ident] = status

        self._worker.submit(run)
        return ident

    def answer(self, ident: str) -> str:
        """upsd's ``GET TRACKING`` answer for ``ident`` (case-insensitive)."""
        with self._lock:
            status = self._results.get(ident.upper())
        return "ERR UNKNOWN" if status is None else _ANSWER.get(status, "ERR UNKNOWN")

    def close(self) -> None:
        """Wait for queued requests: those answered OK still reach the driver."""
        self._worker.shutdown(wait=True)
