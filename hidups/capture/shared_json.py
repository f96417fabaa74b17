"""Converter between the shared corpus's JSON schema and a :class:`Capture`, both ways.

The shared schema (../shared/captures/INDEX.md) records what NUT saw: the descriptor
as a hex string, raw GET_REPORT answers, NUT's ``Path:`` lines and a ``upsc`` dump.
It has no string indices, so they are learned from the ``iManufacturer``/``iProduct``/
``iSerialNumber`` Path values (the device reports its own string indices there),
falling back to the usual 1, 2, 3. Every key the capture format has no place for is
kept in ``Capture.meta`` / ``Capture.nut``, so converting back loses nothing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from hidups.capture.format import parse_hex
from hidups.capture.model import Capture, ReportKind, ReportRecord, UsbLayout
from hidups.capture.shared_schema import check_shared_document
from hidups.descriptor.model import ReportType
from hidups.device import DeviceInfo
from hidups.errors import CaptureError

#: Keys of the shared schema that map onto Capture fields (the rest go to ``meta``).
_MAPPED = frozenset({
    "vendorid", "productid", "manufacturer", "product", "serial", "bcd_device", "source",
    "descriptor_hex", "raw_reports", "notes", "nut_subdriver", "nut_version",
    "path_lines", "paths", "upsc", "upsc_truncated",
})

#: Device string role → Path leaves whose value is that string's index, best first.
#: (APC puts the manufacturer's index in iOEMInformation.)
_IDENTITY_STRING_USAGES = {
    "manufacturer": ("imanufacturer", "imanufacturername", "ioeminformation"),
    "product": ("iproduct", "idevicename"),
    "serial": ("iserialnumber",),
}

#: Path leaf → the upsc variable that shows the string it indexes.
STRING_FROM_UPSC = {
    "idevicechemistry": "battery.type",
}

_KIND_TYPES = {
    ReportKind.GET: ReportType.FEATURE,
    ReportKind.SHORT: ReportType.FEATURE,
    ReportKind.FEATURE: ReportType.FEATURE,
    ReportKind.INPUT: ReportType.INPUT,
}

_PATH_LINE = re.compile(
    r"Path: ([^,]+), Type: (\w+), ReportID: 0x([0-9a-fA-F]+), Offset: (\d+), "
    r"Size: (\d+), Value: (\S+)")


def is_shared_json(doc: Mapping[str, Any]) -> bool:
    return "descriptor_hex" in doc and "vendorid" in doc


def _parse_value(text: str) -> int | float | str:
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            return text


def paths_from_lines(lines: list[str]) -> list[dict[str, Any]]:
    """The shared schema's ``paths`` objects, rebuilt from NUT ``Path:`` lines."""
    out = []
    for line in lines:
        m = _PATH_LINE.search(line)
        if m:
            out.append({"path": m.group(1), "type": m.group(2),
                        "report_id": int(m.group(3), 16), "offset": int(m.group(4)),
                        "size": int(m.group(5)), "value": _parse_value(m.group(6))})
    return out


def string_index_values(lines: list[str]) -> dict[str, int]:
    """Lower-case leaf usage name → string index, from Path lines of iXxx usages."""
    found: dict[str, int] = {}
    for entry in paths_from_lines(lines):
        leaf = str(entry["path"]).rsplit(".", 1)[-1].lower()
        value = entry["value"]
        if leaf.startswith("i") and isinstance(value, int) and 0 < value < 256:
            found.setdefault(leaf, value)
    return found


def assign_string_indices(strings_by_role: dict[str, str | None],
                           learned: dict[str, int]) -> tuple[dict[str, int], list[str]]:
    """String index per identity role: learned from Path values, else 1, 2, 3 unused."""
    notes = []
    indices: dict[str, int] = {}
    used = set(learned.values())
    for role, usages in _IDENTITY_STRING_USAGES.items():
        if strings_by_role.get(role) is None:
            continue
        for usage in usages:
            if usage in learned and learned[usage] not in indices.values():
                indices[role] = learned[usage]
                break
    for role in ("manufacturer", "product", "serial"):
        if strings_by_role.get(role) is None or role in indices:
            continue
        candidate = 1
        while candidate in used or candidate in indices.values():
            candidate += 1
        indices[role] = candidate
        used.add(candidate)
        notes.append(f"{role} string index {candidate} assumed")
    return indices, notes


def _hex(value: Any, source: str, key: str) -> bytes:
    if not isinstance(value, str):
        raise CaptureError(f"{key}: expected a hex string", source=source, option=key)
    return parse_hex(value, source=source, where=key)


def _hex_id(value: Any, source: str, key: str) -> int:
    if not isinstance(value, str) or not re.fullmatch(r"[0-9a-fA-F]{1,4}", value):
        raise CaptureError(f"{key}: expected 4 hex digits, got {value!r}", source=source,
                           option=key)
    return int(value, 16)


def _reports(doc: Mapping[str, Any], source: str) -> list[ReportRecord]:
    out = []
    for i, item in enumerate(doc.get("raw_reports") or []):
        key = f"raw_reports[{i}]"
        try:
            kind = ReportKind(item.get("kind", "get"))
        except ValueError:
            raise CaptureError(f"{key}.kind: unknown kind {item.get('kind')!r}",
                               source=source, option=key) from None
        data = _hex(item.get("hex"), source, f"{key}.hex")
        report_id = item.get("report_id", data[0] if data else 0)
        out.append(ReportRecord(report_type=_KIND_TYPES[kind], report_id=int(report_id),
                                data=data, kind=kind, expected_len=item.get("expected_len"),
                                note=item.get("note")))
    return out


def capture_from_shared(doc: Mapping[str, Any], source_path: str = "<shared json>"
                        ) -> Capture:
    """Convert one shared-corpus JSON document (type-checked first: CaptureError)."""
    if not isinstance(doc, Mapping) or not is_shared_json(doc):
        raise CaptureError("not a shared-corpus capture (no descriptor_hex/vendorid)",
                           source=source_path)
    check_shared_document(doc, source_path)
    descriptor_hex = doc.get("descriptor_hex")
    descriptor = _hex(descriptor_hex, source_path, "descriptor_hex") if descriptor_hex else None
    path_lines = list(doc.get("path_lines") or [])
    roles = {"manufacturer": doc.get("manufacturer"), "product": doc.get("product"),
             "serial": doc.get("serial")}
    learned = string_index_values(path_lines)
    indices, notes = assign_string_indices(roles, learned)
    strings = {indices[role]: text for role, text in roles.items()
               if text is not None and role in indices}
    upsc = dict(doc.get("upsc") or {})
    for usage, variable in STRING_FROM_UPSC.items():
        index = learned.get(usage)
        if index and index not in strings and variable in upsc:
            strings[index] = upsc[variable]
            notes.append(f"string {index} ({usage}) from upsc {variable}")
    bcd = doc.get("bcd_device")
    info = DeviceInfo(
        vendor_id=_hex_id(doc.get("vendorid"), source_path, "vendorid"),
        product_id=_hex_id(doc.get("productid"), source_path, "productid"),
        manufacturer=roles["manufacturer"], product=roles["product"], serial=roles["serial"],
        bcd_device=0 if bcd is None else _hex_id(bcd, source_path, "bcd_device"),
    )
    usb = UsbLayout(imanufacturer=indices.get("manufacturer", 0),
                    iproduct=indices.get("product", 0), iserial=indices.get("serial", 0))
    nut: dict[str, Any] = {"subdriver": doc.get("nut_subdriver"),
                           "version": doc.get("nut_version"), "path_lines": path_lines,
                           "upsc": upsc}
    if "upsc_truncated" in doc:
        nut["upsc_truncated"] = doc["upsc_truncated"]
    meta = {key: value for key, value in doc.items() if key not in _MAPPED}
    if not descriptor_hex:
        meta["descriptor_hex"] = descriptor_hex  # "" and null differ in the corpus
    meta["bcd_device_known"] = bcd is not None
    meta["converted_from"] = "shared-json"
    if notes:
        meta["conversion_notes"] = notes
    return Capture(device=info, descriptor=descriptor, source=str(doc.get("source") or ""),
                   strings=strings, usb=usb, reports=_reports(doc, source_path),
                   notes=str(doc.get("notes") or ""), nut=nut, meta=meta)


def capture_to_shared(capture: Capture) -> dict[str, Any]:
    """The capture in the shared corpus's schema (the inverse of capture_from_shared)."""
    info = capture.device
    meta = {k: v for k, v in capture.meta.items()
            if k not in ("bcd_device_known", "converted_from", "conversion_notes")}
    raw = capture.descriptor
    doc: dict[str, Any] = {
        "vendor": meta.pop("vendor", info.manufacturer),
        "model": meta.pop("model", info.product),
        "vendorid": f"{info.vendor_id:04x}",
        "productid": f"{info.product_id:04x}",
        "manufacturer": info.manufacturer,
        "product": info.product,
        "serial": info.serial,
        "nut_subdriver": capture.nut.get("subdriver"),
        "nut_version": capture.nut.get("version"),
        "source": capture.source,
        "descriptor_hex": meta.pop("descriptor_hex", None) if raw is None else raw.hex(" "),
        "descriptor_len": meta.pop("descriptor_len", None if raw is None else len(raw)),
        "truncated": meta.pop("truncated", False),
        "paths": paths_from_lines(list(capture.nut.get("path_lines") or [])),
        "path_lines": list(capture.nut.get("path_lines") or []),
        "raw_reports": [_shared_report(r) for r in capture.reports],
        "upsc": dict(capture.nut.get("upsc") or {}),
        "notes": capture.notes,
    }
    if capture.meta.get("bcd_device_known", True):
        doc["bcd_device"] = f"{info.bcd_device:04x}"
    if "upsc_truncated" in capture.nut:
        doc["upsc_truncated"] = capture.nut["upsc_truncated"]
    doc.update(meta)
    return doc


def _shared_report(record: ReportRecord) -> dict[str, Any]:
    item: dict[str, Any] = {"report_id": record.report_id, "hex": record.data.hex(" "),
                            "kind": record.kind.value}
    if record.expected_len is not None:
        item["expected_len"] = record.expected_len
    if record.note:
        item["note"] = record.note
    return item
