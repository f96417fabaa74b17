"""The command path: what the socket server calls for INSTCMD and SET, and ``-k``.

Protocol-neutral: the session checks and carries out single commands and writes;
here sit the rules around them that NUT's drivers share: old command names, the
composed ``load.on``/``load.off``/``shutdown.return``/``shutdown.stayoff`` (built from
the two timer commands when the device has no such command itself), and the
shutdown order of ``-k``. Every part of a composed command is checked before the
first is sent, so a refused part leaves the UPS untouched.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from typing import Protocol

from hidups.driver.protocol import Action, Session
from hidups.driver.settings import Settings
from hidups.errors import CommandError, CommandStatus, DeviceGone

log = logging.getLogger(__name__)

HANDLED = CommandStatus.HANDLED
UNKNOWN = CommandStatus.UNKNOWN
INVALID = CommandStatus.INVALID
FAILED = CommandStatus.FAILED
CONVERSION_FAILED = CommandStatus.CONVERSION_FAILED

#: Pause between the two timers of a composed shutdown (Tripp Lite AVR750U needs it).
COMPOSE_PAUSE = 0.125

#: NUT's ``upsdrv_shutdown`` order (master): first command that works wins.
DEFAULT_SHUTDOWN = ("shutdown.return", "shutdown.reboot", "load.off.delay", "shutdown.stayoff")

#: Old command names: used only when the device has no command of that name itself.
ALIASES = {"beeper.on": "beeper.enable", "beeper.off": "beeper.disable"}


class Host(Protocol):
    """What the command path needs of the driver core (:class:`hidups.driver.core.Driver`)."""

    lock: threading.RLock
    data_changed: bool

    @property
    def session(self) -> Session | None: ...
    @property
    def settings(self) -> Settings: ...
    def get(self, name: str) -> str | None: ...
    def sleep(self, seconds: float) -> None: ...
    def lose(self, why: str, *, stale: bool = True) -> None: ...


class CommandPath:
    """The driver's ``CommandHandler`` for the socket server."""

    def __init__(self, driver: Host, *,
                 sleep: Callable[[float], None] | None = None) -> None:
        self.driver = driver
        self.sleep = sleep or driver.sleep

    # --- the two entry points -------------------------------------------------------

    def instcmd(self, name: str, param: str | None) -> CommandStatus:
        lower = name.lower()
        if lower == "shutdown.default":
            return HANDLED if self.shutdown() else FAILED
        with self.driver.lock:
            session = self.driver.session
            if session is None:
                return FAILED
            try:
                steps = self._plan(session, lower, param)
            except CommandError as exc:
                log.warning("%s %s: %s", lower, param if param is not None else "", exc)
                return exc.status
            return self._run(session, steps)

    def setvar(self, name: str, value: str) -> CommandStatus:
        with self.driver.lock:
            session = self.driver.session
            if session is None:
                return FAILED
            try:
                action = session.plan_setvar(name, value)
            except CommandError as exc:
                if exc.status is not UNKNOWN:
                    log.warning("%s %s: %s", name, value, exc)
                return exc.status
            return self._run(session, [(action, True)])

    # --- planning -------------------------------------------------------------------

    def _plan(self, session: Session, name: str, param: str | None
              ) -> list[tuple[Action, bool]]:
        """Every step of the command, checked; (action, must succeed) pairs."""
        if session.has_command(name):
            return [(session.plan_command(name, param), True)]
        if name in ALIASES:
            log.warning("command %s is now called %s", name, ALIASES[name])
            return self._plan(session, ALIASES[name], param)
        return self._composed(session, name)

    def _composed(self, session: Session, name: str) -> list[tuple[Action, bool]]:
        get = self.driver.get
        if name == "load.on":
            return self._plan(session, "load.on.delay", "0")
        if name == "load.off":
            return self._plan(session, "load.off.delay", "0")
        if name in ("shutdown.return", "shutdown.stayoff"):
            returning = name == "shutdown.return"
            steps: list[tuple[Action, bool]] = []
            if get("ups.start.auto") is not None:
                # NUT sets it and goes on whatever the answer: an optional step.
                try:
                    auto = session.plan_setvar(
                        "ups.start.auto", "yes" if returning else "no")
                    steps.append((auto, False))
                except CommandError as exc:
                    log.debug("ups.start.auto not set: %s", exc)
            start = get("ups.delay.start") if returning else "-1"
            steps += self._plan(session, "load.on.delay", start)
            steps += self._plan(session, "load.off.delay", get("ups.delay.shutdown"))
            return steps
        log.debug("command %s is not available", name)
        raise CommandError(INVALID, f"command {name} is not available")

    # --- carrying out ---------------------------------------------------------------

    def _run(self, session: Session, steps: Sequence[tuple[Action, bool]]) -> CommandStatus:
        """Execute checked steps in order; a failing required step ends the command."""
        driver = self.driver
        timers = 0
        for action, required in steps:
            if action.name.endswith(".delay") and timers:
                self.sleep(COMPOSE_PAUSE)
            try:
                if session.execute(action):
                    driver.data_changed = True
            except CommandError as exc:
                log.warning("%s: %s", action.name, exc)
                if required:
                    return exc.status
            except DeviceGone as exc:
                driver.lose(str(exc))
                return FAILED
            if action.name.endswith(".delay"):
                timers += 1
        return HANDLED

    def shutdown(self, commands: Sequence[str] | None = None, depth: int = 0) -> bool:
        """Power the load off: ``sdcommands`` or NUT's default order; first success wins.

        A protocol with its own shutdown (nutdrv_qx's ``upsdrv_shutdown``) does it its way
        unless ``sdcommands`` asks for specific commands.
        """
        if commands is None and not self.driver.settings.sdcommands:
            with self.driver.lock:
                session = self.driver.session
                own = session.killpower() if session is not None else None
            if own is not None:
                log.info("shutdown %s", "successful" if own else "failed")
                return own
        if commands is None:
            commands = self.driver.settings.sdcommands or DEFAULT_SHUTDOWN
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
