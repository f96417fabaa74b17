"""The HID 1.11 item state machine: items in, a descriptor's pieces out.

Two views come out of one pass (see ``model.py``): spec-shaped :class:`MainItem` records
and NUT-shaped :class:`Field` elements. The fields follow NUT's ``HIDParse`` exactly
where NUT's result is observable (which elements exist, their paths, limits and flags);
where NUT is simply broken (offsets wrapping at 256, descriptors without Report IDs,
Report Count/Size truncated to 8 bits) the fields carry the correct numbers instead.
``docs/parser.md`` lists every point.

The parser knows nothing of devices and nothing of names: usages are numbers here.
Malformed input raises :class:`DescriptorError` with the byte offset of the item.
"""

from __future__ import annotations

from typing import NamedTuple

from hidups.descriptor.elements import (
    INDEX_BASE,
    Collection,
    Field,
    MainItem,
    Report,
    ReportType,
    UsagePath,
)
from hidups.descriptor.items import parse_stream
from hidups.errors import DescriptorError

# --- limits: beyond these no real device goes, and fuzzed input must stay cheap ---------

#: Collections nested deeper than this are rejected (NUT itself stops at 10 path nodes).
MAX_COLLECTION_DEPTH = 32
#: Push without Pop deeper than this is rejected.
MAX_PUSH_DEPTH = 32
#: A report (report-ID byte included) must fit a control transfer's 16-bit wLength.
MAX_REPORT_BYTES = 0xFFFF
#: Usages a single Usage Minimum/Maximum pair may name (one usage page).
MAX_USAGE_RANGE = 0x10000
#: Usages all ranges of one descriptor may expand to, in total.
MAX_EXPANDED_USAGES = 1 << 20

# --- item tags: the prefix byte with its two size bits cleared ----------------------------

# main
TAG_INPUT = 0x80
TAG_OUTPUT = 0x90
TAG_FEATURE = 0xB0
TAG_COLLECTION = 0xA0
TAG_END_COLLECTION = 0xC0
# global
TAG_USAGE_PAGE = 0x04
TAG_LOGICAL_MIN = 0x14
TAG_LOGICAL_MAX = 0x24
TAG_PHYSICAL_MIN = 0x34
TAG_PHYSICAL_MAX = 0x44
TAG_UNIT_EXPONENT = 0x54
TAG_UNIT = 0x64
TAG_REPORT_SIZE = 0x74
TAG_REPORT_ID = 0x84
TAG_REPORT_COUNT = 0x94
TAG_PUSH = 0xA4
TAG_POP = 0xB4
# local
TAG_USAGE = 0x08
TAG_USAGE_MIN = 0x18
TAG_USAGE_MAX = 0x28
TAG_DELIMITER = 0xA8
# Designator Index/Minimum/Maximum (0x38/0x48/0x58) and String Index/Minimum/Maximum
# (0x78/0x88/0x98) are local items no UPS mapping uses; they are accepted and dropped
# with the rest of the local state at the next main item.

_REPORT_TYPES = {TAG_INPUT: ReportType.INPUT, TAG_OUTPUT: ReportType.OUTPUT,
                 TAG_FEATURE: ReportType.FEATURE}
assert all(int(kind) == tag for tag, kind in _REPORT_TYPES.items())  # keys double as types

#: Sign bit of item data by the prefix's two size bits (0, 1, 2, 4 bytes; no data is 0).
_SIGN_BY_SIZE_CODE = (0, 0x80, 0x8000, 0x80000000)


def signed_item_value(value: int, prefix: int) -> int:
    """Two's-complement reading of an item's data (HID 1.11 §6.2.2.7), its width taken
    from the prefix's size bits. (The hot loop inlines this for the Logical items.)"""
    sign = _SIGN_BY_SIZE_CODE[prefix & 3]
    if value & sign:
        return value - (sign << 1)
    return value


def nut_unit_exponent(value: int) -> int:
    """The Unit Exponent as NUT reads it.

    NUT takes the low byte as a signed char and, when that is above 7, treats it as the
    4-bit two's-complement code of the spec (0x0E → -2). So both the spec's nibble
    encoding and a plain signed byte (0xFE → -2) work; other values keep NUT's oddities.
    """
    exponent = value & 0xFF
    if exponent >= 0x80:
        exponent -= 0x100
    if exponent > 7:
        exponent = (exponent | 0xF0) - 0x100
    return exponent


class _Parse:
    """State of one parse that the rare items need; the hot loop keeps the rest in
    local variables (``parse_parts`` runs once per connect, but the fuzzer and the
    benchmark run it a lot)."""

    __slots__ = ("collections", "data", "delimiter_open", "delimiter_taken", "expanded",
                 "item_usages", "open_collections", "path", "usage_max", "usage_min")

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.collections: list[Collection] = []
        self.open_collections: list[int] = []
        self.path: UsagePath = ()
        # Usages as the spec counts them (ranges expanded, one per delimiter set); None
        # while they equal the Usage items, which is the case for every UPS seen.
        self.item_usages: list[int] | None = None
        self.usage_min: int | None = None
        self.usage_max: int | None = None
        self.delimiter_open = False
        self.delimiter_taken = False
        self.expanded = 0

    def reset_locals(self) -> None:
        self.item_usages = None
        self.usage_min = self.usage_max = None
        self.delimiter_taken = False

    def spec_usages(self, usages: list[int]) -> list[int]:
        """The spec's usage list, split off NUT's stack the first time they differ."""
        if self.item_usages is None:
            self.item_usages = list(usages)
        return self.item_usages

    def delimited_usage(self, usages: list[int], usage: int) -> None:
        """A Usage inside a Delimiter set: NUT stacks it, the spec counts the first."""
        spec = self.spec_usages(usages)
        usages.append(usage)
        if not self.delimiter_taken:
            self.delimiter_taken = True
            spec.append(usage)

    def range_bound(self, offset: int, tag: int, usage: int, usages: list[int]) -> None:
        if tag == TAG_USAGE_MIN:
            self.usage_min = usage
        else:
            self.usage_max = usage
        low, high = self.usage_min, self.usage_max
        if low is None or high is None:
            return
        self.usage_min = self.usage_max = None
        if high < low:
            return
        if high - low >= MAX_USAGE_RANGE:
            raise DescriptorError(
                offset, f"Usage Minimum 0x{low:08x} .. Maximum 0x{high:08x} spans more "
                f"than one usage page")
        self.expanded += high - low + 1
        if self.expanded > MAX_EXPANDED_USAGES:
            raise DescriptorError(
                offset, f"usage ranges expand to more than {MAX_EXPANDED_USAGES} usages")
        self.spec_usages(usages).extend(range(low, high + 1))

    def delimiter(self, offset: int, value: int) -> None:
        if value == 1:
            if self.delimiter_open:
                raise DescriptorError(offset, "Delimiter opened twice without closing")
            self.delimiter_open = True
            self.delimiter_taken = False
        elif value == 0:
            if not self.delimiter_open:
                raise DescriptorError(offset, "Delimiter closed without being opened")
            self.delimiter_open = False
        else:
            raise DescriptorError(offset, f"Delimiter value {value} is neither 0 nor 1")

    def collection(self, offset: int, value: int, usages: list[int]) -> int:
        """Open a collection; returns its index (the new innermost collection)."""
        if len(self.open_collections) >= MAX_COLLECTION_DEPTH:
            raise DescriptorError(
                offset, f"collections nested deeper than {MAX_COLLECTION_DEPTH}")
        # NUT names the collection by the first usage on the stack (0 if none) and
        # adds an index node [n] for vendor collection types (>= 0x80).
        usage = usages[0] if usages else 0
        path = (*self.path, usage)
        if value >= 0x80:
            path = (*path, INDEX_BASE | (value & 0x7F))
        parent = self.open_collections[-1] if self.open_collections else None
        self.open_collections.append(len(self.collections))
        self.collections.append(Collection(usage, value, path, offset, parent))
        self.path = path
        self.reset_locals()
        return self.open_collections[-1]

    def end_collection(self, offset: int) -> int | None:
        """Close the innermost collection; returns the one that is innermost now."""
        if not self.open_collections:
            raise DescriptorError(offset, "End Collection without an open Collection")
        self.open_collections.pop()
        self.reset_locals()
        if self.open_collections:
            self.path = self.collections[self.open_collections[-1]].path
            return self.open_collections[-1]
        self.path = ()
        return None

    def finish(self) -> None:
        if self.open_collections:
            first = self.collections[self.open_collections[0]]
            raise DescriptorError(
                len(self.data),
                f"Collection opened at byte {first.item_offset} is never closed")
        if self.delimiter_open:
            raise DescriptorError(len(self.data), "Delimiter set is never closed")


def _report_too_long(offset: int, report_type: ReportType, report_id: int,
                     end: int) -> DescriptorError:
    return DescriptorError(
        offset, f"{report_type.nut_name} report 0x{report_id:02x} would be "
        f"{(end + 7) // 8} bytes long, more than a device can send")


class DescriptorParts(NamedTuple):
    """What one pass over a descriptor yields: ``ReportDescriptor``'s fields, in order."""

    raw: bytes
    collections: list[Collection]
    items: list[MainItem]
    fields: list[Field]
    reports: dict[tuple[ReportType, int], Report]
    uses_report_ids: bool


def parse_parts(data: bytes | bytearray | memoryview) -> DescriptorParts:
    """Parse a HID report descriptor; malformed input raises :class:`DescriptorError`.

    Callers want ``ReportDescriptor.from_bytes``, which wraps this."""
    raw = bytes(data)
    state = _Parse(raw)
    # Global items (saved and restored by Push/Pop, in this order).
    usage_page = logical_min = logical_max = unit_exponent = unit = 0
    report_size = report_id = report_count = 0
    physical_min: int | None = None
    physical_max: int | None = None
    pushed: list[tuple[int, int, int, int | None, int | None, int, int, int, int, int]] = []
    # NUT's "LogMax was re-read as unsigned" flag: sticky, NUT never clears it.
    assumed_logmax = False
    usages: list[int] = []  # NUT's usage stack: the Usage items only
    items: list[MainItem] = []
    fields: list[Field] = []
    reports: dict[int, Report] = {}  # by main item tag | report ID << 8
    uses_report_ids = False
    # True once a Delimiter or Usage Minimum/Maximum touched the local state: the rare
    # case, handled by ``state``; the common case stays in local variables.
    unusual = False
    collection: int | None = None  # innermost open collection
    for offset, prefix, value in parse_stream(raw):
        tag = prefix & 0xFC
        if tag == TAG_USAGE:
            if prefix & 3 != 3:  # 4-byte data carries its own page (NUT too)
                value = (usage_page << 16) | (value & 0xFFFF)
            if not unusual:
                usages.append(value)
            elif state.delimiter_open:
                state.delimited_usage(usages, value)
            else:
                usages.append(value)
                if state.item_usages is not None:
                    state.item_usages.append(value)
        elif tag in _REPORT_TYPES:
            report = reports.get(tag | report_id << 8)
            if report is None:
                report = reports[tag | report_id << 8] = Report(
                    _REPORT_TYPES[tag], report_id, 0, [])
            report_type = report.report_type
            start = report.bit_length
            end = start + report_size * report_count
            if end > (MAX_REPORT_BYTES - (1 if report_id else 0)) * 8:
                raise _report_too_long(offset, report_type, report_id, end)
            item = MainItem(
                report_type, report_id, start, report_size, report_count,
                tuple(usages if state.item_usages is None else state.item_usages),
                value, logical_min, logical_max, physical_min, physical_max, unit,
                unit_exponent, collection, offset)
            items.append(item)
            report.items.append(item)
            report.bit_length = end
            # NUT: element i takes the i-th Usage item; once the stack is used up the
            # remaining elements have usage 0 and are not stored (padding, arrays).
            if usages:
                path = state.path
                attributes = value & 0xFF
                position = start
                for index, usage in enumerate(usages[:report_count]):
                    if usage:
                        fields.append(Field(
                            (*path, usage), report_type, report_id, position, report_size,
                            logical_min, logical_max, physical_min, physical_max, unit,
                            unit_exponent, attributes, offset, index, assumed_logmax))
                    position += report_size
                usages = []
            if unusual:
                state.reset_locals()
                unusual = state.delimiter_open
        # The rest in order of frequency in the corpus.
        elif tag == TAG_REPORT_ID:
            if not 1 <= value <= 0xFF:
                raise DescriptorError(offset, f"Report ID {value} is not within 1..255")
            report_id = value
            uses_report_ids = True
        elif tag == TAG_LOGICAL_MAX:
            sign = _SIGN_BY_SIZE_CODE[prefix & 3]
            logical_max = value - (sign << 1) if value & sign else value
            if logical_max < logical_min:
                # NUT: a maximum below the minimum was meant unsigned.
                logical_max = value
                assumed_logmax = True
        elif tag == TAG_REPORT_SIZE:
            report_size = value
        elif tag == TAG_USAGE_PAGE:
            usage_page = value & 0xFFFF
        elif tag == TAG_UNIT:
            unit = value
        elif tag == TAG_LOGICAL_MIN:
            sign = _SIGN_BY_SIZE_CODE[prefix & 3]
            logical_min = value - (sign << 1) if value & sign else value
        elif tag == TAG_REPORT_COUNT:
            report_count = value
        elif tag == TAG_COLLECTION:
            collection = state.collection(offset, value, usages)
            usages = []
            unusual = state.delimiter_open
        elif tag == TAG_END_COLLECTION:
            collection = state.end_collection(offset)
            usages = []
            unusual = state.delimiter_open
        elif tag == TAG_UNIT_EXPONENT:
            unit_exponent = nut_unit_exponent(value)
        elif tag == TAG_PHYSICAL_MIN:
            physical_min = signed_item_value(value, prefix)
        elif tag == TAG_PHYSICAL_MAX:
            physical_max = signed_item_value(value, prefix)
        elif tag in (TAG_USAGE_MIN, TAG_USAGE_MAX):
            if prefix & 3 != 3:
                value = (usage_page << 16) | (value & 0xFFFF)
            state.range_bound(offset, tag, value, usages)
            unusual = True
        elif tag == TAG_DELIMITER:
            state.delimiter(offset, value)
            unusual = True
        elif tag == TAG_PUSH:
            if len(pushed) >= MAX_PUSH_DEPTH:
                raise DescriptorError(offset, f"Push nested deeper than {MAX_PUSH_DEPTH}")
            pushed.append((usage_page, logical_min, logical_max, physical_min,
                           physical_max, unit_exponent, unit, report_size, report_id,
                           report_count))
        elif tag == TAG_POP:
            if not pushed:
                raise DescriptorError(offset, "Pop without a matching Push")
            (usage_page, logical_min, logical_max, physical_min, physical_max,
             unit_exponent, unit, report_size, report_id, report_count) = pushed.pop()
        # Anything else (long items, reserved tags, designator and string items) is
        # skipped, as NUT skips it.
    state.finish()
    typed_reports = {(report.report_type, report.report_id): report
                     for report in reports.values()}
    return DescriptorParts(raw, state.collections, items, fields, typed_reports,
                           uses_report_ids)
