"""Answer Q* commands from a recorded conversation (``captures/qx/*.json``).

Why: tests and offline tools need a device that answers exactly as a real one did;
the rules match upsemu's ``qx2ups.py`` (last answer per command, NAK-or-echo default)
so a replay and NUT on the emulator see the same bytes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hidups.errors import CaptureError


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

    def __init__(self, capture: Mapping[str, Any], name: str = "capture") -> None:
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
            self.answers[send] = answer
            nak = nak or answer.rstrip(b"\r") in (b"NAK", b"(NAK")
        self.default = "nak" if nak else "echo"
        self.sent: list[bytes] = []

    def __call__(self, command: bytes) -> bytes | None:
        """Answer one command (with its CR) as the device did."""
        self.sent.append(command)
        text = command.decode("latin-1").rstrip("\r")
        if text in self.answers:
            return self.answers[text]
        lowered = {key.lower(): value for key, value in self.answers.items()}
        if text.lower() in lowered:
            return lowered[text.lower()]
        return b"(NAK\r" if self.default == "nak" else text.encode("latin-1") + b"\r"
