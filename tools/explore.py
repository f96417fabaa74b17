"""``hidups explore``: dump an unknown HID device (or a capture) and say what drives it.

``hidups explore -o dump.json -x vendorid=0665`` opens the first matching HID device,
whether or not a subdriver claims it, reads everything a driver could read (identity,
strings, report descriptor, every Feature and Input report, interrupt reports for
``--listen`` seconds) and saves it as a hidups capture, which ``port=replay:`` serves
back and ``hidups gen-subdriver`` turns into a subdriver. ``--from CAPTURE`` analyses
a saved capture (ours, the shared JSON schema, or a NUT debug log) with no device.

Both print what NUT's ``usbhid-ups -x explore -DD`` prints (``- VendorID:`` and
``Path: ..., Value: ...`` lines), so the output can be pasted into a NUT issue and fed
to NUT's own ``gen-usbhid-subdriver.sh``; then which subdriver would claim the device,
which paths it maps and which it leaves unmapped, and whether the device is really a
serial protocol carried over HID (then ``nutdrv_qx`` is the driver to use).
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TextIO

from hidups.capture.model import Capture, InterruptRecord, ReportKind, ReportRecord, UsbLayout
from hidups.descriptor.model import ReportDescriptor, ReportType
from hidups.device import DeviceInfo
from hidups.errors import (
    ConfigError,
    DescriptorError,
    Disconnected,
    HidupsError,
    ProtocolError,
    TransportError,
    TransportTimeout,
)
from hidups.hid2nut import serial_over_hid
from hidups.usages import NUT_STANDARD, STANDARD, UsageTable

if TYPE_CHECKING:
    from hidups.hid2nut.generate import DumpPath
    from hidups.hid2nut.subdriver import Subdriver
    from hidups.transport.base import Transport

log = logging.getLogger(__name__)

#: What replaces a serial number under ``--redact``.
REDACTED = "REDACTED"
#: Report types explore reads with GET_REPORT (Output reports cannot be read).
READ_TYPES = (ReportType.FEATURE, ReportType.INPUT)


# --- command line ---------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--from", dest="from_capture", metavar="CAPTURE",
                        help="analyse a capture file (hidups, shared JSON, NUT debug log) "
                             "instead of a device")
    parser.add_argument("-o", "--output", metavar="FILE",
                        help="write the capture (hidups format) to FILE")
    parser.add_argument("--listen", type=float, default=0.0, metavar="SECONDS",
                        help="also record interrupt reports for SECONDS (default 0)")
    parser.add_argument("-x", dest="options", action="append", default=[],
                        metavar="NAME=VALUE",
                        help="device matching option as in ups.conf (vendorid=, productid=, "
                             "serial=, bus=, port=, backend=...); repeatable")
    parser.add_argument("--redact", action="store_true",
                        help="replace serial numbers so the capture can be shared")
    parser.add_argument("--subdriver-path", metavar="DIR",
                        help="also consider the user subdrivers in DIR")
    parser.add_argument("--no-paths", action="store_true",
                        help="do not print the Path: lines")


def parse_options(pairs: Sequence[str]) -> dict[str, str]:
    """``["vendorid=051d", "pollonly"]`` → ``{"vendorid": "051d", "pollonly": ""}``."""
    options: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        name = name.strip()
        if not name:
            raise ConfigError(f"empty option name in {pair!r}", source="-x", option=pair)
        options[name] = value.strip() if sep else ""
    return options


def run(args: argparse.Namespace) -> int:
    try:
        options = parse_options(args.options)
        if args.subdriver_path:
            options["subdriver_path"] = args.subdriver_path
        if args.from_capture:
            capture = load(args.from_capture)
            if args.redact:
                capture = redact(capture)
        else:
            capture = explore_device(options, listen=args.listen, redact_serials=args.redact)
        if args.output:
            save(capture, args.output)
            print(f"capture written to {args.output}", file=sys.stderr)
        print_analysis(capture, options, out=sys.stdout, with_paths=not args.no_paths)
    except HidupsError as exc:
        print(f"hidups explore: {exc}", file=sys.stderr)
        return 1
    return 0


# --- reading a device ------------------------------------------------------------------


def explore_device(options: Mapping[str, str], *, listen: float = 0.0,
                   redact_serials: bool = False) -> Capture:
    """Open the first device ``options`` match (claimed or not) and capture it."""
    from hidups.transport import open_transport

    transport = open_transport(dict(options))
    try:
        capture = capture_transport(transport, listen=listen)
    finally:
        transport.close()
    return redact(capture) if redact_serials else capture


def capture_transport(transport: Transport, *, listen: float = 0.0,
                      clock: Callable[[], float] = time.monotonic) -> Capture:
    """Everything a driver could read from an opened transport, as a Capture.

    Every Feature and Input report of the descriptor is read once with GET_REPORT; a
    stall is recorded (in ``meta["stalls"]``) rather than fatal, since NUT carries on
    past one too. Then interrupt reports are recorded for ``listen`` seconds.
    """
    start = clock()
    info = transport.info
    raw = transport.report_descriptor()
    desc, problem = parse_or_none(raw)
    capture = Capture(device=info, descriptor=raw, source=f"hidups explore of {info.vidpid}",
                      usb=usb_layout_of(transport))
    if problem:
        capture.notes = f"report descriptor does not parse: {problem}"
    stalls: list[dict[str, object]] = []
    for (rtype, rid), length in readable_reports(raw, desc):
        try:
            data = transport.get_report(rtype, rid, length)
        except (ProtocolError, TransportTimeout) as exc:
            stalls.append({"type": rtype.nut_name.lower(), "id": rid, "error": str(exc)})
            continue
        short = len(data) < length
        capture.reports.append(ReportRecord(
            report_type=rtype, report_id=rid, data=bytes(data), t=round(clock() - start, 3),
            kind=ReportKind.SHORT if short else ReportKind.GET,
            expected_len=length if short else None,
        ))
    if stalls:
        capture.meta["stalls"] = stalls
    capture.strings = read_strings(transport, capture, desc)
    capture.interrupts = listen_interrupts(transport, listen, start, clock)
    return capture


def usb_layout_of(transport: Transport) -> UsbLayout:
    """Interface numbers and string indexes of the opened device, where the backend
    knows them: a replayed capture carries its own; pyusb has the USB descriptors.
    Other backends (hidapi) hide them: zeros, and strings come from the identity."""
    layout = getattr(transport, "usb_layout", None)
    if isinstance(layout, UsbLayout):
        return layout
    capture = getattr(getattr(transport, "device", None), "capture", None)
    if isinstance(capture, Capture):
        return dataclasses.replace(capture.usb)
    dev = getattr(transport, "dev", None)
    params = getattr(transport, "params", None)
    if dev is None or params is None:
        return UsbLayout()
    return UsbLayout(
        interface=int(getattr(params, "interface", 0)),
        ep_in=int(getattr(params, "ep_in", 1)),
        ep_out=int(getattr(params, "ep_out", 1)),
        descriptor_index=int(getattr(params, "desc_index", 0)),
        imanufacturer=int(getattr(dev, "iManufacturer", 0) or 0),
        iproduct=int(getattr(dev, "iProduct", 0) or 0),
        iserial=int(getattr(dev, "iSerialNumber", 0) or 0),
    )


def parse_or_none(raw: bytes) -> tuple[ReportDescriptor | None, str | None]:
    """The parsed descriptor, or ``None`` and the parser's complaint."""
    try:
        return ReportDescriptor.from_bytes(raw), None
    except DescriptorError as exc:
        return None, str(exc)


def readable_reports(raw: bytes, desc: ReportDescriptor | None
                     ) -> list[tuple[tuple[ReportType, int], int]]:
    """(type, id) → GET_REPORT length (ID byte included) of every readable report."""
    if desc is not None:
        return [((rtype, rid), report.byte_length + 1)
                for rtype in READ_TYPES for (kind, rid), report in sorted(desc.reports.items())
                if kind == rtype]
    from hidups.descriptor.layout import walk_layout

    try:
        layout = walk_layout(raw)
    except DescriptorError:
        return []
    return [((rtype, rid), (bits + 7) // 8 + 1)
            for rtype in READ_TYPES for (kind, rid), bits in sorted(layout.report_bits.items())
            if kind == rtype]


def listen_interrupts(transport: Transport, seconds: float, start: float,
                      clock: Callable[[], float]) -> list[InterruptRecord]:
    """Interrupt-IN reports seen during ``seconds``."""
    seen: list[InterruptRecord] = []
    deadline = clock() + max(seconds, 0.0)
    while clock() < deadline:
        try:
            data = transport.read_interrupt(min(1.0, max(deadline - clock(), 0.01)))
        except Disconnected:
            raise
        except TransportError as exc:
            log.debug("interrupt read failed: %s", exc)
            continue
        if data:
            seen.append(InterruptRecord(t=round(clock() - start, 3), data=bytes(data)))
    return seen


def string_indexes(capture: Capture, desc: ReportDescriptor | None) -> list[int]:
    """String indexes worth reading: the device descriptor's and every index a
    string-index usage (iManufacturer, iDeviceChemistry, ...) holds right now."""
    wanted = {i for i in (capture.usb.imanufacturer, capture.usb.iproduct,
                          capture.usb.iserial) if i}
    if desc is not None:
        wanted.update(index for _, index in string_index_values(capture, desc))
    return sorted(i for i in wanted if 0 < i < 256)


def read_strings(transport: Transport, capture: Capture,
                 desc: ReportDescriptor | None) -> dict[int, str]:
    strings: dict[int, str] = {}
    for index in string_indexes(capture, desc):
        try:
            text = transport.get_string(index)
        except (ProtocolError, TransportTimeout) as exc:
            log.debug("string %d unreadable: %s", index, exc)
            continue
        if text is not None:
            strings[index] = text
    return strings


# --- string-index usages and redaction ----------------------------------------------------


def string_index_usages() -> set[int]:
    """Usages whose value is a USB string index.

    The standard ones are the ``i...`` names of the Power Device and Battery System
    pages; vendor ones are learned from the built-in tables (rows converted with the
    shared string-index conversion), not listed by hand.
    """
    from hidups.hid2nut.lookups import STRINGID_CONVERSION

    standard = standard_usages()
    codes = {code for name, code in _all_names(standard) if _is_string_name(name)}
    for sub in builtin_subdrivers():
        names = sub.usages.chained(standard)
        for row in sub.hid2nut:
            if row.lookup is STRINGID_CONVERSION and row.path:
                last = row.path.rsplit(".", 1)[-1]
                code = names.code(last)
                if code is not None:
                    codes.add(code)
    return codes


def serial_usages() -> set[int]:
    """Usages that hold the string index of a serial number (iSerialNumber)."""
    standard = standard_usages()
    return {code for name, code in _all_names(standard) if name.lower() == "iserialnumber"}


def _is_string_name(name: str) -> bool:
    return len(name) > 1 and name[0] == "i" and name[1].isupper()


def _all_names(table: UsageTable) -> Iterable[tuple[str, int]]:
    """Every (name, code) of a UsageTable chain."""
    current: UsageTable | None = table
    while current is not None:
        yield from current.items()
        current = current.chain


def string_index_values(capture: Capture, desc: ReportDescriptor
                        ) -> list[tuple[int, int]]:
    """(usage, string index) for every string-index field readable in the reports."""
    from hidups.codec import read_value

    usages = string_index_usages()
    reports = capture.initial_reports()
    found: list[tuple[int, int]] = []
    for fld in desc.fields:
        if fld.usage not in usages:
            continue
        data = reports.get((fld.report_type, fld.report_id))
        if data is None:
            continue
        try:
            value = int(read_value(fld, data))
        except (ValueError, IndexError):
            continue
        if value > 0:
            found.append((fld.usage, value))
    return found


def redact(capture: Capture) -> Capture:
    """A copy with every serial number replaced: the device's serial string, its USB
    string, and the strings iSerialNumber usages point at."""
    serials: set[int] = {capture.usb.iserial} if capture.usb.iserial else set()
    desc, _ = parse_or_none(capture.descriptor) if capture.descriptor else (None, None)
    if desc is not None:
        wanted = serial_usages()
        serials.update(index for usage, index in string_index_values(capture, desc)
                       if usage in wanted)
    serial_text = capture.device.serial
    strings = {
        index: (REDACTED if index in serials or (serial_text and text == serial_text)
                else text)
        for index, text in capture.strings.items()
    }
    device = capture.device
    if device.serial:
        device = dataclasses.replace(device, serial=REDACTED)
    nut = dict(capture.nut)
    if serial_text and isinstance(nut.get("upsc"), dict):
        nut["upsc"] = {k: (REDACTED if v == serial_text else v) for k, v in nut["upsc"].items()}
    notes = capture.notes
    if serial_text:
        notes = notes.replace(serial_text, REDACTED)
    return dataclasses.replace(capture, device=device, strings=strings, nut=nut, notes=notes)


# --- loading and saving --------------------------------------------------------------------


def load(path: str) -> Capture:
    from hidups.capture import load_capture

    capture: Capture = load_capture(path)
    return capture


def save(capture: Capture, path: str) -> None:
    from hidups.capture import save_capture

    save_capture(capture, path)


# --- analysis ------------------------------------------------------------------------------


def standard_usages() -> UsageTable:
    """The standard names: NUT's, plus the specification's names NUT lacks."""
    return STANDARD


def builtin_subdrivers() -> list[Subdriver]:
    """The built-in subdrivers in the registry's order (the explore stub left out)."""
    from hidups.hid2nut.registry import EXPLORE, builtin_subdrivers

    return [sub for sub in builtin_subdrivers() if sub is not EXPLORE]


@dataclass(slots=True)
class Coverage:
    """What a subdriver maps of a device: path text → the NUT names it feeds."""

    subdriver: str
    mapped: dict[str, list[str]] = field(default_factory=dict)
    unmapped: list[str] = field(default_factory=list)


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


def reports_by_id(capture: Capture) -> dict[int, bytes]:
    """Report bytes keyed by report ID, Feature answers first: NUT reads every report
    with GET_REPORT(Feature) and decodes Input elements from the same buffer."""
    ordered = sorted(capture.reports, key=lambda r: r.report_type != ReportType.FEATURE)
    found: dict[int, bytes] = {}
    for record in ordered:
        if record.data:
            found.setdefault(record.report_id, record.data)
    return found


def descriptor_lines(raw: bytes) -> list[str]:
    """NUT's ``-DDD`` descriptor dump (``Report Descriptor: (N bytes) => ...`` and
    continuation lines), so the printed dump alone is enough to regenerate everything."""
    head, rest = raw[:14], raw[14:]
    lines = [f"Report Descriptor: ({len(raw)} bytes) => {head.hex(' ')}"]
    lines += [" " + rest[i:i + 24].hex(" ") for i in range(0, len(rest), 24)]
    return lines


def nut_path_lines(capture: Capture, desc: ReportDescriptor | None) -> list[str]:
    """NUT's ``Path: ..., Value: ...`` lines (standard names only, as NUT's explore):
    computed by ``describe`` when we have the descriptor, otherwise the lines the
    capture's source printed."""
    if desc is None:
        return [str(line) for line in capture.nut.get("path_lines") or []]
    from hidups.tools import describe

    return list(describe.path_lines(desc, NUT_STANDARD, reports_by_id(capture),
                                    capture.device))


def choose_subdriver(capture: Capture, options: Mapping[str, str]
                     ) -> tuple[Subdriver | None, str]:
    """The subdriver the driver would use for this device, and the registry's reason
    (the ``explore`` flag itself is left out: it would pick the empty explore table)."""
    from hidups.hid2nut.registry import select_subdriver

    wanted = {k: v for k, v in options.items() if k != "explore"}
    try:
        chosen = select_subdriver(capture.device, wanted, capture.descriptor)
    except HidupsError as exc:
        return None, str(exc)
    return chosen.subdriver, chosen.reason


def print_analysis(capture: Capture, options: Mapping[str, str], *, out: TextIO,
                   with_paths: bool = True) -> None:
    """Print the NUT-compatible dump, then what hidups would make of the device."""
    desc, problem = parse_or_none(capture.descriptor) if capture.descriptor else (None, None)
    for line in identity_lines(capture.device):
        print(line, file=out)
    if capture.descriptor is not None:
        print(f"Report Descriptor size = {len(capture.descriptor)}", file=out)
        for line in descriptor_lines(capture.descriptor):
            print(line, file=out)
    if problem:
        print(f"Report descriptor does not parse: {problem}", file=out)
    if desc is not None:
        print(f"{len(desc.fields)} HID objects found", file=out)
    if with_paths:
        for line in nut_path_lines(capture, desc):
            print(line, file=out)
    print("", file=out)
    for line in analysis_lines(capture, desc, options):
        print(line, file=out)


def analysis_lines(capture: Capture, desc: ReportDescriptor | None,
                   options: Mapping[str, str]) -> list[str]:
    """The hidups part of the report, after the NUT-compatible dump."""
    lines: list[str] = []
    if capture.descriptor is not None:
        verdict = serial_over_hid.assess(capture.descriptor, capture.device, desc)
        lines += serial_over_hid.explain(capture.device, verdict)
        if verdict.kind is serial_over_hid.Kind.SERIAL_OVER_HID:
            return lines
        if lines:
            lines.append("")
    for stall in capture.meta.get("stalls") or []:
        if isinstance(stall, dict):
            lines.append(f"GET_REPORT stalled: {stall.get('type')} report {stall.get('id')}"
                         f" ({stall.get('error')})")
    sub, why = choose_subdriver(capture, options)
    if sub is None:
        lines.append(f"No subdriver claims {capture.device.vidpid}: {why}")
        lines.append("Write one with: hidups gen-subdriver CAPTURE --name Name "
                     "-o ~/.config/hidups/subdrivers/name.py")
        return lines
    lines.append(f"Subdriver: {sub.full_name}" + (f" ({why})" if why else ""))
    coverage = subdriver_coverage(capture, desc, sub)
    lines.append(f"Mapped paths: {len(coverage.mapped)}")
    for path, names in coverage.mapped.items():
        lines.append(f"  {path} -> {', '.join(names)}")
    lines.append(f"Unmapped paths: {len(coverage.unmapped)}")
    for path in coverage.unmapped:
        lines.append(f"  {path}")
    return lines


def subdriver_coverage(capture: Capture, desc: ReportDescriptor | None,
                       sub: Subdriver) -> Coverage:
    """Which of the device's paths ``sub``'s rows read, and which none does."""
    from hidups.hid2nut import generate

    names = sub.usages.chained(standard_usages())
    paths, _ = device_paths(capture, desc)
    by_nodes: dict[tuple[int, ...], list[str]] = {}
    for row in sub.hid2nut:
        if row.path is None:
            continue
        nodes = generate.parse_dump_path(row.path, names)
        if nodes is not None:
            by_nodes.setdefault(nodes, []).append(row.name)
    coverage = Coverage(sub.full_name)
    for dump in paths:
        if dump.nodes in by_nodes:
            coverage.mapped[dump.text] = sorted(set(by_nodes[dump.nodes]))
        else:
            coverage.unmapped.append(dump.text)
    return coverage


def device_paths(capture: Capture, desc: ReportDescriptor | None
                 ) -> tuple[list[DumpPath], list[str]]:
    """The device's distinct usage paths (spelled as NUT's explore spells them), and
    the dump's paths that could not be read: from the descriptor when there is one
    (minus the elements NUT's dump leaves out, such as Eaton's reports 254/255, which
    need special handling), else from the ``Path:`` lines the capture's source printed."""
    from hidups.hid2nut import generate

    if desc is not None:
        from hidups.tools.describe import skipped_by_nut

        fields = [f for f in desc.fields if not skipped_by_nut(f, capture.device)]
        return generate.descriptor_paths(fields, NUT_STANDARD), []
    texts = []
    for line in capture.nut.get("path_lines") or []:
        text = str(line)
        start = text.find("Path: ")
        if start >= 0:
            texts.append(text[start + 6:].split(",", 1)[0])
    return generate.dump_paths(texts, generate.known_names(standard_usages(),
                                                           builtin_subdrivers()))


# --- driver mode (-x explore) --------------------------------------------------------------


def explore_in_driver(transport: Transport, options: Mapping[str, str], *,
                      out: TextIO | None = None) -> int:
    """What the driver runs for ``-x explore``: dump the opened device and stop.

    Options it honours: ``explore_output=FILE`` (save the capture), ``listen=SECONDS``,
    ``redact``.
    """
    listen = float(options.get("listen", "0") or 0)
    capture = capture_transport(transport, listen=listen)
    if "redact" in options:
        capture = redact(capture)
    if options.get("explore_output"):
        save(capture, options["explore_output"])
    print_analysis(capture, options, out=out or sys.stdout)
    return 0
