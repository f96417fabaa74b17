"""Evidence for generated subdrivers on the running driver: for captures of supported
vendors, the driver with the generated subdriver (forced with ``subdriver=``, loaded
from ``subdriver_path``, the vendor's own table not used) publishes every variable the
vendor's subdriver publishes, with the same value."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, SHARED_CAPTURES, require_shared

from hidups.capture import load_capture

pytestmark = pytest.mark.slow

CAPTURES = ["apc-back-ups-cs500-nutddl.json", "apc-bk650m2-ch-nutddl.json",
            "eaton-3s-700-nut2887.json", "cyberpower-cp1500pfclcd-nut2642.json",
            "tripplite-4003-nut1268.json", "powercom-bnt-800ap-nut1695.json",
            "liebert-psi5-nut2271.json"]


def dump(args: list[str], home: Path) -> dict[str, str]:
    """``hidups -s ups ... -d 1``: the variables after one update, as name → value."""
    env = {"PATH": "/usr/bin:/bin", "HOME": str(home), "XDG_CONFIG_HOME": str(home / "cfg"),
           "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-m", "hidups", "-s", "ups", *args, "-d", "1"],
                            capture_output=True, text=True, timeout=120, cwd=ROOT, env=env)
    assert result.returncode == 0, result.stderr
    values = {}
    for line in result.stdout.splitlines():
        name, sep, value = line.partition(": ")
        if sep:
            values[name] = value
    return values


@pytest.mark.parametrize("name", CAPTURES)
def test_generated_subdriver_gives_what_the_vendor_one_gives(name: str, tmp_path: Path) -> None:
    require_shared()
    capture_path = SHARED_CAPTURES / name
    capture = load_capture(capture_path)
    subdir = tmp_path / "subdrivers"
    generated = subprocess.run(
        [sys.executable, "-m", "hidups", "gen-subdriver", str(capture_path), "--name", "Gen",
         "-o", f"{subdir}/"], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert generated.returncode == 0, generated.stderr
    port = f"port=replay:{capture_path}"
    real = dump(["-x", port], tmp_path)
    mine = dump(["-x", port, "-x", f"subdriver_path={subdir}", "-x", "subdriver=Gen HID",
                 "-x", f"vendorid={capture.device.vendor_id:04x}",
                 "-x", f"productid={capture.device.product_id:04x}"], tmp_path)
    assert mine["driver.version.data"] == "Gen HID 0.1"
    assert real["driver.version.data"] != "Gen HID 0.1"
    compared = {k: v for k, v in real.items()
                if not k.startswith("driver.") and not k.startswith("unmapped.")}
    assert len(compared) >= 10
    for key, value in compared.items():
        assert mine.get(key) == value, key
