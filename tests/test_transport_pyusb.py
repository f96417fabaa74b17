"""The pyusb transport through pyusb's real usb.core, on a fake backend serving captures."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from conftest import SHARED_CAPTURES, require_shared
from fake_usb import FakeBackend, FakeDevice, feature

from hidups.capture import Capture, load_capture
from hidups.descriptor.model import ReportType
from hidups.errors import (
    AccessDenied,
    DeviceBusy,
    DeviceNotFound,
    Disconnected,
    ProtocolError,
)
from hidups.transport.pyusb_backend import PyUsbTransport

CS500 = SHARED_CAPTURES / "apc-back-ups-cs500-nutddl.json"


def _capture(path: Path = CS500) -> Capture:
    require_shared()
    return load_capture(path)


def _open(*devices: FakeDevice, **options: str) -> PyUsbTransport:
    return PyUsbTransport.open_matching(options, usb_backend=FakeBackend(*devices),
                                        sleep=lambda s: None)


def test_identity_descriptor_and_strings_come_from_the_device() -> None:
    capture = _capture()
    dev = FakeDevice(capture)
    with _open(dev, vendorid="051d") as t:
        assert t.info.manufacturer == "American Power Conversion"
        assert t.info.product == "Back-UPS 500 FW: 6.5.I USB FW: c1"
        assert t.info.port_path == "1-1"
        assert t.report_descriptor() == capture.descriptor
        assert t.get_string(4) == "PbAc"  # iDeviceChemistry's string
        assert t.get_string(9) is None  # stalls: no such string
    assert dev.detached == 1  # usbhid was bound; NUT detaches it too
    # HID descriptor then report descriptor, both on interface 0 index 0 (NUT's table)
    requests = [(r, q, v, i) for r, q, v, i, _ in dev.control_log if r == 0x81]
    assert requests == [(0x81, 0x06, 0x2100, 0), (0x81, 0x06, 0x2200, 0)]


def test_every_captured_feature_report_is_read_back_with_nuts_request() -> None:
    capture = _capture()
    dev = FakeDevice(capture)
    with _open(dev) as t:
        for record in capture.reports:
            got = t.get_report(ReportType.FEATURE, record.report_id, len(record.data))
            assert got == record.data
            assert dev.control_log[-1] == (0xA1, 0x01, 0x0300 | record.report_id, 0,
                                           len(record.data))


def test_set_report_uses_nuts_request_and_changes_the_device() -> None:
    dev = FakeDevice(_capture())
    with _open(dev) as t:
        t.set_report(ReportType.FEATURE, 0x0F, bytes([0x0F, 0x28, 0, 0]))
        assert dev.control_log[-1] == (0x21, 0x09, 0x030F, 0, 4)
        assert dev.state[feature(0x0F)] == bytes([0x0F, 0x28, 0, 0])
        assert t.get_report(ReportType.FEATURE, 0x0F, 4) == bytes([0x0F, 0x28, 0, 0])


def test_stall_is_protocol_error_and_disconnect_is_disconnected() -> None:
    dev = FakeDevice(_capture())
    with _open(dev) as t:
        with pytest.raises(ProtocolError):
            t.get_report(ReportType.FEATURE, 0xEE, 3)
        with pytest.raises(ProtocolError):
            t.set_report(ReportType.FEATURE, 0xEE, b"\xee\x00")
        dev.gone = True
        with pytest.raises(Disconnected):
            t.get_report(ReportType.FEATURE, 0x0C, 6)
        with pytest.raises(Disconnected):
            t.read_interrupt(0.01)
        with pytest.raises(Disconnected):
            t.get_string(1)
    # close after the device vanished must not raise (done by the context manager)


def test_interrupt_reads_timeout_and_stall() -> None:
    dev = FakeDevice(_capture(), interrupts=[bytes([0x13, 0x00]), bytes([0x06, 0, 1, 8])])
    with _open(dev) as t:
        assert t.read_interrupt(0.75) == b"\x13\x00"
        assert t.read_interrupt(0.75) == b"\x06\x00\x01\x08"
        assert t.read_interrupt(0.75) is None  # timeout is not an error
        dev.interrupt_stall = True
        assert t.read_interrupt(0.75) is None  # stall cleared, as NUT does
        assert dev.cleared_halts == [0x81]


def test_string_reads_are_retried_like_nut() -> None:
    capture = _capture()
    with _open(FakeDevice(capture, string_failures=2)) as t:  # two failures, then fine
        assert t.info.manufacturer == "American Power Conversion"
    with _open(FakeDevice(capture)) as t:
        t.dev._ctx.backend.devices[0].string_failures = 3  # each of the 3 tries fails
        assert t.get_string(4) is None
        t.dev._ctx.backend.devices[0].string_failures = 0
        assert t.get_string(4) == "PbAc"


def test_access_denied_names_the_device_and_the_udev_rule() -> None:
    dev = FakeDevice(_capture(), denied=True)
    with pytest.raises(AccessDenied) as err:
        _open(dev, vendorid="051d")
    text = str(err.value)
    assert "insufficient permissions on 051d:0002" in text
    assert ('SUBSYSTEM=="usb", ATTR{idVendor}=="051d", ATTR{idProduct}=="0002", '
            'MODE="664", GROUP="nut"') in text
    with pytest.raises(DeviceNotFound):  # a denied device of another vendor is no excuse
        _open(dev, vendorid="0764")


def test_busy_device_and_allow_duplicates() -> None:
    capture = _capture()
    first = FakeDevice(capture, busy=True, address=2, ports=(1,))
    second = FakeDevice(capture, address=3, ports=(2,))
    with pytest.raises(DeviceBusy):
        _open(first, second)
    with _open(first, second, allow_duplicates="") as t:
        assert t.info.port_path == "1-2"


def test_identical_devices_told_apart_by_port() -> None:
    capture = _capture()
    a = FakeDevice(capture, address=2, ports=(4, 1))
    b = FakeDevice(capture, address=7, ports=(4, 2))
    with _open(a, b, busport="002") as t:
        assert t.info.port_path == "1-4.2"
    with _open(a, b, port_path="1-4.1") as t:
        assert t.info.address == 2
    with _open(a, b, device="007") as t:
        assert t.info.port_path == "1-4.2"
    with pytest.raises(DeviceNotFound):
        _open(a, b, bus="2")  # "%03d": the bus is "001", and "2" must match all of it


def test_eaton_0202_reads_the_full_descriptor_at_index_1() -> None:
    capture = _capture(SHARED_CAPTURES / "eaton-3s-700-nut2887.json")
    assert capture.descriptor is not None
    capture.device = replace(capture.device, bcd_device=0x0202)
    short = capture.descriptor[:27]
    dev = FakeDevice(capture, descriptor_at_index={0: short, 1: capture.descriptor})
    with _open(dev) as t:
        assert t.params.desc_index == 1
        assert t.report_descriptor() == capture.descriptor
    dev = FakeDevice(capture, descriptor_at_index={0: short, 1: capture.descriptor})
    with _open(dev, usb_hid_desc_index="0") as t:  # an explicit option wins, as in NUT
        assert t.report_descriptor() == short


def test_report_id_zero_is_prepended_and_stripped() -> None:
    capture = _capture()
    # a descriptor without Report ID items: one 2-byte feature report
    capture.descriptor = bytes.fromhex("0584 0904 a101 0930 7508 9502 b102 c0")
    capture.reports = []
    dev = FakeDevice(capture)
    dev.state = {feature(0): b"\x00\x11\x22"}
    dev.interrupts = [b"\x33\x44"]
    with _open(dev) as t:
        assert t.get_report(ReportType.FEATURE, 0, 3) == b"\x00\x11\x22"
        assert dev.control_log[-1][2:] == (0x0300, 0, 2)  # 2 payload bytes on the wire
        t.set_report(ReportType.FEATURE, 0, b"\x00\x55\x66")
        assert dev.control_log[-1][4] == 2
        assert t.read_interrupt(0.1) == b"\x00\x33\x44"


def test_no_devices_at_all() -> None:
    with pytest.raises(DeviceNotFound, match="no USB devices found"):
        _open()


def test_matching_string_options_select_among_devices() -> None:
    capture = _capture()
    other = load_capture(SHARED_CAPTURES / "apc-bk650m2-ch-nutddl.json")
    with _open(FakeDevice(capture), FakeDevice(other, address=5, ports=(3,)),
               product="bk650.*") as t:
        assert t.info.product == "BK650M2-CH"
    with pytest.raises(DeviceNotFound):
        _open(FakeDevice(capture), serial="EMU.*")


@pytest.mark.parametrize("code,exc", [("ACCESS", AccessDenied), ("BUSY", DeviceBusy),
                                      ("NO_DEVICE", Disconnected), ("NOT_FOUND", Disconnected),
                                      ("PIPE", ProtocolError), ("IO", ProtocolError)])
def test_libusb_errors_map_to_the_exception_tree(code: str, exc: type[Exception]) -> None:
    from fake_usb import usb_error

    from hidups.transport.pyusb_backend import map_usb_error

    assert isinstance(map_usb_error(usb_error(code), "test"), exc)


def test_alternate_setting_only_on_request() -> None:
    dev = FakeDevice(_capture())
    with _open(dev):
        assert dev.altsettings == []  # NUT never sends it unasked
    dev = FakeDevice(_capture())
    with _open(dev, usb_set_altinterface=""):
        assert dev.altsettings == [(0, 0)]
