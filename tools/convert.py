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
from hidups.capture.qx_capture import dumps_qx_capture
from hidups.capture.qx_nut_log import load_qx_nut_log
from hidups.errors import CaptureError, HidupsError
from hidups.qx.explore import load_qx_capture_file


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


def _is_qx_nut_log(path: str) -> bool:
    """nutdrv_qx's debug log: ``[D3] send: Q1`` lines (usbhid-ups logs have none)."""
    try:
        text = Path(path).read_text(encoding="latin-1")
    except OSError:
        return False
    return "] send: " in text and "Using protocol:" in text


def _convert_qx(args: argparse.Namespace) -> str | None:
    """A Q* capture (shared layout or ours) as ours; None when the input is not Q*."""
    qx = load_qx_capture_file(args.input)
    if qx is None and _is_qx_nut_log(args.input):
        qx = load_qx_nut_log(args.input)
    if qx is None:
        return None
    if args.event or args.to != "hidups":
        raise CaptureError("a Q* capture converts only to the hidups Q* format "
                           "(no --event, no --to)", source=args.input)
    if args.source:
        qx.source = args.source
    return dumps_qx_capture(qx)


def run(args: argparse.Namespace) -> int:
    try:
        qx_text = _convert_qx(args)
    except HidupsError as exc:
        print(f"hidups convert: {exc}", file=sys.stderr)
        return 1
    if qx_text is not None:
        text = qx_text
    else:
        try:
            text = convert_capture(load_capture(args.input), source=args.source,
                                   notes=args.note, events=args.event, to=args.to)
        except HidupsError as exc:  # one line, exit 1, like the other tools
            print(f"hidups convert: {exc}", file=sys.stderr)
            return 1
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0

