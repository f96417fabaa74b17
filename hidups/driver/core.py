"""The driver core: one UPS's life as NUT's ``main.c`` runs it, for any device protocol.

Update schedule (QUICK every ``pollinterval``, FULL every ``pollfreq`` or after a
write), ``ups.status``/``ups.alarm`` commit, stale and reconnect, reload. The device
is a :class:`hidups.driver.protocol.Session` opened by a
:class:`hidups.driver.protocol.DeviceProtocol`; everything protocol-specific sits
behind those. One lock: the loop, the event reader's callbacks and the socket
server's command calls all take it before touching the session or the status.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Generic

from hidups.device import DeviceInfo
from hidups.driver.commands import CommandPath
from hidups.driver.protocol import DeviceProtocol, S, StatusReport, WalkMode, WalkOutcome
from hidups.driver.publish import OverridingPublisher, Store
from hidups.driver.settings import Settings
from hidups.driver.status import charge_trend, commit_status
from hidups.errors import DescriptorError, DeviceGone, DeviceNotFound, GiveUp, TransportError
from hidups.numbers import c_atoi

log = logging.getLogger(__name__)

#: Back-off between attempts to open a device that is there but fails to open: poll
#: interval doubled per failure, capped. A device that is not there is looked for at
#: every update.
RECONNECT_BACKOFF_CAP = 30.0
#: How often a waiting event callback looks whether its session was stopped.
LOCK_POLL = 0.1

#: Options a reload applies while running (NUT master's reloadable ones, plus those
#: usbhid-ups reads each loop or at commit time). Any other change needs a restart.
RUNTIME_OPTIONS: frozenset[str] = frozenset({
    "pollinterval", "pollfreq", "offdelay", "ondelay", "lowbatt", "ignorelb",
    "onlinedischarge", "onlinedischarge_onbattery", "onlinedischarge_calibration",
    "onlinedischarge_log_throttle_sec", "onlinedischarge_log_throttle_hovercharge",
    "lbrb_log_delay_sec", "lbrb_log_delay_without_calibrating",
    "sdcommands", "waitbeforereconnect", "reconnect_report_freq",
    "interrupt_pipe_no_events_tolerance", "debug_min", "synchronous", "allow_killpower",
    "desc", "sdorder", "maxstartdelay", "maxretry", "retrydelay", "nowait", "driverpath",
    "notification", "sddelay",
})


@dataclass
class ReloadResult:
    """What a reload did: options applied live, and changed ones that need a restart."""

    applied: list[str] = field(default_factory=list)
    restart: list[str] = field(default_factory=list)


class Driver(Generic[S]):
    """One UPS driven as NUT drives it, publishing into a dstate ``Store``.

    ``protocol`` is any :class:`hidups.driver.protocol.DeviceProtocol`; ``Driver[HidSession]``
    lets callers see the protocol's own session type.
    """

    def __init__(
        self,
        options: Mapping[str, str],
        store: Store,
        protocol: DeviceProtocol[S],
        *,
        upsname: str = "ups",
        overrides: Mapping[str, str] | None = None,
        defaults: Mapping[str, str] | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        charge_trend: bool = False,
    ) -> None:
        self.user_options = dict(options)
        self.store = store
        self.protocol = protocol
        self.upsname = upsname
        self.overrides = dict(overrides or {})
        self.defaults = dict(defaults or {})
        self.publisher = OverridingPublisher(store, self.overrides, self.defaults)
        self.clock = clock
        self.sleep = sleep
        self.use_charge_trend = charge_trend
        self.lock = threading.RLock()
        self.wake = threading.Event()
        self.commands = CommandPath(self)
        self.settings = Settings.from_options(self.user_options)
        self.options: Mapping[str, str] = dict(self.user_options)
        self.session: S | None = None
        #: the last session lost; the next one takes its state over
        self._previous: S | None = None
        self.device: DeviceInfo | None = None
        self.alarm_active = False
        self.data_changed = False
        self.last_full = 0.0
        self.previous_charge: float | None = None
        self.lost = False
        self.reconnect_failures = 0
        self.reconnect_count = 0
        #: failed opens of a device that was found, in a row: what the back-off grows with
        self.open_failures = 0
        self.last_failure = ""
        self.next_reconnect = 0.0
        #: events were started once: restart them on every new session
        self.events_wanted = False
        #: why the data is stale while the device is connected ("" when fresh)
        self.stale_reason = ""
        self.stale_since = 0.0

    # --- start-up -------------------------------------------------------------------

    def set_state(self, state: str) -> None:
        """``driver.state``, with NUT's state names."""
        self.store.set("driver.state", state)

    def get(self, name: str) -> str | None:
        """A published variable's value."""
        return self.store.get(name)

    def publish(self, name: str, value: str) -> None:
        """Set a variable unless the user overrode it (``override.X``)."""
        self.publisher.publish(name, value)

    def start(self) -> None:
        """Open the device, publish identity, run the INIT walk (NUT's initups/initinfo)."""
        self.set_state("init.device")
        for name, value in self.defaults.items():
            self.store.set(name, value)
        for name, value in self.overrides.items():
            self.store.set(name, value)
            self.store.set_flags(name, "IMMUTABLE")
        session = self.protocol.open(self.user_options, user_options=self.user_options,
                                     previous=None)
        self._adopt(session)
        self.set_state("init.info")
        self.store.set("driver.version.data", session.version_data)
        with self.lock:
            outcome = session.start(self.publisher, first=True)
            self.data_changed = outcome.wrote or self.data_changed
            self._apply_init_options()
            self._add_composite_commands(session)
            self.store.add_cmd("shutdown.default")
            # As NUT: ups.alarm waits for the first FULL walk (pollfreq after start-up).
            self._commit(session.status(WalkMode.INIT))
        self.store.set("driver.parameter.pollfreq", f"{self.settings.pollfreq:g}")
        self.last_full = self.clock()

    def _adopt(self, session: S) -> None:
        self.session = session
        self.device = session.device
        self.options = session.options
        self.settings = session.settings

    def _apply_init_options(self) -> None:
        """``lowbatt``/``ondelay``/``offdelay`` replace driver-side values (not the UPS's)."""
        for var, opt in (("battery.charge.low", "lowbatt"),
                         ("ups.delay.start", "ondelay"),
                         ("ups.delay.shutdown", "offdelay")):
            if self.store.get(var) is not None and opt in self.options:
                self.publish(var, str(c_atoi(self.options[opt])))

    def _add_composite_commands(self, session: S) -> None:
        off = session.has_command("load.off.delay")
        on = session.has_command("load.on.delay")
        if off:
            self.store.add_cmd("load.off")
        if on:
            self.store.add_cmd("load.on")
        if off and on:
            self.store.add_cmd("shutdown.return")
            self.store.add_cmd("shutdown.stayoff")

    # --- the loop -------------------------------------------------------------------

    def update(self, *, read_interrupt: bool = False) -> None:
        """One pass of NUT's ``upsdrv_updateinfo``.

        Events normally arrive on their own thread; with ``read_interrupt`` (``-d`` runs)
        one event transfer is read here first, as NUT reads it in every update.
        """
        if (self.lost or self.session is None) and not self.try_reconnect():
            return
        if read_interrupt:
            self._read_event_once()
        if self.lost and not self.try_reconnect():
            return
        with self.lock:
            session = self.session
            if session is None:
                return
            self.previous_charge = self._charge()
            if session.events_silent():
                # NUT's cure for a pipe gone quiet: reopen the device. It is probably
                # still there, so no DATASTALE unless reopening fails.
                self.lose("interrupt pipe silent", stale=False)
        if self.lost and not self.try_reconnect():
            return
        with self.lock:
            session = self.session
            if session is None:
                return
            now = self.clock()
            full = now >= self.last_full + self.settings.pollfreq or self.data_changed
            mode = WalkMode.FULL if full else WalkMode.QUICK
            try:
                outcome = session.walk(mode, data_changed=self.data_changed)
            except DeviceGone as exc:
                self.lose(str(exc))
                return
            if full:
                self.last_full = now
                self.data_changed = False
            self.data_changed = outcome.wrote or self.data_changed
            self._commit(session.status(mode))
            self._freshness(outcome)

    def _freshness(self, outcome: WalkOutcome) -> None:
        """DATAOK only for data the walk really read; one log line per change."""
        if outcome.fresh:
            if self.stale_reason:
                log.warning("UPS data is fresh again (stale for %.1f s)",
                            self.clock() - self.stale_since)
            self.stale_reason = ""
            self.store.data_ok()
            return
        if not self.stale_reason:
            log.warning("UPS data is stale: %s", outcome.why)
            self.stale_since = self.clock()
        self.stale_reason = outcome.why
        self.store.data_stale()

    def _read_event_once(self) -> None:
        session = self.session
        if session is None:
            return
        try:
            data = session.read_event_once()
        except (TransportError, OSError) as exc:
            with self.lock:
                self.lose(f"interrupt pipe: {exc}")
            return
        if data:
            with self.lock:
                session.apply_event(data)
                self._commit(session.status(None))

    # --- events ---------------------------------------------------------------------

    def start_events(self) -> None:
        """Start the session's event source (HID: the interrupt reader thread)."""
        with self.lock:
            self.events_wanted = True
            if self.session is not None:
                self.session.start_events(self._on_event, self._on_event_error)

    def _locked(self, session: S) -> bool:
        """Take the lock for an event of ``session``; False when it stopped meanwhile.

        The reader never blocks on the lock for good: a session being closed joins its
        reader while the closer holds the lock.
        """
        while not self.lock.acquire(timeout=LOCK_POLL):
            if session is not self.session:
                return False
        if session is not self.session:
            self.lock.release()
            return False
        return True

    def handle_event(self, data: bytes) -> None:
        """Apply one event (an interrupt report) and commit the status at once."""
        with self.lock:
            if self.session is not None:
                self.session.apply_event(data)
                self._commit(self.session.status(None))

    def _on_event(self, session: S, data: bytes) -> None:
        if not self._locked(session):
            return
        try:
            session.apply_event(data)
            self._commit(session.status(None))
        finally:
            self.lock.release()

    def _on_event_error(self, session: S, exc: Exception) -> None:
        if not self._locked(session):
            return
        try:
            self.lose(f"interrupt pipe: {exc}")
        finally:
            self.lock.release()

    # --- status ---------------------------------------------------------------------

    def _charge(self) -> float | None:
        text = self.store.get("battery.charge")
        if text is None:
            return None
        try:
            return float(text)
        except ValueError:
            return None

    def _commit(self, report: StatusReport) -> None:
        """A session's status → ``ups.alarm``, ``ups.status`` and their side variables."""
        if report.alarms is not None:
            if report.alarms:
                self.publish("ups.alarm", " ".join(report.alarms))
                self.alarm_active = True
            else:
                self.store.delete("ups.alarm")
                self.alarm_active = False
        if report.transfer_reason is not None:
            self.publish("input.transfer.reason", report.transfer_reason)
        elif self.store.get("input.transfer.reason") is not None:
            self.store.delete("input.transfer.reason")
        if report.buzzwords:
            self.publish("experimental.ups.mode.buzzwords", " ".join(report.buzzwords))
        elif self.store.get("experimental.ups.mode.buzzwords") is not None:
            self.store.delete("experimental.ups.mode.buzzwords")
        trend = None
        if self.use_charge_trend:
            trend = charge_trend(report.words, self.previous_charge, self._charge())
        text = commit_status(report.words, self.store.get, ignorelb=self.settings.ignorelb,
                             alarm_active=self.alarm_active, trend=trend)
        self.publish("ups.status", text)

    # --- losing and finding the device ----------------------------------------------

    def lose(self, why: str, *, stale: bool = True) -> None:
        """The device is gone: stop its session, mark stale at once, reconnect later."""
        if self.lost:
            return
        log.warning("lost the UPS: %s", why)
        self.lost = True
        session, self.session = self.session, None
        if session is not None:
            self._previous = session
            session.close()
        self.set_state("reconnect.trying")
        if not self.stale_reason:  # "fresh again" after the reconnect counts from here
            self.stale_reason, self.stale_since = why, self.clock()
        if stale:
            self.store.data_stale()
        self.next_reconnect = 0.0
        self.wake.set()

    def try_reconnect(self) -> bool:
        """One reconnect attempt unless a failed open is backing off; True when connected."""
        if self.clock() < self.next_reconnect:
            return False
        if self.settings.waitbeforereconnect > 0:
            self.sleep(self.settings.waitbeforereconnect)
        session: S | None = None
        why = "no candidate"
        found = False
        for options in self.protocol.reconnect_options(self.user_options, self.device):
            try:
                session = self.protocol.open(options, user_options=self.user_options,
                                             previous=self._previous)
                break
            except DeviceNotFound as exc:
                why = str(exc)
            except (TransportError, OSError, DescriptorError) as exc:
                why, found = str(exc), True
        if session is None:
            return self._reconnect_failed(why, found=found)
        with self.lock:
            try:
                self._adopt(session)
                self.set_state("reconnect.updateinfo")
                outcome = session.start(self.publisher, first=False)
                self._commit(session.status(WalkMode.INIT))
            except (DeviceGone, TransportError, DescriptorError) as exc:
                self.session = None
                self._previous = session
                session.close()
                return self._reconnect_failed(str(exc), found=True)
            self.lost = False
            self.reconnect_failures = 0
            self.open_failures = 0
            self.last_failure = ""
            self.reconnect_count += 1
            self.store.set("driver.reconnect_count", str(self.reconnect_count))
            self.store.set("driver.reconnect_max_tries", str(self.settings.reconnect_max_tries))
            self.data_changed = True  # re-read the semi-static values too
            self.stale_reason = self.stale_reason or "reconnecting"  # stale until fresh
            self._freshness(outcome)
            self.set_state("quiet")
            log.info("UPS reconnected")
            if self.events_wanted:
                session.start_events(self._on_event, self._on_event_error)
        return True

    def _reconnect_failed(self, why: str, *, found: bool) -> bool:
        """Look for the device again at the next update; back off only when it was found
        but could not be opened (the expensive, possibly slow steps)."""
        self.reconnect_failures += 1
        if why != self.last_failure:  # one line per new reason, not one per attempt
            log.info("reconnect failed (%d): %s", self.reconnect_failures, why)
        else:
            log.debug("reconnect failed (%d): %s", self.reconnect_failures, why)
        self.last_failure = why
        self.store.data_stale()
        if 0 <= self.settings.reconnect_max_tries <= self.reconnect_failures:
            raise GiveUp(f"gave up after {self.reconnect_failures} reconnect attempts")
        if not found:
            self.next_reconnect = 0.0  # enumerating is cheap: try at every update
            return False
        self.open_failures += 1
        delay = min(self.settings.pollinterval * 2 ** (self.open_failures - 1),
                    max(RECONNECT_BACKOFF_CAP, self.settings.pollinterval))
        self.next_reconnect = self.clock() + delay
        return False

    # --- reloading ups.conf ---------------------------------------------------------

    def reload(self, options: Mapping[str, str], *, overrides: Mapping[str, str] | None = None,
               defaults: Mapping[str, str] | None = None) -> ReloadResult:
        """Apply a fresh read of the configuration as far as it can be applied live.

        Options in :data:`RUNTIME_OPTIONS` and ``default.``/``override.`` values take
        effect at once (a FULL walk follows); any other changed option (matching,
        ``port``, backend, ...) is reported for a restart and left as it was, as NUT
        master's reload does. A bad value changes nothing (ConfigError).
        """
        result = ReloadResult()
        new = dict(options)
        with self.lock:
            candidate = dict(self.user_options)
            for name in sorted(set(self.user_options) | set(new)):
                if self.user_options.get(name) == new.get(name):
                    continue
                if name not in RUNTIME_OPTIONS:
                    result.restart.append(name)
                    continue
                result.applied.append(name)
                if name in new:
                    candidate[name] = new[name]
                else:
                    del candidate[name]
            Settings.from_options(candidate)  # refuse a bad value before changing anything
            self.user_options = candidate
            result.applied += self._reload_variables("override.", self.overrides,
                                                     dict(overrides or {}))
            result.applied += self._reload_variables("default.", self.defaults,
                                                     dict(defaults or {}))
            if self.session is not None:
                self.session.configure(self.user_options)
                self._adopt(self.session)
                self._apply_init_options()
            else:
                self.settings = Settings.from_options(self.user_options)
            self.store.set("driver.parameter.pollinterval", f"{self.settings.pollinterval:g}")
            self.store.set("driver.parameter.pollfreq", f"{self.settings.pollfreq:g}")
            self.data_changed = True  # the next update is a FULL walk with the new values
        self.wake.set()
        for name in result.applied:
            log.info("reload: %s applied", name)
        for name in result.restart:
            log.warning("reload: %s changed; restart the driver to apply it", name)
        return result

    def _reload_variables(self, prefix: str, current: dict[str, str],
                          new: dict[str, str]) -> list[str]:
        """``override.X``/``default.X`` changes: set, or give the variable back."""
        changed: list[str] = []
        for name in sorted(set(current) | set(new)):
            if current.get(name) == new.get(name):
                continue
            changed.append(prefix + name)
            old_value = current.pop(name, None)
            if name in new:
                current[name] = new[name]
                value = new[name]
                if prefix == "override.":
                    if old_value is not None:
                        self.store.delete(name)  # an IMMUTABLE value cannot be changed
                    self.store.set(name, value)
                    self.store.set_flags(name, "IMMUTABLE")
                elif name in self.overrides:
                    pass
                elif self.store.get(name) in (None, old_value):
                    self.store.set(name, value)
            elif prefix == "override." or self.store.get(name) == old_value:
                # No longer forced: the device's value (if any) comes back with the
                # next FULL walk.
                self.store.delete(name)
        return changed

    def close(self) -> None:
        """Stop the session (its event reader first), then release the device."""
        with self.lock:
            session, self.session = self.session, None
        if session is not None:
            session.close()

