"""The HID item stream (HID 1.11 §6.2.2), declared with construct.

A report descriptor is a flat run of items. A *short item* is one prefix byte
(``tag:4 | type:2 | size:2``) followed by 0, 1, 2 or 4 little-endian data bytes (size
code 3 means four). A *long item* has the prefix ``0xFE``, a data length byte, a tag
byte, then the data. This module only cuts the bytes into items; what an item means is
the parser's business (``parser.py``), so data stays unsigned here.

How the grammar is shaped for speed (construct 2.10.70, compiled):

* Every ``Struct`` or ``Sequence`` builds a fresh context ``Container`` (an
  ``OrderedDict`` of nine keys) each time it parses; a ``Struct`` per item also builds
  its result ``Container``. That allocation, not the reading, was most of the time.
* So the stream is parsed in *runs*: :data:`ItemRun` is one ``Sequence`` holding
  :data:`RUN_LENGTH` items back to back (the same four fields repeated), which costs one
  context per run instead of two containers per item. The fields share their names, so
  each item's data reads the prefix just before it.
* The data width is picked by a chain of ``IfThenElse`` on the size bits, which
  compiles to one inline expression (a ``Switch`` costs a lambda call per item).
* Each item starts with a ``Tell`` (its byte offset) and a ``StopIf`` that ends the run
  at the end of the buffer; a run cut short that way is the last one. That predicate
  (``len_(obj_)``) means the same interpreted and compiled, unlike one on ``_params``.
* ``GreedyRange`` is avoided: it does not compile and silently stops at a truncated
  item. The compiled parser is built once, at import.
"""

from __future__ import annotations

import itertools
import struct
from collections.abc import Iterator
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
    Sequence,
    StopIf,
    Struct,
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

#: The prefix's two size bits (0, 1, 2 or 4 data bytes).
_SIZE_CODE = this.prefix & 3

#: An item's data, chosen by the ``prefix`` field read just before it: one data byte
#: (most items) is tested first; a long item's prefix has size code 2. Compiled, this
#: chain is one inline expression, cheaper than a ``Switch`` (a lambda call per item).
ItemData = IfThenElse(
    _SIZE_CODE == 1, Int8ul, IfThenElse(
        _SIZE_CODE == 0, Computed(0), IfThenElse(
            _SIZE_CODE == 3, Int32ul, IfThenElse(
                this.prefix == LONG_ITEM_PREFIX, LongItemBody, Int16ul))))

#: One item on its own: builds fixture items (see :func:`encode_long_item`).
Item = Struct(
    "prefix" / Byte,
    "data" / ItemData,
)

#: Items one :data:`ItemRun` holds; past ~32 a longer run saves little.
RUN_LENGTH = 32

#: The fields of one item inside a run, in order: offset, end-of-buffer stop, prefix,
#: data. The ``StopIf`` leaves a ``None`` in the run, so each item takes four slots.
ITEM_FIELDS = (
    "start" / Tell,
    StopIf(this.start >= this._params.total),
    "prefix" / Byte,
    ItemData,
)
ITEM_SLOTS = len(ITEM_FIELDS)

#: Up to :data:`RUN_LENGTH` items: ``[offset, None, prefix, data, offset, None, ...]``.
#: A run the end of the buffer cut short ends with the buffer length as a last offset.
ItemRun = Sequence(*(ITEM_FIELDS * RUN_LENGTH))

#: Runs until one is cut short by the end of the buffer; parse with
#: ``ItemStream.parse(buf, total=len(buf))``.
ItemStream = RepeatUntil(len_(obj_) < ITEM_SLOTS * RUN_LENGTH, ItemRun)

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


def parse_runs(data: bytes) -> list[Any]:
    """The compiled construct parse of ``data``: the list of :data:`ItemRun` results.

    A truncated item raises :class:`DescriptorError` naming its offset.
    """
    if not data:
        return []
    try:
        runs: list[Any] = CompiledItemStream.parse(data, total=len(data))
    except (ConstructError, struct.error):
        # The compiled code reads with struct.unpack, which raises struct.error on a
        # short read; either way the last item is cut short.
        raise _locate_truncation(data) from None
    prefix, body = _last_item(runs)
    if prefix == LONG_ITEM_PREFIX and len(body["data"]) != body["data_size"]:
        # compiled Bytes() reads short without complaint: only the last item can be
        # affected, since any later item would have had nothing to read.
        raise _locate_truncation(data)
    return runs


def _last_item(runs: list[Any]) -> tuple[int, Any]:
    """Prefix and data of the last item parsed (a run of one slot holds no item)."""
    run = runs[-1] if len(runs[-1]) > 1 else runs[-2]
    last = (len(run) // ITEM_SLOTS - 1) * ITEM_SLOTS
    return run[last + 2], run[last + 3]


def parse_stream(data: bytes) -> Iterator[tuple[int, int, Any]]:
    """Items of ``data`` as ``(offset, prefix, data)``, straight from the construct
    parse: ``data`` is the unsigned int of a short item, or for a long item a
    container with ``data_size``, ``long_tag`` and ``data``.

    A truncated item raises :class:`DescriptorError` (before the first item comes out).
    This is the parser's input; :func:`tokenize` gives the same items as
    :class:`RawItem`.
    """
    slots = ITEM_SLOTS
    # Not strict: a run cut short ends with one more offset than it has items.
    return itertools.chain.from_iterable(
        zip(run[0::slots], run[2::slots], run[3::slots], strict=False)
        for run in parse_runs(data))


def tokenize(data: bytes) -> list[RawItem]:
    """Cut ``data`` into items; a truncated item raises :class:`DescriptorError`."""
    items: list[RawItem] = []
    for offset, prefix, body in parse_stream(data):
        if prefix == LONG_ITEM_PREFIX:
            items.append(RawItem(offset, prefix, body["long_tag"], body["data_size"],
                                 body["data"]))
        else:
            items.append(RawItem(offset, prefix, body, SHORT_DATA_SIZES[prefix & 3]))
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
