"""One Q* device as the driver core sees it: init, walks, commands, setvars, -k.

Why: the core drives HID and Q* devices alike; this wraps nutdrv_qx's
``upsdrv_initinfo``/``updateinfo``/``instcmd``/``setvar``/``upsdrv_shutdown`` behind
the small API the core calls, with all per-device state inside.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from hidups.errors import ConfigError
from hidups.qx.battery import Battery
from hidups.qx.commands import instcmd, killpower, setvar
from hidups.qx.engine import Engine
from hidups.qx.items import CommandStatus, Query, QxFlag, QxProtocol, RwInfo, WalkStep
from hidups.qx.registry import MAXTRIES
from hidups.qx.settings import QxSettings

#: dstate.c's ``alarm_buf`` holds ST_MAX_VALUE_LEN (256) bytes.
ALARM_BUF_SIZE = 256


def alarm_buffer(alarms: list[str]) -> list[str]:
    """The alarms as NUT 2.8.5's ``alarm_set`` leaves them in ``alarm_buf``.

    The first is cut at 255 characters (``snprintf``), each further one is added after
    a blank by ``snprintfcat``, which keeps one byte more back: the text stops at 254
    characters, and nothing is added to a buffer already longer than that.
    """
    buf = ""
    for text in alarms:
        if not buf:
            buf = text[:ALARM_BUF_SIZE - 1]
        elif len(buf) <= ALARM_BUF_SIZE - 2:
            buf = (buf + " " + text)[:ALARM_BUF_SIZE - 2]
    pieces: list[str] = []
    pos = 0
    for text in alarms:
        if pos > len(buf):
            break
        pieces.append(buf[pos:pos + len(text)])
        pos += len(text) + 1
    return pieces


@dataclass
class WalkResult:
    """What a walk leaves in dstate; ``ok`` False when the status query failed."""

    values: dict[str, str]
    deleted: set[str]
    status: list[str]
    alarms: list[str]
    commands: list[str]
    rw: dict[str, RwInfo]
    ok: bool = True
    extra: dict[str, str] = field(default_factory=dict)
    #: NUT commits buzzwords after every update walk, from that walk alone
    buzzwords: list[str] = field(default_factory=list)


class QxSession:
    """Per-device nutdrv_qx state: cached answers, skipped rows, battery estimate."""

    def __init__(self, protocol: QxProtocol, query: Query, options: Mapping[str, str],
                 clock: Callable[[], float] = time.time) -> None:
        self.settings = QxSettings.from_options(options)
        self.engine = Engine(protocol, query, self.settings, clock)
        self.battery = Battery(self.engine)
        self.engine.after_full_walk = self.battery.update
        self.engine.nonut_setvar = lambda name: setvar(self.engine, name, None)
        self.lastpoll = 0.0
        self.failures = 0
        #: ``ups.alarm`` as NUT commits it: only at the end of a successful full walk
        #: (alarm_init/alarm_commit), so alarms set by the init or a quick walk (e.g. a
        #: QUICK_POLL alarm row) neither show early nor pile up between full walks.
        self.committed_alarms: list[str] = []
        if protocol.initups is not None:
            protocol.initups(self.engine)

    @property
    def protocol(self) -> QxProtocol:
        """The protocol in use."""
        return self.engine.protocol

    def _result(self, ok: bool) -> WalkResult:
        engine = self.engine
        deleted = set(engine.deleted)
        engine.deleted.clear()
        return WalkResult(values=dict(engine.values), deleted=deleted,
                          status=engine.status_words(), alarms=list(self.committed_alarms),
                          commands=list(engine.commands), rw=dict(engine.rw), ok=ok,
                          buzzwords=list(engine.buzzwords))

    def init(self) -> WalkResult:
        """``upsdrv_initinfo``: the INIT walk, battery set-up, delays, load.on/off."""
        engine = self.engine
        engine.setinfo("driver.version.data", self.protocol.version)
        ok = engine.walk(WalkStep.INIT)
        engine.buzzwords.clear()  # upsdrv_initinfo commits none; the next update resets
        if not ok:
            return self._result(False)
        self.battery.init()
        for name, option, text in (("ups.delay.start", "ondelay", self.settings.ondelay),
                                   ("ups.delay.shutdown", "offdelay", self.settings.offdelay)):
            if engine.getinfo(name) is None or text is None:
                continue
            if setvar(engine, name, text) is not CommandStatus.HANDLED:
                raise ConfigError(f"{option}={text!r}: out of range for {name}",
                                      option=option)
        for plain, delayed in (("load.off", "load.off.delay"), ("load.on", "load.on.delay")):
            if engine.find(plain, QxFlag.CMD, QxFlag.SKIP) is None and \
                    engine.find(delayed, QxFlag.CMD, QxFlag.SKIP) is not None:
                engine.addcmd(plain)
        engine.setinfo("driver.parameter.pollfreq", str(self.settings.pollfreq))
        self.lastpoll = engine.clock()
        if self.protocol.initinfo is not None:
            self.protocol.initinfo(engine)
        return self._result(True)

    def walk(self, full: bool) -> WalkResult:
        """``upsdrv_updateinfo``'s walk: FULL resets status and alarms, QUICK only polls."""
        engine = self.engine
        engine.buzzwords.clear()  # buzzmode_init
        if full:
            engine.status.clear()
            engine.alarms.clear()
            ok = engine.walk(WalkStep.FULL)
            if ok:
                engine.data_has_changed = False
                self.lastpoll = engine.clock()
                self.committed_alarms = alarm_buffer(engine.alarm_words())
        else:
            ok = engine.walk(WalkStep.QUICK)
        self.failures = 0 if ok else self.failures + 1
        return self._result(ok)

    def full_due(self) -> bool:
        """``upsdrv_updateinfo``'s choice: full walk after ``pollfreq`` s or a change."""
        return self.engine.clock() > self.lastpoll + self.settings.pollfreq \
            or self.engine.data_has_changed

    def update(self) -> WalkResult:
        """One ``upsdrv_updateinfo`` walk, full or quick as NUT would choose."""
        return self.walk(full=self.full_due())

    @property
    def stale(self) -> bool:
        """NUT calls ``dstate_datastale`` after more than MAXTRIES (3) failed walks."""
        return self.failures > MAXTRIES

    @property
    def data_has_changed(self) -> bool:
        """True after a successful command/setvar: NUT then does a full walk next."""
        return self.engine.data_has_changed

    def instcmd(self, name: str, param: str | None) -> CommandStatus:
        """Run an instant command; invalid arguments are refused before sending."""
        return instcmd(self.engine, name, param)

    def setvar(self, name: str, value: str) -> CommandStatus:
        """Set a writable variable (the delays are kept locally, as NUT does)."""
        return setvar(self.engine, name, value)

    def killpower(self) -> bool:
        """``upsdrv_shutdown``: cancel a pending shutdown, then shut down (return/stayoff)."""
        return killpower(self.engine)
