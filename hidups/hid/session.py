"""One connection to one HID UPS: transport, descriptor, report cache, rows, status bits.

This is the HID half of NUT's ``usbhid-ups.c``: the INIT/QUICK/FULL walks over the
subdriver's rows, ``ups_infoval_set`` (a value into a variable, a status bit or an
alarm), ``ups_status_set``, and interrupt events. The driver core calls it under its
lock; the interrupt reader (``hidups.hid.events``) is the only other thread, and it
is stopped and joined before the transport is closed, so no thread ever uses a
closed handle.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from hidups import codec
from hidups.descriptor import paths
from hidups.descriptor.model import Field, ReportDescriptor, ReportType
from hidups.device import DeviceInfo
from hidups.driver.protocol import Action, Publisher, StatusReport, WalkMode, WalkOutcome
from hidups.driver.settings import Settings
from hidups.driver.status import (
    StatusBits,
    StatusOptions,
    StatusSynthesizer,
    alarm_texts,
)
from hidups.errors import CommandError, CommandStatus, DeviceGone
from hidups.hid.context import HidContext
from hidups.hid.events import InterruptReader
from hidups.hid.link import HidTransport
from hidups.hid.walk import (
    Binding,
    ReportCache,
    WalkStats,
    bind_rows,
    read_field,
    rows_for,
    skipped_reports,
)
from hidups.hid.writes import HidWrite, plan_command, plan_setvar, write_field
from hidups.hid2nut.subdriver import Subdriver
from hidups.hid2nut.table import Flag, Lookup, Row, format_number
from hidups.usages import UsageTable

log = logging.getLogger(__name__)

#: Most Input fields one interrupt report turns into events (NUT's MAX_EVENT_NUM).
MAX_EVENTS = 32
#: Walks in a row a report may fail before its variables are withdrawn.
DROP_AFTER = 3


@dataclass
class Counters:
    """What the session did; logged at debug and read by tests and the benchmark."""

    walks: dict[str, int] = field(default_factory=lambda: {m.value: 0 for m in WalkMode})
    transfers: int = 0
    interrupts: int = 0


@dataclass
class Carry:
    """What outlives one connection: NUT keeps these in globals across a reconnect."""

    bits: StatusBits
    synth: StatusSynthesizer
    scratch: dict[str, Any]
    desc: ReportDescriptor
    raw_descriptor: bytes
    active: list[Binding]
    counters: Counters


class HidSession:
    """The HID device protocol's :class:`hidups.driver.protocol.Session`."""

    def __init__(
        self,
        transport: HidTransport,
        subdriver: Subdriver,
        raw_descriptor: bytes,
        desc: ReportDescriptor,
        usages: UsageTable,
        user_options: Mapping[str, str],
        *,
        upsname: str,
        carry: Carry | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.transport = transport
        self.clock = clock
        self.subdriver = subdriver
        self.raw_descriptor = raw_descriptor
        self.desc = desc
        self.usages = usages
        self.upsname = upsname
        self.bits = carry.bits if carry is not None else StatusBits()
        self.synth = carry.synth if carry is not None else StatusSynthesizer(upsname=upsname)
        self.counters = carry.counters if carry is not None else Counters()
        same = carry is not None and carry.raw_descriptor == raw_descriptor
        #: rows bound to fields, after the INIT walk's de-duplication
        self.active: list[Binding] = list(carry.active) if carry is not None and same else []
        self._scratch: dict[str, Any] = carry.scratch if carry is not None else {}
        self.options: Mapping[str, str] = {}
        self.settings = Settings()
        self._out: Publisher | None = None
        self.ctx: HidContext | None = None
        self.configure(user_options)
        self.cache = ReportCache(
            transport.get_report, desc,
            max_report="maxreport" in self.options,
            skipped=skipped_reports(self.options),
            never_fetch=self.settings.interrupt_only,
            clock=clock,
        )
        self.alarms: list[str] = []
        self.buzzwords: list[str] = []
        self._dropped: set[tuple[ReportType, int]] = set()
        #: status rows read at least once → failed walks in a row since
        self._status_misses: dict[int, int] = {}
        self._by_field: dict[int, Binding] = {}
        self._event_target: dict[int, Binding | None] = {}
        self._events = InterruptReader(transport, self.settings.interrupt_size)
        self._index_bindings()

    # --- Session interface: identity and options ------------------------------------

    @property
    def device(self) -> DeviceInfo:
        return self.transport.info

    @property
    def version_data(self) -> str:
        return self.subdriver.full_name

    def configure(self, user_options: Mapping[str, str]) -> Mapping[str, str]:
        """Subdriver defaults, then the claim's tweaks, then the user's own options."""
        claim = self.subdriver.claims(self.device, user_options)
        merged: dict[str, str] = dict(self.subdriver.defaults)
        if claim is not None:
            merged.update(claim.tweaks)
        merged.update(user_options)
        settings = Settings.from_options(merged)
        status_options = StatusOptions.from_options(merged, self.device)
        self.options = merged
        self.settings = settings
        self.synth.options = status_options
        if self.ctx is not None:
            self.ctx = self._make_context(self.ctx.cache)
        return merged

    def handover(self) -> Carry:
        """What the next session to this unit takes over (after a reconnect)."""
        return Carry(self.bits, self.synth, self._scratch, self.desc, self.raw_descriptor,
                     self.active, self.counters)

    # --- start-up -------------------------------------------------------------------

    def start(self, publisher: Publisher, *, first: bool) -> WalkOutcome:
        """Identity, then the INIT walk (they share one walk of the cache).

        On a reconnect (``first`` False) a device that answers nothing at all is not
        taken: :class:`DeviceGone`, so the core backs off instead of flapping.
        """
        self._out = publisher
        self.ctx = self._make_context(self.cache)
        self.cache.new_walk()
        self._publish_identity()
        stats, wrote = self._init_walk()
        if stats.polled and not stats.succeeded and not self.cache.walk_answers and not first:
            raise DeviceGone(f"init walk: none of {stats.polled} rows could be read")
        return self._outcome(stats, wrote)

    def _make_context(self, cache: ReportCache | None) -> HidContext:
        out = self._publisher()
        return HidContext(
            self.device, self.options, out.get, self.transport.get_string, self.usages,
            publish=out.publish, delete=out.delete,
            status_bits=lambda: frozenset(self.bits.bits),
            cache=cache, state=self._scratch,
        )

    def _publisher(self) -> Publisher:
        if self._out is None:
            raise RuntimeError("the session has not been started")
        return self._out

    def context(self) -> HidContext:
        if self.ctx is None:
            raise RuntimeError("the session has not been started")
        return self.ctx

    def _publish_identity(self) -> None:
        out, ctx, sub, dev = self._publisher(), self.context(), self.subdriver, self.device
        for name, fmt in (("ups.mfr", sub.format_mfr), ("ups.model", sub.format_model),
                          ("ups.serial", sub.format_serial)):
            value = fmt(dev, ctx)
            if value is not None:
                out.publish(name, value)
            else:
                out.delete(name)
        out.publish("ups.vendorid", f"{dev.vendor_id:04x}")
        out.publish("ups.productid", f"{dev.product_id:04x}")
        self._after_conversions()

    def _init_walk(self) -> tuple[WalkStats, bool]:
        """Bind rows, drop duplicates (first row with a value wins), read everything."""
        stats = WalkStats(WalkMode.INIT)
        self.counters.walks[WalkMode.INIT.value] += 1
        self.alarms = []
        out = self._publisher()
        if self.active:
            # Reconnected to the same descriptor: the bindings stand; read them again.
            for b in self.active:
                self._read_one(b, stats, init=True)
            self._index_bindings()
            return stats, self._after_conversions()
        bindings = bind_rows(self.subdriver.hid2nut, self.desc, self.usages,
                             interrupt_only=self.settings.interrupt_only)
        owned = out.owned_before_init()
        active: list[Binding] = []
        for binding in bindings:
            if binding is None:
                continue
            row = binding.row
            if row.flags & Flag.ABSENT:
                active.append(binding)
                if out.get(row.name) is None:
                    out.publish(row.name, row.fmt or "")
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
        return stats, self._after_conversions()

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
        out = self._publisher()
        flags = [f for f, bit in (("RW", Flag.RW), ("STRING", Flag.STRING),
                                  ("NUMBER", Flag.NUMBER)) if row.flags & bit]
        if flags:
            out.set_flags(row.name, *flags)
        if row.flags & Flag.STRING:
            out.set_aux(row.name, row.length)
        if row.flags & Flag.ENUM and row.flags & Flag.RW and row.lookup is not None:
            for text in self._enum_values(row.lookup):
                out.add_enum(row.name, text)

    def _enum_values(self, lookup: Lookup) -> list[str]:
        """The look-up's values this device supports: those its conversion accepts.

        NUT publishes an entry only when converting its HID value gives a text (MGE's
        output voltage choices depend on the model), so we ask the same of each value.
        """
        ctx = self.context()
        kept: list[str] = []
        for text in lookup.enum_values():
            try:
                hid = lookup.to_hid(text, ctx)
                shown = None if hid is None else lookup.to_nut(hid, ctx)
            except DeviceGone:
                raise
            except Exception:  # a conversion's bug must not stop the driver
                log.exception("enumerating %r failed on %r", lookup, text)
                continue
            if shown is not None:
                kept.append(text)
        return kept

    # --- walks ----------------------------------------------------------------------

    def walk(self, mode: WalkMode, *, data_changed: bool) -> WalkOutcome:
        """A QUICK or FULL walk over the active rows."""
        self.counters.walks[mode.value] += 1
        self.cache.new_walk()
        self.buzzwords = []
        if mode is WalkMode.FULL:
            self.alarms = []
        chosen = rows_for(mode, self.active, use_interrupts=self.settings.use_interrupts,
                          data_changed=data_changed)
        stats = WalkStats(mode)
        for b in chosen:
            self._read_one(b, stats, init=False)
        wrote = self._after_conversions()
        self.counters.transfers += stats.transfers
        log.debug("%s walk: %d rows, %d read, %d reports, %d transfers",
                  mode.value, stats.polled, stats.succeeded, len(stats.reports),
                  stats.transfers)
        if self.settings.interrupt_only:  # interruptonly never asks the device
            return WalkOutcome(fresh=True, wrote=wrote)
        if stats.polled > 0 and stats.succeeded == 0 and self.cache.walk_answers == 0:
            # NUT master reconnects when nothing at all could be read. A stall is an
            # answer, though: the device is there and refuses that report.
            raise DeviceGone(f"{mode.value} walk: none of {stats.polled} rows could be read")
        self._drop_failing_reports()
        return self._outcome(stats, wrote)

    def _outcome(self, stats: WalkStats, wrote: bool) -> WalkOutcome:
        """Fresh when the status rows (or, without any, some row) could be read.

        A status row that has been read before and now fails two walks in a row also
        makes the data stale: ``ups.status`` would otherwise mix old and new bits for
        longer than one poll interval.
        """
        failing = [b for b in self.active if self._status_misses.get(id(b), 0) >= 2]
        if failing:
            b = failing[0]
            return WalkOutcome(fresh=False, wrote=wrote, why=(
                f"status row {b.row.path} (report 0x{b.field.report_id:02x}) failed "
                f"{self._status_misses[id(b)]} walks in a row"))
        if stats.status_polled:
            fresh = stats.status_succeeded > 0
            why = f"none of the {stats.status_polled} status rows could be read"
        else:
            fresh = stats.polled == 0 or stats.succeeded > 0
            why = f"none of {stats.polled} rows could be read"
        return WalkOutcome(fresh=fresh, wrote=wrote, why="" if fresh else why)

    def _drop_failing_reports(self) -> None:
        """Variables of a report that failed :data:`DROP_AFTER` walks in a row are deleted
        (as NUT never publishes what it cannot read); they return when it answers."""
        failing = {key for key, count in self.cache.failures.items() if count >= DROP_AFTER}
        for key in failing - self._dropped:
            names = [b.row.name for b in self.active
                     if (b.field.report_type, b.field.report_id) == key
                     and not b.row.flags & (Flag.ABSENT | Flag.CMD)
                     and not (b.row.is_status or b.row.is_alarm)]
            log.warning("report 0x%02x failed %d walks in a row: %s withdrawn until it "
                        "answers", key[1], DROP_AFTER, ", ".join(names) or "nothing")
            for name in names:
                self._publisher().delete(name)
        self._dropped = failing

    def _read_one(self, b: Binding, stats: WalkStats, *, init: bool) -> bool:
        """Read and apply one row; True when it set a variable."""
        if b.row.flags & Flag.ABSENT:
            return False
        stats.polled += 1
        stats.status_polled += b.row.is_status
        before = self.cache.walk_transfers
        value = read_field(self.cache, b.field)
        stats.transfers += self.cache.walk_transfers - before
        stats.reports.add((b.field.report_type, b.field.report_id))
        if value is None:
            if b.row.is_status and id(b) in self._status_misses:
                self._status_misses[id(b)] += 1
            return False
        stats.succeeded += 1
        if b.row.is_status:
            stats.status_succeeded += 1
            self._status_misses[id(b)] = 0
        if b.row.is_command:
            if init:
                self._publisher().add_cmd(b.row.name)
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
        out = self._publisher()
        if row.lookup is not None:
            try:
                text = row.lookup.to_nut(value, self.context())
            except DeviceGone:
                raise
            except Exception:  # a conversion's bug must not stop the driver
                log.exception("%s: conversion %r failed on %g", row.name, row.lookup, value)
                return False
            if text is None:
                return False
            if row.is_status:
                self.bits.apply(text)
                return False
            if row.is_alarm:
                self.alarms.append(text)
                return False
            out.publish(row.name, text)
            return True
        if row.is_status or row.is_alarm:
            return False
        out.publish(row.name, format_number(row.fmt, value))
        return True

    def _after_conversions(self) -> bool:
        """Carry out what conversions asked for; True when one wrote to the device."""
        ctx = self.context()
        for word in ctx.take_buzzwords():
            if word not in self.buzzwords:
                self.buzzwords.append(word)
        wrote = False
        for name, value in ctx.take_writes():
            try:
                action = plan_setvar(self, name, value)
                wrote = self.execute(action) or wrote
                status = CommandStatus.HANDLED
            except CommandError as exc:
                status = exc.status
            log.debug("requested write %s=%s: status %d", name, value, status)
        return wrote

    # --- status ---------------------------------------------------------------------

    def status(self, mode: WalkMode | None) -> StatusReport:
        """NUT's ``ups_status_set`` (and, after a FULL walk, ``ups.alarm``)."""
        syn = self.synth.synthesize(self.bits, self._publisher().get, self.clock())
        buzz = self.buzzwords + [w for w in syn.buzzwords if w not in self.buzzwords]
        alarms = self.alarms + alarm_texts(self.bits) if mode is WalkMode.FULL else None
        return StatusReport(syn.tokens, alarms, syn.transfer_reason, buzz)

    # --- commands and writes --------------------------------------------------------

    def find_row(self, name: str) -> Binding | None:
        """NUT's ``find_nut_info``: the first active row of that name (any case)."""
        lower = name.lower()
        for b in self.active:
            if b.row.name.lower() == lower:
                return b
        return None

    def has_command(self, name: str) -> bool:
        return self.find_row(name) is not None

    def plan_command(self, name: str, param: str | None) -> Action:
        return plan_command(self, name, param)

    def plan_setvar(self, name: str, value: str) -> Action:
        return plan_setvar(self, name, value)

    def execute(self, action: Action) -> bool:
        """Carry out a planned action; True when the device was written."""
        write = action.payload
        if not isinstance(write, HidWrite):
            raise TypeError(f"not a HID action: {action!r}")
        if write.physical is None:  # a driver-side (ABSENT) variable
            self._publisher().publish(write.binding.row.name, action.value)
            return False
        write_field(self, write.binding.field, write.physical)
        if write.read_back:
            self._read_back(write.binding, write.physical)
        return True

    def _read_back(self, binding: Binding, written: float) -> None:
        """Read the field again and publish what the device now says."""
        self.cache.new_walk()
        value = read_field(self.cache, binding.field)
        if value is None:
            return
        if abs(value - written) > 1e-6 * max(1.0, abs(written)):
            log.warning("%s: wrote %g, the device reads back %g",
                        binding.row.name, written, value)
        self.apply_value(binding.row, value)

    # --- events ---------------------------------------------------------------------

    def killpower(self) -> bool | None:
        """HID UPSes power off through the core's command order (``sdcommands``...)."""
        return None

    def start_events(self, on_event: Callable[[HidSession, bytes], None],
                     on_error: Callable[[HidSession, Exception], None]) -> None:
        """Read the interrupt pipe on a thread (unless ``pollonly``)."""
        if not self.settings.use_interrupts:
            return
        self._events.start(lambda data: on_event(self, data), lambda exc: on_error(self, exc))

    def read_event_once(self) -> bytes | None:
        """One interrupt transfer, waiting as NUT does, for ``-d`` runs."""
        if not self.settings.use_interrupts:
            return None
        return self._events.read_once()

    def events_silent(self) -> bool:
        return self.settings.use_interrupts and self._events.silent(
            self.settings.no_events_tolerance)

    def apply_event(self, data: bytes) -> None:
        """Apply one interrupt report as NUT's events."""
        if not data:
            return
        self._events.noticed()
        self.counters.interrupts += 1
        report_id = data[0] if self.desc.uses_report_ids else 0
        payload = bytes(data)
        self.cache.store(ReportType.INPUT, report_id, payload)
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
        self._after_conversions()

    def _event_binding(self, fld: Field) -> Binding | None:
        """The row an Input field's event updates: through the Feature field of that path."""
        key = id(fld)
        if key in self._event_target:
            return self._event_target[key]
        target: Binding | None = None
        kinds = (ReportType.INPUT,) if self.settings.interrupt_only else (
            ReportType.FEATURE, ReportType.INPUT)
        for kind in kinds:
            same = paths.find_field(self.desc, fld.path, kind)
            if same is not None:
                target = self._by_field.get(id(same))
                break
        self._event_target[key] = target
        return target

    def stop_events(self) -> None:
        self._events.stop()

    def close(self) -> None:
        """Stop and join the interrupt reader, then close the transport."""
        self._events.stop()
        try:
            self.transport.close()
        except Exception:  # closing a dead handle must not end the driver
            log.debug("close failed", exc_info=True)


