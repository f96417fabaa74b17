"""The driver engine: one UPS, its rows, the walks, interrupt events and reconnects.

This is NUT's ``usbhid-ups.c`` core re-thought around one lock: the poll loop, the
interrupt thread and the socket server's command calls all take it before touching
the device or the status bits, so an interrupt that changes ``ups.status`` is
committed (and broadcast by dstate) at once, not at the next poll.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from hidups.descriptor.model import Field, ReportDescriptor, ReportType
from hidups.device import DeviceInfo
from hidups.driver.context import DriverContext
from hidups.driver.status import (
    StatusBits,
    StatusOptions,
    StatusSynthesizer,
    alarm_texts,
    charge_trend,
    commit_status,
)
from hidups.driver.walk import (
    Binding,
    DeviceGone,
    ReportCache,
    WalkMode,
    WalkStats,
    bind_rows,
    read_field,
    rows_for,
    skipped_reports,
)
from hidups.errors import (
    ConfigError,
    DescriptorError,
    ProtocolError,
    TransportError,
    TransportTimeout,
)
from hidups.hid2nut.lookups import c_atoi
from hidups.hid2nut.subdriver import Subdriver
from hidups.hid2nut.table import Flag, Lookup, Row, format_number
from hidups.usages import UsageTable

log = logging.getLogger(__name__)

DEFAULT_POLLINTERVAL = 2.0
DEFAULT_POLLFREQ = 30.0
#: Most interrupt-IN bytes read at once (NUT's buffer), unless ``interruptsize``.
INTERRUPT_SIZE = 512
#: Seconds one interrupt read waits; short so the thread notices a stop quickly.
INTERRUPT_TIMEOUT = 0.5
#: NUT's wait for one interrupt transfer in each update (``-d`` runs, first update).
NUT_INTERRUPT_WAIT = 0.75
#: Most Input fields one interrupt report turns into events (NUT's MAX_EVENT_NUM).
MAX_EVENTS = 32
#: Back-off between reconnect attempts: poll interval doubled per failure, capped.
RECONNECT_BACKOFF_CAP = 30.0


class Transport(Protocol):
    """What the engine needs of ``hidups.transport.base.Transport``."""

    info: DeviceInfo

    def close(self) -> None: ...
    def report_descriptor(self) -> bytes: ...
    def get_report(self, report_type: ReportType, report_id: int, length: int) -> bytes: ...
    def set_report(self, report_type: ReportType, report_id: int, data: bytes) -> None: ...
    def read_interrupt(self, timeout: float, size: int = 512) -> bytes | None: ...
    def get_string(self, index: int) -> str | None: ...


class Store(Protocol):
    """What the engine needs of ``hidups.nut.dstate.DState``."""

    def set(self, name: str, value: str) -> None: ...
    def get(self, name: str) -> str | None: ...
    def delete(self, name: str) -> None: ...
    def set_flags(self, name: str, *flags: str) -> None: ...
    def set_aux(self, name: str, length: int) -> None: ...
    def add_enum(self, name: str, value: str) -> None: ...
    def add_cmd(self, name: str) -> None: ...
    def has_cmd(self, name: str) -> bool: ...
    def data_ok(self) -> None: ...
    def data_stale(self) -> None: ...
    def names(self) -> list[str]: ...


Opener = Callable[[Mapping[str, str]], Transport]
#: Picks the subdriver: (device, options, raw report descriptor) → subdriver.
Selector = Callable[[DeviceInfo, Mapping[str, str], bytes], Subdriver]


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


class GiveUp(Exception):
    """``reconnect_max_tries`` is used up: the driver exits, as NUT's does."""


def _float_option(options: Mapping[str, str], name: str, default: float) -> float:
    text = options.get(name)
    if text is None or text == "":
        return default
    try:
        return float(text)
    except ValueError as exc:
        raise ConfigError(f"option {name}={text!r} is not a number", option=name) from exc


def standard_usages() -> UsageTable | None:
    """The standard usage tables the vendor tables chain to, if the package has one."""
    import hidups.usages as usages_pkg

    for attr in ("STANDARD", "STANDARD_USAGES", "standard"):
        table = getattr(usages_pkg, attr, None)
        if isinstance(table, UsageTable):
            return table
        if callable(table):
            made = table()
            if isinstance(made, UsageTable):
                return made
    return None


@dataclass
class Timing:
    """Loop periods, from the options (``pollinterval``, ``pollfreq``)."""

    pollinterval: float = DEFAULT_POLLINTERVAL
    pollfreq: float = DEFAULT_POLLFREQ


@dataclass
class Counters:
    """What the engine did; logged at debug, not published (no non-NUT variables)."""

    walks: dict[str, int] = field(default_factory=lambda: {m.value: 0 for m in WalkMode})
    transfers: int = 0
    interrupts: int = 0
    reconnects: int = 0


class Engine:
    """One UPS driven as usbhid-ups drives it, publishing into a dstate ``Store``."""

    def __init__(
        self,
        options: Mapping[str, str],
        store: Store,
        opener: Opener,
        selector: Selector,
        *,
        upsname: str = "ups",
        overrides: Mapping[str, str] | None = None,
        defaults: Mapping[str, str] | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        charge_trend: bool = False,
    ) -> None:
        self.user_options = dict(options)
        self.options: dict[str, str] = dict(options)
        self.store = store
        self.opener = opener
        self.selector = selector
        self.upsname = upsname
        self.overrides = dict(overrides or {})
        self.defaults = dict(defaults or {})
        self.clock = clock
        self.sleep = sleep
        self.use_charge_trend = charge_trend
        self.lock = threading.RLock()
        self.wake = threading.Event()
        self.counters = Counters()
        from hidups.driver.commands import Commands

        self.commands = Commands(self)

        self.transport: Transport | None = None
        self.device: DeviceInfo | None = None
        self.subdriver: Subdriver | None = None
        self.desc: ReportDescriptor | None = None
        self.raw_descriptor: bytes = b""
        self.usages: UsageTable = UsageTable()
        self.cache: ReportCache | None = None
        self.ctx: DriverContext | None = None
        self.active: list[Binding] = []
        self._owned_before_init: set[str] | None = None
        self._by_field: dict[int, Binding] = {}
        self._event_target: dict[int, Binding | None] = {}

        self.bits = StatusBits()
        self.synth = StatusSynthesizer(upsname=upsname)
        self.alarms: list[str] = []
        self.buzz_requested: list[str] = []
        self.alarm_active = False
        self.data_changed = False
        self.last_full = 0.0
        self.previous_charge: float | None = None

        self.timing = Timing()
        self.use_interrupts = True
        self.interrupt_only = False
        self.interrupt_size = INTERRUPT_SIZE
        self.no_events_tolerance = -1
        self._no_events = 0
        self._got_interrupt = False
        self._interrupt_thread: threading.Thread | None = None
        self._interrupts_wanted = False
        self._interrupt_stop = threading.Event()

        self.lost = False
        self.reconnect_failures = 0
        self.reconnect_count = 0
        self.next_reconnect = 0.0
        self.max_tries = int(_float_option(options, "reconnect_max_tries", -1))

    # --- start-up -------------------------------------------------------------------

    def set_state(self, state: str) -> None:
        """``driver.state``, with NUT's state names."""
        self.store.set("driver.state", state)

    def start(self) -> None:
        """Open the device, pick the subdriver, publish identity, run the INIT walk."""
        self.set_state("init.device")
        for name, value in self.defaults.items():
            self.store.set(name, value)
        for name, value in self.overrides.items():
            self.store.set(name, value)
            self.store.set_flags(name, "IMMUTABLE")
        transport = self.opener(self.user_options)
        self._adopt(transport, first=True)
        self.set_state("init.info")
        self.init_info()

    def _adopt(self, transport: Transport, *, first: bool) -> None:
        """Take an opened transport: descriptor, subdriver, fix-ups, bindings."""
        device = transport.info
        raw = bytes(transport.report_descriptor())
        if first or self.subdriver is None:
            subdriver = self.selector(device, self.user_options, raw)
            self.subdriver = subdriver
            self._apply_option_defaults(subdriver, device)
        subdriver = self.subdriver
        same = (not first) and raw == self.raw_descriptor and self.desc is not None
        if not same:
            desc = ReportDescriptor.from_bytes(raw)
            if "disable_fix_report_desc" not in self.options:
                for line in subdriver.fix_report_desc(device, desc, self.options):
                    log.info("descriptor fix-up: %s", line)
            self.desc = desc
            self.raw_descriptor = raw
        assert self.desc is not None
        std = standard_usages()
        self.usages = subdriver.usages.chained(std) if std is not None else subdriver.usages
        self.transport = transport
        self.device = device
        self.cache = ReportCache(
            transport.get_report,
            self.desc,
            max_report="maxreport" in self.options,
            skipped=skipped_reports(self.options),
            never_fetch=self.interrupt_only,
            clock=self.clock,
        )
        if self.ctx is None:
            self.ctx = DriverContext(
                device, self.options, self.store.get, self._read_string, self.usages
            )
        self.ctx.device = device
        self.ctx.cache = self.cache
        self.ctx.forget_strings()
        if not same:
            self.active = []  # rebuilt by the INIT walk
        # Identity hooks and the INIT walk share one walk of the cache: the hooks of
        # some subdrivers read reports the INIT walk reads again.
        self.cache.new_walk()
        self._publish_identity(subdriver, device)

    def _read_string(self, index: int) -> str | None:
        if self.transport is None:
            return None
        return self.transport.get_string(index)

    def _apply_option_defaults(self, subdriver: Subdriver, device: DeviceInfo) -> None:
        """Subdriver defaults, then the claim's tweaks, then the user's own options."""
        claim = subdriver.claims(device, self.user_options)
        merged: dict[str, str] = dict(subdriver.defaults)
        if claim is not None:
            merged.update(claim.tweaks)
        merged.update(self.user_options)
        self.options.clear()
        self.options.update(merged)
        opts = self.options
        self.timing = Timing(
            pollinterval=_float_option(opts, "pollinterval", DEFAULT_POLLINTERVAL),
            pollfreq=_float_option(opts, "pollfreq", DEFAULT_POLLFREQ),
        )
        if self.timing.pollinterval <= 0:
            raise ConfigError("pollinterval must be above 0", option="pollinterval")
        self.interrupt_only = "interruptonly" in opts
        self.use_interrupts = "pollonly" not in opts
        if "interruptsize" in opts:
            size = int(_float_option(opts, "interruptsize", 0))
            if size <= 0:
                raise ConfigError(f"invalid interruptsize: {opts['interruptsize']}",
                                  option="interruptsize")
            self.interrupt_size = min(size, INTERRUPT_SIZE)
        self.no_events_tolerance = int(
            _float_option(opts, "interrupt_pipe_no_events_tolerance", -1))
        self.synth.options = StatusOptions.from_options(opts, device)

    def _publish_identity(self, subdriver: Subdriver, device: DeviceInfo) -> None:
        assert self.ctx is not None
        for name, fmt in (
            ("ups.mfr", subdriver.format_mfr),
            ("ups.model", subdriver.format_model),
            ("ups.serial", subdriver.format_serial),
        ):
            value = fmt(device, self.ctx)
            if value is not None:
                self.publish(name, value)
            elif name not in self.overrides:
                self.store.delete(name)
        self.publish("ups.vendorid", f"{device.vendor_id:04x}")
        self.publish("ups.productid", f"{device.product_id:04x}")
        self.drain_requests()

    def drain_requests(self) -> None:
        """Carry out what conversions asked for through ``ctx.state``.

        NUT's conversion functions call ``dstate_setinfo``/``dstate_delinfo``/``setvar``
        directly; ours leave requests in ``ctx.state``: ``"publish"`` (name → value),
        ``"delete"`` (names), ``"buzzmode"`` (a buzzword) and ``"setvar"`` (pairs).
        """
        if self.ctx is None:
            return
        state = self.ctx.state
        published = state.pop("publish", None)
        if isinstance(published, dict):
            for name, value in published.items():
                self.publish(str(name), str(value))
        deleted = state.pop("delete", None)
        if isinstance(deleted, (set, list, tuple)):
            for name in deleted:
                if name not in self.overrides:
                    self.store.delete(str(name))
        buzz = state.pop("buzzmode", None)
        if isinstance(buzz, str) and buzz and buzz not in self.buzz_requested:
            self.buzz_requested.append(buzz)
        writes = state.pop("setvar", None)
        if isinstance(writes, list):
            for name, value in writes:
                status = self.commands.setvar(str(name), str(value))
                log.debug("requested write %s=%s: status %d", name, value, status)

    def publish(self, name: str, value: str) -> None:
        """Set a variable unless the user overrode it (``override.X``)."""
        if name in self.overrides:
            return
        self.store.set(name, value)

    def init_info(self) -> None:
        """NUT's ``upsdrv_initups`` tail and ``upsdrv_initinfo``."""
        assert self.subdriver is not None
        self.store.set("driver.version.data", self.subdriver.full_name)
        with self.lock:
            self.init_walk()
            self._apply_init_options()
            self._add_composite_commands()
            self.store.add_cmd("shutdown.default")
            # As NUT: ups.alarm waits for the first FULL walk (pollfreq after start-up).
            self.alarms = []
            self._commit_status()
        self.store.set("driver.parameter.pollfreq", f"{self.timing.pollfreq:g}")
        self.last_full = self.clock()

    def _apply_init_options(self) -> None:
        """``lowbatt``/``ondelay``/``offdelay`` replace driver-side values (not the UPS's)."""
        for var, opt in (("battery.charge.low", "lowbatt"),
                         ("ups.delay.start", "ondelay"),
                         ("ups.delay.shutdown", "offdelay")):
            if self.store.get(var) is not None and opt in self.options:
                self.publish(var, str(c_atoi(self.options[opt])))

    def _add_composite_commands(self) -> None:
        off = self.find_row("load.off.delay") is not None
        on = self.find_row("load.on.delay") is not None
        if off:
            self.store.add_cmd("load.off")
        if on:
            self.store.add_cmd("load.on")
        if off and on:
            self.store.add_cmd("shutdown.return")
            self.store.add_cmd("shutdown.stayoff")

    # --- walks ----------------------------------------------------------------------

    def init_walk(self) -> WalkStats:
        """Bind rows, drop duplicates (first row with a value wins), read everything."""
        assert self.desc is not None and self.subdriver is not None and self.cache is not None
        stats = WalkStats(WalkMode.INIT)
        self.counters.walks[WalkMode.INIT.value] += 1
        self.alarms = []
        self._share_status_bits()
        if self.active:
            # Reconnected to the same descriptor: the bindings stand; read them again.
            self._read_rows(self.active, stats, init=True)
            self._index_bindings()
            self.drain_requests()
            return stats
        rows = self.subdriver.hid2nut
        bindings = bind_rows(rows, self.desc, self.usages, interrupt_only=self.interrupt_only)
        if self._owned_before_init is None:
            # What the INIT walk may not replace: identity and override values, and
            # anything else set before the first walk (NUT: "already in dstate").
            before = {n.lower() for n in self.store.names()}
            self._owned_before_init = before - {n.lower() for n in self.defaults}
        owned = set(self._owned_before_init)
        active: list[Binding] = []
        for binding in bindings:
            if binding is None:
                continue
            row = binding.row
            if row.flags & Flag.ABSENT:
                active.append(binding)
                if self.store.get(row.name) is None:
                    self.store.set(row.name, row.fmt or "")
                    self._set_meta(row)
                owned.add(row.name.lower())
                continue
            deduplicated = not (row.is_status or row.is_alarm or row.is_command)
            if deduplicated and row.name.lower() in owned:
                continue
            active.append(binding)
            if self._read_one(binding, stats, init=True):
                owned.add(row.name.lower())
        self.active = active
        self._index_bindings()
        self.drain_requests()
        return stats

    def _index_bindings(self) -> None:
        """Field → first row reading it (NUT's ``find_hid_info``), for interrupt events."""
        self._by_field = {}
        for b in self.active:
            if b.row.flags & (Flag.ABSENT | Flag.CMD):
                continue
            self._by_field.setdefault(id(b.field), b)
        self._event_target = {}

    def _set_meta(self, row: Row) -> None:
        """SETFLAGS/SETAUX/ADDENUM for a variable the INIT walk created."""
        flags = [f for f, bit in (("RW", Flag.RW), ("STRING", Flag.STRING)) if row.flags & bit]
        if flags:
            self.store.set_flags(row.name, *flags)
        if row.flags & Flag.STRING:
            self.store.set_aux(row.name, row.length)
        if row.flags & Flag.ENUM and row.flags & Flag.RW and row.lookup is not None:
            for text in self._enum_values(row.lookup):
                self.store.add_enum(row.name, text)

    def _enum_values(self, lookup: Lookup) -> list[str]:
        """The look-up's values this device supports: those its conversion accepts.

        NUT publishes an entry only when converting its HID value gives a text (MGE's
        output voltage choices depend on the model), so we ask the same of each value.
        """
        assert self.ctx is not None
        kept: list[str] = []
        for text in lookup.enum_values():
            try:
                hid = lookup.to_hid(text, self.ctx)
                shown = None if hid is None else lookup.to_nut(hid, self.ctx)
            except DeviceGone:
                raise
            except Exception:  # a conversion's bug must not stop the driver
                log.exception("enumerating %r failed on %r", lookup, text)
                continue
            if shown is not None:
                kept.append(text)
        return kept

    def _read_rows(self, bindings: Sequence[Binding], stats: WalkStats, *, init: bool) -> None:
        """Read rows through the cache and apply them.

        Raises :class:`DeviceGone` when the device went away.
        """
        for b in bindings:
            self._read_one(b, stats, init=init)

    def _read_one(self, b: Binding, stats: WalkStats, *, init: bool) -> bool:
        """Read and apply one row; True when it set a variable."""
        assert self.cache is not None
        if b.row.flags & Flag.ABSENT:
            return False
        stats.polled += 1
        before = self.cache.walk_transfers
        value = read_field(self.cache, b.field)
        stats.transfers += self.cache.walk_transfers - before
        stats.reports.add((b.field.report_type, b.field.report_id))
        if value is None:
            return False
        stats.succeeded += 1
        if b.row.is_command:
            if init:
                self.store.add_cmd(b.row.name)
            return False
        if self.apply_value(b.row, value):
            if init:
                self._set_meta(b.row)
            return True
        return False

    def apply_value(self, row: Row, value: float) -> bool:
        """NUT's ``ups_infoval_set``: a value into a status bit, an alarm or a variable.

        True when a variable was set (so INIT may add its flags).
        """
        assert self.ctx is not None
        if row.lookup is not None:
            try:
                text = row.lookup.to_nut(value, self.ctx)
            except DeviceGone:
                raise
            except Exception:  # a conversion's bug must not stop the driver
                log.exception("%s: conversion %r failed on %g", row.name, row.lookup, value)
                return False
            if text is None:
                return False
            if row.is_status:
                self.bits.apply(text)
                self._share_status_bits()
                return False
            if row.is_alarm:
                self.alarms.append(text)
                return False
            self.publish(row.name, text)
            return True
        if row.is_status or row.is_alarm:
            return False
        self.publish(row.name, format_number(row.fmt, value))
        return True

    def _share_status_bits(self) -> None:
        """``ctx.state["status_bits"]``: the bits so far, for conversions that need them
        (MGE's converter-online row reads ``off``), as NUT's read its status global."""
        if self.ctx is not None:
            self.ctx.state["status_bits"] = set(self.bits.bits)

    def walk(self, mode: WalkMode) -> WalkStats:
        """A QUICK or FULL walk over the active rows (the lock is held by the caller)."""
        assert self.cache is not None
        self.counters.walks[mode.value] += 1
        self.cache.new_walk()
        chosen = rows_for(mode, self.active, use_interrupts=self.use_interrupts,
                          data_changed=self.data_changed)
        stats = WalkStats(mode)
        self._share_status_bits()
        self._read_rows(chosen, stats, init=False)
        self.drain_requests()
        self.counters.transfers += stats.transfers
        log.debug("%s walk: %d rows, %d read, %d reports, %d transfers",
                  mode.value, stats.polled, stats.succeeded, len(stats.reports),
                  stats.transfers)
        silent = stats.polled > 0 and stats.succeeded == 0 and self.cache.walk_answers == 0
        if silent and not self.interrupt_only:  # interruptonly never asks the device
            # NUT master reconnects when nothing at all could be read. A stall is an
            # answer, though: the device is there and refuses that report.
            raise DeviceGone(f"{mode.value} walk: none of {stats.polled} rows could be read")
        return stats

    # --- status ---------------------------------------------------------------------

    def _commit_alarms(self) -> None:
        texts = self.alarms + alarm_texts(self.bits)
        if texts:
            self.publish("ups.alarm", " ".join(texts))
            self.alarm_active = True
        else:
            self.store.delete("ups.alarm")
            self.alarm_active = False

    def _charge(self) -> float | None:
        text = self.store.get("battery.charge")
        if text is None:
            return None
        try:
            return float(text)
        except ValueError:
            return None

    def _commit_status(self) -> None:
        """Status bits → ``ups.status`` (and ``input.transfer.reason``), published."""
        syn = self.synth.synthesize(self.bits, self.store.get, self.clock())
        if syn.transfer_reason is not None:
            self.publish("input.transfer.reason", syn.transfer_reason)
        elif self.store.get("input.transfer.reason") is not None:
            self.store.delete("input.transfer.reason")
        buzz = self.buzz_requested + [w for w in syn.buzzwords if w not in self.buzz_requested]
        if buzz:
            self.publish("experimental.ups.mode.buzzwords", " ".join(buzz))
        elif self.store.get("experimental.ups.mode.buzzwords") is not None:
            self.store.delete("experimental.ups.mode.buzzwords")
        trend = None
        if self.use_charge_trend:
            trend = charge_trend(syn.tokens, self.previous_charge, self._charge())
        text = commit_status(syn.tokens, self.store.get, ignorelb=self.synth.options.ignorelb,
                             alarm_active=self.alarm_active, trend=trend)
        self.publish("ups.status", text)

    # --- reloading ups.conf ---------------------------------------------------------

    def reload(
        self,
        options: Mapping[str, str],
        *,
        overrides: Mapping[str, str] | None = None,
        defaults: Mapping[str, str] | None = None,
    ) -> ReloadResult:
        """Apply a fresh read of the configuration as far as it can be applied live.

        Options in :data:`RUNTIME_OPTIONS` and ``default.``/``override.`` values take
        effect at once (a FULL walk follows); any other changed option (matching,
        ``port``, backend, ...) is reported for a restart and left as it was, as NUT
        master's reload does.
        """
        result = ReloadResult()
        new = dict(options)
        with self.lock:
            for name in sorted(set(self.user_options) | set(new)):
                if self.user_options.get(name) == new.get(name):
                    continue
                if name not in RUNTIME_OPTIONS:
                    result.restart.append(name)
                    continue
                result.applied.append(name)
                if name in new:
                    self.user_options[name] = new[name]
                else:
                    del self.user_options[name]
            result.applied += self._reload_variables("override.", self.overrides,
                                                     dict(overrides or {}))
            result.applied += self._reload_variables("default.", self.defaults,
                                                     dict(defaults or {}))
            if self.subdriver is not None and self.device is not None:
                self._apply_option_defaults(self.subdriver, self.device)
                self._apply_init_options()
            self.store.set("driver.parameter.pollinterval", f"{self.timing.pollinterval:g}")
            self.store.set("driver.parameter.pollfreq", f"{self.timing.pollfreq:g}")
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

    # --- the loop -------------------------------------------------------------------

    def update(self, *, read_interrupt: bool = False) -> None:
        """One pass of NUT's ``upsdrv_updateinfo``.

        Interrupts normally arrive on their own thread; with ``read_interrupt`` (``-d``
        runs and the first update, before the thread starts) one interrupt transfer is
        read here first, as NUT reads it in every update.
        """
        if (self.lost or self.transport is None) and not self.try_reconnect():
            return
        if read_interrupt:
            self.read_interrupt_once()
        if self.lost and not self.try_reconnect():
            return
        with self.lock:
            if self.transport is None:
                return
            self.previous_charge = self._charge()
            if self._interrupts_silent():
                # NUT's cure for a pipe gone quiet: reopen the device. It is probably
                # still there, so no DATASTALE unless reopening fails.
                self._lose("interrupt pipe silent", stale=False)
        if self.lost and not self.try_reconnect():
            return
        with self.lock:
            if self.transport is None:
                return
            now = self.clock()
            full = now >= self.last_full + self.timing.pollfreq or self.data_changed
            self.buzz_requested = []
            try:
                if full:
                    self.alarms = []
                    self.walk(WalkMode.FULL)
                    self.last_full = now
                    self.data_changed = False
                    self._commit_alarms()
                else:
                    self.walk(WalkMode.QUICK)
            except DeviceGone as exc:
                self._lose(str(exc))
                return
            self._commit_status()
            self.store.data_ok()

    def _interrupts_silent(self) -> bool:
        """``interrupt_pipe_no_events_tolerance``: too many silent cycles → reconnect."""
        if not self.use_interrupts or self.no_events_tolerance < 0:
            return False
        if self._got_interrupt:
            self._no_events = 0
        else:
            self._no_events += 1
        self._got_interrupt = False
        if self._no_events > self.no_events_tolerance:
            self._no_events = 0
            log.warning("no interrupt report in %d cycles", self.no_events_tolerance + 1)
            return True
        return False

    # --- interrupts -----------------------------------------------------------------

    def start_interrupts(self) -> None:
        """Read the interrupt pipe on a thread (unless ``pollonly``)."""
        if not self.use_interrupts or self.transport is None:
            return
        self._interrupts_wanted = True
        self.stop_interrupts()
        self._interrupt_stop = threading.Event()
        thread = threading.Thread(
            target=self._interrupt_loop, args=(self.transport, self._interrupt_stop),
            name="hidups-interrupt", daemon=True,
        )
        self._interrupt_thread = thread
        thread.start()

    def stop_interrupts(self) -> None:
        self._interrupt_stop.set()
        thread = self._interrupt_thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=INTERRUPT_TIMEOUT * 4)
        self._interrupt_thread = None

    def _interrupt_loop(self, transport: Transport, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                data = transport.read_interrupt(INTERRUPT_TIMEOUT, self.interrupt_size)
            except TransportTimeout:
                continue
            except ProtocolError as exc:
                log.debug("interrupt pipe stalled: %s", exc)
                stop.wait(INTERRUPT_TIMEOUT)
                continue
            except (TransportError, OSError) as exc:
                if stop.is_set():
                    return
                with self.lock:
                    if self.transport is transport:
                        self._lose(f"interrupt pipe: {exc}")
                return
            if data is None or stop.is_set():
                continue
            with self.lock:
                if self.transport is not transport:
                    return
                self.handle_interrupt(data)

    def read_interrupt_once(self) -> None:
        """One interrupt transfer, waiting as NUT does (750 ms), applied if it came."""
        transport = self.transport
        if transport is None or not self.use_interrupts:
            return
        try:
            data = transport.read_interrupt(NUT_INTERRUPT_WAIT, self.interrupt_size)
        except (TransportTimeout, ProtocolError):
            return
        except (TransportError, OSError) as exc:
            with self.lock:
                self._lose(f"interrupt pipe: {exc}")
            return
        if data:
            with self.lock:
                self.handle_interrupt(data)

    def handle_interrupt(self, data: bytes) -> None:
        """Apply one interrupt report as NUT's events, then commit the status at once."""
        if self.desc is None or self.cache is None or not data:
            return
        self._got_interrupt = True
        self.counters.interrupts += 1
        report_id = data[0] if self.desc.uses_report_ids else 0
        payload = bytes(data)
        self.cache.store(ReportType.INPUT, report_id, payload)
        from hidups import codec

        events = [f for f in self.desc.fields
                  if f.report_type is ReportType.INPUT and f.report_id == report_id]
        for fld in events[:MAX_EVENTS]:
            target = self._event_binding(fld)
            if target is None:
                continue
            try:
                value = float(codec.read_value(fld, payload))
            except (ValueError, IndexError):
                continue
            self.apply_value(target.row, value)
        self.drain_requests()
        self._commit_status()

    def _event_binding(self, fld: Field) -> Binding | None:
        """The row an Input field's event updates: through the Feature field of that path."""
        key = id(fld)
        if key in self._event_target:
            return self._event_target[key]
        from hidups.descriptor import paths

        assert self.desc is not None
        target: Binding | None = None
        kinds = (ReportType.INPUT,) if self.interrupt_only else (
            ReportType.FEATURE, ReportType.INPUT)
        for kind in kinds:
            same = paths.find_field(self.desc, fld.path, kind)
            if same is not None:
                target = self._by_field.get(id(same))
                break
        self._event_target[key] = target
        return target

    # --- losing and finding the device ----------------------------------------------

    def _lose(self, why: str, *, stale: bool = True) -> None:
        """The device is gone: close it, mark stale at once, reconnect from the loop."""
        if self.lost:
            return
        log.warning("lost the UPS: %s", why)
        self.lost = True
        self._interrupt_stop.set()
        transport, self.transport = self.transport, None
        if transport is not None:
            try:
                transport.close()
            except Exception:  # closing a dead handle must not end the driver
                log.debug("close failed", exc_info=True)
        self.set_state("reconnect.trying")
        if stale:
            self.store.data_stale()
        self.next_reconnect = 0.0
        self.wake.set()

    def reconnect_options(self) -> list[dict[str, str]]:
        """Matching options for the lost unit, most specific first.

        NUT's exact matcher: the user's options plus VID, PID and the vendor, product and
        serial strings. A unit without a serial number cannot be told from an identical
        neighbour that way, so the same USB port is asked for first, then any port.
        """
        import re

        opts = dict(self.user_options)
        dev = self.device
        if dev is None:
            return [opts]
        opts["vendorid"] = f"{dev.vendor_id:04x}"
        opts["productid"] = f"{dev.product_id:04x}"
        for key, value in (("vendor", dev.manufacturer), ("product", dev.product),
                           ("serial", dev.serial)):
            if value is not None:
                opts[key] = re.escape(value.strip())
        if not (dev.serial or "").strip() and dev.port_path:
            return [{**opts, "port_path": re.escape(dev.port_path)}, opts]
        return [opts]

    def try_reconnect(self) -> bool:
        """One reconnect attempt if its back-off time has come; True when connected."""
        now = self.clock()
        if now < self.next_reconnect:
            return False
        wait = _float_option(self.options, "waitbeforereconnect", 0.0)
        if wait > 0:
            self.sleep(wait)
        transport: Transport | None = None
        why = "no candidate"
        for options in self.reconnect_options():
            try:
                transport = self.opener(options)
                break
            except (TransportError, OSError) as exc:
                why = str(exc)
        if transport is None:
            return self._reconnect_failed(why)
        with self.lock:
            try:
                self._adopt(transport, first=False)
                self.set_state("reconnect.updateinfo")
                self.init_walk()
                self._commit_status()
            except (DeviceGone, TransportError, DescriptorError) as exc:
                self.transport = None
                with contextlib.suppress(Exception):
                    transport.close()
                return self._reconnect_failed(str(exc))
            self.lost = False
            self.reconnect_failures = 0
            self.reconnect_count += 1
            self.counters.reconnects += 1
            self.store.set("driver.reconnect_count", str(self.reconnect_count))
            self.store.set("driver.reconnect_max_tries", str(self.max_tries))
            self.data_changed = True  # re-read the semi-static values too
            self.store.data_ok()
            self.set_state("quiet")
        log.info("UPS reconnected")
        if self._interrupts_wanted:
            self.start_interrupts()
        return True

    def _reconnect_failed(self, why: str) -> bool:
        self.reconnect_failures += 1
        log.info("reconnect failed (%d): %s", self.reconnect_failures, why)
        self.store.data_stale()
        if 0 <= self.max_tries <= self.reconnect_failures:
            raise GiveUp(f"gave up after {self.reconnect_failures} reconnect attempts")
        delay = min(self.timing.pollinterval * 2 ** (self.reconnect_failures - 1),
                    max(RECONNECT_BACKOFF_CAP, self.timing.pollinterval))
        self.next_reconnect = self.clock() + delay
        return False

    # --- rows by name ---------------------------------------------------------------

    def find_row(self, name: str) -> Binding | None:
        """NUT's ``find_nut_info``: the first active row of that name (any case)."""
        lower = name.lower()
        for b in self.active:
            if b.row.name.lower() == lower:
                return b
        return None

    def close(self) -> None:
        self.stop_interrupts()
        transport, self.transport = self.transport, None
        if transport is not None:
            transport.close()
