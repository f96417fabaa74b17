"""Q* captures from other records: the shared ``captures/qx/*.json`` layout.

Lives in ``hidups.qx`` because turning a descriptor read into the command it stands
for (krauler/fabula string indexes) is Q* protocol knowledge the capture layer lacks.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hidups.capture.qx_capture import (
    QxCapture,
    QxCaptureReplay,
    QxExchange,
    exchange_items,
    is_qx_capture,
    qx_capture_from_doc,
)
from hidups.device import DeviceInfo
from hidups.errors import CaptureError, ProtocolError
from hidups.qx.items import Query, QxFlag, QxProtocol
from hidups.qx.registry import ORDER, PROTOCOLS, detect
from hidups.qx.replay import command_of


def _shared_answer(exchange: Mapping[str, Any], where: str, source: str) -> bytes | None:
    hex_text = exchange.get("answer_hex")
    if hex_text:
        try:
            return bytes.fromhex(str(hex_text))
        except ValueError:
            raise CaptureError(f"{where}.answer_hex: not hex: {hex_text!r}", source=source,
                               option=f"{where}.answer_hex") from None
    answer = exchange.get("answer")
    if answer is None:
        return None
    text = str(answer)
    return text.encode("latin-1") + b"\r" if text else b""


def _shared_id(doc: Mapping[str, Any], key: str, source: str) -> int:
    text = doc.get(key)
    if text is None:
        return 0  # a serial-port capture: no USB identity
    try:
        return int(str(text), 16)
    except ValueError:
        raise CaptureError(f"{key}: not a hex id: {text!r}", source=source,
                           option=key) from None


def qx_capture_from_shared(doc: Mapping[str, Any], source: str = "capture") -> QxCapture:
    """A shared-layout Q* capture as ours; descriptor reads become their commands."""
    exchanges = []
    for where, item in exchange_items(doc, source):
        send = item.get("send") if isinstance(item, dict) else None
        if not isinstance(send, str):
            raise CaptureError(f"{where}: exchange without 'send'", source=source, option=where)
        command = command_of(send)
        if command is None:
            continue  # a language-id table read: no Q* command behind it
        exchanges.append(QxExchange(command, _shared_answer(item, where, source)))
    info = DeviceInfo(_shared_id(doc, "vendorid", source), _shared_id(doc, "productid", source),
                      manufacturer=doc.get("manufacturer"), product=doc.get("product"),
                      serial=doc.get("serial"))
    bridge = doc.get("usb_subdriver")
    protocol = doc.get("protocol")
    return QxCapture(info, bridge=bridge if isinstance(bridge, str) else None,
                     protocol=protocol if isinstance(protocol, str) else None,
                     source=str(doc.get("source") or source), exchanges=exchanges)


def load_qx_capture_file(path: str) -> QxCapture | None:
    """A Q* capture file (ours or the shared layout) as ours; None: not a Q* capture.

    A Q* record is told apart from the HID shared layout by its ``exchanges`` list,
    which HID captures never have.
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None  # not ours to judge: the HID loader reports it
    try:
        doc = json.loads(text)
    except ValueError:
        return None
    if is_qx_capture(doc):
        return qx_capture_from_doc(doc, path)
    if isinstance(doc, dict) and isinstance(doc.get("exchanges"), list):
        return qx_capture_from_shared(doc, path)
    return None


# --- exploring a live device -------------------------------------------------------

#: Commands that act on a UPS (beeper toggle, tests, shutdown/cancel, load switching),
#: refused even if a table ever listed one without QX_FLAG_CMD: explore only asks.
_ACTION = re.compile(r"(?:Q|T|T\d+|TL|C|CT|S.*|.*%.*)\Z")


class _NoDevice:
    """What a precommand sees before any claim: no subdriver state."""

    def __init__(self) -> None:
        self.state: dict[str, Any] = {}


def query_commands(protocols: Iterable[QxProtocol]) -> list[str]:
    """Every query command of the given tables, once each, in table order, without CR.

    Only rows without QX_FLAG_CMD/SETVAR (so no instant command and no setter) and
    never an action command: exploring an unknown UPS must not beep, test or shut it.
    """
    found: dict[str, None] = {}
    for protocol in protocols:
        for item in protocol.table:
            if item.command is None or item.flags & (QxFlag.CMD | QxFlag.SETVAR):
                continue
            if _ACTION.match(item.command.rstrip("\r")):
                continue
            # as the row sends it (voltronic-axpert appends its CRC); with no device
            # state yet, a row whose command needs some (masterguard's slave address)
            # is left out
            sent = (item.precommand(_NoDevice(), item, item.command) if item.precommand
                    else item.command)
            command = (sent or "").rstrip("\r")
            if command:
                found.setdefault(command, None)
    return list(found)


def known_protocols() -> list[QxProtocol]:
    """The built protocols in NUT's probing order."""
    return [p for name in ORDER if (p := PROTOCOLS[name]) is not None]


@dataclass
class ExploreResult:
    """What explore recorded, and who claims the device from those answers."""

    capture: QxCapture
    protocol: str | None
    why: str


def explore_qx(query: Query, info: DeviceInfo, bridge: str | None = None) -> ExploreResult:
    """Ask every known query command once; claim from the recorded answers only.

    The claim runs on a replay of what was recorded, so it adds no traffic of its own
    and is exactly what ``port=replay:`` of the capture will find.
    """
    capture = QxCapture(info, bridge=bridge, source="hidups explore")
    for command in query_commands(known_protocols()):
        capture.exchanges.append(QxExchange(command, query(command.encode("latin-1") + b"\r")))
    try:
        protocol = detect(QxCaptureReplay(capture.exchanges), {})
    except ProtocolError as exc:
        return ExploreResult(capture, None, str(exc))
    capture.protocol = protocol.name
    claimed = ", ".join(f"{k}={v!r}" for k, v in sorted(protocol.claimed.items()))
    why = (f"{protocol.name} {protocol.version} is the first in NUT's order whose claim "
           f"accepts the answers" + (f" (it read {claimed})" if claimed else ""))
    return ExploreResult(capture, protocol.name, why)
