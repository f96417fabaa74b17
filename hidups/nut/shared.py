"""Commands every NUT driver answers itself, before the device-specific handler.

NUT's ``main.c`` handles ``driver.killpower``, ``driver.exit``, ``driver.reload*`` and
the writable ``driver.debug`` / ``driver.flag.allow_killpower`` in the driver core. Here
they are handled the same way; what they *do* (power off, exit, reload the
configuration, change the log level) is up to the engine, through hooks it sets.
A command whose hook is not set falls through to the engine's own handler.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from hidups.errors import CommandStatus
from hidups.numbers import parse_int
from hidups.nut.dstate import DState

log = logging.getLogger(__name__)

HANDLED = CommandStatus.HANDLED
UNKNOWN = CommandStatus.UNKNOWN
INVALID = CommandStatus.INVALID
FAILED = CommandStatus.FAILED

ALLOW_KILLPOWER = "driver.flag.allow_killpower"

#: What ``driver.reload*`` asks of the engine; the value is passed to ``on_reload``.
RELOAD_COMMANDS = {
    "driver.reload": "reload",
    "driver.reload-or-exit": "reload-or-exit",
    "driver.reload-or-error": "reload-or-error",
}


@dataclass
class SharedHooks:
    """What the engine plugs in. Each hook runs on the socket server's thread.

    - ``on_killpower()`` powers the UPS off (``sdcommands`` / ``shutdown.default``) and
      returns a NUT status;
    - ``on_exit()`` asks the driver to exit;
    - ``on_reload(mode)`` re-reads ups.conf; ``mode`` is ``reload``, ``reload-or-exit``
      or ``reload-or-error``; only the last waits for and returns a NUT status;
    - ``on_debug(level)`` sets the debug level (-1: back to the configured one) and
      returns the level now in effect.
    """

    on_killpower: Callable[[], int] | None = None
    on_exit: Callable[[], None] | None = None
    on_reload: Callable[[str], int] | None = None
    on_debug: Callable[[int], int] | None = None


class HookProperties:
    """``on_exit`` & co. as attributes of the server (the contract's spelling),
    kept in its :class:`SharedHooks`."""

    hooks: SharedHooks

    @property
    def on_exit(self) -> Callable[[], None] | None:
        return self.hooks.on_exit

    @on_exit.setter
    def on_exit(self, hook: Callable[[], None] | None) -> None:
        self.hooks.on_exit = hook

    @property
    def on_reload(self) -> Callable[[str], int] | None:
        return self.hooks.on_reload

    @on_reload.setter
    def on_reload(self, hook: Callable[[str], int] | None) -> None:
        self.hooks.on_reload = hook

    @property
    def on_killpower(self) -> Callable[[], int] | None:
        return self.hooks.on_killpower

    @on_killpower.setter
    def on_killpower(self, hook: Callable[[], int] | None) -> None:
        self.hooks.on_killpower = hook

    @property
    def on_debug(self) -> Callable[[int], int] | None:
        return self.hooks.on_debug

    @on_debug.setter
    def on_debug(self, hook: Callable[[int], int] | None) -> None:
        self.hooks.on_debug = hook


def allow_killpower_value(text: str) -> str:
    """NUT's reading of a ``SET driver.flag.allow_killpower`` value: "1" or "0"."""
    number = parse_int(text)
    if number is not None:
        return "1" if number > 0 else "0"
    truthy = text.startswith("enable") or text in ("true", "yes", "on")
    return "1" if truthy else "0"


def shared_instcmd(dstate: DState, hooks: SharedHooks, name: str,
                   param: str | None) -> CommandStatus:
    """Status of a driver-core command, or UNKNOWN to pass it on to the engine."""
    if name == "driver.killpower":
        if dstate.get(ALLOW_KILLPOWER) != "1":
            log.critical(
                "socket request to power off the UPS refused: "
                "driver.flag.allow_killpower is not 1"
            )
            return INVALID
        if hooks.on_killpower is None:
            return UNKNOWN
        log.critical("powering off the UPS on socket protocol request")
        previous = dstate.get("driver.state")
        dstate.set("driver.state", "fsd.killpower")
        try:
            status = hooks.on_killpower()
        finally:
            dstate.set("driver.state", previous or "quiet")
        return CommandStatus(status)
    if name == "driver.exit" and hooks.on_exit is not None:
        hooks.on_exit()
        return HANDLED
    if name in RELOAD_COMMANDS and hooks.on_reload is not None:
        mode = RELOAD_COMMANDS[name]
        status = hooks.on_reload(mode)
        return CommandStatus(status) if mode == "reload-or-error" else HANDLED
    return UNKNOWN


def shared_setvar(dstate: DState, hooks: SharedHooks, name: str,
                  value: str) -> CommandStatus:
    """Status of a driver-core variable write, or UNKNOWN to pass it on to the engine."""
    if name == "driver.debug":
        level = parse_int(value)
        if level is None:
            return INVALID
        level = max(level, -1)
        effective = hooks.on_debug(level) if hooks.on_debug else max(level, 0)
        dstate.set("driver.debug", str(effective))
        return HANDLED
    if name == ALLOW_KILLPOWER:
        dstate.set(ALLOW_KILLPOWER, allow_killpower_value(value))
        return HANDLED
    return UNKNOWN
