"""``describe`` against a live NUT 2.8.5 (the reference) on every corpus descriptor.

For each of the 35 corpus descriptors, upsemu's ``capture2ups.py`` makes an emulated
device whose reports hold random values (seed 1), NUT 2.8.5's ``usbhid-ups`` (the Debian
sid build nut_sid.sh unpacks; ``NUT_ROOT`` for run_nut.sh) dumps it with
the ``explore`` subdriver at debug level 1 (``HIDDumpTree``: standard names only, no
fix-ups), and every ``Path:`` line it prints must equal ours, value included, in order.
This covers descriptors whose captures have no Path lines, and values NUT never saw on
the real units (negative limits, masking, exponents).
"""

from __future__ import annotations

import json
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from conftest import require, require_nut285, require_shared
from shared_captures import shared_capture, shared_capture_files
from upsemu_util import device_file, nut_explore_paths, try_build_upsemu

from hidups.capture.nut_dump import path_lines
from hidups.descriptor import ReportDescriptor
from hidups.device import DeviceInfo
from hidups.usages import NUT_STANDARD

pytestmark = [pytest.mark.nut, pytest.mark.upsemu, pytest.mark.slow]

_REPORT_LINE = re.compile(
    r"^(?:(feature|input|output)\s+)?(0x[0-9a-fA-F]+|\d+):\s*([0-9a-fA-F ]*?)\s*(?:#.*)?$")


def feature_reports(device: Path) -> dict[int, bytes]:
    """The Feature answers of an upsemu device file, report-ID byte first (NUT reads
    every report as a Feature report)."""
    reports = {}
    for line in device.read_text().splitlines():
        match = _REPORT_LINE.match(line.strip())
        if match and match[1] in (None, "feature"):
            report_id = int(match[2], 0)
            reports[report_id] = bytes([report_id]) + bytes.fromhex(match[3])
    return reports


def compare(capture: Path, library: Path) -> tuple[int, list[str]]:
    doc = json.loads(capture.read_text())
    device = device_file(capture, "random", 1)
    nut = nut_explore_paths(device, library)
    reports = feature_reports(device)
    identity = DeviceInfo(int(doc["vendorid"], 16), int(doc["productid"], 16))
    desc = ReportDescriptor.from_bytes(bytes.fromhex(doc["descriptor_hex"]))
    ours = list(path_lines(desc, NUT_STANDARD, reports, identity))
    problems = [f"NUT: {a}\n  us: {b}" for a, b in zip(nut, ours, strict=False) if a != b]
    if len(nut) != len(ours):
        problems.append(f"NUT printed {len(nut)} lines, we {len(ours)}")
    return len(nut), problems


def test_describe_matches_live_nut_explore_dumps() -> None:
    require_shared()
    require_nut285()
    library, why = try_build_upsemu()
    require(library is not None, f"upsemu unavailable: {why}")
    assert library is not None
    captures = [p for p in shared_capture_files()
                if shared_capture(p).get("descriptor_hex")]
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda p: compare(p, library), captures))
    total = sum(lines for lines, _ in results)
    failures = {c.name: problems
                for c, (_, problems) in zip(captures, results, strict=True) if problems}
    bad = sum(len(p) for p in failures.values())
    print(f"\nlive NUT 2.8.5 explore Path lines reproduced: {total - bad}/{total} "
          f"in {len(captures)} descriptors")
    assert total > 2000
    assert not failures, "\n".join(f"{n}:\n" + "\n".join(p[:5]) for n, p in failures.items())
