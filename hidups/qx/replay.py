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


_ESCAPES = {"r": b"\r", "n": b"\n", "t": b"\t", "\\": b"\\", '"': b'"', "0": b"\0"}


def _unquote(text: str, where: str) -> tuple[bytes, str]:
    """A ``"quoted"`` upsemu value -> (bytes, rest of the line after the closing quote)."""
    out = bytearray()
    i = 1
    while i < len(text):
        char = text[i]
        if char == '"':
            return bytes(out), text[i + 1:]
        if char == "\\" and i + 1 < len(text):
            code = text[i + 1]
            if code == "x":
                try:
                    out.append(int(text[i + 2: i + 4], 16))
                except ValueError:
                    raise CaptureError(f"bad \\x escape in {text!r}", source=where) from None
                i += 4
                continue
            if code not in _ESCAPES:
                raise CaptureError(f"bad escape \\{code} in {text!r}", source=where)
            out += _ESCAPES[code]
            i += 2
            continue
        out += char.encode("latin-1")
        i += 1
    raise CaptureError(f"unterminated quote in {text!r}", source=where)


class DeviceFileQuery:
    """A ``Query`` answering as an upsemu ``.ups`` Q* device file's ``qx`` lines do.

    ``chunk`` pads answers to whole reports as the bridge delivers them (cypress: 8).
    A silent answer is a read timeout (None), as NUT's cypress subdriver reports it.
    """

    def __init__(self, text: str, name: str = "device", chunk: int = 0) -> None:
        self.chunk = chunk
        self.answers: dict[str, bytes | None] = {}
        self.default = "echo"
        self.sent: list[bytes] = []
        for number, line in enumerate(text.splitlines(), 1):
            where = f"{name}:{number}"
            if line.startswith("qx_default:"):
                self.default = line.split(":", 1)[1].split("#", 1)[0].strip()
            elif line.startswith("qx "):
                self._add(line[3:], where)

    def _add(self, rest: str, where: str) -> None:
        if rest.startswith('"'):
            raw, rest = _unquote(rest, where)
            command = raw.decode("latin-1")
            rest = rest.lstrip()[1:] if rest.lstrip().startswith(":") else rest
        else:
            command, _, rest = rest.partition(":")
        rest = rest.strip()
        answer: bytes | None
        if not rest:
            answer = None
        elif rest.startswith('"'):
            answer, _ = _unquote(rest, where)
        else:
            answer = rest.encode("latin-1") + b"\r"
        self.answers[command.strip()] = answer

    def _lookup(self, text: str) -> bytes | None:
        if text in self.answers:
            return self.answers[text]
        for key, value in self.answers.items():
            if key.lower() == text.lower():
                return value
        prefixes = [key for key in self.answers
                    if key.endswith("*") and text.lower().startswith(key[:-1].lower())]
        if prefixes:
            return self.answers[max(prefixes, key=len)]
        if self.default == "nak":
            return b"(NAK\r"
        if self.default == "none":
            return None
        return text.encode("latin-1") + b"\r"

    def __call__(self, command: bytes) -> bytes | None:
        """Answer one command (with its CR)."""
        self.sent.append(command)
        answer = self._lookup(command.decode("latin-1").rstrip("\r"))
        if answer is not None and self.chunk and answer:
            answer += b"\0" * (-len(answer) % self.chunk)
        return answer
