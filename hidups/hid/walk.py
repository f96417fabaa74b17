"""Walks over the hid2nut rows: which rows a walk reads, and the per-walk report cache.

NUT reads each row's value through a per-report buffer that is refreshed when older
than the poll interval. We make the rule exact instead of time-based: within one walk
a report is fetched at most once, however many rows (or look-ups from conversion
functions) read it. :class:`ReportCache` counts the transfers so tests and the
benchmark can check that.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from hidups import codec
from hidups.descriptor import paths
from hidups.descriptor.model import Field, ReportDescriptor, ReportType
from hidups.driver.protocol import WalkMode
from hidups.errors import (
    AccessDenied,
    ConfigError,
    DeviceBusy,
    DeviceGone,
    DeviceNotFound,
    Disconnected,
    ProtocolError,
    TransportError,
    TransportTimeout,
)
from hidups.hid2nut.table import Flag, Row
from hidups.usages import UsageTable

log = logging.getLogger(__name__)

#: Transport errors after which the device must be reopened (NUT's BUSY, NO_DEVICE,
#: ACCESS, NOT_FOUND class). Anything else only spoils the one report.
GONE_ERRORS: tuple[type[TransportError], ...] = (
    Disconnected, DeviceBusy, AccessDenied, DeviceNotFound,
)

#: Timeouts in a row after which a walk gives up asking (the device stopped answering).
TIMEOUTS_TO_ABORT = 2

#: The option naming report ids never to request (comma-separated, ``0x54`` or ``84``).
#: Subdrivers set it in their claim for firmware that answers some report with garbage
#: or hangs on it (Tripp Lite SU3000LCD2UHV, 09ae:1330, and report 0x54, as NUT).
SKIP_REPORT_OPTION = "skip_report"


def skipped_reports(options: Mapping[str, str]) -> frozenset[int]:
    """The report ids ``skip_report`` names; a word that is no number is a ConfigError."""
    text = options.get(SKIP_REPORT_OPTION) or ""
    ids: set[int] = set()
    for word in text.replace(",", " ").split():
        try:
            number = int(word, 0)
        except ValueError:
            number = -1
        if not 0 <= number <= 0xFF:
            raise ConfigError(f"{SKIP_REPORT_OPTION}: {word!r} is not a report id (0..255)",
                              option=SKIP_REPORT_OPTION)
        ids.add(number)
    return frozenset(ids)


#: Bytes asked for with the ``maxreport`` option (APC Back-UPS firmware that answers
#: with more than the descriptor says): a full-speed control transfer's worth.
MAX_REPORT_LENGTH = 64


@dataclass(slots=True)
class Binding:
    """A row bound to the descriptor field its path resolved to."""

    index: int  # position in the subdriver's table
    row: Row
    field: Field


class ReportCache:
    """Report bytes by (type, id), fetched at most once per walk; counts transfers."""

    def __init__(
        self,
        get_report: Callable[[ReportType, int, int], bytes],
        desc: ReportDescriptor,
        *,
        max_report: bool = False,
        skipped: frozenset[int] = frozenset(),
        never_fetch: bool = False,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._get_report = get_report
        self.desc = desc
        self.max_report = max_report
        self.skipped = skipped
        self.never_fetch = never_fetch  # interruptonly: only interrupts fill the cache
        self.clock = clock
        self._data: dict[tuple[ReportType, int], bytes] = {}
        self._stamp: dict[tuple[ReportType, int], float] = {}
        self._walk = 0
        self._fetched_in: dict[tuple[ReportType, int], int] = {}
        self._failed_in: dict[tuple[ReportType, int], int] = {}
        #: GET_REPORT transfers by report id, over the cache's lifetime.
        self.transfers: Counter[int] = Counter()
        self.walk_transfers = 0
        #: Transfers the device answered in this walk, with data or with a stall.
        self.walk_answers = 0
        #: Timeouts in a row in this walk; at :data:`TIMEOUTS_TO_ABORT` the rest of the
        #: walk asks nothing more, so a device that stopped answering costs two timeouts
        #: per walk, not one per report, while one slow report does not end the walk.
        self.walk_timeouts = 0
        #: Walks in a row in which each report could not be read (reset when it is).
        self.failures: Counter[tuple[ReportType, int]] = Counter()

    def new_walk(self) -> None:
        """Start a walk: every report may be fetched once more."""
        self._walk += 1
        self.walk_transfers = 0
        self.walk_answers = 0
        self.walk_timeouts = 0

    def invalidate(self) -> None:
        """Forget everything (after a write: other fields of that report changed too)."""
        self._data.clear()
        self._stamp.clear()
        self._fetched_in.clear()
        self._failed_in.clear()

    def length(self, report_type: ReportType, report_id: int) -> int:
        """Bytes to ask for: the descriptor's payload plus the report-ID byte."""
        report = self.desc.reports.get((report_type, report_id))
        payload = report.byte_length if report is not None else 0
        if self.max_report:
            return max(payload + 1, MAX_REPORT_LENGTH)
        return payload + 1

    def store(self, report_type: ReportType, report_id: int, data: bytes) -> None:
        """Put bytes that arrived otherwise (an interrupt report) into the cache."""
        key = (report_type, report_id)
        self._data[key] = bytes(data)
        self._stamp[key] = self.clock()

    def cached(self, report_type: ReportType, report_id: int) -> bytes | None:
        return self._data.get((report_type, report_id))

    def fetch(self, report_type: ReportType, report_id: int) -> bytes | None:
        """The report's bytes for this walk; ``None`` when it cannot be had now.

        Raises :class:`DeviceGone` when the transport says the device is gone.
        """
        key = (report_type, report_id)
        if self.never_fetch or report_id in self.skipped:
            return self._data.get(key)
        if self._fetched_in.get(key) == self._walk:
            return self._data.get(key)
        if self._failed_in.get(key) == self._walk:
            return None
        if self.walk_timeouts >= TIMEOUTS_TO_ABORT:
            self._failed(key)
            return None
        try:
            data = self._get_report(report_type, report_id, self.length(report_type, report_id))
        except GONE_ERRORS as exc:
            raise DeviceGone(str(exc)) from exc
        except ProtocolError as exc:
            log.debug("report 0x%02x refused (stall): %s", report_id, exc)
            self._failed(key)
            self.walk_answers += 1
            return None
        except TransportTimeout as exc:
            log.debug("report 0x%02x timed out (try later): %s", report_id, exc)
            self._failed(key)
            self.walk_timeouts += 1
            return None
        except TransportError as exc:
            log.debug("report 0x%02x: I/O error, skipped: %s", report_id, exc)
            self._failed(key)
            return None
        finally:
            self.transfers[report_id] += 1
            self.walk_transfers += 1
        expected = self.length(report_type, report_id)
        if len(data) != expected and not self.max_report:
            log.debug("report 0x%02x: %d bytes, descriptor says %d",
                      report_id, len(data), expected)
        self._data[key] = bytes(data)
        self._stamp[key] = self.clock()
        self._fetched_in[key] = self._walk
        self.walk_answers += 1
        self.walk_timeouts = 0
        self.failures.pop(key, None)
        return self._data[key]

    def _failed(self, key: tuple[ReportType, int]) -> None:
        self._failed_in[key] = self._walk
        self.failures[key] += 1


def read_field(cache: ReportCache, fld: Field) -> float | None:
    """A field's physical value from its report (fetched once per walk), or ``None``."""
    data = cache.fetch(fld.report_type, fld.report_id)
    if data is None:
        return None
    try:
        return float(codec.read_value(fld, data))
    except (ValueError, IndexError) as exc:
        log.debug("field at bit %d of report 0x%02x unreadable: %s",
                  fld.offset, fld.report_id, exc)
        return None


def resolve_path(
    desc: ReportDescriptor, usages: UsageTable, path: str, report_type: ReportType
) -> Field | None:
    """The field a row's path names, as NUT's ``FindObject_with_Path`` finds it."""
    try:
        nodes = paths.parse_path(path, usages)
    except (ValueError, KeyError) as exc:
        log.debug("path %r does not parse: %s", path, exc)
        return None
    if nodes is None:
        return None
    found: Field | None = paths.find_field(desc, nodes, report_type)
    return found


def bind_rows(
    rows: Sequence[Row],
    desc: ReportDescriptor,
    usages: UsageTable,
    *,
    interrupt_only: bool = False,
) -> list[Binding | None]:
    """Resolve every row's path once; ``None`` where the device has no such field.

    Rows resolve to Feature fields, as NUT's do; with ``interruptonly`` to Input ones.
    """
    wanted = ReportType.INPUT if interrupt_only else ReportType.FEATURE
    out: list[Binding | None] = []
    for index, row in enumerate(rows):
        if row.path is None:
            out.append(None)
            continue
        fld = resolve_path(desc, usages, row.path, wanted)
        out.append(Binding(index, row, fld) if fld is not None else None)
    return out


def rows_for(
    mode: WalkMode,
    bindings: Iterable[Binding],
    *,
    use_interrupts: bool,
    data_changed: bool,
) -> list[Binding]:
    """Which bound rows a QUICK or FULL walk reads (NUT master's selection).

    QUICK: only QUICK rows. FULL: everything but ABSENT and CMD rows; STATIC rows only
    without the interrupt pipe (re-reading them then detects a lost device);
    SEMI_STATIC only after a write, or without the interrupt pipe.
    """
    chosen: list[Binding] = []
    for b in bindings:
        flags = b.row.flags
        if mode is WalkMode.QUICK:
            if flags & Flag.QUICK:
                chosen.append(b)
            continue
        if flags & (Flag.ABSENT | Flag.CMD):
            continue
        if flags & Flag.STATIC and use_interrupts:
            continue
        if flags & Flag.SEMI_STATIC and use_interrupts and not data_changed:
            continue
        chosen.append(b)
    return chosen


@dataclass(slots=True)
class WalkStats:
    """What one walk did, for the loop's decisions and the debug log."""

    mode: WalkMode
    polled: int = 0
    succeeded: int = 0
    #: the BOOL rows behind ``ups.status``, asked and read
    status_polled: int = 0
    status_succeeded: int = 0
    transfers: int = 0
    reports: set[tuple[ReportType, int]] = field(default_factory=set)
