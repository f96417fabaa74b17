"""Descriptions for ``GET DESC`` / ``GET CMDDESC`` from NUT's installed ``cmdvartab``.

Why: upsd answers descriptions from its data file and says "Description unavailable"
when it has none; we read the same file at run time (never a copy of it) so the
answers match the NUT installed next to us, and fall back exactly as upsd does.
Lines are ``VARDESC name "text"`` and ``CMDDESC name "text"``; names are matched
case-insensitively and a later line for a name replaces an earlier one.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from hidups.nut.protocol import WordParser

log = logging.getLogger(__name__)

UNAVAILABLE = "Description unavailable"


def default_paths() -> list[Path]:
    """Debian's file, then NUT 2.8.5's unpacked prefix (tests and CI)."""
    return [Path("/usr/share/nut/cmdvartab"),
            Path.home() / ".cache/hidups/nut-2.8.5/root/usr/share/nut/cmdvartab"]


class Descriptions:
    """Variable and command descriptions (empty when no file was found)."""

    def __init__(self, variables: dict[str, str] | None = None,
                 commands: dict[str, str] | None = None) -> None:
        self.variables = {k.lower(): v for k, v in (variables or {}).items()}
        self.commands = {k.lower(): v for k, v in (commands or {}).items()}

    @classmethod
    def from_text(cls, text: str) -> Descriptions:
        parser = WordParser()
        found = cls()
        for line in parser.feed(text) + parser.finish():
            if line.error or len(line.words) < 3:
                continue
            kind, name, desc = line.words[:3]
            if kind == "VARDESC":
                found.variables[name.lower()] = desc
            elif kind == "CMDDESC":
                found.commands[name.lower()] = desc
        return found

    @classmethod
    def load(cls, paths: Sequence[Path] | None = None) -> Descriptions:
        """The first readable file of ``paths`` (default: :func:`default_paths`)."""
        for path in default_paths() if paths is None else paths:
            try:
                text = path.read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue
            return cls.from_text(text)
        log.info("no cmdvartab found - disabling descriptions")
        return cls()

    def variable(self, name: str) -> str:
        return self.variables.get(_strip_upstream(name).lower(), UNAVAILABLE)

    def command(self, name: str) -> str:
        return self.commands.get(_strip_upstream(name).lower(), UNAVAILABLE)


def _strip_upstream(name: str) -> str:
    """upsd looks proxied names (``upstream.x``) up as ``x``."""
    return name[9:] if name.startswith("upstream.") else name
