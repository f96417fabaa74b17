"""Benchmark of hidups' Q* driver against NUT's nutdrv_qx on upsemu's example Q* devices.

Issue 12, evidence 5: on the same emulated device (one per USB bridge,
``tools/upsemu/devices/*-<bridge>.ups``), hidups must send no more Q* commands per walk
than nutdrv_qx. For each device:

* **hidups**: the driver core (with the Q* device protocol ``hidups.app.choose`` picks
  for these options) runs in a child process through pyusb on the emulator, on a
  controlled clock; each QUICK and FULL walk is marked in upsemu's transfer log
  (``UPSEMU_LOG``), and the ``op=qx`` lines (commands the device received) and USB
  transfers between the marks are counted;
* **nutdrv_qx** (NUT 2.8.5 from the unpacked prefix, and Debian's 2.8.0) runs as a
  daemon (``run_nut.sh -F``) for some seconds; its update loops are split on idle gaps,
  as ``emu_logstats.py --gap`` does, and each loop is labelled QUICK or FULL from the
  driver's own debug line ("Quick update..." / "Full update...").

Time per walk is the span from the first to the last logged transfer of the walk, the
same instrument for both drivers (emulated interrupt reads that time out wait
``UPSEMU_INTR_WAIT_MS``); for hidups the CPU time per walk is given too.

    python bench/qx.py [--seconds 13] [--json OUT] [DEVICE-STEM ...]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

#: nutdrv_qx's schedule in the daemon runs: short, so that a run holds FULL walks.
POLLINTERVAL, POLLFREQ = 2, 4
#: Idle gap (ms) that separates two update loops (they are POLLINTERVAL s apart).
LOOP_GAP_MS = 1000.0
#: Walks of each kind hidups does between marks.
REPEAT = 10
FIELD = re.compile(r"(\w+)=(\S+)")
TRANSFER_OPS = ("ctrl", "intr", "bulk")

# --- the in-process worker (runs under the emulator's environment) -------------------


def worker(options: dict[str, str], repeat: int) -> dict[str, Any]:
    """Drive hidups' driver core through pyusb on the emulator; mark each walk."""
    from hidups.app.choose import QX, device_protocol
    from hidups.driver.core import Driver
    from hidups.nut.dstate import DState
    from hidups.qx.device import QxDeviceProtocol

    if device_protocol(options) != QX:
        raise SystemExit(f"hidups would not drive {options} as a Q* UPS")
    log_path = os.environ["UPSEMU_LOG"]

    def mark(label: str) -> None:
        with open(log_path, "a") as log:
            log.write(f"t={time.time():.6f} pid={os.getpid()} op=mark what={label}\n")

    now = [1000.0]
    engine = Driver(options, DState(), QxDeviceProtocol(clock=lambda: now[0]),
                    clock=lambda: now[0])
    mark("init-begin")
    engine.start()
    mark("init-end")
    if engine.session is None:
        raise SystemExit("hidups did not open the device")
    pollfreq = engine.settings.pollfreq
    cpu: dict[str, list[float]] = {"quick": [], "full": []}
    wall: dict[str, list[float]] = {"quick": [], "full": []}
    for _ in range(repeat):
        # a QUICK walk 2 s after the last walk, a FULL one once pollfreq has passed
        for label, step in (("quick", POLLINTERVAL), ("full", pollfreq + 1)):
            now[0] += step
            mark(f"{label}-begin")
            cpu_start, wall_start = time.process_time(), time.perf_counter()
            engine.update()
            cpu[label].append(time.process_time() - cpu_start)
            wall[label].append(time.perf_counter() - wall_start)
            mark(f"{label}-end")
    protocol = str(engine.session.protocol.name)
    engine.close()
    return {"cpu_quick_ms": statistics.median(cpu["quick"]) * 1e3,
            "cpu_full_ms": statistics.median(cpu["full"]) * 1e3,
            "wall_quick_ms": statistics.median(wall["quick"]) * 1e3,
            "wall_full_ms": statistics.median(wall["full"]) * 1e3,
            "protocol": protocol}


# --- the emulator's transfer log --------------------------------------------------------


def log_records(path: Path) -> list[dict[str, str]]:
    return [dict(FIELD.findall(line)) for line in path.read_text(errors="replace")
            .splitlines()]


@dataclass
class Walk:
    """What one walk (or update loop) put on the wire."""

    commands: list[str] = field(default_factory=list)
    transfers: int = 0
    first: float | None = None
    last: float | None = None

    def add(self, rec: dict[str, str]) -> None:
        if rec.get("op") == "qx":
            self.commands.append(rec.get("cmd", "?"))
        elif rec.get("op") in TRANSFER_OPS:
            self.transfers += 1
            stamp = float(rec["t"])
            self.first = stamp if self.first is None else self.first
            self.last = stamp

    @property
    def span_ms(self) -> float:
        return 0.0 if self.first is None or self.last is None else \
            (self.last - self.first) * 1e3


def marked_walks(path: Path, label: str) -> list[Walk]:
    """The walks between each ``<label>-begin`` and ``<label>-end`` mark."""
    walks: list[Walk] = []
    inside = False
    for rec in log_records(path):
        if rec.get("op") == "mark":
            inside = rec.get("what") == f"{label}-begin"
            if inside:
                walks.append(Walk())
        elif inside:
            walks[-1].add(rec)
    return walks


def gap_loops(path: Path) -> list[Walk]:
    """Update loops split on idle gaps longer than LOOP_GAP_MS between transfers, as
    ``emu_logstats.py --gap`` splits them (``op=qx`` lines go with the loop they are in)."""
    loops: list[Walk] = []
    last: float | None = None
    for rec in log_records(path):
        if rec.get("op") not in (*TRANSFER_OPS, "qx"):
            continue
        stamp = float(rec["t"])
        if not loops or (last is not None and (stamp - last) * 1e3 > LOOP_GAP_MS):
            loops.append(Walk())
        loops[-1].add(rec)
        last = stamp
    return loops


DEBUG_UPDATE = re.compile(r"^\s*(\d+\.\d+)\s.*\b(Quick|Full) update\.\.\.")


def debug_loop_kinds(path: Path) -> list[list[str]]:
    """nutdrv_qx's "Quick/Full update..." debug lines, grouped on the same idle gaps
    (their timestamps count from the driver's start)."""
    groups: list[list[str]] = []
    last: float | None = None
    for line in path.read_text(errors="replace").splitlines():
        m = DEBUG_UPDATE.match(line)
        if not m:
            continue
        stamp = float(m.group(1))
        if not groups or (last is not None and (stamp - last) * 1e3 > LOOP_GAP_MS):
            groups.append([])
        groups[-1].append(m.group(2).lower())
        last = stamp
    return groups


# --- the two drivers ---------------------------------------------------------------------


def options_for(device: Path) -> dict[str, str]:
    """What either driver is given: the file's IDs, the options the device needs."""
    import qx_driver_util as qd  # type: ignore[import-not-found]

    return {**qd.device_ids(device), **qd.DEVICE_OPTIONS.get(device.stem, {})}


def run_hidups(device: Path, lib: Path, work: Path) -> dict[str, Any]:
    import qx_driver_util as qd

    log = work / "hidups.log"
    options = {"port": "auto", "pollinterval": str(POLLINTERVAL),
               "pollfreq": str(POLLFREQ), **options_for(device)}
    env = qd.hidups_env(device, lib, work, UPSEMU_LOG=str(log))
    code = (f"import json, sys; sys.path.insert(0, {str(ROOT / 'bench')!r}); import qx; "
            f"print(json.dumps(qx.worker({options!r}, {REPEAT})))")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, timeout=600, cwd=ROOT)
    if out.returncode != 0:
        raise RuntimeError(f"hidups worker: {out.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    init = marked_walks(log, "init")
    result["init"] = summarise(init)
    for label in ("quick", "full"):
        result[label] = summarise(marked_walks(log, label))
    return result


def run_nutdrv_qx(device: Path, lib: Path, work: Path, seconds: float,
                  nut_root: Path | None) -> dict[str, Any]:
    """nutdrv_qx as a daemon for ``seconds`` (NUT 2.8.5's prefix, or 2.8.0 when None)."""
    import qx_driver_util as qd
    from conftest import UPSEMU_DIR  # type: ignore[import-not-found]

    tag = "nut285" if nut_root else "nut280"
    log, debug = work / f"{tag}.log", work / f"{tag}.debug"
    args = ["bash", str(UPSEMU_DIR / "run_nut.sh"), "-p", str(POLLINTERVAL),
            "-x", f"pollfreq={POLLFREQ}", "-l", str(log), "-D", "1", "-L", str(debug),
            "-F", f"{seconds:g}"]
    for key, value in options_for(device).items():
        if key not in ("vendorid", "productid"):  # run_nut.sh writes the file's IDs
            args += ["-x", f"{key}={value}" if value else key]
    env = dict(os.environ, UPSEMU_LIB=str(lib), **qd.FAST_EMU)
    env.pop("NUT_VERSION", None)
    env.pop("NUT_ROOT", None)
    if nut_root is not None:
        env["NUT_ROOT"] = str(nut_root)
    res = subprocess.run([*args, str(device)], env=env, capture_output=True,
                         timeout=seconds + 120)
    text = res.stdout.decode("latin-1")
    if res.returncode != 0 or "# DATAOK" not in text:
        raise RuntimeError(f"{tag} on {device.name}: rc {res.returncode}\n{text[-1500:]}"
                           f"{res.stderr.decode('latin-1')[-1500:]}")
    loops = gap_loops(log)
    kinds = debug_loop_kinds(debug)
    if len(kinds) < len(loops):
        raise RuntimeError(f"{tag} on {device.name}: {len(loops)} loops in the transfer "
                           f"log but {len(kinds)} groups of update lines")
    # loop 0 is opening, detection, upsdrv_initinfo and the first update(s); after it,
    # each loop is one upsdrv_updateinfo. The last may be cut by the stop: drop it.
    quick = [w for w, k in zip(loops[1:-1], kinds[1:-1], strict=True) if k == ["quick"]]
    full = [w for w, k in zip(loops[1:-1], kinds[1:-1], strict=True) if k == ["full"]]
    if not quick or not full:
        raise RuntimeError(f"{tag} on {device.name}: {len(quick)} QUICK and {len(full)} "
                           f"FULL loops in {seconds:g} s (its start-up took "
                           f"{loops[0].span_ms / 1e3:.1f} s): give it more --seconds")
    return {"init": summarise(loops[:1]), "quick": summarise(quick),
            "full": summarise(full), "kinds": kinds}


def summarise(walks: list[Walk]) -> dict[str, Any]:
    """Medians over the walks, and the commands of the first as an example."""
    if not walks:
        return {"walks": 0}
    return {"walks": len(walks),
            "commands": statistics.median(len(w.commands) for w in walks),
            "transfers": statistics.median(w.transfers for w in walks),
            "span_ms": statistics.median(w.span_ms for w in walks),
            "max_commands": max(len(w.commands) for w in walks),
            "sent": walks[0].commands}


def measure(device: Path, seconds: float, nut285: Path | None) -> dict[str, Any]:
    from upsemu_util import build_upsemu  # type: ignore[import-not-found]

    lib = build_upsemu()
    with tempfile.TemporaryDirectory(prefix="hidups-qxbench-") as tmp:
        work = Path(tmp)
        result: dict[str, Any] = {"hidups": run_hidups(device, lib, work)}
        if nut285 is not None:
            result["nut285"] = run_nutdrv_qx(device, lib, work, seconds, nut285)
        result["nut280"] = run_nutdrv_qx(device, lib, work, seconds, None)
        return result


# --- the table -------------------------------------------------------------------------


def cell(side: dict[str, Any], key: str, fmt: str = "{:g}") -> str:
    return fmt.format(side[key]) if side.get("walks") else "-"


def row(name: str, r: dict[str, Any]) -> str:
    cols = [name]
    for label in ("quick", "full"):
        for key in ("commands", "transfers"):
            cols.append(" / ".join(cell(r[who][label], key) for who in DRIVERS if who in r))
        cols.append(" / ".join(cell(r[who][label], "span_ms", "{:.2f}")
                               for who in DRIVERS if who in r))
    cols.append(f"{r['hidups']['cpu_quick_ms']:.2f} / {r['hidups']['cpu_full_ms']:.2f}")
    return "| " + " | ".join(cols) + " |"


DRIVERS = ("hidups", "nut285", "nut280")


def excess(results: dict[str, dict[str, Any]]) -> list[str]:
    """Where hidups sends more commands per walk than a nutdrv_qx."""
    out = []
    for name, r in results.items():
        for who in DRIVERS[1:]:
            for label in ("quick", "full"):
                ours, theirs = r["hidups"][label], r.get(who, {}).get(label, {})
                if ours.get("walks") and theirs.get("walks") and \
                        ours["commands"] > theirs["commands"]:
                    out.append(f"{name} {label}: hidups {ours['sent']} vs {who} "
                               f"{theirs['sent']}")
    return out


def main(argv: list[str] | None = None) -> int:
    import qx_driver_util as qd
    from conftest import nut285_root

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("devices", nargs="*",
                        help="device file stems (default: every example Q* device)")
    parser.add_argument("--seconds", type=float, default=13.0,
                        help="how long each nutdrv_qx daemon runs")
    parser.add_argument("--json", type=Path, help="also write the raw figures here")
    args = parser.parse_args(argv)
    devices = [d for d in qd.example_devices() if not args.devices or d.stem in args.devices]
    if not devices:
        parser.error(f"no example Q* device named {args.devices}")
    nut285 = nut285_root()
    results: dict[str, dict[str, Any]] = {}
    print("| device | quick cmds | quick USB | quick ms | full cmds | full USB | full ms "
          "| hidups CPU q/f ms |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |", flush=True)
    for device in devices:
        try:
            results[device.stem] = measure(device, args.seconds, nut285)
        except Exception as exc:  # one odd device must not stop the others
            print(f"{device.stem}: failed: {exc}", file=sys.stderr, flush=True)
            continue
        print(row(device.stem, results[device.stem]), flush=True)
    print("cells: hidups / nutdrv_qx 2.8.5 / nutdrv_qx 2.8.0" if nut285 else
          "cells: hidups / nutdrv_qx 2.8.0 (NUT 2.8.5 not unpacked)")
    for line in excess(results):
        print(f"MORE COMMANDS: {line}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    return 0 if len(results) == len(devices) else 1


if __name__ == "__main__":
    sys.exit(main())
