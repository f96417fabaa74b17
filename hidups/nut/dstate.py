"""The driver's variable tree (NUT's ``dstate``): values, flags, enums, ranges, commands.

Every change that NUT would broadcast to the driver socket's clients is turned into
one protocol line and handed to each subscriber while the store's lock is held, so a
subscriber that also takes a :meth:`DState.dump` under :meth:`DState.atomic` sees the
dump and the later updates in the right order.

Behaviour follows NUT (``drivers/dstate.c``, ``common/state.c``):

- names are case-insensitive; listing order is NUT's (case-insensitive byte order);
- a value is stored truncated to 255 characters, and a ``SETINFO`` goes out only when
  it changed;
- ``IMMUTABLE`` (set for ``override.*``) freezes value and flags, and is never sent;
- ``ADDRANGE`` also sets ``NUMBER``; commands are kept sorted;
- the store starts stale: nothing is valid until the engine calls :meth:`data_ok`.

Unlike NUT, values are escaped in live updates as well as in dumps, the "changed"
test is case-sensitive, and ranges are de-duplicated by exact pair (see
docs/differences.md).
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from hidups.nut.protocol import MAX_VALUE_LEN, quote

log = logging.getLogger(__name__)

#: Flags the protocol carries, in the order NUT writes them.
WIRE_FLAGS = ("RW", "STRING", "NUMBER")
IMMUTABLE = "IMMUTABLE"
KNOWN_FLAGS = frozenset((*WIRE_FLAGS, IMMUTABLE))

_NAME = re.compile(r'[^\s"\\#=]+')

Listener = Callable[[str], None]


def sort_key(name: str) -> str:
    """NUT's ``strcasecmp`` order."""
    return name.lower()


@dataclass
class Variable:
    """One node of the tree: everything a DUMPALL says about a variable."""

    name: str
    value: str
    flags: set[str] = field(default_factory=set)
    aux: int = 0
    enums: list[str] = field(default_factory=list)
    ranges: list[tuple[int, int]] = field(default_factory=list)

    @property
    def immutable(self) -> bool:
        return IMMUTABLE in self.flags

    def wire_flags(self) -> list[str]:
        return [f for f in WIRE_FLAGS if f in self.flags]

    def protocol_lines(self) -> list[str]:
        """SETINFO, then ADDENUMs, ADDRANGEs, SETAUX and SETFLAGS, as NUT dumps a node."""
        lines = [f"SETINFO {self.name} {quote(self.value)}"]
        lines += [f"ADDENUM {self.name} {quote(e)}" for e in self.enums]
        lines += [f"ADDRANGE {self.name} {lo} {hi}" for lo, hi in self.ranges]
        if self.aux:
            lines.append(f"SETAUX {self.name} {self.aux}")
        if self.wire_flags():
            lines.append(" ".join(["SETFLAGS", self.name, *self.wire_flags()]))
        return lines


def check_name(name: str) -> str:
    """A variable or command name must be one protocol word."""
    if not _NAME.fullmatch(name):
        raise ValueError(f"invalid NUT variable or command name: {name!r}")
    return name


class DState:
    """Thread-safe variable store that broadcasts NUT protocol lines on change."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._vars: dict[str, Variable] = {}
        self._cmds: dict[str, str] = {}
        self._stale = True
        self._listeners: list[Listener] = []

    # --- subscribers ----------------------------------------------------------------

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener(line)`` for every broadcast; returns the unsubscribe function."""
        with self._lock:
            self._listeners.append(listener)

        def unsubscribe() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return unsubscribe

    @contextmanager
    def atomic(self) -> Iterator[None]:
        """Hold the store's lock: no change can be made or broadcast meanwhile."""
        with self._lock:
            yield

    def _broadcast(self, line: str) -> None:
        for listener in list(self._listeners):
            try:
                listener(line)
            except Exception:  # a broken subscriber must not break the engine
                log.exception("dstate subscriber failed on %r", line)

    # --- values ----------------------------------------------------------------------

    def set(self, name: str, value: str) -> None:
        value = str(value)[:MAX_VALUE_LEN]
        with self._lock:
            var = self._vars.get(name.lower())
            if var is None:
                var = Variable(check_name(name), value)
                self._vars[name.lower()] = var
            elif var.value == value:
                return
            elif var.immutable:
                log.debug("not changing immutable variable %s", name)
                return
            else:
                var.value = value
            self._broadcast(f"SETINFO {var.name} {quote(value)}")

    def get(self, name: str) -> str | None:
        with self._lock:
            var = self._vars.get(name.lower())
            return None if var is None else var.value

    def variable(self, name: str) -> Variable | None:
        """A copy of one node (flags, enums, ranges, aux included)."""
        with self._lock:
            var = self._vars.get(name.lower())
            if var is None:
                return None
            return Variable(
                var.name, var.value, set(var.flags), var.aux, list(var.enums), list(var.ranges)
            )

    def delete(self, name: str) -> None:
        with self._lock:
            var = self._vars.pop(name.lower(), None)
            if var is not None:
                self._broadcast(f"DELINFO {var.name}")

    def names(self) -> list[str]:
        with self._lock:
            return sorted((v.name for v in self._vars.values()), key=sort_key)

    # --- flags, aux, enums, ranges ---------------------------------------------------

    def set_flags(self, name: str, *flags: str) -> None:
        """Replace the flags (NUT's ``dstate_setflags``); refused on an immutable variable."""
        wanted = {f.upper() for f in flags}
        unknown = wanted - KNOWN_FLAGS
        if unknown:
            raise ValueError(f"unknown NUT flag(s) {sorted(unknown)} for {name}")
        with self._lock:
            var = self._require(name)
            if var is None:
                return
            if var.immutable:
                log.debug("not changing flags of immutable variable %s", name)
                return
            if var.flags == wanted:
                return
            before = var.wire_flags()
            var.flags = wanted
            if var.wire_flags() != before:
                self._broadcast(" ".join(["SETFLAGS", var.name, *var.wire_flags()]))

    def add_flags(self, name: str, *flags: str) -> None:
        with self._lock:
            var = self._require(name)
            if var is not None:
                self.set_flags(name, *(var.flags | {f.upper() for f in flags}))

    def set_aux(self, name: str, length: int) -> None:
        with self._lock:
            var = self._require(name)
            if var is None or var.aux == length:
                return
            var.aux = int(length)
            self._broadcast(f"SETAUX {var.name} {var.aux}")

    def add_enum(self, name: str, value: str) -> None:
        value = str(value)[:MAX_VALUE_LEN]
        with self._lock:
            var = self._require(name)
            if var is None or value in var.enums:
                return
            var.enums.append(value)
            self._broadcast(f"ADDENUM {var.name} {quote(value)}")

    def del_enum(self, name: str, value: str) -> None:
        with self._lock:
            var = self._vars.get(name.lower())
            if var is None:
                return
            for i, known in enumerate(var.enums):
                if known.lower() == value.lower():
                    del var.enums[i]
                    self._broadcast(f"DELENUM {var.name} {quote(known)}")
                    return

    def add_range(self, name: str, low: int, high: int) -> None:
        if low > high:
            raise ValueError(f"range for {name}: low {low} is above high {high}")
        with self._lock:
            var = self._require(name)
            if var is None or (low, high) in var.ranges:
                return
            var.ranges.append((int(low), int(high)))
            self._broadcast(f"ADDRANGE {var.name} {low} {high}")
            self.add_flags(name, "NUMBER")

    def _require(self, name: str) -> Variable | None:
        var = self._vars.get(name.lower())
        if var is None:
            log.error("base variable (%s) does not exist", name)
        return var

    # --- instant commands ------------------------------------------------------------

    def add_cmd(self, name: str) -> None:
        with self._lock:
            if name.lower() in self._cmds:
                return
            self._cmds[name.lower()] = check_name(name)
            self._broadcast(f"ADDCMD {name}")

    def del_cmd(self, name: str) -> None:
        with self._lock:
            known = self._cmds.pop(name.lower(), None)
            if known is not None:
                self._broadcast(f"DELCMD {known}")

    def has_cmd(self, name: str) -> bool:
        with self._lock:
            return name.lower() in self._cmds

    def commands(self) -> list[str]:
        with self._lock:
            return sorted(self._cmds.values(), key=sort_key)

    # --- staleness -------------------------------------------------------------------

    def data_ok(self) -> None:
        with self._lock:
            if self._stale:
                self._stale = False
                self._broadcast("DATAOK")

    @property
    def is_stale(self) -> bool:
        """True between DATASTALE and the next DATAOK."""
        return self._stale

    def data_stale(self) -> None:
        with self._lock:
            if not self._stale:
                self._stale = True
                self._broadcast("DATASTALE")

    # --- dumps -----------------------------------------------------------------------

    def dump(self) -> list[str]:
        """The DUMPALL reply, in NUT's order, ending with DUMPDONE."""
        with self._lock:
            lines = ["DATASTALE"] if self._stale else []
            for key in sorted(self._vars):
                lines += self._vars[key].protocol_lines()
            lines += [f"ADDCMD {c}" for c in self.commands()]
            lines += [] if self._stale else ["DATAOK"]
            lines.append("DUMPDONE")
            return lines

    def dump_value(self, name: str) -> list[str]:
        """The DUMPVALUE reply: one node framed like DUMPALL (empty if unknown)."""
        with self._lock:
            var = self._vars.get(name.lower())
            lines = ["DATASTALE"] if self._stale else []
            if var is not None:
                lines += var.protocol_lines()
            else:
                log.debug("DUMPVALUE for unknown variable %s", name)
            lines += [] if self._stale else ["DATAOK"]
            lines.append("DUMPDONE")
            return lines

    def upsc_lines(self) -> list[str]:
        """``name: value`` for every variable, as ``upsc`` and the driver's ``-d`` print."""
        with self._lock:
            return [f"{v.name}: {v.value}" for v in (self._vars[k] for k in sorted(self._vars))]
