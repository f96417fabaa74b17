"""The hid backend (hidapi via the ``hid`` package): for real with Debian's
libhidapi-libusb0 on the upsemu emulator, through a fake ``hid`` module, and the
guarantee that ``import hidups`` never needs hidapi (or libusb) at all."""

from __future__ import annotations

import ctypes.util
import importlib
import importlib.util
import json
import sys
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import SHARED_CAPTURES, require, require_shared
from upsemu_util import device_file, hidapi_env, run_python, try_build_upsemu

from hidups.capture import Capture, load_capture
from hidups.descriptor.model import ReportType
from hidups.errors import BackendUnavailable, Disconnected, ProtocolError

CS500 = SHARED_CAPTURES / "apc-back-ups-cs500-nutddl.json"
F = ReportType.FEATURE

REAL_HIDAPI = r"""
import json
from hidups.transport import open_transport
from hidups.descriptor.model import ReportType
reports = json.loads(REPORTS)
with open_transport({"backend": "hid", "vendorid": "051d"}) as t:
    out = {"backend": t.backend_name, "product": t.info.product,
           "descriptor": t.report_descriptor().hex(),
           "reports": {str(rid): t.get_report(ReportType.FEATURE, rid, n).hex()
                       for rid, n in reports},
           "string4": t.get_string(4)}
    t.set_report(ReportType.FEATURE, 0x0f, bytes([0x0f, 0x28, 0, 0]))
    out["after_set"] = t.get_report(ReportType.FEATURE, 0x0f, 4).hex()
print(json.dumps(out))
"""


def _hidapi_libusb_present() -> bool:
    return bool(ctypes.util.find_library("hidapi-libusb")) or Path(
        "/usr/lib/x86_64-linux-gnu/libhidapi-libusb.so.0").exists()


@pytest.mark.upsemu
def test_real_hidapi_libusb_on_the_emulator() -> None:
    require_shared()
    if importlib.util.find_spec("hid") is None:
        pytest.skip("the 'hid' package is not installed (pip install hid)")
    require(_hidapi_libusb_present(), "Debian's libhidapi-libusb0 is not installed")
    lib, why = try_build_upsemu()
    require(lib is not None, f"upsemu cannot be built: {why}")
    capture = load_capture(CS500)
    device = device_file(CS500)
    wanted = [[r.report_id, len(r.data)] for r in capture.reports]
    code = f"REPORTS = {json.dumps(json.dumps(wanted))}\n" + REAL_HIDAPI
    result = run_python(code, hidapi_env(device))
    assert result.returncode == 0, result.stderr[-2000:]
    got = json.loads(result.stdout)
    assert got["backend"] == "hid"
    assert got["product"] == capture.device.product
    assert got["descriptor"] == (capture.descriptor or b"").hex()
    assert got["reports"] == {str(r.report_id): r.data.hex() for r in capture.reports}
    assert got["string4"] == "PbAc"
    assert got["after_set"] == "0f280000"


# --- a fake ``hid`` module -------------------------------------------------------------


class _FakeHidDevice:
    def __init__(self, owner: _FakeHid, path: bytes) -> None:
        self.owner = owner
        self.path = path
        self.closed = False

    def _alive(self) -> None:
        if self.owner.gone:
            raise RuntimeError("hid_error is not implemented yet")

    def get_report_descriptor(self, size: int = 4096) -> bytes:
        return self.owner.capture.descriptor or b""

    def get_feature_report(self, report_id: int, size: int) -> bytes:
        self._alive()
        data = self.owner.state.get((F, report_id))
        if data is None:
            raise RuntimeError("stall")
        return data[:size]

    def get_input_report(self, report_id: int, size: int) -> bytes:
        self._alive()
        return self.owner.state.get((ReportType.INPUT, report_id), b"")[:size]

    def send_feature_report(self, data: bytes) -> int:
        self._alive()
        self.owner.state[(F, data[0])] = bytes(data)
        return len(data)

    def write(self, data: bytes) -> int:
        self._alive()
        self.owner.written.append(bytes(data))
        return len(data)

    def read(self, size: int, timeout: int | None = None) -> bytes:
        self._alive()
        return self.owner.interrupts.pop(0) if self.owner.interrupts else b""

    def get_indexed_string(self, index: int, max_length: int = 255) -> str:
        self._alive()
        return self.owner.capture.strings.get(index, "")

    def close(self) -> None:
        self.closed = True


class _FakeHid(types.ModuleType):
    """Stands in for apmorton's ``hid`` package (``hid.Device``, ``hid.enumerate``)."""

    def __init__(self, capture: Capture) -> None:
        super().__init__("hid")
        self.capture = capture
        self.version = (0, 14, 0)
        self.gone = False
        self.state = dict(capture.initial_reports())
        self.interrupts: list[bytes] = []
        self.written: list[bytes] = []
        self.Device = self._device

    def _device(self, vid: int | None = None, pid: int | None = None,
                serial: str | None = None, path: bytes | None = None) -> _FakeHidDevice:
        return _FakeHidDevice(self, path or b"")

    def enumerate(self, vid: int = 0, pid: int = 0) -> list[dict[str, Any]]:
        if self.gone:
            return []
        info = self.capture.device
        return [{"path": b"1-4.2:1.0", "vendor_id": info.vendor_id,
                 "product_id": info.product_id, "serial_number": info.serial,
                 "release_number": info.bcd_device, "manufacturer_string": info.manufacturer,
                 "product_string": info.product, "usage_page": 0x84, "usage": 4,
                 "interface_number": 0}]


@pytest.fixture()
def fake_hid(monkeypatch: pytest.MonkeyPatch) -> Iterator[_FakeHid]:
    require_shared()
    module = _FakeHid(load_capture(CS500))
    monkeypatch.setitem(sys.modules, "hid", module)
    monkeypatch.delitem(sys.modules, "hidups.transport.hid_backend", raising=False)
    yield module
    sys.modules.pop("hidups.transport.hid_backend", None)


def test_fake_hid_module_serves_the_capture(fake_hid: _FakeHid) -> None:
    from hidups.transport import open_transport

    capture = fake_hid.capture
    with open_transport({"backend": "hid", "vendorid": "051d", "port_path": "1-4.2"}) as t:
        assert t.backend_name == "hid" and t.info.port_path == "1-4.2"
        assert t.report_descriptor() == capture.descriptor
        for record in capture.reports:
            assert t.get_report(F, record.report_id, len(record.data)) == record.data
        t.set_report(F, 0x0F, bytes.fromhex("0f280000"))
        assert fake_hid.state[(F, 0x0F)] == bytes.fromhex("0f280000")
        t.set_report(ReportType.OUTPUT, 0x50, b"\x50\x01")
        assert fake_hid.written == [b"\x50\x01"]
        fake_hid.interrupts.append(b"\x13\x00")
        assert t.read_interrupt(0.1) == b"\x13\x00"
        assert t.read_interrupt(0.1) is None
        assert t.get_string(4) == "PbAc"
        with pytest.raises(ProtocolError):
            t.get_report(F, 0xEE, 2)
        fake_hid.gone = True
        with pytest.raises(Disconnected):
            t.get_report(F, 0x0C, 6)


def test_cython_hidapi_under_the_same_name_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    impostor = types.ModuleType("hid")
    impostor.device = object  # type: ignore[attr-defined]  # cython-hidapi's lowercase class
    monkeypatch.setitem(sys.modules, "hid", impostor)
    monkeypatch.delitem(sys.modules, "hidups.transport.hid_backend", raising=False)
    from hidups.transport import get_backend

    with pytest.raises(BackendUnavailable, match="cython-hidapi"):
        get_backend("hid")
    sys.modules.pop("hidups.transport.hid_backend", None)


BLOCKER = r"""
import importlib.abc, sys
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ImportError(f"{name} is blocked for this test")
        return None
sys.meta_path.insert(0, Block())
"""


def test_import_hidups_needs_no_hidapi_and_no_libusb() -> None:
    code = "BLOCKED = {'hid', 'usb', 'libusb_package'}\n" + BLOCKER + r"""
import hidups, hidups.cli, hidups.transport, hidups.capture
from hidups.transport import get_backend, open_transport
from hidups.errors import BackendUnavailable
print(sorted(m for m in ("hid", "usb", "libusb_package") if m in sys.modules))
for name in ("hid", "pyusb"):
    try:
        get_backend(name)
    except BackendUnavailable as exc:
        print(name, "unavailable:", "blocked" in str(exc))
print(get_backend("replay").__name__)
"""
    env = {"PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    import os

    result = run_python(code, dict(os.environ, **env))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["[]", "hid unavailable: True",
                                          "pyusb unavailable: True", "ReplayTransport"]


def test_importing_the_transport_package_loads_no_backend() -> None:
    code = r"""
import sys
import hidups.transport
print([m for m in ("hid", "usb", "usb.core", "libusb_package") if m in sys.modules])
"""
    import os

    result = run_python(code, dict(os.environ))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
