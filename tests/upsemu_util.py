"""Build and feed the upsemu libusb stand-in (../shared/tools/upsemu) for tests.

upsemu is an external measuring instrument: tests *run* its build script and its
``capture2ups.py`` by path; nothing of it is copied into the project. The library is
built once per session into a cache directory outside the repository
(``$TMPDIR/hidups-upsemu``), from a scratch copy of the emulator's sources so that
the shared tree is never written to.

Other test modules reuse :func:`build_upsemu`, :func:`device_file` and
:func:`upsemu_env`. pyusb keeps the first libusb it loads for the whole process, so a
test that talks to the emulator through pyusb should do so in a subprocess
(:func:`run_python`), never in the pytest process itself.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from conftest import ROOT, UPSEMU_DIR, nut285_root

CACHE = Path(os.environ.get("TMPDIR", tempfile.gettempdir())) / "hidups-upsemu"
_built: Path | None = None


class UpsemuUnavailable(RuntimeError):
    """The emulator could not be built here (no compiler, no libusb header)."""


def _source_digest() -> str:
    source = UPSEMU_DIR / "emu" / "upsemu.c"
    return hashlib.sha256(source.read_bytes()).hexdigest()[:16]


def build_upsemu() -> Path:
    """Path of ``libupsemu.so``, built once per session (and cached by source digest)."""
    global _built
    if _built is not None and _built.exists():
        return _built
    if not (UPSEMU_DIR / "emu" / "upsemu.c").exists():
        raise UpsemuUnavailable(f"{UPSEMU_DIR} has no emu/upsemu.c")
    target = CACHE / _source_digest()
    lib = target / "build" / "libupsemu.so"
    if not lib.exists():
        scratch = Path(tempfile.mkdtemp(prefix="build-", dir=_mkdir(CACHE)))
        for name in ("emu", "Makefile", "build.sh"):
            src = UPSEMU_DIR / name
            if src.is_dir():
                shutil.copytree(src, scratch / name)
            elif src.exists():
                shutil.copy2(src, scratch / name)
        result = subprocess.run(["sh", str(scratch / "build.sh")], cwd=scratch,
                                capture_output=True, text=True, timeout=300)
        if result.returncode != 0 or not (scratch / "build" / "libupsemu.so").exists():
            raise UpsemuUnavailable(f"upsemu build failed:\n{result.stdout}\n{result.stderr}")
        try:
            scratch.rename(target)
        except OSError:  # another process finished the same build first
            shutil.rmtree(scratch, ignore_errors=True)
        if not lib.exists():
            raise UpsemuUnavailable(f"upsemu build did not produce {lib}")
    _built = lib
    return lib


def _mkdir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def try_build_upsemu() -> tuple[Path | None, str]:
    """(library, "") or (None, why) for ``require(...)``."""
    try:
        return build_upsemu(), ""
    except (UpsemuUnavailable, OSError, subprocess.SubprocessError) as exc:
        return None, str(exc)


def device_file(capture_json_path: Path, fill: str = "real", seed: int | None = None) -> Path:
    """An upsemu device file made by ``capture2ups.py`` from a shared capture (cached)."""
    key = f"{capture_json_path.resolve()}:{capture_json_path.stat().st_mtime_ns}:{fill}:{seed}"
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    out = _mkdir(CACHE / "devices") / f"{capture_json_path.stem}.{fill}.{digest}.ups"
    if out.exists():
        return out
    cmd = [sys.executable, str(UPSEMU_DIR / "capture2ups.py"), str(capture_json_path),
           "--fill", fill, "--quiet"]
    if seed is not None:
        cmd += ["--seed", str(seed)]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=UPSEMU_DIR)
    if result.returncode != 0:
        raise UpsemuUnavailable(f"capture2ups.py failed: {result.stderr}")
    fd, tmp = tempfile.mkstemp(dir=out.parent, suffix=".tmp")
    with os.fdopen(fd, "w") as handle:
        handle.write(result.stdout)
    os.replace(tmp, out)
    return out


def upsemu_env(device: Path, lib: Path | None = None, **extra: str) -> dict[str, str]:
    """Environment for a child process that talks to ``device`` through the emulator."""
    env = dict(os.environ)
    env["UPSEMU_FILE"] = str(device)
    env["HIDUPS_LIBUSB"] = str(lib or build_upsemu())
    env.setdefault("UPSEMU_INTR_WAIT_MS", "0")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env.update(extra)
    return env


def run_python(code: str, env: dict[str, str],
               timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter (its own pyusb library choice)."""
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, timeout=timeout, cwd=ROOT)


_NUT_PATH_LINE = re.compile(r"\[D1(?::[^\]]*)?\] (Path: .*)")  # 2.8.5: "[D1:upsname]"


_explore_cache: dict[tuple[Path, str], list[str]] = {}


def nut_explore_paths(device: Path, library: Path | None = None) -> list[str]:
    """The ``Path:`` lines NUT 2.8.5's usbhid-ups prints for ``device`` with the
    ``explore`` subdriver at debug level 1 (HIDDumpTree: standard names, no fix-ups).

    Run live, once per device file and session: the tests that read the same dumps
    (describe, usage names) share the answer; nothing is kept across sessions.
    """
    root = nut285_root()
    if root is None:
        raise UpsemuUnavailable("NUT 2.8.5 is not unpacked (nut_sid.sh)")
    key = (device.resolve(), str(root))
    if key in _explore_cache:
        return _explore_cache[key]
    with tempfile.TemporaryDirectory(prefix="hidups-explore-") as tmp:
        log = Path(tmp) / "nut.log"
        env = dict(os.environ, UPSEMU_LIB=str(library or build_upsemu()), NUT_ROOT=str(root))
        result = subprocess.run(
            [str(UPSEMU_DIR / "run_nut.sh"), "-D", "1", "-L", str(log), "-x", "explore",
             str(device)], env=env, capture_output=True, text=True, timeout=180)
        if result.returncode != 0:
            raise AssertionError(f"NUT 2.8.5 explore on {device.name} failed:\n"
                                 f"{result.stdout}{result.stderr}")
        lines = _NUT_PATH_LINE.findall(log.read_text(errors="replace"))
    _explore_cache[key] = lines
    return lines


#: libhidapi-libusb (Debian 12: hidapi 0.13) links one libusb function upsemu does not
#: provide; hidapi only calls it from hid_libusb_wrap_sys_device, which hidups never uses.
_SHIM_SOURCE = """
#include <stdint.h>
int libusb_wrap_sys_device(void *ctx, intptr_t fd, void **handle)
{
    (void)ctx; (void)fd; (void)handle;
    return -12; /* LIBUSB_ERROR_NOT_SUPPORTED */
}
"""


def build_hidapi_shim() -> Path:
    """A tiny library supplying libusb_wrap_sys_device, to LD_PRELOAD with hidapi."""
    out = _mkdir(CACHE / "shim") / "libhidups-hidapi-shim.so"
    if not out.exists():
        source = out.with_suffix(".c")
        source.write_text(_SHIM_SOURCE)
        result = subprocess.run(["gcc", "-shared", "-fPIC", "-o", str(out), str(source)],
                                capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            raise UpsemuUnavailable(f"cannot build the hidapi shim: {result.stderr}")
    return out


def hidapi_env(device: Path) -> dict[str, str]:
    """Environment in which Debian's libhidapi-libusb runs on the emulator."""
    lib = build_upsemu()
    env = upsemu_env(device, lib)
    env["LD_LIBRARY_PATH"] = os.pathsep.join(filter(None, [str(lib.parent / "lib"),
                                                           env.get("LD_LIBRARY_PATH")]))
    env["LD_PRELOAD"] = str(build_hidapi_shim())
    return env
