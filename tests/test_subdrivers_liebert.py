"""Phoenixtec/Liebert: the table applied to NUT's own decoded values gives NUT's upsc.

The Ippon Smart Power Pro II and PowerWalker VI 2200 SH logs carry NUT's ``Path:``
values and its ``upsc`` output (NUT 2.7.4, Phoenixtec/Liebert HID 0.3). Feeding those
values through our rows must give the same variables, where 0.3 and 0.41 agree.
"""

from __future__ import annotations

import pytest
from hidups.subdrivers import liebert
from shared_captures import shared_capture
from subdrivers_testlib import FakeContext, device

from hidups.hid2nut.table import BOOL, format_number

#: Variables whose rows did not change between subdriver 0.3 and 0.41.
STABLE = ("battery.charge", "battery.runtime", "ups.load")


def publish(values: dict[str, float]) -> tuple[dict[str, str], list[str]]:
    """First row that has a value wins, as NUT's INIT walk; status rows give tokens."""
    ctx = FakeContext(device(0x06DA, 0xFFFF))
    published: dict[str, str] = {}
    tokens: list[str] = []
    for row in liebert.HID2NUT:
        if row.is_command or row.path is None or row.path not in values:
            continue
        value = values[row.path]
        if row.name == BOOL:
            assert row.lookup is not None
            token = row.lookup.to_nut(value, ctx)
            if token is not None:
                tokens.append(token)
            continue
        if row.name in published:
            continue
        text = row.lookup.to_nut(value, ctx) if row.lookup else format_number(row.fmt, value)
        if text is not None:
            published[row.name] = text
    return published, tokens


@pytest.mark.parametrize("name", ["ippon-smart-power-pro-ii-1200-nutddl.json",
                                  "powerwalker-vi2200sh-nutddl.json"])
def test_phoenixtec_values_match_nut_upsc(name: str) -> None:
    capture = shared_capture(name)
    # one Ippon value is transcribed as "225`" in the source log: skip non-numbers
    values = {p["path"]: float(p["value"]) for p in capture["paths"]
              if p["type"] == "Feature" and isinstance(p["value"], (int, float))}
    published, tokens = publish(values)
    for variable in STABLE:
        assert published[variable] == capture["upsc"][variable], variable
    status = capture["upsc"]["ups.status"].split()
    assert ("online" in tokens) == ("OL" in status)
    assert ("chrg" in tokens) == ("CHRG" in status)
    assert ("dischrg" in tokens) == ("OB" in status or "DISCHRG" in status)
    assert "off" not in tokens  # PresentStatus.Good = 1: output on
