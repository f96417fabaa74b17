"""Q* UPSes on a misbehaving USB bus (issue 11, evidence 1): every upsemu fault kind on
two bridges, with the real driver process and its socket.

The cypress and phoenix bridges both carry each command in a SET_REPORT on EP0 and
the answer on the interrupt pipe (phoenix also flushes with GET_REPORTs), so every
fault kind reaches the Q* traffic. The rules are HID's (``test_faults_upsemu.py``):
the process stays alive, the data goes stale within one poll plus the transfer
timeouts when the status query cannot be answered, nothing it could not read is
served as fresh, and it is fresh again within a poll after the device answers.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import UPSEMU_DIR, require
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
from qx_driver_util import device_ids
from upsemu_util import try_build_upsemu

pytestmark = [pytest.mark.upsemu, pytest.mark.slow]

BRIDGES = {"cypress": "megatec-cypress.ups", "phoenix": "zinto-phoenix.ups"}
#: what a Q1 walk publishes: none of it may be served as fresh unless it was read
WATCHED = ("ups.status", "input.voltage", "battery.voltage", "ups.load")
#: the Q1 answer's status bits, and the same with bit 7 (utility fail) set
ON_LINE = "30.0 00000000"
ON_BATTERY = "30.0 10000000"
#: a Q* walk tries a silent command this many times before it counts as unanswered
Q_TIMEOUTS = 3


@pytest.fixture(params=sorted(BRIDGES))
def run(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Run]:
    lib, why = try_build_upsemu()
    require(lib is not None, f"upsemu: {why}")
    assert lib is not None
    device = tmp_path / "device.ups"
    # a serial number, so that another unit can be told apart (as NUT's serial= does)
    device.write_text((UPSEMU_DIR / "devices" / BRIDGES[request.param]).read_text()
                      + "\nserial: EMU0001\n")
    work = tmp_path / "run"
    work.mkdir()
    ids = [f"{key}={value}" for key, value in device_ids(device).items()]
    with driver_on(device, lib, work, ("serial=EMU0001", *ids),
                   UPSEMU_INTR_WAIT_MS="50") as running:
        assert ON_LINE in running.text
        yield running


def test_wedged_control_endpoint(run: Run) -> None:
    """EP0 stops answering: no command reaches the UPS, so stale; back when it answers."""
    _, back = check_fault(run, ("fault_mute_after: 0", f"fault_wait_ms: {TIMEOUT_MS}"),
                          timeouts=Q_TIMEOUTS, watched=WATCHED)
    assert back <= POLL + Q_TIMEOUTS * TIMEOUT_MS / 1000 + SLACK
    assert run.proc.poll() is None


def test_every_report_stalls(run: Run) -> None:
    """The command's SET_REPORT (report 0) STALLs: nothing is asked, nothing is fresh."""
    _, back = check_fault(run, ("fault_stall: all",), timeouts=0, watched=WATCHED)
    assert back <= POLL + SLACK


def test_every_transfer_fails_with_a_bus_error(run: Run) -> None:
    _, back = check_fault(run, ("fault_io: from 1",), timeouts=0, watched=WATCHED)
    assert back <= POLL + SLACK


def test_timeouts_on_some_transfers(run: Run) -> None:
    """One control transfer in three times out: whatever is fresh is the UPS's own
    answer, and it is fresh again within a poll of the fault clearing."""
    before = run.samples[-1].values
    t_fault = run.put(with_fault(run.text, "fault_timeout: every 3",
                                 f"fault_wait_ms: {TIMEOUT_MS}"))
    run.sample(6)
    t_clear = run.put(run.text)
    run.sample(POLL + Q_TIMEOUTS * TIMEOUT_MS / 1000 + SLACK + 1)
    for s in run.fresh_between(t_fault, t_clear):
        for name in WATCHED:
            assert s.values.get(name) == before.get(name), (name, s)
    assert not run.samples[-1].stale
    fresh_at = run.first(t_clear, stale=False)
    assert fresh_at is not None
    assert fresh_at - t_clear <= POLL + Q_TIMEOUTS * TIMEOUT_MS / 1000 + SLACK


def test_unplug_and_reenumeration_at_a_mains_loss(run: Run) -> None:
    """The bridge resets as the UPS goes on battery (Q1's utility-fail bit set)."""
    check_unplug_to_battery(run, run.text.replace(ON_LINE, ON_BATTERY))


def test_another_unit_is_not_taken(run: Run) -> None:
    """Another unit while ours is away: not taken (``serial=``), the log names it."""
    check_other_unit_refused(run, "OTHER999")
