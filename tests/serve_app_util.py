"""Helpers of the ``hidups serve`` tests: UPS specs on replayed captures, a capture that
unplugs for good, waiting for a condition."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

from conftest import PROJECT_CAPTURES

from hidups.nut.cmdline import parse_command_line, resolve_options
from hidups.serve.fleet import UpsSpec

CS500 = PROJECT_CAPTURES / "apc-back-ups-cs500.json"
CPS = PROJECT_CAPTURES / "cyberpower-cp1500pfclcd.json"


def unplugging_copy(tmp_path: Path, source: Path, at: float) -> Path:
    """``source`` with one scripted event: unplugged at ``at`` s, never back."""
    doc = json.loads(source.read_text())
    doc["events"] = [{"t": at, "action": "unplug"}]
    out = tmp_path / f"unplug-{source.name}"
    out.write_text(json.dumps(doc))
    return out


def spec(name: str, capture: Path, desc: str = "") -> UpsSpec:
    """A UPS replaying ``capture``, polled every second, as ``-s name -x port=replay:``."""
    args = parse_command_line(["-s", name, "-x", f"port=replay:{capture}",
                               "-x", "pollinterval=1"])
    return UpsSpec(name, resolve_options(args, None), desc)


def wait_for(predicate: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False
