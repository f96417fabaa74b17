"""The capture format: lossless conversion of the whole shared corpus, diffable layout,
clear errors, and the project's own captures."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import PROJECT_CAPTURES, ROOT, SHARED_CAPTURES, require_shared
from shared_captures import shared_capture, shared_capture_files

from hidups.capture import (
    FORMAT_NAME,
    capture_to_shared,
    detect_kind,
    dumps_capture,
    load_capture,
    loads_capture,
)
from hidups.descriptor.layout import walk_layout
from hidups.errors import CaptureError


def _with_descriptor() -> list[Path]:
    require_shared()
    return [p for p in shared_capture_files() if shared_capture(p).get("descriptor_hex")]


def test_corpus_has_descriptors() -> None:
    assert len(_with_descriptor()) >= 35


@pytest.mark.parametrize("path", _with_descriptor() if SHARED_CAPTURES.is_dir() else [],
                         ids=lambda p: p.stem)
def test_shared_capture_round_trips_without_loss(path: Path, tmp_path: Path) -> None:
    original = shared_capture(path)
    capture = load_capture(path)
    out = tmp_path / "capture.json"
    out.write_text(dumps_capture(capture))
    reloaded = load_capture(out)
    assert reloaded == capture
    assert detect_kind(out.read_text()) == "hidups"
    # descriptor, strings and reports survive, byte for byte
    assert reloaded.descriptor == bytes.fromhex(original["descriptor_hex"].replace(" ", ""))
    assert reloaded.device.manufacturer == original["manufacturer"]
    assert reloaded.device.product == original["product"]
    assert reloaded.device.serial == original["serial"]
    assert [(r.report_id, r.data.hex(" "), r.kind.value) for r in reloaded.reports] == [
        (r["report_id"], r["hex"], r["kind"]) for r in original["raw_reports"]]
    # and back in the shared schema, nothing at all is lost
    assert capture_to_shared(reloaded) == original


def test_layout_is_one_item_per_line() -> None:
    capture = load_capture(SHARED_CAPTURES / "apc-back-ups-cs500-nutddl.json")
    text = dumps_capture(capture)
    lines = text.splitlines()
    for record in capture.reports:
        assert sum(f'"data": "{record.data.hex(" ")}"' in line for line in lines) == 1
    assert capture.descriptor is not None
    descriptor_lines = [line for line in lines if line.strip().startswith('"05 84 09 04')]
    assert len(descriptor_lines) == 1 and len(descriptor_lines[0].split()) == 16


def test_string_indices_come_from_the_devices_own_path_values() -> None:
    capture = load_capture(SHARED_CAPTURES / "apc-back-ups-cs500-nutddl.json")
    # Path: iProduct Value 1, iSerialNumber 2, iOEMInformation 3, iDeviceChemistry 4
    assert (capture.usb.iproduct, capture.usb.iserial, capture.usb.imanufacturer) == (1, 2, 3)
    assert capture.strings[4] == "PbAc"  # the upsc battery.type NUT read through index 4


@pytest.mark.parametrize("mutate,where", [
    (lambda d: d["reports"][1].update(data="0x zz"), "reports[1].data"),
    (lambda d: d["reports"][0].update(type="gadget"), "reports[0].type"),
    (lambda d: d["events"].append({"t": 1, "action": "explode"}), "events[0].action"),
    (lambda d: d.update(version=99), "version"),
    (lambda d: d["device"].update(vendor_id="51"), "device.vendor_id"),
])
def test_bad_capture_says_what_and_where(mutate: object, where: str) -> None:
    capture = load_capture(SHARED_CAPTURES / "apc-back-ups-cs500-nutddl.json")
    doc = json.loads(dumps_capture(capture))
    mutate(doc)  # type: ignore[operator]
    text = json.dumps(doc, indent=2)
    with pytest.raises(CaptureError) as err:
        loads_capture(text, "bad.json")
    assert err.value.option == where and where in str(err.value)
    assert str(err.value).startswith("bad.json")


def test_bad_item_line_number_points_at_the_item() -> None:
    capture = load_capture(SHARED_CAPTURES / "apc-back-ups-cs500-nutddl.json")
    text = dumps_capture(capture).replace('"data": "0c 64 00 00 14 0a"', '"data": "0c 6"')
    with pytest.raises(CaptureError) as err:
        loads_capture(text, "x.json")
    assert err.value.line is not None
    assert '"0c 6"' in text.splitlines()[err.value.line - 1]


def test_not_json_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{\n  "format": "hidups-capture",\n  "version": 1,\n  oops\n}\n')
    with pytest.raises(CaptureError) as err:
        load_capture(path)
    assert err.value.line == 4


def test_text_without_a_descriptor_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "log.txt"
    path.write_text("0.000 [D1] hello\n")
    with pytest.raises(CaptureError, match="Report Descriptor"):
        load_capture(path)


# --- the project's captures --------------------------------------------------------------

VENDOR_IDS = {"APC": 0x051D, "Eaton": 0x0463, "CyberPower": 0x0764, "Tripp Lite": 0x09AE,
              "Liebert": 0x10AF, "PowerCOM": 0x0D9F}


def test_project_captures_cover_the_vendors_and_cite_sources() -> None:
    files = sorted(PROJECT_CAPTURES.glob("*.json"))
    captures = [load_capture(p) for p in files]
    assert all(json.loads(p.read_text())["format"] == FORMAT_NAME for p in files)
    seen = {c.device.vendor_id for c in captures}
    assert set(VENDOR_IDS.values()) <= seen
    assert all(c.source for c in captures)
    assert all(c.descriptor and walk_layout(c.descriptor).looks_like_ups for c in captures)


def test_demo_capture_and_its_scripted_variant() -> None:
    plain = load_capture(PROJECT_CAPTURES / "apc-back-ups-cs500.json")
    scripted = load_capture(PROJECT_CAPTURES / "apc-back-ups-cs500-events.json")
    assert plain.descriptor == scripted.descriptor and not plain.events
    actions = [(e.t, e.action.value) for e in scripted.events]
    assert (5.0, "report") in actions and (20.0, "report") in actions
    assert (30.0, "unplug") in actions and (35.0, "replug") in actions


def test_project_captures_are_what_the_converter_writes(tmp_path: Path) -> None:
    """captures/ is regenerated, byte for byte, by scripts/make_captures.py."""
    require_shared()
    work = tmp_path / "repo"
    (work / "scripts").mkdir(parents=True)
    (work / "scripts" / "make_captures.py").write_text(
        (ROOT / "scripts" / "make_captures.py").read_text())
    result = subprocess.run([sys.executable, str(work / "scripts" / "make_captures.py"),
                             "--shared", str(SHARED_CAPTURES)], capture_output=True, text=True,
                            cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    for made in sorted((work / "captures").glob("*.json")):
        assert made.read_text() == (PROJECT_CAPTURES / made.name).read_text(), made.name
