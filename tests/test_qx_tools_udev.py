"""``hidups udev-rules`` covers the Q* bridges' VID:PIDs (nutdrv_qx's table) for libusb."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest

from hidups.cli import main
from hidups.transport.qx_match import qx_usb_ids

NUT_RULES = Path("/lib/udev/rules.d/62-nut-usbups.rules")
QX_LINE = re.compile(r'^SUBSYSTEM=="usb", ATTR\{idVendor\}=="([0-9a-f]{4})", '
                     r'ATTR\{idProduct\}=="([0-9a-f]{4})", MODE="664", GROUP="(\w+)"$')


def qx_ids(text: str, group: str = "nut") -> set[tuple[int, int]]:
    found = set()
    for line in text.splitlines():
        m = QX_LINE.match(line)
        if m:
            assert m.group(3) == group
            found.add((int(m.group(1), 16), int(m.group(2), 16)))
    return found


def test_every_bridge_id_with_a_framing(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["udev-rules", "--group", "ups"]) == 0
    text = capsys.readouterr().out
    wanted = {(r.vendor_id, r.product_id) for r in qx_usb_ids() if r.bridge is not None}
    assert (0x0665, 0x5161) in wanted and (0x0001, 0x0000) in wanted
    assert qx_ids(text, group="ups") == wanted
    # the CH340 row has no framing in NUT: no rule for a generic serial converter
    assert "1a86" not in text
    lines = text.splitlines()
    assert lines.index("# Q* UPSes behind USB-serial bridges (as nutdrv_qx)") < lines.index(
        'LABEL="hidups_hidraw_rules"')
    assert "#  Belkin F6C1200-UNV/Voltronic Power UPSes  - hidups (qx, cypress bridge)" in lines


def test_covers_debians_nutdrv_qx_ids(capsys: pytest.CaptureFixture[str]) -> None:
    """Every id Debian's NUT 2.8.0 rules file lists for nutdrv_qx is in ours."""
    if not NUT_RULES.exists():
        pytest.skip("Debian's nut-server rules file is not installed")
    nut_ids = set()
    for comment, rule in itertools.pairwise(NUT_RULES.read_text().splitlines()):
        m = re.match(r'ATTR\{idVendor\}=="(\w{4})", ATTR\{idProduct\}=="(\w{4})"', rule)
        if m and comment.endswith("- nutdrv_qx"):
            nut_ids.add((int(m.group(1), 16), int(m.group(2), 16)))
    assert len(nut_ids) >= 14
    assert main(["udev-rules", "--no-hidraw"]) == 0
    assert nut_ids <= qx_ids(capsys.readouterr().out)
