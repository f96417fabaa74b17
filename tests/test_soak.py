"""Half a day of polling with random USB faults, time-accelerated (``tests/soak.py``;
``python tests/soak.py --days 7`` for the week-long run the closing notes report)."""

from __future__ import annotations

import pytest
from soak import soak

pytestmark = pytest.mark.slow


def test_half_a_day_of_faults() -> None:
    result = soak(days=0.5, seed=11)
    episodes = sum(result.episodes.values())
    assert result.updates == 21600
    assert set(result.episodes) == {"stall_one", "stall_all", "io_all", "timeout_all",
                                    "wedge", "unplug"}
    assert result.crashes == 0
    assert result.fresh_wrong == 0
    assert 0 < result.stale_updates < result.updates
    assert result.log_lines <= 8 * episodes  # a few lines per episode, not one per poll
    assert result.memory_end - result.memory_start < 512 * 1024
