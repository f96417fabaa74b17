"""NUT's ``-DD`` device dump, written from a capture: ``- VendorID:``, ``Report
Descriptor:`` and ``Path: ..., Value: ...`` lines.

``hidups describe`` prints the ``Path:`` lines and ``hidups explore`` the whole dump,
so both match ``usbhid-ups -x explore -DD`` line for line and the output can go into
a NUT issue or NUT's ``gen-usbhid-subdriver.sh``. It sits at the capture level: it
needs the descriptor, the codec's values and a capture's reports, nothing above.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from hidups.capture import parse_capture_text
from hidups.capture.model import Capture
from hidups.codec import format_g, read_value
from hidups.descriptor.model import Field, ReportDescriptor, ReportType
from hidups.descriptor.paths import format_path
from hidups.device import DeviceInfo
from hidups.errors import CaptureError
from hidups.usages import UsageTable

#: (vendor ids, product id or None, report ids) whose elements NUT's HIDDumpTree leaves
#: out: Eaton/MGE/Dell reports 254/255 need special handling, and report 0x54 of the
#: Tripp Lite SU3000LCD2UHV (09ae:1330) trips a firmware bug.
NUT_DUMP_SKIPS: tuple[tuple[frozenset[int], int | None, frozenset[int]], ...] = (
    (frozenset({0x0463, 0x047C}), None, frozenset({254, 255})),
    (frozenset({0x09AE}), 0x1330, frozenset({0x54})),
)

_HEX_TEXT = re.compile(r"^(?:\s|,|0x|0X|[0-9a-fA-F]{2}(?![0-9a-fA-F]))*$")


# --- Path: lines --------------------------------------------------------------------


def skipped_by_nut(field_: Field, device: DeviceInfo | None) -> bool:
    """Whether NUT's HIDDumpTree leaves this element out for this device."""
    if device is None:
        return False
    for vendors, product, report_ids in NUT_DUMP_SKIPS:
        if device.vendor_id in vendors and product in (None, device.product_id) \
                and field_.report_id in report_ids:
            return True
    return False


def path_line(field_: Field, usages: UsageTable | None, report: bytes | None) -> str:
    """One ``Path:`` line; ``report`` (ID byte first) adds ``Value:``."""
    line = (f"Path: {format_path(field_.path, usages)}, "
            f"Type: {field_.report_type.nut_name}, ReportID: 0x{field_.report_id:02x}, "
            f"Offset: {field_.offset}, Size: {field_.size}")
    if report is not None:
        line += f", Value: {format_g(read_value(field_, report))}"
    return line


def path_lines(desc: ReportDescriptor, usages: UsageTable | None,
               reports: Mapping[int, bytes], device: DeviceInfo | None = None
               ) -> Iterator[str]:
    """Every element's ``Path:`` line, in NUT's order.

    ``reports`` is keyed by report ID alone: NUT reads every report with
    GET_REPORT(Feature) and decodes Input and Output elements from the same buffer.
    """
    for field_ in desc.fields:
        if not skipped_by_nut(field_, device):
            yield path_line(field_, usages, reports.get(field_.report_id))


def reports_by_id(capture: Capture) -> dict[int, bytes]:
    """One buffer per report ID, as NUT keeps it: the first Feature snapshot (NUT reads
    every report with GET_REPORT(Feature)), else the first snapshot of any type."""
    ordered = sorted(capture.reports, key=lambda r: r.report_type != ReportType.FEATURE)
    found: dict[int, bytes] = {}
    for record in ordered:
        if record.data:
            found.setdefault(record.report_id, record.data)
    return found


# --- the lines around them ------------------------------------------------------------


def identity_lines(device: DeviceInfo) -> list[str]:
    """NUT's ``- VendorID: ...`` block (libusb1.c), which gen-usbhid-subdriver.sh reads."""
    def text(value: str | None) -> str:
        return value if value else "unknown"

    return [
        f"- VendorID: {device.vendor_id:04x}",
        f"- ProductID: {device.product_id:04x}",
        f"- Manufacturer: {text(device.manufacturer)}",
        f"- Product: {text(device.product)}",
        f"- Serial Number: {text(device.serial)}",
        f"- Bus: {device.bus:03d}",
        f"- Device: {device.address:03d}",
        f"- Device release number: {device.bcd_device:04x}",
    ]


def descriptor_lines(raw: bytes) -> list[str]:
    """NUT's ``-DDD`` descriptor dump (``Report Descriptor: (N bytes) => ...`` and
    continuation lines), so the printed dump alone is enough to regenerate everything."""
    head, rest = raw[:14], raw[14:]
    lines = [f"Report Descriptor: ({len(raw)} bytes) => {head.hex(' ')}"]
    lines += [" " + rest[i:i + 24].hex(" ") for i in range(0, len(rest), 24)]
    return lines


# --- what a dump is made from -----------------------------------------------------------


@dataclass(slots=True)
class DumpSource:
    """A descriptor, its report bytes and who NUT said drove it, from any input file."""

    descriptor: bytes
    reports: dict[int, bytes] = field(default_factory=dict)  # report id → bytes, ID first
    device: DeviceInfo | None = None
    nut_subdriver: str | None = None


def parse_hex_text(text: str) -> bytes | None:
    """The bytes of a text that is nothing but hex byte pairs (``05 84``, ``0x05,``),
    or ``None`` when it is something else."""
    if not text.strip() or not _HEX_TEXT.match(text):
        return None
    return bytes(int(pair, 16) for pair in re.findall(r"(?<![0-9a-fA-FxX])(?:0[xX])?"
                                                      r"([0-9a-fA-F]{2})", text))


def load_dump_source(path: Path) -> DumpSource:
    """A capture of any supported kind, or a text file of a descriptor's hex bytes."""
    text = path.read_text(encoding="utf-8", errors="replace")
    raw = parse_hex_text(text)
    if raw is not None:
        return DumpSource(raw)
    capture = parse_capture_text(text, str(path))
    if capture.descriptor is None:
        raise CaptureError("the capture has no report descriptor", source=str(path))
    subdriver = capture.nut.get("subdriver")
    return DumpSource(capture.descriptor, reports_by_id(capture), capture.device,
                      subdriver if isinstance(subdriver, str) else None)
