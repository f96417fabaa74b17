"""A real ``nutdrv_qx -DDDDD`` log (NUT 2.8.0 on an upsemu bridge) converts and replays."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from conftest import UPSEMU_DIR, require, require_nut
from upsemu_util import try_build_upsemu

from hidups.capture.qx_capture import QxCaptureReplay
from hidups.capture.qx_nut_log import load_qx_nut_log, qx_capture_from_nut_log
from hidups.errors import CaptureError
from hidups.qx.registry import detect


@pytest.mark.nut
def test_nut_280_log_converts_and_replays_to_nuts_protocol(tmp_path: Path) -> None:
    require_nut()
    require(Path("/lib/nut/nutdrv_qx").exists(), "Debian's nutdrv_qx is not installed")
    library, why = try_build_upsemu()
    require(library is not None, why)
    log = tmp_path / "nutdrv_qx.log"
    env = dict(os.environ, UPSEMU_LIB=str(library), UPSEMU_INTR_WAIT_MS="50")
    run = subprocess.run([str(UPSEMU_DIR / "run_nut.sh"), "-D", "5", "-L", str(log),
                          str(UPSEMU_DIR / "devices" / "megatec-cypress.ups")],
                         env=env, capture_output=True, timeout=300)
    assert run.returncode == 0, run.stderr
    capture = load_qx_nut_log(str(log))
    assert (capture.info.vendor_id, capture.info.product_id) == (0x0665, 0x5161)
    assert capture.info.manufacturer == "INNO TECH" and capture.info.serial is None
    assert capture.protocol == "megatec"  # NUT's "Using protocol: Megatec 0.06"
    q1 = [ex.answer for ex in capture.exchanges if ex.command == "Q1"]
    assert q1 and q1[-1] is not None and len(q1[-1]) % 8 == 0  # whole cypress reports
    assert detect(QxCaptureReplay(capture.exchanges), {}).name == "megatec"


def test_a_log_without_exchanges_is_refused() -> None:
    with pytest.raises(CaptureError, match=r"x\.log: no 'send:' lines"):
        qx_capture_from_nut_log("   0.0\t[D1] debug level is '1'\n", "x.log")


def test_hidups_convert_takes_a_qx_log(tmp_path: Path) -> None:
    from hidups.capture.qx_capture import loads_qx_capture
    from hidups.cli import main
    log = tmp_path / "d.log"
    log.write_text("   0.1\t[D2] - VendorID: 0665\n   0.1\t[D2] - ProductID: 5161\n"
                   "   0.2\t[D3] send: Q1\n   0.2\t[D5] read [  0]: (8 bytes) => "
                   "28 32 31 35 0d 00 00 00\n   0.2\t[D3] read: (215\n"
                   "   0.3\t[D3] send: F\n   0.9\tUsing protocol: Megatec 0.06\n")
    out = tmp_path / "c.json"
    assert main(["convert", str(log), "-o", str(out)]) == 0
    capture = loads_qx_capture(out.read_text(encoding="utf-8"))
    assert [(e.command, e.answer) for e in capture.exchanges] == [
        ("Q1", b"(215\r\0\0\0"), ("F", None)]
    assert capture.protocol == "megatec"
