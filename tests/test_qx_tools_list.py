"""``hidups list`` names the nutdrv_qx bridge a Q* device sits behind (from NUT's table)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import UPSEMU_DIR, require
from hidups.tools import list_devices
from upsemu_util import try_build_upsemu, upsemu_env

from hidups.device import DeviceInfo
from hidups.transport.base import DeviceSurvey


def survey(vid: int, pid: int, manufacturer: str | None = None,
           product: str | None = None) -> DeviceSurvey:
    return DeviceSurvey(info=DeviceInfo(vid, pid, manufacturer, product), interfaces=[0],
                        looks_like_ups=False)


def test_voltronic_cypress_bridge_is_named() -> None:
    text = list_devices.format_survey(survey(0x0665, 0x5161))
    assert "Q* USB-serial bridge 'cypress'" in text
    assert list_devices._as_json(survey(0x0665, 0x5161))["qx_bridge"] == "cypress"


def test_ambiguous_ids_follow_the_strings_as_nut() -> None:
    # 0001:0000 is split by strings in nutdrv_qx's table: MEC/MEC0003 is fabula, a bare
    # device falls through to krauler (the first row with no strings)
    assert "'fabula'" in list_devices.format_survey(survey(0x0001, 0x0000, "MEC", "MEC0003"))
    assert "'krauler'" in list_devices.format_survey(survey(0x0001, 0x0000))
    assert "'phoenixtec'" in list_devices.format_survey(
        survey(0x06DA, 0x0002, "Phoenixtec Power", "USB Cable (V2.00)"))


def test_hid_ups_and_ch340_get_no_bridge() -> None:
    apc = list_devices.format_survey(survey(0x051D, 0x0002))
    assert "Q*" not in apc
    assert list_devices._as_json(survey(0x051D, 0x0002))["qx_bridge"] is None
    ch340 = list_devices.format_survey(survey(0x1A86, 0x7523))
    assert "No subdriver selected" in ch340 and "bridge '" not in ch340


@pytest.mark.upsemu
@pytest.mark.parametrize(("device", "protocol"), [("megatec-cypress.ups", "megatec"),
                                                  ("zinto-phoenix.ups", "zinto"),
                                                  ("mustek-ippon.ups", "mustek")])
def test_list_probe_names_the_protocol_nutdrv_qx_would_use(device: str, protocol: str,
                                                           tmp_path: Path) -> None:
    """``hidups list --probe`` opens the bridge and runs nutdrv_qx's detection on the
    emulated UPS: the protocol NUT 2.8.0 uses on the same device (test_qx_driver)."""
    lib, why = try_build_upsemu()
    require(lib is not None, f"upsemu: {why}")
    assert lib is not None
    log = tmp_path / "emu.log"
    env = upsemu_env(UPSEMU_DIR / "devices" / device, lib, UPSEMU_LOG=str(log),
                     UPSEMU_INTR_WAIT_MS="50")
    env["HIDUPS_LIBUSB"] = str(lib)
    run = subprocess.run([sys.executable, "-m", "hidups", "list", "--probe"], env=env,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert f"Q* probe: protocol '{protocol}'" in run.stdout, run.stdout
    # only query commands reached the UPS: no S.., T.., C, Q (beeper) action
    sent = re.findall(r"op=qx bridge=\S+ cmd=(\S+)", log.read_text())
    assert sent and not [c for c in sent if re.fullmatch(r"S.*|T.*|C|CT|Q", c)], sent
    plain = subprocess.run([sys.executable, "-m", "hidups", "list"], env=env,
                           capture_output=True, text=True, timeout=60)
    assert "Q* probe" not in plain.stdout  # nothing is asked without --probe
