#!/usr/bin/env python3
"""Write docs/compatibility.md from a scripts/differential.py results file.

Two tables, NUT 2.8.5 (the reference) first, then Debian 12's NUT 2.8.0 (the second
column of the differential). One row per shared capture: vendor, VID:PID, the subdriver
that NUT picked and the one hidups picked, for each fill the variables hidups matched
out of NUT's total (``d1`` quick-update dump, then ``d2`` full-update dump), and the
variables that differ. The figures are the runner's own: this tool only formats them, so the page
is exactly as current as the results file it was made from.

usage: scripts/compat_table.py [--results build/differential/results.json]
                             [--output docs/compatibility.md]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_RESULTS = ROOT / "build" / "differential" / "results.json"
DEFAULT_OUTPUT = ROOT / "docs" / "compatibility.md"
FILLS = ("real", "mid", "random")
#: result keys of scripts/differential.py: the NUT run and its comparison with hidups
COLUMNS = {"nut": ("2.8.5", "comparison"), "nut280": ("2.8.0", "comparison_nut280")}

Report = Mapping[str, Any]


def figure(report: Report, mode: str, against: str = "nut") -> str:
    """``matched/total`` for one case and mode, or why there is no figure."""
    entry = report["modes"].get(mode)
    if entry is None or against not in entry:
        return "-"
    nut, cmp = entry[against], entry.get(COLUMNS[against][1])
    if nut["outcome"] != "ok":
        return f"NUT {nut['outcome']}"
    if cmp is None or cmp["not_runnable"]:
        return f"?/{nut['compared']}"
    if cmp["outcome_problem"]:
        return "hidups refused"
    return f"{cmp['matched']}/{cmp['total']}"


def differing(reports: Sequence[Report], against: str = "nut"
              ) -> tuple[list[str], list[str]]:
    """(documented, undocumented) differing variable names over all fills and modes."""
    names: set[str] = set()
    bad: set[str] = set()
    for rep in reports:
        for entry in rep["modes"].values():
            cmp = entry.get(COLUMNS[against][1])
            if not cmp or cmp["not_runnable"]:
                continue
            names |= set(cmp["only_nut"]) | set(cmp["differ"])
            bad |= set(cmp["undocumented"])
    return sorted(names - bad), sorted(bad)


def only_hidups(reports: Sequence[Report]) -> list[str]:
    found: set[str] = set()
    for rep in reports:
        for entry in rep["modes"].values():
            cmp = entry.get("comparison")
            if cmp and not cmp["not_runnable"]:
                found |= set(cmp["only_hidups"])
    return sorted(found)


def subdrivers(reports: Sequence[Report], side: str) -> str:
    seen = {e[side]["subdriver"] for r in reports for e in r["modes"].values()
            if side in e and e[side]["subdriver"]}
    return ", ".join(sorted(seen)) or "-"


def totals(results: Mapping[str, Any], against: str) -> tuple[int, int]:
    """Matched and compared variables over every case and mode."""
    matched = total = 0
    for rep in results["cases"]:
        for entry in rep["modes"].values():
            cmp = entry.get(COLUMNS[against][1])
            if cmp and not cmp["not_runnable"]:
                matched, total = matched + cmp["matched"], total + cmp["total"]
    return matched, total


def table(by_capture: Mapping[str, Sequence[Report]], modes: Sequence[str],
          against: str) -> list[str]:
    """The per-capture table against one NUT version."""
    out = [
        "| capture | vendor | VID:PID | NUT subdriver | hidups subdriver | "
        + " | ".join(FILLS) + " | differing variables |",
        "|---" * (6 + len(FILLS)) + "|",
    ]
    for capture, reports in sorted(by_capture.items()):
        fills = {r["fill"]: r for r in reports}
        cells = [" · ".join(figure(fills[f], m, against) for m in modes) if f in fills
                 else "-" for f in FILLS]
        documented, bad = differing(reports, against)
        names = [f"**{n}**" for n in bad] + documented
        first = reports[0]
        out.append(
            f"| {capture} | {first['vendor']} | {first['vid_pid']} | "
            f"{subdrivers(reports, against)} | {subdrivers(reports, 'hidups')} | "
            + " | ".join(cells) + f" | {', '.join(names) or '-'} |"
        )
    return out


def render(results: Mapping[str, Any]) -> str:
    by_capture: dict[str, list[Report]] = {}
    for rep in results["cases"]:
        by_capture.setdefault(rep["capture"], []).append(rep)
    modes = results["modes"]
    probe = results.get("hidups_probe")
    state = ("hidups did not run (`--nut-only`)" if results.get("nut_only")
             else f"hidups was not runnable: {probe}" if probe
             else "hidups ran on every case")
    out = [
        "# Compatibility with NUT 2.8.5 (and 2.8.0) usbhid-ups",
        "",
        "Generated by `scripts/compat_table.py` from `scripts/differential.py` results;"
        " do not edit.",
        "The drivers ran on the same emulated device (upsemu) built from each shared capture:",
        "NUT 2.8.5 (the reference; Debian sid's build through upsemu's nut_sid.sh), Debian 12's",
        "NUT 2.8.0 and hidups. 2.8.5 reads the composite devices (Liebert 10af:0002, Arduino)",
        "on interface 0 (`usb_hid_rep_index=0 usb_hid_ep_in=1`), where upsemu emulates them.",
        f"Modes: {', '.join(modes)} (`d1`: dump after one quick update; `d2`: pollfreq 5, dump",
        "after a full update, so alarms appear). Per fill: variables hidups gave with NUT's value,",
        "out of NUT's variables (driver.name, driver.version* and driver.parameter.* other than",
        "pollfreq/pollinterval left out), as `d1 · d2`. Differing variables are over all fills",
        "and modes; those in bold are not yet documented in docs/differences.md.",
        f"State of this run: {state}.",
        "",
    ]
    for against, (version, _) in COLUMNS.items():
        matched, total = totals(results, against)
        share = f" ({100 * matched / total:.1f}%)" if total else ""
        out.append(f"- against NUT {version}: {matched}/{total} variables{share}")
    for against, (version, _) in COLUMNS.items():
        role = "the reference" if against == "nut" else "the second column"
        out += ["", f"## Against NUT {version} ({role})", "", *table(by_capture, modes, against)]
    extra = [(c, only_hidups(r)) for c, r in sorted(by_capture.items())]
    extra = [(c, names) for c, names in extra if names]
    if extra:
        out += ["", "## Variables only hidups gives", "",
                "Allowed (NUT 2.8.5 does not give them); listed so they are seen.", ""]
        out += [f"- {c}: {', '.join(names)}" for c, names in extra]
    return "\n".join(out) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="write docs/compatibility.md")
    parser.add_argument("--results", type=Path, default=DEFAULT_RESULTS)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)
    if not args.results.exists():
        print(f"{args.results}: no results; run scripts/differential.py first", file=sys.stderr)
        return 2
    results = json.loads(args.results.read_text())
    args.output.write_text(render(results))
    print(f"wrote {args.output} ({len(results['cases'])} cases)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
