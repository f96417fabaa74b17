"""The hidups Q* capture: a Q* UPS's identity, bridge and exchanges (docs/capture-format.md).

Why a format of our own next to the shared ``captures/qx/*.json``: those mix notes,
decimal descriptor dumps and decoded text; ours keeps only what a replay needs, with
every answer as the exact bytes the device gave (or ``null``: it gave none), so a
replay sends the driver the very bytes NUT saw.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from hidups.capture.format import hex_bytes, parse_hex
from hidups.device import DeviceInfo
from hidups.errors import CaptureError

QX_FORMAT_NAME = "hidups-qx-capture"
QX_FORMAT_VERSION = 1


@dataclass(frozen=True, slots=True)
class QxExchange:
    """One command (without its CR) and the exact answer bytes; None: no answer."""

    command: str
    answer: bytes | None


@dataclass
class QxCapture:
    """A recorded Q* conversation; ``protocol`` is who claimed it, when known."""

    info: DeviceInfo
    bridge: str | None = None
    protocol: str | None = None
    source: str = ""
    exchanges: list[QxExchange] = field(default_factory=list)


def is_qx_capture(doc: object) -> bool:
    """Whether a parsed JSON document says it is ours (else: the shared layout)."""
    return isinstance(doc, dict) and doc.get("format") == QX_FORMAT_NAME


def _id(value: int) -> str:
    return f"{value:04x}"


def dumps_qx_capture(capture: QxCapture) -> str:
    """The capture as JSON text, one exchange per line (diffable, greppable)."""
    info = capture.info
    head = {
        "format": QX_FORMAT_NAME, "version": QX_FORMAT_VERSION,
        "device": {"vendorid": _id(info.vendor_id), "productid": _id(info.product_id),
                   "manufacturer": info.manufacturer, "product": info.product,
                   "serial": info.serial},
        "bridge": capture.bridge, "protocol": capture.protocol, "source": capture.source,
    }
    lines = [json.dumps(head, ensure_ascii=False)[:-1] + ', "exchanges": [']
    rows = [json.dumps({"command": ex.command,
                        "answer": None if ex.answer is None else hex_bytes(ex.answer)},
                       ensure_ascii=False) for ex in capture.exchanges]
    lines.append(",\n".join(f"  {row}" for row in rows))
    lines.append("]}")
    return "\n".join(lines) + "\n"


def _hex_id(device: Mapping[str, Any], key: str, source: str) -> int:
    text = device.get(key)
    try:
        value = int(str(text), 16)
    except ValueError:
        raise CaptureError(f"device.{key}: not a hex id: {text!r}", source=source,
                           option=f"device.{key}") from None
    if not 0 <= value <= 0xFFFF:
        raise CaptureError(f"device.{key}: {text!r} is not a 16-bit id", source=source,
                           option=f"device.{key}")
    return value


def _optional_str(doc: Mapping[str, Any], key: str, where: str, source: str) -> str | None:
    value = doc.get(key)
    if value is not None and not isinstance(value, str):
        raise CaptureError(f"{where}: not a string or null: {value!r}", source=source,
                           option=where)
    return value


def exchange_items(doc: Mapping[str, Any], source: str) -> list[tuple[str, Any]]:
    """The ``exchanges`` list of a Q* capture (ours or the shared layout), each item with
    where it stands (``exchanges[3]``) for error messages."""
    raw = doc.get("exchanges")
    if not isinstance(raw, list):
        raise CaptureError("exchanges: missing or not a list", source=source,
                           option="exchanges")
    return [(f"exchanges[{number}]", item) for number, item in enumerate(raw)]


def qx_capture_from_doc(doc: Mapping[str, Any], source: str = "capture") -> QxCapture:
    """Our format's parsed JSON as a QxCapture; CaptureError naming the bad field."""
    version = doc.get("version")
    if version != QX_FORMAT_VERSION:
        raise CaptureError(f"version: {version!r} is not {QX_FORMAT_VERSION}", source=source,
                           option="version")
    device = doc.get("device")
    if not isinstance(device, dict):
        raise CaptureError("device: missing or not an object", source=source, option="device")
    info = DeviceInfo(_hex_id(device, "vendorid", source), _hex_id(device, "productid", source),
                      manufacturer=_optional_str(device, "manufacturer", "device.manufacturer",
                                                 source),
                      product=_optional_str(device, "product", "device.product", source),
                      serial=_optional_str(device, "serial", "device.serial", source))
    exchanges = []
    for where, item in exchange_items(doc, source):
        if not isinstance(item, dict) or not isinstance(item.get("command"), str):
            raise CaptureError(f"{where}: not an object with a 'command' string",
                               source=source, option=where)
        answer = item.get("answer")
        if answer is not None and not isinstance(answer, str):
            raise CaptureError(f"{where}.answer: not hex text or null: {answer!r}",
                               source=source, option=f"{where}.answer")
        data = None if answer is None else parse_hex(answer, source=source,
                                                      where=f"{where}.answer")
        exchanges.append(QxExchange(item["command"], data))
    return QxCapture(info, bridge=_optional_str(doc, "bridge", "bridge", source),
                     protocol=_optional_str(doc, "protocol", "protocol", source),
                     source=_optional_str(doc, "source", "source", source) or "",
                     exchanges=exchanges)


def loads_qx_capture(text: str, source: str = "capture") -> QxCapture:
    """Parse our Q* capture text."""
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise CaptureError(f"not JSON: {exc}", source=source) from exc
    if not is_qx_capture(doc):
        raise CaptureError(f"format: not {QX_FORMAT_NAME!r}", source=source, option="format")
    return qx_capture_from_doc(doc, source)


class QxCaptureReplay:
    """A Q* ``Query`` answering as the capture's device did.

    The last answer recorded for a command wins (the device's newest state); a command
    never recorded gets NAK when the device NAKed something, else its echo, as the
    shared-capture replay and upsemu's default do. ``None`` is a read timeout.
    """

    def __init__(self, exchanges: Sequence[QxExchange]) -> None:
        self.answers: dict[str, bytes | None] = {}
        nak = False
        for ex in exchanges:
            self.answers[ex.command] = ex.answer
            if ex.answer is not None and ex.answer.rstrip(b"\r\0") in (b"NAK", b"(NAK"):
                nak = True
        self.default = "nak" if nak else "echo"
        self.sent: list[bytes] = []

    def __call__(self, command: bytes) -> bytes | None:
        self.sent.append(command)
        text = command.decode("latin-1").rstrip("\r")
        if text in self.answers:
            return self.answers[text]
        return b"(NAK\r" if self.default == "nak" else text.encode("latin-1") + b"\r"
