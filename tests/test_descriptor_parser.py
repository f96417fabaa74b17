"""The parser's behaviour item by item, on small descriptors built as data.

Where NUT has an answer the test says which line of ``hidparser.c`` gives it; where
hidups deliberately differs (docs/differences.md) the test says so.
"""

from __future__ import annotations

import pytest
from conftest import require_shared
from shared_captures import shared_capture, shared_capture_files

from hidups.descriptor import (
    INDEX_BASE,
    ReportDescriptor,
    ReportType,
    find_field,
    format_path,
    parse_path,
)
from hidups.descriptor.items import (
    SHORT_DATA_SIZES,
    encode_item,
    encode_long_item,
    item_length,
    tokenize,
)
from hidups.errors import ConfigError, DescriptorError
from hidups.usages import NUT_STANDARD, STANDARD

# item prefixes (size bits 01 = one data byte unless stated)
USAGE_PAGE = 0x05
USAGE = 0x09
USAGE_4 = 0x0B
USAGE_MIN = 0x19
USAGE_MAX = 0x29
LOGICAL_MIN = 0x15
LOGICAL_MAX = 0x25
LOGICAL_MAX_2 = 0x26
PHYSICAL_MIN = 0x35
PHYSICAL_MAX = 0x45
UNIT_EXPONENT = 0x55
UNIT_4 = 0x67
REPORT_SIZE = 0x75
REPORT_SIZE_2 = 0x76
REPORT_ID = 0x85
REPORT_COUNT = 0x95
REPORT_COUNT_2 = 0x96
PUSH = 0xA4
POP = 0xB4
DELIMITER = 0xA9
COLLECTION = 0xA1
END_COLLECTION = 0xC0
INPUT = 0x81
FEATURE = 0xB1

UPS = 0x840004
POWER_SUMMARY = 0x840024
REMAINING_CAPACITY = 0x850066
RUNTIME = 0x850068
CHARGING = 0x850044
DISCHARGING = 0x850045


def d(*items: tuple[int, ...] | bytes) -> bytes:
    """A descriptor from ``(prefix, value)`` pairs (or raw bytes)."""
    out = b""
    for item in items:
        if isinstance(item, bytes):
            out += item
        elif len(item) == 1:
            out += bytes([item[0] & 0xFC])  # no data
        else:
            out += encode_item(item[0], item[1])
    return out


def ups_with(*body: tuple[int, ...] | bytes) -> bytes:
    """``UPS.PowerSummary`` collections around ``body``."""
    return d((USAGE_PAGE, 0x84), (USAGE, 0x04), (COLLECTION, 1), (USAGE, 0x24),
             (COLLECTION, 0), *body, (END_COLLECTION,), (END_COLLECTION,))


def parse(raw: bytes) -> ReportDescriptor:
    return ReportDescriptor.from_bytes(raw)


def paths(desc: ReportDescriptor) -> list[str]:
    return [format_path(f.path, STANDARD) for f in desc.fields]


# --- the item stream -------------------------------------------------------------------


def hand_tokenize(raw: bytes) -> list[tuple[int, int, int]]:
    """An independent, plain-Python cut of the item stream: (offset, prefix, value)."""
    out = []
    pos = 0
    while pos < len(raw):
        prefix = raw[pos]
        if prefix == 0xFE:
            out.append((pos, prefix, raw[pos + 2]))
            pos += 3 + raw[pos + 1]
            continue
        size = SHORT_DATA_SIZES[prefix & 3]
        out.append((pos, prefix, int.from_bytes(raw[pos + 1:pos + 1 + size], "little")))
        pos += 1 + size
    return out


def test_construct_tokenizer_agrees_with_a_hand_loop_on_the_corpus() -> None:
    require_shared()
    count = 0
    for path in shared_capture_files():
        hex_text = shared_capture(path).get("descriptor_hex")
        if not hex_text:
            continue
        raw = bytes.fromhex(hex_text)
        assert [(i.offset, i.prefix, i.value) for i in tokenize(raw)] == hand_tokenize(raw)
        count += 1
    assert count >= 35


def test_tokenizer_reads_every_data_size_and_long_items() -> None:
    raw = (encode_item(0x04) + encode_item(0x05, 0x84) + encode_item(0x06, 0xFF86)
           + encode_item(0x07, 0x12345678) + encode_long_item(0x33, b"abc") + b"\x09\x01")
    items = tokenize(raw)
    assert [(i.prefix, i.value, i.data_size) for i in items] == [
        (0x04, 0, 0), (0x05, 0x84, 1), (0x06, 0xFF86, 2), (0x07, 0x12345678, 4),
        (0xFE, 0x33, 3), (0x09, 1, 1)]
    assert items[4].long_data == b"abc"
    assert [i.offset for i in items] == [0, 1, 3, 6, 11, 17]
    assert item_length(raw, 11) == 6


@pytest.mark.parametrize(("raw", "offset"), [
    (b"\x05\x84\x26\x64", 2),  # 2-byte data, 1 left
    (b"\x05\x84\x27\xff\xff\x00", 2),  # 4-byte data, 3 left
    (b"\xfe", 0),  # long item without its header
    (b"\x05\x84\xfe\x05\x01\xaa", 2),  # long item data cut short
])
def test_truncated_item_names_its_offset(raw: bytes, offset: int) -> None:
    with pytest.raises(DescriptorError) as error:
        parse(raw)
    assert error.value.offset == offset
    assert f"byte {offset}" in str(error.value)


def test_long_items_are_skipped() -> None:
    desc = parse(ups_with(encode_long_item(0x10, b"\x01\x02\x03"), (REPORT_ID, 1),
                          (REPORT_SIZE, 8), (REPORT_COUNT, 1), (USAGE_PAGE, 0x85),
                          (USAGE, 0x66), (FEATURE, 2)))
    assert paths(desc) == ["UPS.PowerSummary.RemainingCapacity"]


# --- NUT's elements ---------------------------------------------------------------------


def test_one_usage_for_three_elements_stores_one_field() -> None:
    """hidparser.c: once the usage stack is empty UsageTab[0] is 0 and the element is
    a 'continuation', not stored; its bits still advance the offset."""
    desc = parse(ups_with((REPORT_ID, 1), (REPORT_SIZE, 8), (REPORT_COUNT, 3),
                          (USAGE_PAGE, 0x85), (USAGE, 0x66), (FEATURE, 2),
                          (USAGE, 0x68), (REPORT_COUNT, 1), (FEATURE, 2)))
    assert [(format_path(f.path, STANDARD), f.offset) for f in desc.fields] == [
        ("UPS.PowerSummary.RemainingCapacity", 0), ("UPS.PowerSummary.RunTimeToEmpty", 24)]
    assert desc.report_length(ReportType.FEATURE, 1) == 4
    assert desc.items[0].usages == (REMAINING_CAPACITY,)


def test_usages_do_not_leak_into_the_next_main_item() -> None:
    """Local state resets after the main item (HID 1.11 §6.2.2.8, NUT ResetLocalState)."""
    desc = parse(ups_with((REPORT_ID, 1), (REPORT_SIZE, 8), (REPORT_COUNT, 1),
                          (USAGE_PAGE, 0x85), (USAGE, 0x44), (USAGE, 0x45), (INPUT, 2),
                          (INPUT, 2)))
    assert [f.usage for f in desc.fields] == [CHARGING]
    assert [f.offset for f in desc.fields] == [0]
    assert desc.report_length(ReportType.INPUT, 1) == 2


def test_status_bits_get_consecutive_offsets() -> None:
    desc = parse(ups_with((REPORT_ID, 3), (USAGE, 0x02), (COLLECTION, 2),
                          (USAGE_PAGE, 0x85), (USAGE, 0x44), (USAGE, 0x45),
                          (REPORT_SIZE, 1), (REPORT_COUNT, 2), (LOGICAL_MAX, 1), (INPUT, 2),
                          (REPORT_COUNT, 6), (INPUT, 1), (END_COLLECTION,)))
    assert [(format_path(f.path, STANDARD), f.offset, f.size) for f in desc.fields] == [
        ("UPS.PowerSummary.PresentStatus.Charging", 0, 1),
        ("UPS.PowerSummary.PresentStatus.Discharging", 1, 1)]
    assert desc.report_length(ReportType.INPUT, 3) == 1


def test_vendor_collection_types_add_index_nodes() -> None:
    """hidparser.c: a collection type >= 0x80 adds node 0x00ff0000 | (type & 0x7f),
    printed [n]; End Collection removes both nodes."""
    desc = parse(d((USAGE_PAGE, 0x84), (USAGE, 0x04), (COLLECTION, 1),
                   (USAGE, 0x18), (COLLECTION, 0), (USAGE, 0x20), (COLLECTION, 0x81),
                   (REPORT_ID, 7), (REPORT_SIZE, 8), (REPORT_COUNT, 1), (USAGE, 0x02),
                   (FEATURE, 2), (END_COLLECTION,), (USAGE, 0x30), (FEATURE, 2),
                   (END_COLLECTION,), (END_COLLECTION,)))
    assert paths(desc) == ["UPS.OutletSystem.Outlet.[1].PresentStatus",
                           "UPS.OutletSystem.Voltage"]
    assert desc.fields[0].path[3] == INDEX_BASE | 1
    assert parse_path("UPS.OutletSystem.Outlet.[1].PresentStatus", STANDARD) == \
        desc.fields[0].path


def test_collection_without_usage_is_node_zero() -> None:
    desc = parse(d((COLLECTION, 1), (REPORT_ID, 1), (REPORT_SIZE, 8), (REPORT_COUNT, 1),
                   (USAGE_PAGE, 0x84), (USAGE, 0x30), (FEATURE, 2), (END_COLLECTION,)))
    assert paths(desc) == ["00000000.Voltage"]


def test_four_byte_usage_carries_its_own_page() -> None:
    desc = parse(ups_with((REPORT_ID, 1), (REPORT_SIZE, 8), (REPORT_COUNT, 2),
                          (USAGE_PAGE, 0x85), (USAGE_4, 0xFF860060), (USAGE, 0x66),
                          (FEATURE, 2)))
    assert paths(desc) == ["UPS.PowerSummary.ff860060", "UPS.PowerSummary.RemainingCapacity"]


def test_usage_ranges_expand_in_main_items_but_make_no_nut_fields() -> None:
    """NUT ignores Usage Minimum/Maximum, so it stores no element for them."""
    desc = parse(ups_with((REPORT_ID, 1), (REPORT_SIZE, 1), (REPORT_COUNT, 3),
                          (USAGE_PAGE, 0x85), (USAGE_MIN, 0x44), (USAGE_MAX, 0x46),
                          (INPUT, 2)))
    assert desc.fields == []
    assert desc.items[0].usages == (0x850044, 0x850045, 0x850046)


def test_delimiter_sets_count_once_for_the_main_item() -> None:
    desc = parse(ups_with((REPORT_ID, 1), (REPORT_SIZE, 8), (REPORT_COUNT, 2),
                          (USAGE_PAGE, 0x85), (DELIMITER, 1), (USAGE, 0x66), (USAGE, 0x68),
                          (DELIMITER, 0), (USAGE, 0x44), (FEATURE, 2)))
    assert desc.items[0].usages == (REMAINING_CAPACITY, CHARGING)
    # NUT does not know Delimiter: every Usage goes on its stack.
    assert [f.usage for f in desc.fields] == [REMAINING_CAPACITY, RUNTIME]


def test_logical_maximum_below_minimum_is_read_unsigned_and_flagged() -> None:
    """hidparser.c ITEM_LOG_MAX: LogMax < LogMin → LogMax = unsigned data, and the
    assumed_LogMax flag stays set for every later element (NUT never clears it)."""
    desc = parse(ups_with((REPORT_ID, 1), (REPORT_SIZE, 8), (REPORT_COUNT, 1),
                          (USAGE_PAGE, 0x85), (LOGICAL_MIN, 0), (LOGICAL_MAX, 0x7F),
                          (USAGE, 0x66), (FEATURE, 2), (LOGICAL_MAX, 0xFF), (USAGE, 0x68),
                          (FEATURE, 2), (LOGICAL_MAX, 0x64), (USAGE, 0x44), (FEATURE, 2)))
    first, second, third = desc.fields
    assert (first.logical_max, first.assumed_logmax) == (127, False)
    assert (second.logical_max, second.assumed_logmax) == (255, True)
    assert (third.logical_max, third.assumed_logmax) == (100, True)


def test_signed_limits_and_physical_presence() -> None:
    desc = parse(ups_with((REPORT_ID, 1), (REPORT_SIZE, 16), (REPORT_COUNT, 1),
                          (USAGE_PAGE, 0x84), (LOGICAL_MIN, 0xFF), (LOGICAL_MAX_2, 0x7FFF),
                          (USAGE, 0x36), (FEATURE, 2), (PHYSICAL_MIN, 0x80),
                          (PHYSICAL_MAX, 0x7F), (USAGE, 0x30), (FEATURE, 2)))
    first, second = desc.fields
    assert (first.logical_min, first.logical_max) == (-1, 0x7FFF)
    assert (first.physical_min, first.physical_max) == (None, None)
    assert (second.physical_min, second.physical_max) == (-128, 127)


@pytest.mark.parametrize(("data", "exponent"), [
    (0x00, 0), (0x07, 7), (0x0E, -2), (0x08, -8), (0xFE, -2), (0x0F, -1)])
def test_unit_exponent_as_nut_reads_it(data: int, exponent: int) -> None:
    desc = parse(ups_with((REPORT_ID, 1), (REPORT_SIZE, 8), (REPORT_COUNT, 1),
                          (UNIT_EXPONENT, data), (UNIT_4, 0x00F0D121), (USAGE, 0x30),
                          (FEATURE, 2)))
    assert desc.fields[0].unit_exponent == exponent
    assert desc.fields[0].unit == 0x00F0D121


def test_push_and_pop_restore_globals() -> None:
    """NUT ignores Push/Pop (a difference: hidups follows HID 1.11 §6.2.2.7)."""
    desc = parse(ups_with((REPORT_ID, 1), (REPORT_SIZE, 8), (REPORT_COUNT, 1),
                          (USAGE_PAGE, 0x85), (PUSH,), (REPORT_ID, 2), (REPORT_SIZE, 16),
                          (USAGE_PAGE, 0x84), (USAGE, 0x30), (FEATURE, 2), (POP,),
                          (USAGE, 0x66), (FEATURE, 2)))
    assert [(f.usage, f.report_id, f.size) for f in desc.fields] == [
        (0x840030, 2, 16), (REMAINING_CAPACITY, 1, 8)]


def test_descriptor_without_report_ids_gets_real_offsets() -> None:
    """NUT's GetReportOffset resets the offset of report 0 on every element, so NUT
    puts every element at offset 0; hidups counts them properly."""
    desc = parse(ups_with((REPORT_SIZE, 8), (REPORT_COUNT, 1), (USAGE_PAGE, 0x85),
                          (USAGE, 0x66), (FEATURE, 2), (USAGE, 0x68), (REPORT_SIZE, 16),
                          (FEATURE, 2)))
    assert not desc.uses_report_ids
    assert [(f.report_id, f.offset) for f in desc.fields] == [(0, 0), (0, 8)]
    assert desc.buffer_length(ReportType.FEATURE, 0) == 4


def test_reports_longer_than_32_bytes_keep_their_offsets() -> None:
    desc = parse(ups_with((REPORT_ID, 1), (REPORT_SIZE, 8), (REPORT_COUNT_2, 40),
                          (FEATURE, 1), (REPORT_COUNT, 1), (USAGE_PAGE, 0x85),
                          (USAGE, 0x66), (FEATURE, 2)))
    assert desc.fields[0].offset == 320  # NUT: 320 & 0xff = 64
    assert desc.report_length(ReportType.FEATURE, 1) == 41
    # NUT's replen: the padding element at bit 248 ends at 256, the field wraps to 64.
    assert desc.nut_report_length(1) == 32


def test_collections_record_tree_and_item_links() -> None:
    desc = parse(ups_with((REPORT_ID, 1), (REPORT_SIZE, 8), (REPORT_COUNT, 1),
                          (USAGE_PAGE, 0x85), (USAGE, 0x66), (FEATURE, 2)))
    ups, summary = desc.collections
    assert (ups.usage, ups.type, ups.parent, ups.path) == (UPS, 1, None, (UPS,))
    assert (summary.usage, summary.parent, summary.path) == (POWER_SUMMARY, 0,
                                                            (UPS, POWER_SUMMARY))
    assert desc.items[0].collection == 1
    assert desc.fields[0].item_offset == desc.items[0].item_offset


# --- malformed input -----------------------------------------------------------------


@pytest.mark.parametrize(("raw", "offset", "words"), [
    (d((POP,)), 0, "Pop without"),
    (d((USAGE_PAGE, 0x84), (END_COLLECTION,)), 2, "End Collection without"),
    (d((COLLECTION, 1)), 2, "never closed"),
    (d(*[(COLLECTION, 0)] * 40, *[(END_COLLECTION,)] * 40), 64, "deeper than"),
    (d(*[(PUSH,)] * 40), 32, "deeper than"),
    (d((REPORT_ID, 0)), 0, "Report ID 0"),
    (d((REPORT_SIZE_2, 0xFFFF), (REPORT_COUNT_2, 0xFFFF), (FEATURE, 2)), 6, "bytes long"),
    (d((DELIMITER, 1), (DELIMITER, 1)), 2, "Delimiter"),
    (d((DELIMITER, 0)), 0, "Delimiter"),
    (d((0x1B, 0x00840000), (0x2B, 0x0085FFFF)), 5, "usage page"),
])
def test_malformed_descriptors_name_the_offset(raw: bytes, offset: int, words: str) -> None:
    with pytest.raises(DescriptorError) as error:
        parse(raw)
    assert error.value.offset == offset
    assert words in error.value.problem


def test_empty_descriptor_parses_to_nothing() -> None:
    desc = parse(b"")
    assert (desc.fields, desc.items, desc.reports) == ([], [], {})


# --- path text ------------------------------------------------------------------------


def test_path_text_round_trips_on_every_corpus_field() -> None:
    require_shared()
    seen = 0
    for path in shared_capture_files():
        hex_text = shared_capture(path).get("descriptor_hex")
        if not hex_text:
            continue
        for field in parse(bytes.fromhex(hex_text)).fields:
            text = format_path(field.path, STANDARD)
            if 0x850000 in field.path:
                # NUT names 0x840000 and 0x850000 both "Undefined"; the name reads back
                # as the first (string_to_path does the same).
                assert parse_path(text, STANDARD) == tuple(
                    0x840000 if node == 0x850000 else node for node in field.path)
                continue
            assert parse_path(text, STANDARD) == field.path
            assert parse_path(text.lower(), STANDARD) == field.path
            seen += 1
    assert seen > 1500


def test_parse_path_rejects_unknown_names() -> None:
    with pytest.raises(ConfigError, match="NoSuchThing"):
        parse_path("UPS.NoSuchThing.Voltage", STANDARD, source="apc.py", line=3)
    assert parse_path("ups.powersummary..ff860024", NUT_STANDARD) == (
        UPS, POWER_SUMMARY, 0xFF860024)


def test_find_field_uses_nut_prefix_semantics() -> None:
    """FindObject_with_Path: first element of the type whose path starts with the
    requested nodes."""
    desc = parse(ups_with((REPORT_ID, 1), (REPORT_SIZE, 8), (REPORT_COUNT, 1),
                          (USAGE_PAGE, 0x85), (USAGE, 0x66), (INPUT, 2), (USAGE, 0x68),
                          (FEATURE, 2), (USAGE, 0x66), (FEATURE, 2)))
    found = find_field(desc, parse_path("UPS.PowerSummary", STANDARD), ReportType.FEATURE)
    assert found is not None and found.usage == RUNTIME
    found = find_field(desc, (UPS, POWER_SUMMARY, REMAINING_CAPACITY), ReportType.FEATURE)
    assert found is not None and found.offset == 8
    assert find_field(desc, (UPS, POWER_SUMMARY, RUNTIME), ReportType.INPUT) is None
    assert find_field(desc, (UPS, POWER_SUMMARY, RUNTIME, 1), ReportType.FEATURE) is None


def test_item_stream_is_compiled_and_agrees_with_the_interpreter() -> None:
    """Production parsing runs construct's compiled code, never an interpreted fallback."""
    from hidups.descriptor import items

    assert "linkedparsers[" not in items.CompiledItemStream.source
    require_shared()
    for path in shared_capture_files():
        raw = bytes.fromhex(shared_capture(path).get("descriptor_hex") or "")
        if not raw:
            continue
        interpreted = items.ItemStream.parse(raw, total=len(raw))
        compiled = items.CompiledItemStream.parse(raw, total=len(raw))
        assert interpreted == compiled, path.name
