"""The hid2nut table format: one declarative row per mapping, as NUT's ``hid_info_t``.

A subdriver's table is a tuple of :class:`Row`. Rows read like NUT's::

    Row("battery.charge", "UPS.PowerSummary.RemainingCapacity", "%.0f", QUICK),
    Row("BOOL", "UPS.PowerSummary.PresentStatus.ACPresent", None, QUICK, ONLINE_INFO),
    Row("ups.delay.shutdown", "UPS.PowerSummary.DelayBeforeShutdown", "20",
        ABSENT | RW | STRING, length=10),
    Row("load.off.delay", "UPS.PowerSummary.DelayBeforeShutdown", "20", CMD),

No logic hides in a row: conversions are :class:`Table` look-ups or named functions
wrapped in :class:`Convert`, defined next to the table that uses them.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol

from hidups.device import DeviceInfo

#: Magic row names, as in NUT: a ``BOOL`` row feeds the status bits behind
#: ``ups.status``; an ``ups.alarm`` row contributes a text to ``ups.alarm``.
BOOL = "BOOL"
ALARM = "ups.alarm"

#: NUT's DEFAULT_ONDELAY / DEFAULT_OFFDELAY (usbhid-ups.h; seconds, as text): the
#: ``fmt`` of the ``ups.delay.start``/``ups.delay.shutdown`` ABSENT rows and of the
#: ``load.on.delay``/``load.off.delay`` commands. Defined once, as NUT does, so no
#: table can drift from the value the driver's ``ondelay``/``offdelay`` checks use.
ONDELAY = "30"
OFFDELAY = "20"
#: NUT's DEFAULT_ONDELAY_CPS / DEFAULT_OFFDELAY_CPS: CyberPower's longer defaults.
ONDELAY_CPS = "120"
OFFDELAY_CPS = "60"


class Flag(enum.IntFlag):
    """Row flags: NUT's ``ST_FLAG_*`` (dstate) and ``HU_FLAG_*``/``HU_TYPE_*`` in one set."""

    NONE = 0
    RW = 0x0001  # ST_FLAG_RW: writable variable
    STRING = 0x0002  # ST_FLAG_STRING: string variable, ``length`` is its max length
    NUMBER = 0x0004  # ST_FLAG_NUMBER: numeric variable (published with SETFLAGS NUMBER)
    STATIC = 0x0010  # HU_FLAG_STATIC: read once at init (re-read in pollonly full walks)
    SEMI_STATIC = 0x0020  # HU_FLAG_SEMI_STATIC: re-read only after a write, or in pollonly
    ABSENT = 0x0040  # HU_FLAG_ABSENT: driver-side variable, default = ``fmt``, if path exists
    QUICK = 0x0080  # HU_FLAG_QUICK_POLL: read every pollinterval
    CMD = 0x0100  # HU_TYPE_CMD: instant command; ``fmt`` is the value written by default
    ENUM = 0x0200  # HU_FLAG_ENUM: publish the look-up's values as ADDENUM
    PARAM_REQUIRED = 0x0400  # HU_FLAG_PARAM_REQUIRED: command/set needs a value


NONE = Flag.NONE
RW = Flag.RW
STRING = Flag.STRING
NUMBER = Flag.NUMBER
STATIC = Flag.STATIC
SEMI_STATIC = Flag.SEMI_STATIC
ABSENT = Flag.ABSENT
QUICK = Flag.QUICK
CMD = Flag.CMD
ENUM = Flag.ENUM
PARAM_REQUIRED = Flag.PARAM_REQUIRED


class Context(Protocol):
    """What a conversion function may look at, and the effects it may ask for.

    The driver provides it. ``state`` is the subdriver's own per-device scratch
    space, for decisions taken once (CyberPower's battery-voltage scale, MGE's model
    family); the driver never reads it. NUT's conversions call ``dstate_setinfo``,
    ``dstate_delinfo``, ``buzzmode_set`` and ``setvar`` directly; ours call the
    effect methods below, which the driver carries out as NUT does.
    """

    device: DeviceInfo
    state: dict[str, float]

    def get(self, name: str) -> str | None:
        """The current value of a published NUT variable, or ``None``."""

    def option(self, name: str) -> str | None:
        """A driver option's value (``""`` for a set flag), or ``None`` when unset."""

    def string(self, index: int) -> str | None:
        """USB string descriptor ``index``, or ``None`` (for string-index usages)."""

    def value(self, path: str) -> float | None:
        """The current physical value of another usage path, or ``None``."""

    def report(self, report_id: int) -> bytes | None:
        """The current Feature report, report-ID byte first, or None; for subdrivers
        (Ever, PowerCOM) that read whole reports as data."""

    def publish(self, name: str, value: str) -> None:
        """Set another variable (NUT's ``dstate_setinfo`` from inside a conversion)."""

    def delete(self, name: str) -> None:
        """Remove a variable (NUT's ``dstate_delinfo``)."""

    def buzzmode(self, word: str) -> None:
        """Set the ``experimental.ups.mode.buzzwords`` word (NUT's ``buzzmode_set``)."""

    def request_write(self, name: str, value: str) -> None:
        """Write a variable as ``SET VAR`` would (NUT's ``setvar`` from a conversion)."""

    @property
    def status_bits(self) -> frozenset[str]:
        """The status bits set so far in this walk (rows earlier in the table)."""


class Lookup(Protocol):
    """A row's conversion between a HID value and NUT text (NUT's ``info_lkp_t``)."""

    def to_nut(self, value: float, ctx: Context) -> str | None:
        """HID → NUT. ``None`` means "no update" (as NUT's look-up miss)."""

    def to_hid(self, text: str, ctx: Context) -> float | None:
        """NUT → HID, for writes and commands. ``None`` means conversion failed."""

    def enum_values(self) -> list[str]:
        """Values to publish with ADDENUM for ``ENUM`` rows (empty if not enumerable)."""


class Table:
    """A value ↔ text table. HID → NUT matches ``int(value)``; NUT → HID the first text.

    Entries are pairs, so two HID values may share one text (NUT allows that).
    """

    __slots__ = ("entries", "name")

    def __init__(self, name: str, entries: Iterable[tuple[int, str]] | Mapping[int, str]):
        self.name = name
        self.entries: tuple[tuple[int, str], ...] = tuple(
            entries.items() if isinstance(entries, Mapping) else entries
        )

    def to_nut(self, value: float, ctx: Context) -> str | None:
        key = int(value)
        for hid, text in self.entries:
            if hid == key:
                return text
        return None

    def to_hid(self, text: str, ctx: Context) -> float | None:
        for hid, nut in self.entries:
            if nut == text:
                return float(hid)
        return None

    def enum_values(self) -> list[str]:
        return [text for _, text in self.entries]

    def __repr__(self) -> str:
        return f"Table({self.name!r})"


ToNut = Callable[[float, Context], "str | None"]
ToHid = Callable[[str, Context], "float | None"]


class Convert:
    """A named conversion function, with its inverse when the value is writable."""

    __slots__ = ("from_nut", "name", "to_nut_fn")

    def __init__(self, name: str, to_nut: ToNut, from_nut: ToHid | None = None) -> None:
        self.name = name
        self.to_nut_fn = to_nut
        self.from_nut = from_nut

    def to_nut(self, value: float, ctx: Context) -> str | None:
        return self.to_nut_fn(value, ctx)

    def to_hid(self, text: str, ctx: Context) -> float | None:
        if self.from_nut is None:
            return None
        return self.from_nut(text, ctx)

    def enum_values(self) -> list[str]:
        return []

    def __repr__(self) -> str:
        return f"Convert({self.name!r})"


class FunctionTable(Table):
    """A conversion function for HID → NUT, with a value table for writes and enums.

    NUT's look-ups whose first entry carries a function use it for reading, and
    their entries for writing (and for ADDENUM, keeping the entries the function
    accepts). ``from_nut`` replaces the table for writing when given.
    """

    __slots__ = ("from_nut", "to_nut_fn")

    def __init__(
        self,
        name: str,
        to_nut: ToNut,
        entries: Iterable[tuple[int, str]] = (),
        from_nut: ToHid | None = None,
    ) -> None:
        super().__init__(name, entries)
        self.to_nut_fn = to_nut
        self.from_nut = from_nut

    def to_nut(self, value: float, ctx: Context) -> str | None:
        return self.to_nut_fn(value, ctx)

    def to_hid(self, text: str, ctx: Context) -> float | None:
        if self.from_nut is not None:
            return self.from_nut(text, ctx)
        return super().to_hid(text, ctx)

    def __repr__(self) -> str:
        return f"FunctionTable({self.name!r})"


@dataclass(frozen=True, slots=True)
class Row:
    """One mapping: a NUT variable (or command, or status bit) ← a HID usage path.

    ``fmt`` is NUT's ``dfl``: a printf format for numbers (``"%.0f"``, ``"%.1f"``);
    for ``ABSENT`` rows the default value; for ``CMD`` rows the value written when
    the command comes without a parameter. ``path`` is ``None`` only for rows that
    need no device data.
    """

    name: str
    path: str | None
    fmt: str | None = "%.0f"
    flags: Flag = Flag.NONE
    lookup: Lookup | None = None
    length: int = 0

    @property
    def is_command(self) -> bool:
        return bool(self.flags & Flag.CMD)

    @property
    def is_status(self) -> bool:
        return self.name == BOOL

    @property
    def is_alarm(self) -> bool:
        return self.name == ALARM


def format_number(fmt: str | None, value: float) -> str:
    """Render a numeric value with a row's printf format, as NUT's dstate does."""
    if not fmt:
        fmt = "%.0f"
    try:
        return fmt % value
    except (TypeError, ValueError):
        return "%.0f" % value
