"""The interrupt reader: stopped before its handle closes, and never a busy loop."""

from __future__ import annotations

import threading
import time

from hidups.descriptor.model import ReportType
from hidups.device import DeviceInfo
from hidups.errors import TransportTimeout
from hidups.hid.events import IDLE_PACE, InterruptReader


class ImpatientPipe:
    """A transport whose interrupt reads give up at once (as upsemu with
    UPSEMU_INTR_WAIT_MS=0 does): the reader must not spin on it."""

    info = DeviceInfo(0x051D, 0x0002)

    def __init__(self) -> None:
        self.reads = 0

    def read_interrupt(self, timeout: float, size: int = 512) -> bytes | None:
        self.reads += 1
        if self.reads % 2:
            raise TransportTimeout("nothing")
        return None

    def close(self) -> None: ...
    def report_descriptor(self) -> bytes: return b""
    def get_report(self, report_type: ReportType, report_id: int, length: int) -> bytes:
        return b""
    def set_report(self, report_type: ReportType, report_id: int, data: bytes) -> None: ...
    def get_string(self, index: int) -> str | None: return None


def test_empty_reads_that_return_at_once_are_paced() -> None:
    pipe = ImpatientPipe()
    reader = InterruptReader(pipe, 64)
    reader.start(lambda data: None, lambda exc: None)
    time.sleep(0.5)
    reader.stop()
    assert 1 <= pipe.reads <= 0.5 / IDLE_PACE + 3  # not thousands: no busy loop


def test_stop_joins_the_thread() -> None:
    reader = InterruptReader(ImpatientPipe(), 64)
    reader.start(lambda data: None, lambda exc: None)
    before = {t.name for t in threading.enumerate()}
    assert "hidups-interrupt" in before
    reader.stop()
    assert "hidups-interrupt" not in {t.name for t in threading.enumerate()}
