"""gen-subdriver on real NUT debug logs: Debian's usbhid-ups 2.8.0 run with
``-x explore -DDD`` on upsemu devices built from the shared captures (the exact input
NUT's gen-usbhid-subdriver.sh documents), then the generated module loaded and its
rows resolved on the descriptor the log carries."""

from __future__ import annotations

import dataclasses
import os
import subprocess
from pathlib import Path

import pytest
from conftest import SHARED_CAPTURES, UPSEMU_DIR, require, require_nut, require_shared
from subdrivers_testlib import resolved
from upsemu_util import device_file, try_build_upsemu

from hidups.capture import load_capture
from hidups.capture.nut_dump import skipped_by_nut
from hidups.descriptor.model import ReportDescriptor
from hidups.hid.analysis import generate_module
from hidups.hid2nut import registry

pytestmark = [pytest.mark.nut, pytest.mark.upsemu, pytest.mark.slow]

CAPTURES = ["apc-back-ups-cs500-nutddl.json", "eaton-3s-700-nut2887.json",
            "cyberpower-cp1500pfclcd-nut2642.json"]


def nut_explore_log(capture_json: Path, out: Path) -> Path:
    """Run NUT's usbhid-ups in explore mode at debug level 3 on the emulated device."""
    require_nut()
    lib, why = try_build_upsemu()
    require(lib is not None, f"upsemu unavailable: {why}")
    device = device_file(capture_json)
    log = out / f"{capture_json.stem}.nut.log"
    env = dict(os.environ, UPSEMU_LIB=str(lib), USBHID_UPS="/lib/nut/usbhid-ups")
    result = subprocess.run(
        ["bash", str(UPSEMU_DIR / "run_nut.sh"), "-D", "3", "-L", str(log), "-x", "explore",
         str(device)], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    return log


@pytest.mark.parametrize("name", CAPTURES)
def test_nut_debug_log_to_working_subdriver(name: str, tmp_path: Path) -> None:
    require_shared()
    shared = SHARED_CAPTURES / name
    log = nut_explore_log(shared, tmp_path)
    text = log.read_text(errors="replace")
    assert "- VendorID:" in text and "Path: " in text
    capture = load_capture(log)
    original = load_capture(shared)
    assert capture.descriptor == original.descriptor
    assert (capture.device.vendor_id, capture.device.product_id) == \
        (original.device.vendor_id, original.device.product_id)

    module, _ = generate_module(capture, name="FromLog")
    path = tmp_path / "from_log.py"
    path.write_text(module)
    generated = registry.load_user_file(path)[0]
    assert capture.descriptor is not None
    desc = ReportDescriptor.from_bytes(capture.descriptor)
    real = registry.select_subdriver(capture.device, {}, capture.descriptor).subdriver
    real_vars, real_status = resolved(real, desc)
    gen_vars, gen_status = resolved(generated, desc)
    assert real_vars
    for key, expected in real_vars.items():
        assert gen_vars.get(key) == expected, key
    assert real_status <= gen_status

    # The same log read as NUT's script reads it (Path: lines only, no descriptor)
    # maps the same fields the same way, except elements NUT's dump leaves out
    # (Eaton reports 254/255), which it cannot know.
    lines_only = dataclasses.replace(capture, descriptor=None)
    assert lines_only.nut.get("path_lines")
    module_from_lines, _ = generate_module(lines_only, name="FromLines")
    path = tmp_path / "from_lines.py"
    path.write_text(module_from_lines)
    from_lines = registry.load_user_file(path)[0]
    line_vars, line_status = resolved(from_lines, desc)
    for key, got in line_vars.items():
        assert gen_vars[key] == got, key
    assert line_status <= gen_status
    for key, (field_key, *_) in real_vars.items():
        skipped = any(f.report_type == field_key[0] and f.report_id == field_key[1]
                      and skipped_by_nut(f, capture.device) for f in desc.fields)
        assert key in line_vars or skipped, key
