"""Q* captures from other records: the shared ``captures/qx/*.json`` layout.

Lives in ``hidups.qx`` because turning a descriptor read into the command it stands
for (krauler/fabula string indexes) is Q* protocol knowledge the capture layer lacks.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hidups.capture.qx_capture import (
    QxCapture,
    QxExchange,
    is_qx_capture,
    qx_capture_from_doc,
)
from hidups.device import DeviceInfo
from hidups.errors import CaptureError
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
    raw = doc.get("exchanges")
    if not isinstance(raw, list):
        raise CaptureError("exchanges: missing or not a list", source=source,
                           option="exchanges")
    exchanges = []
    for number, item in enumerate(raw):
        where = f"exchanges[{number}]"
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
