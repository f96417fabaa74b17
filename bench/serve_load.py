"""Load and abuse a NUT network server (upsd, or ``hidups serve``) and measure it.

N clients (default 1,000), each on its own connection, ask ``LIST VAR <ups>`` once a
second for D seconds (default 60), all in one asyncio loop; meanwhile abusers try bad
logins, send 1 MB lines, never read their answers, and stop TLS handshakes halfway.
A well-behaved client in its own process (so the load's event loop does not delay its
clock) asks ``LIST VAR`` four times a second and records each round trip: p50, p99,
max and failures are the figures that say whether upsmon would still be served. With
``--pid``, the server's RSS and open descriptors are sampled every second.

    python bench/serve_load.py --host 127.0.0.1 --port 3493 --ups rack --pid $(pidof upsd)
    python bench/serve_load.py --spawn 2.8.0      # NUT's upsd over ``hidups -a`` (replay)

``--spawn VERSION`` starts NUT's upsd of that version (2.8.0: Debian's /lib/nut/upsd;
2.8.5: the one nut_sid.sh unpacked) serving ``hidups -a`` on a replayed capture, as
the tests do (tests/nut_util.py), and measures it. Raise ``ulimit -n`` above
N + 100 first; the script says so when it is too low.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing
import os
import resource
import socket
import ssl
import statistics
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CAPTURE = ROOT / "captures" / "cyberpower-cp1500pfclcd.json"
BIG_LINE = 1024 * 1024
TIMEOUT = 10.0


@dataclass
class Figures:
    target: str = ""
    server_version: str = ""
    clients: int = 0
    duration: float = 0.0
    requests_ok: int = 0
    requests_failed: int = 0
    connects_failed: int = 0
    clients_connected_max: int = 0
    probe_requests: int = 0
    probe_failures: int = 0
    probe_p50_ms: float | None = None
    probe_p99_ms: float | None = None
    probe_max_ms: float | None = None
    rss_mb: list[float] = field(default_factory=list)
    fds: list[int] = field(default_factory=list)
    abuse: dict[str, dict[str, int]] = field(default_factory=dict)


# --- the protocol, as little as a client needs ----------------------------------------


async def read_list(reader: asyncio.StreamReader, ups: str) -> int:
    """Read one ``LIST VAR`` answer; its number of variables."""
    end = f"END LIST VAR {ups}".encode()
    count = 0
    while True:
        line = (await reader.readline()).rstrip(b"\r\n")
        if not line:
            raise ConnectionError("closed by the server")
        if line.startswith(b"ERR"):
            raise ConnectionError(line.decode(errors="replace"))
        if line == end:
            return count
        if line.startswith(b"VAR "):
            count += 1


async def connect(host: str, port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.wait_for(asyncio.open_connection(host, port, limit=2 ** 20), TIMEOUT)


def close(writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(Exception):
        writer.close()


# --- the load ---------------------------------------------------------------------------


class Load:
    def __init__(self, args: argparse.Namespace, figures: Figures) -> None:
        self.args = args
        self.figures = figures
        self.connected = 0
        self.deadline = 0.0
        self.abuse: dict[str, Counter[str]] = {}

    def _outcome(self, kind: str, what: str) -> None:
        self.abuse.setdefault(kind, Counter())[what] += 1

    def _left(self) -> float:
        return self.deadline - time.monotonic()

    async def client(self, index: int) -> None:
        args, f = self.args, self.figures
        request = f"LIST VAR {args.ups}\n".encode()
        await asyncio.sleep(args.ramp * index / max(1, args.clients))
        while self._left() > 0:
            try:
                reader, writer = await connect(args.host, args.port)
            except (OSError, asyncio.TimeoutError):
                f.connects_failed += 1
                await asyncio.sleep(1.0)
                continue
            self.connected += 1
            f.clients_connected_max = max(f.clients_connected_max, self.connected)
            try:
                tick = time.monotonic()
                while self._left() > 0:
                    writer.write(request)
                    await writer.drain()
                    await asyncio.wait_for(read_list(reader, args.ups), TIMEOUT)
                    f.requests_ok += 1
                    tick += args.interval
                    await asyncio.sleep(max(0.0, tick - time.monotonic()))
            except (OSError, ConnectionError, asyncio.TimeoutError,
                    asyncio.IncompleteReadError):
                f.requests_failed += 1
                await asyncio.sleep(0.5)
            finally:
                self.connected -= 1
                close(writer)

    async def bad_logins(self) -> None:
        a = self.args
        while self._left() > 0:
            try:
                reader, writer = await connect(a.host, a.port)
                writer.write(f"USERNAME nosuchuser\nPASSWORD wrong\nLOGIN {a.ups}\n".encode())
                for _ in range(3):
                    line = await asyncio.wait_for(reader.readline(), TIMEOUT)
                    self._outcome("bad_login", line.decode(errors="replace").strip() or "closed")
                close(writer)
            except (OSError, asyncio.TimeoutError) as exc:
                self._outcome("bad_login", type(exc).__name__)
            await asyncio.sleep(0.05)

    async def big_lines(self) -> None:
        a = self.args
        while self._left() > 0:
            try:
                reader, writer = await connect(a.host, a.port)
                chunk = b"A" * 65536
                for _ in range(BIG_LINE // len(chunk)):
                    writer.write(chunk)
                    await writer.drain()
                writer.write(b"\nVER\n")
                await writer.drain()
                line = await asyncio.wait_for(reader.readline(), TIMEOUT)
                answer = line.decode(errors="replace").strip()
                self._outcome("big_line", answer.split()[0] if answer else "closed")
                close(writer)
            except (OSError, asyncio.TimeoutError) as exc:
                self._outcome("big_line", f"{type(exc).__name__}")
            await asyncio.sleep(0.5)

    async def non_reader(self) -> None:
        """Asks and asks and never reads: the server must not buffer without bound."""
        a = self.args
        try:
            _, writer = await connect(a.host, a.port)
        except (OSError, asyncio.TimeoutError) as exc:
            self._outcome("non_reader", type(exc).__name__)
            return
        request = f"LIST VAR {a.ups}\n".encode() * 200
        sent = 0
        try:
            while self._left() > 0:
                writer.write(request)
                await asyncio.wait_for(writer.drain(), max(0.1, min(5.0, self._left())))
                sent += len(request)
                await asyncio.sleep(0.1)
            self._outcome("non_reader", "still connected at the end")
        except asyncio.TimeoutError:
            self._outcome("non_reader", "blocked (server stopped reading)")
        except OSError as exc:
            self._outcome("non_reader", f"dropped by the server ({type(exc).__name__})")
        finally:
            self._outcome("non_reader", f"sent {sent // 1024} KiB")
            close(writer)

    async def tls_stall(self) -> None:
        """STARTTLS, then half a ClientHello, then silence until the end."""
        a = self.args
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        tls = ctx.wrap_bio(incoming, outgoing)
        with contextlib.suppress(ssl.SSLWantReadError):
            tls.do_handshake()
        hello = outgoing.read()
        try:
            reader, writer = await connect(a.host, a.port)
            writer.write(b"STARTTLS\n")
            line = await asyncio.wait_for(reader.readline(), TIMEOUT)
            self._outcome("tls_stall", line.decode(errors="replace").strip() or "closed")
            writer.write(hello[: len(hello) // 2])
            await writer.drain()
            stalled = time.monotonic()
            try:
                data = await asyncio.wait_for(reader.read(1), max(0.1, self._left()))
                held = round(time.monotonic() - stalled)
                self._outcome("tls_stall", f"closed by the server after {held} s" if not data
                              else "answered")
            except asyncio.TimeoutError:
                self._outcome("tls_stall", "held open to the end")
            close(writer)
        except (OSError, asyncio.TimeoutError) as exc:
            self._outcome("tls_stall", type(exc).__name__)

    async def run(self) -> None:
        a = self.args
        self.deadline = time.monotonic() + a.duration
        tasks = [self.client(i) for i in range(a.clients)]
        tasks += [self.bad_logins() for _ in range(a.bad_logins)]
        tasks += [self.big_lines() for _ in range(a.big_lines)]
        tasks += [self.non_reader() for _ in range(a.non_readers)]
        tasks += [self.tls_stall() for _ in range(a.tls_stalls)]
        await asyncio.gather(*tasks)
        self.figures.abuse = {k: dict(v) for k, v in self.abuse.items()}


# --- the well-behaved client, in its own process -----------------------------------------


def probe(host: str, port: int, ups: str, duration: float, period: float,
          out: Connection) -> None:
    latencies: list[float] = []
    failures = 0
    end = f"END LIST VAR {ups}\n".encode()
    deadline = time.monotonic() + duration
    sock: socket.socket | None = None
    while time.monotonic() < deadline:
        started = time.perf_counter()
        try:
            if sock is None:
                sock = socket.create_connection((host, port), timeout=TIMEOUT)
            sock.sendall(f"LIST VAR {ups}\n".encode())
            data = b""
            while not data.endswith(end):
                piece = sock.recv(65536)
                if not piece or piece.startswith(b"ERR"):
                    raise ConnectionError(piece.decode(errors="replace") or "closed")
                data += piece
            latencies.append(time.perf_counter() - started)
        except (OSError, ConnectionError):
            failures += 1
            if sock is not None:
                sock.close()
            sock = None
        time.sleep(max(0.0, period - (time.perf_counter() - started)))
    if sock is not None:
        sock.close()
    out.send((latencies, failures))


# --- the server's memory ------------------------------------------------------------------


def sample_server(pid: int, figures: Figures, stop: threading.Event) -> None:
    while not stop.wait(1.0):
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            return
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                figures.rss_mb.append(round(int(line.split()[1]) / 1024, 1))
        with contextlib.suppress(OSError):
            figures.fds.append(len(os.listdir(f"/proc/{pid}/fd")))


def server_version(host: str, port: int) -> str:
    with socket.create_connection((host, port), timeout=TIMEOUT) as sock:
        sock.sendall(b"VER\n")
        return sock.recv(4096).decode(errors="replace").strip()


def first_ups(host: str, port: int) -> str:
    with socket.create_connection((host, port), timeout=TIMEOUT) as sock:
        sock.sendall(b"LIST UPS\n")
        data = b""
        while b"END LIST UPS" not in data:
            piece = sock.recv(65536)
            if not piece:
                break
            data += piece
    for line in data.decode(errors="replace").splitlines():
        if line.startswith("UPS "):
            return line.split()[1]
    raise SystemExit(f"{host}:{port} serves no UPS (LIST UPS: {data!r})")


def measure(args: argparse.Namespace) -> Figures:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = args.clients + args.bad_logins + args.big_lines + args.non_readers \
        + args.tls_stalls + 100
    if soft < need:
        if hard < need:
            raise SystemExit(f"ulimit -n is {soft} (hard {hard}); {need} needed for "
                             f"{args.clients} clients: raise the hard limit")
        resource.setrlimit(resource.RLIMIT_NOFILE, (need, hard))
    args.ups = args.ups or first_ups(args.host, args.port)
    figures = Figures(target=f"{args.host}:{args.port} ups {args.ups}", clients=args.clients,
                      duration=args.duration, server_version=server_version(args.host, args.port))
    receive, send = multiprocessing.Pipe(duplex=False)
    prober = multiprocessing.Process(target=probe, args=(
        args.host, args.port, args.ups, args.duration, 0.25, send))
    stop = threading.Event()
    sampler = threading.Thread(target=sample_server, args=(args.pid, figures, stop),
                               daemon=True) if args.pid else None
    prober.start()
    if sampler is not None:
        sampler.start()
    try:
        asyncio.run(Load(args, figures).run())
        latencies, failures = receive.recv()
    finally:
        stop.set()
        prober.join(TIMEOUT)
    figures.probe_requests = len(latencies) + failures
    figures.probe_failures = failures
    if latencies:
        ms = sorted(x * 1000 for x in latencies)
        figures.probe_p50_ms = round(statistics.median(ms), 2)
        figures.probe_p99_ms = round(ms[min(len(ms) - 1, int(len(ms) * 0.99))], 2)
        figures.probe_max_ms = round(ms[-1], 2)
    return figures


@contextlib.contextmanager
def spawned_upsd(version: str) -> Iterator[tuple[int, int]]:
    """NUT's upsd of ``version`` over ``hidups -a`` on a replayed capture: (port, pid)."""
    os.environ["HIDUPS_NUT_STACK"] = version
    sys.path[:0] = [str(ROOT), str(ROOT / "tests")]
    nut_util: Any = __import__("nut_util")
    if nut_util.stack_version() != version:
        raise SystemExit(f"NUT {version} is not available (see tests/nut_util.py)")
    with nut_util.hidups_under_upsd(CAPTURE) as upsd:
        yield upsd.port, upsd.proc.pid


def report(f: Figures) -> str:
    rss = f"{f.rss_mb[0]} → max {max(f.rss_mb)} → {f.rss_mb[-1]} MB" if f.rss_mb else "-"
    fds = f"max {max(f.fds)}" if f.fds else "-"
    lines = [
        f"target        {f.target} ({f.server_version})",
        f"load          {f.clients} clients x LIST VAR every second for {f.duration:g} s",
        f"requests      {f.requests_ok} ok ({f.requests_ok / f.duration:.0f}/s), "
        f"{f.requests_failed} failed, {f.connects_failed} connects failed, "
        f"{f.clients_connected_max} connected at most",
        f"probe         {f.probe_requests} requests: p50 {f.probe_p50_ms} ms, p99 "
        f"{f.probe_p99_ms} ms, max {f.probe_max_ms} ms, {f.probe_failures} failed",
        f"server RSS    {rss}; descriptors {fds}",
    ]
    for kind, outcomes in sorted(f.abuse.items()):
        lines.append(f"{kind:<13} " + ", ".join(f"{n} x {what}" for what, n in
                                               sorted(outcomes.items(), key=lambda x: -x[1])))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=3493)
    parser.add_argument("--ups", help="UPS to ask for (default: the first of LIST UPS)")
    parser.add_argument("--pid", type=int, help="the server's PID, to sample its RSS")
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between requests")
    parser.add_argument("--ramp", type=float, default=5.0, help="seconds to connect everyone")
    parser.add_argument("--bad-logins", type=int, default=4)
    parser.add_argument("--big-lines", type=int, default=2)
    parser.add_argument("--non-readers", type=int, default=4)
    parser.add_argument("--tls-stalls", type=int, default=8)
    parser.add_argument("--no-abuse", action="store_true", help="the load alone")
    parser.add_argument("--spawn", choices=("2.8.0", "2.8.5"),
                        help="start NUT's upsd of this version over hidups -a, measure it")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    if args.no_abuse:
        args.bad_logins = args.big_lines = args.non_readers = args.tls_stalls = 0
    if args.spawn:
        with spawned_upsd(args.spawn) as (port, pid):
            args.host, args.port, args.pid = "127.0.0.1", port, pid
            figures = measure(args)
    else:
        figures = measure(args)
    print(report(figures))
    if args.json:
        args.json.write_text(json.dumps(asdict(figures), indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
