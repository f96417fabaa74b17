"""Malformed captures give one clear line naming the file and the field, never a traceback.

Issue 11: 93 of ~2,250 malformed shared-JSON captures crashed ``describe``,
``convert``, ``gen-subdriver``, ``explore --from`` and ``port=replay:``. The variants
come from :mod:`capture_fuzz` (every field, each wrong JSON type, removed, truncated)
and go through every entry point in-process.
"""

from __future__ import annotations

import contextlib
import io
import json
from collections import Counter
from pathlib import Path

import pytest
from capture_fuzz import mutations, shared_captures
from conftest import SHARED_CAPTURES, require_shared

from hidups.capture import load_capture
from hidups.cli import main as cli_main
from hidups.errors import CaptureError, HidupsError
from hidups.transport.replay import forget_replay_devices, open_replay

ENTRY_POINTS = ("load", "describe", "convert", "gen-subdriver", "explore", "replay")


def run_entry(entry: str, file: Path) -> tuple[str, str]:
    """(outcome, message): "ok", "error" (CaptureError, or a tool's one-line exit 1),
    "other" (another hidups error) or "crash"."""
    if entry == "load":
        try:
            load_capture(file)
        except CaptureError as exc:
            return "error", str(exc)
        except Exception as exc:
            return "crash", f"{type(exc).__name__}: {exc}"
        return "ok", ""
    if entry == "replay":
        forget_replay_devices()
        try:
            transport = open_replay({"port": f"replay:{file}"})
        except CaptureError as exc:
            return "error", str(exc)
        except HidupsError as exc:
            return "other", f"{type(exc).__name__}: {exc}"
        except Exception as exc:  # counting crashes is the point
            return "crash", f"{type(exc).__name__}: {exc}"
        transport.close()
        return "ok", ""
    argv = {"describe": ["describe", str(file)],
            "convert": ["convert", str(file)],
            "gen-subdriver": ["gen-subdriver", str(file)],
            "explore": ["explore", "--from", str(file)]}[entry]
    out, err = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            status = cli_main(argv)
    except Exception as exc:
        return "crash", f"{type(exc).__name__}: {exc}"
    if status == 0:
        return "ok", ""
    lines = err.getvalue().splitlines()
    if status == 1 and len(lines) == 1:
        return "error", lines[0]
    return "crash", f"exit {status}: {err.getvalue()!r}"


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
                  and not _names_field(message, path)):
                # the loader's CaptureError names the field; a tool may instead
                # refuse what the field's (valid) new value means, e.g. no descriptor
                failures.append(f"{where}: error does not name the field: {message}")
        file.unlink()
    return len(cases), counts, failures


def _names_field(message: str, path: str) -> bool:
    """The message names the mutated field, or the object or list holding it."""
    candidates = [path]
    while "[" in path or "." in path:
        cut = max(path.rfind("["), path.rfind("."))
        path = path[:cut]
        candidates.append(path)
    return any(c and c in message for c in candidates)


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
