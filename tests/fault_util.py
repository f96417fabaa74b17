"""Run a driver process on an upsemu device and sample its socket while faults are put
in by rewriting the device file (issue 11): shared by the HID and Q* fault tests.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from upsemu_util import upsemu_env

from hidups.nut.client import DriverClient

POLL = 1.0
#: the emulator's injected timeouts wait this long (a real bus waits NUT's 5 s)
TIMEOUT_MS = 400
#: scheduling slack for a loaded 2-core CI machine
SLACK = 3.0


@dataclass
class Sample:
    t: float
    stale: bool
    values: dict[str, str]


@dataclass
class Run:
    """One driver process on one emulated device, sampled through its socket."""

    dev: Path
    text: str
    proc: subprocess.Popen[bytes]
    sock: Path
    log: Path
    t0: float = field(default_factory=time.monotonic)
    samples: list[Sample] = field(default_factory=list)

    def now(self) -> float:
        return time.monotonic() - self.t0

    def put(self, text: str) -> float:
        """Replace the device file atomically (upsemu re-reads it); the time it happened."""
        tmp = self.dev.with_suffix(".new")
        tmp.write_text(text)
        os.replace(tmp, self.dev)
        return self.now()

    def sample(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            assert self.proc.poll() is None, f"driver died:\n{self.log.read_text()[-3000:]}"
            try:
                with DriverClient(str(self.sock), timeout=3) as client:
                    words = client.dump(timeout=3)
            except OSError:
                time.sleep(0.1)
                continue
            values = {w[1]: w[2] for w in words if w[0] == "SETINFO" and len(w) > 2}
            self.samples.append(Sample(self.now(), any(w[0] == "DATASTALE" for w in words),
                                       values))
            time.sleep(0.1)

    def first(self, after: float, stale: bool) -> float | None:
        for s in self.samples:
            if s.t >= after and s.stale == stale:
                return s.t
        return None

    def fresh_between(self, start: float, end: float) -> list[Sample]:
        return [s for s in self.samples if start <= s.t <= end and not s.stale]


@contextmanager
def driver_on(device: Path, lib: Path, work: Path, options: Sequence[str] = (),
              **env_extra: str) -> Iterator[Run]:
    """The hidups driver process (``-F``) on a private copy of ``device``, fresh and
    sampled for 2.5 s; always stopped."""
    dev = work / "dev.ups"
    shutil.copy(device, dev)
    env = upsemu_env(dev, lib, NUT_STATEPATH=str(work), NUT_ALTPIDPATH=str(work),
                     **env_extra)
    log = work / "driver.log"
    args = [sys.executable, "-m", "hidups", "-s", "ups", "-F", "-x", "port=auto",
            "-x", f"pollinterval={POLL:g}", "-x", "pollfreq=5"]
    for option in options:
        args += ["-x", option]
    with log.open("wb") as out:
        proc = subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.STDOUT)
    run = Run(dev, dev.read_text(), proc, work / "hidups-ups", log)
    try:
        deadline = time.monotonic() + 20
        while not run.sock.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert run.sock.exists(), log.read_text()
        run.sample(2.5)
        assert run.samples and not run.samples[-1].stale, log.read_text()[-3000:]
        yield run
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def with_fault(text: str, *lines: str) -> str:
    return text + "\n" + "\n".join(lines) + "\n"


def check_fault(run: Run, lines: tuple[str, ...], *, timeouts: int, hold: float = 6.0,
                watched: Sequence[str] = ("ups.status", "battery.charge", "battery.runtime")
                ) -> tuple[float, float]:
    """Inject, hold, clear; returns (seconds to stale, seconds to fresh again)."""
    before = run.samples[-1].values
    t_fault = run.put(with_fault(run.text, *lines))
    run.sample(hold)
    t_clear = run.put(run.text)
    run.sample(POLL + timeouts * TIMEOUT_MS / 1000 + SLACK + 2)
    stale_at = run.first(t_fault, stale=True)
    assert stale_at is not None and stale_at < t_clear, "never went stale"
    to_stale = stale_at - t_fault
    assert to_stale <= POLL + timeouts * TIMEOUT_MS / 1000 + SLACK, to_stale
    # nothing read during the fault is passed off as fresh: every fresh sample between
    # the fault and the clear carries the values from before the fault
    for s in run.fresh_between(t_fault, t_clear):
        for name in watched:
            assert s.values.get(name) == before.get(name), (name, s)
    fresh_at = run.first(max(t_clear, stale_at), stale=False)
    assert fresh_at is not None, "never fresh again"
    return to_stale, fresh_at - t_clear


def check_unplug_to_battery(run: Run, on_battery: str) -> None:
    """The UPS resets its USB as it goes on battery (``fault_gone_after``): stale at once,
    back at the new address within a poll of re-enumerating, and OB read from the UPS."""
    assert on_battery != run.text
    t_fault = run.put(with_fault(on_battery, "fault_gone_after: 2", "fault_gone_ms: 1500"))
    run.sample(1.5 + POLL + SLACK + 2)
    stale_at = run.first(t_fault, stale=True)
    assert stale_at is not None and stale_at - t_fault <= POLL + SLACK
    back = run.first(stale_at, stale=False)
    assert back is not None and back - t_fault <= 1.5 + POLL + SLACK
    assert run.samples[-1].values["ups.status"].split()[0] == "OB"
    assert run.samples[-1].values["driver.reconnect_count"] == "1"


def check_other_unit_refused(run: Run, says_why: str) -> None:
    """Another unit (serial OTHER999) while ours is away: not taken, the log says why
    (``says_why``); ours comes back and is taken."""
    other = run.text.replace("serial: EMU0001", "serial: OTHER999")
    assert other != run.text
    t_fault = run.put(with_fault(other, "fault_gone_after: 1", "fault_gone_ms: 500"))
    run.sample(5)
    assert run.first(t_fault, stale=True) is not None
    assert all(s.stale for s in run.samples if s.t >= t_fault + POLL + SLACK)
    assert says_why in run.log.read_text()
    t_back = run.put(run.text)
    run.sample(POLL + SLACK + 3)
    assert run.first(t_back, stale=False) is not None
    assert run.samples[-1].values.get("ups.serial") != "OTHER999"
    assert run.proc.poll() is None
