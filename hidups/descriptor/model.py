"""What a parsed report descriptor is: :class:`ReportDescriptor` and its pieces.

``ReportDescriptor.from_bytes`` runs the parser (``parser.py``), which builds the
pieces defined in ``elements.py`` (re-exported here, where callers look for them);
nothing here knows about devices or vendors.
"""

from __future__ import annotations

from dataclasses import dataclass

from hidups.descriptor.elements import (
    INDEX_BASE,
    Collection,
    CollectionType,
    Field,
    MainItem,
    Report,
    ReportType,
    UsagePath,
    is_index_node,
)
from hidups.descriptor.parser import parse_parts

__all__ = [
    "INDEX_BASE",
    "Collection",
    "CollectionType",
    "Field",
    "MainItem",
    "Report",
    "ReportDescriptor",
    "ReportType",
    "UsagePath",
    "is_index_node",
    "parse_descriptor",
]


@dataclass(slots=True)
class ReportDescriptor:
    """A parsed HID report descriptor. Build it with ``ReportDescriptor.from_bytes``."""

    raw: bytes
    collections: list[Collection]
    items: list[MainItem]
    fields: list[Field]
    reports: dict[tuple[ReportType, int], Report]
    uses_report_ids: bool

    @classmethod
    def from_bytes(cls, data: bytes | bytearray | memoryview) -> ReportDescriptor:
        """Parse raw descriptor bytes; malformed input raises ``DescriptorError``."""
        parts = parse_parts(data)
        return cls(parts.raw, parts.collections, parts.items, parts.fields, parts.reports,
                   parts.uses_report_ids)

    def report_length(self, report_type: ReportType, report_id: int) -> int:
        """Payload bytes of one report (report-ID byte excluded); 0 if it does not exist."""
        report = self.reports.get((report_type, report_id))
        return 0 if report is None else report.byte_length

    def buffer_length(self, report_type: ReportType, report_id: int) -> int:
        """Bytes of a report buffer as the codec uses it: report-ID byte + payload.

        The first byte is always the report ID (0 for descriptors without Report ID
        items), so field offsets work the same way for both kinds of descriptor.
        """
        return 1 + self.report_length(report_type, report_id)

    def nut_report_length(self, report_id: int) -> int:
        """NUT's ``replen[id]``: the payload bytes NUT asks GET_REPORT for.

        NUT takes the furthest element end over reports of *every* type with that ID,
        with its 8-bit offsets (wrapping at 256 bits) and 8-bit sizes, so for reports
        longer than 32 bytes it asks for too little. Kept to explain short answers in
        captures and to reproduce NUT; :meth:`report_length` is the true length.
        """
        length = 0
        for report in self.reports.values():
            if report.report_id != report_id:
                continue
            for item in report.items:
                size = item.size & 0xFF
                for index in range(item.count):
                    end = ((item.offset + index * item.size) & 0xFF) + size
                    length = max(length, (end + 7) // 8)
        return length

    def fields_of(self, report_type: ReportType, report_id: int) -> list[Field]:
        """The fields of one report, in descriptor order."""
        return [f for f in self.fields
                if f.report_type == report_type and f.report_id == report_id]


def parse_descriptor(data: bytes | bytearray | memoryview) -> ReportDescriptor:
    """Parse a HID report descriptor; malformed input raises :class:`DescriptorError`."""
    return ReportDescriptor.from_bytes(data)
