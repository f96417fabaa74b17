"""Q* item tables as data: one frozen row per NUT variable, command or setvar.

Why: nutdrv_qx describes every protocol as an ``item_t`` array; keeping the same
fields (command, answer length, leading char, from/to, format, flags, preprocess)
lets each row be checked against NUT's source line by line.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from hidups.errors import CommandStatus as CommandStatus  # its one home; re-exported

Query = Callable[[bytes], "bytes | None"]
"""Send one command (with its CR); get the answer, or None on timeout/error.

The answer is what NUT's USB subdriver puts in its buffer, as long as the length it
returns: cypress reads whole 8-byte reports, so its answers keep their NUL padding
(NUT's length checks, e.g. bestups' ``ID``, see that length). ``b""`` is an empty read.
"""


class QxFlag(enum.IntFlag):
    """nutdrv_qx's ``QX_FLAG_*`` (only the ones the tables use)."""

    NONE = 0
    STATIC = 1 << 0
    SEMI_STATIC = 1 << 1
    ABSENT = 1 << 2
    QUICK_POLL = 1 << 3
    CMD = 1 << 4
    SETVAR = 1 << 5
    TRIM = 1 << 6
    ENUM = 1 << 7
    RANGE = 1 << 8
    NONUT = 1 << 9
    SKIP = 1 << 10


class StFlag(enum.IntFlag):
    """NUT's ``ST_FLAG_*`` for ``dstate_setflags``."""

    NONE = 0
    RW = 1
    STRING = 2


#: ``item->preprocess(engine, item, value)``: answer value -> NUT value, or user value
#: -> command; None where NUT's function returns -1. The engine is typed loosely here:
#: the engine module builds on this one, and a table function names its real type.
ValuePreprocess = Callable[[Any, "Item", str], "str | None"]

#: ``item->preprocess_answer(engine, item, answer)``: rewrite a raw answer (up to its CR,
#: NULs kept) before its value is cut; None where NUT's returns -1.
AnswerPreprocess = Callable[[Any, "Item", str], "str | None"]

#: ``item->preprocess_command(engine, item, command)``: rewrite the command about to be
#: sent (masterguard's slave address, voltronic-axpert's CRC); None where NUT's returns
#: -1 (nothing is sent then).
CommandPreprocess = Callable[[Any, "Item", str], "str | None"]
#: An ``info_rw_t`` entry's own ``preprocess``: (engine, value) -> keep the value in the
#: published enum/range (NUT skips entries whose function returns non-zero).
RwFilter = Callable[[Any, str], bool]


@dataclass(frozen=True)
class Item:
    """One ``item_t`` row; ``command`` keeps its trailing CR as in NUT."""

    name: str
    info_flags: StFlag
    rw: tuple[str, ...] | None
    command: str | None
    answer_len: int
    leading: str
    start: int
    end: int
    dfl: str | None
    flags: QxFlag
    preprocess: ValuePreprocess | None = None
    preanswer: AnswerPreprocess | None = None
    precommand: CommandPreprocess | None = None
    rw_filter: RwFilter | None = None


def row(name: str, info_flags: StFlag, rw: tuple[str, ...] | None, command: str | None,
        answer_len: int, leading: str, start: int, end: int, dfl: str | None,
        flags: QxFlag, preprocess: ValuePreprocess | None = None,
        preanswer: AnswerPreprocess | None = None,
        precommand: CommandPreprocess | None = None, *,
        rw_filter: RwFilter | None = None) -> Item:
    """Build an Item positionally, so tables read like NUT's ``item_t`` rows."""
    return Item(name, info_flags, rw, command, answer_len, leading, start, end, dfl, flags,
                preprocess, preanswer, precommand, rw_filter)


@dataclass
class RwInfo:
    """What ``qx_set_var`` publishes for a writable variable."""

    flags: list[str]
    length: int | None = None
    enum: list[str] = field(default_factory=list)
    range: list[tuple[int, int]] = field(default_factory=list)


Claim = Callable[[Any], bool]  # (engine) -> claimed
InitUps = Callable[[Any], None]  # (engine)


@dataclass(frozen=True)
class QxProtocol:
    """A protocol subdriver (``subdriver_t``), plus what its claim left behind.

    ``claimed`` holds the variables the claim published (NUT keeps them in dstate, so
    the init walk does not query them again); ``claim_skips``/``claim_unskips`` the rows
    it disabled or enabled, ``claim_state`` the subdriver globals it set.
    """

    name: str
    version: str
    table: tuple[Item, ...]
    claim: Claim
    initups: InitUps | None
    accepted: str | None
    rejected: str | None
    claimed: Mapping[str, str] = field(default_factory=dict)
    claim_skips: frozenset[int] = frozenset()
    claim_unskips: frozenset[int] = frozenset()
    claim_state: Mapping[str, Any] = field(default_factory=dict)
    #: ``subdriver->initinfo``: runs last in ``upsdrv_initinfo`` (e.g. device.type).
    initinfo: InitUps | None = None


class WalkStep(enum.Enum):
    """nutdrv_qx's walk modes."""

    INIT = "init"
    QUICK = "quick"
    FULL = "full"
