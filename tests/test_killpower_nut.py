"""The killpower differential (issue 11, evidence 4): on every shared capture with a
report descriptor, hidups writes the same SET_REPORT bytes as NUT 2.8.5's usbhid-ups
for ``driver.killpower``, ``shutdown.return``, ``shutdown.stayoff``, ``load.off``,
``load.on`` (through the driver socket, ``allow_killpower`` set) and for ``-k``.

Both drivers run live on the same upsemu device file (fill ``real``), each command in a
fresh process; what is compared is each command's answer and the SET_REPORTs upsemu
logged (report type, id, bytes, in order). See ``scripts/killpower_diff.py``.
"""

from __future__ import annotations

import importlib.util
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from conftest import ROOT, require, require_shared
from shared_captures import shared_capture_files
from upsemu_util import device_file, try_build_upsemu

pytestmark = [pytest.mark.nut, pytest.mark.upsemu, pytest.mark.slow]


def _script(name: str) -> ModuleType:
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


kp = _script("killpower_diff")
runs = _script("driver_runs")

#: captures NUT 2.8.5's usbhid-ups does not drive on upsemu (nothing to compare with),
#: with what it says; the test checks that it still does not, so the list cannot go stale
NOT_CLAIMED = "no subdriver of usbhid-ups 0.71 claims this ID (\"Can't claim USB device\")"
NOT_DRIVEN: dict[str, str] = {
    "emulator-arduino-hidpowerdevice-abratchik": "2341:8036: " + NOT_CLAIMED,
    "liebert-psa5-nut2816": "10af:0002: " + NOT_CLAIMED,
    "liebert-psi5-nut2271": "10af:0002: " + NOT_CLAIMED,
    "nsys-mec0003-nut754": "0001:0000: \"No matching HID UPS found\"",
    "unknown-5131-2007-nut3227": "5131:2007: \"No matching HID UPS found\"",
}

_LEGRAND = ("ups.delay.start is 30 s on a timer in 60 s steps (-60..1966020 s over "
            "logical -1..32767): NUT truncates (30 + 60) / 60 = 1.5 to 1, so logical 0, "
            "a restart at once; hidups rounds to 2, logical 1 (60 s). docs/differences.md "
            "'codec: physical -> logical'")
_NO_SHUTDOWN = ("the device has no shutdown command: NUT 2.8.5 logs 'Shutdown failed!' "
                "but answers driver.killpower HANDLED and -k exits 0 (main.c's "
                "shutdown.default wraps the void upsdrv_shutdown); hidups answers FAILED "
                "and -k exits 1. Neither writes anything")
#: (capture, command) → why hidups deliberately answers or writes differently
KNOWN: dict[tuple[str, str], str] = {
    ("legrand-keor-pdu-800-nut1138", "shutdown.return"): _LEGRAND,
    ("legrand-keor-pdu-800-nut1138", "driver.killpower"): _LEGRAND,
    ("legrand-keor-pdu-800-nut1138", "-k"): _LEGRAND,
    ("liebert-gxt4-nut1346", "driver.killpower"): _NO_SHUTDOWN,
    ("liebert-gxt4-nut1346", "-k"): _NO_SHUTDOWN,
}

CAPTURES = shared_capture_files(with_descriptor=True)


def test_captures_present() -> None:
    require_shared()
    assert CAPTURES


def _prerequisites() -> Path:
    require(runs.nut285_dir() is not None,
            "NUT 2.8.5 is not unpacked: run NUT_OUT=~/.cache/hidups/nut-2.8.5 "
            "../shared/tools/upsemu/nut_sid.sh (HIDUPS_NUT285 overrides the place)")
    lib, why = try_build_upsemu()
    require(lib is not None, f"upsemu: {why}")
    assert lib is not None
    return lib


@pytest.fixture
def short_tmp() -> Iterator[Path]:
    """A short work folder: a driver socket path must fit sun_path's 108 bytes, and
    pytest's own (deeper still under xdist) does not."""
    with tempfile.TemporaryDirectory(prefix="kp.") as name:
        yield Path(name)


@pytest.mark.parametrize("capture", CAPTURES, ids=lambda p: p.stem)
def test_killpower_bytes_as_nut285(capture: Path, short_tmp: Path) -> None:
    lib = _prerequisites()
    tmp_path = short_tmp
    device = device_file(capture)
    if capture.stem in NOT_DRIVEN:
        with pytest.raises(kp.NotDriven):
            kp.compare_device(device, tmp_path, lib)
        return
    result = kp.compare_device(device, tmp_path, lib)
    assert set(result) == {*kp.COMMANDS, kp.KILLPOWER, kp.STANDALONE}
    differ = {name: f"NUT {by['nut'].show()} / hidups {by['hidups'].show()}"
              for name, by in result.items() if by["nut"].key() != by["hidups"].key()}
    known = {name for (stem, name) in KNOWN if stem == capture.stem}
    assert set(differ) == known, differ
    # hidups's -k exits 0 exactly when it wrote something (a shutdown that worked)
    own = result[kp.STANDALONE]["hidups"]
    assert (own.answer == "exit 0") == bool(own.writes), own.show()
