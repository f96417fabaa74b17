"""Q* UPSes through real upsd: instant commands on the wire, upsmon, recovery, serial.

The hidups driver process (``python -m hidups -a ups -F``) and NUT 2.8.0's own
``nutdrv_qx`` serve the same upsemu Q* device to NUT's real ``upsd``; what each sends
the UPS for an ``upscmd`` is read from upsemu's log (``op=qx cmd=...``) and must be the
same bytes, with the same answer from upscmd.
"""

from __future__ import annotations

import contextlib
import getpass
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import qx_driver_util as qd
from conftest import ROOT, nut285_bin, require, require_nut, require_nut285, require_shared
from upsemu_util import try_build_upsemu
from upsmon_util import (
    UPSMON,
    first_after,
    hand_over,
    notify_script,
    process,
    read_notifications,
    upsmon_conf,
    upsmon_home,
)

NUTDRV_QX = "/lib/nut/nutdrv_qx"
QX_LOG = re.compile(r"op=qx bridge=\S+ cmd=(\S+)")
#: What an instant command sends (anything but the status/rating/vendor polls).
COMMAND_SHAPE = re.compile(r"^(S.*|C|CT|T.*|Q)$")


@pytest.fixture(scope="module")
def library() -> Path:
    require_nut()
    require_nut285()
    require_shared()
    require(Path(NUTDRV_QX).exists(), "Debian's nutdrv_qx is not installed")
    lib, why = try_build_upsemu()
    require(lib is not None, f"upsemu cannot be built: {why}")
    assert lib is not None
    return lib


def section(driver: str, device: Path, extra: dict[str, str], pollinterval: int) -> str:
    lines = ["[ups]", f"    driver = {driver}", "    port = auto"]
    lines += [f"    {k} = {v}" if v else f"    {k}" for k, v in
              {**qd.device_ids(device), **extra}.items()]
    lines.append(f"    pollinterval = {pollinterval}")
    return "\n".join(lines) + "\n"


@contextlib.contextmanager
def served(which: str, device: Path, library: Path, log: Path, *,
           extra: dict[str, str] | None = None, pollinterval: int = 2,
           maxage: int = 15) -> Iterator[tuple[object, subprocess.Popen[bytes]]]:
    """upsd serving ``ups`` from hidups or from NUT's nutdrv_qx on ``device``."""
    from nut_util import upsd_running, wait_until

    driver = "hidups" if which == "hidups" else "nutdrv_qx"
    conf = section(driver, device, extra or {}, pollinterval)
    with upsd_running(conf, maxage=maxage) as upsd:
        env = dict(upsd.env, UPSEMU_FILE=str(device), UPSEMU_LOG=str(log), **qd.FAST_EMU)
        if which == "hidups":
            env["HIDUPS_LIBUSB"] = str(library)
            env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT),
                                                              env.get("PYTHONPATH")]))
            argv = [sys.executable, "-m", "hidups", "-a", "ups", "-F"]
        elif which == "nut285":  # nut_sid.sh's wrapper, its libusb being the emulator
            env.update(LD_PRELOAD=str(library), NUT_SID_LIBPATH=str(library.parent / "lib"))
            argv = [str(nut285_bin("nutdrv_qx")), "-a", "ups", "-F", "-u", getpass.getuser()]
        else:
            env["LD_PRELOAD"] = str(library)
            argv = [NUTDRV_QX, "-a", "ups", "-F", "-u", getpass.getuser()]
        with open(upsd.root / "driver.log", "wb") as out:
            proc = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT,
                                    cwd=ROOT)
        try:
            upsd.wait_for_vars("ups", timeout=30)
            assert wait_until(lambda: "ups.status" in upsd.upsc_vars("ups"), 15)
            yield upsd, proc
        finally:
            qd.stop_process(proc)


# --- instant commands on the wire --------------------------------------------------------

#: A value for the commands that take one (seconds, as upscmd passes them).
PARAMS = {"test.battery.start": "120"}


#: Instant commands NUT 2.8.5's driver core adds (main.c); the 2.8.0 binary has none.
CORE_285_COMMANDS = {"shutdown.default"}


def commands_of(upsd: object) -> list[str]:
    """The UPS's own instant commands upsd lists (the driver core's left out: hidups has
    2.8.5's driver.* and shutdown.default, the 2.8.0 binary fewer)."""
    res = upsd.run("upscmd", "-l", upsd.address("ups"))  # type: ignore[attr-defined]
    assert res.returncode == 0, res.stderr
    names = [line.split(" - ")[0].strip() for line in res.stdout.splitlines()
             if " - " in line]
    return sorted(n for n in names
                  if not n.startswith("driver.") and n not in CORE_285_COMMANDS)


def wire(log: Path, start: int) -> list[str]:
    text = log.read_text(errors="replace")[start:] if log.exists() else ""
    return [c for c in QX_LOG.findall(text) if COMMAND_SHAPE.match(c)]


def send_all(which: str, device: Path, library: Path, log: Path,
             names: list[str] | None) -> tuple[list[str], dict[str, tuple[str, list[str]]]]:
    """(commands listed, command -> (upscmd's answer, Q* commands it put on the wire))."""
    out: dict[str, tuple[str, list[str]]] = {}
    with served(which, device, library, log) as (upsd, _):
        listed = commands_of(upsd)
        for name in names if names is not None else listed:
            start = len(log.read_text(errors="replace")) if log.exists() else 0
            res = upsd.upscmd("ups", name, PARAMS.get(name))  # type: ignore[attr-defined]
            answer = (res.stdout + res.stderr).strip().splitlines()
            out[name] = (answer[-1] if answer else f"exit {res.returncode}", wire(log, start))
    return listed, out


WIRE_DEVICES = ["megatec-cypress", "voltronic-qs-cypress", "mustek-ippon", "megatec-krauler"]


@pytest.mark.nut
@pytest.mark.upsemu
@pytest.mark.slow
@pytest.mark.parametrize("name", WIRE_DEVICES)
def test_upscmd_puts_the_same_bytes_on_the_wire(library: Path, tmp_path: Path,
                                                name: str, record_property: object) -> None:
    device = qd.DEVICES_DIR / f"{name}.ups"
    listed, nut = send_all("nut285", device, library, tmp_path / "nut285.log", None)
    listed_280, nut_280 = send_all("nut", device, library, tmp_path / "nut.log", listed)
    mine_listed, ours = send_all("hidups", device, library, tmp_path / "ours.log", listed)
    assert mine_listed == listed == listed_280
    assert len(listed) >= 5, listed
    for command in listed:
        # NUT 2.8.5, the reference, and 2.8.0: the same bytes and the same answer
        for reference in (nut, nut_280):
            assert ours[command][1] == reference[command][1], (command, reference[command],
                                                               ours[command])
            assert ours[command][0] == reference[command][0], (command, reference[command],
                                                               ours[command])
    # the commands did reach the UPS (not two empty lists compared)
    assert sum(bool(sent) for _, sent in nut.values()) >= 4, nut
    record_property("commands", {c: nut[c] for c in listed})  # type: ignore[operator]
    print(name, {c: nut[c] for c in listed})


# --- end to end: upsmon, upsrw/upscmd, unplug and recovery -----------------------------


def rewrite(path: Path, text: str) -> None:
    """Replace the device file atomically: upsemu re-reads it on the next transfer."""
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def with_status(text: str, bits: str) -> str:
    """The device answering Q1 with these 8 status bits (b7 = utility fail)."""
    new, count = re.subn(r"^(qx Q1: \(.*) [01]{8}$", rf"\g<1> {bits}", text, flags=re.M)
    assert count == 1
    return new


@pytest.mark.xdist_group("upsmon")  # one upsmon at a time: Debian's writes /run/nut/upsmon.pid
@pytest.mark.nut
@pytest.mark.upsemu
@pytest.mark.slow
def test_upsmon_sees_onbatt_online_and_the_driver_survives_an_unplug(
        library: Path, tmp_path: Path) -> None:
    from nut_util import MONITOR, MONITOR_PASSWORD, wait_until

    require(Path(UPSMON).exists(), f"{UPSMON} is missing (nut-client)")
    device = tmp_path / "ups.ups"
    # the UPS acknowledges a quick battery test, so upscmd has something to succeed with
    base = (qd.DEVICES_DIR / "megatec-cypress.ups").read_text().replace(
        "\nqx T:\n", "\nqx T: ACK\n")
    rewrite(device, base)
    log = tmp_path / "emu.log"
    with served("hidups", device, library, log, pollinterval=1, maxage=3) as (upsd, drv):
        root = upsd.root  # type: ignore[attr-defined]
        home, env, run_as = upsmon_home(root)
        notes = home / "notify.log"
        notify_script(home / "notify.sh", notes)
        (home / "upsmon.conf").write_text(upsmon_conf(
            upsd.address("ups"), MONITOR, MONITOR_PASSWORD,  # type: ignore[attr-defined]
            home / "notify.sh", home / "shutdown.flag", home / "killpower"))
        hand_over(home, run_as)

        def status() -> str:
            return str(upsd.upsc_vars("ups").get("ups.status", ""))  # type: ignore[attr-defined]

        with process([UPSMON, "-F"], env, home / "upsmon.log", run_as) as upsmon:
            time.sleep(3)  # upsmon logs in and reads OL first
            t0 = time.time()
            rewrite(device, with_status(base, "10000000"))
            assert wait_until(lambda: first_after(read_notifications(notes), ("ONBATT",), t0)
                              is not None, 20, 0.1), (home / "upsmon.log").read_text()
            onbatt = first_after(read_notifications(notes), ("ONBATT",), t0)
            assert status() == "OB"
            t1 = time.time()
            rewrite(device, base)
            assert wait_until(lambda: first_after(read_notifications(notes), ("ONLINE",), t1)
                              is not None, 20, 0.1), (home / "upsmon.log").read_text()
            online = first_after(read_notifications(notes), ("ONLINE",), t1)
            assert status() == "OL"

            # upsrw and upscmd through upsd
            res = upsd.upsrw("ups", "ups.delay.start", "240")  # type: ignore[attr-defined]
            assert res.returncode == 0 and "SUCCESS" in res.stdout + res.stderr, res
            assert upsd.upsc_vars("ups")["ups.delay.start"] == "240"  # type: ignore[attr-defined]
            sent = len(log.read_text(errors="replace"))
            res = upsd.upscmd("ups", "test.battery.start.quick")  # type: ignore[attr-defined]
            assert res.returncode == 0 and "SUCCESS" in res.stdout + res.stderr, res
            assert wire(log, sent) == ["T"]

            # the bridge disappears for 2 s and re-enumerates at a new address
            t2 = time.time()
            rewrite(device, base + "fault_gone_after: 3\nfault_gone_ms: 2000\n")
            assert wait_until(lambda: upsd.upsc_vars("ups").get(  # type: ignore[attr-defined]
                "driver.reconnect_count") == "1", 30, 0.1), (root / "driver.log").read_text()
            recovered = time.time() - t2
            assert wait_until(lambda: status() == "OL", 10, 0.1)
            # upsmon may have seen the data go stale meanwhile: then it sees it come back
            if first_after(read_notifications(notes), ("COMMBAD", "NOCOMM"), t2):
                assert wait_until(lambda: first_after(read_notifications(notes), ("COMMOK",),
                                                      t2) is not None, 15, 0.1)
            events = [name for _, name in read_notifications(notes)]
            upsmon_alive = upsmon.poll() is None
        emu = log.read_text(errors="replace")
        assert "kind=gone" in emu and "kind=back" in emu
        # polled again after the device came back
        assert QX_LOG.findall(emu[emu.index("kind=back"):]).count("Q1") >= 2
        gone = float(re.findall(r"^t=([\d.]+) .*kind=gone", emu, re.M)[0])
        polled = float(re.findall(r"^t=([\d.]+) .*op=qx .*cmd=Q1 ",
                                  emu[emu.index("kind=back"):], re.M)[0])
        assert drv.poll() is None, "the driver restarted or died"
        assert upsd.upsc("ups").returncode == 0  # type: ignore[attr-defined]
    assert upsmon_alive
    assert "SHUTDOWN" not in events and "FSD" not in events, events
    assert onbatt is not None and online is not None
    print(f"ONBATT after {onbatt - t0:.1f} s, ONLINE after {online - t1:.1f} s, "
          f"reconnect_count 1 {recovered:.1f} s after the rewrite, polling again "
          f"{polled - gone:.1f} s after the bridge vanished (2 s away); upsmon: {events}")
    assert polled - gone < 2 + 3  # back within a poll or two of the device's return
    assert onbatt - t0 < 5 and online - t1 < 5
