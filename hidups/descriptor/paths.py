"""Usage paths as text, the way NUT writes them, and NUT's path look-up.

``UPS.PowerSummary.RemainingCapacity``: one node per collection and the element's own
usage, joined by dots. A node is printed as its name when the usage table knows one,
``[n]`` for NUT's instance-index nodes, else as 8 lowercase hex digits (``ff860024``).
Reading a path accepts the same three forms (names case-insensitively, as NUT's
``strcasecmp`` does), but an unknown token is an error here where NUT drops it silently.
"""

from __future__ import annotations

import string
from collections.abc import Iterable, Sequence

from hidups.descriptor.model import INDEX_BASE, Field, ReportDescriptor, ReportType, UsagePath
from hidups.errors import ConfigError
from hidups.usages import UsageTable

_HEX_DIGITS = frozenset(string.hexdigits)
_INDEX_CHARS = frozenset("[]0123456789")


def format_node(node: int, usages: UsageTable | None) -> str:
    """One path node as NUT's ``path_to_string`` prints it (table names come first)."""
    if usages is not None:
        name = usages.name(node)
        if name is not None:
            return name
    if (node & 0xFFFF0000) == INDEX_BASE:
        return f"[{node & 0xFFFF}]"
    return f"{node:08x}"


def format_path(path: Iterable[int], usages: UsageTable | None) -> str:
    """A usage path as text, e.g. ``UPS.PowerSummary.PresentStatus.Charging``."""
    return ".".join(format_node(node, usages) for node in path)


def parse_node(token: str, usages: UsageTable | None) -> int | None:
    """One path token as a node, or ``None`` when it is neither name, hex nor ``[n]``."""
    if usages is not None:
        code = usages.code(token)
        if code is not None:
            return code
    if token and set(token) <= _HEX_DIGITS:
        value = int(token, 16)
        return value if value <= 0xFFFFFFFF else None
    if len(token) >= 3 and token[0] == "[" and token[-1] == "]" and token[1:-1].isdigit():
        index = int(token[1:-1])
        return INDEX_BASE | index if index <= 0xFFFF else None
    return None


def parse_path(text: str, usages: UsageTable | None, *, source: str | None = None,
               line: int | None = None) -> UsagePath:
    """Text to a usage path; an unknown token raises :class:`ConfigError`.

    Empty tokens (``UPS..Battery``) are skipped, as NUT's ``strtok`` skips them.
    """
    nodes: list[int] = []
    for token in text.split("."):
        if not token:
            continue
        node = parse_node(token, usages)
        if node is None:
            raise ConfigError(
                f"unknown usage {token!r} in path {text!r} (not a known name, 8 hex "
                f"digits or [n])", source=source, line=line)
        nodes.append(node)
    return tuple(nodes)


def find_field(desc: ReportDescriptor | Sequence[Field], path_nodes: Sequence[int],
               report_type: ReportType) -> Field | None:
    """NUT's ``FindObject_with_Path``: the first field of ``report_type`` whose path
    starts with ``path_nodes``.

    A prefix is enough, so ``UPS.PowerSummary`` finds the first element under it. NUT
    compares the requested number of nodes even against a shorter element path (reading
    stale memory); here a shorter path never matches.
    """
    fields = desc.fields if isinstance(desc, ReportDescriptor) else desc
    wanted = tuple(path_nodes)
    depth = len(wanted)
    for candidate in fields:
        if candidate.report_type == report_type and candidate.path[:depth] == wanted \
                and len(candidate.path) >= depth:
            return candidate
    return None
