#!/usr/bin/env python3
"""Regenerate captures/ from the shared corpus with the project's own converter.

Every file in captures/ is written by ``hidups convert``; nothing there is edited by
hand. Run from anywhere: ``python3 scripts/make_captures.py [--shared DIR]``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SHARED = Path(os.environ.get("HIDUPS_SHARED", ROOT.parent / "shared")) / "captures"

#: output name → shared-corpus file (one real device per vendor at least).
CAPTURES: dict[str, str] = {
    "apc-back-ups-cs500.json": "apc-back-ups-cs500-nutddl.json",
    "apc-bk650m2-ch.json": "apc-bk650m2-ch-nutddl.json",
    "eaton-3s-700.json": "eaton-3s-700-nut2887.json",
    "cyberpower-cp1500pfclcd.json": "cyberpower-cp1500pfclcd-nut2642.json",
    "tripplite-4003.json": "tripplite-4003-nut1268.json",
    "liebert-psi5.json": "liebert-psi5-nut2271.json",
    "powercom-bnt-800ap.json": "powercom-bnt-800ap-nut1695.json",
}

#: The Back-UPS CS 500 with a script for the driver's integration tests: mains lost at
#: 5 s (ACPresent 0x13 → 0, Discharging in 0x06 → 1, announced on the interrupt pipe as
#: the real unit does), charge and runtime falling at 15 s, mains back at 20 s, the
#: device unplugged from 30 s to 35 s.
CS500_EVENTS: list[str] = [
    "5:report:feature:13 00",
    "5:report:feature:06 00 01 08",
    "5:interrupt:13 00",
    "5:interrupt:06 00 01 08",
    "15:report:feature:0c 5a 00 00 b0 04",
    "15:interrupt:0c 5a 00 00 b0 04",
    "20:report:feature:13 01",
    "20:report:feature:06 01 00 08",
    "20:interrupt:13 01",
    "20:interrupt:06 01 00 08",
    "30:unplug",
    "35:replug",
]

EVENT_VARIANTS: dict[str, tuple[str, list[str], str]] = {
    "apc-back-ups-cs500-events.json": (
        "apc-back-ups-cs500-nutddl.json", CS500_EVENTS,
        "Scripted for integration tests: on battery 5-20 s (charge 90 %, runtime 1200 s "
        "from 15 s), unplugged 30-35 s."),
}


def convert(source: Path, output: Path, events: list[str], note: str | None) -> None:
    cmd = [sys.executable, "-m", "hidups", "convert", str(source), "-o", str(output)]
    for event in events:
        cmd += ["--event", event]
    if note:
        cmd += ["--note", note]
    subprocess.run(cmd, check=True, cwd=ROOT)
    print(f"wrote {output.relative_to(ROOT)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED,
                        help="the shared captures folder (default ../shared/captures)")
    args = parser.parse_args()
    out = ROOT / "captures"
    out.mkdir(exist_ok=True)
    for name, shared in CAPTURES.items():
        convert(args.shared / shared, out / name, [], None)
    for name, (shared, events, note) in EVENT_VARIANTS.items():
        convert(args.shared / shared, out / name, events, note)
    return 0


if __name__ == "__main__":
    sys.exit(main())
