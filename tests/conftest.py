"""Shared test fixtures: where the shared captures are, and how NUT-backed tests gate."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

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


def require_shared() -> None:
    require(SHARED_CAPTURES.is_dir(), f"{SHARED_CAPTURES} is not present")
