"""What a parsed report descriptor is: collections, main items, NUT-style fields, reports.

The parser (``parser.py``) builds these; nothing here knows about devices or vendors.
Two views of the same data exist side by side:

* :class:`MainItem`: one Input/Output/Feature item as the HID spec sees it: a Report
  Count of elements, each Report Size bits, with the list of usages that applied.
* :class:`Field`: one element as NUT's parser sees it (``HIDData_t``): a single usage,
  its full collection path, its bit offset. ``ReportDescriptor.fields`` lists them in
  descriptor order, exactly the elements NUT would store, so ``Path:`` dumps, path
  look-ups and mapping tables work on them.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hidups.usages import UsageTable

#: A usage path: collection usages from the outside in, ``INDEX_BASE | n`` nodes for
#: NUT's ``[n]`` instance indexes, and the element's own usage last.
#: Each node is ``(usage_page << 16) | usage_id``.
UsagePath = tuple[int, ...]

#: Node value for NUT's ``[n]`` index nodes (``0x00ff0000 | n``).
INDEX_BASE = 0x00FF0000


def is_index_node(node: int) -> bool:
    """True for NUT's ``[n]`` instance-index nodes."""
    return (node & 0xFFFF0000) == INDEX_BASE


class ReportType(enum.IntEnum):
    """Main item types, valued as NUT's ``ITEM_*`` codes (the item prefix byte)."""

    INPUT = 0x80
    OUTPUT = 0x90
    FEATURE = 0xB0

    @property
    def nut_name(self) -> str:
        """``Input``/``Output``/``Feature``, as NUT prints it in ``Path:`` lines."""
        return self.name.capitalize()

    @property
    def request_value(self) -> int:
        """The report type in GET_REPORT/SET_REPORT ``wValue`` high byte (1, 2, 3)."""
        return {ReportType.INPUT: 1, ReportType.OUTPUT: 2, ReportType.FEATURE: 3}[self]


class CollectionType(enum.IntEnum):
    """HID collection types; values >= 0x80 are vendor-defined (NUT: index nodes)."""

    PHYSICAL = 0x00
    APPLICATION = 0x01
    LOGICAL = 0x02
    REPORT = 0x03
    NAMED_ARRAY = 0x04
    USAGE_SWITCH = 0x05
    USAGE_MODIFIER = 0x06


@dataclass(slots=True)
class Collection:
    """A Collection ... End Collection pair."""

    usage: int  # (page << 16) | id; 0 when the collection had no usage
    type: int  # raw collection type byte (see CollectionType; >= 0x80 vendor)
    path: UsagePath  # path of this collection node, itself included
    item_offset: int  # byte offset of the Collection item
    parent: int | None  # index into ReportDescriptor.collections, None at top level


@dataclass(slots=True)
class MainItem:
    """One Input/Output/Feature main item, as the HID specification describes it."""

    report_type: ReportType
    report_id: int  # 0 when the descriptor has no Report ID items
    offset: int  # bit offset of the first element, after the report-ID byte
    size: int  # Report Size, bits per element
    count: int  # Report Count
    usages: tuple[int, ...]  # usages that applied (Usage, Usage Min..Max expanded)
    attributes: int  # the item's data bits (bit 0 Constant, 1 Variable, 2 Relative, ...)
    logical_min: int
    logical_max: int
    physical_min: int | None
    physical_max: int | None
    unit: int
    unit_exponent: int
    collection: int | None  # index into ReportDescriptor.collections
    item_offset: int  # byte offset of the main item in the descriptor

    @property
    def is_constant(self) -> bool:
        return bool(self.attributes & 0x01)

    @property
    def is_variable(self) -> bool:
        return bool(self.attributes & 0x02)


@dataclass(slots=True)
class Field:
    """One element as NUT's parser stores it (``HIDData_t``): one usage, one path.

    Mutable on purpose: subdriver descriptor fix-ups change logical limits in place.
    """

    path: UsagePath
    report_type: ReportType
    report_id: int
    offset: int  # bit offset after the report-ID byte (not wrapped at 256 as NUT does)
    size: int  # bits
    logical_min: int
    logical_max: int
    physical_min: int | None  # None when no Physical Minimum was in effect
    physical_max: int | None
    unit: int
    unit_exponent: int  # already sign-extended from the 4-bit encoding (-8..7)
    attributes: int
    item_offset: int  # byte offset of the main item this element came from
    index: int  # element index within that main item
    assumed_logmax: bool = False  # LogMax re-read as unsigned (NUT's heuristic)

    @property
    def usage(self) -> int:
        """The element's own usage (last path node)."""
        return self.path[-1]

    @property
    def is_constant(self) -> bool:
        return bool(self.attributes & 0x01)


@dataclass(slots=True)
class Report:
    """All elements of one (type, report id) pair and the payload length they make."""

    report_type: ReportType
    report_id: int
    bit_length: int  # payload bits, report-ID byte excluded
    items: list[MainItem] = field(default_factory=list)

    @property
    def byte_length(self) -> int:
        """Payload bytes, report-ID byte excluded."""
        return (self.bit_length + 7) // 8


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
        from hidups.descriptor.parser import parse_descriptor  # parser imports this module

        return parse_descriptor(data)

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

    def dump(self, usages: UsageTable | None = None) -> str:
        """A human-readable listing: collections as an indented tree, each main item
        under its collection with report, bit range, flags, limits and usages."""
        from hidups.descriptor.paths import format_node  # paths imports this module

        by_collection: dict[int | None, list[MainItem]] = {}
        for item in self.items:
            by_collection.setdefault(item.collection, []).append(item)
        lines: list[str] = []

        def item_lines(items: list[MainItem], depth: int) -> None:
            for item in items:
                kind = "Const" if item.is_constant else ("Var" if item.is_variable else "Array")
                names = ", ".join(format_node(u, usages) for u in item.usages) or "-"
                lines.append(
                    f"{'  ' * depth}{item.report_type.nut_name} 0x{item.report_id:02x} "
                    f"bits {item.offset}+{item.size}x{item.count} {kind} "
                    f"[{item.logical_min}..{item.logical_max}] {names}")

        item_lines(by_collection.get(None, []), 0)
        for index, collection in enumerate(self.collections):
            depth = len([n for n in collection.path if not is_index_node(n)])
            lines.append(f"{'  ' * (depth - 1)}{format_node(collection.usage, usages)} "
                         f"(collection 0x{collection.type:02x}, byte {collection.item_offset})")
            item_lines(by_collection.get(index, []), depth)
        return "\n".join(lines)

    def fields_of(self, report_type: ReportType, report_id: int) -> list[Field]:
        """The fields of one report, in descriptor order."""
        return [f for f in self.fields
                if f.report_type == report_type and f.report_id == report_id]
