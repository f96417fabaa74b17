"""A NUT ``nutdrv_qx -DDDDD`` debug log as a hidups Q* capture.

Why from the log: it is what users already post in NUT issues. Level 3 gives
``send: CMD`` and ``read: TEXT``; level 5 adds every raw report (``read [ 8]: (8
bytes) => ...``), whose concatenation is the exact buffer NUT's driver saw (NUL
padding included), so it is preferred; without it the text plus CR is kept.
"""

from __future__ import annotations

import re
from pathlib import Path

from hidups.capture.qx_capture import QxCapture, QxExchange
from hidups.device import DeviceInfo
from hidups.errors import CaptureError

_SEND = re.compile(r"\[D\d\] send: (.*)$")
_CHUNK = re.compile(r"\[D\d\] read \[\s*\d+\]: \(\d+ bytes\) => ((?:[0-9a-f]{2} ?)*)$")
_TEXT = re.compile(r"\[D\d\] read: (.*)$")
_IDENT = re.compile(r"\[D\d\] - (VendorID|ProductID|Manufacturer|Product|Serial Number): (.*)$")
_PROTOCOL = re.compile(r"Using protocol: (\S+)")


def qx_capture_from_nut_log(text: str, source: str = "nut log") -> QxCapture:
    """Every send/read pair of the log, in order; CaptureError when there is none."""
    ident: dict[str, str] = {}
    exchanges: list[QxExchange] = []
    command: str | None = None
    chunks: list[bytes] = []
    answer_text: str | None = None
    protocol = None

    def close() -> None:
        if command is None:
            return
        if chunks:
            answer: bytes | None = b"".join(chunks)
        elif answer_text is not None:
            answer = answer_text.encode("latin-1") + b"\r"
        else:
            answer = None
        exchanges.append(QxExchange(command, answer))

    for line in text.splitlines():
        if m := _SEND.search(line):
            close()
            command, chunks, answer_text = m.group(1), [], None
        elif (m := _CHUNK.search(line)) and command is not None:
            chunks.append(bytes.fromhex(m.group(1)))
        elif (m := _TEXT.search(line)) and command is not None:
            answer_text = m.group(1)
        elif m := _IDENT.search(line):
            ident.setdefault(m.group(1), m.group(2).strip())
        elif m := _PROTOCOL.search(line):
            protocol = m.group(1).lower()
    close()
    if not exchanges:
        raise CaptureError("no 'send:' lines: not a nutdrv_qx debug log at level 3 or more "
                           "(run the driver with -DDDDD)", source=source)

    def hex_id(key: str) -> int:
        try:
            return int(ident.get(key, "0"), 16)
        except ValueError:
            raise CaptureError(f"{key}: not a hex id: {ident[key]!r}", source=source) from None

    info = DeviceInfo(hex_id("VendorID"), hex_id("ProductID"),
                      manufacturer=ident.get("Manufacturer"), product=ident.get("Product"),
                      serial=None if ident.get("Serial Number") in (None, "unknown")
                      else ident.get("Serial Number"))
    return QxCapture(info, protocol=protocol, source=source, exchanges=exchanges)


def load_qx_nut_log(path: str) -> QxCapture:
    """Read and convert a log file."""
    return qx_capture_from_nut_log(Path(path).read_text(encoding="latin-1"), path)
