"""NUT 2.8.5's nutdrv_qx in the foreground on an upsemu Q* device, driven through its
Unix socket as upsd would (``INSTCMD`` and ``SET VAR`` with ``TRACKING``).

Why: ``run_nut.sh -c`` only sends instant commands; setvars need the socket. The
driver runs through the 2.8.5 prefix's own loader with upsemu as its libusb, as
``run_nut.sh`` does (see its header), and upsemu logs every Q* command it receives.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from qx_driver_util import FAST_EMU, device_ids

from hidups.errors import CommandStatus

STATUS = {status.value: status.name for status in CommandStatus}


def _line(stream: object) -> str:
    data = stream.readline()  # type: ignore[attr-defined]
    return str(data.decode("latin-1").strip())


def nut285_requests(root: Path, device: Path, library: Path, options: Mapping[str, str],
                    requests: Sequence[str], log: Path, *, settle: float = 2.0
                    ) -> tuple[list[str], dict[str, str]]:
    """Send each request (``INSTCMD name [param]`` or ``SET name value``: the driver
    socket's words, not upsd's ``SET VAR``) and
    return NUT's answer to each (HANDLED, UNKNOWN, ...), then the driver's variables
    (``DUMPALL``: every name, unlike ``run_nut.sh``'s dump, whose filter drops names
    with ``-`` such as ``input.L1-N.voltage``)."""
    with tempfile.TemporaryDirectory(prefix="nut285-qx.") as tmp:
        base = Path(tmp)
        args, env = _nut285(root, base, device, library, options, log)
        with (base / "driver.log").open("w") as err:
            proc = subprocess.Popen([*args, "-F"], env=env, stdout=subprocess.DEVNULL,
                                    stderr=err)
            try:
                return _talk(base / "state/nutdrv_qx-emu", requests, settle)
            finally:
                proc.terminate()
                proc.wait(timeout=30)


def nut285_killpower(root: Path, device: Path, library: Path, options: Mapping[str, str],
                     log: Path) -> int:
    """``nutdrv_qx -k`` (``upsdrv_shutdown``): its exit code; upsemu logs the bytes."""
    with tempfile.TemporaryDirectory(prefix="nut285-qx.") as tmp:
        args, env = _nut285(root, Path(tmp), device, library, options, log)
        return subprocess.run([*args, "-k"], env=env, capture_output=True,
                              timeout=120).returncode


def _nut285(root: Path, base: Path, device: Path, library: Path,
            options: Mapping[str, str], log: Path) -> tuple[list[str], dict[str, str]]:
    """ups.conf, the emulator as libusb and the prefix's loader: the driver's argv/env."""
    rootlib = root / "usr/lib/x86_64-linux-gnu"
    driver = root / "usr/libexec/nut/nutdrv_qx"
    (base / "state").mkdir()
    (base / "lib").mkdir()
    (base / "lib/libusb-1.0.so.0").symlink_to(library.resolve())
    lines = ["[emu]", "    driver = nutdrv_qx", "    port = auto", "    pollinterval = 1"]
    for key, value in {**device_ids(device), **options}.items():
        lines.append(f'    {key} = "{value}"' if value else f"    {key}")
    (base / "ups.conf").write_text("\n".join(lines) + "\n")
    env = dict(os.environ, NUT_CONFPATH=str(base), NUT_STATEPATH=str(base / "state"),
               NUT_ALTPIDPATH=str(base / "state"), UPSEMU_FILE=str(device.resolve()),
               UPSEMU_LOG=str(log), LD_PRELOAD=str(library.resolve()), **FAST_EMU)
    user = subprocess.run(["id", "-un"], capture_output=True, text=True).stdout.strip()
    return [str(rootlib / "ld-linux-x86-64.so.2"), "--library-path",
            f"{base / 'lib'}:{rootlib}", str(driver), "-a", "emu", "-u", user], env


def _talk(path: Path, requests: Sequence[str], settle: float,
          ) -> tuple[list[str], dict[str, str]]:
    deadline = time.monotonic() + 30
    while True:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(20)
        try:
            sock.connect(str(path))
            break
        except OSError:
            sock.close()
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    answers: list[str] = []
    with sock, sock.makefile("rb") as stream:
        # ready: the first update published the status and the driver is idle again
        # (a fixed wait lost the race on a loaded machine)
        ready = time.monotonic() + 30
        while time.monotonic() < ready:
            seen = _dump(sock, stream)
            if "ups.status" in seen and seen.get("driver.state", "quiet") == "quiet":
                break
            time.sleep(0.3)
        time.sleep(settle)
        for number, request in enumerate(requests):
            sock.sendall(f"{request} TRACKING r{number}\n".encode())
            while True:
                line = _line(stream)
                if not line or line.startswith(f"TRACKING r{number} "):
                    break
            answers.append(STATUS.get(int(line.split()[-1]), line) if line else "no answer")
        if requests:
            time.sleep(settle)  # the updates after the last request, on both drivers
        variables = _dump(sock, stream)
    return answers, variables


def _dump(sock: socket.socket, stream: object) -> dict[str, str]:
    """``DUMPALL``: the driver's variables (broadcasts before it are read as updates)."""
    sock.sendall(b"DUMPALL\n")
    variables: dict[str, str] = {}
    while (line := _line(stream)) and line != "DUMPDONE":
        if line.startswith("SETINFO "):
            name, value = line[8:].split(" ", 1)
            if value.startswith('"') and value.endswith('"'):
                value = re.sub(r"\\(.)", r"\1", value[1:-1])
            variables[name] = value
    return variables


def hidups_requests(device: Path, library: Path, options: Mapping[str, str],
                    requests: Sequence[str], log: Path, env: Mapping[str, str], *,
                    settle: float = 2.0) -> tuple[list[str], dict[str, str]]:
    """The same requests to the hidups driver process (``python -m hidups -a emu -F``),
    through the driver socket it serves for upsd; ``env`` carries PYTHONPATH and the
    emulator's variables (qx_driver_util.hidups_env)."""
    import sys

    with tempfile.TemporaryDirectory(prefix="hidups-qx.") as tmp:
        base = Path(tmp)
        lines = ["[emu]", "    driver = hidups", "    port = auto", "    pollinterval = 1"]
        for key, value in {**device_ids(device), **options}.items():
            lines.append(f'    {key} = "{value}"' if value else f"    {key}")
        (base / "ups.conf").write_text("\n".join(lines) + "\n")
        run_env = dict(env, NUT_CONFPATH=str(base), NUT_STATEPATH=str(base),
                       NUT_ALTPIDPATH=str(base), UPSEMU_LOG=str(log))
        with (base / "driver.log").open("w") as err:
            proc = subprocess.Popen([sys.executable, "-m", "hidups", "-a", "emu", "-F"],
                                    env=run_env, stdout=err, stderr=err)
            try:
                return _talk(base / "hidups-emu", requests, settle)
            finally:
                proc.terminate()
                proc.wait(timeout=30)
