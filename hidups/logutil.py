"""Rate-limited logging: one line per condition per interval, with a count of repeats.

A condition that repeats at machine speed (a connection flood, a device that fails
every poll) must not write a line each time: issue 11 saw 314,043 identical
warnings (36 MB). :class:`RateLimitedLog` writes the first occurrence of a condition
at once, counts the repeats for ``interval`` seconds, and then writes one line
ending ``(N more in the last 10 s)``.

Usage (the driver core may share it)::

    limited = RateLimitedLog(log, interval=10.0)
    limited.warning("accept", "accept on %s failed: %s", path, exc)
    ...
    limited.flush()  # now and then (e.g. once per poll): reports quiet conditions

``key`` names the condition, so messages whose arguments differ (an fd number, an
errno) still count as one condition.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["RateLimitedLog"]


@dataclass
class _Condition:
    window_start: float
    written: int = 1
    suppressed: int = 0
    level: int = logging.WARNING
    message: str = ""


class RateLimitedLog:
    """Log through ``logger``, at most ``burst`` lines per ``key`` per ``interval`` s."""

    def __init__(self, logger: logging.Logger, interval: float = 10.0, *, burst: int = 1,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if interval <= 0 or burst < 1:
            raise ValueError(f"interval must be positive and burst at least 1, not "
                             f"{interval!r} and {burst!r}")
        self.logger = logger
        self.interval = interval
        self.burst = burst
        self._clock = clock
        self._conditions: dict[str, _Condition] = {}

    def log(self, level: int, key: str, msg: str, *args: object) -> bool:
        """Log now (True), or count it as a repeat of ``key`` (False)."""
        now = self._clock()
        state = self._conditions.get(key)
        text = msg % args if args else msg
        if state is not None and now - state.window_start < self.interval:
            if state.written < self.burst:
                state.written += 1
                self.logger.log(level, "%s", text)
                return True
            state.suppressed += 1
            state.level, state.message = max(state.level, level), text
            return False
        if state is not None and state.suppressed:
            text += self._suffix(state.suppressed)
        self._conditions[key] = _Condition(window_start=now, level=level, message=text)
        self.logger.log(level, "%s", text)
        return True

    def warning(self, key: str, msg: str, *args: object) -> bool:
        return self.log(logging.WARNING, key, msg, *args)

    def error(self, key: str, msg: str, *args: object) -> bool:
        return self.log(logging.ERROR, key, msg, *args)

    def info(self, key: str, msg: str, *args: object) -> bool:
        return self.log(logging.INFO, key, msg, *args)

    def flush(self, *, force: bool = False) -> int:
        """Write the repeat count of every condition whose interval is over (all of
        them with ``force``, e.g. at exit); returns how many lines were written."""
        now = self._clock()
        written = 0
        for key, state in list(self._conditions.items()):
            if not force and now - state.window_start < self.interval:
                continue
            if state.suppressed:
                self.logger.log(state.level, "%s%s", state.message,
                                self._suffix(state.suppressed))
                written += 1
            del self._conditions[key]
        return written

    def suppressed(self, key: str) -> int:
        """Repeats of ``key`` counted but not yet written."""
        state = self._conditions.get(key)
        return 0 if state is None else state.suppressed

    def _suffix(self, count: int) -> str:
        return f" ({count} more in the last {self.interval:g} s)"
