"""Rewriting a capture: a new citation, notes, scripted events, another output format.

``hidups convert`` is the command line over this; the event spec ``T:ACTION[:TYPE:HEX]``
(``5:report:feature:13 00``, ``5:interrupt:13 00``, ``30:unplug``, ``35:replug``) is
parsed here so that every caller reports a bad spec the same way, naming it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from hidups.capture.format import dumps_capture, parse_type
from hidups.capture.model import Capture, Event, EventAction
from hidups.capture.shared_json import capture_to_shared
from hidups.errors import ConfigError

#: Output formats of :func:`convert_capture`.
FORMATS = ("hidups", "shared-json")


def parse_event(spec: str) -> Event:
    """``"5:report:feature:13 00"`` → Event; ConfigError naming the spec otherwise.

    The report ID is the first data byte, as in every hidups report."""
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


def convert_capture(capture: Capture, *, source: str | None = None,
                    notes: Iterable[str] = (), events: Iterable[str] = (),
                    to: str = "hidups") -> str:
    """The text of ``capture`` (changed in place) with the given citation, notes appended
    and events (specs as :func:`parse_event` reads them) merged in time order."""
    if to not in FORMATS:
        raise ConfigError(f"--to {to!r}: expected one of {', '.join(FORMATS)}", option="--to")
    if source:
        capture.source = source
    for note in notes:
        capture.notes = f"{capture.notes} {note}".strip()
    capture.events.extend(parse_event(spec) for spec in events)
    capture.events.sort(key=lambda e: e.t)
    if to == "shared-json":
        return json.dumps(capture_to_shared(capture), indent=1, ensure_ascii=False) + "\n"
    return dumps_capture(capture)
