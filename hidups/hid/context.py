"""The HID session's :class:`hidups.hid2nut.table.Context`: what conversions may see and do.

NUT's conversion functions reach for globals (the dstate tree, the USB handle, the
report buffer, the status word) and call ``dstate_setinfo``/``setvar`` directly. Ours
get this object instead: reads go through the session's report cache, and effects
are typed calls (``publish``, ``delete``, ``buzzmode``, ``request_write``) that the
session carries out, so a second device in the same process cannot leak into the
first and tests can record exactly what a conversion asked for.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from hidups.descriptor.model import Field, ReportType
from hidups.device import DeviceInfo
from hidups.hid.walk import ReportCache, read_field, resolve_path
from hidups.usages import UsageTable

log = logging.getLogger(__name__)


class HidContext:
    """Context for one session (one connection to one device)."""

    def __init__(
        self,
        device: DeviceInfo,
        options: Mapping[str, str],
        getter: Callable[[str], str | None],
        string_reader: Callable[[int], str | None],
        usages: UsageTable,
        *,
        publish: Callable[[str, str], None],
        delete: Callable[[str], None],
        status_bits: Callable[[], frozenset[str]],
        cache: ReportCache | None = None,
        state: dict[str, Any] | None = None,
    ) -> None:
        self.device = device
        #: the subdriver's own per-device scratch (scale decisions, model type), kept
        #: across reconnects to the same unit as NUT keeps its globals
        self.state: dict[str, Any] = state if state is not None else {}
        self.cache = cache
        self._options = options
        self._get = getter
        self._string = string_reader
        self._usages = usages
        self._publish = publish
        self._delete = delete
        self._status_bits = status_bits
        self._strings: dict[int, str | None] = {}
        self._fields: dict[tuple[int, str], Field | None] = {}
        self._buzzwords: list[str] = []
        self._writes: list[tuple[str, str]] = []

    # --- what a conversion may look at ----------------------------------------------

    def get(self, name: str) -> str | None:
        return self._get(name)

    def option(self, name: str) -> str | None:
        return self._options.get(name)

    def string(self, index: int) -> str | None:
        """A USB string, read once per device (strings do not change while plugged)."""
        if index <= 0:
            return None
        if index not in self._strings:
            try:
                self._strings[index] = self._string(index)
            except OSError as exc:
                log.debug("string %d unreadable: %s", index, exc)
                return None
        return self._strings[index]

    def value(self, path: str) -> float | None:
        """Another usage's physical value, through the walk's report cache."""
        if self.cache is None:
            return None
        key = (id(self.cache.desc), path)
        if key not in self._fields:
            self._fields[key] = resolve_path(self.cache.desc, self._usages, path,
                                             ReportType.FEATURE)
        fld = self._fields[key]
        if fld is None:
            return None
        return read_field(self.cache, fld)

    def report(self, report_id: int) -> bytes | None:
        """A whole Feature report through the walk's cache (fetched once per walk).

        ``None`` when the device refuses it, or when ``skip_report`` names it.
        """
        if self.cache is None:
            return None
        return self.cache.fetch(ReportType.FEATURE, report_id)

    @property
    def status_bits(self) -> frozenset[str]:
        """The status bits set so far (MGE's converter row reads ``off``)."""
        return self._status_bits()

    # --- what a conversion may do ---------------------------------------------------

    def publish(self, name: str, value: str) -> None:
        """NUT's ``dstate_setinfo`` from inside a conversion."""
        self._publish(name, value)

    def delete(self, name: str) -> None:
        """NUT's ``dstate_delinfo`` from inside a conversion."""
        self._delete(name)

    def buzzmode(self, word: str) -> None:
        """NUT's ``buzzmode_set``: a mode word for ``experimental.ups.mode.buzzwords``."""
        if word and word not in self._buzzwords:
            self._buzzwords.append(word)

    def request_write(self, name: str, value: str) -> None:
        """NUT's ``setvar`` from inside a conversion; carried out after the walk."""
        self._writes.append((name, value))

    # --- for the session ------------------------------------------------------------

    def take_buzzwords(self) -> list[str]:
        words, self._buzzwords = self._buzzwords, []
        return words

    def take_writes(self) -> list[tuple[str, str]]:
        writes, self._writes = self._writes, []
        return writes
