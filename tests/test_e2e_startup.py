"""Start-up of the driver daemon on the upsemu emulated device: how soon a socket client
(upsd) gets DATAOK.

Target (docs/performance.md): start to first DATAOK under 1 s. NUT's usbhid-ups reads one
interrupt transfer in every update, waiting up to 750 ms, its first update included;
hidups reads interrupts on their own thread once it serves, so its first update in
daemon mode has no reason to block on an empty interrupt pipe before the socket opens.
The emulator's transfer log says how long each interrupt read waited, which makes this
independent of the machine's speed.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from conftest import SHARED_CAPTURES, require

CS500 = SHARED_CAPTURES / "apc-back-ups-cs500-nutddl.json"
FIELD = re.compile(r"(\w+)=(\S+)")


def wait_for_dataok(path: Path, proc: subprocess.Popen[bytes], timeout: float) -> float:
    """time.time() when DUMPALL on the driver socket first answers DATAOK."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the driver exited"
        if path.exists():
            try:
                with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
                    client.connect(str(path))
                    client.settimeout(5)
                    client.sendall(b"DUMPALL\n")
                    data = b""
                    while b"DUMPDONE" not in data:
                        chunk = client.recv(65536)
                        if not chunk:
                            break
                        data += chunk
                    if b"\nDATAOK\n" in data or data.startswith(b"DATAOK\n"):
                        return time.time()
            except OSError:
                pass
        time.sleep(0.005)
    raise TimeoutError(f"no DATAOK on {path}")


def interrupt_waits_before(log: Path, pid: int, moment: float) -> float:
    """Milliseconds ``pid`` spent in interrupt reads that ended before ``moment``."""
    total = 0.0
    for line in log.read_text().splitlines():
        rec = dict(FIELD.findall(line))
        if rec.get("op") == "intr" and rec.get("pid") == str(pid) \
                and float(rec["t"]) < moment:
            total += float(rec.get("waited_ms", "0"))
    return total


@pytest.mark.upsemu
def test_daemon_does_not_block_on_the_interrupt_pipe_before_dataok() -> None:
    from upsemu_util import device_file, try_build_upsemu, upsemu_env

    lib, why = try_build_upsemu()
    require(lib is not None, f"upsemu: {why}")
    require(CS500.exists(), f"{CS500} is missing")
    root = Path(tempfile.mkdtemp(prefix="hidups-startup-"))
    (root / "ups.conf").write_text("[ups]\n    driver = hidups\n    port = auto\n"
                                   "    vendorid = 051d\n")
    log = root / "emu.log"
    env = upsemu_env(device_file(CS500), lib, NUT_CONFPATH=str(root),
                     NUT_STATEPATH=str(root), NUT_ALTPIDPATH=str(root),
                     UPSEMU_LOG=str(log))
    env.pop("UPSEMU_INTR_WAIT_MS")  # an empty interrupt read waits, as on a real bus
    with open(root / "driver.out", "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "hidups", "-a", "ups", "-F"],
                                env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        dataok = wait_for_dataok(root / "hidups-ups", proc, 20)
        blocked = interrupt_waits_before(log, proc.pid, dataok)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        for path in root.iterdir():
            os.unlink(path)
        root.rmdir()
    # the device has nothing queued: waiting on the pipe only delays the first DATAOK
    assert blocked < 100, f"blocked {blocked:.0f} ms on the interrupt pipe before DATAOK"
