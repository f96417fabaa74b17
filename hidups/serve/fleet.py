"""Several UPSes in one process: one driver core and one thread per UPS.

Why a thread each: a UPS that stops answering blocks its own loop in USB timeouts and
reconnect attempts; the others must keep their pace and their freshness. Each thread
runs the very loop ``hidups -a`` runs (:func:`hidups.app.process.run_loop`) on a core
built by :func:`hidups.app.process.make_driver`; only the process-wide parts of
``drive`` (PID file, driver socket, signals, privileges) are left out, since ``serve``
owns those once for all UPSes.

What only a driver knows (loops, transfers, freshness, status latency) is observed
from the UPS's own data tree, in the driver's thread, so the core needs no hooks.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from hidups.app.process import Reloader, check_ignorelb, make_driver, run_loop
from hidups.driver.core import Driver
from hidups.errors import GiveUp, HidupsError
from hidups.nut.dstate import DState
from hidups.nut.publish import copy_device_identity
from hidups.nut.upsconf import DriverOptions
from hidups.serve.model import DriverFigures, ServedUps

log = logging.getLogger(__name__)

#: Longest wait between two attempts to start a UPS that could not be opened.
START_BACKOFF_CAP = 30.0
#: A loop that has not come round for this long past its poll interval is stuck.
STUCK_GRACE = 30.0


@dataclass(frozen=True)
class UpsSpec:
    """One UPS to drive: its name (ups.conf section), options and upsd description."""

    name: str
    options: DriverOptions
    description: str = ""


class Tracker:
    """Counts what the driver did, from its data tree's broadcasts (driver thread).

    ``driver.state`` goes to ``updateinfo`` at the start of each update and leaves it
    at its end; a ``ups.status`` change in between was seen by that update's walk.
    """

    def __init__(self, dstate: DState, clock: Callable[[], float] = time.monotonic) -> None:
        self.dstate = dstate
        self.clock = clock
        self.engine: Driver[Any] | None = None
        self.lock = threading.Lock()
        self.figures = DriverFigures()
        self._walk_started: float | None = None
        self._cache: Any = None
        self._status = dstate.get("ups.status")

    def __call__(self, line: str) -> None:
        if line.startswith("SETINFO driver.state "):
            state = self.dstate.get("driver.state")
            if state == "updateinfo":
                self._walk_started = self.clock()
                # kept: a walk that loses the device closes its session before it ends
                self._cache = self._session_cache()
            elif self._walk_started is not None:
                self._walk_done()
        elif line.startswith("SETINFO ups.status "):
            self._status_changed()

    def _walk_done(self) -> None:
        now = self.clock()
        self._walk_started = None
        transfers = errors = None
        engine = self.engine
        cache = self._session_cache()  # a reconnect in this update: the new session's
        if cache is None:
            cache = self._cache
        self._cache = None
        with self.lock:
            f = self.figures
            if cache is not None:  # HID sessions count their GET_REPORTs (hidups.hid.walk)
                transfers = int(cache.walk_transfers)
                errors = transfers - int(cache.walk_answers)
            elif f.walk_transfers is not None:  # no walk this time (device away)
                transfers = errors = 0
            self.figures = replace(
                f,
                walks=f.walks + 1,
                transfers=f.transfers + (transfers or 0),
                transfer_errors=f.transfer_errors + (errors or 0),
                walk_transfers=transfers,
                walk_transfer_errors=errors,
                reconnects=engine.reconnect_count if engine is not None else f.reconnects,
                last_good_read=f.last_good_read if self.dstate.is_stale else now,
            )

    def _session_cache(self) -> Any:
        engine = self.engine
        return None if engine is None else getattr(engine.session, "cache", None)

    def _status_changed(self) -> None:
        status = self.dstate.get("ups.status")
        if status == self._status:
            return
        self._status = status
        started = self._walk_started
        with self.lock:
            f = self.figures
            self.figures = replace(
                f, status_changes=f.status_changes + 1,
                status_latency=None if started is None else self.clock() - started)

    def snapshot(self) -> DriverFigures:
        with self.lock:
            return self.figures


class UpsRunner:
    """One UPS's driver core and thread: start (retried), then ``run_loop`` until stop."""

    def __init__(self, spec: UpsSpec, *, debug: int = 0, stuck_grace: float = STUCK_GRACE,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.spec = spec
        self.stuck_grace = stuck_grace
        self.clock = clock
        self.engine, self.dstate = make_driver(spec.name, spec.options, debug=debug)
        self.tracker = Tracker(self.dstate, clock)
        self.tracker.engine = self.engine
        self._unsubscribe = self.dstate.subscribe(self.tracker)
        self.stop_event = threading.Event()
        self.reloader = Reloader(self.engine, spec.options, self._next_options, self.stop)
        self._pending = spec.options
        #: monotonic time the loop last came round (or a start attempt last ended)
        self.heartbeat = clock()
        self.running = False  # past start-up, inside run_loop
        self.error = ""
        self.thread = threading.Thread(target=self._run, name=f"ups-{spec.name}", daemon=True)

    @property
    def name(self) -> str:
        return self.spec.name

    def served(self) -> ServedUps:
        return ServedUps(self.name, self.spec.description, self.dstate,
                         self.engine.commands, self.tracker.snapshot)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.stop_event.set()
        self.engine.wake.set()

    def join(self, timeout: float | None = None) -> None:
        self.thread.join(timeout)

    def reload(self, options: DriverOptions, description: str) -> None:
        """Apply a new ups.conf section through the driver's own Reloader, in its loop."""
        self._pending = options
        self.spec = replace(self.spec, options=options, description=description)
        self.reloader.signal()

    def _next_options(self) -> DriverOptions:
        return self._pending

    def stuck(self, now: float) -> bool:
        """No loop for longer than the poll interval plus a grace: a hung driver."""
        limit = self.engine.settings.pollinterval + self.stuck_grace
        return self.thread.is_alive() and now - self.heartbeat > limit

    def _beat(self) -> None:
        self.heartbeat = self.clock()
        self.reloader.run_pending()

    def _run(self) -> None:
        delay = self.engine.settings.pollinterval
        while not self.stop_event.is_set():
            try:
                self._start_core()
            except (HidupsError, OSError) as exc:
                self._failed(f"cannot start: {exc}")
            else:
                try:
                    self.running = True
                    self.error = ""
                    run_loop(self.engine, self.stop_event, between=self._beat)
                    break
                except GiveUp as exc:  # NUT's driver would exit; here it starts over
                    self._failed(str(exc))
                finally:
                    self.running = False
            self.heartbeat = self.clock()
            if self.stop_event.wait(delay):
                break
            delay = min(delay * 2, max(START_BACKOFF_CAP, self.engine.settings.pollinterval))
        with contextlib.suppress(Exception):
            self.engine.set_state("cleanup.exit")
            self.engine.close()
        self._unsubscribe()

    def _failed(self, why: str) -> None:
        log.error("[%s] %s", self.name, why)
        self.error = why
        self.dstate.data_stale()
        with contextlib.suppress(Exception):
            self.engine.close()

    def _start_core(self) -> None:
        """``drive``'s start-up for one core: INIT walk, first update, event reader."""
        engine, store = self.engine, self.dstate
        engine.start()
        engine.set_state("init.updateinfo")
        engine.update()
        check_ignorelb(engine)
        store.set("driver.parameter.pollfreq", f"{engine.settings.pollfreq:g}")
        store.set("driver.parameter.pollinterval", f"{engine.settings.pollinterval:g}")
        copy_device_identity(store)
        engine.start_events()
        engine.set_state("quiet")
        log.info("[%s] driving (%s)", self.name,
                 engine.session.version_data if engine.session else "?")


class Fleet:
    """Every UPS of the process; the network server and ``/metrics`` read it live."""

    def __init__(self, specs: Iterable[UpsSpec], *, debug: int = 0,
                 stuck_grace: float = STUCK_GRACE,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.debug = debug
        self.stuck_grace = stuck_grace
        self.clock = clock
        self.lock = threading.Lock()
        self.runners: dict[str, UpsRunner] = {}
        for spec in specs:
            if spec.name in self.runners:
                raise ValueError(f"UPS name {spec.name!r} given twice")
            self.runners[spec.name] = UpsRunner(spec, debug=debug, stuck_grace=stuck_grace,
                                                clock=clock)
        self.started = False

    def served(self) -> Mapping[str, ServedUps]:
        """Name → ServedUps, as the network server's ``upses`` callable wants it."""
        with self.lock:
            return {name: runner.served() for name, runner in self.runners.items()}

    def start(self) -> None:
        with self.lock:
            self.started = True
            for runner in self.runners.values():
                runner.start()

    def stop(self, timeout: float = 15.0) -> None:
        """Stop every loop, then wait for each (they close their devices)."""
        with self.lock:
            runners = list(self.runners.values())
        for runner in runners:
            runner.stop()
        deadline = self.clock() + timeout
        for runner in runners:
            runner.join(max(0.0, deadline - self.clock()))
            if runner.thread.is_alive():
                log.warning("[%s] did not stop within %.0f s", runner.name, timeout)

    def healthy(self) -> bool:
        """Every driver loop comes round (what feeds systemd's watchdog)."""
        now = self.clock()
        with self.lock:
            return all(r.thread.is_alive() and not r.stuck(now) for r in self.runners.values())

    def reload(self, specs: Iterable[UpsSpec]) -> tuple[list[str], list[str]]:
        """A new ups.conf: start new UPSes, stop removed ones, reload the others.

        Returns (added, removed) names.
        """
        wanted = {spec.name: spec for spec in specs}
        with self.lock:
            removed = [name for name in self.runners if name not in wanted]
            gone = [self.runners.pop(name) for name in removed]
            added = []
            for name, spec in wanted.items():
                runner = self.runners.get(name)
                if runner is None:
                    runner = UpsRunner(spec, debug=self.debug, stuck_grace=self.stuck_grace,
                                       clock=self.clock)
                    self.runners[name] = runner
                    added.append(name)
                    if self.started:
                        runner.start()
                else:
                    runner.reload(spec.options, spec.description)
        for runner in gone:
            runner.stop()
        for runner in gone:
            runner.join(15.0)
        for name in added:
            log.info("reload: [%s] added", name)
        for name in removed:
            log.info("reload: [%s] removed", name)
        return added, removed
