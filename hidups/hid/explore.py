"""Recording a HID device as a replayable capture, and the driver's ``-x explore`` mode.

Everything a driver could read is read once (identity, strings, report descriptor,
every Feature and Input report, interrupt reports for a while) so a device nobody
supports can be replayed (``port=replay:``), analysed and given a subdriver without
the hardware. It is HID-specific (GET_REPORT per descriptor report, string-index
usages), so it lives at the HID device-protocol layer; ``hidups explore`` and the
driver's ``-x explore`` both call it.
"""

from __future__ import annotations

import dataclasses
import logging
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from typing import TextIO

from hidups.capture import (
    Capture,
    InterruptRecord,
    ReportKind,
    ReportRecord,
    UsbLayout,
    save_capture,
)
from hidups.codec import read_value
from hidups.descriptor.layout import walk_layout
from hidups.descriptor.model import ReportDescriptor, ReportType
from hidups.errors import (
    DescriptorError,
    Disconnected,
    ProtocolError,
    TransportError,
    TransportTimeout,
)
from hidups.hid.analysis import analysis_report, builtin_subdrivers, parse_or_none
from hidups.hid2nut.lookups import STRINGID_CONVERSION
from hidups.transport import open_transport
from hidups.transport.base import Transport
from hidups.usages import STANDARD, UsageTable

log = logging.getLogger(__name__)

#: What replaces a serial number under ``--redact``.
REDACTED = "REDACTED"
#: Report types explore reads with GET_REPORT (Output reports cannot be read).
READ_TYPES = (ReportType.FEATURE, ReportType.INPUT)


# --- reading a device ------------------------------------------------------------------


def explore_device(options: Mapping[str, str], *, listen: float = 0.0,
                   redact_serials: bool = False) -> Capture:
    """Open the first device ``options`` match (claimed or not) and capture it."""
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


def readable_reports(raw: bytes, desc: ReportDescriptor | None
                     ) -> list[tuple[tuple[ReportType, int], int]]:
    """(type, id) → GET_REPORT length (ID byte included) of every readable report."""
    if desc is not None:
        return [((rtype, rid), report.byte_length + 1)
                for rtype in READ_TYPES for (kind, rid), report in sorted(desc.reports.items())
                if kind == rtype]
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
    codes = {code for name, code in _all_names(STANDARD) if _is_string_name(name)}
    for sub in builtin_subdrivers():
        names = sub.usages.chained(STANDARD)
        for row in sub.hid2nut:
            if row.lookup is STRINGID_CONVERSION and row.path:
                last = row.path.rsplit(".", 1)[-1]
                code = names.code(last)
                if code is not None:
                    codes.add(code)
    return codes


def serial_usages() -> set[int]:
    """Usages that hold the string index of a serial number (iSerialNumber)."""
    return {code for name, code in _all_names(STANDARD) if name.lower() == "iserialnumber"}


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
        save_capture(capture, options["explore_output"])
    stream = out or sys.stdout
    for line in analysis_report(capture, options):
        print(line, file=stream)
    return 0
