"""Field layout of every corpus descriptor against hid-tools, an independent parser.

Compared per element: (report type, report ID, bit offset, size, variable/array,
usage, logical min, logical max), after these normalisations for known differences
(ecosystem.md §1.5):

* hid-tools' bit offsets include the report-ID byte: subtract 8 for numbered reports;
  hid-tools uses report ID -1 where there are none, hidups 0.
* Constant (padding) items: hid-tools sometimes keeps them as one field of
  ``size * count`` bits, sometimes splits them per usage. Both sides are reduced to
  the maximal runs of constant bits per report.
* Array items have no single usage: compared without one.
* Variable items with fewer usages than elements: the last usage repeats (HID 1.11
  §6.2.2.8), which is what hid-tools does; hidups' MainItem keeps the usage list.
"""

from __future__ import annotations

from typing import Any

import pytest
from conftest import require_shared
from shared_captures import shared_capture, shared_capture_files

from hidups.descriptor import ReportDescriptor, ReportType

hid = pytest.importorskip("hidtools.hid")

_TYPES = (("input_reports", ReportType.INPUT), ("output_reports", ReportType.OUTPUT),
          ("feature_reports", ReportType.FEATURE))

Element = tuple[Any, ...]


def _merge_padding(elements: list[Element]) -> set[Element]:
    """Join adjacent constant runs of the same report into one."""
    runs = sorted(e for e in elements if e[2] == "const")
    merged: list[Element] = []
    for run in runs:
        if merged and merged[-1][:2] == run[:2] and merged[-1][3] + merged[-1][4] == run[3]:
            last = merged[-1]
            merged[-1] = (*last[:4], last[4] + run[4])
        else:
            merged.append(run)
    return {e for e in elements if e[2] != "const"} | set(merged)


def hidtools_elements(raw: bytes) -> set[Element]:
    parsed = hid.ReportDescriptor.from_bytes(raw)
    elements: list[Element] = []
    for attribute, report_type in _TYPES:
        for report_id, report in getattr(parsed, attribute).items():
            numbered = report_id >= 0
            for f in report:
                start = f.start - (8 if numbered else 0)
                rid = report_id if numbered else 0
                if f.is_const:
                    elements.append((report_type, rid, "const", start, f.size * f.count))
                    continue
                kind = "array" if f.is_array else "var"
                usage = None if f.is_array else f.usage
                for i in range(f.count):
                    elements.append((report_type, rid, kind, start + i * f.size, f.size,
                                     usage, f.logical_min, f.logical_max))
    return _merge_padding(elements)


def hidups_elements(raw: bytes) -> set[Element]:
    parsed = ReportDescriptor.from_bytes(raw)
    elements: list[Element] = []
    for item in parsed.items:
        if item.is_constant:
            if item.size * item.count:
                elements.append((item.report_type, item.report_id, "const", item.offset,
                                 item.size * item.count))
            continue
        kind = "var" if item.is_variable else "array"
        for i in range(item.count):
            usage = None
            if item.is_variable:
                usage = item.usages[min(i, len(item.usages) - 1)] if item.usages else 0
            elements.append((item.report_type, item.report_id, kind,
                             item.offset + i * item.size, item.size, usage,
                             item.logical_min, item.logical_max))
    return _merge_padding(elements)


def _corpus() -> list[tuple[str, bytes]]:
    found = []
    for path in shared_capture_files():
        doc = shared_capture(path)
        if doc.get("descriptor_hex"):
            found.append((path.name, bytes.fromhex(doc["descriptor_hex"])))
    return found


def test_layout_agrees_with_hidtools_on_every_corpus_descriptor() -> None:
    require_shared()
    corpus = _corpus()
    assert len(corpus) >= 35
    disagreements = {}
    elements = 0
    for name, raw in corpus:
        ours, theirs = hidups_elements(raw), hidtools_elements(raw)
        elements += len(ours)
        if ours != theirs:
            disagreements[name] = (sorted(ours - theirs, key=repr)[:5],
                                   sorted(theirs - ours, key=repr)[:5])
    print(f"\nhid-tools layout agreement: {len(corpus) - len(disagreements)}/{len(corpus)} "
          f"descriptors, {elements} normalised elements")
    assert not disagreements, disagreements


def test_comparison_detects_a_shifted_field() -> None:
    """The normalisation is not so loose that a real layout change goes unnoticed."""
    require_shared()
    _, raw = _corpus()[0]
    changed = bytearray(raw)
    at = changed.index(0x75)  # first Report Size item: make it one bit wider
    changed[at + 1] += 1
    assert hidups_elements(bytes(changed)) != hidtools_elements(raw)
