#!/usr/bin/env python3
"""Descriptor parse time: hidups vs hid-tools vs hid-parser, per corpus descriptor.

    python bench/parse.py [--rounds 31] [--captures DIR]

For each descriptor of the shared corpus, each parser parses the same bytes ``rounds``
times (interleaved, so machine load hits all three alike) and the median is reported,
in microseconds and in ms per KiB (for hidups also its best round, which machine load
disturbs least). A parser that rejects a descriptor shows its
exception instead. The last row is the median over descriptors.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

# Run as a script, this file's folder comes first on sys.path, and this file's name
# would shadow the ``parse`` package that hid-tools imports.
if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    del sys.path[0]

from hidups.descriptor import ReportDescriptor

DEFAULT_CAPTURES = Path(__file__).resolve().parents[1].parent / "shared" / "captures"


def _hidtools() -> Callable[[bytes], Any] | None:
    try:
        from hidtools.hid import ReportDescriptor as HidToolsDescriptor
    except ImportError:
        return None
    return HidToolsDescriptor.from_bytes  # type: ignore[no-any-return]


def _hidparser() -> Callable[[bytes], Any] | None:
    try:
        import hid_parser
    except ImportError:
        return None

    def parse(raw: bytes) -> Any:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return hid_parser.ReportDescriptor(raw)

    return parse


def median_times(parsers: dict[str, Callable[[bytes], Any] | None], raw: bytes,
                 rounds: int) -> dict[str, float | str]:
    """Median seconds per parse for each parser, or why it has none.

    Rounds are interleaved (hidups, hid-tools, hid-parser, hidups, ...) so that a
    busy moment on the machine hits every parser alike.
    """
    results: dict[str, float | str] = {}
    runnable: dict[str, Callable[[bytes], Any]] = {}
    for name, parse in parsers.items():
        if parse is None:
            results[name] = "n/a"
            continue
        try:
            parse(raw)
        except Exception as error:  # another project's parser: any failure is a result
            results[name] = type(error).__name__
            continue
        runnable[name] = parse
    times: dict[str, list[float]] = {name: [] for name in runnable}
    best: dict[str, float] = {}
    for _ in range(rounds):
        for name, parse in runnable.items():
            start = time.perf_counter()
            parse(raw)
            times[name].append(time.perf_counter() - start)
    for name, samples in times.items():
        results[name] = statistics.median(samples)
        best[name] = min(samples)
    if "hidups" in best:
        results["hidups best"] = best["hidups"]
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=31)
    parser.add_argument("--captures", type=Path, default=DEFAULT_CAPTURES)
    args = parser.parse_args(argv)

    parsers: dict[str, Callable[[bytes], Any] | None] = {
        "hidups": ReportDescriptor.from_bytes,
        "hid-tools": _hidtools(),
        "hid-parser": _hidparser(),
    }
    corpus = []
    for path in sorted(args.captures.glob("*.json")):
        hex_text = json.loads(path.read_text()).get("descriptor_hex")
        if hex_text:
            corpus.append((path.stem, bytes.fromhex(hex_text)))

    names = list(parsers)
    print(f"| descriptor | bytes | {' | '.join(n + ' µs' for n in names)} "
          f"| hidups ms/KiB | hidups best ms/KiB | fastest |")
    print("|---|---:|" + "---:|" * len(names) + "---:|---:|---|")
    per_parser: dict[str, list[float]] = {n: [] for n in names}
    hidups_per_kib: list[float] = []
    hidups_best_per_kib: list[float] = []
    wins = 0
    for stem, raw in corpus:
        results = median_times(parsers, raw, args.rounds)
        cells = []
        for name in names:
            value = results[name]
            if isinstance(value, float):
                per_parser[name].append(value)
                cells.append(f"{value * 1e6:.0f}")
            else:
                cells.append(value)
        numeric = {n: v for n, v in results.items() if isinstance(v, float) and n in names}
        fastest = min(numeric, key=lambda n: numeric[n]) if numeric else "-"
        wins += fastest == "hidups"
        ours = results["hidups"]
        per_kib = f"{ours * 1e3 / (len(raw) / 1024):.2f}" if isinstance(ours, float) else "-"
        if isinstance(ours, float):
            hidups_per_kib.append(ours * 1e3 / (len(raw) / 1024))
        best = results.get("hidups best")
        best_kib = "-"
        if isinstance(best, float):
            hidups_best_per_kib.append(best * 1e3 / (len(raw) / 1024))
            best_kib = f"{hidups_best_per_kib[-1]:.2f}"
        print(f"| {stem} | {len(raw)} | {' | '.join(cells)} | {per_kib} | {best_kib} "
              f"| {fastest} |")
    medians = [f"{statistics.median(v) * 1e6:.0f}" if v else "-" for v in per_parser.values()]
    print(f"| **median** | | {' | '.join(medians)} | "
          f"{statistics.median(hidups_per_kib):.2f} | "
          f"{statistics.median(hidups_best_per_kib):.2f} | "
          f"hidups fastest on {wins}/{len(corpus)} |")
    print(f"\nhidups worst case: {max(hidups_per_kib):.2f} ms/KiB; rounds per cell: "
          f"{args.rounds}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
