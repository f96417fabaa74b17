"""``hidups list``: no USB at all, the emulated UPS, and every reason a device is blocked."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, SHARED_CAPTURES, require, require_shared
from fake_usb import FakeBackend, FakeDevice
from hidups.tools.list_devices import NO_DEVICES, format_survey
from upsemu_util import device_file, try_build_upsemu, upsemu_env

from hidups.capture import load_capture
from hidups.transport.pyusb_backend import survey_devices

CS500 = SHARED_CAPTURES / "apc-back-ups-cs500-nutddl.json"
RULE = ('SUBSYSTEM=="usb", ATTR{idVendor}=="051d", ATTR{idProduct}=="0002", MODE="664", '
        'GROUP="nut"')


def _hidups_list(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "hidups", "list", *args], env=env,
                          capture_output=True, text=True, timeout=120, cwd=ROOT)


@pytest.mark.upsemu
def test_no_usb_devices_at_all(tmp_path: Path) -> None:
    lib, why = try_build_upsemu()
    require(lib is not None, f"upsemu cannot be built: {why}")
    empty = tmp_path / "empty.ups"
    empty.write_text("# no vid line: the emulator presents no device at all\n")
    result = _hidups_list(upsemu_env(empty, UPSEMU_QUIET="1"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == NO_DEVICES


def test_no_usb_on_this_machine_with_the_bundled_libusb() -> None:
    if Path("/sys/bus/usb/devices").is_dir() and any(Path("/sys/bus/usb/devices").iterdir()):
        pytest.skip("this machine has USB devices")
    env = {k: v for k, v in os.environ.items() if k != "HIDUPS_LIBUSB"}
    result = _hidups_list(env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == NO_DEVICES


@pytest.mark.upsemu
def test_lists_the_emulated_ups() -> None:
    require_shared()
    lib, why = try_build_upsemu()
    require(lib is not None, f"upsemu cannot be built: {why}")
    result = _hidups_list(upsemu_env(device_file(CS500)))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("051d:0002  bus 001 device 002")
    assert '"American Power Conversion"' in lines[1] and '"Back-UPS 500' in lines[1]
    assert "report descriptor 374 bytes (usb): looks like a UPS" in lines[2]
    assert "Power Device page 0x84" in lines[2]


def _survey(*devices: FakeDevice, sysfs: Path | None = None) -> str:
    surveys = survey_devices(usb_backend=FakeBackend(*devices),
                             sysfs_root=sysfs or Path("/nonexistent"))
    return "\n".join(format_survey(s) for s in surveys)


def test_permission_problem_shows_the_udev_rule() -> None:
    text = _survey(FakeDevice(load_capture(CS500), denied=True))
    assert "! cannot open: permission denied" in text
    assert RULE in text


def test_kernel_driver_and_busy_devices_are_explained() -> None:
    capture = load_capture(CS500)
    bound = _survey(FakeDevice(capture, kernel_driver=True))
    assert "kernel driver bound" in bound and "looks like a UPS" not in bound
    busy = _survey(FakeDevice(capture, kernel_driver=False, busy=True))
    assert "busy - another program" in busy
    free = _survey(FakeDevice(capture, kernel_driver=False))
    assert "looks like a UPS" in free and "!" not in free


def test_descriptor_from_sysfs_without_touching_the_device(tmp_path: Path) -> None:
    capture = load_capture(CS500)
    assert capture.descriptor is not None
    node = tmp_path / "1-1:1.0" / "0003:051D:0002.0001"
    node.mkdir(parents=True)
    (node / "report_descriptor").write_bytes(capture.descriptor)
    dev = FakeDevice(capture, kernel_driver=True)
    text = _survey(dev, sysfs=tmp_path)
    assert "report descriptor 374 bytes (sysfs): looks like a UPS" in text
    assert dev.detached == 0 and not dev.claimed


def test_a_keyboard_is_not_a_ups() -> None:
    require_shared()
    capture = load_capture(CS500)
    # a boot keyboard's descriptor start: Generic Desktop page, Keyboard usage
    capture.descriptor = bytes.fromhex("05010906a101050719e029e71500250175019508810295017508"
                                       "8101c0")
    text = _survey(FakeDevice(capture, kernel_driver=False))
    assert "not a UPS" in text


def test_list_works_without_the_optional_hid_package() -> None:
    """The hidapi backend is optional: ``hidups list`` (pyusb) must not need it (it
    crashed with ImportError when the tool imported the hid backend at module level)."""
    code = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'hid' or name.startswith('hid.'):\n"
        "            raise ImportError('hid is not installed here')\n"
        "        return None\n"
        "sys.meta_path.insert(0, Block())\n"
        "from hidups.cli import main\n"
        "sys.exit(main(['list', '--json']))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode in (0, 1), result.stderr
    assert "Traceback" not in result.stderr
