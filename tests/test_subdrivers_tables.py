"""Every built-in subdriver's table against NUT 2.8.5's: paths parse, sizes match.

The figures come from ``tests/data/nut_table_counts.json``, which
``scripts/nut_table_counts.py --nut-src <NUT tree>`` writes by counting the
``hid_info_t`` and ``usage_lkp_t`` entries of each ``drivers/*-hid.c`` as a default
Linux build compiles them. ``generic`` has no NUT counterpart (NUT refuses devices
no vendor lists); it is checked for parsing and for naming no vendor usage.
"""

from __future__ import annotations

import ast
import importlib
import json
from pathlib import Path
from typing import Any

import pytest

from hidups.descriptor.paths import parse_path
from hidups.hid2nut.registry import GENERIC_MODULE, NUT_ORDER
from hidups.hid2nut.subdriver import Subdriver
from hidups.hid2nut.table import BOOL, Flag
from hidups.usages import NUT_STANDARD, UsageTable

COUNTS_FILE = Path(__file__).parent / "data" / "nut_table_counts.json"
COUNTS: dict[str, Any] = json.loads(COUNTS_FILE.read_text())
MODULES = (*NUT_ORDER, GENERIC_MODULE)


def subdriver(module: str) -> Subdriver:
    sub: Subdriver = importlib.import_module(f"hidups.subdrivers.{module}").SUBDRIVER
    return sub


def names(sub: Subdriver) -> UsageTable:
    """The vendor table chained to NUT's standard one, as the driver chains them."""
    return sub.usages.chained(NUT_STANDARD)


def test_counts_are_nut_2_8_5_and_cover_every_vendor_module() -> None:
    assert COUNTS["nut_version"] == "2.8.5"
    assert len(MODULES) == 17
    assert set(NUT_ORDER) <= set(COUNTS["tables"])
    assert GENERIC_MODULE not in COUNTS["tables"]


@pytest.mark.parametrize("module", MODULES)
def test_every_row_path_parses_with_the_subdrivers_usages(module: str) -> None:
    """Each token of each path is a usage name NUT's tables know (or ``[n]``/hex)."""
    sub = subdriver(module)
    table = names(sub)
    for row in sub.hid2nut:
        assert row.path is not None, row
        assert parse_path(row.path, table), row
        for token in row.path.split("."):
            if token.startswith("[") or (len(token) == 8 and token.startswith("ff")):
                continue
            assert table.code(token) is not None, (module, row.path, token)


@pytest.mark.parametrize("module", NUT_ORDER)
def test_row_and_usage_counts_equal_nut(module: str) -> None:
    nut = COUNTS["tables"][module]
    sub = subdriver(module)
    where = f"NUT {COUNTS['nut_version']} {nut['file']}"
    assert len(sub.hid2nut) == nut["rows"], f"{where} {nut['hid2nut_table']}"
    assert sum(row.name == BOOL for row in sub.hid2nut) == nut["bool_rows"], where
    assert sum(row.is_alarm for row in sub.hid2nut) == nut["alarm_rows"], where
    assert len(sub.usages) == nut["vendor_usages"], f"{where} {nut['usage_table']}"


def test_generic_names_no_vendor_usage() -> None:
    sub = subdriver(GENERIC_MODULE)
    assert len(sub.usages) == 0
    assert len(sub.hid2nut) > 0


@pytest.mark.parametrize("module", MODULES)
def test_row_conventions(module: str) -> None:
    """Commands carry a default or a converter; STRING rows have a length; ENUM rows a
    table; status rows a look-up (NUT's ``hid_info_t`` rules)."""
    for row in subdriver(module).hid2nut:
        if row.is_command:
            assert row.fmt is not None or row.lookup is not None, row
        if row.flags & Flag.STRING and row.flags & Flag.RW and not row.flags & Flag.ENUM:
            assert row.length > 0, row
        if row.flags & Flag.ENUM:
            assert row.lookup is not None and row.lookup.enum_values(), row
        if row.is_status:
            assert row.lookup is not None, row


@pytest.mark.parametrize("module", NUT_ORDER)
def test_flag_counts_equal_nut(module: str) -> None:
    """Rows per flag (commands, writable, driver-side, enum, poll class) as in NUT's table."""
    nut = COUNTS["tables"][module]
    rows = subdriver(module).hid2nut
    ours = {flag: sum(bool(row.flags & Flag[flag]) for row in rows) for flag in nut["flag_rows"]}
    assert ours == nut["flag_rows"], f"NUT {COUNTS['nut_version']} {nut['file']}"


# --- one spelling ------------------------------------------------------------------------

DELAY_ROWS = {"ups.delay.start", "ups.delay.shutdown", "load.on.delay", "load.off.delay"}


@pytest.mark.parametrize("module", MODULES)
def test_module_names_its_tables_alike(module: str) -> None:
    """``USAGES``, ``DEVICES``, ``HID2NUT`` are what ``SUBDRIVER`` uses, in every module."""
    mod = importlib.import_module(f"hidups.subdrivers.{module}")
    sub = subdriver(module)
    assert sub.usages is mod.USAGES
    assert sub.devices is mod.DEVICES
    assert sub.hid2nut is mod.HID2NUT


@pytest.mark.parametrize("module", MODULES)
def test_rows_are_one_line_of_names_and_constants(module: str) -> None:
    """Source check: one ``Row`` per line, no call or lambda inside a row, ``BOOL`` and
    NUT's delay defaults by name (not ``"BOOL"``, ``"30"``, ``"20"``)."""
    path = Path(importlib.import_module(f"hidups.subdrivers.{module}").__file__ or "")
    tree = ast.parse(path.read_text(), str(path))
    rows = [node for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            and node.func.id == "Row"]
    assert len(rows) == len(subdriver(module).hid2nut)
    for row in rows:
        where = f"{path.name}:{row.lineno}"
        assert row.end_lineno == row.lineno, f"{where}: a row spans lines"
        args = [*row.args, *(k.value for k in row.keywords)]
        for arg in args:
            inner = [n for n in ast.walk(arg) if isinstance(n, (ast.Call, ast.Lambda))]
            assert not inner, f"{where}: logic inside a row"
        first = row.args[0]
        assert not (isinstance(first, ast.Constant) and first.value == BOOL), where
        if isinstance(first, ast.Constant) and first.value in DELAY_ROWS and len(row.args) > 2:
            fmt = row.args[2]
            assert not (isinstance(fmt, ast.Constant) and fmt.value in ("30", "20")), where
