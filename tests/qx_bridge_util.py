"""Drive a Q* bridge on the emulator from a child (pyusb keeps the first libusb it loads)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, UPSEMU_DIR, require, require_shared
from upsemu_util import try_build_upsemu, upsemu_env

DEVICES = UPSEMU_DIR / "devices"


CHILD = r"""
import json, os, sys, time
from hidups.transport.qx_usb import open_qx_usb, reopen_qx_usb
req = json.loads(sys.argv[1])
log = os.environ.get("UPSEMU_LOG")

def run(cmds, link, out):
    for cmd in cmds:
        if cmd == "sleep":
            time.sleep(0.6)
            continue
        try:
            out.append(["ok", link.command(bytes.fromhex(cmd)).hex()])
        except Exception as exc:
            out.append([type(exc).__name__, str(exc), getattr(exc, "libusb_error", None)])

try:
    link = open_qx_usb(req["options"])
except Exception as exc:
    print(json.dumps({"open_error": [type(exc).__name__, str(exc)]}))
    sys.exit(0)
out = {"bridge": link.bridge, "vidpid": link.info.vidpid, "answers": []}
out["marker"] = os.path.getsize(log) if log and os.path.exists(log) else 0
run(req["commands"], link, out["answers"])
link.close()
if req.get("reopen"):
    time.sleep(0.6)
    link = reopen_qx_usb(link, req["options"])
    out["reopened_bridge"] = link.bridge
    out["reopened"] = []
    run(req["reopen"], link, out["reopened"])
    link.close()
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def emulator() -> Path:
    require_shared()
    lib, why = try_build_upsemu()
    require(lib is not None, f"upsemu unavailable: {why}")
    assert lib is not None
    return lib


def drive(lib: Path, device: Path, options: dict[str, str], commands: list[bytes],
          log: Path | None = None, reopen: list[bytes] | None = None,
          wait_ms: int = 50) -> dict[str, object]:
    """Open ``device`` through open_qx_usb in a child and send ``commands``."""
    extra = {"UPSEMU_INTR_WAIT_MS": str(wait_ms)}
    if log is not None:
        extra["UPSEMU_LOG"] = str(log)
    env = upsemu_env(device, lib, **extra)
    request = {"options": options, "commands": [c.hex() if c != b"sleep" else "sleep"
                                                for c in commands],
               "reopen": [c.hex() for c in reopen or []]}
    result = subprocess.run([sys.executable, "-c", CHILD, json.dumps(request)], env=env,
                            capture_output=True, text=True, timeout=180, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    out: dict[str, object] = json.loads(result.stdout.strip().splitlines()[-1])
    return out
