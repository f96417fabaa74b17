"""The interrupt-IN reader: one thread per session, stopped before its handle closes.

NUT reads the interrupt pipe inside each update; we read it on a thread so a status
change reaches clients at once. The thread never holds a lock while it waits on the
pipe, and :meth:`InterruptReader.stop` joins it, so the session can close the
transport knowing nothing else uses it (closing a libusb handle another thread is
reading is undefined behaviour).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from hidups.errors import ProtocolError, TransportError, TransportTimeout
from hidups.hid.link import HidTransport

log = logging.getLogger(__name__)

#: Seconds one interrupt read waits; short so the thread notices a stop quickly.
INTERRUPT_TIMEOUT = 0.5
#: NUT's wait for one interrupt transfer in each update (``-d`` runs, first update).
NUT_INTERRUPT_WAIT = 0.75
#: Shortest time between two empty reads: at most 20 a second from a pipe that does
#: not block, with an event's delay bounded by it.
IDLE_PACE = 0.05
#: How long :meth:`InterruptReader.stop` waits for the thread (a few read timeouts).
JOIN_TIMEOUT = INTERRUPT_TIMEOUT * 4


class InterruptReader:
    """Reads one transport's interrupt pipe and hands each report to a callback."""

    def __init__(self, transport: HidTransport, size: int) -> None:
        self._transport = transport
        self._size = size
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._noticed = False
        self._silent_cycles = 0

    @property
    def stopping(self) -> threading.Event:
        """Set once the reader is asked to stop; callbacks waiting for a lock check it."""
        return self._stop

    def start(self, on_data: Callable[[bytes], None],
              on_error: Callable[[Exception], None]) -> None:
        self.stop()
        self._stop = threading.Event()
        thread = threading.Thread(target=self._run, args=(self._stop, on_data, on_error),
                                  name="hidups-interrupt", daemon=True)
        self._thread = thread
        thread.start()

    def stop(self) -> None:
        """Ask the thread to stop and wait for it (unless called from the thread itself)."""
        self._stop.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=JOIN_TIMEOUT)
            if thread.is_alive():
                log.warning("interrupt reader did not stop within %.1f s", JOIN_TIMEOUT)
        self._thread = None

    def _run(self, stop: threading.Event, on_data: Callable[[bytes], None],
             on_error: Callable[[Exception], None]) -> None:
        while not stop.is_set():
            started = time.monotonic()
            try:
                data = self._transport.read_interrupt(INTERRUPT_TIMEOUT, self._size)
            except TransportTimeout:
                data = None
            except ProtocolError as exc:
                log.debug("interrupt pipe stalled: %s", exc)
                stop.wait(INTERRUPT_TIMEOUT)
                continue
            except (TransportError, OSError) as exc:
                if not stop.is_set():
                    on_error(exc)
                return
            if data:
                if not stop.is_set():
                    on_data(data)
                continue
            # Nothing came. A backend that gives up at once instead of waiting (an
            # emulator, some hidapi builds) must not turn this thread into a busy loop.
            if time.monotonic() - started < IDLE_PACE:
                stop.wait(IDLE_PACE)

    def read_once(self) -> bytes | None:
        """One transfer in the caller's thread, waiting as NUT does (750 ms).

        Raises the transport's error when the device is gone.
        """
        try:
            return self._transport.read_interrupt(NUT_INTERRUPT_WAIT, self._size)
        except (TransportTimeout, ProtocolError):
            return None

    def noticed(self) -> None:
        """An interrupt report arrived (for the silent-pipe rule)."""
        self._noticed = True

    def silent(self, tolerance: int) -> bool:
        """``interrupt_pipe_no_events_tolerance``: too many silent cycles → reopen."""
        if tolerance < 0:
            return False
        if self._noticed:
            self._silent_cycles = 0
        else:
            self._silent_cycles += 1
        self._noticed = False
        if self._silent_cycles > tolerance:
            self._silent_cycles = 0
            log.warning("no interrupt report in %d cycles", tolerance + 1)
            return True
        return False
