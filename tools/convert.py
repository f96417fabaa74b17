"""``hidups convert IN -o OUT``: a shared-corpus JSON file or a NUT debug log (or a
hidups capture) to a hidups capture, optionally with scripted events.

Events are given as ``T:ACTION[:TYPE:HEX]`` (``5:report:feature:13 00``,
``5:interrupt:13 00``, ``30:unplug``, ``35:replug``); the report ID is the first
data byte, as in every hidups report. The work is ``hidups.capture.convert``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from hidups.capture import load_capture
from hidups.capture.convert import FORMATS, convert_capture
from hidups.errors import HidupsError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("input", help="shared-corpus JSON, NUT debug log or hidups capture")
    parser.add_argument("-o", "--output", help="output file (default: standard output)")
    parser.add_argument("--source", help="citation to record (default: the input's own)")
    parser.add_argument("--note", action="append", default=[],
                        help="text appended to the capture's notes (repeatable)")
    parser.add_argument("--event", action="append", default=[], metavar="T:ACTION[:TYPE:HEX]",
                        help="add a scripted event (repeatable)")
    parser.add_argument("--to", choices=FORMATS, default="hidups",
                        help="output format (default hidups)")


def run(args: argparse.Namespace) -> int:
    try:
        text = convert_capture(load_capture(args.input), source=args.source, notes=args.note,
                               events=args.event, to=args.to)
    except HidupsError as exc:  # one line, exit 1, like the other tools
        print(f"hidups convert: {exc}", file=sys.stderr)
        return 1
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0
