"""Layers import only downward, with no cycles and no hidden (function-level) imports.

Every module's imports are read with ``ast`` (module level, function level, and under
``if TYPE_CHECKING``: a type-only import is still a dependency of the design), each
module is mapped to a layer by the table below, and three rules are checked:

(a) no import cycle between modules; (b) no import of a higher layer; (c) no import
inside a function except of an optional third-party backend, so that what a module
needs is visible at its top and a missing backend breaks only the code that wants it.

Known violations in packages being reworked elsewhere are listed by name in
``ALLOWED``; each entry must still occur (a stale entry fails), so the list only
shrinks.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: Layers, lowest first. A module may import its own layer and the ones before it.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("hidups", "hidups.errors", "hidups.device", "hidups.numbers", "hidups.logutil"),
    ("hidups.usages",),
    ("hidups.descriptor",),
    ("hidups.codec",),
    ("hidups.capture",),
    ("hidups.transport",),
    ("hidups.nut",),
    ("hidups.driver",),  # the protocol-neutral driver core: knows no device protocol
    ("hidups.hid2nut",),
    ("hidups.subdrivers",),
    ("hidups.hid", "hidups.qx"),  # device protocols
    ("hidups.app",),  # the NUT-style driver process
    ("hidups.serve",),  # several drivers in one process, NUT's network protocol, metrics
    ("hidups.tools",),
    ("hidups.cli", "hidups.__main__"),
)

#: Source folder → the package it is installed as (pyproject.toml ``package-dir``).
SOURCES: dict[str, str] = {
    "hidups": "hidups",
    "subdrivers": "hidups.subdrivers",
    "tools": "hidups.tools",
}

#: Backends that may be missing, so they are imported where used: third-party ones
#: (pyusb, hidapi, libusb-package, pyserial) and ``termios``, which Windows lacks.
OPTIONAL_BACKENDS = frozenset({"usb", "hid", "libusb_package", "serial", "termios"})

#: Known violations, each (rule, importer, imported) with rule one of "cycle",
#: "upward", "function-level". Empty: a new violation is fixed, not listed. Every
#: entry must still occur (a test checks it).
ALLOWED: frozenset[tuple[str, str, str]] = frozenset()


@dataclass(frozen=True, slots=True)
class Import:
    """One import statement's target, as a module name."""

    importer: str
    imported: str
    line: int
    in_function: bool


def module_files() -> dict[str, Path]:
    """Every module of the installed package, by dotted name."""
    found: dict[str, Path] = {}
    for folder, package in SOURCES.items():
        for path in sorted((ROOT / folder).rglob("*.py")):
            parts = list(path.relative_to(ROOT / folder).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join([package, *parts])] = path
    return found


def _resolve(node: ast.ImportFrom, importer: str, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    base = importer.split(".")
    if not is_package:
        base.pop()
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _walk(node: ast.AST, in_function: bool) -> Iterator[tuple[ast.AST, bool]]:
    for child in ast.iter_child_nodes(node):
        inside = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef,
                                                   ast.Lambda))
        yield child, inside
        yield from _walk(child, inside)


def imports_of(name: str, path: Path, modules: dict[str, Path]) -> list[Import]:
    """The modules ``name`` imports: ``from a import b`` means ``a.b`` when that is a
    module, else ``a``."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[Import] = []
    for node, in_function in _walk(tree, False):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(node, name, path.name == "__init__.py")
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
                       for alias in node.names]
        else:
            continue
        found.extend(Import(name, target, node.lineno, in_function) for target in targets)
    return found


def layer_of(module: str) -> int | None:
    """Index in LAYERS of the longest prefix naming ``module``; None outside hidups."""
    best: tuple[int, int] | None = None
    for index, names in enumerate(LAYERS):
        for prefix in names:
            matches = module == prefix or module.startswith(prefix + ".")
            if matches and prefix != "hidups" and (best is None or len(prefix) > best[0]):
                best = (len(prefix), index)
    if best is None:
        return 0 if module == "hidups" else None
    return best[1]


def all_imports() -> list[Import]:
    modules = module_files()
    return [imp for name, path in modules.items() for imp in imports_of(name, path, modules)]


def find_cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1 or node in edges.get(node, ()):
                components.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return components


def cycle_violations(imports: list[Import]) -> set[tuple[str, str, str]]:
    """Each import edge inside a cycle, as ("cycle", importer, imported)."""
    modules = module_files()
    edges: dict[str, set[str]] = {}
    for imp in imports:
        if imp.imported in modules and imp.imported != imp.importer:
            edges.setdefault(imp.importer, set()).add(imp.imported)
    found: set[tuple[str, str, str]] = set()
    for component in find_cycles(edges):
        members = set(component)
        found.update(("cycle", a, b) for a in component for b in edges.get(a, ()) if b in members)
    return found


def upward_violations(imports: list[Import]) -> set[tuple[str, str, str]]:
    found: set[tuple[str, str, str]] = set()
    for imp in imports:
        mine, theirs = layer_of(imp.importer), layer_of(imp.imported)
        if mine is not None and theirs is not None and theirs > mine:
            found.add(("upward", imp.importer, imp.imported))
    return found


def function_level_violations(imports: list[Import]) -> set[tuple[str, str, str]]:
    return {("function-level", imp.importer, imp.imported) for imp in imports
            if imp.in_function and imp.imported.split(".")[0] not in OPTIONAL_BACKENDS}


def _report(found: set[tuple[str, str, str]], rule: str) -> list[str]:
    return sorted(f"{a} imports {b}" for r, a, b in found - ALLOWED if r == rule)


# --- the checker checks what it should ------------------------------------------------


def test_layer_table_maps_every_module() -> None:
    unmapped = [name for name in module_files() if layer_of(name) is None]
    assert unmapped == []
    def layer(name: str) -> int:
        found = layer_of(name)
        assert found is not None, name
        return found

    assert layer("hidups.subdrivers.apc") == layer("hidups.hid2nut") + 1
    assert layer("hidups.tools.explore") > layer("hidups.hid.explore")
    assert layer("hidups.transport.replay") > layer("hidups.capture.format")
    assert layer_of("hid") is None  # the hidapi backend is third party, not hidups.hid


def test_checker_finds_a_cycle_an_upward_and_a_function_level_import(tmp_path: Path) -> None:
    low = tmp_path / "low.py"
    low.write_text("from hidups.descriptor import parser\n\n"
                   "def f() -> None:\n    import json\n    import usb.core\n")
    modules = {"hidups.descriptor.model": low, "hidups.descriptor.parser": low}
    imports = imports_of("hidups.descriptor.model", low, modules)
    assert [(i.imported, i.in_function) for i in imports] == [
        ("hidups.descriptor.parser", False), ("json", True), ("usb.core", True)]
    assert function_level_violations(imports) == {
        ("function-level", "hidups.descriptor.model", "json")}
    assert upward_violations([Import("hidups.transport.base", "hidups.capture.layout", 1, False),
                              Import("hidups.capture.layout", "hidups.transport", 1, False)]) \
        == {("upward", "hidups.capture.layout", "hidups.transport")}
    assert find_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_relative_imports_resolve() -> None:
    node = ast.parse("from .model import Field\nfrom .. import errors\n").body
    assert isinstance(node[0], ast.ImportFrom) and isinstance(node[1], ast.ImportFrom)
    assert _resolve(node[0], "hidups.descriptor", True) == "hidups.descriptor.model"
    assert _resolve(node[1], "hidups.descriptor.parser", False) == "hidups"


def test_every_package_folder_is_read() -> None:
    """The table sees the installed layout: tools/ and subdrivers/ under their
    installed names, the new HID protocol package, and nothing from scripts/."""
    modules = module_files()
    assert "hidups.tools.explore" in modules and "hidups.subdrivers.apc" in modules
    assert "hidups.hid.explore" in modules and "hidups.descriptor.layout" in modules
    assert not any(name.startswith("hidups.scripts") for name in modules)


# --- the rules --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def imports() -> list[Import]:
    return all_imports()


def test_no_import_cycles(imports: list[Import]) -> None:
    assert _report(cycle_violations(imports), "cycle") == []


def test_layers_import_only_downward(imports: list[Import]) -> None:
    assert _report(upward_violations(imports), "upward") == []


def test_function_level_imports_only_for_optional_backends(imports: list[Import]) -> None:
    assert _report(function_level_violations(imports), "function-level") == []


def test_allow_list_has_no_stale_entries(imports: list[Import]) -> None:
    found = cycle_violations(imports) | upward_violations(imports) \
        | function_level_violations(imports)
    assert sorted(ALLOWED - found) == []


def test_no_test_module_is_a_helper_library() -> None:
    """Shared test code lives in helper modules (``*_util.py``, ``*_testlib.py``, ...),
    never in a ``test_*.py`` another test imports: a test module's helpers change with
    its tests, and importing it runs its collection side effects twice."""
    offenders = []
    for path in sorted((ROOT / "tests").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            offenders += [f"{path.name} imports {n}" for n in names if n.startswith("test_")]
    assert offenders == []
