"""Serial-over-HID recognition: real descriptors of Megatec bridges, the short 5131:2007
descriptor of NUT issue #3227, and every Power Device descriptor of the shared corpus."""

from __future__ import annotations

import pytest
from conftest import SHARED_CAPTURES, require_shared
from shared_captures import shared_capture_files

from hidups.capture import load_capture
from hidups.descriptor.model import ReportDescriptor
from hidups.device import DeviceInfo
from hidups.hid2nut import serial_over_hid
from hidups.hid2nut.serial_over_hid import Kind, assess, explain

# Real 27-byte descriptors of Megatec/Q1 serial bridges, as published in
# aronreid/ups-to-esp32 captures/nut-issues/ (0665-5161-prolink-1250va-megatec.hex and
# 06da-0003-ppc-usb-ups-megatec.hex), listed in ../shared/captures/INDEX.md as
# "27-byte Megatec-over-HID descriptors ... useful negative tests".
MEGATEC_BRIDGES = {
    (0x0665, 0x5161): "06 00 ff 09 01 a1 01 09 02 15 00 26 ff 00 75 08"
                      " 95 08 81 82 09 02 95 08 91 82 c0",
    (0x06DA, 0x0003): "06 a0 ff 09 04 a1 01 09 06 15 00 26 ff 00 75 08"
                      " 95 08 81 82 09 07 95 40 91 82 c0",
}
#: What NUT's nutdrv_qx.c (qx_usb_id) picks for those two ids.
NUT_QX_SUBDRIVER = {(0x0665, 0x5161): "cypress", (0x06DA, 0x0003): "ippon"}


@pytest.mark.parametrize("ids", sorted(MEGATEC_BRIDGES))
def test_megatec_bridge_is_serial_over_hid(ids: tuple[int, int]) -> None:
    raw = bytes.fromhex(MEGATEC_BRIDGES[ids])
    device = DeviceInfo(*ids)
    verdict = assess(raw, device, ReportDescriptor.from_bytes(raw))
    assert verdict.kind is Kind.SERIAL_OVER_HID
    assert verdict.descriptor_len == 27
    assert not verdict.pages & serial_over_hid.POWER_PAGES
    text = "\n".join(explain(device, verdict))
    assert "nutdrv_qx" in text
    assert "port = auto" in text
    assert f"subdriver = {NUT_QX_SUBDRIVER[ids]}" in text
    assert "cannot drive" in text


def test_short_descriptor_5131_2007_is_flagged() -> None:
    """NUT #3227: 183 bytes, no NUT subdriver, not in nutdrv_qx's list.

    Its descriptor does use Power Device pages, so the verdict is "suspect", and the
    explanation must say both things: why it looks like serial-over-HID, and that it
    might still be a (minimal) Power Device.
    """
    require_shared()
    capture = load_capture(SHARED_CAPTURES / "unknown-5131-2007-nut3227.json")
    assert capture.descriptor is not None
    desc = ReportDescriptor.from_bytes(capture.descriptor)
    verdict = assess(capture.descriptor, capture.device, desc)
    assert verdict.kind is Kind.SUSPECT
    assert verdict.flagged and verdict.is_short
    assert verdict.qx_ids == ()
    lines = explain(capture.device, verdict)
    text = "\n".join(lines)
    assert "183 bytes" in text
    assert "Megatec" in text and "nutdrv_qx" in text
    assert "vendorid = 5131" in text and "productid = 2007" in text
    assert "does not list 5131:2007" in text
    assert "may also be a minimal HID Power Device" in text


def test_power_devices_of_the_corpus_are_not_flagged() -> None:
    """Every real descriptor of 200+ bytes whose VID:PID nutdrv_qx does not list."""
    require_shared()
    checked = 0
    for path in shared_capture_files():
        capture = load_capture(path)
        if capture.descriptor is None or len(capture.descriptor) < 200:
            continue
        if serial_over_hid.matching_qx_ids(capture.device):
            continue
        desc = ReportDescriptor.from_bytes(capture.descriptor)
        verdict = assess(capture.descriptor, capture.device, desc)
        assert verdict.kind is Kind.POWER_DEVICE, path.name
        assert explain(capture.device, verdict) == []
        checked += 1
    assert checked >= 30


def test_nutdrv_qx_id_with_power_device_descriptor_is_suspect() -> None:
    """0001:0000 (NSYS MEC0003, nut#754) is in nutdrv_qx's list yet has a 624-byte PDC
    descriptor: say both, and give the subdriver NUT would pick for it."""
    require_shared()
    capture = load_capture(SHARED_CAPTURES / "nsys-mec0003-nut754.json")
    assert capture.descriptor is not None
    verdict = assess(capture.descriptor, capture.device,
                     ReportDescriptor.from_bytes(capture.descriptor))
    assert verdict.kind is Kind.SUSPECT
    first = serial_over_hid.matching_qx_ids(capture.device)[0]
    assert f"subdriver = {first.usb_subdriver}" in "\n".join(explain(capture.device, verdict))


def test_qx_string_match_is_case_insensitive_and_ordered() -> None:
    """nutdrv_qx compares strings with strcasecmp and takes the first matching entry."""
    fabula = DeviceInfo(0x0001, 0x0000, manufacturer="mec", product="mec0003")
    assert serial_over_hid.matching_qx_ids(fabula)[0].usb_subdriver == "fabula"
    hunnox = DeviceInfo(0x0001, 0x0000, manufacturer="Other", product="MEC0003")
    assert serial_over_hid.matching_qx_ids(hunnox)[0].usb_subdriver == "hunnox"
    plain = DeviceInfo(0x0001, 0x0000)
    assert serial_over_hid.matching_qx_ids(plain)[0].usb_subdriver == "krauler"


def test_unparseable_descriptor_counts_as_not_power_device() -> None:
    device = DeviceInfo(0x1234, 0x5678)
    verdict = assess(b"\x05", device, None, parse_error="truncated item")
    assert verdict.kind is Kind.SERIAL_OVER_HID
    assert "does not parse: truncated item" in "\n".join(explain(device, verdict))
