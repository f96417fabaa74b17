"""What hidups makes of a recorded HID device: verdicts, and a subdriver when none fits.

Given a capture (recorded by ``hid.explore``, or loaded from the shared JSON schema or
a NUT debug log): NUT's ``-DD`` dump of it, whether it is really a serial protocol
carried over HID (then ``nutdrv_qx`` is the driver to use), which subdriver would
claim it, which of its paths that subdriver maps and which it leaves unmapped, and the
text of a new subdriver module learned from the built-in tables. The ``explore``,
``describe`` and ``gen-subdriver`` commands only parse arguments and print this.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from hidups.capture.model import Capture
from hidups.capture.nut_dump import (
    descriptor_lines,
    identity_lines,
    path_lines,
    reports_by_id,
    skipped_by_nut,
)
from hidups.descriptor.model import ReportDescriptor
from hidups.errors import ConfigError, DescriptorError, HidupsError
from hidups.hid2nut import generate, serial_over_hid
from hidups.hid2nut.generate import DumpPath
from hidups.hid2nut.registry import EXPLORE, load_builtin, select_subdriver
from hidups.hid2nut.registry import builtin_subdrivers as registry_subdrivers
from hidups.hid2nut.subdriver import Subdriver
from hidups.usages import NUT_STANDARD, STANDARD


def parse_or_none(raw: bytes) -> tuple[ReportDescriptor | None, str | None]:
    """The parsed descriptor, or ``None`` and the parser's complaint."""
    try:
        return ReportDescriptor.from_bytes(raw), None
    except DescriptorError as exc:
        return None, str(exc)


def builtin_subdrivers() -> list[Subdriver]:
    """The built-in subdrivers in the registry's order (the explore stub left out)."""
    return [sub for sub in registry_subdrivers() if sub is not EXPLORE]


def find_subdriver(name: str | None) -> Subdriver | None:
    """The subdriver for a module name (``apc``) or a NUT subdriver string
    (``APC HID 0.100``, ``apc-hid ("APC HID")``); ``None`` for explore or unknown."""
    if not name or name.lower() in ("explore", "none"):
        return None
    # A module name, alone or leading the string ("apc", "arduino-hid (matches ...)").
    head = re.split(r"[\s(;]", name.strip(), maxsplit=1)[0]
    module_name = head.lower().removesuffix("-hid").replace("-", "_")
    if re.fullmatch(r"[a-z0-9_]+", module_name):
        found = load_builtin(module_name)
        if found:
            return found[0]
    # A NUT name: the subdriver whose name occurs in the string, longest name first.
    best: Subdriver | None = None
    for candidate in builtin_subdrivers():
        if candidate.name and candidate.name in name and (
                best is None or len(candidate.name) > len(best.name)):
            best = candidate
    return best


# --- explore's verdicts ------------------------------------------------------------------


@dataclass(slots=True)
class Coverage:
    """What a subdriver maps of a device: path text → the NUT names it feeds."""

    subdriver: str
    mapped: dict[str, list[str]] = field(default_factory=dict)
    unmapped: list[str] = field(default_factory=list)


def nut_path_lines(capture: Capture, desc: ReportDescriptor | None) -> list[str]:
    """NUT's ``Path: ..., Value: ...`` lines (standard names only, as NUT's explore):
    computed when we have the descriptor, otherwise the lines the capture's source
    printed."""
    if desc is None:
        return [str(line) for line in capture.nut.get("path_lines") or []]
    return list(path_lines(desc, NUT_STANDARD, reports_by_id(capture), capture.device))


def choose_subdriver(capture: Capture, options: Mapping[str, str]
                     ) -> tuple[Subdriver | None, str]:
    """The subdriver the driver would use for this device, and the registry's reason
    (the ``explore`` flag itself is left out: it would pick the empty explore table)."""
    wanted = {k: v for k, v in options.items() if k != "explore"}
    try:
        chosen = select_subdriver(capture.device, wanted, capture.descriptor)
    except HidupsError as exc:
        return None, str(exc)
    return chosen.subdriver, chosen.reason


def analysis_report(capture: Capture, options: Mapping[str, str], *,
                    with_paths: bool = True) -> list[str]:
    """The NUT-compatible dump, a blank line, then what hidups would make of the device."""
    desc, problem = parse_or_none(capture.descriptor) if capture.descriptor else (None, None)
    lines = identity_lines(capture.device)
    if capture.descriptor is not None:
        lines.append(f"Report Descriptor size = {len(capture.descriptor)}")
        lines += descriptor_lines(capture.descriptor)
    if problem:
        lines.append(f"Report descriptor does not parse: {problem}")
    if desc is not None:
        lines.append(f"{len(desc.fields)} HID objects found")
    if with_paths:
        lines += nut_path_lines(capture, desc)
    lines.append("")
    return lines + analysis_lines(capture, desc, options)


def analysis_lines(capture: Capture, desc: ReportDescriptor | None,
                   options: Mapping[str, str]) -> list[str]:
    """The hidups part of the report, after the NUT-compatible dump."""
    lines: list[str] = []
    if capture.descriptor is not None:
        verdict = serial_over_hid.assess(capture.descriptor, capture.device, desc)
        lines += serial_over_hid.explain(capture.device, verdict)
        if verdict.kind is serial_over_hid.Kind.SERIAL_OVER_HID:
            return lines
        if lines:
            lines.append("")
    for stall in capture.meta.get("stalls") or []:
        if isinstance(stall, dict):
            lines.append(f"GET_REPORT stalled: {stall.get('type')} report {stall.get('id')}"
                         f" ({stall.get('error')})")
    sub, why = choose_subdriver(capture, options)
    if sub is None:
        lines.append(f"No subdriver claims {capture.device.vidpid}: {why}")
        lines.append("Write one with: hidups gen-subdriver CAPTURE --name Name "
                     "-o ~/.config/hidups/subdrivers/name.py")
        return lines
    lines.append(f"Subdriver: {sub.full_name}" + (f" ({why})" if why else ""))
    coverage = subdriver_coverage(capture, desc, sub)
    lines.append(f"Mapped paths: {len(coverage.mapped)}")
    for path, names in coverage.mapped.items():
        lines.append(f"  {path} -> {', '.join(names)}")
    lines.append(f"Unmapped paths: {len(coverage.unmapped)}")
    for path in coverage.unmapped:
        lines.append(f"  {path}")
    return lines


def subdriver_coverage(capture: Capture, desc: ReportDescriptor | None,
                       sub: Subdriver) -> Coverage:
    """Which of the device's paths ``sub``'s rows read, and which none does."""
    names = sub.usages.chained(STANDARD)
    paths, _ = device_paths(capture, desc)
    by_nodes: dict[tuple[int, ...], list[str]] = {}
    for row in sub.hid2nut:
        if row.path is None:
            continue
        nodes = generate.parse_dump_path(row.path, names)
        if nodes is not None:
            by_nodes.setdefault(nodes, []).append(row.name)
    coverage = Coverage(sub.full_name)
    for dump in paths:
        if dump.nodes in by_nodes:
            coverage.mapped[dump.text] = sorted(set(by_nodes[dump.nodes]))
        else:
            coverage.unmapped.append(dump.text)
    return coverage


def device_paths(capture: Capture, desc: ReportDescriptor | None
                 ) -> tuple[list[DumpPath], list[str]]:
    """The device's distinct usage paths (spelled as NUT's explore spells them), and
    the dump's paths that could not be read: from the descriptor when there is one
    (minus the elements NUT's dump leaves out, such as Eaton's reports 254/255, which
    need special handling), else from the ``Path:`` lines the capture's source printed."""
    if desc is not None:
        fields = [f for f in desc.fields if not skipped_by_nut(f, capture.device)]
        return generate.descriptor_paths(fields, NUT_STANDARD), []
    texts = []
    for line in capture.nut.get("path_lines") or []:
        text = str(line)
        start = text.find("Path: ")
        if start >= 0:
            texts.append(text[start + 6:].split(",", 1)[0])
    return generate.dump_paths(texts, generate.known_names(STANDARD, builtin_subdrivers()))


# --- a subdriver for a device nobody claims -------------------------------------------------


def default_name(capture: Capture) -> str:
    """A name from the manufacturer string (NUT's script asks for one; we guess)."""
    base = capture.device.manufacturer or capture.meta.get("vendor") or ""
    words = [w for w in "".join(c if c.isalnum() else " " for c in str(base)).split() if w]
    if words:
        return words[0].capitalize()
    return f"Ups{capture.device.vendor_id:04x}"


def teachers(exclude: Sequence[str]) -> list[Subdriver]:
    """Built-in subdrivers to learn mappings from, minus the excluded ones."""
    return [sub for sub in builtin_subdrivers()
            if not any(sub.full_name.lower().startswith(e.lower()) for e in exclude)]


def generate_module(capture: Capture, *, name: str, exclude: Sequence[str] = (),
                    source: str = "") -> tuple[str, generate.Plan]:
    """The module text and the plan behind it, for a loaded capture."""
    desc, _ = parse_or_none(capture.descriptor) if capture.descriptor else (None, None)
    if capture.descriptor is not None:
        verdict = serial_over_hid.assess(capture.descriptor, capture.device, desc)
        if verdict.kind is serial_over_hid.Kind.SERIAL_OVER_HID:
            raise ConfigError(
                " ".join(serial_over_hid.explain(capture.device, verdict)[:3]),
                source=source or None)
    paths, unreadable = device_paths(capture, desc)
    if not paths and not unreadable:
        raise ConfigError("the dump has neither a report descriptor nor Path: lines",
                          source=source or None)
    subdrivers = teachers(exclude)
    lookups = generate.Importables.scan()  # after the teachers' modules are imported
    plan = generate.plan_subdriver(
        name=name, device=capture.device, paths=paths, unreadable=unreadable,
        standard=STANDARD,
        subdrivers=subdrivers,
        comment=" ".join(filter(None, [capture.device.manufacturer, capture.device.product])),
        importable=lookups,
    )
    return generate.render_module(plan, source=capture.source or source,
                                  lookups=lookups), plan


def caution(capture: Capture) -> list[str]:
    """The serial-over-HID caution for suspicious devices (explore says the same)."""
    if capture.descriptor is None:
        return []
    desc, _ = parse_or_none(capture.descriptor)
    verdict = serial_over_hid.assess(capture.descriptor, capture.device, desc)
    return serial_over_hid.explain(capture.device, verdict)
