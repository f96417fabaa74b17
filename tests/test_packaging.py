"""pyproject.toml's explicit package list names every package of the tree: a package
left out installs as missing from ``pip install .`` (the editable install the suite
runs on finds it anyway, so nothing else would notice)."""

from __future__ import annotations

import re

from conftest import ROOT

#: source folder -> the package it is installed as (pyproject.toml ``package-dir``)
SOURCES = {"hidups": "hidups", "subdrivers": "hidups.subdrivers", "tools": "hidups.tools"}


def listed_packages() -> set[str]:
    text = (ROOT / "pyproject.toml").read_text()
    block = re.search(r"^packages = \[(.*?)\]", text, re.S | re.M)
    assert block is not None, "pyproject.toml has no packages list"
    return set(re.findall(r'"([\w.]+)"', block.group(1)))


def tree_packages() -> set[str]:
    found = set()
    for folder, package in SOURCES.items():
        for init in (ROOT / folder).rglob("__init__.py"):
            parts = init.parent.relative_to(ROOT / folder).parts
            found.add(".".join((package, *parts)))
    return found


def test_every_package_is_installed() -> None:
    tree = tree_packages()
    assert {"hidups.qx.voltronic", "hidups.serve"} <= tree  # the walk sees subpackages
    assert listed_packages() == tree
