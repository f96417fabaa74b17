"""The other two capture kinds, malformed: hidups-format files (each field of each
wrong type, removed, truncated) and NUT debug logs (each line removed, truncated,
its hex corrupted, its numbers made huge). Every entry point either works or gives
one clean line naming the file; the loader's CaptureError names the field (hidups
format) or the line (NUT logs: ``FILE:LINE``) when it is about one.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from capture_fuzz import ENTRY_POINTS, mutations, names_field, run_entry
from conftest import SHARED_CAPTURES, require_shared
from nut_logs import CS500, nut_log

from hidups.capture import capture_from_shared, dumps_capture, parse_capture_text

#: hidups-format inputs: the shared captures with the most in them (reports, Path
#: lines, upsc, string learning), converted.
HIDUPS_SOURCES = ("apc-back-ups-cs500-nutddl.json", "apc-bk650m2-ch-nutddl.json",
                  "unknown-5131-2007-nut3227.json", "tripplite-4003-nut1268.json")
NUT_LOGS = (SHARED_CAPTURES / "raw" / "nut-issue-3227.txt",)

_HEX_PAIR = re.compile(r"\b[0-9a-fA-F]{2}\b")
_NUMBER = re.compile(r"\b\d+\b")


def _check(name: str, file: Path, where: str, counts: Counter[str], failures: list[str],
           *, field: str | None = None, line: int | None = None) -> None:
    for entry in ENTRY_POINTS:
        outcome, message = run_entry(entry, file)
        counts[outcome] += 1
        label = f"{name} {where} via {entry}"
        if outcome in ("crash", "other"):
            failures.append(f"{label}: {message}")
        elif outcome == "error" and str(file) not in message:
            failures.append(f"{label}: error does not name the file: {message}")
        elif outcome == "error" and entry == "load" and field is not None \
                and not names_field(message, field):
            failures.append(f"{label}: error does not name the field: {message}")
        elif (outcome == "error" and entry == "load" and line is not None
              and re.match(rf"{re.escape(str(file))}:\d+:", message)
              and not message.startswith(f"{file}:{line}:")):
            failures.append(f"{label}: error names another line: {message}")


def test_malformed_hidups_format_captures(tmp_path: Path) -> None:
    require_shared()
    counts: Counter[str] = Counter()
    failures: list[str] = []
    total = 0
    for name in HIDUPS_SOURCES:
        source = SHARED_CAPTURES / name
        capture = capture_from_shared(json.loads(source.read_text(encoding="utf-8")),
                                      str(source))
        doc = json.loads(dumps_capture(capture))
        for path, label, mutated in mutations(doc):
            file = tmp_path / f"{total:05d}-{name}"
            file.write_text(json.dumps(mutated), encoding="utf-8")
            _check(name, file, f"{path} {label}", counts, failures, field=path)
            file.unlink()
            total += 1
    print(f"{total} hidups-format cases: {dict(counts)}")
    assert total > 500 and counts["error"] > 0
    assert failures == [], f"{len(failures)} failures:\n" + "\n".join(failures[:40])


def _line_variants(lines: list[str]) -> Iterator[tuple[int, str, list[str]]]:
    for i, line in enumerate(lines):
        number = i + 1
        yield number, "removed", lines[:i] + lines[i + 1:]
        yield number, "truncated", [*lines[:i], line[: len(line) // 2], *lines[i + 1:]]
        if _HEX_PAIR.search(line):
            yield number, "bad hex", [*lines[:i], _HEX_PAIR.sub("zz", line, count=3),
                                      *lines[i + 1:]]
        if _NUMBER.search(line):
            yield number, "huge numbers", [*lines[:i], _NUMBER.sub("99999999999", line),
                                           *lines[i + 1:]]


def nut_logs() -> list[tuple[str, str]]:
    """(name, text): the shared hid-recorder transcription, and usbhid-ups -DDD of the
    Back-UPS CS 500 on the emulator when NUT and upsemu are here."""
    logs = [(path.name, path.read_text(encoding="utf-8")) for path in NUT_LOGS]
    text, _ = nut_log(CS500)  # needs NUT: HIDUPS_REQUIRE_NUT
    logs.append(("usbhid-ups-cs500.log", text))
    return logs


def test_malformed_nut_logs(tmp_path: Path) -> None:
    require_shared()
    counts: Counter[str] = Counter()
    failures: list[str] = []
    total = 0
    for name, text in nut_logs():
        for number, label, lines in _line_variants(text.splitlines()):
            file = tmp_path / f"{total:05d}-{name}"
            file.write_text("\n".join(lines) + "\n", encoding="utf-8")
            _check(name, file, f"line {number} {label}", counts, failures, line=number)
            file.unlink()
            total += 1
    print(f"{total} NUT-log cases: {dict(counts)}")
    assert total > 500 and counts["error"] > 0
    assert failures == [], f"{len(failures)} failures:\n" + "\n".join(failures[:40])


def test_a_cut_descriptor_dump_is_noted_with_its_line() -> None:
    require_shared()
    _, text = nut_logs()[-1]
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if "Report Descriptor: (" in line)
    lines[start + 2] = _HEX_PAIR.sub("zz", lines[start + 2], count=1)
    capture = parse_capture_text("\n".join(lines), "cut.log")
    assert capture.descriptor is not None and len(capture.descriptor) == 14 + 25
    assert (f"line {start + 1}: the report descriptor is stated as 374 bytes, only 39 "
            "follow as hex; the capture keeps those") in capture.meta["conversion_notes"]
    whole = parse_capture_text(text, "whole.log")
    assert len(whole.descriptor or b"") == 374
    assert not any("stated as" in note for note in whole.meta.get("conversion_notes", []))
