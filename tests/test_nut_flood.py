"""A connection flood on the driver socket cannot starve upsd's connection (issue 11).

Issue 11: 35,000 connects/s for 10 s made 94 of 99 DUMPALLs of a normal client fail
and wrote 314,043 identical warnings. Here a separate process connects and closes at
full speed on the server's Unix socket (as upsd reaches the real driver) for 10 s,
while a normal client sends DUMPALL every 100 ms; the server runs in this process
as it does in the driver.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import subprocess
import sys
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import require_shared
from nut_util import wait_until
from server_util import RecordingHandler, capture_dstate

from hidups.logutil import RateLimitedLog
from hidups.nut.accept import AcceptGate
from hidups.nut.client import DriverClient
from hidups.nut.server import MAX_CLIENTS, DriverServer

FLOOD_SECONDS = 10.0
#: A DUMPALL (a few kilobytes) answered later than this counts as failed.
DUMP_TIMEOUT = 1.0

#: The flooding process: non-blocking connect + close in a loop, counts to stdout.
FLOODER = textwrap.dedent("""
    import socket, sys, time
    path, seconds = sys.argv[1], float(sys.argv[2])
    done = refused = 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.setblocking(False)
        try:
            s.connect(path)
            done += 1
        except OSError:
            refused += 1
        s.close()
    print(done, refused)
""")


@dataclass
class FloodResult:
    dumps: int
    ok: int
    log_lines: int
    connects: int
    refused: int
    samples: list[str]  # a few distinct log lines
    slowest: float  # seconds, the slowest successful DUMPALL
    median: float
    newcomer_served: bool


def run_flood(folder: Path, seconds: float = FLOOD_SECONDS) -> FloodResult:
    """Serve, flood from another process, DUMPALL every 100 ms; count what happened."""
    d = capture_dstate()
    expected = len(d.dump())
    # a real log file, as the driver writes one: each line costs what it costs there
    log_file = folder / "driver.log"
    handler = logging.FileHandler(log_file, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s: %(message)s"))
    logger = logging.getLogger("hidups")
    old_level = logger.level
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    server = DriverServer(str(folder / "hidups-flood"), d, RecordingHandler())
    server.start()
    dumps = ok = 0
    after_ok = False
    took: list[float] = []
    try:
        client = DriverClient(server.path, timeout=2)
        client.send("PING")
        client.wait_for("PONG", 5)
        handler.flush()
        before = log_file.read_text(encoding="utf-8").count("\n")  # only the flood's
        flood = subprocess.Popen([sys.executable, "-c", FLOODER, server.path, str(seconds)],
                                 stdout=subprocess.PIPE, text=True)
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            dumps += 1
            started = time.monotonic()
            try:
                if len(client.dump(DUMP_TIMEOUT)) == expected:
                    ok += 1
                    took.append(time.monotonic() - started)
            except OSError:  # timed out or dropped: start afresh, as upsd does
                client.close()
                with contextlib.suppress(OSError):
                    client = DriverClient(server.path, timeout=2)
            time.sleep(0.1)
        out, _ = flood.communicate(timeout=seconds + 30)
        client.close()
        # once the flood is over, a newcomer (upsd restarting) gets in at once
        with DriverClient(server.path, timeout=2) as newcomer:
            after_ok = len(newcomer.dump(DUMP_TIMEOUT)) == expected
    finally:
        server.stop()
        logger.removeHandler(handler)
        logger.setLevel(old_level)
        handler.close()
    lines = log_file.read_text(encoding="utf-8").splitlines()[before:]
    connects, refused = (int(x) for x in out.split())
    took.sort()
    return FloodResult(dumps, ok, len(lines), connects, refused, sorted(set(lines))[:5],
                       slowest=took[-1] if took else 0.0,
                       median=took[len(took) // 2] if took else 0.0,
                       newcomer_served=after_ok)


@pytest.mark.slow
def test_a_connection_flood_does_not_starve_an_established_client(tmp_path: Path) -> None:
    require_shared()
    result = run_flood(tmp_path)
    print(result)
    assert result.connects + result.refused > 10_000  # it really was a flood
    assert result.dumps >= 50
    assert result.ok >= 0.99 * result.dumps, result
    assert result.log_lines < 100, result.samples
    assert result.newcomer_served


def test_the_gate_bounds_the_accept_rate() -> None:
    now = [0.0]
    gate = AcceptGate(rate=10.0, burst=5, clock=lambda: now[0])
    assert [gate.take() for _ in range(7)] == [True] * 5 + [False] * 2
    assert gate.delay() == pytest.approx(0.1)
    now[0] += 0.1
    assert gate.take() and not gate.take()
    gate.pause(2.0)
    now[0] += 1.0
    assert not gate.take() and gate.delay() == pytest.approx(1.0)
    now[0] += 1.0
    assert gate.take()
    with pytest.raises(ValueError, match="accept rate"):
        AcceptGate(rate=0)


def test_rate_limited_log_counts_repeats(caplog: pytest.LogCaptureFixture) -> None:
    now = [100.0]
    limited = RateLimitedLog(logging.getLogger("hidups.test"), interval=10.0,
                             clock=lambda: now[0])
    with caplog.at_level(logging.INFO, logger="hidups.test"):
        for i in range(1000):
            limited.warning("accept", "accept failed: fd %d", i)
        limited.info("other", "another condition")
        assert limited.suppressed("accept") == 999
        assert limited.flush() == 0  # the interval is not over yet
        now[0] += 10.0
        assert limited.flush() == 1
        limited.warning("accept", "accept failed: fd %d", 5000)
    assert [(r.levelno, r.getMessage()) for r in caplog.records] == [
        (logging.WARNING, "accept failed: fd 0"),
        (logging.INFO, "another condition"),
        (logging.WARNING, "accept failed: fd 999 (999 more in the last 10 s)"),
        (logging.WARNING, "accept failed: fd 5000"),
    ]


def test_rate_limited_log_burst_and_repeats_at_the_next_line(
        caplog: pytest.LogCaptureFixture) -> None:
    now = [0.0]
    limited = RateLimitedLog(logging.getLogger("hidups.test"), interval=5.0, burst=3,
                             clock=lambda: now[0])
    with caplog.at_level(logging.INFO, logger="hidups.test"):
        for i in range(10):
            limited.error("x", "failed %d", i)
        now[0] += 6.0
        limited.error("x", "failed again")
        limited.flush(force=True)
    assert [r.getMessage() for r in caplog.records] == [
        "failed 0", "failed 1", "failed 2", "failed again (7 more in the last 5 s)"]
    with pytest.raises(ValueError):
        RateLimitedLog(logging.getLogger("hidups.test"), burst=0)


if __name__ == "__main__":  # figures for the report: python tests/test_nut_flood.py
    import tempfile
    with tempfile.TemporaryDirectory() as folder:
        print(run_flood(Path(folder)))


def test_connections_beyond_the_bound_are_refused_with_one_line(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    require_shared()
    d = capture_dstate()
    expected = len(d.dump())
    server = DriverServer(str(tmp_path / "hidups-many"), d, RecordingHandler())
    server.gate = AcceptGate(rate=10_000.0, burst=10_000)  # only the bound applies here
    server.start()
    held: list[socket.socket] = []
    try:
        with DriverClient(server.path, timeout=5) as good, \
                caplog.at_level(logging.INFO, logger="hidups.nut.server"):
            good.send("PING")
            assert good.wait_for("PONG", 5) == ["PONG"]
            for _ in range(MAX_CLIENTS + 44):
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.connect(server.path)
                held.append(s)
            assert wait_until(lambda: server.client_count == MAX_CLIENTS, 10)
            assert len(good.dump(5)) == expected  # the established client is still served
        full = [r for r in caplog.records if "too many connections" in r.getMessage()]
        assert len(full) == 1, [r.getMessage() for r in full]
        assert f"({MAX_CLIENTS})" in full[0].getMessage()
    finally:
        for s in held:
            s.close()
        server.stop()
