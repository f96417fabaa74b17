"""nutdrv_qx's core: send an item's query, cut its value, publish it; walk a table.

Why: every Q* protocol shares this logic (``qx_process``, ``qx_process_answer``,
``ups_infoval_set``, ``qx_ups_walk``); keeping it in one place with NUT's rules
means a bad answer is skipped exactly where NUT skips it and never becomes a value.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hidups.qx.cstr import cfmt, is_numeric, strtod, strtol, trim
from hidups.qx.items import Item, Query, QxFlag, QxProtocol, RwInfo, StFlag, WalkStep
from hidups.qx.settings import QxSettings

# nutdrv_qx's status_info[]: the word a preprocess sets -> its bit name.
STATUS_WORDS = ("OL", "LB", "RB", "CHRG", "DISCHRG", "BYPASS", "CAL", "OFF", "OVER",
                "TRIM", "BOOST", "FSD")
# ups_status_set()'s fixed publication order (OL or OB first).
STATUS_ORDER = ("DISCHRG", "CHRG", "LB", "OVER", "RB", "TRIM", "BOOST", "BYPASS", "OFF",
                "CAL", "FSD")


@dataclass
class Processed:
    """Outcome of one ``qx_process``: ``error`` None, "EINVAL", "ETIMEDOUT" or "EIO"."""

    ok: bool
    answer: str = ""
    value: str = ""
    error: str | None = None


def c_string(text: str) -> str:
    """The C string view of a buffer: up to the first NUL."""
    nul = text.find("\0")
    return text if nul < 0 else text[:nul]


class Engine:
    """Per-device state of nutdrv_qx: dstate, runtime skips, status bits, alarms."""

    def __init__(self, protocol: QxProtocol, query: Query, settings: QxSettings,
                 clock: Callable[[], float] = time.time) -> None:
        self.protocol = protocol
        self.query = query
        self.settings = settings
        self.clock = clock
        self.values: dict[str, str] = dict(settings.defaults)
        self.values.update(settings.overrides)
        self.values.update(protocol.claimed)
        self.values.update(settings.overrides)
        self.deleted: set[str] = set()
        self.skip: set[int] = set(protocol.claim_skips)
        self.unskipped: set[int] = set(protocol.claim_unskips)
        self.status: set[str] = set()
        #: words a preprocess adds with NUT's ``status_set`` (not ``update_status``):
        #: they go straight into the status buffer, ahead of ``ups_status_set``'s
        #: words, and last one walk (``status_init`` runs before each walk)
        self.status_direct: list[str] = []
        #: NUT's ``item->answer`` of the item being processed: the whole buffer, NULs
        #: kept, for preprocess functions that read binary answers byte by byte
        self.raw_answer = ""
        self.alarms: list[str] = []
        self.commands: list[str] = []
        self.rw: dict[str, RwInfo] = {}
        self.data_has_changed = False
        self.one_pack_considered = False
        self.packs = 1.0
        self.one_pack = settings.battery_voltage_reports_one_pack
        # Hook the battery code fills in, called by the full walk (qx_ups_walk's tail).
        self.after_full_walk: Callable[[], None] | None = None
        #: NUT's ``setvar(name, NULL)`` for NONUT setvar rows in a walk; set by the
        #: session (the command module builds on this one, so it is handed in)
        self.nonut_setvar: Callable[[str], object] | None = None
        self.runtime_act = -1.0
        self.charge_act = -1.0
        # Subdriver globals (bestups' inverted_bbb_bit, pins_shutdown_mode, ...).
        self.state: dict[str, Any] = dict(protocol.claim_state)
        #: Subdriver globals that are words (voltronic's capability states).
        self.labels: dict[str, str] = {}
        #: ``item->info_rw`` a subdriver sets at run time, for one row (masterguard's
        #: enum of output voltages, its battery.packs range by model) or for every row
        #: of a variable (voltronic's ECO voltage limits); used instead of the row's own
        self.rw_values: dict[Item | str, tuple[str, ...]] = {}
        #: ``buzzmode_set`` words of the current walk (experimental.ups.mode.buzzwords)
        self.buzzwords: list[str] = []

    # -- dstate -------------------------------------------------------------
    def claim_items(self, *names: str, take_back: bool = True) -> bool:
        """The claim most protocols make: each named item must be in the table, be
        answered and give a value, in order; on failure the first one's value, if it
        was set, is taken back as most of NUT's claim functions do (innovart3x's and
        q2/q6's leave it: ``take_back=False``)."""
        for name in names:
            index = self.find(name)
            result = None if index is None else self.process(self.protocol.table[index])
            if (index is None or result is None or not result.ok
                    or self.infoval_set(self.protocol.table[index], result.value) != 1):
                if take_back and name != names[0]:
                    self.delinfo(names[0])
                return False
        return True

    def getinfo(self, name: str) -> str | None:
        """``dstate_getinfo``."""
        return self.values.get(name)

    def setinfo(self, name: str, value: str) -> None:
        """``dstate_setinfo``; ``override.*`` values from ups.conf stay as they are."""
        if name in self.settings.overrides:
            return
        self.values[name] = value
        self.deleted.discard(name)

    def delinfo(self, name: str) -> None:
        """``dstate_delinfo``."""
        if self.values.pop(name, None) is not None:
            self.deleted.add(name)

    def addcmd(self, name: str) -> None:
        """``dstate_addcmd`` (no duplicates)."""
        if name not in self.commands:
            self.commands.append(name)

    # -- table lookups ------------------------------------------------------
    def index_of(self, item: Item) -> int:
        """The table index of this very row (rows are compared by identity)."""
        for index, candidate in enumerate(self.protocol.table):
            if candidate is item:
                return index
        raise ValueError(f"{item.name}: row not in the {self.protocol.name} table")

    def set_skip(self, item: Item, skipped: bool) -> None:
        """Set or clear SKIP on this very row (``item->qxflags |= QX_FLAG_SKIP``)."""
        index = self.index_of(item)
        if skipped:
            self.skip.add(index)
            self.unskipped.discard(index)
        else:
            self.skip.discard(index)
            self.unskipped.add(index)

    def rw_of(self, item: Item) -> tuple[str, ...]:
        """The row's ``info_rw`` values as NUT walks them: run-time values first, up to
        the first empty one, without those the entries' own preprocess refuses."""
        values = self.rw_values.get(item, self.rw_values.get(item.name.lower(), item.rw or ()))
        kept: list[str] = []
        for value in values:
            if not value:
                break
            if item.rw_filter is None or item.rw_filter(self, value):
                kept.append(value)
        return tuple(kept)

    def flags(self, index: int) -> QxFlag:
        """An item's flags including SKIP as set or cleared at run time."""
        item = self.protocol.table[index]
        if index in self.skip:
            return item.flags | QxFlag.SKIP
        if index in self.unskipped:
            return item.flags & ~QxFlag.SKIP
        return item.flags

    def unskip(self, name: str, flag: QxFlag = QxFlag.NONE,
               noflag: QxFlag = QxFlag.NONE) -> bool:
        """Clear SKIP on the row ``find`` returns (subdrivers enable rows they detect)."""
        index = self.find(name, flag, noflag)
        if index is None:
            return False
        self.skip.discard(index)
        self.unskipped.add(index)
        return True

    def find(self, name: str, flag: QxFlag = QxFlag.NONE,
             noflag: QxFlag = QxFlag.NONE) -> int | None:
        """``find_nut_info``: index of the first row named ``name`` with/without flags."""
        for index, item in enumerate(self.protocol.table):
            if item.name.lower() != name.lower():
                continue
            flags = self.flags(index)
            if flag and (flags & flag) != flag:
                continue
            if noflag and flags & noflag:
                continue
            return index
        return None

    # -- one item -----------------------------------------------------------
    def process_answer(self, item: Item, answer: str, length: int,
                       timed_out: bool = False) -> Processed:
        """``qx_process_answer``: reject NAKs, short or misled answers; cut the value."""
        rejected = self.protocol.rejected
        if rejected is not None and answer.lower() == rejected.lower():
            return Processed(False, answer, error="EINVAL")
        if item.answer_len and length < item.answer_len:
            error = "ETIMEDOUT" if length == 0 or timed_out else "EINVAL"
            return Processed(False, answer, error=error)
        if item.leading and (not answer or answer[0] != item.leading):
            return Processed(False, answer)
        if item.end and item.end < item.start:
            return Processed(False, answer)
        if not answer:
            return Processed(True, answer, "")
        if item.end:
            value = answer[item.start: item.end + 1]
        else:
            count = len(answer.split("\r", 1)[0]) - item.start
            value = answer[item.start:] if count < 0 else answer[item.start: item.start + count]
        return Processed(True, answer, value)

    def process(self, item: Item, command: str | None = None) -> Processed:
        """``qx_process``: send ``command`` (or the item's own) and process the answer."""
        cmd = command if command is not None else item.command
        if cmd is None:
            return Processed(False, error="EIO")
        if item.precommand is not None:
            prepared = item.precommand(self, item, cmd)
            if prepared is None:
                return Processed(False, error="EINVAL")
            cmd = prepared
        raw = self.query(cmd.encode("latin-1"))
        if raw is None:
            return Processed(False, error="EIO")
        # NUT's answer length is what the USB subdriver returned (cypress: whole 8-byte
        # reads, NUL padding included); the answer itself is a C string.
        answer = raw.decode("latin-1")
        length = len(answer)
        if item.preanswer is not None:  # NUT calls it for every read, empty ones too
            refined = item.preanswer(self, item, answer)
            if refined is None:
                return Processed(False, "")
            answer, length = refined, len(refined)
        self.raw_answer = answer
        return self.process_answer(item, c_string(answer), length)

    def infoval_set(self, item: Item, value: str) -> int:
        """``ups_infoval_set``: -1 error, 0 status/alarm handled, 1 variable published."""
        if item.preprocess is not None:
            out = item.preprocess(self, item, value)
            if out is None:
                return -1
            if item.name.startswith("ups.status"):
                if out:
                    self.update_status(out)
                return 0
            if item.name.startswith("ups.alarm"):
                if out:
                    self.alarms.append(out)
                return 0
        else:
            out = trim(value) if item.flags & QxFlag.TRIM else value
            if item.dfl is not None and item.dfl.lower() != "%s":
                if not is_numeric(out):
                    return -1
                out = cfmt(item.dfl, strtod(out))
        if item.flags & QxFlag.NONUT:
            return 1
        if not out:
            return -1
        self.setinfo(item.name, out)
        if item.name.lower() == "battery.charge":
            self.charge_act = float(strtol(out))
        elif item.name.lower() == "battery.runtime":
            self.runtime_act = float(strtol(out))
        return 1

    def update_status(self, word: str) -> None:
        """``update_status``: ``WORD`` sets a bit, ``!WORD`` clears it."""
        clear = word.startswith("!")
        name = word[1:] if clear else word
        for known in STATUS_WORDS:
            if known.lower() == name.lower():
                if clear:
                    self.status.discard(known)
                else:
                    self.status.add(known)
                return

    def status_bit(self, word: str) -> bool:
        """``qx_status() & STATUS(word)``: a bit set so far in this walk."""
        return word in self.status

    def status_set(self, word: str) -> None:
        """NUT's ``status_set`` from a preprocess: a unique token, kept this walk."""
        if word not in self.status_direct:
            self.status_direct.append(word)

    def status_words(self) -> list[str]:
        """``ups_status_set``: NUT's fixed order, OL or OB first, after the words a
        preprocess set directly (``status_set`` keeps each token once)."""
        words = list(self.status_direct)
        words += [w for w in ["OL" if "OL" in self.status else "OB"] if w not in words]
        words += [word for word in STATUS_ORDER if word in self.status and word not in words]
        return words

    def alarm_words(self) -> list[str]:
        """Item alarms plus ``ups_alarm_set``'s RB/FSD alarms."""
        alarms = list(self.alarms)
        if "RB" in self.status:
            alarms.append("Replace battery!")
        if "FSD" in self.status:
            alarms.append("Shutdown imminent!")
        return alarms

    # -- rw variables -------------------------------------------------------
    def set_var(self, item: Item) -> None:
        """``qx_set_var``: publish flags, string length, enum and ranges."""
        if item.flags & QxFlag.NONUT:
            return
        info = RwInfo(flags=[name for name, bit in (("RW", StFlag.RW), ("STRING", StFlag.STRING))
                             if item.info_flags & bit])
        values = list(self.rw_of(item))
        if item.info_flags & StFlag.STRING and values:
            info.length = strtol(values[0])
        if item.flags & QxFlag.ENUM:
            info.enum = values
        if item.flags & QxFlag.RANGE:
            for low, high in zip(values[0::2], values[1::2], strict=False):
                info.range.append((strtol(low), strtol(high)))
        if info.flags or info.length is not None or info.enum or info.range:
            self.rw[item.name] = info

    # -- the walk -----------------------------------------------------------
    def walk(self, mode: WalkStep) -> bool:
        """``qx_ups_walk``; False when a QUICK_POLL item failed (the status query)."""
        if mode is WalkStep.FULL:
            self.runtime_act = -1.0
            self.charge_act = -1.0
            self.one_pack_considered = False
        prev_command = ""
        prev_answer = ""
        self.status_direct.clear()
        for index, item in enumerate(self.protocol.table):
            flags = self.flags(index)
            if flags & QxFlag.SKIP:
                continue
            if mode is WalkStep.INIT:
                if flags & QxFlag.ABSENT:
                    if self.getinfo(item.name) is None:
                        self.setinfo(item.name, item.dfl or "")
                        self.set_var(item)
                    continue
                multi = item.name.startswith(("ups.alarm", "ups.status"))
                if not multi and self.getinfo(item.name) is not None:
                    continue
            elif mode is WalkStep.QUICK:
                if not flags & QxFlag.QUICK_POLL:
                    continue
            else:
                if flags & (QxFlag.ABSENT | QxFlag.CMD | QxFlag.SETVAR | QxFlag.STATIC):
                    continue
                if flags & QxFlag.SEMI_STATIC and not self.data_has_changed:
                    continue
            if flags & QxFlag.CMD:
                self.addcmd(item.name)
                continue
            if flags & QxFlag.SETVAR:
                if flags & QxFlag.NONUT and self.nonut_setvar is not None:
                    self.nonut_setvar(item.name)
                    self.skip.add(index)
                continue
            command = item.command or ""
            if prev_command and prev_answer and prev_command.lower() == command.lower():
                self.raw_answer = prev_answer
                result = self.process_answer(item, prev_answer, len(prev_answer))
            else:
                result = self.process(item)
            prev_command, prev_answer = command, result.answer
            if not result.ok:
                if flags & QxFlag.QUICK_POLL:
                    return False
                if mode is WalkStep.INIT:
                    self.skip.add(index)
                continue
            retcode = self.infoval_set(item, result.value)
            if retcode == -1:
                if flags & QxFlag.QUICK_POLL:
                    return False
                continue
            if retcode and mode is WalkStep.INIT:
                self.set_var(item)
        guess = self.runtime_act == -1 or self.charge_act == -1
        if mode is WalkStep.FULL and guess and self.after_full_walk is not None:
            self.after_full_walk()
        return True

