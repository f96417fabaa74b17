"""``hidups gen-subdriver DUMP``: write a subdriver module for a device hidups lacks.

DUMP is anything ``hidups.capture`` loads: a capture written by ``hidups explore``, a
capture in the shared JSON schema, or a NUT ``-DDD`` debug log (its ``- VendorID:`` and
``Path:`` lines). The module it writes uses the table format of the built-in
subdrivers; drop it into ``~/.config/hidups/subdrivers/`` (or a directory named by
``$HIDUPS_SUBDRIVER_PATH`` or ``-x subdriver_path=``) and the driver loads it at start,
no reinstall needed. See docs/explore.md. The module text comes from
``hidups.hid.analysis.generate_module``; this module is the command line.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from hidups.capture import load_capture
from hidups.capture.model import Capture
from hidups.errors import ConfigError, HidupsError
from hidups.hid.analysis import caution, default_name, generate_module
from hidups.hid2nut import generate


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
        capture = load_capture(args.dump)
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
