"""docs/subdrivers.md lists every Q* protocol and bridge with its NUT source and tests
(issue 13, evidence 4), and what it lists exists: the protocol is built and registered,
the bridge has a framing, every file named is in the tree."""

from __future__ import annotations

import re

from conftest import ROOT

from hidups.qx.registry import ORDER, PROTOCOLS
from hidups.transport.qx_match import BRIDGES
from hidups.transport.qx_usb import FRAMINGS

DOC = ROOT / "docs" / "subdrivers.md"
ROW = re.compile(r"^\| ([a-z0-9/-]+) \| `([^`]+)` \| `([^`]+)` \| (.+) \|$")


def table(heading: str) -> dict[str, tuple[str, str, list[str]]]:
    """name → (NUT source, hidups path, test files) of the table under ``heading``."""
    text = DOC.read_text()
    start = text.index(heading)
    end = text.find("\n## ", start + len(heading))
    rows: dict[str, tuple[str, str, list[str]]] = {}
    for line in text[start: end if end != -1 else None].splitlines():
        m = ROW.match(line)
        if m:
            rows[m.group(1)] = (m.group(2), m.group(3), re.findall(r"`([^`]+)`", m.group(4)))
    return rows


def test_every_protocol_in_nuts_order_is_listed_built_and_tested() -> None:
    rows = table("## Protocols, in NUT's probing order")
    assert list(rows) == list(ORDER)  # NUT 2.8.5's order, every one of the 20
    for name, (source, module, tests) in rows.items():
        assert PROTOCOLS[name] is not None, f"{name} is listed but not built"
        assert source == f"nutdrv_qx_{name.replace('/', '-')}.c", (name, source)
        assert (ROOT / module).exists(), module
        assert tests, name
        for test in tests:
            assert (ROOT / test).is_file(), test


def test_every_bridge_is_listed_with_its_framing() -> None:
    rows = table("## USB bridges")
    assert set(rows) == set(BRIDGES) == set(FRAMINGS)
    for name, (source, module, tests) in rows.items():
        assert source == f"{name}_command", (name, source)
        framing = FRAMINGS[name]
        assert (ROOT / module).stem == framing.__module__.rsplit(".", 1)[-1], (name, module)
        for test in tests:
            assert (ROOT / test).is_file(), test
