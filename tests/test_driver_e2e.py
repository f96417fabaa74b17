"""The driver process end to end: ``-d 1`` dumps, NUT's real upsd and clients on our
socket (scripted mains loss, unplug and replug, upsrw/upscmd), and the pyusb backend
on the upsemu libusb stand-in."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import PROJECT_CAPTURES, SHARED_CAPTURES, require, require_nut
from nut_util import hidups_under_upsd
from shared_captures import shared_capture

CS500_SHARED = SHARED_CAPTURES / "apc-back-ups-cs500-nutddl.json"
CS500_REPLAY = PROJECT_CAPTURES / "apc-back-ups-cs500.json"
CS500_EVENTS = PROJECT_CAPTURES / "apc-back-ups-cs500-events.json"
BK650_REPLAY = PROJECT_CAPTURES / "apc-bk650m2-ch.json"
#: Variables whose value differs for reasons the capture explains (docs/differences.md).
NOT_COMPARED = ("driver.", "device.", "ups.firmware.aux", "ups.serial")


def run_hidups(*argv: str, env: dict[str, str] | None = None,
               timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "hidups", *argv], capture_output=True,
                          text=True, timeout=timeout, env=env)


def parse_dump(text: str) -> dict[str, str]:
    out = {}
    for line in text.splitlines():
        name, sep, value = line.partition(": ")
        if sep:
            out[name] = value
    return out


def assert_like_nut(got: dict[str, str], nut: dict[str, str]) -> None:
    for name, value in nut.items():
        if name.startswith(NOT_COMPARED) or name in NOT_COMPARED:
            continue
        assert got.get(name) == value, name


def test_dump_of_a_replayed_capture_prints_nuts_variables(tmp_path: Path) -> None:
    require(CS500_REPLAY.exists(), f"{CS500_REPLAY} is missing")
    env = {"NUT_STATEPATH": str(tmp_path), "NUT_ALTPIDPATH": str(tmp_path),
           "PATH": "/usr/bin:/bin"}
    result = run_hidups("-s", "ups", "-x", f"port=replay:{CS500_REPLAY}", "-d", "1", env=env)
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if line]
    names = [line.split(": ", 1)[0] for line in lines]
    assert names == sorted(names, key=str.lower)  # upsc's order
    got = parse_dump(result.stdout)
    assert_like_nut(got, shared_capture(CS500_SHARED)["upsc"])
    assert got["driver.version.data"] == "APC HID 0.101"
    assert got["driver.name"] == "hidups"
    assert not list(tmp_path.iterdir())  # -d writes no PID file and no socket


def test_missing_device_is_an_error(tmp_path: Path) -> None:
    env = {"NUT_STATEPATH": str(tmp_path), "NUT_ALTPIDPATH": str(tmp_path),
           "PATH": "/usr/bin:/bin"}
    result = run_hidups("-s", "ups", "-x", f"port=replay:{tmp_path}/none.json", "-d", "1",
                        env=env)
    assert result.returncode == 1
    assert "none.json" in result.stderr


def status_timeline(upsd: object, until: float, start: float) -> list[tuple[float, str]]:
    seen: list[tuple[float, str]] = []
    while time.monotonic() - start < until:
        result = upsd.upsc("ups", "ups.status")  # type: ignore[attr-defined]
        text = result.stdout.strip() if result.returncode == 0 else "STALE" \
            if "stale" in result.stderr.lower() else result.stderr.strip()
        if not seen or seen[-1][1] != text:
            seen.append((time.monotonic() - start, text))
        time.sleep(0.2)
    return seen


@pytest.mark.nut
def test_upsd_shows_variables() -> None:
    require_nut()
    require(CS500_REPLAY.exists(), f"{CS500_REPLAY} is missing")
    with hidups_under_upsd(CS500_REPLAY) as upsd:
        got = upsd.upsc_vars("ups")  # type: ignore[attr-defined]
        assert_like_nut(got, shared_capture(CS500_SHARED)["upsc"])


@pytest.mark.nut
def test_upsrw_and_upscmd_change_the_replayed_device() -> None:
    require_nut()
    require(BK650_REPLAY.exists(), f"{BK650_REPLAY} is missing")
    from nut_util import wait_until

    with hidups_under_upsd(BK650_REPLAY) as upsd:
        rw = upsd.upsrw  # type: ignore[attr-defined]
        upsc = upsd.upsc  # type: ignore[attr-defined]
        result = rw("ups", "input.transfer.low", "170")
        assert result.returncode == 0, result.stdout + result.stderr
        assert upsc("ups", "input.transfer.low").stdout.strip() == "170"  # read back at once
        result = rw("ups", "input.transfer.low", "150")  # the device's range is 160..196
        assert result.returncode != 0 or "OK" not in result.stdout
        assert upsc("ups", "input.transfer.low").stdout.strip() == "170"
        # load.off.delay arms DelayBeforeShutdown, which ups.timer.shutdown reads
        assert upsc("ups", "ups.timer.shutdown").stdout.strip() == "-1"
        result = upsd.upscmd("ups", "load.off.delay", "45")  # type: ignore[attr-defined]
        assert result.returncode == 0, result.stdout + result.stderr
        assert wait_until(
            lambda: upsc("ups", "ups.timer.shutdown").stdout.strip() == "45", timeout=5)


@pytest.mark.nut
@pytest.mark.slow
def test_mains_loss_and_unplug_through_upsd() -> None:
    """The scripted capture: mains lost at 5 s, back at 20 s, unplugged 30..35 s."""
    require_nut()
    require(CS500_EVENTS.exists(), f"{CS500_EVENTS} is missing")
    start = time.monotonic()
    with hidups_under_upsd(CS500_EVENTS) as upsd:
        timeline = status_timeline(upsd, 42, start)
    states = [s for _, s in timeline]
    assert states[0] == "OL"
    assert "OB DISCHRG" in states
    ob_at = next(t for t, s in timeline if s == "OB DISCHRG")
    assert 5 <= ob_at < 6.5, timeline  # the interrupt, not the next full poll
    back = states.index("OB DISCHRG") + 1
    assert states[back].startswith("OL"), timeline
    assert "STALE" in states[back:], timeline
    assert states[-1].startswith("OL"), timeline  # reconnected without a restart


@pytest.mark.upsemu
def test_pyusb_backend_on_upsemu(tmp_path: Path) -> None:
    from upsemu_util import device_file, try_build_upsemu, upsemu_env

    lib, why = try_build_upsemu()
    require(lib is not None, f"upsemu: {why}")
    device = device_file(CS500_SHARED)
    env = upsemu_env(device, lib, NUT_STATEPATH=str(tmp_path), NUT_ALTPIDPATH=str(tmp_path))
    result = run_hidups("-s", "emu", "-x", "port=auto", "-x", "vendorid=051d", "-d", "1",
                        env=env)
    assert result.returncode == 0, result.stderr
    got = parse_dump(result.stdout)
    assert got["ups.vendorid"] == "051d"
    assert got["ups.status"] == "OL"
    assert_like_nut(got, shared_capture(CS500_SHARED)["upsc"])


def test_killpower_opens_the_device_when_no_driver_runs(tmp_path: Path) -> None:
    """BK650M2 has no start timer: NUT's order falls through to shutdown.reboot."""
    require(BK650_REPLAY.exists(), f"{BK650_REPLAY} is missing")
    env = {"NUT_STATEPATH": str(tmp_path), "NUT_ALTPIDPATH": str(tmp_path),
           "PATH": "/usr/bin:/bin"}
    result = run_hidups("-s", "ups", "-x", f"port=replay:{BK650_REPLAY}", "-k", env=env)
    assert result.returncode == 0, result.stderr
    assert "'shutdown.reboot'" in result.stderr
    failing = run_hidups("-s", "ups", "-x", f"port=replay:{BK650_REPLAY}",
                         "-x", "sdcommands=shutdown.return", "-k", env=env)
    assert failing.returncode == 1
    assert "Shutdown failed" in failing.stderr


@pytest.mark.nut
def test_killpower_goes_through_the_running_driver() -> None:
    require_nut()
    require(BK650_REPLAY.exists(), f"{BK650_REPLAY} is missing")
    from nut_util import wait_until

    with hidups_under_upsd(BK650_REPLAY) as upsd:
        env = upsd.env  # type: ignore[attr-defined]
        result = run_hidups("-a", "ups", "-k", env=env)
        assert result.returncode == 0, result.stderr
        assert "running driver reports killpower" in result.stderr
        assert wait_until(lambda: upsd.upsc(  # type: ignore[attr-defined]
            "ups", "ups.timer.reboot").stdout.strip() == "10", timeout=5)


def test_unknown_option_is_refused_with_its_name(tmp_path: Path) -> None:
    env = {"NUT_STATEPATH": str(tmp_path), "NUT_ALTPIDPATH": str(tmp_path),
           "PATH": "/usr/bin:/bin"}
    result = run_hidups("-s", "ups", "-x", f"port=replay:{CS500_REPLAY}", "-x", "bogus=1",
                        "-d", "1", env=env)
    assert result.returncode == 1
    assert "bogus" in result.stderr


def test_dump_honours_pollonly_and_subdriver_pollfreq(tmp_path: Path) -> None:
    """CyberPower's subdriver brings pollfreq 12 (NUT's cps-hid); the user's wins."""
    capture = PROJECT_CAPTURES / "cyberpower-cp1500pfclcd.json"
    require(capture.exists(), f"{capture} is missing")
    env = {"NUT_STATEPATH": str(tmp_path), "NUT_ALTPIDPATH": str(tmp_path),
           "PATH": "/usr/bin:/bin"}
    result = run_hidups("-s", "ups", "-x", f"port=replay:{capture}", "-x", "pollonly",
                        "-d", "1", env=env)
    assert result.returncode == 0, result.stderr
    got = parse_dump(result.stdout)
    assert got["driver.parameter.pollfreq"] == "12"
    assert got["driver.flag.pollonly"] == "enabled"
    assert got["ups.delay.shutdown"] == "60" and got["ups.delay.start"] == "120"
    result = run_hidups("-s", "ups", "-x", f"port=replay:{capture}", "-x", "pollfreq=20",
                        "-x", "offdelay=90", "-d", "1", env=env)
    got = parse_dump(result.stdout)
    assert got["driver.parameter.pollfreq"] == "20"
    assert got["ups.delay.shutdown"] == "90"
