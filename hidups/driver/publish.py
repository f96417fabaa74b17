"""The core's dstate view for sessions: NUT's ``dstate_*`` calls, with ``override.X``.

A session publishes what it reads; a user's ``override.X`` value always wins (NUT
sets those IMMUTABLE and its drivers' later writes are ignored), and the INIT walk
must not replace what was set before it (identity, overrides: NUT's "already in
dstate").
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol


class Store(Protocol):
    """What the core needs of ``hidups.nut.dstate.DState``."""

    def set(self, name: str, value: str) -> None: ...
    def get(self, name: str) -> str | None: ...
    def delete(self, name: str) -> None: ...
    def set_flags(self, name: str, *flags: str) -> None: ...
    def set_aux(self, name: str, length: int) -> None: ...
    def add_enum(self, name: str, value: str) -> None: ...
    def add_range(self, name: str, low: int, high: int) -> None: ...
    def add_cmd(self, name: str) -> None: ...
    def has_cmd(self, name: str) -> bool: ...
    def data_ok(self) -> None: ...
    def data_stale(self) -> None: ...
    def names(self) -> list[str]: ...


class OverridingPublisher:
    """A :class:`hidups.driver.protocol.Publisher` over a store, honouring overrides."""

    def __init__(self, store: Store, overrides: Mapping[str, str],
                 defaults: Mapping[str, str]) -> None:
        self.store = store
        self.overrides = overrides
        self.defaults = defaults
        self._owned: set[str] | None = None

    def publish(self, name: str, value: str) -> None:
        if name not in self.overrides:
            self.store.set(name, value)

    def delete(self, name: str) -> None:
        if name not in self.overrides:
            self.store.delete(name)

    def get(self, name: str) -> str | None:
        return self.store.get(name)

    def names(self) -> list[str]:
        return self.store.names()

    def set_flags(self, name: str, *flags: str) -> None:
        self.store.set_flags(name, *flags)

    def set_aux(self, name: str, length: int) -> None:
        self.store.set_aux(name, length)

    def add_enum(self, name: str, value: str) -> None:
        self.store.add_enum(name, value)

    def add_range(self, name: str, low: int, high: int) -> None:
        self.store.add_range(name, low, high)

    def add_cmd(self, name: str) -> None:
        self.store.add_cmd(name)

    def owned_before_init(self) -> set[str]:
        """Names (lower case) the first INIT walk may not replace; fixed at first use."""
        if self._owned is None:
            before = {n.lower() for n in self.store.names()}
            self._owned = before - {n.lower() for n in self.defaults}
        return set(self._owned)
