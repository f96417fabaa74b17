"""The standard usage names against NUT's own table.

NUT's ``hid_usage_lkp`` (drivers/libhid.c) is read from the NUT source tree next to
the project when it is there. NUT searches it front to back both ways, so for every
code the first name is what ``Path:`` lines print, and for every name (case-insensitive)
the first code is what a path string means: ``NUT_STANDARD`` must answer the same.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from conftest import ROOT

from hidups.descriptor import format_path, parse_path
from hidups.usages import NUT_STANDARD, STANDARD

NUT_SOURCES = [Path(os.environ.get("HIDUPS_NUT_SOURCE", ROOT.parent / "nutsrc-2.8.0")),
               ROOT.parent / "nutsrc"]
_ROW = re.compile(r'\{\s*"([^"]+)",\s*0[xX]([0-9a-fA-F]{8})\s*\}')


def nut_usage_table(source: Path) -> list[tuple[str, int]]:
    text = (source / "drivers" / "libhid.c").read_text(errors="replace")
    table = text[text.index("hid_usage_lkp[] = {"):]
    table = table[:table.index("NULL, 0")]
    return [(name, int(code, 16)) for name, code in _ROW.findall(table)]


@pytest.mark.parametrize("source", NUT_SOURCES, ids=lambda p: p.name)
def test_nut_standard_is_nuts_table(source: Path) -> None:
    if not (source / "drivers" / "libhid.c").exists():
        pytest.skip(f"no NUT source at {source}")
    rows = nut_usage_table(source)
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
