"""A time-accelerated soak of the driver core: days of polling with random USB faults.

Two drivers read the same capture's device through a fake clock: the *subject* through
a transport that injects faults (stalls of one report or all, bus errors, timeouts, a
wedged control endpoint, unplug and replug), the *twin* through a clean one. Between
updates the device itself changes (mains lost and back). After every update: the
subject is alive; when it says its data is fresh, its ``ups.status`` is the twin's
(nothing stale or wrong passed off as fresh); its memory and its log stay bounded.

``python tests/soak.py --days 7`` runs the long soak; ``tests/test_soak.py`` a short one.
"""

from __future__ import annotations

import argparse
import gc
import logging
import random
import sys
import time
import tracemalloc
from collections import Counter, deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from driver_fakes import CaptureDevice, HidDriver, Plug, hid_driver
from hidups.subdrivers.apc import SUBDRIVER as APC
from shared_captures import shared_capture

from hidups import codec
from hidups.descriptor.model import ReportDescriptor, ReportType
from hidups.errors import ProtocolError, TransportError, TransportTimeout
from hidups.nut.dstate import DState
from hidups.usages import STANDARD

CAPTURE = "apc-bk650m2-ch-nutddl.json"
POLL = 2.0
#: The device's power state, by usage name: mains on, and mains off.
ON_MAINS = {"ACPresent": 1, "Discharging": 0}
ON_BATTERY = {"ACPresent": 0, "Discharging": 1}
FAULTS = ("stall_one", "stall_all", "io_all", "timeout_all", "wedge", "unplug")


class FaultyDevice(CaptureDevice):
    """The capture's device with a fault switch in front of every control transfer."""

    def __init__(self, capture: dict[str, Any]) -> None:
        super().__init__(capture)
        self.fault = ""
        self.stalled_id = 0

    def get_report(self, report_type: ReportType, report_id: int, length: int) -> bytes:
        self._inject(report_id)
        return super().get_report(report_type, report_id, length)

    def set_report(self, report_type: ReportType, report_id: int, data: bytes) -> None:
        self._inject(report_id)
        super().set_report(report_type, report_id, data)

    def _inject(self, report_id: int) -> None:
        if self.fault == "stall_all" or (self.fault == "stall_one"
                                         and report_id == self.stalled_id):
            raise ProtocolError(f"stall on report {report_id:#x}")
        if self.fault == "io_all":
            raise TransportError("LIBUSB_ERROR_IO")
        if self.fault in ("timeout_all", "wedge"):
            raise TransportTimeout("LIBUSB_ERROR_TIMEOUT")


def set_power(device: CaptureDevice, values: dict[str, int]) -> None:
    """Write ``values`` into every Feature field of those usages in the device's reports."""
    desc = ReportDescriptor.from_bytes(device.descriptor)
    for fld in desc.fields:
        name = STANDARD.name(fld.path[-1]) or ""
        if fld.report_type is not ReportType.FEATURE or name not in values:
            continue
        if fld.report_id not in device.reports:
            continue
        buf = bytearray(device.reports[fld.report_id])
        buf.extend(bytes(max(0, desc.buffer_length(ReportType.FEATURE, fld.report_id)
                             - len(buf))))  # short answers, padded as the device would
        codec.write_logical(fld, buf, values[name])
        device.reports[fld.report_id] = bytes(buf)


class CountingHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines = 0
        self.bytes = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.lines += 1
        self.bytes += len(record.getMessage())


@dataclass
class SoakResult:
    updates: int = 0
    crashes: int = 0
    fresh_wrong: int = 0
    stale_updates: int = 0
    episodes: Counter[str] = field(default_factory=Counter)
    log_lines: int = 0
    log_bytes: int = 0
    memory_start: int = 0
    memory_end: int = 0
    memory_peak: int = 0
    seconds: float = 0.0


def driver_memory() -> int:
    """Bytes held by allocations made in the hidups package (not by the test fakes),
    after a collection (a closed session is a reference cycle until then)."""
    gc.collect()
    snapshot = tracemalloc.take_snapshot().filter_traces(
        [tracemalloc.Filter(True, f"*{Path('hidups').joinpath('*')}")])
    return sum(stat.size for stat in snapshot.statistics("filename"))


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def soak(days: float, seed: int) -> SoakResult:
    """Run ``days`` of polling at :data:`POLL` seconds with random fault episodes."""
    rng = random.Random(seed)
    capture = shared_capture(CAPTURE)
    clock = Clock()
    dev = FaultyDevice(capture)
    plug = Plug(dev)
    plug.opens = deque(maxlen=8)  # type: ignore[assignment]  # the fakes keep no history
    dev.get_log = deque(maxlen=8)  # type: ignore[assignment]
    twin_dev = CaptureDevice(capture)
    twin_dev.get_log = deque(maxlen=8)  # type: ignore[assignment]
    store, twin_store = DState(), DState()
    options = {"pollonly": ""}
    subject: HidDriver = hid_driver(options, store, plug, lambda d, o, r: APC, clock=clock,
                                    sleep=lambda s: None)
    twin: HidDriver = hid_driver(options, twin_store, Plug(twin_dev), lambda d, o, r: APC,
                                 clock=clock, sleep=lambda s: None)
    handler = CountingHandler()
    root = logging.getLogger("hidups")
    root.addHandler(handler)
    old_level, old_propagate = root.level, root.propagate
    root.setLevel(logging.INFO)
    root.propagate = False
    result = SoakResult()
    started = time.perf_counter()
    try:
        subject.start()
        twin.start()
        tracemalloc.start()
        updates = int(days * 86400 / POLL)
        remaining = 0
        wrong_since = -1
        for n in range(updates):
            if remaining == 0:
                dev.fault = ""
                if not plug.plugged:
                    plug.plug()
                if rng.random() < 0.02:  # a new episode now and then
                    kind = rng.choice(FAULTS)
                    remaining = rng.randint(1, 40)
                    result.episodes[kind] += 1
                    if kind == "unplug":
                        plug.unplug()
                    else:
                        dev.fault = kind
                        dev.stalled_id = rng.choice(sorted(dev.reports))
            else:
                remaining -= 1
            if rng.random() < 0.01:  # the mains come and go on the device itself
                power = rng.choice((ON_MAINS, ON_BATTERY))
                for device in (dev, twin_dev):
                    set_power(device, power)
            clock.now += POLL
            try:
                subject.update()
                twin.update()
            except Exception:
                result.crashes += 1
                logging.getLogger("soak").exception("update %d crashed", n)
                continue
            result.updates += 1
            if store.is_stale:
                result.stale_updates += 1
                wrong_since = -1
            elif store.get("ups.status") != twin_store.get("ups.status"):
                # NUT's own rule: a value may lag the device by one poll interval
                if wrong_since >= 0 and n - wrong_since >= 1:
                    result.fresh_wrong += 1
                elif wrong_since < 0:
                    wrong_since = n
            else:
                wrong_since = -1
            if n == 1000:
                result.memory_start = driver_memory()
        result.memory_end = driver_memory()
        result.memory_peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    finally:
        subject.close()
        twin.close()
        root.removeHandler(handler)
        root.setLevel(old_level)
        root.propagate = old_propagate
    result.log_lines, result.log_bytes = handler.lines, handler.bytes
    result.seconds = time.perf_counter() - started
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=float, default=7.0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.CRITICAL)
    r = soak(args.days, args.seed)
    print(f"days {args.days:g} (seed {args.seed}): {r.updates} updates in {r.seconds:.0f} s, "
          f"{r.crashes} crashes, {r.fresh_wrong} fresh-but-wrong, {r.stale_updates} stale")
    print(f"fault episodes: {dict(sorted(r.episodes.items()))} ({sum(r.episodes.values())})")
    print(f"log: {r.log_lines} lines, {r.log_bytes} bytes; hidups' own memory after 1,000 "
          f"updates {r.memory_start / 1024:.0f} KiB, at the end {r.memory_end / 1024:.0f} KiB"
          f" (process peak {r.memory_peak / 1024:.0f} KiB)")
    return 0 if r.crashes == 0 and r.fresh_wrong == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
