"""Benchmark of hidups against NUT's usbhid-ups on the upsemu emulated device.

For each capture (turned into an upsemu device file by ``capture2ups.py``):

* GET_REPORT transfers per QUICK and per FULL walk, counted in upsemu's transfer log
  (``UPSEMU_LOG``), for hidups and for usbhid-ups, next to the number of distinct
  reports the walk's rows live in;
* CPU time per walk and resident memory after 1,000 walks (hidups' engine driven
  in-process through pyusb and the emulator, so USB waits do not count);
* time from starting the driver process to the first DATAOK on its socket;
* delay from an interrupt report (injected by rewriting the device file) to the
  ``SETINFO ups.status`` line reaching a socket client.

upsemu, capture2ups.py and emu_logstats.py are run by path as measuring instruments.

    python bench/emulated.py [--walks 1000] [--samples 6] [CAPTURE-STEM ...]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

#: Shared captures measured by default: APC (two generations), an Eaton, a CyberPower.
DEFAULT_CAPTURES = ("apc-back-ups-cs500-nutddl", "apc-bk650m2-ch-nutddl",
                    "eaton-3s-700-nut2887", "cyberpower-cp1500pfclcd-nut2642")
USBHID_UPS = "/lib/nut/usbhid-ups"
#: Battery System page usages of the status bits an injected mains loss flips.
AC_PRESENT, CHARGING, DISCHARGING = 0x008500D0, 0x00850044, 0x00850045
ON_BATTERY = {AC_PRESENT: 0, CHARGING: 0, DISCHARGING: 1}
#: upsemu looks at the device file every 20 ms while an interrupt read waits.
EMU_FILE_POLL_MS = 20
#: usbhid-ups' and hidups' update schedule in the daemon runs (short, to see FULL walks).
POLLINTERVAL, POLLFREQ = 2, 6

# --- the in-process worker (runs under the emulator's environment) -------------------


def rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def worker(vendorid: str, walks: int, repeat: int) -> dict[str, Any]:
    """Drive the engine through pyusb on the emulator; mark each walk in UPSEMU_LOG."""
    from hidups.driver.core import Driver
    from hidups.driver.protocol import WalkMode
    from hidups.hid.protocol import HidProtocol
    from hidups.hid.walk import rows_for
    from hidups.nut.dstate import DState
    from hidups.transport import open_transport

    log_path = os.environ.get("UPSEMU_LOG")

    def mark(label: str) -> None:
        if log_path:
            with open(log_path, "a") as log:
                log.write(f"t={time.time():.6f} pid={os.getpid()} op=mark what={label}\n")

    now = [0.0]
    protocol = HidProtocol(open_transport, clock=lambda: now[0])
    engine = Driver({"port": "auto", "vendorid": vendorid}, DState(), protocol,
                    clock=lambda: now[0])
    engine.start()
    assert engine.session is not None
    session = engine.session
    mark("init")

    def needed(mode: WalkMode) -> int:
        rows = rows_for(mode, session.active, use_interrupts=engine.settings.use_interrupts,
                        data_changed=False)
        return len({(b.field.report_type, b.field.report_id) for b in rows})

    cpu: dict[str, list[float]] = {"quick": [], "full": []}
    for _ in range(repeat):
        for label, step in (("quick", 2.0), ("full", 31.0)):
            now[0] += step
            mark(f"{label}-begin")
            start = time.process_time()
            engine.update()
            cpu[label].append(time.process_time() - start)
            mark(f"{label}-end")
    rss_before = rss_kib()
    start = time.process_time()
    for _ in range(walks):  # the default schedule: every 2 s, a FULL walk every 30 s
        now[0] += 2.0
        engine.update()
    spent = time.process_time() - start
    return {"needed_quick": needed(WalkMode.QUICK), "needed_full": needed(WalkMode.FULL),
            "cpu_quick_ms": statistics.median(cpu["quick"]) * 1e3,
            "cpu_full_ms": statistics.median(cpu["full"]) * 1e3,
            "cpu_mean_ms": spent / walks * 1e3, "walks": walks,
            "rss_before_kib": rss_before, "rss_after_kib": rss_kib(),
            "quick_walks": session.counters.walks[WalkMode.QUICK.value],
            "full_walks": session.counters.walks[WalkMode.FULL.value]}


# --- the emulator's transfer log --------------------------------------------------------

FIELD = re.compile(r"(\w+)=(\S+)")


def log_records(path: Path) -> list[dict[str, str]]:
    return [dict(FIELD.findall(line)) for line in path.read_text().splitlines()]


def transfers_between_marks(path: Path, label: str, what: str = "") -> list[int]:
    """Control transfers (whose ``what`` contains ``what``) between each
    ``<label>-begin`` and ``<label>-end`` mark the worker wrote."""
    counts: list[int] = []
    inside = False
    for rec in log_records(path):
        if rec.get("op") == "mark":
            inside = rec.get("what") == f"{label}-begin"
            if inside:
                counts.append(0)
        elif inside and rec.get("op") == "ctrl" and what in rec.get("what", ""):
            counts[-1] += 1
    return counts


POLL = re.compile(r"^poll (\d+): t=\S+ transfers=\d+ (\{.*\})$")


def nut_loops(path: Path, before: float) -> list[tuple[int, int]]:
    """(control transfers, GET_REPORTs) per usbhid-ups update loop up to time ``before``,
    from emu_logstats.py (which splits at each interrupt read: every loop opens with
    one); the first entry is the start-up."""
    tool = Path(os.environ.get("HIDUPS_SHARED", ROOT.parent / "shared")) / "tools" / \
        "upsemu" / "emu_logstats.py"
    cut = path.with_suffix(".cut")
    cut.write_text("".join(line + "\n" for line in path.read_text().splitlines()
                           if float(dict(FIELD.findall(line)).get("t", "0")) < before))
    out = subprocess.run([sys.executable, str(tool), str(cut)], capture_output=True,
                         text=True, check=True).stdout
    loops = []
    for line in out.splitlines():
        m = POLL.match(line)
        if m:
            kinds: dict[str, int] = json.loads(m.group(2).replace("'", '"'))
            control = sum(n for k, n in kinds.items() if not k.startswith("INTR"))
            loops.append((control, kinds.get("GET_REPORT", 0)))
    return loops


def first_interrupt_wait_ms(path: Path, pid: int) -> float:
    """How long the first interrupt read of ``pid`` waited (it precedes the first DATAOK)."""
    for rec in log_records(path):
        if rec.get("op") == "intr" and rec.get("pid") == str(pid):
            return float(rec.get("waited_ms", "0"))
    return 0.0


def process_rss_kib(pid: int) -> int:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def interrupt_deliveries(path: Path, pid: int) -> list[float]:
    """Times at which upsemu handed an interrupt report to process ``pid``."""
    return [float(r["t"]) for r in log_records(path)
            if r.get("op") == "intr" and r.get("rc") == "0" and r.get("pid") == str(pid)]


# --- device files and injected interrupts ----------------------------------------------

REPORT_LINE = re.compile(r"^(feature|input|output) (0x[0-9a-fA-F]+|\d+):\s*([^#]*)")


@dataclass
class Device:
    """An upsemu device file and what the benchmark needs to know about it."""

    text: str
    vendorid: str
    reports: dict[tuple[str, int], bytes]  # (type, id) -> payload without the ID
    descriptor: bytes

    @classmethod
    def read(cls, path: Path) -> Device:
        text = path.read_text()
        vendorid, reports, desc = "", {}, bytearray()
        for line in text.splitlines():
            if line.startswith("vid:"):
                vendorid = line.split(":", 1)[1].split("#")[0].strip()
            elif line.startswith("report_descriptor:"):
                desc += bytes.fromhex(line.split(":", 1)[1].split("#")[0].replace(",", " "))
            elif m := REPORT_LINE.match(line):
                reports[(m.group(1), int(m.group(2), 0))] = bytes.fromhex(m.group(3))
        return cls(text, vendorid, reports, bytes(desc))

    def with_status(self, bits: dict[int, int] | None) -> str:
        """The file with the status bits set in the Feature reports and announced as
        interrupt transfers (the original values when ``bits`` is None)."""
        from hidups import codec
        from hidups.descriptor.model import ReportDescriptor, ReportType

        desc = ReportDescriptor.from_bytes(self.descriptor)
        wanted = bits or {}
        feature: dict[int, bytearray] = {}
        interrupts: dict[int, bytearray] = {}
        for fld in desc.fields:
            if fld.usage not in (AC_PRESENT, CHARGING, DISCHARGING):
                continue
            rid = fld.report_id
            if fld.report_type is ReportType.FEATURE and fld.usage in wanted:
                buf = feature.setdefault(rid, bytearray(
                    bytes([rid]) + self.reports.get(("feature", rid), b"")))
                codec.write_logical(fld, buf, wanted[fld.usage])
            elif fld.report_type is ReportType.INPUT:
                base = self.reports.get(("feature", rid)) or self.reports.get(("input", rid))
                buf = interrupts.setdefault(rid, bytearray(bytes([rid]) + (base or b"")))
                if fld.usage in wanted:
                    codec.write_logical(fld, buf, wanted[fld.usage])
        lines = []
        for line in self.text.splitlines():
            m = REPORT_LINE.match(line)
            if m and m.group(1) == "feature" and int(m.group(2), 0) in feature:
                line = f"feature {m.group(2)}: {feature[int(m.group(2), 0)][1:].hex(' ')}"
            elif line.startswith("interrupt"):
                continue
            lines.append(line)
        lines += [f"interrupt: {data.hex(' ')}" for data in interrupts.values()]
        return "\n".join(lines) + "\n"

    def can_inject(self) -> bool:
        return "interrupt:" in self.with_status(ON_BATTERY)


def replace_file(path: Path, text: str) -> float:
    """Write ``text`` to ``path`` atomically (upsemu notices the new inode); when."""
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text)
    stamp = time.time()
    os.replace(tmp, path)
    return stamp


# --- a socket client and a driver daemon -------------------------------------------------


class SocketClient:
    """A raw client of the driver socket (what upsd is): DUMPALL, then listen."""

    def __init__(self, path: Path) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(str(path))
        self.buffer = b""

    def send(self, line: str) -> None:
        self.sock.sendall(line.encode() + b"\n")

    def line(self, deadline: float) -> str | None:
        while b"\n" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except TimeoutError:
                return None
            if not chunk:
                return None
            self.buffer += chunk
        raw, self.buffer = self.buffer.split(b"\n", 1)
        return raw.decode(errors="replace")

    def wait_for(self, prefix: str, timeout: float) -> float | None:
        """time.time() when a line starting with ``prefix`` arrived, or None."""
        deadline = time.monotonic() + timeout
        while (text := self.line(deadline)) is not None:
            if text.startswith(prefix):
                return time.time()
        return None

    def drain(self, quiet: float = 0.3) -> None:
        """Read and drop whatever comes until the socket stays quiet for ``quiet`` s."""
        while self.line(time.monotonic() + quiet) is not None:
            pass

    def close(self) -> None:
        self.sock.close()


@contextlib.contextmanager
def daemon(argv: list[str], env: dict[str, str], log: Path) -> Iterator[
        subprocess.Popen[bytes]]:
    with open(log, "wb") as out:
        proc = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        yield proc
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


def connect_when_ready(path: Path, proc: subprocess.Popen[bytes],
                       timeout: float = 20) -> SocketClient:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"driver exited with {proc.returncode}")
        if path.exists():
            with contextlib.suppress(OSError):
                return SocketClient(path)
        time.sleep(0.002)
    raise TimeoutError(f"no socket at {path}")


@dataclass
class DaemonResult:
    start_to_dataok_s: float
    latencies_ms: list[float]  # file rewritten -> SETINFO ups.status at the client
    driver_ms: list[float]  # interrupt handed to the driver -> SETINFO at the client
    first_wait_ms: float  # the first update's interrupt read, part of the start-up time
    rss_kib: int  # the daemon's resident memory at the end
    loops: list[tuple[int, int]]  # per update loop before the injections (usbhid-ups)


def run_daemon(kind: str, device: Device, lib: Path, samples: int, settle: float,
               work: Path) -> DaemonResult:
    """Start hidups or usbhid-ups with ``-F`` on a copy of the device file; time the first
    DATAOK, let it poll for ``settle`` seconds, then flip mains off and on ``samples``
    times by rewriting the file."""
    from upsemu_util import upsemu_env  # type: ignore[import-not-found]

    conf, state = work / f"{kind}-conf", work / f"{kind}-state"
    conf.mkdir()
    state.mkdir()
    dev = work / f"{kind}.ups"
    dev.write_text(device.with_status(None).replace("interrupt:", "#"))
    emu_log = work / f"{kind}.log"
    driver = "hidups" if kind == "hidups" else "usbhid-ups"
    (conf / "ups.conf").write_text(
        f"[ups]\n    driver = {driver}\n    port = auto\n    vendorid = {device.vendorid}\n"
        f"    pollinterval = {POLLINTERVAL}\n    pollfreq = {POLLFREQ}\n")
    env = upsemu_env(dev, lib, NUT_CONFPATH=str(conf), NUT_STATEPATH=str(state),
                     NUT_ALTPIDPATH=str(state), UPSEMU_LOG=str(emu_log))
    env.pop("UPSEMU_INTR_WAIT_MS", None)  # interrupt reads wait, as on a real bus
    if kind == "hidups":
        argv = [sys.executable, "-m", "hidups", "-a", "ups", "-F"]
    else:
        env["LD_PRELOAD"] = str(lib)
        argv = [USBHID_UPS, "-a", "ups", "-F", "-u", os.environ.get("USER") or "root"]
        if os.geteuid() != 0:
            argv[-2:] = []
    start = time.monotonic()
    with daemon(argv, env, work / f"{kind}.out") as proc:
        client = connect_when_ready(state / f"{driver}-ups", proc)
        client.send("DUMPALL")
        dataok = client.wait_for("DATAOK", 20)
        if dataok is None:
            raise RuntimeError(f"{kind}: no DATAOK in the dump")
        start_to_dataok = time.monotonic() - start
        time.sleep(settle)
        settled = time.time()
        latencies, driver_side = [], []
        for i in range(samples):
            time.sleep(1.0 + 0.137 * i)  # land at different points of the poll cycle
            bits = ON_BATTERY if i % 2 == 0 else None
            client.drain()  # one status change gives several lines; start clean
            written = replace_file(dev, device.with_status(bits))
            arrived = client.wait_for("SETINFO ups.status", 10)
            if arrived is None:
                continue
            latencies.append((arrived - written) * 1e3)
            delivered = [t for t in interrupt_deliveries(emu_log, proc.pid) if t >= written]
            if delivered:
                driver_side.append((arrived - delivered[0]) * 1e3)
        rss = process_rss_kib(proc.pid)
        client.close()
    loops = nut_loops(emu_log, settled) if kind != "hidups" else []
    return DaemonResult(start_to_dataok, latencies, driver_side,
                        first_interrupt_wait_ms(emu_log, proc.pid), rss, loops)


# --- one capture -------------------------------------------------------------------------


def measure(stem: str, walks: int, samples: int) -> dict[str, Any]:
    from conftest import SHARED_CAPTURES  # type: ignore[import-not-found]
    from upsemu_util import build_upsemu, device_file, upsemu_env  # type: ignore[import-not-found]

    lib = build_upsemu()
    path = device_file(SHARED_CAPTURES / f"{stem}.json")
    device = Device.read(path)
    work = Path(tempfile.mkdtemp(prefix="hidups-bench-"))
    try:
        emu_log = work / "worker.log"
        env = upsemu_env(path, lib, UPSEMU_LOG=str(emu_log))
        code = (f"import json, sys; sys.path.insert(0, {str(ROOT / 'bench')!r}); "
                f"import emulated; print(json.dumps(emulated.worker("
                f"{device.vendorid!r}, {walks}, 20)))")
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                             text=True, timeout=600, cwd=ROOT)
        if out.returncode != 0:
            raise RuntimeError(out.stderr[-2000:])
        result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
        for label in ("quick", "full"):
            result[f"tx_{label}"] = statistics.median(
                transfers_between_marks(emu_log, label))
            result[f"gets_{label}"] = statistics.median(
                transfers_between_marks(emu_log, label, "GET_REPORT"))
        injections = samples if device.can_inject() else 0
        hid = run_daemon("hidups", device, lib, injections, 1.0, work)
        nut = run_daemon("nut", device, lib, injections, POLLFREQ + 5, work)
        result.update(hidups=hid.__dict__, nut=nut.__dict__)
        # usbhid-ups' FULL loop is its biggest; its QUICK loops are the others that read
        # anything (a loop whose reports are younger than pollinterval reads nothing)
        after = nut.loops[1:-1] or [(0, 0)]
        full = max(after)
        result["nut_tx_full"], result["nut_gets_full"] = full
        rest = [loop for loop in after if loop != full and loop[0] > 0] or [full]
        result["nut_tx_quick"] = statistics.median(loop[0] for loop in rest)
        result["nut_gets_quick"] = statistics.median(loop[1] for loop in rest)
        return result
    finally:
        shutil.rmtree(work, ignore_errors=True)


def fmt_ms(values: list[float]) -> str:
    if not values:
        return "n/a"
    return f"{statistics.median(values):.1f} (max {max(values):.1f})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("captures", nargs="*", default=list(DEFAULT_CAPTURES))
    parser.add_argument("--walks", type=int, default=1000)
    parser.add_argument("--samples", type=int, default=6)
    parser.add_argument("--json", type=Path, help="also write the raw figures here")
    args = parser.parse_args(argv)
    results = {}
    for stem in args.captures:
        try:
            results[stem] = measure(stem, args.walks, args.samples)
        except Exception as exc:  # one odd device must not stop the others
            print(f"{stem}: failed: {exc}", file=sys.stderr)
            continue
        r = results[stem]
        print(f"{stem}: transfers (GET_REPORTs) quick {r['tx_quick']:.0f} "
              f"({r['gets_quick']:.0f}, needs {r['needed_quick']}), NUT "
              f"{r['nut_tx_quick']:.0f} ({r['nut_gets_quick']:.0f}); full "
              f"{r['tx_full']:.0f} ({r['gets_full']:.0f}, needs {r['needed_full']}), NUT "
              f"{r['nut_tx_full']:.0f} ({r['nut_gets_full']:.0f}); CPU quick "
              f"{r['cpu_quick_ms']:.2f} ms full {r['cpu_full_ms']:.2f} ms mean "
              f"{r['cpu_mean_ms']:.2f} ms; RSS {r['rss_before_kib'] / 1024:.1f} -> "
              f"{r['rss_after_kib'] / 1024:.1f} MiB after {r['walks']} walks, daemon "
              f"{r['hidups']['rss_kib'] / 1024:.1f} MiB (NUT "
              f"{r['nut']['rss_kib'] / 1024:.1f}); start->DATAOK hidups "
              f"{r['hidups']['start_to_dataok_s']:.2f} s (first interrupt wait "
              f"{r['hidups']['first_wait_ms']:.0f} ms), NUT "
              f"{r['nut']['start_to_dataok_s']:.2f} s; interrupt->client hidups "
              f"{fmt_ms(r['hidups']['latencies_ms'])} ms (driver "
              f"{fmt_ms(r['hidups']['driver_ms'])}), NUT "
              f"{fmt_ms(r['nut']['latencies_ms'])} ms; NUT loops {r['nut']['loops']}",
              flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    return 0 if results else 1


if __name__ == "__main__":
    sys.exit(main())
