"""Malformed captures give one clear line naming the file and the field, never a traceback.

Issue 11: 93 of ~2,250 malformed shared-JSON captures crashed ``describe``,
``convert``, ``gen-subdriver``, ``explore --from`` and ``port=replay:``. The variants
come from :mod:`capture_fuzz` (every field, each wrong JSON type, removed, truncated)
and go through every entry point in-process.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from capture_fuzz import ENTRY_POINTS, mutations, names_field, run_entry, shared_captures
from conftest import SHARED_CAPTURES, require_shared


def _cases() -> list[tuple[str, str, str, dict[str, object]]]:
    cases = []
    for capture in shared_captures(SHARED_CAPTURES):
        doc = json.loads(capture.read_text(encoding="utf-8"))
        for path, label, mutated in mutations(doc):
            cases.append((capture.name, path, label, mutated))
    return cases


def run_all(tmp: Path) -> tuple[int, Counter[str], list[str]]:
    """Every case through every entry point: (cases, outcome counts, failure lines)."""
    counts: Counter[str] = Counter()
    failures: list[str] = []
    cases = _cases()
    for number, (name, path, label, mutated) in enumerate(cases):
        file = tmp / f"{number:05d}-{name}"
        file.write_text(json.dumps(mutated), encoding="utf-8")
        for entry in ENTRY_POINTS:
            outcome, message = run_entry(entry, file)
            counts[outcome] += 1
            where = f"{name} {path} {label} via {entry}"
            if outcome in ("crash", "other"):
                failures.append(f"{where}: {message}")
            elif outcome == "error" and (str(file) not in message):
                failures.append(f"{where}: error does not name the file: {message}")
            elif (outcome == "error" and entry in ("load", "replay")
                  and not names_field(message, path)):
                # the loader's CaptureError names the field; a tool may instead
                # refuse what the field's (valid) new value means, e.g. no descriptor
                failures.append(f"{where}: error does not name the field: {message}")
        file.unlink()
    return len(cases), counts, failures




def test_the_generator_makes_thousands_of_cases() -> None:
    require_shared()
    cases = _cases()
    assert len(cases) > 2000
    assert {label for _, _, label, _ in cases} >= {
        "-> null", "-> number", "-> string", "-> list", "-> object", "-> bool", "removed",
        "truncated"}
    paths = {path for _, path, _, _ in cases}
    assert {"raw_reports[3].report_id", "raw_reports[3].hex", "upsc", "path_lines[3]",
            "descriptor_hex", "vendorid", "manufacturer"} <= paths


@pytest.mark.slow
def test_no_malformed_shared_capture_crashes_any_entry_point(tmp_path: Path) -> None:
    require_shared()
    total, counts, failures = run_all(tmp_path)
    assert total > 2000
    assert counts["ok"] > 0 and counts["error"] > 0
    assert failures == [], f"{len(failures)} of {total * len(ENTRY_POINTS)} runs:\n" + "\n".join(
        failures[:40])


if __name__ == "__main__":  # figures for the report: python tests/test_capture_malformed.py
    import sys
    import tempfile
    with tempfile.TemporaryDirectory() as folder:
        total, counts, failures = run_all(Path(folder))
    print(f"{total} cases x {len(ENTRY_POINTS)} entry points: {dict(counts)}")
    kinds = Counter(line.split(": ", 1)[1][:60] for line in failures)
    for kind, n in kinds.most_common(40):
        print(f"{n:6d}  {kind}")
    sys.exit(1 if failures else 0)
