"""Converter from NUT ``usbhid-ups`` debug output (``-DDD`` and up) to a :class:`Capture`.

What is read, whatever wraps it: NUT's own ``   0.045519\\t[D3] `` timestamps and
debug tags, syslog prefixes, the ``# `` of nut-ddl ``.dev`` files, ``> `` mail quotes
and ``#011`` tab escapes are stripped first. Then:

* ``Report Descriptor: (N bytes) => ..`` and its continuation lines (hex only), until
  N bytes are collected; or a hid-recorder ``R: N ..`` line;
* the identity block (``- VendorID: 051d`` ... ``- Device release number: 0100``) of
  the device NUT matched;
* ``Path: ...`` lines (first occurrence of each field, as in the shared corpus);
* ``Report[get]`` answers (kept with their timestamp whenever the bytes change),
  ``Report[err]`` short answers (with NUT's ``expected N bytes``), ``Report[int]``
  interrupt transfers;
* ``Using subdriver: ...`` and a ``name: value`` variable dump (``-d`` / upsc).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from hidups.capture.model import (
    Capture,
    InterruptRecord,
    ReportKind,
    ReportRecord,
    UsbLayout,
)
from hidups.capture.shared_json import STRING_FROM_UPSC, assign_string_indices, string_index_values
from hidups.descriptor.layout import walk_layout
from hidups.descriptor.model import ReportType
from hidups.device import DeviceInfo
from hidups.errors import CaptureError, DescriptorError

_PREFIXES = (
    re.compile(r"^\s*#(?!011)"),  # nut-ddl comment
    re.compile(r"^\s*>+"),  # mail quote
    re.compile(r"^\s*[A-Z][a-z]{2}\s+\d+\s+[\d:]+\s+\S+\s+[\w.\-]+(\[\d+\])?:"),  # syslog
    re.compile(r"^\s*#011"),  # syslog's escaped tab
    re.compile(r"^\s*\[D\d+(:\d+)?\]"),  # NUT debug level tag
)
_TIMESTAMP = re.compile(r"^\s*(\d+\.\d+)(?:#011|\t|\s)")
_DESCRIPTOR = re.compile(r"Report Descriptor: \((\d+) bytes\) =>(.*)$")
_RECORDER = re.compile(r"^\s*R:\s*(\d+)\s+((?:[0-9a-fA-F]{2}\s*)+)$")
_REPORT = re.compile(r"Report\[(get|err|int|buf|set)\]: \((\d+) bytes\) =>(.*)$")
_EXPECTED = re.compile(r"expected (\d+) bytes, but got (\d+) instead")
_PATH = re.compile(r"Path: [^,]+, Type: \w+, ReportID: 0x[0-9a-fA-F]+, Offset: \d+, "
                   r"Size: \d+, Value: \S+")
_SUBDRIVER = re.compile(r"Using subdriver: (.+?)\s*$")
_NUT_VERSION = re.compile(r"Generic HID driver [\d.]+ \(([^)]+)\)")
_VARIABLE = re.compile(r"^((?:battery|device|driver|input|output|ups|outlet|ambient)"
                       r"\.[A-Za-z0-9_.]+): ?(.*)$")
_IDENTITY = {
    "vendorid": re.compile(r"^- VendorID: ([0-9a-fA-F]{4})"),
    "productid": re.compile(r"^- ProductID: ([0-9a-fA-F]{4})"),
    "manufacturer": re.compile(r"^- Manufacturer: (.*?)\s*$"),
    "product": re.compile(r"^- Product: (.*?)\s*$"),
    "serial": re.compile(r"^- Serial Number: (.*?)\s*$"),
    "bus": re.compile(r"^- Bus: (\d+)"),
    "device": re.compile(r"^- Device: (\d+)"),
    "bcd": re.compile(r"^- Device release number: ([0-9a-fA-F]{4})"),
}
#: NUT prints this for a string the device does not have.
_NO_STRING = "unknown"
#: Report[err] dumps longer than this are interrupt-buffer noise, not short answers.
_MAX_SHORT_ANSWER = 64


@dataclass(slots=True)
class _Line:
    number: int
    t: float | None
    text: str  # prefixes stripped


def _strip(raw: str) -> tuple[float | None, str]:
    """(NUT timestamp or None, the payload of a log line)."""
    text = raw.rstrip("\r\n")
    t = None
    previous = None
    while previous != text:
        previous = text
        for prefix in _PREFIXES:
            m = prefix.match(text)
            if m:
                text = text[m.end():]
        m = _TIMESTAMP.match(text)
        if m:
            t = float(m.group(1))
            text = text[m.end():]
    return t, text.strip()


def _hex_tokens(text: str) -> list[int] | None:
    tokens = text.split()
    if not tokens or any(len(tok) != 2 for tok in tokens):
        return None
    try:
        return [int(tok, 16) for tok in tokens]
    except ValueError:
        return None


def _lines(text: str) -> list[_Line]:
    out = []
    for number, raw in enumerate(text.splitlines(), 1):
        t, payload = _strip(raw)
        out.append(_Line(number, t, payload))
    return out


def _collect_hex(lines: list[_Line], start: int, first: str, wanted: int) -> bytes:
    """Hex from ``first`` plus continuation lines until ``wanted`` bytes are read."""
    data = _hex_tokens(first) or []
    j = start + 1
    while len(data) < wanted and j < len(lines):
        more = _hex_tokens(lines[j].text)
        if more is None:
            break
        data.extend(more)
        j += 1
    return bytes(data)


def _descriptor(lines: list[_Line]) -> tuple[bytes | None, str, str | None]:
    """The last complete descriptor dump (else the longest partial one), its kind, and
    for a partial one a note saying where it stops (a log cut short, or a hex line
    that is not hex: either way the converted capture must say so)."""
    best: tuple[bool, int, bytes, str] | None = None
    short_note: str | None = None
    for i, line in enumerate(lines):
        m = _DESCRIPTOR.search(line.text)
        recorder = _RECORDER.match(line.text)
        if m:
            wanted = int(m.group(1))
            data = _collect_hex(lines, i, m.group(2), wanted)
            kind = "nut-hexdump"
        elif recorder:
            wanted = int(recorder.group(1))
            data = bytes(int(tok, 16) for tok in recorder.group(2).split())
            kind = "hid-recorder"
        else:
            continue
        candidate = (len(data) == wanted, len(data), data[:wanted], kind)
        if best is None or candidate[:2] >= best[:2]:
            best = candidate
            short_note = None if candidate[0] else (
                f"line {line.number}: the report descriptor is stated as {wanted} bytes, "
                f"only {len(data)} follow as hex; the capture keeps those")
    if best is None:
        return None, "", None
    return best[2], best[3], short_note


def _identity_blocks(lines: list[_Line]) -> Iterator[dict[str, Any]]:
    block: dict[str, Any] | None = None
    for line in lines:
        m = _IDENTITY["vendorid"].match(line.text)
        if m:
            if block is not None:
                yield block
            block = {"vendorid": m.group(1)}
            continue
        if block is None:
            continue
        for key, pattern in _IDENTITY.items():
            m = pattern.match(line.text)
            if m and key not in block:
                block[key] = m.group(1)
        if "Device matches" in line.text:
            block["matched"] = True
    if block is not None:
        yield block


_RECORDER_ID = re.compile(r"^I:\s*[0-9a-fA-F]+\s+([0-9a-fA-F]{1,4})\s+([0-9a-fA-F]{1,4})\s*$")
_RECORDER_NAME = re.compile(r"^N:\s*(.+?)\s*$")


def _identity(lines: list[_Line]) -> dict[str, Any]:
    """NUT's identity block of the matched device, else hid-recorder's I:/N: lines."""
    blocks = list(_identity_blocks(lines))
    matched = [b for b in blocks if b.get("matched")]
    if matched:
        return matched[-1]
    if blocks:
        return blocks[-1]
    found: dict[str, Any] = {}
    for line in lines:
        m = _RECORDER_ID.match(line.text)
        if m and "vendorid" not in found:
            found.update(vendorid=m.group(1), productid=m.group(2))
        m = _RECORDER_NAME.match(line.text)
        if m and "product" not in found:
            found["product"] = m.group(1)
    return found


def _reports(lines: list[_Line], input_lengths: dict[int, int]
             ) -> tuple[list[ReportRecord], list[InterruptRecord]]:
    reports: list[ReportRecord] = []
    interrupts: list[InterruptRecord] = []
    last: dict[int, bytes] = {}
    for i, line in enumerate(lines):
        m = _REPORT.search(line.text)
        if not m or m.group(1) in ("buf", "set"):
            continue
        kind_name, size = m.group(1), int(m.group(2))
        data = _collect_hex(lines, i, m.group(3), size)
        if len(data) != size or not data:
            continue
        if kind_name == "int":
            wanted = input_lengths.get(data[0])
            if wanted is not None and 1 < wanted < len(data):
                data = data[:wanted]
            interrupts.append(InterruptRecord(t=line.t or 0.0, data=data))
            continue
        if kind_name == "err" and size > _MAX_SHORT_ANSWER:
            continue
        if last.get(data[0]) == data:
            continue
        last[data[0]] = data
        record = ReportRecord(report_type=ReportType.FEATURE, report_id=data[0], data=data,
                              t=line.t)
        if kind_name == "err":
            record.kind = ReportKind.SHORT
            for k in range(i - 1, max(i - 3, -1), -1):
                expected = _EXPECTED.search(lines[k].text)
                if expected:
                    record.expected_len = int(expected.group(1))
                    break
        reports.append(record)
    return reports, interrupts


def _path_lines(lines: list[_Line]) -> list[str]:
    seen: set[str] = set()
    out = []
    for line in lines:
        m = _PATH.search(line.text)
        if not m:
            continue
        text = m.group(0)
        key = text.rsplit(", Value:", 1)[0]
        if key not in seen:
            seen.add(key)
            out.append(text)
    return out


def _variables(lines: list[_Line]) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in lines:
        m = _VARIABLE.match(line.text)
        if m:
            out.setdefault(m.group(1), m.group(2))
    return out


def _last_match(lines: list[_Line], pattern: re.Pattern[str]) -> str | None:
    found = None
    for line in lines:
        m = pattern.search(line.text)
        if m:
            found = m.group(1)
    return found


def _string(block: dict[str, Any], key: str) -> str | None:
    value = block.get(key)
    return None if value in (None, _NO_STRING) else str(value)


def capture_from_nut_log(text: str, source: str = "<NUT log>") -> Capture:
    """Convert a NUT debug log; CaptureError when it holds no report descriptor."""
    lines = _lines(text)
    descriptor, descriptor_kind, short_note = _descriptor(lines)
    if descriptor is None:
        raise CaptureError("no 'Report Descriptor: (N bytes) =>' or 'R:' line found "
                           "(NUT logs need debug level 3: -DDD)", source=source)
    input_lengths: dict[int, int] = {}
    try:
        layout = walk_layout(descriptor)
        input_lengths = {rid: (bits + 7) // 8 + 1 for (rtype, rid), bits
                         in layout.report_bits.items() if rtype is ReportType.INPUT}
    except DescriptorError:
        pass
    block = _identity(lines)
    if "vendorid" not in block:
        raise CaptureError("no '- VendorID:' identity block found", source=source)
    path_lines = _path_lines(lines)
    variables = _variables(lines)
    roles = {"manufacturer": _string(block, "manufacturer"),
             "product": _string(block, "product"), "serial": _string(block, "serial")}
    learned = string_index_values(path_lines)
    indices, notes = assign_string_indices(roles, learned)
    strings = {indices[role]: value for role, value in roles.items()
               if value is not None and role in indices}
    for usage, variable in STRING_FROM_UPSC.items():
        index = learned.get(usage)
        if index and index not in strings and variable in variables:
            strings[index] = variables[variable]
            notes.append(f"string {index} ({usage}) from {variable}")
    info = DeviceInfo(
        vendor_id=int(block["vendorid"], 16),
        product_id=int(block.get("productid", "0"), 16),
        manufacturer=roles["manufacturer"], product=roles["product"], serial=roles["serial"],
        bus=int(block.get("bus", 0)), address=int(block.get("device", 0)),
        bcd_device=int(block.get("bcd", "0"), 16),
    )
    reports, interrupts = _reports(lines, input_lengths)
    meta: dict[str, Any] = {"converted_from": "nut-log", "descriptor_format": descriptor_kind}
    if short_note:
        notes.append(short_note)  # kept in meta["conversion_notes"]
    if notes:
        meta["conversion_notes"] = notes
    return Capture(
        device=info, descriptor=descriptor, source=source, strings=strings,
        usb=UsbLayout(imanufacturer=indices.get("manufacturer", 0),
                      iproduct=indices.get("product", 0), iserial=indices.get("serial", 0)),
        reports=reports, interrupts=interrupts,
        nut={"subdriver": _last_match(lines, _SUBDRIVER),
             "version": _last_match(lines, _NUT_VERSION),
             "path_lines": path_lines, "upsc": variables},
        meta=meta,
    )
