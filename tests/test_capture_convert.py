"""``hidups convert``: shared JSON / NUT log → capture, scripted events, and back."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, SHARED_CAPTURES, require_shared
from shared_captures import shared_capture

from hidups.capture import EventAction, load_capture
from hidups.capture.convert import parse_event
from hidups.descriptor.model import ReportType
from hidups.errors import ConfigError

CS500 = SHARED_CAPTURES / "apc-back-ups-cs500-nutddl.json"


def _convert(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "hidups", "convert", *args],
                          capture_output=True, text=True, timeout=60, cwd=ROOT)


def test_convert_with_events_and_back_to_the_shared_schema(tmp_path: Path) -> None:
    require_shared()
    out = tmp_path / "cs500.json"
    result = _convert(str(CS500), "-o", str(out), "--event", "5:report:feature:13 00",
                      "--event", "5:interrupt:13 00", "--event", "9:unplug",
                      "--source", "test citation")
    assert result.returncode == 0, result.stderr
    capture = load_capture(out)
    assert capture.source == "test citation"
    assert [(e.t, e.action) for e in capture.events] == [
        (5.0, EventAction.REPORT), (5.0, EventAction.INTERRUPT), (9.0, EventAction.UNPLUG)]
    assert capture.events[0].report_type is ReportType.FEATURE
    assert capture.events[0].report_id == 0x13
    back = _convert(str(out), "--to", "shared-json")
    assert back.returncode == 0, back.stderr
    original = shared_capture(CS500)
    assert json.loads(back.stdout) == dict(original, source="test citation")


@pytest.mark.parametrize("spec", ["x:report", "5:explode", "5:report:feature", "5:report:gizmo:13",
                                  "5:interrupt:zz"])
def test_bad_event_specs_are_named(spec: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_event(spec)
    assert spec in str(err.value) or "gizmo" in str(err.value)


def test_bad_input_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"vendorid": "051d", "descriptor_hex": "05 8"}')
    result = _convert(str(bad))
    assert result.returncode == 1
    assert str(bad) in result.stderr and "descriptor_hex" in result.stderr
