#!/usr/bin/env python3
"""Killpower differential: the bytes NUT 2.8.5 and hidups write to power a UPS off.

For one upsemu device file, each driver runs once per command, fresh each time (a
SET_REPORT changes the emulated device's memory, and a later command must not see the
timers an earlier one wrote): as a daemon with ``allow_killpower``, sent
``shutdown.return``, ``shutdown.stayoff``, ``load.off``, ``load.on`` (those either
driver offers) and ``driver.killpower`` through its socket; and standalone with ``-k``.
What is compared is the SET_REPORT transfers in upsemu's transfer log (report type,
id and bytes, in order) plus the command's answer.

usage: scripts/killpower_diff.py [--only SUBSTRING] [--out DIR]
"""

from __future__ import annotations

import argparse
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from driver_runs import Transfer, log_size, running, set_reports, start

from hidups.nut.client import STATUS_NAMES, DriverClient

COMMANDS = ("shutdown.return", "shutdown.stayoff", "load.off", "load.on")
KILLPOWER = "driver.killpower"
STANDALONE = "-k"
KINDS = ("nut", "hidups")
#: seconds to let a command's writes land (NUT's composed commands pause 0.125 s)
SETTLE = 0.6
#: driver runs at once (each mostly waits on start-up and settling)
JOBS = 6


@dataclass
class Outcome:
    """What one driver did for one command."""

    answer: str
    writes: list[Transfer]

    def key(self) -> tuple[str, tuple[tuple[str, str], ...]]:
        """What must be equal: the answer and each write's report and bytes."""
        return self.answer, tuple((t.what, t.data) for t in self.writes)

    def show(self) -> str:
        return f"{self.answer}: " + ("; ".join(map(str, self.writes)) or "no SET_REPORT")


class NotDriven(RuntimeError):
    """NUT 2.8.5 does not drive this device on upsemu (nothing to compare with)."""


def socket_command(kind: str, device: Path, work: Path, lib: Path, name: str) -> Outcome:
    """One fresh daemon, one instant command through its socket."""
    with running(kind, device, work, lib, extra=("allow_killpower",)) as daemon:
        before = log_size(daemon.translog)
        try:
            with DriverClient(str(daemon.sock), timeout=10) as client:
                code = client.instcmd(name, timeout=10)
            answer = STATUS_NAMES.get(code, str(code))
        except (OSError, TimeoutError) as exc:  # NUT exits as it answers killpower
            answer = f"no answer ({type(exc).__name__})"
        time.sleep(SETTLE)
        if name == KILLPOWER:
            daemon.proc.wait(10) if not daemon.alive() else time.sleep(0.5)
        return Outcome(answer, set_reports(daemon.translog, before))


def standalone_k(kind: str, device: Path, work: Path, lib: Path) -> Outcome:
    """``-k``: the driver opens the device itself and powers it off."""
    proc = start(kind, device, work, lib, args=("-k",))
    try:
        code = proc.proc.wait(60)
    finally:
        proc.stop()
    return Outcome(f"exit {code}", set_reports(proc.translog))


def compare_device(device: Path, work: Path, lib: Path
                   ) -> dict[str, dict[str, Outcome]]:
    """{command: {kind: outcome}} for the four commands (offered or not: a driver that
    does not offer one must refuse it without writing), ``driver.killpower`` and ``-k``."""
    wanted = [*COMMANDS, KILLPOWER]
    result: dict[str, dict[str, Outcome]] = {}
    try:
        with running("nut", device, work / "probe-nut", lib):
            pass
    except RuntimeError as exc:
        said = [ln for ln in str(exc).splitlines()[1:]
                if not ln.startswith(("upsnotify", "Network UPS Tools", "USB communication"))]
        raise NotDriven("; ".join(said) or "no socket") from exc
    # Each run is its own process with its own work folder and transfer log, and mostly
    # waits (start-up, settling): run them side by side.
    with ThreadPoolExecutor(max_workers=JOBS) as pool:
        runs = {(name, kind): pool.submit(socket_command, kind, device,
                                          work / f"{name}-{kind}", lib, name)
                for name in wanted for kind in KINDS}
        runs.update({(STANDALONE, kind): pool.submit(standalone_k, kind, device,
                                                     work / f"k-{kind}", lib)
                     for kind in KINDS})
        for (name, kind), future in runs.items():
            result.setdefault(name, {})[kind] = future.result()
    return result


def main(argv: list[str] | None = None) -> int:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from shared_captures import shared_capture_files  # type: ignore[import-not-found]
    from upsemu_util import build_upsemu, device_file  # type: ignore[import-not-found]

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default="")
    parser.add_argument("--out", type=Path, default=Path("/tmp/killpower-diff"))
    opts = parser.parse_args(argv)
    lib = build_upsemu()
    for capture in shared_capture_files(with_descriptor=True):
        if opts.only not in capture.name:
            continue
        try:
            result = compare_device(device_file(capture), opts.out / capture.stem, lib)
        except NotDriven as exc:
            print(f"{capture.stem}: NUT 2.8.5 does not drive it: {exc}")
            continue
        for name, by_kind in result.items():
            same = by_kind["nut"].key() == by_kind["hidups"].key()
            print(f"{capture.stem} {name}: {'equal' if same else 'DIFFERENT'}")
            for kind in KINDS:
                print(f"    {kind:6} {by_kind[kind].show()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
