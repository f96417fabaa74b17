"""The standard usage names against NUT's own table.

The reference is NUT 2.8.5's binary: its ``explore`` dump (debug level 1, upsemu) of
every corpus descriptor prints each element's path with NUT's names, and a usage code
NUT has no name for as 8 hex digits. Each printed component, matched with the usage code
our parser finds at the same place, must be what ``NUT_STANDARD`` names that code.

Opt-in (``HIDUPS_NUT_SOURCE``, deselected in CI): NUT's ``hid_usage_lkp``
(drivers/libhid.c) from a source tree, the whole table both ways: NUT searches it front
to back, so for every code the first name is what ``Path:`` lines print, and for every
name (case-insensitive) the first code is what a path string means.
"""

from __future__ import annotations

import json
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from conftest import nut_source_file, require, require_nut285, require_shared
from shared_captures import shared_capture_files

from hidups.capture.nut_dump import skipped_by_nut
from hidups.descriptor import ReportDescriptor, format_path, parse_path
from hidups.device import DeviceInfo
from hidups.usages import NUT_STANDARD, STANDARD

_ROW = re.compile(r'\{\s*"([^"]+)",\s*0[xX]([0-9a-fA-F]{8})\s*\}')


def nut_usage_table(source: Path) -> list[tuple[str, int]]:
    text = (source / "drivers" / "libhid.c").read_text(errors="replace")
    table = text[text.index("hid_usage_lkp[] = {"):]
    table = table[:table.index("NULL, 0")]
    return [(name, int(code, 16)) for name, code in _ROW.findall(table)]


@pytest.mark.nut_source
def test_nut_standard_is_nuts_table() -> None:
    rows = nut_usage_table(nut_source_file("drivers/libhid.c").parents[1])
    assert len(rows) > 160
    first_name: dict[int, str] = {}
    first_code: dict[str, int] = {}
    for name, code in rows:
        first_name.setdefault(code, name)
        first_code.setdefault(name.lower(), code)
    for code, name in first_name.items():
        assert NUT_STANDARD.name(code) == name
    for name, code in first_code.items():
        assert NUT_STANDARD.code(name.upper()) == code
    assert {n.lower() for n in NUT_STANDARD} == set(first_code)


def test_standard_adds_only_names_nut_lacks() -> None:
    nut = dict(NUT_STANDARD.items())
    extra = {name: code for name, code in STANDARD.items() if name not in nut}
    assert set(extra) == {"PeripheralDevice", "iDeviceName", "iDeviceChemistery"}
    for code in extra.values():
        # a spec-only name never changes how NUT's codes print...
        if NUT_STANDARD.name(code) is not None:
            assert STANDARD.name(code) == NUT_STANDARD.name(code)
    # ...and NUT prints the code it lacks as hex
    assert format_path((0x840004, 0x840006), NUT_STANDARD) == "UPS.00840006"
    assert format_path((0x840004, 0x840006), STANDARD) == "UPS.PeripheralDevice"
    assert parse_path("ups.ideviceNAME", STANDARD) == (0x840004, 0x850088)


_HEX_USAGE = re.compile(r"^[0-9a-f]{8}$")
_INDEX_USAGE = re.compile(r"^\[(\d+)\]$")  # NUT prints 0x00ffNNNN (array index) as [N]


def names_against_codes(capture: Path, library: Path) -> tuple[int, list[str]]:
    """(components checked, problems) for one descriptor's NUT 2.8.5 explore dump."""
    from upsemu_util import device_file, nut_explore_paths

    doc = json.loads(capture.read_text())
    lines = nut_explore_paths(device_file(capture, "random", 1), library)
    device = DeviceInfo(int(doc["vendorid"], 16), int(doc["productid"], 16))
    desc = ReportDescriptor.from_bytes(bytes.fromhex(doc["descriptor_hex"]))
    fields = [f for f in desc.fields if not skipped_by_nut(f, device)]
    problems = [] if len(fields) == len(lines) else [
        f"NUT printed {len(lines)} paths, our parser has {len(fields)} elements"]
    checked = 0
    for line, field in zip(lines, fields, strict=False):
        printed = line[len("Path: "):].split(",", 1)[0].split(".")
        if len(printed) != len(field.path):
            problems.append(f"{line}: {len(field.path)} usages in our path")
            continue
        for name, code in zip(printed, field.path, strict=True):
            checked += 1
            ours = NUT_STANDARD.name(code)
            index = _INDEX_USAGE.match(name)
            if index:
                if code != 0x00FF0000 + int(index[1]) or ours is not None:
                    problems.append(f"{name}: code {code:08x}, NUT_STANDARD says {ours!r}")
            elif _HEX_USAGE.match(name):  # NUT has no name for this code
                if int(name, 16) != code or ours is not None:
                    problems.append(f"{name}: NUT has no name, we say {ours!r} ({code:08x})")
            elif ours != name:
                problems.append(f"{code:08x}: NUT prints {name!r}, NUT_STANDARD {ours!r}")
    return checked, problems


@pytest.mark.nut
@pytest.mark.upsemu
@pytest.mark.slow
def test_nut_standard_names_what_nut_285_prints() -> None:
    """Every usage component of every path NUT 2.8.5 prints, on all corpus descriptors."""
    require_shared()
    require_nut285()
    from upsemu_util import try_build_upsemu

    library, why = try_build_upsemu()
    require(library is not None, f"upsemu unavailable: {why}")
    assert library is not None
    captures = [p for p in shared_capture_files()
                if json.loads(p.read_text()).get("descriptor_hex")]
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda p: names_against_codes(p, library), captures))
    checked = sum(n for n, _ in results)
    bad = {c.stem: p[:5] for c, (_, p) in zip(captures, results, strict=True) if p}
    assert checked > 8000, checked  # 2517 paths of 3 to 5 usages
    assert not bad, bad
