"""Generic subdriver: standard Power Device Class paths for a UPS no vendor table claims."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import require_shared
from hidups.subdrivers import generic
from shared_captures import shared_capture, shared_capture_files
from subdrivers_testlib import descriptor_of, device_of, resolve, resolving_names

from hidups.descriptor.model import ReportType
from hidups.hid2nut.registry import resolving_rows, select_subdriver

SUB = generic.SUBDRIVER



def test_generic_claims_nothing_by_id() -> None:
    require_shared()
    for path in shared_capture_files():
        assert SUB.claims(device_of(shared_capture(path.name)), {"productid": "ffff"}) is None


def test_unknown_vendor_gets_the_generic_table() -> None:
    """The 5131:2007 UPS (nut#3227) has no NUT subdriver; generic reads its charge."""
    require_shared()
    data = shared_capture("unknown-5131-2007-nut3227.json")
    desc = descriptor_of(data)
    chosen = select_subdriver(device_of(data), {}, desc)
    assert chosen.subdriver is SUB
    assert {"battery.charge", "battery.charge.warning", "battery.voltage.nominal"} <= (
        resolving_names(SUB, desc))
    # its status bits are Input-only: they bind when reports come by interrupt
    path = "UPS.PowerSummary.PresentStatus.ACPresent"
    assert resolve(SUB, desc, path) is None
    assert resolve(SUB, desc, path, ReportType.INPUT) is not None
    assert path in {row.path for row in resolving_rows(SUB, desc)}


PDC_VENDOR_CAPTURES = [
    p for p in shared_capture_files()
    if p.stem.startswith(("apc-", "eaton-", "cyberpower-", "tripplite-"))
]


@pytest.mark.parametrize("path", PDC_VENDOR_CAPTURES, ids=lambda p: p.stem)
def test_generic_would_cover_the_basics_of_vendor_units(path: Path) -> None:
    """On vendor descriptors the standard paths alone give charge, runtime and status."""
    require_shared()
    names = resolving_names(SUB, descriptor_of(shared_capture(path.name)))
    assert {"battery.charge", "BOOL"} <= names
    assert "battery.runtime" in names or path.stem.startswith("eaton-5e")
