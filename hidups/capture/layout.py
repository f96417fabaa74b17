"""The little a transport needs to know about a report descriptor, from a short item walk.

Transports and captures need three facts before (or without) the full parser in
``hidups.descriptor``: whether reports carry a report-ID byte, how many payload bytes
each (type, report ID) has, and which usage pages appear (a Power Device page 0x84 or
Battery System page 0x85 makes a device "look like a UPS"). Walking the item stream
for these is a few lines; the full parser stays the one authority for fields and paths.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hidups.descriptor.model import ReportType
from hidups.errors import DescriptorError

#: Usage pages of UPSes and their batteries (HID Power Device Class 1.0).
POWER_DEVICE_PAGE = 0x84
BATTERY_SYSTEM_PAGE = 0x85
UPS_PAGES = frozenset({POWER_DEVICE_PAGE, BATTERY_SYSTEM_PAGE})

_MAIN_TYPES = {0x80: ReportType.INPUT, 0x90: ReportType.OUTPUT, 0xB0: ReportType.FEATURE}
_TAG_USAGE_PAGE = 0x04
_TAG_REPORT_SIZE = 0x74
_TAG_REPORT_ID = 0x84
_TAG_REPORT_COUNT = 0x94
_TAG_PUSH = 0xA4
_TAG_POP = 0xB4
_TAG_USAGE = 0x08
_LONG_ITEM = 0xFE


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


def _item_value(data: bytes) -> int:
    return int.from_bytes(data, "little") if data else 0


def walk_layout(raw: bytes) -> Layout:
    """Walk the short items of ``raw``; raise DescriptorError on a truncated item."""
    layout = Layout()
    size = count = report_id = page = 0
    stack: list[tuple[int, int, int, int]] = []
    pos = 0
    while pos < len(raw):
        prefix = raw[pos]
        if prefix == _LONG_ITEM:
            if pos + 1 >= len(raw):
                raise DescriptorError(pos, "long item without its size byte")
            pos += 3 + raw[pos + 1]
            continue
        length = (0, 1, 2, 4)[prefix & 0x03]
        if pos + 1 + length > len(raw):
            raise DescriptorError(pos, f"item 0x{prefix:02x} needs {length} data bytes, "
                                       f"only {len(raw) - pos - 1} left")
        value = _item_value(raw[pos + 1:pos + 1 + length])
        tag = prefix & 0xFC
        if tag == _TAG_USAGE_PAGE:
            page = value
            layout.usage_pages.add(value)
        elif tag == _TAG_USAGE and length == 4:
            layout.usage_pages.add(value >> 16)
        elif tag == _TAG_REPORT_SIZE:
            size = value
        elif tag == _TAG_REPORT_COUNT:
            count = value
        elif tag == _TAG_REPORT_ID:
            report_id = value
            layout.uses_report_ids = True
        elif tag == _TAG_PUSH:
            stack.append((size, count, report_id, page))
        elif tag == _TAG_POP and stack:
            size, count, report_id, page = stack.pop()
        elif tag in _MAIN_TYPES:
            key = (_MAIN_TYPES[tag], report_id)
            layout.report_bits[key] = layout.report_bits.get(key, 0) + size * count
        pos += 1 + length
    return layout
