"""The pieces of a parsed report descriptor: collections, main items, NUT-style fields.

They sit below both the parser (which builds them) and ``model.ReportDescriptor``
(which holds them and calls the parser), so neither of those imports the other's
importer. Two views of the same data exist side by side:

* :class:`MainItem`: one Input/Output/Feature item as the HID spec sees it: a Report
  Count of elements, each Report Size bits, with the list of usages that applied.
* :class:`Field`: one element as NUT's parser sees it (``HIDData_t``): a single usage,
  its full collection path, its bit offset, in descriptor order, exactly the elements
  NUT would store, so ``Path:`` dumps, path look-ups and mapping tables work on them.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

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
