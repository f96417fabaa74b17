"""Glue between pytest and ``scripts/differential.py`` (the differential runner).

The runner holds the logic (cases, driver runs, comparison, the known-differences
table); this module loads it by path (``tools/`` is not a package), works out which
driver runs the selected tests need, and runs them once per session, in parallel.
NUT's answers are always computed live here; nothing stored is used as the oracle.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from conftest import ROOT


def _load_runner() -> ModuleType:
    name = "hidups_tools_differential"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / "differential.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


runner = _load_runner()

#: test functions that need hidups runs (the others need NUT only)
HIDUPS_TESTS = ("test_hidups_matches_nut", "test_hidups_matches_nut280",
                "test_hidups_matches_upsc_snapshot")
#: test functions that need Debian's NUT 2.8.0 (the second column); the rest need 2.8.5 only
NUT280_TESTS = ("test_hidups_matches_nut280",)


def nut_cases() -> list[Any]:
    """Every capture with a descriptor and fill (runner.Case objects)."""
    return list(runner.all_cases())


def upsc_cases() -> list[Any]:
    """Real-fill cases whose capture carries a upsc snapshot and raw reports."""
    return [c for c in nut_cases() if c.fill == "real" and runner.upsc_snapshot(c.capture)]


def case_id(case: Any) -> str:
    return str(case.name)


def runs_for(items: Iterable[pytest.Item]) -> set[tuple[Any, str, str]]:
    """The (case, mode, driver) runs that the collected differential tests need.

    Driver "nut" is NUT 2.8.5 (the reference), "nut280" Debian's 2.8.0.
    """
    runs: set[tuple[Any, str, str]] = set()
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is None or "case" not in callspec.params:
            continue
        name = getattr(item, "originalname", item.name)
        case, mode = callspec.params["case"], callspec.params.get("mode", "d1")
        if not isinstance(case, runner.Case):
            continue
        runs.add((case, mode, "nut"))
        if name in NUT280_TESTS:
            runs.add((case, mode, "nut280"))
        if name in HIDUPS_TESTS:
            runs.add((case, mode, "hidups"))
        if name == "test_comparator_agrees_with_compare_py":
            runs.add((case, "d2", "nut"))
    return runs


@dataclass
class Batch:
    """Every driver run of the session, keyed by case; plus whether hidups starts at all."""

    results: dict[Any, Any] = field(default_factory=dict)
    probe: str | None = None
    rows: list[Any] = field(default_factory=list)
    wall_s: float = 0.0

    def nut(self, case: Any, mode: str, against: str = "nut") -> Any:
        """NUT's run: ``against`` "nut" is 2.8.5, "nut280" is 2.8.0."""
        return self.results[case].reference(against)[mode]

    def hidups(self, case: Any, mode: str) -> Any:
        return self.results[case].hidups[mode]

    def xfail_if_not_runnable(self, run: Any) -> None:
        """xfail only when this run gave nothing AND hidups fails on the sample device too."""
        if run.outcome != "ok" and self.probe is not None:
            pytest.xfail(f"hidups driver not runnable yet ({self.probe})")


def run_session_batch(runs: set[tuple[Any, str, str]], emulator: Path,
                      device_file: Any) -> Batch:
    """Run everything the session needs; the hidups probe first when hidups is needed."""
    import time

    t0 = time.monotonic()
    batch = Batch(rows=runner.load_known_differences())
    if any(d == "hidups" for _, _, d in runs):
        batch.probe = runner.probe_hidups(emulator)
    batch.results = runner.run_batch(
        runs, emulator, lambda c: device_file(c.path, c.fill, c.seed), jobs=12
    )
    batch.wall_s = time.monotonic() - t0
    return batch


def describe(bad: dict[str, tuple[str | None, str | None]], reference: str) -> str:
    """One line per undocumented difference, reference value first."""
    lines = []
    for name, (ref, ours) in sorted(bad.items()):
        if ours is None:
            lines.append(f"  {name}: {reference} {ref!r}, hidups has no such variable")
        elif ref is None:
            lines.append(f"  {name}: hidups {ours!r}, {reference} has no such variable")
        else:
            lines.append(f"  {name}: {reference} {ref!r}, hidups {ours!r}")
    return "\n".join(lines)
