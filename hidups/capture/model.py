"""What a capture holds: a device as the driver sees it, in memory.

The file format (``format.py``, documented in docs/capture-format.md) and the
converters (``shared_json.py``, ``nut_log.py``) all produce a :class:`Capture`;
``describe``, ``explore``, the subdriver generator and the replay transport consume it.
Report bytes are always kept as the device answered GET_REPORT, report-ID byte first
(0 for descriptors without report IDs), so they can be served back unchanged.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

from hidups.descriptor.model import ReportType
from hidups.device import DeviceInfo


class ReportKind(str, enum.Enum):
    """How a report snapshot was obtained (the shared corpus's ``kind``)."""

    GET = "get"  # a complete GET_REPORT answer
    SHORT = "short"  # a GET_REPORT answer shorter than the descriptor says
    INPUT = "input"  # an input report (interrupt IN or GET_REPORT(Input)), hand-labelled
    FEATURE = "feature"  # a feature report read by another tool (hidapi, ...)


class EventAction(str, enum.Enum):
    """Scripted changes to a replayed device over time."""

    REPORT = "report"  # from now on GET_REPORT(type, id) answers ``data``
    INTERRUPT = "interrupt"  # an interrupt-IN transfer carrying ``data`` becomes due
    UNPLUG = "unplug"  # the device disappears: every call raises Disconnected
    REPLUG = "replug"  # the device is back (state kept, as a real UPS keeps it)


@dataclass(slots=True)
class ReportRecord:
    """One report snapshot: the bytes GET_REPORT(type, id) returned."""

    report_type: ReportType
    report_id: int
    data: bytes  # report-ID byte first
    t: float | None = None  # seconds since the capture started, when known
    kind: ReportKind = ReportKind.GET
    expected_len: int | None = None  # what the reader expected (ID byte included)
    note: str | None = None


@dataclass(slots=True)
class InterruptRecord:
    """One interrupt-IN transfer as it came off the wire (report-ID byte first)."""

    t: float
    data: bytes
    note: str | None = None


@dataclass(slots=True)
class Event:
    """A scripted change at ``t`` seconds after the replay starts."""

    t: float
    action: EventAction
    report_type: ReportType | None = None
    report_id: int | None = None
    data: bytes | None = None
    note: str | None = None


@dataclass(slots=True)
class UsbLayout:
    """Where the HID interface lives on the device (NUT's ``usb_*`` numbers)."""

    interface: int = 0
    ep_in: int = 1
    ep_out: int = 1
    descriptor_index: int = 0
    imanufacturer: int = 0
    iproduct: int = 0
    iserial: int = 0


@dataclass(slots=True)
class Capture:
    """A device as the driver sees it: identity, strings, descriptor, reports, events."""

    device: DeviceInfo
    descriptor: bytes | None
    source: str  # where the data came from (URL, issue, file): the citation
    strings: dict[int, str] = field(default_factory=dict)  # string descriptor index → text
    usb: UsbLayout = field(default_factory=UsbLayout)
    reports: list[ReportRecord] = field(default_factory=list)
    interrupts: list[InterruptRecord] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    notes: str = ""
    #: NUT's view of the device, kept verbatim: ``subdriver``, ``version``,
    #: ``path_lines`` (``Path: ...`` text), ``upsc`` (variable → value), ...
    nut: dict[str, Any] = field(default_factory=dict)
    #: Anything else the source said about the device (vendor, model, firmware, ...).
    meta: dict[str, Any] = field(default_factory=dict)

    def initial_reports(self) -> dict[tuple[ReportType, int], bytes]:
        """The first snapshot of every (type, report ID): the device's state at t=0."""
        state: dict[tuple[ReportType, int], bytes] = {}
        for record in self.reports:
            state.setdefault((record.report_type, record.report_id), record.data)
        return state
