"""``hidups convert IN -o OUT``: a shared-corpus JSON file or a NUT debug log (or a
hidups capture) to a hidups capture, optionally with scripted events.

Events are given as ``T:ACTION[:TYPE:HEX]`` (``5:report:feature:13 00``,
``5:interrupt:13 00``, ``30:unplug``, ``35:replug``); the report ID is the first
data byte, as in every hidups report.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from hidups.capture import (
    Capture,
    Event,
    EventAction,
    capture_to_shared,
    dumps_capture,
    load_capture,
)
from hidups.capture.format import parse_type
from hidups.errors import ConfigError, HidupsError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("input", help="shared-corpus JSON, NUT debug log or hidups capture")
    parser.add_argument("-o", "--output", help="output file (default: standard output)")
    parser.add_argument("--source", help="citation to record (default: the input's own)")
    parser.add_argument("--note", action="append", default=[],
                        help="text appended to the capture's notes (repeatable)")
    parser.add_argument("--event", action="append", default=[], metavar="T:ACTION[:TYPE:HEX]",
                        help="add a scripted event (repeatable)")
    parser.add_argument("--to", choices=("hidups", "shared-json"), default="hidups",
                        help="output format (default hidups)")


def parse_event(spec: str) -> Event:
    """``"5:report:feature:13 00"`` → Event; ConfigError naming the spec otherwise."""
    parts = spec.split(":", 3)
    try:
        t = float(parts[0])
        action = EventAction(parts[1].strip().lower())
    except (ValueError, IndexError):
        raise ConfigError(f"--event {spec!r}: expected T:ACTION[:TYPE:HEX] with ACTION one "
                          "of report, interrupt, unplug, replug", option="--event") from None
    event = Event(t=t, action=action)
    if action is EventAction.REPORT:
        if len(parts) != 4:
            raise ConfigError(f"--event {spec!r}: report events need :TYPE:HEX",
                              option="--event")
        event.report_type = parse_type(parts[2].strip(), where="--event")
        event.data = _hex(parts[3], spec)
        event.report_id = event.data[0]
    elif action is EventAction.INTERRUPT:
        if len(parts) < 3:
            raise ConfigError(f"--event {spec!r}: interrupt events need :HEX",
                              option="--event")
        event.data = _hex(parts[-1], spec)
    return event


def _hex(text: str, spec: str) -> bytes:
    try:
        data = bytes.fromhex("".join(text.split()))
    except ValueError:
        raise ConfigError(f"--event {spec!r}: {text!r} is not hex bytes",
                          option="--event") from None
    if not data:
        raise ConfigError(f"--event {spec!r}: no data bytes", option="--event")
    return data


def convert(capture: Capture, args: argparse.Namespace) -> str:
    if args.source:
        capture.source = args.source
    for note in args.note:
        capture.notes = f"{capture.notes} {note}".strip()
    capture.events.extend(parse_event(spec) for spec in args.event)
    capture.events.sort(key=lambda e: e.t)
    if args.to == "shared-json":
        return json.dumps(capture_to_shared(capture), indent=1, ensure_ascii=False) + "\n"
    return dumps_capture(capture)


def run(args: argparse.Namespace) -> int:
    try:
        text = convert(load_capture(args.input), args)
    except HidupsError as exc:  # one line, exit 1, like the other tools
        print(f"hidups convert: {exc}", file=sys.stderr)
        return 1
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0
