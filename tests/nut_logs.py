"""usbhid-ups debug logs made on the emulator, for the tests that convert them."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from conftest import SHARED_CAPTURES, UPSEMU_DIR, require, require_nut
from upsemu_util import device_file, try_build_upsemu

CS500 = SHARED_CAPTURES / "apc-back-ups-cs500-nutddl.json"


LOG_CACHE: dict[str, str] = {}


def nut_log(capture_json: Path) -> tuple[str, Path]:
    """usbhid-ups -DDD output for the capture's device, run on the emulator."""
    require_nut()
    lib, why = try_build_upsemu()
    require(lib is not None, f"upsemu cannot be built: {why}")
    assert lib is not None
    device = device_file(capture_json)
    if str(device) not in LOG_CACHE:
        log = device.with_suffix(".nutlog")
        env = dict(os.environ, UPSEMU_LIB=str(lib), UPSEMU_INTR_WAIT_MS="0")
        result = subprocess.run([str(UPSEMU_DIR / "run_nut.sh"), "-D", "3", "-L", str(log),
                                 str(device)], env=env, capture_output=True, text=True,
                                timeout=120)
        assert result.returncode == 0, result.stderr
        LOG_CACHE[str(device)] = log.read_text()
    return LOG_CACHE[str(device)], device
