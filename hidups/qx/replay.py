"""Answer Q* commands from a recorded conversation (``captures/qx/*.json``).

Why: tests and offline tools need a device that answers exactly as a real one did;
the rules match upsemu's ``qx2ups.py`` (last answer per command, NAK-or-echo default)
so a replay and NUT on the emulator see the same bytes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from hidups.errors import CaptureError

# String-descriptor bridges (krauler, fabula): descriptor index -> the command it stands for.
STRING_INDEX_COMMANDS = {0x03: "Q1", 0x0D: "F", 0x0C: "I", 0x04: "T", 0x05: "TL", 0x07: "Q"}
_STRING_INDEX = re.compile(r"GET_DESCRIPTOR string index (\d+)")


def command_of(send: str) -> str | None:
    """The Q* command an exchange stands for (pyusb captures log descriptor reads)."""
    match = _STRING_INDEX.match(send)
    if match is None:
        return send
    return STRING_INDEX_COMMANDS.get(int(match.group(1)))


def _answer_bytes(exchange: Mapping[str, Any], where: str) -> bytes:
    """An exchange's exact reply: ``answer_hex`` when present, else text plus CR."""
    hex_text = exchange.get("answer_hex")
    if hex_text:
        try:
            return bytes.fromhex(str(hex_text))
        except ValueError:
            raise CaptureError(f"bad answer_hex {hex_text!r}", source=where) from None
    answer = exchange.get("answer")
    if answer is None:
        raise CaptureError("exchange without answer", source=where)
    text = str(answer)
    return text.encode("latin-1") + b"\r" if text else b""


class CaptureQuery:
    """A ``Query`` replaying a capture; ``sent`` records every command sent."""

    def __init__(self, capture: Mapping[str, Any], name: str = "capture",
                 chunk: int = 0) -> None:
        """``chunk``: pad answers with NULs to whole reports of this size (cypress: 8)."""
        self.chunk = chunk
        self.answers: dict[str, bytes] = {}
        exchanges = capture.get("exchanges")
        if not isinstance(exchanges, list):
            raise CaptureError("no 'exchanges' list", source=name)
        nak = False
        for number, exchange in enumerate(exchanges):
            where = f"{name}: exchanges[{number}]"
            send = exchange.get("send")
            if not isinstance(send, str):
                raise CaptureError("exchange without 'send'", source=where)
            answer = _answer_bytes(exchange, where)
            command = command_of(send)
            if command is None:
                continue
            self.answers[command] = answer
            nak = nak or answer.rstrip(b"\r") in (b"NAK", b"(NAK")
        self.default = "nak" if nak else "echo"
        self.sent: list[bytes] = []

    def __call__(self, command: bytes) -> bytes | None:
        """Answer one command (with its CR) as the device did."""
        answer = self._answer(command)
        if self.chunk and answer:
            answer += b"\0" * (-len(answer) % self.chunk)
        return answer

    def _answer(self, command: bytes) -> bytes:
        self.sent.append(command)
        text = command.decode("latin-1").rstrip("\r")
        if text in self.answers:
            return self.answers[text]
        lowered = {key.lower(): value for key, value in self.answers.items()}
        if text.lower() in lowered:
            return lowered[text.lower()]
        return b"(NAK\r" if self.default == "nak" else text.encode("latin-1") + b"\r"
