"""NUT's shared conversions, checked against values NUT prints."""

from __future__ import annotations

import pytest
from subdrivers_testlib import FakeContext

from hidups.device import DeviceInfo
from hidups.hid2nut import lookups

CTX = FakeContext(device=DeviceInfo(0x051D, 0x0002), strings={4: "PbAc"})


@pytest.mark.parametrize(
    ("packed", "text"),
    [(0, "not set"), ((2004 - 1980) * 512 + 7 * 32 + 3, "2004/07/03"), (0x3A61, "2009/03/01")],
)
def test_pdc_date_both_ways(packed: int, text: str) -> None:
    assert lookups.DATE_CONVERSION.to_nut(packed, CTX) == text
    if packed:
        assert lookups.DATE_CONVERSION.to_hid(text, CTX) == packed


def test_pdc_date_rejects_garbage() -> None:
    assert lookups.DATE_CONVERSION.to_hid("yesterday", CTX) is None
    assert lookups.DATE_CONVERSION.to_hid("2004/13/01", CTX) is None


def test_status_tables_use_nut_tokens() -> None:
    assert lookups.ONLINE_INFO.to_nut(0, CTX) == "offline"
    assert lookups.OFF_INFO.to_nut(1, CTX) == "!off"
    assert lookups.NOBATTERY_INFO.to_nut(0, CTX) == "nobattery"
    assert lookups.CHARGING_INFO.to_nut(1.0, CTX) == "chrg"
    assert lookups.BEEPER_INFO.to_hid("muted", CTX) == 3
    assert lookups.BEEPER_INFO.enum_values() == ["disabled", "enabled", "muted"]


def test_kelvin_guard_and_stringid() -> None:
    assert lookups.KELVIN_CELSIUS_CONVERSION.to_nut(298.15, CTX) == "25.0"
    assert lookups.KELVIN_CELSIUS_CONVERSION.to_nut(31, CTX) == "31.0"
    assert lookups.STRINGID_CONVERSION.to_nut(4, CTX) == "PbAc"
    # NUT publishes "" for an index the device cannot answer, nothing for a bad index.
    assert lookups.STRINGID_CONVERSION.to_nut(9, CTX) == ""
    assert lookups.STRINGID_CONVERSION.to_nut(300, CTX) is None
