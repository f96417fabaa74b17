"""Systematic malformed variants of the shared-JSON captures (issue 11).

Every field of a capture (top level, and one representative element of each list
and object: the 4th ``raw_reports`` entry, the first ``upsc`` variable, ...) is
replaced by a value of each wrong JSON type, removed, and truncated. A mutation that
yields the field's own type is skipped, so every case is really malformed or shorter.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from hidups.capture import load_capture
from hidups.cli import main as cli_main
from hidups.errors import CaptureError, HidupsError
from hidups.transport.replay import forget_replay_devices, open_replay

#: JSON type name → a value of that type.
WRONG_VALUES: dict[str, Any] = {
    "null": None, "number": 7, "string": "x", "list": [], "object": {}, "bool": True,
}

_IDENT = re.compile(r"[A-Za-z_][A-Za-z_0-9]*\Z")

Step = str | int


def json_path(steps: tuple[Step, ...]) -> str:
    """``raw_reports[3].hex`` / ``upsc["battery.charge"]``: the path error messages use."""
    out = ""
    for step in steps:
        if isinstance(step, int):
            out += f"[{step}]"
        elif _IDENT.match(step):
            out += f".{step}" if out else step
        else:
            out += f"[{json.dumps(step)}]"
    return out


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    return "object"


def _fields(value: Any, steps: tuple[Step, ...]) -> Iterator[tuple[tuple[Step, ...], Any]]:
    """Every field worth mutating: all object keys, one sample element per list."""
    if isinstance(value, dict):
        keys = list(value)
        if steps and steps[-1] == "upsc":
            keys = keys[:1]  # the variables are all alike
        for key in keys:
            yield (*steps, key), value[key]
            yield from _fields(value[key], (*steps, key))
    elif isinstance(value, list) and value:
        index = 3 if len(value) > 3 else len(value) - 1
        yield (*steps, index), value[index]
        yield from _fields(value[index], (*steps, index))


def _parent(doc: Any, steps: tuple[Step, ...]) -> Any:
    for step in steps[:-1]:
        doc = doc[step]
    return doc


def _truncated(value: Any) -> Any:
    if isinstance(value, str) and value:
        return value[: len(value) // 2 + (1 if len(value) % 2 == 0 else 0)]
    if isinstance(value, list) and value:
        return value[: len(value) // 2]
    if isinstance(value, dict) and value:
        return dict(list(value.items())[: len(value) // 2])
    return _NO_CHANGE


_NO_CHANGE = object()


def mutations(doc: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(JSON path, what was done, mutated copy) for every malformed variant of ``doc``."""
    for steps, value in list(_fields(doc, ())):
        path = json_path(steps)
        own = _type_name(value)
        variants: list[tuple[str, Any]] = [
            (f"-> {name}", wrong) for name, wrong in WRONG_VALUES.items() if name != own]
        variants.append(("removed", _NO_CHANGE))
        truncated = _truncated(value)
        if truncated is not _NO_CHANGE:
            variants.append(("truncated", truncated))
        for label, new in variants:
            mutated = copy.deepcopy(doc)
            parent = _parent(mutated, steps)
            if label == "removed":
                del parent[steps[-1]]
            else:
                parent[steps[-1]] = new
            yield path, label, mutated


def shared_captures(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.json"))


ENTRY_POINTS = ("load", "describe", "convert", "gen-subdriver", "explore", "replay")


def run_entry(entry: str, file: Path) -> tuple[str, str]:
    """(outcome, message): "ok", "error" (CaptureError, or a tool's one-line exit 1),
    "other" (another hidups error) or "crash"."""
    if entry == "load":
        try:
            load_capture(file)
        except CaptureError as exc:
            return "error", str(exc)
        except Exception as exc:
            return "crash", f"{type(exc).__name__}: {exc}"
        return "ok", ""
    if entry == "replay":
        forget_replay_devices()
        try:
            transport = open_replay({"port": f"replay:{file}"})
        except CaptureError as exc:
            return "error", str(exc)
        except HidupsError as exc:
            return "other", f"{type(exc).__name__}: {exc}"
        except Exception as exc:  # counting crashes is the point
            return "crash", f"{type(exc).__name__}: {exc}"
        transport.close()
        return "ok", ""
    argv = {"describe": ["describe", str(file)],
            "convert": ["convert", str(file)],
            "gen-subdriver": ["gen-subdriver", str(file)],
            "explore": ["explore", "--from", str(file)]}[entry]
    out, err = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            status = cli_main(argv)
    except Exception as exc:
        return "crash", f"{type(exc).__name__}: {exc}"
    if status == 0:
        return "ok", ""
    lines = err.getvalue().splitlines()
    if status == 1 and len(lines) == 1:
        return "error", lines[0]
    return "crash", f"exit {status}: {err.getvalue()!r}"


def names_field(message: str, path: str) -> bool:
    """The message names the mutated field, or the object or list holding it."""
    candidates = [path]
    while "[" in path or "." in path:
        cut = max(path.rfind("["), path.rfind("."))
        path = path[:cut]
        candidates.append(path)
    return any(c and c in message for c in candidates)
