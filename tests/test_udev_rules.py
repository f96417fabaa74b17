"""``hidups udev-rules``: every claimed VID:PID, for libusb and hidraw nodes, in NUT's layout."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest
from hidups.tools import udev_rules

from hidups.cli import main

NUT_RULES = Path("/lib/udev/rules.d/62-nut-usbups.rules")
USB_LINE = re.compile(r'^ATTR\{idVendor\}=="([0-9a-f]{4})", ATTR\{idProduct\}=="([0-9a-f]{4})", '
                      r'MODE="664", GROUP="(\w+)"$')
HIDRAW_LINE = re.compile(r'^SUBSYSTEM=="hidraw", ATTRS\{idVendor\}=="([0-9a-f]{4})", '
                         r'ATTRS\{idProduct\}=="([0-9a-f]{4})", MODE="0660", GROUP="(\w+)"$')


def claimed() -> set[tuple[int, int]]:
    return {(usb_id.vendor_id, usb_id.product_id)
            for sub in udev_rules.all_subdrivers() for usb_id in sub.devices}


def rules(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    assert main(["udev-rules", *args]) == 0
    out: str = capsys.readouterr().out
    return out


def ids(text: str, pattern: re.Pattern[str], group: str = "nut") -> set[tuple[int, int]]:
    found = set()
    for line in text.splitlines():
        m = pattern.match(line)
        if m:
            assert m.group(3) == group
            found.add((int(m.group(1), 16), int(m.group(2), 16)))
    return found


def test_every_claimed_id_for_both_node_kinds(capsys: pytest.CaptureFixture[str]) -> None:
    text = rules(capsys)
    wanted = claimed()
    assert len(wanted) > 100
    assert ids(text, USB_LINE) == wanted
    assert ids(text, HIDRAW_LINE) == wanted


def test_layout_follows_nut(capsys: pytest.CaptureFixture[str]) -> None:
    lines = rules(capsys).splitlines()
    assert 'ACTION=="remove", GOTO="nut-usbups_rules_end"' in lines
    real = lines.index('LABEL="nut-usbups_rules_real"')
    hidraw = lines.index('LABEL="hidups_hidraw_rules"')
    end = lines.index('LABEL="nut-usbups_rules_end"')
    assert real < hidraw < end == len(lines) - 1
    # the libusb section: vendor comment lines, then model comment + rule pairs
    assert lines[real + 1] == "# Hewlett Packard"
    assert lines[real + 2].startswith("#  ") and " - hidups (" in lines[real + 2]
    assert USB_LINE.match(lines[real + 3])
    # hidraw events jump over the libusb section, and back out after their own
    assert lines.index('SUBSYSTEM=="hidraw", GOTO="hidups_hidraw_rules"') < real
    assert lines[hidraw - 2] == 'GOTO="nut-usbups_rules_end"'


def test_group_option_and_libusb_only(capsys: pytest.CaptureFixture[str]) -> None:
    text = rules(capsys, "--group", "ups", "--no-hidraw")
    assert ids(text, USB_LINE, group="ups") == claimed()
    assert "hidraw" not in text


def test_bad_group_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["udev-rules", "--group", 'nut" MODE="666']) == 2
    assert "--group" in capsys.readouterr().err


def test_output_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "62-hidups.rules"
    assert main(["udev-rules", "-o", str(target)]) == 0
    assert ids(target.read_text(), USB_LINE) == claimed()
    assert main(["udev-rules", "-o", str(tmp_path / "missing" / "x.rules")]) == 1
    assert "--output" in capsys.readouterr().err


def test_covers_debians_usbhid_ups_ids(capsys: pytest.CaptureFixture[str]) -> None:
    """Every id Debian's NUT 2.8.0 rules file lists for usbhid-ups is in ours."""
    if not NUT_RULES.exists():
        pytest.skip("Debian's nut-server rules file is not installed")
    nut_lines = NUT_RULES.read_text().splitlines()
    nut_ids = set()
    for comment, rule in itertools.pairwise(nut_lines):
        m = re.match(r'ATTR\{idVendor\}=="(\w{4})", ATTR\{idProduct\}=="(\w{4})"', rule)
        if m and comment.endswith("- usbhid-ups"):
            nut_ids.add((int(m.group(1), 16), int(m.group(2), 16)))
    assert len(nut_ids) > 90
    assert nut_ids <= ids(rules(capsys), USB_LINE)
