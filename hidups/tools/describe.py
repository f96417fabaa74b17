"""``hidups describe FILE``: a descriptor's elements as NUT's ``Path:`` lines.

The output is what ``usbhid-ups -DD`` prints from ``HIDDumpTree``, line for line:
``Path: UPS.PowerSummary.RemainingCapacity, Type: Feature, ReportID: 0x0c, Offset: 0,
Size: 8, Value: 100``. ``Value`` appears when the file holds that report's bytes.

FILE is a hidups capture, a shared-corpus JSON capture, a NUT debug log, or a text
file of hex bytes (the descriptor alone). Vendor usage names come from a subdriver:
``--subdriver apc`` (module or NUT name), or the one NUT named in the capture; without
one only the standard names are used, as NUT's ``explore`` subdriver does. As in NUT,
the subdriver's descriptor fix-ups run before values are computed.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import re
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hidups.codec import format_g, read_value
from hidups.descriptor.model import Field, ReportDescriptor, ReportType
from hidups.descriptor.paths import format_path
from hidups.device import DeviceInfo
from hidups.errors import DescriptorError, HidupsError
from hidups.usages import NUT_STANDARD, STANDARD, UsageTable

#: (vendor ids, product id or None, report ids) whose elements NUT's HIDDumpTree leaves
#: out: Eaton/MGE/Dell reports 254/255 need special handling, and report 0x54 of the
#: Tripp Lite SU3000LCD2UHV (09ae:1330) trips a firmware bug.
NUT_DUMP_SKIPS: tuple[tuple[frozenset[int], int | None, frozenset[int]], ...] = (
    (frozenset({0x0463, 0x047C}), None, frozenset({254, 255})),
    (frozenset({0x09AE}), 0x1330, frozenset({0x54})),
)

_HEX_TEXT = re.compile(r"^(?:\s|,|0x|0X|[0-9a-fA-F]{2}(?![0-9a-fA-F]))*$")


@dataclass(slots=True)
class DescribeInput:
    """What describe needs from a file: descriptor, report bytes, who NUT said it was."""

    descriptor: bytes
    reports: dict[int, bytes] = field(default_factory=dict)  # report id → bytes, ID first
    device: DeviceInfo | None = None
    nut_subdriver: str | None = None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", help="capture (hidups, shared JSON, NUT debug log) or hex text")
    parser.add_argument("--subdriver", metavar="NAME",
                        help="take vendor usage names from this subdriver (module name "
                             "such as 'apc', or NUT name such as 'APC HID'); "
                             "'explore' or 'none' for standard names only")
    parser.add_argument("--no-values", action="store_true",
                        help="leave out Value: even when report bytes are available")
    parser.add_argument("--spec-names", action="store_true",
                        help="also name standard usages NUT's table lacks (NUT prints hex)")


def run(args: argparse.Namespace) -> int:
    try:
        source = load_input(Path(args.file))
        subdriver = find_subdriver(args.subdriver if args.subdriver is not None
                                   else source.nut_subdriver)
        wanted = (args.subdriver or "").lower()
        if wanted not in ("", "explore", "none") and subdriver is None:
            print(f"hidups describe: no subdriver named {args.subdriver!r}", file=sys.stderr)
            return 2
        desc = ReportDescriptor.from_bytes(source.descriptor)
        standard = STANDARD if args.spec_names else NUT_STANDARD
        usages = standard
        if subdriver is not None:
            vendor: UsageTable = subdriver.usages
            usages = vendor.chained(standard)
            if source.device is not None:
                subdriver.fix_report_desc(source.device, desc, {})
        reports = {} if args.no_values else source.reports
        for line in path_lines(desc, usages, reports, source.device):
            print(line)
    except DescriptorError as exc:  # its message has the byte offset, not the file
        print(f"hidups describe: {args.file}: {exc}", file=sys.stderr)
        return 1
    except HidupsError as exc:
        print(f"hidups describe: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"hidups describe: {args.file}: {exc.strerror}", file=sys.stderr)
        return 1
    return 0


# --- output -----------------------------------------------------------------------


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


# --- input ------------------------------------------------------------------------


def parse_hex_text(text: str) -> bytes | None:
    """The bytes of a text that is nothing but hex byte pairs (``05 84``, ``0x05,``),
    or ``None`` when it is something else."""
    if not text.strip() or not _HEX_TEXT.match(text):
        return None
    return bytes(int(pair, 16) for pair in re.findall(r"(?<![0-9a-fA-FxX])(?:0[xX])?"
                                                      r"([0-9a-fA-F]{2})", text))


def load_input(path: Path) -> DescribeInput:
    """Read a capture of any supported kind, or a hex dump of a descriptor."""
    from hidups.errors import CaptureError

    text = path.read_text(encoding="utf-8", errors="replace")
    raw = parse_hex_text(text)
    if raw is not None:
        return DescribeInput(raw)
    from hidups.capture import parse_capture_text

    capture = parse_capture_text(text, str(path))
    if capture.descriptor is None:
        raise CaptureError("the capture has no report descriptor", source=str(path))
    # One buffer per report ID, as NUT keeps it: the first Feature snapshot (NUT reads
    # every report with GET_REPORT(Feature)), else the first snapshot of any type.
    reports: dict[int, bytes] = {}
    for record in capture.reports:
        if record.report_type == ReportType.FEATURE:
            reports.setdefault(record.report_id, record.data)
    for record in capture.reports:
        reports.setdefault(record.report_id, record.data)
    subdriver = capture.nut.get("subdriver")
    return DescribeInput(capture.descriptor, reports, capture.device,
                         subdriver if isinstance(subdriver, str) else None)


# --- subdrivers --------------------------------------------------------------------


def _module_subdrivers(module: Any) -> list[Any]:
    found = []
    single = getattr(module, "SUBDRIVER", None)
    if single is not None:
        found.append(single)
    found.extend(getattr(module, "SUBDRIVERS", ()))
    return found


def find_subdriver(name: str | None) -> Any | None:
    """The subdriver object for a module name (``apc``) or a NUT subdriver string
    (``APC HID 0.100``, ``apc-hid ("APC HID")``); ``None`` for explore or unknown."""
    if not name or name.lower() in ("explore", "none"):
        return None
    try:
        package = importlib.import_module("hidups.subdrivers")
    except ImportError:
        return None
    # A module name, alone or leading the string ("apc", "arduino-hid (matches ...)").
    head = re.split(r"[\s(;]", name.strip(), maxsplit=1)[0]
    module_name = head.lower().removesuffix("-hid").replace("-", "_")
    if re.fullmatch(r"[a-z0-9_]+", module_name):
        try:
            module = importlib.import_module(f"hidups.subdrivers.{module_name}")
        except ImportError:
            module = None
        if module is not None:
            found = _module_subdrivers(module)
            if found:
                return found[0]
    # A NUT name: the subdriver whose name occurs in the string, longest name first.
    best: Any | None = None
    for info in pkgutil.iter_modules(package.__path__):
        try:
            module = importlib.import_module(f"hidups.subdrivers.{info.name}")
        except Exception:  # a half-written sibling module must not break describe
            continue
        for candidate in _module_subdrivers(module):
            candidate_name = getattr(candidate, "name", "")
            if candidate_name and candidate_name in name and (
                    best is None or len(candidate_name) > len(best.name)):
                best = candidate
    return best
