"""The transports' layout summary says what the parser says, on every real descriptor."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import SHARED_CAPTURES, shared_capture_files

from hidups.capture.layout import walk_layout
from hidups.descriptor.model import ReportDescriptor
from hidups.errors import DescriptorError


def _descriptors() -> list[Path]:
    if not SHARED_CAPTURES.is_dir():
        return []
    return [p for p in shared_capture_files() if json.loads(p.read_text()).get("descriptor_hex")]


@pytest.mark.parametrize("path", _descriptors(), ids=lambda p: p.stem)
def test_report_lengths_match_the_parser(path: Path) -> None:
    raw = bytes.fromhex(json.loads(path.read_text())["descriptor_hex"].replace(" ", ""))
    parsed = ReportDescriptor.from_bytes(raw)
    layout = walk_layout(raw)
    assert layout.report_bits == {key: r.bit_length for key, r in parsed.reports.items()}
    assert layout.uses_report_ids == parsed.uses_report_ids
    assert layout.looks_like_ups  # every corpus device is a UPS (or its battery)
    assert layout.usage_pages >= {node >> 16 for f in parsed.fields for node in f.path
                                  if node >> 16 not in (0, 0xFF)}


def test_truncated_item_is_a_descriptor_error() -> None:
    with pytest.raises(DescriptorError) as err:
        walk_layout(bytes.fromhex("05 84 09 04 a1 01 27 ff ff"))
    assert err.value.offset == 6
