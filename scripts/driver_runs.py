"""Run NUT 2.8.5's ``usbhid-ups`` or hidups as a daemon on one upsemu device file.

The killpower differential (``tests/test_killpower_nut.py``) and the fault table
(``scripts/fault_compare.py``) both need the two drivers started the same way on the
same emulated device, each with its own upsemu transfer log and driver socket, so that
what each wrote to the device (SET_REPORT) and what each served (DUMPALL) can be put
side by side. NUT 2.8.5 is the reference: it runs from the prefix that ``.ci/run``
unpacks with upsemu's ``nut_sid.sh`` (its wrapper loads the prefix's own libraries;
``NUT_SID_LIBPATH`` puts the emulator in front as ``libusb-1.0.so.0``).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from hidups.nut.client import DriverClient

ROOT = Path(__file__).resolve().parents[1]
UPS = "ups"
#: upsemu truncates logged data to 64 bytes by default; a SET_REPORT must be whole
LOG_MAXDATA = "4096"


def nut285_dir() -> Path | None:
    """Where ``.ci/run`` unpacks NUT 2.8.5 (``HIDUPS_NUT285``, else
    ``~/.cache/hidups/nut-2.8.5``), or None when it is not (completely) there."""
    base = Path(os.environ.get("HIDUPS_NUT285",
                               Path.home() / ".cache" / "hidups" / "nut-2.8.5"))
    if (base / ".complete").exists() and (base / "bin" / "usbhid-ups").exists():
        return base
    return None


@dataclass(frozen=True)
class Transfer:
    """One SET_REPORT the device received, as upsemu logged it."""

    what: str  # e.g. SET_REPORT/feature/0x40
    data: str  # hex, report id first
    rc: int

    def __str__(self) -> str:
        return f"{self.what} {self.data} rc={self.rc}"


_CTRL = re.compile(r"\bop=ctrl\b.*\bwhat=(SET_REPORT\S*) rc=(-?\d+).*\bdata=(\S+)")


def set_reports(log: Path, start: int = 0, end: int | None = None) -> list[Transfer]:
    """The SET_REPORT transfers in upsemu's log between two byte offsets, in order."""
    if not log.exists():
        return []
    with log.open("rb") as handle:
        handle.seek(start)
        text = handle.read(None if end is None else max(end - start, 0)).decode("latin-1")
    out = []
    for line in text.splitlines():
        m = _CTRL.search(line)
        if m:
            out.append(Transfer(m.group(1), m.group(3), int(m.group(2))))
    return out


def log_size(log: Path) -> int:
    return log.stat().st_size if log.exists() else 0


def device_ids(device: Path) -> tuple[str, str]:
    """The ``vid:``/``pid:`` of an upsemu device file, as 4 hex digits."""
    text = device.read_text()
    found = {}
    for key in ("vid", "pid"):
        m = re.search(rf"^\s*{key}\s*:\s*(?:0[xX])?([0-9A-Fa-f]+)", text, re.M)
        if m is None:
            raise ValueError(f"{device}: no '{key}:' line")
        found[key] = "%04X" % int(m.group(1), 16)
    return found["vid"], found["pid"]


@dataclass
class Daemon:
    """One running driver: its process, socket, stderr log and upsemu transfer log."""

    kind: str  # "nut" or "hidups"
    proc: subprocess.Popen[bytes]
    sock: Path
    log: Path
    translog: Path
    t0: float = field(default_factory=time.monotonic)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def wait_ready(self, timeout: float = 30.0) -> bool:
        """True once the socket answers a DUMPALL (the driver has its data)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.alive():
            try:
                with DriverClient(str(self.sock), timeout=3) as client:
                    client.dump(timeout=3)
                return True
            except (OSError, TimeoutError):
                time.sleep(0.1)
        return False

    def dump(self, timeout: float = 3.0) -> list[list[str]]:
        with DriverClient(str(self.sock), timeout=timeout) as client:
            return client.dump(timeout=timeout)

    def stop(self) -> int:
        if self.alive():
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        return self.proc.returncode

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def emulator_env(device: Path, lib: Path, translog: Path, state: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(UPSEMU_FILE=str(device), UPSEMU_LOG=str(translog), UPSEMU_LOG_MAXDATA=LOG_MAXDATA,
               NUT_STATEPATH=str(state), NUT_ALTPIDPATH=str(state))
    env.setdefault("UPSEMU_INTR_WAIT_MS", "0")
    return env


def start(kind: str, device: Path, work: Path, lib: Path, *, poll: float = 1.0,
          extra: Sequence[str] = (), args: Sequence[str] = ("-F",),
          nut: Path | None = None) -> Daemon:
    """Start ``kind`` ("nut": NUT 2.8.5's usbhid-ups, "hidups") on ``device``.

    ``extra`` are ``ups.conf``-style ``key=value`` (or flag) settings, given to NUT in
    its ``ups.conf`` and to hidups as ``-x``; ``args`` are the driver's own arguments
    (``-F`` daemon in the foreground, or ``-k``).
    """
    work.mkdir(parents=True, exist_ok=True)
    state = work / "state"
    state.mkdir(exist_ok=True)
    translog = work / "transfers.log"
    log = work / "driver.log"
    vid, pid = device_ids(device)
    env = emulator_env(device, lib, translog, state)
    settings = ["port=auto", f"vendorid={vid}", f"productid={pid}",
                f"pollinterval={poll:g}", *extra]
    if kind == "nut":
        base = nut or nut285_dir()
        if base is None:
            raise FileNotFoundError("NUT 2.8.5 is not unpacked (HIDUPS_NUT285)")
        lines = ["maxretry = 1", f"[{UPS}]", "    driver = usbhid-ups"]
        for kv in settings:
            key, eq, value = kv.partition("=")
            lines.append(f'    {key} = "{value}"' if eq else f"    {key}")
        (work / "ups.conf").write_text("\n".join(lines) + "\n")
        env.update(NUT_CONFPATH=str(work), NUT_SID_LIBPATH=str(lib.parent / "lib"),
                   LD_PRELOAD=str(lib))
        user = subprocess.run(["id", "-un"], capture_output=True, text=True).stdout.strip()
        cmd = [str(base / "bin" / "usbhid-ups"), "-a", UPS, "-u", user, *args]
        sock = state / f"usbhid-ups-{UPS}"
    elif kind == "hidups":
        env["HIDUPS_LIBUSB"] = str(lib)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
        cmd = [sys.executable, "-m", "hidups", "-s", UPS, *args]
        for kv in settings:
            cmd += ["-x", kv]
        sock = state / f"hidups-{UPS}"
    else:
        raise ValueError(f"unknown driver kind {kind!r} (nut or hidups)")
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT,
                                cwd=work)
    return Daemon(kind, proc, sock, log, translog)


@contextmanager
def running(kind: str, device: Path, work: Path, lib: Path, **kw: object
            ) -> Iterator[Daemon]:
    """:func:`start` in daemon mode, waited for, and always stopped."""
    daemon = start(kind, device, work, lib, **kw)  # type: ignore[arg-type]
    try:
        if not daemon.wait_ready():
            raise RuntimeError(f"{kind} never served its socket:\n{daemon.log_text()[-3000:]}")
        yield daemon
    finally:
        daemon.stop()


def copy_device(device: Path, work: Path) -> Path:
    """A private copy of a device file (faults rewrite it; each run its own)."""
    work.mkdir(parents=True, exist_ok=True)
    dev = work / "dev.ups"
    shutil.copy(device, dev)
    return dev
