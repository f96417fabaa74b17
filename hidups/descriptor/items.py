"""The HID item stream (HID 1.11 §6.2.2), declared with construct.

A report descriptor is a flat run of items. A *short item* is one prefix byte
(``tag:4 | type:2 | size:2``) followed by 0, 1, 2 or 4 little-endian data bytes (size
code 3 means four). A *long item* has the prefix ``0xFE``, a data length byte, a tag
byte, then the data. This module only cuts the bytes into items; what an item means is
the parser's business (``parser.py``), so data stays unsigned here.

The stream is a ``RepeatUntil`` with a ``Tell`` at the end of each item, because that is
the form construct 2.10 can compile (``GreedyRange`` falls back to the interpreter and
silently stops at a truncated item). The compiled parser is built once, at import.
"""

from __future__ import annotations

import struct
from typing import Any, NamedTuple

from construct import (
    Byte,
    Bytes,
    Computed,
    ConstructError,
    IfThenElse,
    Int8ul,
    Int16ul,
    Int32ul,
    Rebuild,
    RepeatUntil,
    Struct,
    Switch,
    Tell,
    len_,
    this,
)
from construct.expr import obj_

from hidups.errors import DescriptorError

#: Prefix byte of a long item.
LONG_ITEM_PREFIX = 0xFE

#: Data bytes of a short item, by the prefix's two size bits.
SHORT_DATA_SIZES = (0, 1, 2, 4)

LongItemBody = Struct(
    "data_size" / Rebuild(Byte, len_(this.data)),
    "long_tag" / Byte,
    "data" / Bytes(this.data_size),
)

ShortItemData = Switch(
    this.prefix & 3,
    {1: Int8ul, 2: Int16ul, 3: Int32ul},
    default=Computed(0),
)

Item = Struct(
    "prefix" / Byte,
    "data" / IfThenElse(this.prefix == LONG_ITEM_PREFIX, LongItemBody, ShortItemData),
    "end" / Tell,
)

#: Items until the end of the buffer; parse with ``ItemStream.parse(buf, total=len(buf))``.
ItemStream = RepeatUntil(obj_.end >= this._params.total, Item)

#: The compiled form: same grammar, generated Python, several times faster.
CompiledItemStream = ItemStream.compile()


class RawItem(NamedTuple):
    """One item as cut from the byte stream.

    ``value`` is the unsigned little-endian data of a short item (0 when it has none);
    for a long item it is the long item's tag and ``long_data`` holds its bytes.
    """

    offset: int  # byte offset of the prefix
    prefix: int  # the prefix byte
    value: int
    data_size: int  # data bytes after the prefix (short: 0/1/2/4, long: the length byte)
    long_data: bytes | None = None

    @property
    def is_long(self) -> bool:
        return self.prefix == LONG_ITEM_PREFIX


def parse_stream(data: bytes) -> list[Any]:
    """The compiled construct parse of ``data``: one container per item with keys
    ``prefix``, ``data`` (an int, or for a long item a container with ``long_tag``,
    ``data_size`` and ``data``) and ``end`` (offset after the item).

    A truncated item raises :class:`DescriptorError` naming its offset. This is the
    parser's input; :func:`tokenize` gives the same items as :class:`RawItem`.
    """
    if not data:
        return []
    try:
        parsed: list[Any] = CompiledItemStream.parse(data, total=len(data))
    except (ConstructError, struct.error):
        # The compiled code reads with struct.unpack, which raises struct.error on a
        # short read; either way the last item is cut short.
        raise _locate_truncation(data) from None
    if parsed[-1]["end"] != len(data) or (
            parsed[-1]["prefix"] == LONG_ITEM_PREFIX
            and len(parsed[-1]["data"]["data"]) != parsed[-1]["data"]["data_size"]):
        # compiled Bytes() reads short without complaint: only the last item can be
        # affected, since any later item would have had nothing to read.
        raise _locate_truncation(data)
    return parsed


def tokenize(data: bytes) -> list[RawItem]:
    """Cut ``data`` into items; a truncated item raises :class:`DescriptorError`."""
    items: list[RawItem] = []
    start = 0
    for entry in parse_stream(data):
        prefix = entry["prefix"]
        body = entry["data"]
        if prefix == LONG_ITEM_PREFIX:
            items.append(RawItem(start, prefix, body["long_tag"], body["data_size"],
                                 body["data"]))
        else:
            items.append(RawItem(start, prefix, body, SHORT_DATA_SIZES[prefix & 3]))
        start = entry["end"]
    return items


def item_length(data: bytes, offset: int) -> int:
    """Bytes taken by the item starting at ``offset`` (prefix included), from its header.

    Used to name the truncated item when construct stops; the header of a long item may
    itself be cut short, in which case its 3-byte header is the least it needs.
    """
    prefix = data[offset]
    if prefix != LONG_ITEM_PREFIX:
        return 1 + SHORT_DATA_SIZES[prefix & 3]
    if offset + 1 >= len(data):
        return 3
    return 3 + data[offset + 1]


def _locate_truncation(data: bytes) -> DescriptorError:
    """Walk item headers to find the item that runs past the end of ``data``."""
    offset = 0
    while offset < len(data):
        length = item_length(data, offset)
        if offset + length > len(data):
            kind = "long item" if data[offset] == LONG_ITEM_PREFIX else "item"
            return DescriptorError(
                offset,
                f"{kind} 0x{data[offset]:02x} needs {length} bytes, "
                f"only {len(data) - offset} left",
            )
        offset += length
    return DescriptorError(len(data), "item stream could not be decoded")


def encode_item(prefix: int, value: int = 0) -> bytes:
    """Build one short item: the size bits of ``prefix`` decide the data width.

    For tests and fixtures, so descriptors can be written as data.
    """
    size = SHORT_DATA_SIZES[prefix & 3]
    return bytes([prefix]) + (value & ((1 << (8 * size)) - 1)).to_bytes(size, "little")


def encode_long_item(tag: int, payload: bytes) -> bytes:
    """Build one long item (prefix ``0xFE``)."""
    built: bytes = Item.build({"prefix": LONG_ITEM_PREFIX,
                               "data": {"long_tag": tag, "data": payload}})
    return built
