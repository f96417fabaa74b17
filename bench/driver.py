"""Benchmark of the driver engine on the project's replay captures.

For each capture: start-up time (descriptor, subdriver, INIT walk), the time of a QUICK
and a FULL update, GET_REPORT transfers per walk against the rows read (NUT's
time-based buffer issues one GET_REPORT per row whose report is older than the poll
interval; we issue one per report and walk), and the CPU share of a driver polling
every 2 s with a FULL walk every 30 s.

    python bench/driver.py [--repeat N] [CAPTURE.json ...]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hidups.driver.core import Driver  # noqa: E402
from hidups.driver.protocol import WalkMode  # noqa: E402
from hidups.hid.link import HidTransport as Transport  # noqa: E402
from hidups.hid.protocol import HidProtocol, default_selector  # noqa: E402
from hidups.nut.dstate import DState  # noqa: E402
from hidups.transport import open_transport  # noqa: E402


class Clock:
    """Driven by the benchmark, so QUICK and FULL walks come when asked for."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def counting(opener: Callable[[Mapping[str, str]], Transport], counts: list[int]
             ) -> Callable[[Mapping[str, str]], Transport]:
    def open_counted(options: Mapping[str, str]) -> Transport:
        transport = opener(options)
        original = transport.get_report

        def get_report(*args: object) -> bytes:
            counts[0] += 1
            return original(*args)  # type: ignore[arg-type]

        transport.get_report = get_report  # type: ignore[assignment,method-assign]
        return transport

    return open_counted


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def bench(capture: Path, repeat: int) -> dict[str, float]:
    counts = [0]
    clock = Clock()
    protocol = HidProtocol(counting(open_transport, counts), default_selector, clock=clock)
    engine = Driver({"port": f"replay:{capture}", "pollonly": ""}, DState(), protocol,
                    clock=clock)
    startup = timed(engine.start)
    init_transfers = counts[0]
    assert engine.session is not None
    session = engine.session
    init_rows = sum(1 for b in session.active if not b.row.flags & 0x40)
    quick, full, quick_tx, full_tx = [], [], [], []
    for _ in range(repeat):
        clock.now += 2
        counts[0] = 0
        quick.append(timed(engine.update))
        quick_tx.append(counts[0])
        clock.now += 31
        counts[0] = 0
        full.append(timed(engine.update))
        full_tx.append(counts[0])
    assert session.counters.walks[WalkMode.QUICK.value] == repeat
    q, f = statistics.median(quick), statistics.median(full)
    # 15 updates per 30 s: 14 QUICK + 1 FULL
    cpu = (14 * q + f) / 30.0
    return {
        "startup_ms": startup * 1e3, "init_rows": init_rows, "init_gets": init_transfers,
        "quick_ms": q * 1e3, "quick_gets": statistics.median(quick_tx),
        "full_ms": f * 1e3, "full_gets": statistics.median(full_tx),
        "cpu_percent": cpu * 100,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("captures", nargs="*", type=Path)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args(argv)
    captures = args.captures or sorted((ROOT / "captures").glob("*.json"))
    print(f"{'capture':<34} {'start ms':>9} {'rows':>5} {'GETs':>5} {'quick ms':>9} "
          f"{'GETs':>5} {'full ms':>8} {'GETs':>5} {'CPU %':>6}")
    for capture in captures:
        if capture.name.endswith("-events.json"):
            continue
        try:
            r = bench(capture, args.repeat)
        except Exception as exc:  # report and go on: one odd capture must not stop the run
            print(f"{capture.stem:<34} failed: {exc}")
            continue
        print(f"{capture.stem:<34} {r['startup_ms']:9.1f} {r['init_rows']:5.0f} "
              f"{r['init_gets']:5.0f} {r['quick_ms']:9.2f} {r['quick_gets']:5.0f} "
              f"{r['full_ms']:8.2f} {r['full_gets']:5.0f} {r['cpu_percent']:6.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
