"""Which device protocol a ups.conf section gets: HID, or Q* (nutdrv_qx's half)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import PROJECT_CAPTURES, SHARED_CAPTURES

from hidups.app.choose import HID, QX, device_protocol
from hidups.qx.registry import detect
from hidups.qx.replay import CaptureQuery
from hidups.qx.session import QxSession

QX_CAPTURE = SHARED_CAPTURES / "qx" / "visench-c1k-nut2395.json"
HID_CAPTURE = PROJECT_CAPTURES / "apc-back-ups-cs500.json"


@pytest.mark.parametrize(("options", "expected"), [
    ({"port": "auto"}, HID),
    ({"port": "auto", "vendorid": "051d"}, HID),
    ({"port": "auto", "protocol": "megatec"}, QX),  # nutdrv_qx's own option
    ({"port": "/dev/ttyS0"}, QX),  # usbhid-ups ignores port; nutdrv_qx opens it
    ({"port": "auto", "subdriver": "cypress", "vendorid": "0665", "productid": "5161"}, QX),
    ({"port": "auto", "subdriver": "apc"}, HID),  # a HID subdriver name
    ({"port": "auto", "vendorid": "0665", "productid": "5161"}, QX),  # Cypress bridge
    ({"port": "auto", "vendorid": "06da", "productid": "0003"}, QX),  # Ippon bridge
    ({"port": "auto", "vendorid": "051d", "productid": "0002"}, HID),  # APC: HID claims it
])
def test_protocol_from_options(options: dict[str, str], expected: str) -> None:
    assert device_protocol(options) == expected


def test_replayed_capture_kind_decides(tmp_path: Path) -> None:
    assert device_protocol({"port": f"replay:{QX_CAPTURE}"}) == QX
    assert device_protocol({"port": f"replay:{HID_CAPTURE}"}) == HID
    # a file that is no capture at all goes to the HID replay backend, which says why
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    assert device_protocol({"port": f"replay:{bad}"}) == HID


def test_a_q_capture_runs_through_the_driver_process(tmp_path: Path) -> None:
    """``-d 1`` on a replayed Q* conversation: the driver core publishes what the Q*
    library reads (which tests/test_qx_nut.py holds to NUT's nutdrv_qx)."""
    doc = json.loads(QX_CAPTURE.read_text())
    query = CaptureQuery(doc, QX_CAPTURE.name)
    session = QxSession(detect(query, {}), query, {})
    session.init()
    expected = session.walk(full=True).values
    env = {"NUT_STATEPATH": str(tmp_path), "NUT_ALTPIDPATH": str(tmp_path),
           "PATH": "/usr/bin:/bin"}
    result = subprocess.run([sys.executable, "-m", "hidups", "-s", "ups", "-x",
                             f"port=replay:{QX_CAPTURE}", "-d", "1"],
                            capture_output=True, text=True, timeout=60, env=env)
    assert result.returncode == 0, result.stderr
    got = dict(line.split(": ", 1) for line in result.stdout.splitlines() if ": " in line)
    for name, value in expected.items():
        if not name.startswith("driver."):
            assert got.get(name) == value, name
    assert got["ups.status"] == "OL BYPASS"
    assert got["driver.version.data"] == session.protocol.version
