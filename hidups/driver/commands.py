"""Instant commands and variable writes: table rows, composed commands, shutdown.

NUT's ``instcmd``/``setvar`` with three deliberate changes (docs/differences.md):
values may have decimals (NUT truncates with ``atol``), a value outside the field's
range is refused before anything is sent (NUT clamps silently), and a written
variable is read back at once so clients see the device's own answer.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from hidups.descriptor.model import Field, ReportType
from hidups.driver.walk import Binding, DeviceGone, read_field
from hidups.errors import TransportError
from hidups.hid2nut.table import Flag

if TYPE_CHECKING:
    from hidups.driver.engine import Engine

log = logging.getLogger(__name__)

# NUT's STAT_INSTCMD_* / STAT_SET_* codes.
HANDLED = 0
UNKNOWN = 1
INVALID = 2
FAILED = 3
CONVERSION_FAILED = 4

#: Pause between the two timers of a composed shutdown (Tripp Lite AVR750U needs it).
COMPOSE_PAUSE = 0.125

#: NUT's ``upsdrv_shutdown`` order (master): first command that works wins.
DEFAULT_SHUTDOWN = ("shutdown.return", "shutdown.reboot", "load.off.delay", "shutdown.stayoff")

#: Old command names: used only when the subdriver has no row of that name itself.
ALIASES = {"beeper.on": "beeper.enable", "beeper.off": "beeper.disable"}

#: A physical value always allowed for timers: HID's "no countdown" / cancel.
CANCEL_VALUE = -1.0


class WriteRefused(Exception):
    """The value cannot be written to that field; ``status`` is the NUT code."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def parse_number(text: str) -> float | None:
    """A decimal number (``"20"``, ``"12.5"``, ``"-1"``), or ``None``."""
    try:
        value = float(text.strip())
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def physical_bounds(fld: Field) -> tuple[float, float]:
    """The physical values the field's logical limits stand for (codec's own rules)."""
    from hidups import codec

    buf_len = 1 + (fld.offset + fld.size + 7) // 8
    ends = []
    for logical in (fld.logical_min, fld.logical_max):
        buf = bytearray(buf_len)
        codec.write_logical(fld, buf, logical)
        ends.append(float(codec.read_value(fld, bytes(buf))))
    return min(ends), max(ends)


def check_range(fld: Field, physical: float, *, allow_cancel: bool) -> None:
    """Refuse a value the field cannot hold, before anything goes to the device."""
    if allow_cancel and physical == CANCEL_VALUE:
        return
    low, high = physical_bounds(fld)
    slack = 1e-9 * max(1.0, abs(low), abs(high))
    if not low - slack <= physical <= high + slack:
        raise WriteRefused(INVALID, f"{physical:g} is outside {low:g}..{high:g}")


class Commands:
    """The engine's ``CommandHandler``: what the socket server calls for INSTCMD/SET."""

    def __init__(self, engine: Engine, *, sleep: Callable[[float], None] | None = None) -> None:
        self.engine = engine
        self.sleep = sleep or engine.sleep

    # --- the two entry points -------------------------------------------------------

    def instcmd(self, name: str, param: str | None) -> int:
        lower = name.lower()
        if lower == "shutdown.default":
            return HANDLED if self.shutdown() else FAILED
        binding = self.engine.find_row(lower)
        if binding is None and lower in ALIASES:
            log.warning("command %s is now called %s", lower, ALIASES[lower])
            return self.instcmd(ALIASES[lower], param)
        if binding is None:
            return self._composed(lower, param)
        if not binding.row.is_command:
            return INVALID
        if binding.row.flags & Flag.PARAM_REQUIRED and param is None:
            return CONVERSION_FAILED
        value = param if param is not None else binding.row.fmt
        if value is None and binding.row.lookup is not None:
            # No default value, but a conversion: it works the value out itself from
            # the options and variables (PowerCOM's delay commands), as NUT's does.
            value = ""
        if value is None:
            return CONVERSION_FAILED
        return self._write(binding, value, read_back=False, explicit=param is not None)

    def setvar(self, name: str, value: str) -> int:
        binding = self.engine.find_row(name)
        if binding is None or not binding.row.flags & Flag.RW:
            return UNKNOWN
        row = binding.row
        if row.flags & Flag.ABSENT:
            self.engine.publish(row.name, value)
            return HANDLED
        return self._write(binding, value, read_back=True, explicit=True)

    # --- composed commands ----------------------------------------------------------

    def _composed(self, name: str, param: str | None) -> int:
        get = self.engine.store.get
        if name == "load.on":
            return self.instcmd("load.on.delay", "0")
        if name == "load.off":
            return self.instcmd("load.off.delay", "0")
        if name in ("shutdown.return", "shutdown.stayoff"):
            returning = name == "shutdown.return"
            if get("ups.start.auto") is not None:
                self.setvar("ups.start.auto", "yes" if returning else "no")
            start = get("ups.delay.start") if returning else "-1"
            status = self.instcmd("load.on.delay", start)
            if status != HANDLED:
                return status
            self.sleep(COMPOSE_PAUSE)
            return self.instcmd("load.off.delay", get("ups.delay.shutdown"))
        log.debug("command %s is not available", name)
        return INVALID

    def shutdown(self, commands: Sequence[str] | None = None, depth: int = 0) -> bool:
        """Power the load off: ``sdcommands`` or NUT's default order; first success wins."""
        if commands is None:
            configured = self.engine.options.get("sdcommands")
            commands = (
                [c.strip() for c in configured.split(",") if c.strip()]
                if configured else list(DEFAULT_SHUTDOWN)
            )
        for cmd in commands:
            if cmd == "shutdown.default":
                if depth < 2 and self.shutdown(list(DEFAULT_SHUTDOWN), depth + 1):
                    return True
                continue
            if self.instcmd(cmd, None) == HANDLED:
                log.info("shutdown successful with %r", cmd)
                return True
        log.error("shutdown failed")
        return False

    # --- writing one row ------------------------------------------------------------

    def _to_physical(self, binding: Binding, text: str) -> float:
        row = binding.row
        if row.lookup is not None:
            assert self.engine.ctx is not None
            value = row.lookup.to_hid(text, self.engine.ctx)
            if value is None:
                raise WriteRefused(CONVERSION_FAILED, f"{text!r} has no HID value for {row.name}")
            return value
        number = parse_number(text)
        if number is None:
            raise WriteRefused(CONVERSION_FAILED, f"{text!r} is not a number")
        return number

    def _write(self, binding: Binding, text: str, *, read_back: bool, explicit: bool) -> int:
        engine = self.engine
        with engine.lock:
            if engine.transport is None or engine.cache is None:
                return FAILED
            try:
                physical = self._to_physical(binding, text)
                if explicit or read_back:
                    check_range(binding.field, physical, allow_cancel=binding.row.is_command)
                self.write_field(binding.field, physical)
            except WriteRefused as exc:
                log.warning("%s %s: %s", binding.row.name, text, exc)
                return exc.status
            except DeviceGone as exc:
                engine._lose(str(exc))
                return FAILED
            except TransportError as exc:
                log.warning("%s: write failed: %s", binding.row.name, exc)
                return FAILED
            engine.data_changed = True
            if read_back:
                self._read_back(binding, physical)
            return HANDLED

    def write_field(self, fld: Field, physical: float) -> None:
        """GET the report fresh, change the one field, SET it, forget the cache."""
        from hidups import codec
        from hidups.driver.walk import GONE_ERRORS

        engine = self.engine
        assert engine.transport is not None and engine.cache is not None
        if fld.attributes == 0x01:
            raise WriteRefused(FAILED, "the field is constant")
        cache = engine.cache
        cache.new_walk()
        current = cache.fetch(fld.report_type, fld.report_id)
        length = cache.length(fld.report_type, fld.report_id)
        buf = bytearray(current if current is not None else b"")
        if len(buf) < length:
            buf.extend(bytes(length - len(buf)))
        if engine.desc is not None and engine.desc.uses_report_ids:
            buf[0] = fld.report_id
        logical = codec.to_logical(fld, physical)
        codec.write_logical(fld, buf, logical)
        log.debug("SET_REPORT 0x%02x %s (logical %d)", fld.report_id, buf.hex(), logical)
        try:
            engine.transport.set_report(ReportType.FEATURE, fld.report_id, bytes(buf))
        except GONE_ERRORS as exc:
            raise DeviceGone(str(exc)) from exc
        finally:
            cache.invalidate()

    def _read_back(self, binding: Binding, written: float) -> None:
        """Read the field again and publish what the device now says."""
        engine = self.engine
        assert engine.cache is not None
        engine.cache.new_walk()
        try:
            value = read_field(engine.cache, binding.field)
        except DeviceGone as exc:
            engine._lose(str(exc))
            return
        if value is None:
            return
        if abs(value - written) > 1e-6 * max(1.0, abs(written)):
            log.warning("%s: wrote %g, the device reads back %g",
                        binding.row.name, written, value)
        engine.apply_value(binding.row, value)
