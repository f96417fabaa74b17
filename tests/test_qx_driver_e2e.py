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
from conftest import ROOT, UPSEMU_DIR, require, require_nut, require_shared
from upsemu_util import try_build_upsemu

NUTDRV_QX = "/lib/nut/nutdrv_qx"
QX_LOG = re.compile(r"op=qx bridge=\S+ cmd=(\S+)")
#: What an instant command sends (anything but the status/rating/vendor polls).
COMMAND_SHAPE = re.compile(r"^(S.*|C|CT|T.*|Q)$")


@pytest.fixture(scope="module")
def library() -> Path:
    require_nut()
    require_shared()
    require(Path(NUTDRV_QX).exists(), "Debian's nutdrv_qx is not installed")
    lib, why = try_build_upsemu()
    require(lib is not None, f"upsemu cannot be built: {why}")
    assert lib is not None
    return lib


def section(driver: str, device: Path, extra: dict[str, str], pollinterval: int) -> str:
    lines = [f"[ups]", f"    driver = {driver}", "    port = auto"]
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
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)


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
    listed, nut = send_all("nut", device, library, tmp_path / "nut.log", None)
    mine_listed, ours = send_all("hidups", device, library, tmp_path / "ours.log", listed)
    assert mine_listed == listed
    assert len(listed) >= 5, listed
    for command in listed:
        assert ours[command][1] == nut[command][1], (command, nut[command], ours[command])
        assert ours[command][0] == nut[command][0], (command, nut[command], ours[command])
    # the commands did reach the UPS (not two empty lists compared)
    assert sum(bool(sent) for _, sent in nut.values()) >= 4, nut
    record_property("commands", {c: nut[c] for c in listed})  # type: ignore[operator]
    print(name, {c: nut[c] for c in listed})
