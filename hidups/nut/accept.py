"""How fast the driver socket takes new connections (issue 11's connection flood).

upsd connects once and stays; a client that connects and closes at full speed must
not keep the server's loop busy accepting, or established clients starve. A token
bucket bounds the accept rate; when it is empty the server stops watching its
listening socket until the next token, and the kernel's backlog holds (or refuses)
the rest, as it would for NUT's driver.
"""

from __future__ import annotations

import time
from collections.abc import Callable

#: New connections per second once the burst is spent (upsd needs one).
ACCEPT_RATE = 50.0
#: Connections accepted back to back before the rate applies.
ACCEPT_BURST = 32
#: Connections accepted per loop round, so clients are read between batches.
ACCEPT_BATCH = 8


class AcceptGate:
    """A token bucket: :meth:`take` one token per accepted connection."""

    def __init__(self, rate: float = ACCEPT_RATE, burst: int = ACCEPT_BURST,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError(f"accept rate must be positive and burst at least 1, not "
                             f"{rate!r} and {burst!r}")
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._tokens = float(burst)
        self._last = clock()
        self._paused_until = 0.0

    def _refill(self) -> float:
        now = self._clock()
        self._tokens = min(float(self.burst), self._tokens + (now - self._last) * self.rate)
        self._last = now
        return now

    def take(self) -> bool:
        """One connection may be accepted now (and a token is spent)."""
        now = self._refill()
        if now < self._paused_until or self._tokens < 1.0:
            return False
        self._tokens -= 1.0
        return True

    def pause(self, seconds: float) -> None:
        """Accept nothing for ``seconds`` (out of file descriptors, say)."""
        self._paused_until = max(self._paused_until, self._clock() + seconds)

    def delay(self) -> float:
        """Seconds until :meth:`take` can succeed (0 when it can now)."""
        now = self._refill()
        wait = 0.0 if self._tokens >= 1.0 else (1.0 - self._tokens) / self.rate
        return max(wait, self._paused_until - now, 0.0)
