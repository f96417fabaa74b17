"""Type check of a shared-corpus JSON document before anything reads it.

The converter and the tools behind it index, iterate and join these fields; a field
of the wrong JSON type would surface as a ``TypeError`` deep inside them (issue 11).
Checking the whole document first turns every such file into one
:class:`~hidups.errors.CaptureError` that names the file and the field by its JSON
path (``raw_reports[3].report_id``). The schema is ../shared/captures/INDEX.md.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from hidups.errors import CaptureError

_IDENT = re.compile(r"[A-Za-z_][A-Za-z_0-9]*\Z")

#: Top-level keys that hold text (or null where the device has no such string).
_TEXT_KEYS = ("vendor", "model", "manufacturer", "product", "serial", "nut_subdriver",
              "nut_version", "source", "notes", "descriptor_hex", "descriptor_format",
              "firmware", "descriptor_sha256_prefix", "nut_driver")
_FLAG_KEYS = ("truncated", "descriptor_available", "real_device", "upsc_truncated")
_PATH_FIELDS: dict[str, tuple[str, ...]] = {
    "path": ("string",), "type": ("string",), "report_id": ("integer",),
    "offset": ("integer",), "size": ("integer",), "value": ("integer", "number", "string"),
}
_KINDS = ("get", "short", "input", "feature")


def json_path(parent: str, key: str | int) -> str:
    """``raw_reports`` + 3 → ``raw_reports[3]``; ``upsc`` + ``battery.charge`` →
    ``upsc["battery.charge"]`` (a dotted key would read as nesting)."""
    if isinstance(key, int):
        return f"{parent}[{key}]"
    if _IDENT.match(key):
        return f"{parent}.{key}" if parent else key
    return f"{parent}[{json.dumps(key)}]"


def json_type(value: Any) -> str:
    """The JSON name of a value's type, as the error messages say it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return "an object"


def _is(value: Any, kind: str) -> bool:
    if kind == "string":
        return isinstance(value, str)
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "list":
        return isinstance(value, list)
    if kind == "object":
        return isinstance(value, dict)
    return value is None if kind == "null" else False


class _Checker:
    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, path: str, problem: str) -> CaptureError:
        return CaptureError(f"{path}: {problem}", source=self.source, option=path)

    def expect(self, value: Any, path: str, *kinds: str) -> None:
        if not any(_is(value, kind) for kind in kinds):
            wanted = " or ".join(kinds)
            raise self.fail(path, f"expected {wanted}, got {json_type(value)}")

    def optional(self, doc: Mapping[str, Any], key: str, parent: str, *kinds: str) -> None:
        if key in doc:
            self.expect(doc[key], json_path(parent, key), *kinds)

    def byte(self, value: Any, path: str) -> None:
        self.expect(value, path, "integer")
        if not 0 <= value <= 255:
            raise self.fail(path, f"report id {value} is outside 0..255")


def check_shared_document(doc: Any, source: str) -> None:
    """Raise CaptureError (file, JSON path, what was expected) at the first bad field."""
    check = _Checker(source)
    check.expect(doc, "(top level)", "object")
    for key in _TEXT_KEYS:
        check.optional(doc, key, "", "string", "null")
    for key in _FLAG_KEYS:
        check.optional(doc, key, "", "boolean", "null")
    # vendorid/productid/bcd_device: the converter checks their hex digits and presence
    check.optional(doc, "bcd_device", "", "string", "null")
    check.optional(doc, "descriptor_len", "", "integer", "null")
    _check_reports(check, doc.get("raw_reports"))
    _check_paths(check, doc.get("paths"))
    lines = doc.get("path_lines")
    check.optional(doc, "path_lines", "", "list", "null")
    for i, line in enumerate(lines or []):
        check.expect(line, json_path("path_lines", i), "string")
    check.optional(doc, "upsc", "", "object", "null")
    for name, value in (doc.get("upsc") or {}).items():
        check.expect(value, json_path("upsc", name), "string")


def _check_reports(check: _Checker, reports: Any) -> None:
    if reports is None:
        return
    check.expect(reports, "raw_reports", "list")
    for i, item in enumerate(reports):
        where = json_path("raw_reports", i)
        check.expect(item, where, "object")
        if "hex" not in item:
            raise check.fail(json_path(where, "hex"), "missing (the report's bytes in hex)")
        check.expect(item["hex"], json_path(where, "hex"), "string")
        if "report_id" in item:
            check.byte(item["report_id"], json_path(where, "report_id"))
        check.optional(item, "kind", where, "string")
        if item.get("kind", "get") not in _KINDS:
            raise check.fail(json_path(where, "kind"),
                             f"unknown kind {item['kind']!r} (expected one of {_KINDS})")
        check.optional(item, "expected_len", where, "integer", "null")
        check.optional(item, "note", where, "string", "null")


def _check_paths(check: _Checker, paths: Any) -> None:
    if paths is None:
        return
    check.expect(paths, "paths", "list")
    for i, item in enumerate(paths):
        where = json_path("paths", i)
        check.expect(item, where, "object")
        for key, kinds in _PATH_FIELDS.items():
            check.optional(item, key, where, *kinds)
        if "report_id" in item:
            check.byte(item["report_id"], json_path(where, "report_id"))
