"""Captures: a device as the driver sees it, in one versioned, diffable file.

:func:`load_capture` accepts the three kinds of input hidups meets (its own capture
format, the shared corpus's JSON schema, a NUT debug log) so that ``describe``,
``explore``, the subdriver generator and the replay transport share one loader.
"""

from __future__ import annotations

import json
from pathlib import Path

from hidups.capture.format import (
    FORMAT_NAME,
    FORMAT_VERSION,
    capture_from_json,
    dumps_capture,
    loads_capture,
    save_capture,
)
from hidups.capture.model import (
    Capture,
    Event,
    EventAction,
    InterruptRecord,
    ReportKind,
    ReportRecord,
    UsbLayout,
)
from hidups.capture.nut_log import capture_from_nut_log
from hidups.capture.shared_json import capture_from_shared, capture_to_shared, is_shared_json
from hidups.errors import CaptureError

__all__ = [
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "Capture",
    "Event",
    "EventAction",
    "InterruptRecord",
    "ReportKind",
    "ReportRecord",
    "UsbLayout",
    "capture_from_json",
    "capture_from_nut_log",
    "capture_from_shared",
    "capture_to_shared",
    "detect_kind",
    "dumps_capture",
    "load_capture",
    "loads_capture",
    "parse_capture_text",
    "save_capture",
]


def detect_kind(text: str) -> str:
    """``"hidups"``, ``"shared-json"`` or ``"nut-log"`` for a file's text."""
    stripped = text.lstrip()
    if stripped.startswith("{"):
        try:
            doc = json.loads(text)
        except json.JSONDecodeError:
            return "hidups" if f'"{FORMAT_NAME}"' in text[:200] else "shared-json"
        if isinstance(doc, dict) and doc.get("format") == FORMAT_NAME:
            return "hidups"
        return "shared-json"
    return "nut-log"


def parse_capture_text(text: str, source: str = "<capture>") -> Capture:
    """Parse any of the three kinds, told apart by content."""
    kind = detect_kind(text)
    if kind == "hidups":
        return loads_capture(text, source)
    if kind == "shared-json":
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise CaptureError(f"invalid JSON: {exc.msg} (column {exc.colno})",
                               source=source, line=exc.lineno) from None
        if not isinstance(doc, dict) or not is_shared_json(doc):
            raise CaptureError(f"JSON that is neither a {FORMAT_NAME} file nor a "
                               "shared-corpus capture (no descriptor_hex/vendorid)",
                               source=source, line=1)
        return capture_from_shared(doc, source)
    return capture_from_nut_log(text, source)


def load_capture(path: str | Path) -> Capture:
    """Load a hidups capture, a shared-corpus JSON file or a NUT debug log."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise CaptureError(f"cannot read: {exc.strerror}", source=str(file)) from None
    return parse_capture_text(text, str(file))

