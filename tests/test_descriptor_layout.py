"""The transports' layout summary of every real descriptor against hid-tools.

hid-tools is an independent parser (the layout is built on hidups' own), so report
lengths are checked against it: its bit sizes include the report-ID byte of numbered
reports, and it numbers the reports of descriptors without IDs -1 where hidups says 0.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import SHARED_CAPTURES
from shared_captures import shared_capture, shared_capture_files

from hidups.descriptor.layout import walk_layout
from hidups.descriptor.model import ReportType
from hidups.errors import DescriptorError

hid = pytest.importorskip("hidtools.hid")

_TYPES = (("input_reports", ReportType.INPUT), ("output_reports", ReportType.OUTPUT),
          ("feature_reports", ReportType.FEATURE))


def _descriptors() -> list[Path]:
    if not SHARED_CAPTURES.is_dir():
        return []
    return [p for p in shared_capture_files() if shared_capture(p).get("descriptor_hex")]


@pytest.mark.parametrize("path", _descriptors(), ids=lambda p: p.stem)
def test_report_lengths_match_hid_tools(path: Path) -> None:
    raw = bytes.fromhex(shared_capture(path)["descriptor_hex"].replace(" ", ""))
    oracle = hid.ReportDescriptor.from_bytes(raw)
    expected: dict[tuple[ReportType, int], int] = {}
    numbered = set()
    for attribute, report_type in _TYPES:
        for report_id, report in getattr(oracle, attribute).items():
            numbered.add(report_id >= 0)
            bits = report.bitsize - (8 if report_id >= 0 else 0)
            expected[(report_type, max(report_id, 0))] = bits
    layout = walk_layout(raw)
    assert layout.report_bits == expected
    assert numbered == {layout.uses_report_ids}
    assert layout.looks_like_ups  # every corpus device is a UPS (or its battery)
    pages = {f.usage >> 16 for attribute, _ in _TYPES
             for report in getattr(oracle, attribute).values() for f in report
             if not f.is_const and f.usage}
    assert pages <= layout.usage_pages


def test_truncated_item_is_a_descriptor_error() -> None:
    with pytest.raises(DescriptorError) as err:
        walk_layout(bytes.fromhex("05 84 09 04 a1 01 27 ff ff"))
    assert err.value.offset == 6
