"""The little a transport needs to know about a report descriptor.

Transports and captures need three facts: whether reports carry a report-ID byte, how
many payload bytes each (type, report ID) has, and which usage pages appear (a Power
Device page 0x84 or Battery System page 0x85 makes a device "look like a UPS"). They
come from the one parser (``ReportDescriptor.from_bytes``), so no second reading of the
bytes can disagree with what the driver decodes. It lives with the descriptor, below
the transports and captures that both use it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hidups.descriptor.model import ReportDescriptor, ReportType

#: Usage pages of UPSes and their batteries (HID Power Device Class 1.0).
POWER_DEVICE_PAGE = 0x84
BATTERY_SYSTEM_PAGE = 0x85
UPS_PAGES = frozenset({POWER_DEVICE_PAGE, BATTERY_SYSTEM_PAGE})


@dataclass(slots=True)
class Layout:
    """Report lengths and usage pages of one descriptor."""

    uses_report_ids: bool = False
    report_bits: dict[tuple[ReportType, int], int] = field(default_factory=dict)
    usage_pages: set[int] = field(default_factory=set)

    def report_length(self, report_type: ReportType, report_id: int) -> int | None:
        """Payload bytes of that report (report-ID byte excluded), None if undeclared."""
        bits = self.report_bits.get((report_type, report_id))
        return None if bits is None else (bits + 7) // 8

    @property
    def looks_like_ups(self) -> bool:
        """True when the descriptor uses the Power Device or Battery System page."""
        return bool(self.usage_pages & UPS_PAGES)


def walk_layout(raw: bytes) -> Layout:
    """The layout of ``raw``; raises DescriptorError (with its offset) when it is malformed."""
    desc = ReportDescriptor.from_bytes(raw)
    pages = {c.usage >> 16 for c in desc.collections if c.usage}
    pages.update(usage >> 16 for item in desc.items for usage in item.usages)
    return Layout(
        uses_report_ids=desc.uses_report_ids,
        report_bits={key: report.bit_length for key, report in desc.reports.items()},
        usage_pages=pages,
    )
