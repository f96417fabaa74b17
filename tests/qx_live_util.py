"""NUT 2.8.5's nutdrv_qx or the hidups driver, running on an upsemu Q* device, with its
socket open to the test as upsd would use it.

Why: ``run_nut.sh -F`` prints only ``name: value`` lines and sends only instant commands;
comparing writable flags, enums, command lists and SET answers needs the socket itself.
NUT 2.8.5 runs through its prefix's loader with the emulator as its libusb, as
``run_nut.sh`` does.
"""

from __future__ import annotations

import contextlib
import getpass
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

import qx_driver_util as qd
from conftest import ROOT, nut285_root

from hidups.nut.client import DriverClient


def _conf(driver: str, device: Path, options: Mapping[str, str]) -> str:
    lines = ["maxretry = 1", "[emu]", f"    driver = {driver}", "    port = auto",
             "    pollinterval = 1"]
    for key, value in {**qd.device_ids(device), **options}.items():
        lines.append(f'    {key} = "{value}"' if value else f"    {key}")
    return "\n".join(lines) + "\n"


def _argv(which: str, tmp: Path, library: Path) -> tuple[list[str], dict[str, str]]:
    if which == "hidups":
        env = {"HIDUPS_LIBUSB": str(library),
               "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT),
                                                          os.environ.get("PYTHONPATH")]))}
        return [sys.executable, "-m", "hidups", "-a", "emu", "-F"], env
    root = nut285_root()
    if root is None:
        raise RuntimeError("NUT 2.8.5 is not unpacked (see conftest.require_nut285)")
    rootlib = root / "usr" / "lib" / "x86_64-linux-gnu"
    (tmp / "lib").mkdir()
    (tmp / "lib" / "libusb-1.0.so.0").symlink_to(library.resolve())
    argv = [str(rootlib / "ld-linux-x86-64.so.2"), "--library-path", f"{tmp / 'lib'}:{rootlib}",
            str(root / "usr" / "libexec" / "nut" / "nutdrv_qx"), "-a", "emu", "-u",
            getpass.getuser(), "-F"]
    return argv, {"LD_PRELOAD": str(library)}


def _prepare(which: str, tmp: Path, device: Path, library: Path,
             options: Mapping[str, str], log: Path) -> tuple[list[str], dict[str, str]]:
    """ups.conf and state folder in ``tmp``; the driver's argv and environment."""
    (tmp / "state").mkdir()
    driver = "hidups" if which == "hidups" else "nutdrv_qx"
    (tmp / "ups.conf").write_text(_conf(driver, device, options))
    argv, extra = _argv(which, tmp, library)
    env = dict(os.environ, NUT_CONFPATH=str(tmp), NUT_STATEPATH=str(tmp / "state"),
               NUT_ALTPIDPATH=str(tmp / "state"), UPSEMU_FILE=str(device.resolve()),
               UPSEMU_LOG=str(log), **qd.FAST_EMU, **extra)
    return argv, env


def run_once(which: str, device: Path, library: Path, options: Mapping[str, str],
             log: Path, args: list[str]) -> subprocess.CompletedProcess[bytes]:
    """Run the driver once with ``args`` in place of ``-F`` (e.g. ``-k``), to its exit."""
    with tempfile.TemporaryDirectory(prefix=f"qxonce-{which}.") as name:
        tmp = Path(name)
        argv, env = _prepare(which, tmp, device, library, options, log)
        return subprocess.run([*argv[:-1], *args], env=env, capture_output=True, timeout=120,
                              cwd=ROOT)


@contextlib.contextmanager
def live_driver(which: str, device: Path, library: Path, options: Mapping[str, str],
                log: Path, timeout: float = 30) -> Iterator[DriverClient]:
    """``which`` = "nut" (2.8.5) or "hidups" serving ``device``; yields a socket client
    once the driver has published ups.status."""
    with tempfile.TemporaryDirectory(prefix=f"qxlive-{which}.") as name:
        tmp = Path(name)
        argv, env = _prepare(which, tmp, device, library, options, log)
        with open(tmp / "driver.log", "wb") as out:
            proc = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT,
                                    cwd=ROOT)
        try:
            yield _connect(proc, tmp, timeout)
        finally:
            qd.stop_process(proc)


def _connect(proc: subprocess.Popen[bytes], tmp: Path, timeout: float) -> DriverClient:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"driver exited {proc.returncode}: "
                               f"{(tmp / 'driver.log').read_text(errors='replace')}")
        sockets = [p for p in (tmp / "state").glob("*-emu") if p.is_socket()]
        if sockets:
            client = DriverClient(str(sockets[0]))
            if any(w[:2] == ["SETINFO", "ups.status"] for w in client.dump()):
                return client
            client.close()
        time.sleep(0.2)
    raise RuntimeError(f"no driver socket: {(tmp / 'driver.log').read_text(errors='replace')}")


def state_of(client: DriverClient) -> dict[str, str]:
    """DUMPALL as ``{"SETINFO name": value, "SETFLAGS name": flags, "ADDENUM name value":
    "", "ADDCMD name": "", ...}``, the driver core's own (driver.*) left out; a variable
    updated while the dump runs keeps its last value."""
    out: dict[str, str] = {}
    for words in client.dump():
        if len(words) < 2 or words[1].startswith("driver."):
            continue
        if words[0] in ("SETINFO", "SETFLAGS"):
            out[f"{words[0]} {words[1]}"] = " ".join(words[2:])
        elif words[0] == "DELINFO":
            out.pop(f"SETINFO {words[1]}", None)
        else:
            out[" ".join(words)] = ""
    return out
