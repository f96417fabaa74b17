"""The pyusb backend on the upsemu emulator: real pyusb, a real libusb API, real captures.

Each device file is made by upsemu's capture2ups.py from a shared capture; the
transport (selected with HIDUPS_LIBUSB, in a child process because pyusb keeps the
first libusb it loads) must read back the file's descriptor, strings and every
feature report byte for byte.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from conftest import ROOT, SHARED_CAPTURES, require, require_shared
from upsemu_util import device_file, run_python, try_build_upsemu, upsemu_env

READER = r"""
import json, sys
from hidups.transport import open_transport
from hidups.descriptor.model import ReportType
requests = json.loads(sys.argv[1]) if len(sys.argv) > 1 else json.load(sys.stdin)
out = {}
with open_transport({"vendorid": requests["vid"]}) as t:
    out["info"] = [t.info.vendor_id, t.info.product_id, t.info.manufacturer, t.info.product,
                   t.info.serial, t.info.bcd_device, t.info.port_path]
    out["descriptor"] = t.report_descriptor().hex()
    out["reports"] = {str(rid): t.get_report(ReportType.FEATURE, rid, n).hex()
                      for rid, n in requests["reports"]}
    out["strings"] = {str(i): t.get_string(i) for i in requests["strings"]}
    out["interrupt"] = (t.read_interrupt(0.05) or b"").hex()
print(json.dumps(out))
"""


def parse_device_file(path: Path) -> dict[str, object]:
    """The parts of an upsemu device file the transport must reproduce."""
    reports: dict[int, bytes] = {}
    strings: dict[int, str] = {}
    descriptor = b""
    fields: dict[str, str] = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, _, value = line.partition(":")
        value = value.strip()
        m = re.fullmatch(r"feature (0x[0-9a-fA-F]+|\d+)", key)
        if m:
            rid = int(m.group(1), 0)
            reports[rid] = bytes([rid]) + bytes.fromhex(value.split("#")[0].replace(" ", ""))
        elif key == "report_descriptor":
            descriptor += bytes.fromhex(value.split("#")[0].replace(" ", ""))
        elif key.startswith("string "):
            strings[int(key.split()[1])] = value
        else:
            fields[key] = value
    for role, index_key in (("manufacturer", "imanufacturer"), ("product", "iproduct"),
                            ("serial", "iserial")):
        if role in fields:
            strings[int(fields.get(index_key, "0"))] = fields[role]
    return {"reports": reports, "descriptor": descriptor, "strings": strings,
            "vid": fields["vid"], "pid": fields.get("pid", "0")}


def _captures() -> list[Path]:
    if not SHARED_CAPTURES.is_dir():
        return []
    return [p for p in sorted(SHARED_CAPTURES.glob("*.json"))
            if json.loads(p.read_text()).get("descriptor_hex")]


def _read_through_hidups(device: Path, expected: dict[str, object]) -> dict[str, object]:
    reports = expected["reports"]
    strings = expected["strings"]
    assert isinstance(reports, dict) and isinstance(strings, dict)
    request = {"vid": expected["vid"], "reports": [[rid, len(data)]
                                                   for rid, data in reports.items()],
               "strings": sorted(strings)}
    env = upsemu_env(device)
    result = subprocess.run([sys.executable, "-c", READER, json.dumps(request)], env=env,
                            capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert result.returncode == 0, result.stderr[-2000:]
    answer: dict[str, object] = json.loads(result.stdout)
    return answer


def _check(capture_json: Path) -> None:
    shared = json.loads(capture_json.read_text())
    fill = "real" if shared.get("raw_reports") else "mid"
    device = device_file(capture_json, fill=fill)
    expected = parse_device_file(device)
    got = _read_through_hidups(device, expected)
    assert got["descriptor"] == bytes.fromhex(shared["descriptor_hex"].replace(" ", "")).hex()
    reports = expected["reports"]
    assert isinstance(reports, dict)
    assert got["reports"] == {str(rid): data.hex() for rid, data in reports.items()}
    assert got["strings"] == {str(i): s for i, s in expected["strings"].items()}  # type: ignore[union-attr,attr-defined]
    info = got["info"]
    assert isinstance(info, list)
    assert f"{info[0]:04x}" == str(expected["vid"]).lower()
    assert got["interrupt"] == ""  # nothing queued: a timeout, not an error


@pytest.mark.upsemu
@pytest.mark.slow
def test_every_feature_report_reads_back_through_the_emulator() -> None:
    require_shared()
    lib, why = try_build_upsemu()
    require(lib is not None, f"upsemu cannot be built: {why}")
    captures = _captures()
    assert len(captures) >= 35
    with ThreadPoolExecutor(max_workers=4) as pool:
        failures = [f"{path.name}: {exc!r}" for path, exc in zip(
            captures, pool.map(_try_check, captures), strict=True) if exc is not None]
    assert not failures, "\n".join(failures)


def _try_check(path: Path) -> BaseException | None:
    try:
        _check(path)
    except BaseException as exc:  # collected and reported together
        return exc
    return None


@pytest.mark.upsemu
def test_set_report_and_interrupt_through_the_emulator(tmp_path: Path) -> None:
    require_shared()
    lib, why = try_build_upsemu()
    require(lib is not None, f"upsemu cannot be built: {why}")
    base = device_file(SHARED_CAPTURES / "apc-back-ups-cs500-nutddl.json")
    device = tmp_path / "cs500.ups"
    device.write_text(base.read_text() + "\ninterrupt: 13 00\n")
    code = (
        "from hidups.transport import open_transport\n"
        "from hidups.descriptor.model import ReportType as R\n"
        "t = open_transport({'vendorid': '051d', 'product': 'back-ups 500.*'})\n"
        "t.set_report(R.FEATURE, 0x0f, bytes([0x0f, 0x28, 0, 0]))\n"
        "print(t.get_report(R.FEATURE, 0x0f, 4).hex())\n"
        "print(t.read_interrupt(0.5).hex())\n"
        "print(t.read_interrupt(0.05))\n"
        "try:\n"
        "    t.get_report(R.FEATURE, 0xee, 2)\n"
        "except Exception as exc:\n"
        "    print(type(exc).__name__)\n"
        "t.close()\n"
        "try:\n"
        "    open_transport({'vendorid': '0764'})\n"
        "except Exception as exc:\n"
        "    print(type(exc).__name__)\n")
    result = run_python(code, upsemu_env(device))
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["0f280000", "1300", "None", "ProtocolError",
                                     "DeviceNotFound"]


@pytest.mark.upsemu
def test_library_choice_is_explicit_and_conflicts_are_reported() -> None:
    lib, why = try_build_upsemu()
    require(lib is not None, f"upsemu cannot be built: {why}")
    assert lib is not None
    code = (
        "from hidups.transport.pyusb_backend import load_backend\n"
        "from hidups.errors import BackendUnavailable\n"
        "try:\n"
        "    load_backend({'libusb': '/nonexistent/libusb-1.0.so'})\n"
        "except BackendUnavailable as exc:\n"
        "    print('missing:', 'does not exist' in str(exc))\n"
        "first = load_backend({})\n"  # libusb-package's library
        f"try:\n    load_backend({{'libusb': {str(lib)!r}}})\n"
        "except BackendUnavailable as exc:\n"
        "    print('conflict:', 'already uses' in str(exc))\n"
        "print('cached:', load_backend({}) is first)\n")
    env = {k: v for k, v in upsemu_env(lib).items() if k != "HIDUPS_LIBUSB"}
    result = run_python(code, env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["missing: True", "conflict: True", "cached: True"]
