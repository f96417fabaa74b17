"""The hidups capture file: versioned JSON, one item per line (docs/capture-format.md).

JSON because every tool and language reads it and because ``json`` validates the
syntax for us; one item per line (a report, an event, 16 descriptor bytes) so that a
``git diff`` of two captures shows which report changed, and ``grep`` finds it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hidups.capture.model import (
    Capture,
    Event,
    EventAction,
    InterruptRecord,
    ReportKind,
    ReportRecord,
    UsbLayout,
)
from hidups.descriptor.model import ReportType
from hidups.device import DeviceInfo
from hidups.errors import CaptureError

FORMAT_NAME = "hidups-capture"
FORMAT_VERSION = 1
DESCRIPTOR_BYTES_PER_LINE = 16

_TYPE_NAMES = {ReportType.INPUT: "input", ReportType.OUTPUT: "output",
               ReportType.FEATURE: "feature"}
_TYPES_BY_NAME = {name: rtype for rtype, name in _TYPE_NAMES.items()}
_HEX_PAIRS = re.compile(r"^\s*(?:[0-9a-fA-F]{2}\s*)*$")


# --- hex helpers ---------------------------------------------------------------------


def hex_bytes(data: bytes) -> str:
    """``b"\\x05\\x84"`` → ``"05 84"``."""
    return data.hex(" ")


def parse_hex(text: str, *, source: str | None = None, where: str | None = None,
              line: int | None = None) -> bytes:
    """``"05 84"`` (or ``"0584"``) → bytes; CaptureError naming ``where`` otherwise."""
    compact = "".join(text.split())
    if len(compact) % 2 or not _HEX_PAIRS.match(text.replace(" ", "")):
        raise CaptureError(f"{where or 'value'}: not hex byte pairs: {text[:40]!r}",
                           source=source, line=line, option=where)
    return bytes.fromhex(compact)


def type_name(report_type: ReportType) -> str:
    return _TYPE_NAMES[report_type]


def parse_type(name: str, *, source: str | None = None, where: str | None = None,
               line: int | None = None) -> ReportType:
    try:
        return _TYPES_BY_NAME[name.lower()]
    except (KeyError, AttributeError):
        raise CaptureError(f"{where}: report type must be input, output or feature, "
                           f"not {name!r}", source=source, line=line, option=where) from None


# --- writing ---------------------------------------------------------------------------


def _report_json(record: ReportRecord) -> dict[str, Any]:
    item: dict[str, Any] = {}
    if record.t is not None:
        item["t"] = record.t
    item.update(type=type_name(record.report_type), id=record.report_id,
                data=hex_bytes(record.data))
    if record.kind is not ReportKind.GET:
        item["kind"] = record.kind.value
    if record.expected_len is not None:
        item["expected_len"] = record.expected_len
    if record.note:
        item["note"] = record.note
    return item


def _interrupt_json(record: InterruptRecord) -> dict[str, Any]:
    item: dict[str, Any] = {"t": record.t, "data": hex_bytes(record.data)}
    if record.note:
        item["note"] = record.note
    return item


def _event_json(event: Event) -> dict[str, Any]:
    item: dict[str, Any] = {"t": event.t, "action": event.action.value}
    if event.report_type is not None:
        item["type"] = type_name(event.report_type)
    if event.report_id is not None:
        item["id"] = event.report_id
    if event.data is not None:
        item["data"] = hex_bytes(event.data)
    if event.note:
        item["note"] = event.note
    return item


def capture_to_json(capture: Capture) -> dict[str, Any]:
    """The capture as the JSON document (before layout)."""
    info = capture.device
    device: dict[str, Any] = {
        "vendor_id": f"{info.vendor_id:04x}",
        "product_id": f"{info.product_id:04x}",
        "bcd_device": f"{info.bcd_device:04x}",
        "manufacturer": info.manufacturer,
        "product": info.product,
        "serial": info.serial,
        "bus": info.bus,
        "address": info.address,
        "port_path": info.port_path,
    }
    usb = capture.usb
    device.update(interface=usb.interface, ep_in=usb.ep_in, ep_out=usb.ep_out,
                  descriptor_index=usb.descriptor_index, imanufacturer=usb.imanufacturer,
                  iproduct=usb.iproduct, iserial=usb.iserial)
    descriptor = None
    if capture.descriptor is not None:
        raw = capture.descriptor
        descriptor = [hex_bytes(raw[i:i + DESCRIPTOR_BYTES_PER_LINE])
                      for i in range(0, len(raw), DESCRIPTOR_BYTES_PER_LINE)]
    return {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "source": capture.source,
        "notes": capture.notes,
        "device": device,
        "strings": {str(index): text for index, text in sorted(capture.strings.items())},
        "report_descriptor": descriptor,
        "reports": [_report_json(r) for r in capture.reports],
        "interrupts": [_interrupt_json(r) for r in capture.interrupts],
        "events": [_event_json(e) for e in capture.events],
        "nut": capture.nut,
        "meta": capture.meta,
    }


def _dump(value: Any, indent: int, depth: int) -> str:
    """Containers down to depth 3 get one entry per line; list items stay on one line."""
    pad = " " * indent
    inner = " " * (indent + 2)
    if depth < 4 and isinstance(value, Mapping) and value:
        lines = [f"{inner}{json.dumps(str(k), ensure_ascii=False)}: "
                 f"{_dump(v, indent + 2, depth + 1)}" for k, v in value.items()]
        return "{\n" + ",\n".join(lines) + f"\n{pad}}}"
    if depth < 4 and isinstance(value, list) and value:
        lines = [inner + json.dumps(v, ensure_ascii=False) for v in value]
        return "[\n" + ",\n".join(lines) + f"\n{pad}]"
    return json.dumps(value, ensure_ascii=False)


def dumps_capture(capture: Capture) -> str:
    """The capture file's text."""
    return _dump(capture_to_json(capture), 0, 1) + "\n"


def save_capture(capture: Capture, path: str | Path) -> None:
    Path(path).write_text(dumps_capture(capture), encoding="utf-8")


# --- reading -----------------------------------------------------------------------


class _Reader:
    """Validates a parsed document; every error names the file, line and key."""

    def __init__(self, text: str, source: str) -> None:
        self.text_lines = text.splitlines()
        self.source = source

    def line_of(self, key: str, index: int | None = None) -> int | None:
        """Line of ``"key":`` (and of its ``index``-th list item, one per line)."""
        needle = f'"{key}":'
        for number, line in enumerate(self.text_lines, 1):
            if line.lstrip().startswith(needle):
                if index is None:
                    return number
                target = number + 1 + index
                if target <= len(self.text_lines):
                    return target
                return number
        return None

    def fail(self, message: str, key: str, index: int | None = None,
             field: str | None = None) -> CaptureError:
        where = key if index is None else f"{key}[{index}]"
        if field:
            where += f".{field}"
        return CaptureError(f"{where}: {message}", source=self.source,
                            line=self.line_of(key, index), option=where)

    def hex(self, value: Any, key: str, index: int | None = None,
            field: str | None = None) -> bytes:
        if not isinstance(value, str):
            raise self.fail("expected a hex string", key, index, field)
        try:
            return bytes.fromhex("".join(value.split()))
        except ValueError:
            raise self.fail(f"not hex byte pairs: {value[:40]!r}", key, index, field) from None

    def number(self, value: Any, key: str, index: int | None = None,
               field: str | None = None) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(f"expected a number, got {value!r}", key, index, field)
        return float(value)

    def integer(self, value: Any, key: str, index: int | None = None,
                field: str | None = None, *, low: int = 0, high: int = 0xFFFF) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise self.fail(f"expected an integer {low}..{high}, got {value!r}", key, index,
                            field)
        return value

    def rtype(self, value: Any, key: str, index: int, field: str = "type") -> ReportType:
        if not isinstance(value, str) or value.lower() not in _TYPES_BY_NAME:
            raise self.fail(f"report type must be input, output or feature, not {value!r}",
                            key, index, field)
        return _TYPES_BY_NAME[value.lower()]

    def items(self, doc: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
        value = doc.get(key) or []
        if not isinstance(value, list):
            raise self.fail("expected a list", key)
        for index, item in enumerate(value):
            if not isinstance(item, Mapping):
                raise self.fail("expected an object", key, index)
        return value

    def text(self, value: Any, key: str) -> str | None:
        if value is None or isinstance(value, str):
            return value
        raise self.fail(f"expected a string or null, got {value!r}", key)


def _hex_id(reader: _Reader, value: Any, key: str) -> int:
    if not isinstance(value, str) or not re.fullmatch(r"[0-9a-fA-F]{4}", value):
        raise reader.fail(f"expected 4 hex digits, got {value!r}", "device", field=key)
    return int(value, 16)


def _read_device(reader: _Reader, doc: Mapping[str, Any]) -> tuple[DeviceInfo, UsbLayout]:
    dev = doc.get("device")
    if not isinstance(dev, Mapping):
        raise reader.fail("missing or not an object", "device")

    def small(name: str, default: int, high: int = 255) -> int:
        return reader.integer(dev.get(name, default), "device", field=name, high=high)

    info = DeviceInfo(
        vendor_id=_hex_id(reader, dev.get("vendor_id"), "vendor_id"),
        product_id=_hex_id(reader, dev.get("product_id"), "product_id"),
        manufacturer=reader.text(dev.get("manufacturer"), "device"),
        product=reader.text(dev.get("product"), "device"),
        serial=reader.text(dev.get("serial"), "device"),
        bus=small("bus", 0),
        address=small("address", 0),
        port_path=reader.text(dev.get("port_path", ""), "device") or "",
        bcd_device=_hex_id(reader, dev.get("bcd_device", "0000"), "bcd_device"),
    )
    usb = UsbLayout(interface=small("interface", 0), ep_in=small("ep_in", 1),
                    ep_out=small("ep_out", 1), descriptor_index=small("descriptor_index", 0),
                    imanufacturer=small("imanufacturer", 0), iproduct=small("iproduct", 0),
                    iserial=small("iserial", 0))
    return info, usb


def _read_reports(reader: _Reader, doc: Mapping[str, Any]) -> list[ReportRecord]:
    out = []
    for i, item in enumerate(reader.items(doc, "reports")):
        kind_name = item.get("kind", "get")
        try:
            kind = ReportKind(kind_name)
        except ValueError:
            raise reader.fail(f"unknown kind {kind_name!r}", "reports", i, "kind") from None
        t = item.get("t")
        expected = item.get("expected_len")
        out.append(ReportRecord(
            report_type=reader.rtype(item.get("type"), "reports", i),
            report_id=reader.integer(item.get("id"), "reports", i, "id", high=255),
            data=reader.hex(item.get("data"), "reports", i, "data"),
            t=None if t is None else reader.number(t, "reports", i, "t"),
            kind=kind,
            expected_len=None if expected is None else reader.integer(
                expected, "reports", i, "expected_len"),
            note=item.get("note"),
        ))
    return out


def _read_interrupts(reader: _Reader, doc: Mapping[str, Any]) -> list[InterruptRecord]:
    return [InterruptRecord(t=reader.number(item.get("t"), "interrupts", i, "t"),
                            data=reader.hex(item.get("data"), "interrupts", i, "data"),
                            note=item.get("note"))
            for i, item in enumerate(reader.items(doc, "interrupts"))]


def _read_events(reader: _Reader, doc: Mapping[str, Any]) -> list[Event]:
    out = []
    for i, item in enumerate(reader.items(doc, "events")):
        try:
            action = EventAction(item.get("action"))
        except ValueError:
            raise reader.fail(f"unknown action {item.get('action')!r} (report, interrupt, "
                              "unplug, replug)", "events", i, "action") from None
        event = Event(t=reader.number(item.get("t"), "events", i, "t"), action=action,
                      note=item.get("note"))
        if action in (EventAction.REPORT, EventAction.INTERRUPT):
            event.data = reader.hex(item.get("data"), "events", i, "data")
        if action is EventAction.REPORT:
            event.report_type = reader.rtype(item.get("type", "feature"), "events", i)
            default_id = event.data[0] if event.data else None
            event.report_id = reader.integer(item.get("id", default_id), "events", i, "id",
                                             high=255)
        out.append(event)
    return out


def capture_from_json(doc: Mapping[str, Any], text: str = "", source: str = "<capture>"
                      ) -> Capture:
    """Build a Capture from a parsed hidups-capture document."""
    reader = _Reader(text, source)
    version = doc.get("version")
    if doc.get("format") != FORMAT_NAME:
        raise reader.fail(f"not a {FORMAT_NAME} document", "format")
    if version != FORMAT_VERSION:
        raise reader.fail(f"version {version!r} is not supported (this hidups reads "
                          f"version {FORMAT_VERSION})", "version")
    info, usb = _read_device(reader, doc)
    raw_descriptor = doc.get("report_descriptor")
    descriptor = None
    if raw_descriptor is not None:
        if isinstance(raw_descriptor, str):
            raw_descriptor = [raw_descriptor]
        if not isinstance(raw_descriptor, list):
            raise reader.fail("expected a list of hex lines", "report_descriptor")
        descriptor = b"".join(reader.hex(line, "report_descriptor", i)
                              for i, line in enumerate(raw_descriptor))
    strings_doc = doc.get("strings") or {}
    if not isinstance(strings_doc, Mapping):
        raise reader.fail("expected an object", "strings")
    strings: dict[int, str] = {}
    for key, value in strings_doc.items():
        if not str(key).isdigit() or not isinstance(value, str):
            raise reader.fail(f"entry {key!r}: expected \"index\": \"text\"", "strings")
        strings[int(key)] = value
    nut = doc.get("nut") or {}
    meta = doc.get("meta") or {}
    if not isinstance(nut, dict) or not isinstance(meta, dict):
        raise reader.fail("expected an object", "nut" if not isinstance(nut, dict) else "meta")
    return Capture(
        device=info, descriptor=descriptor, source=str(doc.get("source") or ""),
        strings=strings, usb=usb, reports=_read_reports(reader, doc),
        interrupts=_read_interrupts(reader, doc), events=_read_events(reader, doc),
        notes=str(doc.get("notes") or ""), nut=nut, meta=meta,
    )


def loads_capture(text: str, source: str = "<capture>") -> Capture:
    """Parse a hidups capture file's text."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CaptureError(f"invalid JSON: {exc.msg} (column {exc.colno})", source=source,
                           line=exc.lineno) from None
    if not isinstance(doc, Mapping):
        raise CaptureError("a capture is a JSON object", source=source, line=1)
    return capture_from_json(doc, text, source)
