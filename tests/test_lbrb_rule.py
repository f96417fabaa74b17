"""The one APC LB/RB debounce rule (``hidups.driver.status.lbrb_default_delay``).

NUT 2.8.5 decides it in usbhid-ups.c ``upsdrv_initups``: vendor "APC" or "American
Power Conversion", and a product string that names BX…MI, BVK…M2 or BK…M2-CH either
at its start or after a space. ``main`` anchored the pattern at the start, so the
product strings of two real devices ("Back-UPS BX1600MI", "Back-UPS BK650M2-CH")
got no delay while NUT gives them 3 s.
"""

from __future__ import annotations

import pytest
from conftest import require_shared
from hypothesis import given
from hypothesis import strategies as st
from shared_captures import shared_capture

from hidups.device import DeviceInfo
from hidups.driver.status import LBRB_DEFAULT_DELAY, lbrb_default_delay


def nut_condition(vendor: str | None, product: str | None) -> bool:
    """NUT's C test, index by index (strstr, strcmp, the last characters)."""
    n = len(product) if product else 0
    if vendor is None or n == 0 or vendor not in ("APC", "American Power Conversion"):
        return False
    assert product is not None

    def names(series: str) -> bool:
        return (" " + series) in product or product.startswith(series)

    return (
        (n > 6 and names("BX") and product[-2:] == "MI")
        or (n > 7 and names("BVK") and product[-2:] == "M2")
        or (n > 9 and names("BK") and product[-5:-3] == "M2" and product[-3] in "-_"
            and product[-2:] == "CH")
    )


@pytest.mark.parametrize(
    ("name", "field"),
    [
        ("apc-back-ups-bx1600mi-nut1208.json", "model"),  # "Back-UPS BX1600MI"
        ("apc-bk650m2-ch-nutddl.json", "model"),  # "Back-UPS BK650M2-CH"
        ("apc-bk650m2-ch-nutddl.json", "product"),  # "BK650M2-CH"
    ],
)
def test_capture_products_get_nuts_three_seconds(name: str, field: str) -> None:
    require_shared()
    data = shared_capture(name)
    vendor = data.get("manufacturer") or data["vendor"]
    product = data[field]
    assert vendor in ("APC", "American Power Conversion")
    device = DeviceInfo(int(data["vendorid"], 16), int(data["productid"], 16), vendor, product)
    assert lbrb_default_delay(device) == LBRB_DEFAULT_DELAY == 3, product


@pytest.mark.parametrize(
    ("vendor", "product", "delayed"),
    [
        ("APC", "Back-UPS BX1600MI", True),
        ("American Power Conversion", "Back-UPS BK650M2-CH", True),
        ("APC", "Back-UPS BK650M2_CH", True),
        ("APC", "Back-UPS BVK750M2", True),
        ("APC", "BX950MI", True),
        ("APC", "BX12MI", False),  # 6 characters: NUT wants more than 6
        ("APC", "A BKM2-CH", False),  # 9 characters: NUT wants more than 9
        ("APC", "XBX1600MI", False),  # BX neither first nor after a space
        ("APC", "Back-UPS BX1600MI FW:294201G", False),  # must end with MI
        ("APC", "back-ups bx1600mi", False),  # C compares case
        ("APC ", "Back-UPS BX1600MI", False),  # strcmp: no trimming
        ("Schneider", "Back-UPS BX1600MI", False),
        ("APC", "Back-UPS ES 850G2", False),
        ("APC", None, False),
    ],
)
def test_edges_as_nut(vendor: str, product: str | None, delayed: bool) -> None:
    assert nut_condition(vendor, product) is delayed
    expected = LBRB_DEFAULT_DELAY if delayed else 0.0
    assert lbrb_default_delay(DeviceInfo(0x051D, 2, vendor, product)) == expected


@given(st.text(alphabet="BXVKMI2-_CH 1a", max_size=14),
       st.sampled_from(["APC", "American Power Conversion", "APC "]))
def test_pattern_agrees_with_nuts_condition(product: str, vendor: str) -> None:
    delayed = lbrb_default_delay(DeviceInfo(0x051D, 2, vendor, product)) > 0
    assert delayed is nut_condition(vendor, product)
