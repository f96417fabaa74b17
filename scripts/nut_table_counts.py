#!/usr/bin/env python3
"""Count NUT's usbhid-ups subdriver tables, for the test that our tables keep NUT's size.

Given a NUT source tree (``--nut-src DIR``, e.g. ``git worktree add /tmp/nut v2.8.5``),
this reads every ``drivers/*-hid.c``, keeps what a default Linux build compiles (the
``#if``/``#ifdef`` branches a ``./configure`` on Linux takes; ``WITH_UNMAPPED_DATA_POINTS``
and ``DEBUG`` off), and counts per file:

* the ``hid_info_t`` rows of its hid2nut table (the ``{ NULL, ... }`` end marker excluded),
  how many are ``BOOL`` and ``ups.alarm`` rows, and how many carry each flag of :data:`FLAG_MACROS`;
* the entries of its ``usage_lkp_t`` vendor usage table (end marker excluded).

It writes ``tests/data/nut_table_counts.json`` with the NUT version, file and table
name beside each figure, so the test states where each number comes from. Counting
is our own measurement; no NUT text is copied.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path

#: Preprocessor symbols as a default Linux build sees them (True: defined and non-zero).
DEFINED = {
    "WITH_UNMAPPED_DATA_POINTS": False,
    "DEBUG": False,
    "SHUT_MODE": False,
    "WIN32": False,
    "HAVE_STRPTIME": True,
    "USBHID_UPS_TRIPPLITE_DEBUG": False,
}

#: Row flags counted per table: our ``Flag`` name → NUT's macro.
FLAG_MACROS = {
    "CMD": "HU_TYPE_CMD",
    "RW": "ST_FLAG_RW",
    "STRING": "ST_FLAG_STRING",
    "NUMBER": "ST_FLAG_NUMBER",
    "ABSENT": "HU_FLAG_ABSENT",
    "ENUM": "HU_FLAG_ENUM",
    "QUICK": "HU_FLAG_QUICK_POLL",
    "STATIC": "HU_FLAG_STATIC",
    "SEMI_STATIC": "HU_FLAG_SEMI_STATIC",
}

_COMMENT = re.compile(r"/\*.*?\*/|//[^\n]*", re.S)
_TABLE = re.compile(r"\b(hid_info_t|usage_lkp_t)\s+(\w+)\s*\[\s*\]\s*=\s*\{")
_SYMBOL = re.compile(r"\b[A-Za-z_]\w*\b")
_DEFINED_CALL = re.compile(r"\bdefined\s*(?:\(\s*([A-Za-z_]\w*)\s*\)|([A-Za-z_]\w*))")


class CountError(Exception):
    """The source does not look as this script expects; names the file and line."""


def strip_comments(text: str) -> str:
    """Drop C comments, keeping line breaks so line numbers stay right."""
    return _COMMENT.sub(lambda m: "\n" * m.group(0).count("\n"), text)


class Unknown(Exception):
    """An ``#if`` on a symbol :data:`DEFINED` does not know (build-dependent pragmas)."""


def evaluate(condition: str) -> bool:
    """Evaluate an ``#if`` condition over :data:`DEFINED`; raises :class:`Unknown`."""
    expr = _DEFINED_CALL.sub(lambda m: f" {_known(m.group(1) or m.group(2))} ", condition)
    expr = expr.replace("&&", " and ").replace("||", " or ")
    expr = re.sub(r"!(?!=)", " not ", expr)

    def symbol(match: re.Match[str]) -> str:
        word = match.group(0)
        if word in ("and", "or", "not", "True", "False"):
            return word
        return str(_known(word))

    expr = _SYMBOL.sub(symbol, expr)
    try:
        return bool(eval(expr, {"__builtins__": {}}, {}))  # only literals are left
    except SyntaxError as exc:
        raise Unknown(condition) from exc


def _known(symbol: str) -> bool:
    if symbol not in DEFINED:
        raise Unknown(symbol)
    return DEFINED[symbol]


def preprocess(text: str, name: str) -> tuple[str, dict[int, str]]:
    """Blank the lines a default build leaves out (nested ``#if``/``#else``/``#endif``).

    Branches on symbols this script does not know (compiler pragmas) are blanked too,
    and their line numbers returned with the condition: a table that has one is an error.
    """
    out: list[str] = []
    unknown: dict[int, str] = {}
    # per level: (branch active, a branch was taken, unknown condition or "")
    stack: list[tuple[bool, bool, str]] = []
    for number, line in enumerate(text.split("\n"), start=1):
        where = f"{name}:{number}"
        stripped = line.strip()
        parent = all(active for active, _, _ in stack)
        doubt = next((cond for _, _, cond in stack if cond), "")
        if stripped.startswith("#"):
            word, _, rest = stripped[1:].strip().partition(" ")
            if word in ("if", "ifdef", "ifndef", "elif"):
                if word == "elif":
                    if not stack:
                        raise CountError(f"{where}: #elif without #if")
                    _, done, _ = stack.pop()
                    parent = all(active for active, _, _ in stack)
                else:
                    done = False
                condition = rest if word in ("if", "elif") else (
                    f"defined {rest.strip()}" if word == "ifdef" else f"!defined {rest.strip()}")
                try:
                    taken = parent and not done and evaluate(condition)
                    stack.append((taken, done or taken, ""))
                except Unknown:
                    stack.append((False, done, f"#{word} {rest.strip()} at {where}"))
            elif word == "else":
                if not stack:
                    raise CountError(f"{where}: #else without #if")
                _, done, cond = stack.pop()
                stack.append((not done, True, cond))
            elif word == "endif":
                if not stack:
                    raise CountError(f"{where}: #endif without #if")
                stack.pop()
            out.append("")
            continue
        if doubt and stripped:
            unknown[number] = doubt
        out.append(line if parent and not doubt else "")
    if stack:
        raise CountError(f"{name}: unterminated #if")
    return "\n".join(out), unknown


def entries(body: str) -> list[str]:
    """The brace groups at the top level of an array initializer's body."""
    groups: list[str] = []
    depth = 0
    start = 0
    in_string = False
    for index, char in enumerate(body):
        if in_string:
            if char == '"' and body[index - 1] != "\\":
                in_string = False
            continue
        if char == '"':
            in_string = True
        elif char == "{":
            if depth == 0:
                start = index + 1
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                groups.append(body[start:index].strip())
    return groups


def array_body(text: str, open_brace: int, where: str) -> str:
    """The text between an initializer's ``{`` and its matching ``}``."""
    depth = 0
    for index in range(open_brace, len(text)):
        if text[index] == "{":
            depth += 1
        elif text[index] == "}":
            depth -= 1
            if depth == 0:
                return text[open_brace + 1:index]
    raise CountError(f"{where}: table never closes")


def count_file(path: Path) -> dict[str, object]:
    """Rows, BOOL rows and vendor usages of one ``*-hid.c``."""
    text, unknown = preprocess(
        strip_comments(path.read_text(encoding="utf-8", errors="replace")), path.name)
    found: dict[str, dict[str, object]] = {}
    for match in _TABLE.finditer(text):
        kind, table = match.groups()
        line = text.count("\n", 0, match.start()) + 1
        where = f"{path.name}:{line}"
        if kind in found:
            raise CountError(f"{where}: a second {kind} table ({table})")
        body = array_body(text, match.end() - 1, where)
        last = line + body.count("\n")
        doubts = sorted({cond for n, cond in unknown.items() if line <= n <= last})
        if doubts:
            raise CountError(f"{where}: {table} has lines under an #if this script cannot "
                             f"decide ({'; '.join(doubts)}); add the symbol to DEFINED")
        live = [e for e in entries(body) if not e.startswith("NULL")]
        record: dict[str, object] = {"table": table, "count": len(live)}
        if kind == "hid_info_t":
            record["bool"] = sum(1 for e in live if e.startswith('"BOOL"'))
            record["alarm"] = sum(1 for e in live if e.startswith('"ups.alarm"'))
            record["flags"] = {flag: sum(1 for e in live if re.search(rf"\b{macro}\b", e))
                               for flag, macro in FLAG_MACROS.items()}
        found[kind] = record
    if "hid_info_t" not in found:
        raise CountError(f"{path.name}: no hid_info_t table")
    rows = found["hid_info_t"]
    usages = found.get("usage_lkp_t", {"table": None, "count": 0})
    return {
        "file": f"drivers/{path.name}",
        "hid2nut_table": rows["table"],
        "rows": rows["count"],
        "bool_rows": rows["bool"],
        "alarm_rows": rows["alarm"],
        "flag_rows": rows["flags"],
        "usage_table": usages["table"],
        "vendor_usages": usages["count"],
    }


def nut_version(src: Path) -> str:
    """The tree's version: ``git describe`` when it is a checkout, else NEWS.adoc's top."""
    try:
        described = subprocess.run(["git", "-C", str(src), "describe", "--tags", "--exact-match"],
                                   capture_output=True, text=True, check=True).stdout.strip()
        if described:
            return described.lstrip("v")
    except (OSError, subprocess.CalledProcessError):
        pass
    news = src / "NEWS.adoc"
    if news.is_file():
        match = re.search(r"Release notes for NUT (\S+)", news.read_text(errors="replace"))
        if match:
            return match.group(1)
    raise CountError(f"{src}: cannot tell the NUT version; pass --nut-version")


def module_of(path: Path) -> str:
    """``apc-hid.c`` → ``apc``: the hidups subdriver module that follows this file."""
    return path.name[: -len("-hid.c")]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nut-src", type=Path, required=True, help="NUT source tree")
    parser.add_argument("--nut-version", help="version to record (default: from the tree)")
    parser.add_argument("--output", type=Path,
                        default=Path(__file__).resolve().parent.parent
                        / "tests" / "data" / "nut_table_counts.json")
    args = parser.parse_args(argv)
    drivers = args.nut_src / "drivers"
    files = sorted(drivers.glob("*-hid.c"))
    if not files:
        print(f"{drivers}: no *-hid.c files", file=sys.stderr)
        return 2
    try:
        version = args.nut_version or nut_version(args.nut_src)
        tables = {module_of(path): count_file(path) for path in files}
    except CountError as exc:
        print(f"nut_table_counts: {exc}", file=sys.stderr)
        return 1
    result = {
        "nut_version": version,
        "build": "default Linux build: " + ", ".join(
            f"{name}={'on' if on else 'off'}" for name, on in sorted(DEFINED.items())),
        "counted_by": "scripts/nut_table_counts.py",
        "tables": tables,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2, sort_keys=True) + "\n")
    print(f"{args.output}: {len(tables)} tables from NUT {version}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
