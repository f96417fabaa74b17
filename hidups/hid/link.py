"""What a HID session needs of its transport (``hidups.transport.base.Transport`` has it).

A protocol rather than the base class, so a test or a benchmark can drive a session
with any object that answers these calls.
"""

from __future__ import annotations

from typing import Protocol

from hidups.descriptor.model import ReportType
from hidups.device import DeviceInfo


class HidTransport(Protocol):
    @property
    def info(self) -> DeviceInfo: ...

    def close(self) -> None: ...
    def report_descriptor(self) -> bytes: ...
    def get_report(self, report_type: ReportType, report_id: int, length: int) -> bytes: ...
    def set_report(self, report_type: ReportType, report_id: int, data: bytes) -> None: ...
    def read_interrupt(self, timeout: float, size: int = 512) -> bytes | None: ...
    def get_string(self, index: int) -> str | None: ...
