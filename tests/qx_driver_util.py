"""Run NUT 2.8.0's nutdrv_qx and the hidups driver process on the same upsemu Q* device.

Both drivers see one device file through upsemu (``run_nut.sh`` for NUT, ``python -m
hidups -s ups -x port=auto ...`` for hidups, as ``scripts/differential.py`` does for HID
UPSes), and their ``name: value`` dumps are compared. The known differences (2.8.0
against the 2.8.5 that hidups follows, and what describes the driver itself) are listed
here, each with its reason, so that anything else fails.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from conftest import ROOT, SHARED_CAPTURES, UPSEMU_DIR, nut285_root, require, require_nut285
from upsemu_util import CACHE, try_build_upsemu

DEVICES_DIR = UPSEMU_DIR / "devices"
LINE = re.compile(r"^([A-Za-z0-9_.]+): (.*)$")
#: Empty interrupt reads wait 50 ms instead of 1000 ms (phoenix, sgs, snr make many);
#: both drivers get the same setting.
FAST_EMU = {"UPSEMU_INTR_WAIT_MS": "50"}

#: Options a device needs with either driver, as on real hardware (upsemu's README):
#: NUT 2.8.0 matches hunnox before snr, and snr wants langid_fix. (On the ablerex bridge
#: the Megatec protocol answers first, which is what both drivers run there.)
DEVICE_OPTIONS: dict[str, dict[str, str]] = {
    "megatec-snr": {"subdriver": "snr", "langid_fix": "0x0409"},
}


def example_devices() -> list[Path]:
    """upsemu's Q* example devices: one or more per bridge."""
    return sorted(p for p in DEVICES_DIR.glob("*.ups") if "qx_bridge" in p.read_text())


def qx_captures() -> list[Path]:
    return sorted((SHARED_CAPTURES / "qx").glob("*.json"))


def capture_device(capture: Path) -> Path:
    """The upsemu device file ``qx2ups.py`` makes from a Q* capture (cached by content)."""
    digest = hashlib.sha256(capture.read_bytes()).hexdigest()[:12]
    out = CACHE / "qx-driver-devices" / f"{capture.stem}.{digest}.ups"
    if out.exists():
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    made = subprocess.run([sys.executable, str(UPSEMU_DIR / "qx2ups.py"), str(capture)],
                          capture_output=True, text=True, timeout=60)
    if made.returncode != 0:
        raise RuntimeError(f"qx2ups.py {capture.name}: {made.stderr}")
    fd, tmp = tempfile.mkstemp(dir=out.parent, suffix=".tmp")
    with os.fdopen(fd, "w") as handle:
        handle.write(made.stdout)
    os.replace(tmp, out)
    return out


def device_ids(device: Path) -> dict[str, str]:
    """vendorid/productid from the file's ``vid:``/``pid:`` lines, as run_nut.sh writes
    them into ups.conf (none when the file leaves them to the bridge)."""
    ids: dict[str, str] = {}
    for line in device.read_text().splitlines():
        m = re.match(r"^\s*(vid|pid)\s*:\s*(?:0[xX])?([0-9A-Fa-f]+)", line)
        if m:
            key = "vendorid" if m.group(1) == "vid" else "productid"
            ids.setdefault(key, "%04X" % int(m.group(2), 16))
    if "vendorid" in ids:
        ids.setdefault("productid", "0000")
    return ids


def parse(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in text.splitlines():
        m = LINE.match(line)
        if m:
            out.setdefault(m.group(1), m.group(2))
    return out


@dataclass
class Run:
    rc: int
    variables: dict[str, str]
    output: str


def run_nut(device: Path, library: Path, options: Mapping[str, str], *,
            log: Path | None = None, extra: list[str] | None = None,
            timeout: float = 300, version: str = "2.8.0") -> Run:
    """NUT's nutdrv_qx through run_nut.sh (dump mode unless ``extra`` says -F).

    ``version="2.8.5"`` runs the reference, the prefix nut_sid.sh unpacked (an error
    when it is not there: the caller asked for the reference).
    """
    args = ["bash", str(UPSEMU_DIR / "run_nut.sh"), "-p", "2"]
    if log is not None:
        args += ["-l", str(log)]
    for key, value in options.items():
        if key in ("vendorid", "productid"):
            continue  # run_nut.sh writes the file's own IDs
        args += ["-x", f"{key}={value}" if value else key]
    args += extra or []
    env = dict(os.environ, UPSEMU_LIB=str(library), **FAST_EMU)
    if version == "2.8.5":
        root = nut285_root()
        if root is None:
            raise RuntimeError("NUT 2.8.5 is not unpacked (run .ci/run or upsemu's "
                               "nut_sid.sh with NUT_OUT=~/.cache/hidups/nut-2.8.5)")
        env["NUT_ROOT"] = str(root)
    elif version != "2.8.0":
        raise ValueError(f"run_nut: version {version!r} is neither 2.8.0 nor 2.8.5")
    res = subprocess.run([*args, str(device)], env=env, capture_output=True, timeout=timeout)
    out = res.stdout.decode("latin-1")
    return Run(res.returncode, parse(out), out + res.stderr.decode("latin-1"))


def hidups_env(device: Path, library: Path, state: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ, HIDUPS_LIBUSB=str(library), UPSEMU_FILE=str(device.resolve()),
               NUT_CONFPATH=str(state), NUT_STATEPATH=str(state), NUT_ALTPIDPATH=str(state),
               **FAST_EMU)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env.update(extra)
    return env


def hidups_args(options: Mapping[str, str]) -> list[str]:
    args = [sys.executable, "-m", "hidups", "-s", "ups", "-x", "port=auto",
            "-x", "pollinterval=2"]
    for key, value in options.items():
        args += ["-x", f"{key}={value}" if value else key]
    return args


def run_hidups(device: Path, library: Path, options: Mapping[str, str], *,
               timeout: float = 300) -> Run:
    """The hidups driver process in dump mode (``-d 1``) on the same device."""
    with tempfile.TemporaryDirectory(prefix="hidups-qxdrv.") as tmp:
        res = subprocess.run([*hidups_args(options), "-d", "1"],
                             env=hidups_env(device, library, Path(tmp)),
                             capture_output=True, timeout=timeout, cwd=ROOT)
    out = res.stdout.decode("latin-1")
    return Run(res.returncode, parse(out), out + res.stderr.decode("latin-1"))


# --- known differences -------------------------------------------------------------

#: Describe the driver, not the UPS: different by nature.
DRIVER_SELF = re.compile(r"^driver\.(name|version(\..*)?)$")
#: NUT 2.8.5's driver core publishes these; the 2.8.0 binary does not.
CORE_285 = {"driver.debug", "driver.flag.allow_killpower", "driver.state"}
#: 2.8.5's megatec reads the I answer as "#MegaTec<serial> <model><runtime> <firmware>"
#: (2.8.0: "#<mfr> <model> <firmware>"), so these come out otherwise or only in hidups.
MEGATEC_285_I = {"device.mfr", "device.model", "device.serial", "ups.firmware",
                 "ups.serial", "battery.runtime", "ups.mfr", "ups.model"}


#: NUT 2.8.5 tries innovatae (its claim: Q1 alone) before q1, so the units 2.8.0 gives to
#: q1 are innovatae's in 2.8.5 (checked on every such shared capture with 2.8.5's
#: nutdrv_qx); innovatae adds the maker "Ippon", F's ratings and I's firmware.
PICKED_285 = {"q1": "innovatae"}
INNOVATAE_285 = {"device.mfr", "ups.mfr", "input.voltage.nominal", "input.current.nominal",
                 "battery.voltage.nominal", "input.frequency.nominal", "ups.firmware"}


def explain(name: str, nut: str | None, ours: str | None, protocol: str) -> str | None:
    """Why this difference is expected, or None when it is a real one."""
    if DRIVER_SELF.match(name):
        return "describes the driver itself"
    if name in CORE_285 and nut is None:
        return "NUT 2.8.5 driver core variable"
    if name == "driver.version.data":
        return "subdriver version"
    if protocol == "q1" and name in INNOVATAE_285 and nut is None:
        return "NUT 2.8.5 picks innovatae before q1"
    # 2.8.5's qx_multiply_battvolt keeps the UPS's own text ("22.7"); 2.8.0 "%.2f"
    if name == "battery.voltage" and nut and ours and float(nut) == float(ours):
        return "2.8.5 publishes the UPS's text, 2.8.0 %.2f"
    if protocol.startswith("megatec") and name in MEGATEC_285_I:
        return "2.8.5 megatec I-answer layout"
    if protocol == "voltronic" and name in ("battery.voltage.high", "battery.voltage.low") \
            and nut is None:
        return "2.8.5 publishes its battery guess's limits on voltronic units; 2.8.0 not"
    return None


#: What NUT 2.8.5 and hidups publish differently by nature: the driver's own name and
#: release, and the libusb build NUT was compiled with (hidups reaches libusb through
#: pyusb; docs/differences.md). ``driver.version.internal`` is nutdrv_qx's and must match.
DRIVER_SELF_285 = frozenset({"driver.name", "driver.version", "driver.version.usb"})


def explain_285(name: str, nut: str | None, ours: str | None) -> str | None:
    """Why a difference from NUT 2.8.5 is expected, or None when it is a real one."""
    if name in DRIVER_SELF_285:
        return "describes the driver itself"
    return None


@dataclass
class Comparison:
    matched: list[str]
    explained: dict[str, str]
    bad: list[str]

    @property
    def compared(self) -> int:
        return len(self.matched) + len(self.bad)


def compare(nut: Mapping[str, str], ours: Mapping[str, str], protocol: str) -> Comparison:
    """Against NUT 2.8.0: the differences :func:`explain` names may differ."""
    return compare_with(nut, ours, lambda name, a, b: explain(name, a, b, protocol))


def compare_with(nut: Mapping[str, str], ours: Mapping[str, str],
                 why: Callable[[str, str | None, str | None], str | None]) -> Comparison:
    """Every variable equal, or a difference ``why`` explains (None: a real one)."""
    matched: list[str] = []
    explained: dict[str, str] = {}
    bad: list[str] = []
    for name in sorted(set(nut) | set(ours)):
        a, b = nut.get(name), ours.get(name)
        if a == b:
            matched.append(name)
        elif (reason := why(name, a, b)) is not None:
            explained[name] = reason
        else:
            bad.append(f"{name}: NUT {a!r} hidups {b!r}")
    return Comparison(matched, explained, bad)


def compare_285(nut: Mapping[str, str], ours: Mapping[str, str]) -> Comparison:
    """Against the reference: only :data:`DRIVER_SELF_285` may differ."""
    return compare_with(nut, ours, explain_285)


def upsemu_for_nut285() -> Path:
    """upsemu's library for a comparison with NUT 2.8.5 (both must be there: CI has them)."""
    require_nut285()
    lib, why = try_build_upsemu()
    require(lib is not None, f"upsemu cannot be built: {why}")
    assert lib is not None
    return lib


def stop_process(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM a driver and wait; SIGKILL it if it does not go within 10 s."""
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)
