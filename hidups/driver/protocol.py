"""The one small interface between the driver core and a device protocol.

The core (``hidups.driver.core``) runs NUT's driver life: the update loop and its
schedule, ``ups.status``/``ups.alarm`` commit, the command path, stale and reconnect,
reload. A device protocol (HID Power Device in ``hidups.hid``; Q* serial protocols
beside it) knows how to talk to one kind of UPS. It plugs in as a
:class:`DeviceProtocol` that opens :class:`Session` objects: one session is one
connection, owning its transport, decoding state and event reader, so a reconnect
replaces exactly one object and nothing reaches into another's state.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from hidups.device import DeviceInfo
from hidups.driver.settings import Settings


class WalkMode(enum.Enum):
    """NUT's walk modes: INIT once per connection, then QUICK or FULL per update."""

    INIT = "init"
    QUICK = "quick"
    FULL = "full"


class Publisher(Protocol):
    """Where a session puts what it reads: the core's view of dstate.

    ``publish`` and ``delete`` respect the user's ``override.X`` values.
    """

    def publish(self, name: str, value: str) -> None: ...
    def delete(self, name: str) -> None: ...
    def get(self, name: str) -> str | None: ...
    def names(self) -> list[str]: ...
    def set_flags(self, name: str, *flags: str) -> None: ...
    def set_aux(self, name: str, length: int) -> None: ...
    def add_enum(self, name: str, value: str) -> None: ...
    def add_range(self, name: str, low: int, high: int) -> None: ...
    def add_cmd(self, name: str) -> None: ...
    def owned_before_init(self) -> set[str]: ...


@dataclass(slots=True)
class StatusReport:
    """A session's status after a walk or an event, for the core to commit.

    ``words`` are NUT's status words in the order the protocol's NUT driver sets them;
    ``alarms`` is ``None`` when this update takes no ``ups.alarm`` decision (usbhid-ups
    decides it only in FULL walks).
    """

    words: list[str]
    alarms: list[str] | None = None
    transfer_reason: str | None = None
    buzzwords: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class WalkOutcome:
    """What a walk says about the data, for the core's stale decision.

    ``fresh`` is False when the walk could not read what ``ups.status`` is made of (or,
    without status rows, anything at all): the values served are then old, and the core
    says DATASTALE instead of passing them off as current. ``wrote``: a conversion
    wrote to the device, so the next update re-reads the semi-static values.
    """

    fresh: bool = True
    wrote: bool = False
    why: str = ""


@dataclass(frozen=True, slots=True)
class Action:
    """A command or write that passed every check and has not been sent yet.

    Sessions make them (``plan_*``) and carry them out (``execute``); the core plans
    every part of a composed command before executing the first, so a composed
    command or ``-k`` cannot half-happen.
    """

    name: str
    value: str
    payload: object = None


class Session(Protocol):
    """One open connection to one UPS."""

    @property
    def device(self) -> DeviceInfo: ...

    @property
    def version_data(self) -> str:
        """``driver.version.data``: the subdriver or protocol in use."""

    @property
    def options(self) -> Mapping[str, str]:
        """The options in force: the user's over the protocol's and subdriver's defaults."""

    @property
    def settings(self) -> Settings:
        """The core settings read from :attr:`options`."""

    def configure(self, user_options: Mapping[str, str]) -> Mapping[str, str]:
        """Recompute :attr:`options` (reload); raises ConfigError on a bad value."""

    def start(self, publisher: Publisher, *, first: bool) -> WalkOutcome:
        """Identity and the INIT walk. On a reconnect (not ``first``) a device that
        answers nothing raises :class:`hidups.errors.DeviceGone`."""

    def walk(self, mode: WalkMode, *, data_changed: bool) -> WalkOutcome:
        """A QUICK or FULL walk. Raises :class:`hidups.errors.DeviceGone`."""

    def status(self, mode: WalkMode | None) -> StatusReport:
        """The status to commit; ``mode`` is the walk just done, ``None`` after an event."""

    def has_command(self, name: str) -> bool:
        """The device has a command (or variable) of that name itself."""

    def plan_command(self, name: str, param: str | None) -> Action:
        """Check a command; raises :class:`hidups.errors.CommandError` to refuse it."""

    def plan_setvar(self, name: str, value: str) -> Action:
        """Check a write; raises :class:`hidups.errors.CommandError` to refuse it."""

    def execute(self, action: Action) -> bool:
        """Carry an action out; True when the device was written.

        Raises CommandError(FAILED) or :class:`hidups.errors.DeviceGone`.
        """

    def killpower(self) -> bool | None:
        """``-k`` the protocol's own way (True/False), or None for the core's order
        (``sdcommands``, else usbhid-ups' shutdown.return, shutdown.reboot, ...)."""

    def start_events(self, on_event: Callable[[Any, bytes], None],
                     on_error: Callable[[Any, Exception], None]) -> None:
        """Start the event source (interrupt reader), if the protocol has one."""

    def read_event_once(self) -> bytes | None:
        """One event transfer in the calling thread (``-d`` runs), or ``None``."""

    def apply_event(self, data: bytes) -> None:
        """Decode one event into the session's values and status bits."""

    def events_silent(self) -> bool:
        """True when the event source stayed silent too long (reopen the device)."""

    def close(self) -> None:
        """Stop the event source, wait for it, then release the device."""


S = TypeVar("S", bound=Session)


class DeviceProtocol(Protocol[S]):
    """Opens sessions for one kind of device."""

    def open(self, options: Mapping[str, str], *, user_options: Mapping[str, str],
             previous: S | None) -> S:
        """Open the device ``options`` match; ``previous`` is the session lost, if any.

        Raises :class:`hidups.errors.TransportError` (or ``OSError``) when it cannot.
        """

    def reconnect_options(self, options: Mapping[str, str],
                          device: DeviceInfo | None) -> list[dict[str, str]]:
        """Matching options for finding the lost unit again, most specific first."""
