"""Q* protocol tests' shared pieces: a capture as a device, a session, a scripted device."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from conftest import SHARED_CAPTURES, require_shared
from shared_captures import shared_capture

from hidups.qx import CommandStatus, QxSession, detect
from hidups.qx.replay import CaptureQuery

QX = SHARED_CAPTURES / "qx"


S = CommandStatus


def replay(stem: str) -> CaptureQuery:
    require_shared()
    path: Path = QX / f"{stem}.json"
    return CaptureQuery(shared_capture(path), path.name)


def session_on(query: Callable[[bytes], bytes | None], options: Mapping[str, str] | None = None,
               clock: Callable[[], float] | None = None) -> QxSession:
    opts = dict(options or {})
    protocol = detect(query, opts)
    if clock is None:
        return QxSession(protocol, query, opts)
    return QxSession(protocol, query, opts, clock=clock)


class Device:
    """A scripted Q* device: answers per command, logs what was sent."""

    def __init__(self, answers: dict[str, bytes | None], default: bytes | None = None) -> None:
        self.answers = answers
        self.default = default
        self.sent: list[bytes] = []

    def __call__(self, command: bytes) -> bytes | None:
        self.sent.append(command)
        return self.answers.get(command.decode("latin-1").rstrip("\r"), self.default)
