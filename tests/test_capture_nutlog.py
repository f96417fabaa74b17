"""NUT debug logs → captures: a real log from Debian's usbhid-ups, also wrapped in
syslog and nut-ddl prefixes, and the hid-recorder transcription of nut#3227."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import SHARED_CAPTURES, require_shared
from nut_logs import CS500, nut_log
from shared_captures import shared_capture

from hidups.capture import load_capture, parse_capture_text
from hidups.capture.shared_json import paths_from_lines
from hidups.descriptor.model import ReportType


def _device_reports(path: Path) -> dict[int, bytes]:
    """``feature 0xNN: hex`` lines of an upsemu device file, report-ID byte prepended."""
    out = {}
    for line in path.read_text().splitlines():
        m = re.match(r"^feature (0x[0-9a-fA-F]+|\d+):\s*([0-9a-fA-F ]*)", line)
        if m:
            rid = int(m.group(1), 0)
            out[rid] = bytes([rid]) + bytes.fromhex(m.group(2).split("#")[0].replace(" ", ""))
    return out




def test_real_nut_log_converts_to_the_device() -> None:
    text, device = nut_log(CS500)
    capture = parse_capture_text(text, "usbhid-ups.log")
    shared = shared_capture(CS500)
    assert capture.descriptor == bytes.fromhex(shared["descriptor_hex"].replace(" ", ""))
    assert capture.device.vidpid == "051d:0002"
    assert capture.device.manufacturer == shared["manufacturer"]
    assert capture.device.product == shared["product"]
    # every Report[get] NUT logged is the emulated device's bytes
    served = _device_reports(device)
    assert capture.reports
    for record in capture.reports:
        assert record.report_type is ReportType.FEATURE
        assert record.data == served[record.report_id][:len(record.data)]
        assert record.t is not None
    times = [r.t for r in capture.reports if r.t is not None]
    assert times == sorted(times)
    # NUT's Path lines: the same fields (type, ID, offset, size) as the shared capture's
    fields = {(p["type"], p["report_id"], p["offset"], p["size"])
              for p in paths_from_lines(capture.nut["path_lines"])}
    assert fields == {(p["type"], p["report_id"], p["offset"], p["size"])
                      for p in shared["paths"]}
    assert capture.nut["subdriver"] and capture.nut["subdriver"].startswith("APC HID")


def _wrap_syslog(text: str) -> str:
    """As syslog stores it: a prefix per line and tabs escaped as #011."""
    return "\n".join(f"Nov 21 10:00:00 nas usbhid-ups[4242]: {line.replace(chr(9), '#011')}"
                     for line in text.splitlines())


def _wrap_nutddl(text: str) -> str:
    return "\n".join(f"# {line}" for line in text.splitlines())


@pytest.mark.parametrize("wrap", [_wrap_syslog, _wrap_nutddl], ids=["syslog", "nut-ddl"])
def test_prefixed_logs_give_the_same_capture(wrap: object) -> None:
    text, _ = nut_log(CS500)
    plain = parse_capture_text(text)
    wrapped = parse_capture_text(wrap(text))  # type: ignore[operator]
    assert wrapped.descriptor == plain.descriptor
    assert [(r.report_id, r.data) for r in wrapped.reports] == [
        (r.report_id, r.data) for r in plain.reports]
    assert wrapped.device == plain.device
    assert wrapped.nut["path_lines"] == plain.nut["path_lines"]


def test_short_answers_and_interrupts_in_a_log() -> None:
    log = "\n".join([
        "   0.100000\t[D2] - VendorID: 051d",
        "   0.100001\t[D2] - ProductID: 0002",
        "   0.100002\t[D2] - Manufacturer: American Power Conversion",
        "   0.100003\t[D2] - Product: Back-UPS BK650M2-CH",
        "   0.100004\t[D2] - Serial Number: unknown",
        "   0.100005\t[D2] Device matches",
        "   0.200000\t[D3] Report Descriptor: (17 bytes) => 05 84 09 04 a1 01",
        "   0.200001\t[D3]  85 16 09 02 75 08 95 01 81 02 c0",
        "   0.300000\t[D3] Entering libusb_get_report",
        "   0.300001\t[D2] refresh_report_buffer: expected 5 bytes, but got 3 instead",
        "   0.300002\t[D3] Report[err]: (3 bytes) => 16 0e 00",
        "   1.000000\t[D3] Report[int]: (8 bytes) => 16 0c 00 00 00 00 00 00",
    ])
    capture = parse_capture_text(log)
    assert capture.device.serial is None  # NUT prints "unknown" for a missing string
    assert len(capture.descriptor or b"") == 17
    (short,) = capture.reports
    assert (short.kind.value, short.expected_len, short.data, short.t) == (
        "short", 5, b"\x16\x0e\x00", 0.300002)
    (intr,) = capture.interrupts  # NUT 2.8.0 dumps the whole buffer; the report is 2 bytes
    assert (intr.t, intr.data) == (1.0, b"\x16\x0c")


def test_hid_recorder_transcription_of_nut_3227() -> None:
    require_shared()
    capture = load_capture(SHARED_CAPTURES / "raw" / "nut-issue-3227.txt")
    shared = shared_capture("unknown-5131-2007-nut3227.json")
    assert capture.descriptor == bytes.fromhex(shared["descriptor_hex"].replace(" ", ""))
