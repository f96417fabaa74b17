"""The one way tests read a shared capture (../shared/captures): its JSON document.

Every test that needs what NUT printed for a real device (``upsc``, ``path_lines``,
``descriptor_hex``, identity strings) loads it here, by file name or path, so where
the corpus lives and what a missing corpus means (skip, or fail under
``HIDUPS_REQUIRE_NUT=1``) is decided once. Tests of the product's own loader use
``hidups.capture.load_capture`` instead, which is what they test.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from conftest import SHARED_CAPTURES, require_shared


def shared_capture(name: str | Path) -> dict[str, Any]:
    """The JSON document of a shared capture: a bare file name is looked up in the
    shared corpus, a path is read as given."""
    path = SHARED_CAPTURES / name if isinstance(name, str) else name
    if not path.exists():
        require_shared()
    doc: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return doc


def shared_capture_files(*, with_descriptor: bool = False) -> list[Path]:
    """Every main capture of the corpus (not the upsc-only ones), sorted; only those
    with a report descriptor when asked. Empty when the corpus is absent, so a
    parametrised test collects nothing and its ``require_shared`` test says why."""
    files = sorted(SHARED_CAPTURES.glob("*.json"))
    if with_descriptor:
        files = [p for p in files if (shared_capture(p).get("descriptor_hex") or "").strip()]
    return files


def descriptor_bytes(doc: dict[str, Any]) -> bytes:
    """The report descriptor of a capture document (hex, spaces allowed)."""
    return bytes.fromhex("".join(str(doc["descriptor_hex"]).split()))
