#!/usr/bin/env python3
"""The fault scripts of ``tests/test_faults_upsemu.py``, run against NUT 2.8.5's
``usbhid-ups`` and against hidups, on the same device file: a table for docs/faults.md.

Each driver runs alone (one after the other, never both at once on a 2-core machine),
as a daemon (``-F``, ``pollinterval=1``, ``pollfreq=5``) on a private copy of the
BK650 capture's upsemu device (fill ``real``). Its socket is sampled with DUMPALL about
ten times a second; the fault is switched on and off by rewriting the device file (upsemu
reloads it). Measured per fault: seconds from injection to the first DATASTALE sample,
seconds from clearing to the first DATAOK sample again, what was served as fresh while
the device could not be read (and whether it was the pre-fault value), and the lines the
driver logged during the fault. Bounded: every run ends within a fixed time.

usage: scripts/fault_compare.py [--only NAME] [--markdown FILE] [--json FILE]
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from driver_runs import Daemon, copy_device, running

ROOT = Path(__file__).resolve().parents[1]
CAPTURE = "apc-bk650m2-ch-nutddl.json"
POLL = 1.0
TIMEOUT_MS = 400  # upsemu's injected timeouts wait this long (a real bus: NUT's 5 s)
WATCHED = ("ups.status", "battery.charge", "battery.runtime")
KINDS = ("nut", "hidups")
NUT_NAME = "NUT 2.8.5 usbhid-ups 0.71, Debian sid build"


@dataclass
class Sample:
    t: float
    stale: bool
    values: dict[str, str]


@dataclass
class Fault:
    """A fault script: the file text to put at t=0, how long to hold it, and what to put
    back (None: nothing; the fault clears itself, as a re-enumeration does)."""

    name: str
    what: str
    inject: Callable[[str], str]
    hold: float
    restore: bool = True
    after: float = POLL + 2 * TIMEOUT_MS / 1000 + 5


def with_fault(text: str, *lines: str) -> str:
    return text + "\n" + "\n".join(lines) + "\n"


FAULTS = (
    Fault("wedged EP0", "`fault_mute_after: 0`, `fault_wait_ms: 400`",
          lambda t: with_fault(t, "fault_mute_after: 0", f"fault_wait_ms: {TIMEOUT_MS}"), 6),
    Fault("all reports stall", "`fault_stall: all`",
          lambda t: with_fault(t, "fault_stall: all"), 6),
    Fault("bus errors", "`fault_io: from 1` (every transfer EIO)",
          lambda t: with_fault(t, "fault_io: from 1"), 6),
    Fault("timeouts on some reports", "`fault_timeout: every 3`, `fault_wait_ms: 400`",
          lambda t: with_fault(t, "fault_timeout: every 3", f"fault_wait_ms: {TIMEOUT_MS}"),
          6),
    Fault("unplug + re-enumeration at mains loss",
          "`feature 0x13: 00` (on battery), `fault_gone_after: 2`, `fault_gone_ms: 1500`",
          lambda t: with_fault(t.replace("feature 0x13: 01", "feature 0x13: 00"),
                               "fault_gone_after: 2", "fault_gone_ms: 1500"),
          1.5 + POLL + 6, restore=False),
    Fault("another unit plugged in", "serial `OTHER999`, `fault_gone_after: 1`, "
          "`fault_gone_ms: 500`; ours put back after 5 s",
          lambda t: with_fault(t.replace("serial: EMU0001", "serial: OTHER999"),
                               "fault_gone_after: 1", "fault_gone_ms: 500"), 5),
)


@dataclass
class Result:
    fault: str
    kind: str
    to_stale: float | None
    to_fresh: float | None
    fresh_while_broken: int
    stale_while_broken: int
    served: dict[str, list[str]] = field(default_factory=dict)
    old_values: bool = True
    log_lines: list[str] = field(default_factory=list)
    after: dict[str, str] = field(default_factory=dict)


def sample(daemon: Daemon, samples: list[Sample], seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if not daemon.alive():
            return
        try:
            words = daemon.dump(timeout=3)
        except (OSError, TimeoutError):
            time.sleep(0.1)
            continue
        values = {w[1]: w[2] for w in words if w[0] == "SETINFO" and len(w) > 2}
        samples.append(Sample(time.monotonic() - daemon.t0,
                              any(w[0] == "DATASTALE" for w in words), values))
        time.sleep(0.1)


def put(dev: Path, text: str, daemon: Daemon) -> float:
    tmp = dev.with_suffix(".new")
    tmp.write_text(text)
    os.replace(tmp, dev)
    return time.monotonic() - daemon.t0


def run_fault(fault: Fault, kind: str, device: Path, lib: Path, work: Path) -> Result:
    dev = copy_device(device, work)
    text = dev.read_text()
    with running(kind, dev, work, lib, poll=POLL, extra=("pollfreq=5",)) as daemon:
        samples: list[Sample] = []
        sample(daemon, samples, 2.5)
        before = samples[-1].values if samples else {}
        log_start = len(daemon.log_text())
        t_fault = put(dev, fault.inject(text), daemon)
        sample(daemon, samples, fault.hold)
        t_clear = put(dev, text, daemon) if fault.restore else None
        sample(daemon, samples, fault.after)
        log_lines = daemon.log_text()[log_start:].splitlines()
        alive = daemon.alive()
    stale_at = next((s.t for s in samples if s.t >= t_fault and s.stale), None)
    # "broken": from the fault until it is cleared (or, for a self-clearing fault,
    # until the first fresh sample after going stale)
    recover_from = t_clear if t_clear is not None else stale_at
    fresh_at = None
    if recover_from is not None:
        start = max(recover_from, stale_at or recover_from)
        fresh_at = next((s.t for s in samples if s.t >= start and not s.stale), None)
    end = t_clear if t_clear is not None else (fresh_at or samples[-1].t)
    broken = [s for s in samples if t_fault <= s.t < end]
    fresh = [s for s in broken if not s.stale]
    served = {n: sorted({s.values.get(n, "-") for s in fresh}) for n in WATCHED}
    old = all(s.values.get(n) == before.get(n) for s in fresh for n in WATCHED)
    if not alive:
        log_lines.append("(driver exited)")
    return Result(
        fault.name, kind,
        None if stale_at is None else round(stale_at - t_fault, 2),
        None if fresh_at is None or recover_from is None else round(fresh_at - recover_from, 2),
        len(fresh), len(broken) - len(fresh), served, old, dedupe(log_lines),
        {n: samples[-1].values.get(n, "-") for n in (*WATCHED, "driver.reconnect_count",
                                                       "ups.serial")} if samples else {})


#: NUT's lines about the sampler's own short connections, not about the fault
SAMPLER_NOISE = ("sock_connect: enabling asynchronous mode", "send_to_all: write ")


def dedupe(lines: list[str], limit: int = 6) -> list[str]:
    """Distinct log lines (timestamps dropped, the sampler's noise left out), in order,
    with repeat counts."""
    counts: dict[str, int] = {}
    for line in lines:
        text = line.strip()
        if any(noise in text for noise in SAMPLER_NOISE):
            continue
        if len(text) > 24 and text[:4].isdigit() and text[4] == "-":  # hidups asctime
            text = text[24:].strip()
        if text:
            counts[text] = counts.get(text, 0) + 1
    out = [f"{t} (x{c})" if c > 1 else t for t, c in counts.items()]
    return out[:limit] + ([f"... {len(out) - limit} more"] if len(out) > limit else [])


def secs(value: float | None) -> str:
    return "never" if value is None else f"{value:.1f} s"


def markdown(results: list[Result], when: str, nut_version: str) -> str:
    by = {(r.fault, r.kind): r for r in results}
    out = [
        "# Faults: hidups beside NUT 2.8.5",
        "",
        "Generated by `scripts/fault_compare.py` on " + when + f" ({nut_version}; hidups from "
        "this tree). The fault scripts are those of `tests/test_faults_upsemu.py`, on the "
        f"upsemu device made from `{CAPTURE}` (fill `real`). Each driver runs alone as a "
        f"daemon (`-F`, `pollinterval={POLL:g}`, `pollfreq=5`, `maxretry = 1` for NUT); its "
        "socket is sampled with `DUMPALL` about every 0.1 s (DATAOK/DATASTALE and the "
        "values). The fault is put in (and taken out) by rewriting the device file. Injected "
        f"timeouts wait {TIMEOUT_MS} ms (`fault_wait_ms`); a real bus waits NUT's 5 s, so "
        "times involving timeouts are shorter here than on hardware. One run per cell on a "
        "shared 2-core machine: treat differences under a second as noise.",
        "",
        "Columns: *to stale*: injection to the first DATASTALE sample; *to recover*: clearing "
        "(for the unplug, the first stale sample) to the first DATAOK sample; *fresh while "
        "broken*: DATAOK samples taken while the device could not be read, and whether they "
        "carried the pre-fault values (old values served as fresh) for "
        + ", ".join(f"`{n}`" for n in WATCHED) + "; *log*: what the driver logged meanwhile "
        "(NUT at debug level 0; its lines about the sampler's own connections, "
        "`sock_connect: enabling asynchronous mode` and `send_to_all: write ... failed`, "
        "left out). `UPSEMU_INTR_WAIT_MS=0` as in the tests: an empty interrupt read "
        "returns at once.",
        "",
    ]
    for fault in FAULTS:
        out += [f"## {fault.name}", "", f"Fault: {fault.what}; held {fault.hold:g} s"
                + ("" if fault.restore else " (clears itself)") + ".", "",
                "| | NUT 2.8.5 | hidups |", "| --- | --- | --- |"]
        cells = [by.get((fault.name, k)) for k in KINDS]
        if not all(cells):
            out += ["| (not run) | | |", ""]
            continue
        nut, hid = cells
        assert nut is not None and hid is not None

        def row(label: str, f: Callable[[Result], str]) -> None:
            out.append(f"| {label} | {f(nut)} | {f(hid)} |")  # noqa: B023

        row("to stale", lambda r: secs(r.to_stale))
        row("to recover", lambda r: "n/a (never stale)" if r.to_stale is None
            else secs(r.to_fresh))
        row("samples while broken (fresh / stale)",
            lambda r: f"{r.fresh_while_broken} / {r.stale_while_broken}")
        row("fresh values while broken", lambda r: (
            "none served as fresh" if not r.fresh_while_broken else
            ("pre-fault values: " if r.old_values else "changed: ")
            + ", ".join(f"{n}={'/'.join(v)}" for n, v in r.served.items())))
        row("at the end", lambda r: ", ".join(f"{k}={v}" for k, v in r.after.items()))
        row("log", lambda r: "<br>".join(f"`{ln.replace('|', '/')}`" for ln in r.log_lines)
            or "(nothing)")
        out.append("")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    sys.path.insert(0, str(ROOT / "tests"))
    from conftest import SHARED_CAPTURES  # type: ignore[import-not-found]
    from upsemu_util import build_upsemu, device_file  # type: ignore[import-not-found]

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default="", help="run faults whose name contains this")
    parser.add_argument("--markdown", type=Path, help="write the table here")
    parser.add_argument("--json", type=Path, help="write the raw results here")
    parser.add_argument("--render", type=Path, metavar="JSON",
                        help="no runs: render the table from a --json file (and --when)")
    parser.add_argument("--when", default="", help="with --render: when it was measured")
    opts = parser.parse_args(argv)
    if opts.render:
        rendered = [Result(**r) for r in json.loads(opts.render.read_text())]
        for r in rendered:
            r.log_lines = dedupe(r.log_lines)
        text = markdown(rendered, opts.when, NUT_NAME)
        if opts.markdown:
            opts.markdown.write_text(text + "\n")
        else:
            print(text)
        return 0
    lib = build_upsemu()
    device = device_file(SHARED_CAPTURES / CAPTURE)
    when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    results = []
    with tempfile.TemporaryDirectory(prefix="fault-compare-") as tmp:
        for fault in FAULTS:
            if opts.only not in fault.name:
                continue
            for kind in KINDS:
                work = Path(tmp) / f"{fault.name.replace(' ', '_')}-{kind}"
                result = run_fault(fault, kind, device, lib, work)
                print(json.dumps(asdict(result)), flush=True)
                results.append(result)
    text = markdown(results, when, NUT_NAME)
    if opts.markdown:
        opts.markdown.write_text(text + "\n")
    else:
        print(text)
    if opts.json:
        opts.json.write_text(json.dumps([asdict(r) for r in results], indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
