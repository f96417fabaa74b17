"""Shared test fixtures: where the shared captures are, and how NUT-backed tests gate."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

#: fixtures shared by several test modules (pytest loads them from these helpers)
pytest_plugins = ["qx_bridge_util"]

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("HIDUPS_SHARED", ROOT.parent / "shared"))
SHARED_CAPTURES = SHARED / "captures"
UPSEMU_DIR = SHARED / "tools" / "upsemu"
PROJECT_CAPTURES = ROOT / "captures"


def require(condition: bool, why: str) -> None:
    """Skip when ``condition`` is false, or fail when HIDUPS_REQUIRE_NUT=1 (CI)."""
    if condition:
        return
    if os.environ.get("HIDUPS_REQUIRE_NUT") == "1":
        pytest.fail(f"required in CI but missing: {why}")
    pytest.skip(why)


def require_nut() -> None:
    """NUT's upsd/upsc/usbhid-ups from Debian's nut-server and nut-client packages."""
    require(
        Path("/lib/nut/upsd").exists() and shutil.which("upsc") is not None
        and Path("/lib/nut/usbhid-ups").exists(),
        "Debian's nut-server/nut-client are not installed",
    )


#: where .ci/run (nut_sid.sh with NUT_OUT) keeps NUT 2.8.5; HIDUPS_NUT285 overrides
NUT285_OUT = Path(os.environ.get("HIDUPS_NUT285",
                                 Path.home() / ".cache" / "hidups" / "nut-2.8.5"))


def nut285_root() -> Path | None:
    """The unpacked NUT 2.8.5 prefix (NUT285_OUT, else upsemu's own out/), or None."""
    for base in (NUT285_OUT, UPSEMU_DIR / "out" / "nut-2.8.5"):
        if (base / ".complete").exists() and (base / "root/usr/libexec/nut/usbhid-ups").exists():
            return base / "root"
    return None


def nut285_bin(name: str) -> Path:
    """nut_sid.sh's wrapper for a NUT 2.8.5 program (``usbhid-ups``, ``upsd``, ``upsc``...)."""
    root = nut285_root()
    assert root is not None, "call require_nut285() first"
    return root.parent / "bin" / name


def require_nut285() -> None:
    """NUT 2.8.5, the reference, unpacked by upsemu's nut_sid.sh (.ci/run does it)."""
    require(
        nut285_root() is not None,
        f"NUT 2.8.5 is not unpacked: run NUT_OUT={NUT285_OUT} {UPSEMU_DIR / 'nut_sid.sh'}",
    )


#: A NUT source tree (gen-usbhid-subdriver.sh, drivers/libhid.c): an explicit opt-in.
#: CI has none (no source tarballs), so tests marked ``nut_source`` are deselected (not
#: skipped, not counted) unless HIDUPS_NUT_SOURCE names a tree; set, a missing file fails.
NUT_SOURCE = os.environ.get("HIDUPS_NUT_SOURCE")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "nut_source: needs a NUT source tree; opt-in with HIDUPS_NUT_SOURCE=DIR, "
        "deselected otherwise (CI does not run or count these)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if NUT_SOURCE:
        return
    dropped = [item for item in items if item.get_closest_marker("nut_source")]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = [item for item in items if not item.get_closest_marker("nut_source")]


def nut_source_file(relative: str) -> Path:
    """A file of the opted-in NUT source tree; missing is an error, never a skip."""
    assert NUT_SOURCE, "only nut_source tests call this (deselected without the opt-in)"
    path = Path(NUT_SOURCE) / relative
    assert path.exists(), f"HIDUPS_NUT_SOURCE={NUT_SOURCE} has no {relative}"
    return path


def require_shared() -> None:
    require(SHARED_CAPTURES.is_dir(), f"{SHARED_CAPTURES} is not present")
