"""``hidups gen-subdriver DUMP``: write a subdriver module for a device hidups lacks.

DUMP is anything ``hidups.capture`` loads: a capture written by ``hidups explore``, a
capture in the shared JSON schema, or a NUT ``-DDD`` debug log (its ``- VendorID:`` and
``Path:`` lines). The module it writes uses the table format of the built-in
subdrivers; drop it into ``~/.config/hidups/subdrivers/`` (or a directory named by
``$HIDUPS_SUBDRIVER_PATH`` or ``-x subdriver_path=``) and the driver loads it at start,
no reinstall needed. See docs/explore.md.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from hidups.tools import explore

from hidups.capture.model import Capture
from hidups.errors import ConfigError, HidupsError
from hidups.hid2nut import generate, serial_over_hid
from hidups.hid2nut.subdriver import Subdriver


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dump", metavar="DUMP",
                        help="capture file (hidups, shared JSON) or NUT -DDD debug log")
    parser.add_argument("--name", "-n", default=None,
                        help="subdriver name (default: from the manufacturer string)")
    parser.add_argument("-o", "--output", metavar="PATH",
                        help="file or directory to write (default: standard output)")
    parser.add_argument("--exclude", action="append", default=[], metavar="SUBDRIVER",
                        help="do not learn from this built-in subdriver (name prefix, "
                             "e.g. 'APC HID'); repeatable")
    parser.add_argument("--unmapped-only", action="store_true",
                        help="learn from no built-in: every path unmapped, as NUT's "
                             "gen-usbhid-subdriver.sh writes it")


def run(args: argparse.Namespace) -> int:
    try:
        capture = explore.load(args.dump)
        name = args.name or default_name(capture)
        exclude = [""] if args.unmapped_only else args.exclude  # "" prefixes every name
        text, plan = generate_module(capture, name=name, exclude=exclude,
                                     source=str(args.dump))
        target = output_path(args.output, name)
        if target is None:
            sys.stdout.write(text)
        else:
            target.write_text(text, encoding="utf-8")
            print(f"wrote {target}", file=sys.stderr)
        for line in summary(plan, capture) + caution(capture):
            print(line, file=sys.stderr)
    except HidupsError as exc:
        print(f"hidups gen-subdriver: {exc}", file=sys.stderr)
        return 1
    return 0


def default_name(capture: Capture) -> str:
    """A name from the manufacturer string (NUT's script asks for one; we guess)."""
    base = capture.device.manufacturer or capture.meta.get("vendor") or ""
    words = [w for w in "".join(c if c.isalnum() else " " for c in str(base)).split() if w]
    if words:
        return words[0].capitalize()
    return f"Ups{capture.device.vendor_id:04x}"


def output_path(option: str | None, name: str) -> Path | None:
    """``-o DIR`` → ``DIR/<name>.py``; ``-o FILE`` → FILE; nothing → stdout."""
    if option is None or option == "-":
        return None
    path = Path(option).expanduser()
    if path.is_dir() or option.endswith("/"):
        path.mkdir(parents=True, exist_ok=True)
        return path / f"{generate.module_name_for(name)}.py"
    if path.suffix != ".py":
        raise ConfigError("the output file must end in .py (the registry loads *.py)",
                          option="-o", source=option)
    return path


def teachers(exclude: Sequence[str]) -> list[Subdriver]:
    """Built-in subdrivers to learn mappings from, minus the excluded ones."""
    return [sub for sub in explore.builtin_subdrivers()
            if not any(sub.full_name.lower().startswith(e.lower()) for e in exclude)]


def generate_module(capture: Capture, *, name: str, exclude: Sequence[str] = (),
                    source: str = "") -> tuple[str, generate.Plan]:
    """The module text and the plan behind it, for a loaded capture."""
    desc, _ = (explore.parse_or_none(capture.descriptor) if capture.descriptor
               else (None, None))
    if capture.descriptor is not None:
        verdict = serial_over_hid.assess(capture.descriptor, capture.device, desc)
        if verdict.kind is serial_over_hid.Kind.SERIAL_OVER_HID:
            raise ConfigError(
                " ".join(serial_over_hid.explain(capture.device, verdict)[:3]),
                source=source or None)
    paths, unreadable = explore.device_paths(capture, desc)
    if not paths and not unreadable:
        raise ConfigError("the dump has neither a report descriptor nor Path: lines",
                          source=source or None)
    subdrivers = teachers(exclude)
    lookups = generate.Importables.scan()  # after the teachers' modules are imported
    plan = generate.plan_subdriver(
        name=name, device=capture.device, paths=paths, unreadable=unreadable,
        standard=explore.standard_usages(),
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
    desc, _ = explore.parse_or_none(capture.descriptor)
    verdict = serial_over_hid.assess(capture.descriptor, capture.device, desc)
    return serial_over_hid.explain(capture.device, verdict)


def summary(plan: generate.Plan, capture: Capture) -> list[str]:
    """What the user should know about the generated module."""
    lines = [
        f"{plan.name} HID: {len(plan.mapped)} rows learned from built-in subdrivers, "
        f"{len(plan.unmapped)} unmapped paths, {len(plan.vendor_names)} vendor usages",
    ]
    for text in plan.unreadable:
        lines.append(f"skipped (names unknown to every table): {text}")
    for note in plan.unimportable:
        lines.append(f"left out: {note}")
    lines.append(f"use it with: hidups -a <ups> with subdriver = \"{plan.name} HID\" and "
                 "subdriver_path = <the directory holding it> (or put it in "
                 "~/.config/hidups/subdrivers/)")
    return lines
