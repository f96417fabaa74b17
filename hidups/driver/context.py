"""The driver's :class:`hidups.hid2nut.table.Context`: what conversions may look at.

NUT's conversion functions reach for globals (the dstate tree, the USB handle, the
report buffer). Ours get this object instead, so they stay testable and a second
device in the same process (tests, the benchmark) cannot leak into the first.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from hidups.descriptor.model import Field, ReportType
from hidups.device import DeviceInfo
from hidups.driver.walk import ReportCache, read_field, resolve_path
from hidups.usages import UsageTable

log = logging.getLogger(__name__)


class DriverContext:
    """Context for one opened device; the engine swaps ``cache`` on reconnect."""

    def __init__(
        self,
        device: DeviceInfo,
        options: Mapping[str, str],
        getter: Callable[[str], str | None],
        string_reader: Callable[[int], str | None],
        usages: UsageTable,
        cache: ReportCache | None = None,
    ) -> None:
        self.device = device
        self.state: dict[str, Any] = {}
        self._options = options
        self._get = getter
        self._string = string_reader
        self._usages = usages
        self.cache = cache
        self._strings: dict[int, str | None] = {}
        self._fields: dict[tuple[int, str], Field | None] = {}

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

    # --- conversion effects (hidups.hid2nut.table.Context) ---------------------------------
    # Temporary bridge: they leave today's ``state`` requests, which the engine's
    # ``drain_requests`` carries out, until the engine implements them directly.

    def publish(self, name: str, value: str) -> None:
        self.state.setdefault("publish", {})[name] = value

    def delete(self, name: str) -> None:
        self.state.setdefault("delete", set()).add(name)

    def buzzmode(self, word: str) -> None:
        self.state["buzzmode"] = word

    def request_write(self, name: str, value: str) -> None:
        self.state.setdefault("setvar", []).append((name, value))

    @property
    def status_bits(self) -> frozenset[str]:
        return frozenset(self.state.get("status_bits", ()))

    def forget_strings(self) -> None:
        """After a reconnect the device may be another unit with other strings."""
        self._strings.clear()
        self._fields.clear()
