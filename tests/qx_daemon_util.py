"""A Q* driver daemon (NUT 2.8.5's nutdrv_qx or hidups) on an upsemu device, driven
through its socket as upsd would: instant commands, setvars, DUMPALL.

Both drivers get the same ups.conf section and the same device file; what each sends
the UPS is read back from upsemu's log (``op=qx ... cmd=...``), command by command.
"""

from __future__ import annotations

import contextlib
import getpass
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import qx_driver_util as qd
from conftest import ROOT, nut285_root
from qx_driver_util import FAST_EMU, device_ids

from hidups.nut.client import DriverClient

QX_LOG = re.compile(r"op=qx bridge=\S+ cmd=(\"(?:[^\"\\]|\\.)*\"|\S+)")


@dataclass
class Daemon:
    """A running driver: its socket client and upsemu's log."""

    client: DriverClient
    log: Path
    proc: subprocess.Popen[bytes]
    output: Path
    names: dict[int, str] = field(default_factory=lambda: {
        0: "HANDLED", 1: "UNKNOWN", 2: "INVALID", 3: "FAILED", 4: "CONVERSION_FAILED"})

    def wire(self) -> list[str]:
        """Every command upsemu has seen so far (as its log spells them)."""
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return QX_LOG.findall(text)

    def sent_by(self, action: object, settle: float = 0.05) -> tuple[str, list[str]]:
        """Run ``action`` (returns a status code); its status name and what it sent
        until ``settle`` seconds after the answer."""
        before = len(self.wire())
        code = action() if callable(action) else -1
        time.sleep(settle)  # the log line of a transfer still being written
        return self.names.get(int(code), str(code)), self.wire()[before:]

    def instcmd(self, name: str, param: str | None = None,
                settle: float = 0.05) -> tuple[str, list[str]]:
        return self.sent_by(lambda: self.client.instcmd(name, param, timeout=15), settle)

    def setvar(self, name: str, value: str, settle: float = 0.05) -> tuple[str, list[str]]:
        return self.sent_by(lambda: self.client.setvar(name, value, timeout=15), settle)

    def dump(self) -> dict[str, str]:
        """DUMPALL as ``name: value`` (plus ``#`` for DATAOK/DATASTALE)."""
        out: dict[str, str] = {}
        for words in self.client.dump(timeout=10):
            if words and words[0] == "SETINFO" and len(words) >= 3:
                out[words[1]] = words[2]
            elif words in (["DATAOK"], ["DATASTALE"]):
                out["#"] = words[0]
        return out


def _section(driver: str, device: Path, options: Mapping[str, str]) -> str:
    lines = ["maxretry = 1", "[emu]", f"    driver = {driver}", "    port = auto"]
    lines += [f'    {k} = "{v}"' if v else f"    {k}"
              for k, v in {**device_ids(device), **options}.items()]
    return "\n".join(lines) + "\n"


def _argv(which: str, tmp: Path, library: Path, env: dict[str, str]) -> tuple[list[str], str]:
    """The driver's command line (without mode flags) and its name in ups.conf."""
    if which == "nut":
        root = nut285_root()
        assert root is not None, "call require_nut285() first"
        rootlib = root / "usr/lib/x86_64-linux-gnu"
        (tmp / "lib").mkdir(exist_ok=True)
        if not (tmp / "lib/libusb-1.0.so.0").exists():
            (tmp / "lib/libusb-1.0.so.0").symlink_to(library.resolve())
        env["LD_PRELOAD"] = str(library)
        return [str(rootlib / "ld-linux-x86-64.so.2"), "--library-path",
                f"{tmp / 'lib'}:{rootlib}", str(root / "usr/libexec/nut/nutdrv_qx"),
                "-a", "emu", "-u", getpass.getuser()], "nutdrv_qx"
    env["HIDUPS_LIBUSB"] = str(library)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return [sys.executable, "-m", "hidups", "-a", "emu"], "hidups"


def _env(tmp: Path, device: Path, log: Path) -> dict[str, str]:
    return dict(os.environ, NUT_CONFPATH=str(tmp), NUT_STATEPATH=str(tmp / "state"),
                NUT_ALTPIDPATH=str(tmp / "state"), UPSEMU_FILE=str(device.resolve()),
                UPSEMU_LOG=str(log), **FAST_EMU)


def killpower(which: str, device: Path, library: Path,
              options: Mapping[str, str]) -> tuple[int, list[str], str]:
    """``driver -a emu -k`` (no driver running): exit code, commands sent, output."""
    with tempfile.TemporaryDirectory(prefix=f"qxk-{which}.") as name:
        tmp = Path(name)
        (tmp / "state").mkdir()
        log = tmp / "emu.log"
        env = _env(tmp, device, log)
        argv, driver = _argv(which, tmp, library, env)
        (tmp / "ups.conf").write_text(_section(driver, device, options))
        res = subprocess.run([*argv, "-k"], env=env, capture_output=True, timeout=120,
                             cwd=ROOT)
        text = log.read_text(errors="replace") if log.exists() else ""
        return (res.returncode, QX_LOG.findall(text),
                (res.stdout + res.stderr).decode("latin-1"))


@contextlib.contextmanager
def daemon(which: str, device: Path, library: Path, options: Mapping[str, str],
           *, startup: float = 30) -> Iterator[Daemon]:
    """``which`` = "nut" (NUT 2.8.5's nutdrv_qx through its prefix's loader, as
    upsemu's run_nut.sh starts it) or "hidups"."""
    with tempfile.TemporaryDirectory(prefix=f"qxd-{which}.") as name:
        tmp = Path(name)
        (tmp / "state").mkdir()
        log, output = tmp / "emu.log", tmp / "driver.out"
        env = _env(tmp, device, log)
        argv, driver = _argv(which, tmp, library, env)
        sock = tmp / "state" / f"{driver}-emu"
        (tmp / "ups.conf").write_text(_section(driver, device, options))
        with open(output, "wb") as out:
            proc = subprocess.Popen([*argv, "-F"], env=env, stdout=out, stderr=subprocess.STDOUT,
                                    cwd=ROOT)
        try:
            client = _connect(sock, proc, output, startup)
            with client:
                yield Daemon(client, log, proc, output)
        finally:
            qd.stop_process(proc)


def _connect(sock: Path, proc: subprocess.Popen[bytes], output: Path,
             startup: float) -> DriverClient:
    deadline = time.monotonic() + startup
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"the driver exited: {output.read_text(errors='replace')}")
        if sock.exists():
            try:
                client = DriverClient(str(sock), timeout=10)
                if client.dump(timeout=10):
                    return client
            except OSError:
                pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"no driver socket {sock}: "
                               f"{output.read_text(errors='replace')}")
        time.sleep(0.1)
