"""HID instant commands and variable writes: check everything first, then write.

NUT's ``instcmd``/``setvar`` with three deliberate changes (docs/differences.md):
values may have decimals (NUT truncates with ``atol``), a value outside the field's
range is refused before anything is sent (NUT clamps silently), and a written
variable is read back at once so clients see the device's own answer. Planning and
writing are separate steps so that the core can check every part of a composed
command before the first byte goes to the device.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

from hidups import codec
from hidups.descriptor.model import Field, ReportDescriptor, ReportType
from hidups.driver.protocol import Action
from hidups.errors import CommandError, CommandStatus, DeviceGone, TransportError
from hidups.hid.link import HidTransport
from hidups.hid.walk import GONE_ERRORS, Binding, ReportCache
from hidups.hid2nut.table import Context, Flag
from hidups.numbers import parse_number


class Writable(Protocol):
    """What the write path needs of a session (:class:`hidups.hid.session.HidSession`)."""

    transport: HidTransport
    desc: ReportDescriptor
    cache: ReportCache

    def find_row(self, name: str) -> Binding | None: ...
    def context(self) -> Context: ...

log = logging.getLogger(__name__)

#: A physical value always allowed for timers: HID's "no countdown" / cancel.
CANCEL_VALUE = -1.0


@dataclass(frozen=True, slots=True)
class HidWrite:
    """A checked write: the row, the physical value (``None``: driver-side variable)."""

    binding: Binding
    physical: float | None
    read_back: bool


def physical_bounds(fld: Field) -> tuple[float, float]:
    """The physical values the field's logical limits stand for (codec's own rules)."""
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
        raise CommandError(CommandStatus.INVALID, f"{physical:g} is outside {low:g}..{high:g}")


def _to_physical(session: Writable, binding: Binding, text: str) -> float:
    row = binding.row
    if row.lookup is not None:
        value = row.lookup.to_hid(text, session.context())
        if value is None:
            raise CommandError(CommandStatus.CONVERSION_FAILED,
                               f"{text!r} has no HID value for {row.name}")
        return value
    number = parse_number(text)
    if number is None:
        raise CommandError(CommandStatus.CONVERSION_FAILED, f"{text!r} is not a number")
    return number


def _checked(session: Writable, binding: Binding, text: str, *, read_back: bool,
             explicit: bool) -> Action:
    physical = _to_physical(session, binding, text)
    if explicit or read_back:
        check_range(binding.field, physical, allow_cancel=binding.row.is_command)
    if binding.field.attributes == 0x01:
        raise CommandError(CommandStatus.FAILED, "the field is constant")
    return Action(binding.row.name, text, HidWrite(binding, physical, read_back))


def plan_command(session: Writable, name: str, param: str | None) -> Action:
    """An instant command row, checked; the value is its default without ``param``."""
    binding = session.find_row(name)
    if binding is None:
        raise CommandError(CommandStatus.UNKNOWN, f"no command {name}")
    row = binding.row
    if not row.is_command:
        raise CommandError(CommandStatus.INVALID, f"{name} is not a command")
    if row.flags & Flag.PARAM_REQUIRED and param is None:
        raise CommandError(CommandStatus.CONVERSION_FAILED, f"{name} needs a value")
    value = param if param is not None else row.fmt
    if value is None and row.lookup is not None:
        # No default value, but a conversion: it works the value out itself from
        # the options and variables (PowerCOM's delay commands), as NUT's does.
        value = ""
    if value is None:
        raise CommandError(CommandStatus.CONVERSION_FAILED, f"{name} has no value")
    return _checked(session, binding, value, read_back=False, explicit=param is not None)


def plan_setvar(session: Writable, name: str, value: str) -> Action:
    """A writable variable, checked (a driver-side one is only published)."""
    binding = session.find_row(name)
    if binding is None or not binding.row.flags & Flag.RW:
        raise CommandError(CommandStatus.UNKNOWN, f"{name} is not writable")
    if binding.row.flags & Flag.ABSENT:
        return Action(binding.row.name, value, HidWrite(binding, None, False))
    return _checked(session, binding, value, read_back=True, explicit=True)


def write_field(session: Writable, fld: Field, physical: float) -> None:
    """GET the report fresh, change the one field, SET it, forget the cache.

    Raises :class:`DeviceGone` when the device went away, and CommandError(FAILED)
    when the write itself failed.
    """
    cache = session.cache
    cache.new_walk()
    current = cache.fetch(fld.report_type, fld.report_id)
    length = cache.length(fld.report_type, fld.report_id)
    buf = bytearray(current if current is not None else b"")
    if len(buf) < length:
        buf.extend(bytes(length - len(buf)))
    if session.desc.uses_report_ids:
        buf[0] = fld.report_id
    # The cancel value is a code, not a quantity: NUT's truncating math is what gets a
    # scaled timer's "no countdown" to the device (CyberPower's 60 s steps: -1 s is
    # logical -1; rounding would write 0, which starts the load at once).
    logical = codec.to_logical(fld, physical, nut_truncate=physical == CANCEL_VALUE)
    codec.write_logical(fld, buf, logical)
    log.debug("SET_REPORT 0x%02x %s (logical %d)", fld.report_id, buf.hex(), logical)
    try:
        session.transport.set_report(ReportType.FEATURE, fld.report_id, bytes(buf))
    except GONE_ERRORS as exc:
        raise DeviceGone(str(exc)) from exc
    except TransportError as exc:
        raise CommandError(CommandStatus.FAILED, f"write failed: {exc}") from exc
    finally:
        cache.invalidate()
