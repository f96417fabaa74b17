"""The driver on a misbehaving USB bus (issue 11): every upsemu fault kind, on a real
capture's device, with the real driver process and its socket.

For each fault: the process stays alive; the data goes stale within one poll
interval plus two transfer timeouts (a walk gives up after two timeouts in a row)
when the status cannot be read; no value it could not read is served as fresh; and
it is fresh again within one poll interval (plus re-enumeration) after the device
answers again. The Q* bridges have their own file, ``test_faults_qx.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import SHARED_CAPTURES, require
from fault_util import (
    POLL,
    SLACK,
    TIMEOUT_MS,
    Run,
    check_fault,
    check_other_unit_refused,
    check_unplug_to_battery,
    driver_on,
    with_fault,
)
from upsemu_util import device_file, try_build_upsemu

pytestmark = [pytest.mark.upsemu, pytest.mark.slow]

BK650 = SHARED_CAPTURES / "apc-bk650m2-ch-nutddl.json"


@pytest.fixture
def run(tmp_path: Path) -> Iterator[Run]:
    lib, why = try_build_upsemu()
    require(lib is not None, f"upsemu: {why}")
    assert lib is not None
    with driver_on(device_file(BK650), lib, tmp_path) as running:
        yield running


def test_wedged_control_endpoint(run: Run) -> None:
    """EP0 stops answering (fault_mute_after: 0): stale, reopened when it answers again."""
    _, back = check_fault(run, ("fault_mute_after: 0", f"fault_wait_ms: {TIMEOUT_MS}"),
                          timeouts=2)
    assert back <= POLL + 2 * TIMEOUT_MS / 1000 + SLACK
    assert "lost the UPS" in run.log.read_text()


def test_every_report_stalls(run: Run) -> None:
    _, back = check_fault(run, ("fault_stall: all",), timeouts=0)
    assert back <= POLL + SLACK
    assert "UPS data is stale: none of the" in run.log.read_text()


def test_every_transfer_fails_with_a_bus_error(run: Run) -> None:
    _, back = check_fault(run, ("fault_io: from 1",), timeouts=0)
    assert back <= POLL + SLACK


def test_timeouts_on_some_reports(run: Run) -> None:
    """One control transfer in three times out. A status row that misses two walks in a
    row makes the data stale (its bits would be two polls old); whatever is served as
    fresh is the device's own value; fresh again within a poll after it clears."""
    before = run.samples[-1].values
    t_fault = run.put(with_fault(run.text, "fault_timeout: every 3",
                                 f"fault_wait_ms: {TIMEOUT_MS}"))
    run.sample(6)
    t_clear = run.put(run.text)
    run.sample(POLL + 2 * TIMEOUT_MS / 1000 + SLACK + 1)
    for s in run.fresh_between(t_fault, t_clear):
        for name in ("ups.status", "battery.charge"):
            assert s.values.get(name) == before.get(name), (name, s)
    assert not run.samples[-1].stale
    fresh_at = run.first(t_clear, stale=False)
    assert fresh_at is not None and fresh_at - t_clear <= POLL + 2 * TIMEOUT_MS / 1000 + SLACK


def test_unplug_and_reenumeration_at_a_mains_loss(run: Run) -> None:
    """The UPS resets its USB as it goes on battery: see check_unplug_to_battery."""
    assert "feature 0x13: 01" in run.text  # ACPresent, the BK650's mains bit
    check_unplug_to_battery(run, run.text.replace("feature 0x13: 01", "feature 0x13: 00"))


def test_another_unit_is_not_taken(run: Run) -> None:
    """A different unit (another serial number) on the bus while ours is away."""
    check_other_unit_refused(run, "serial 'OTHER999' does not match")
