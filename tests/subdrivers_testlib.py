"""Helpers for the subdriver, registry and generator tests: captures as devices, path
resolution, what the driver would bind, and a stand-in for the driver's conversion
Context. Test modules import these from here, never from one another."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shared_captures import descriptor_bytes, shared_capture, shared_capture_files

from hidups.descriptor.model import Field, ReportDescriptor, ReportType
from hidups.descriptor.paths import find_field, parse_path
from hidups.device import DeviceInfo
from hidups.hid.walk import bind_rows
from hidups.hid2nut import generate
from hidups.hid2nut.subdriver import Subdriver
from hidups.hid2nut.table import ALARM, BOOL, CMD, Row
from hidups.usages import STANDARD

FieldKey = tuple[ReportType, int, int, int]

#: upsc variables the driver core or the format hooks publish, not table rows.
NOT_FROM_ROWS = frozenset(
    {
        "ups.status",
        "ups.alarm",
        "ups.mfr",
        "ups.model",
        "ups.serial",
        "ups.vendorid",
        "ups.productid",
        "input.transfer.reason",
        "experimental.ups.mode.buzzwords",
    }
)
NOT_FROM_ROWS_PREFIXES = ("device.", "driver.")


def captures_of(*vendor_ids: str) -> list[Path]:
    """Main captures with a descriptor whose vendor id is one of ``vendor_ids``."""
    found = []
    for path in shared_capture_files(with_descriptor=True):
        if shared_capture(path)["vendorid"] in vendor_ids:
            found.append(path)
    return found


def device(vid: int, pid: int, **strings: str) -> DeviceInfo:
    """A device identity with just the ids (and any strings given)."""
    return DeviceInfo(vid, pid, **strings)  # type: ignore[arg-type]


def device_of(data: Mapping[str, Any]) -> DeviceInfo:
    bcd = data.get("bcd_device")
    return DeviceInfo(
        vendor_id=int(data["vendorid"], 16),
        product_id=int(data["productid"], 16),
        manufacturer=data.get("manufacturer"),
        product=data.get("product"),
        serial=data.get("serial"),
        bcd_device=int(bcd, 16) if bcd else 0,
    )


def descriptor_of(data: Mapping[str, Any]) -> ReportDescriptor:
    return ReportDescriptor.from_bytes(descriptor_bytes(dict(data)))


def resolve(sub: Subdriver, desc: ReportDescriptor, path: str,
            report_type: ReportType = ReportType.FEATURE) -> Field | None:
    """NUT's INIT look-up of a row path (vendor names first, then the standard ones)."""
    nodes = parse_path(path, sub.usages.chained(STANDARD))
    return find_field(desc, nodes, report_type)


def resolving_names(sub: Subdriver, desc: ReportDescriptor) -> set[str]:
    """Names of the rows that resolve to a Feature field, as NUT's INIT walk binds them."""
    return {
        row.name for row in sub.hid2nut
        if row.path is not None and resolve(sub, desc, row.path) is not None
    }


def first_row(sub: Subdriver, desc: ReportDescriptor, name: str) -> tuple[Row, Field]:
    """The row that wins for ``name`` on this descriptor (first that resolves)."""
    for row in sub.hid2nut:
        if row.name == name and row.path is not None:
            found = resolve(sub, desc, row.path)
            if found is not None:
                return row, found
    raise AssertionError(f"no row for {name} resolves")


def path_value(data: dict[str, Any], path: str, kind: str = "Feature") -> float:
    """The value NUT printed for ``path`` in the capture's ``Path:`` lines."""
    for entry in data["paths"]:
        if entry["path"] == path and entry["type"] == kind:
            return float(entry["value"])
    raise AssertionError(f"{path} not in the capture")


def upsc_from_rows(data: dict[str, Any]) -> dict[str, str]:
    """The capture's upsc variables that come from hid2nut rows."""
    return {
        name: value for name, value in (data.get("upsc") or {}).items()
        if name not in NOT_FROM_ROWS and not name.startswith(NOT_FROM_ROWS_PREFIXES)
    }


@dataclass
class FakeContext:
    """A conversion Context with fixed data, as the driver would provide it.

    The effects a conversion asks for are recorded in call order (``published``,
    ``deleted``, ``buzzwords``, ``writes``) for tests to assert on; ``publish`` and
    ``delete`` also change ``variables``, as dstate would for later ``get`` calls.
    ``bits`` stands for the status bits the walk has set so far.
    """

    device: DeviceInfo = field(default_factory=lambda: DeviceInfo(0, 0))
    variables: dict[str, str] = field(default_factory=dict)
    options: dict[str, str] = field(default_factory=dict)
    strings: dict[int, str] = field(default_factory=dict)
    values: dict[str, float] = field(default_factory=dict)
    reports: dict[int, bytes] = field(default_factory=dict)
    state: dict[str, float] = field(default_factory=dict)
    bits: set[str] = field(default_factory=set)
    published: list[tuple[str, str]] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    buzzwords: list[str] = field(default_factory=list)
    writes: list[tuple[str, str]] = field(default_factory=list)

    def get(self, name: str) -> str | None:
        return self.variables.get(name)

    def option(self, name: str) -> str | None:
        return self.options.get(name)

    def string(self, index: int) -> str | None:
        return self.strings.get(index)

    def value(self, path: str) -> float | None:
        return self.values.get(path)

    def report(self, report_id: int) -> bytes | None:
        return self.reports.get(report_id)

    def publish(self, name: str, value: str) -> None:
        self.published.append((name, value))
        self.variables[name] = value

    def delete(self, name: str) -> None:
        self.deleted.append(name)
        self.variables.pop(name, None)

    def buzzmode(self, word: str) -> None:
        self.buzzwords.append(word)

    def request_write(self, name: str, value: str) -> None:
        self.writes.append((name, value))

    @property
    def status_bits(self) -> frozenset[str]:
        return frozenset(self.bits)

def _key(fld: Any) -> FieldKey:
    return (fld.report_type, fld.report_id, fld.offset, fld.size)


def resolved(sub: Subdriver, desc: ReportDescriptor) -> tuple[dict[tuple[str, bool], Any],
                                                               set[Any]]:
    """What the driver would read: per (name, is command) the first resolving row's
    field, format, conversion and flags; the status/alarm rows as a set."""
    first: dict[tuple[str, bool], Any] = {}
    status: set[Any] = set()
    for binding in bind_rows(sub.hid2nut, desc, sub.usages.chained(STANDARD)):
        if binding is None:
            continue
        row = binding.row
        if row.name in (BOOL, ALARM):
            status.add((row.name, _key(binding.field), id(row.lookup)))
        elif not row.name.startswith(generate.UNMAPPED_PREFIX):
            first.setdefault((row.name, bool(row.flags & CMD)),
                             (_key(binding.field), row.fmt, id(row.lookup), row.flags))
    return first, status
