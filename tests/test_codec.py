"""The value codec: bit-exact reads and writes, NUT's logical and physical arithmetic."""

from __future__ import annotations

import ctypes
import math

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from hidups.codec import (
    format_g,
    power_of_ten,
    read_bits,
    read_logical,
    read_value,
    to_logical,
    to_physical,
    unit_exponent,
    write_bits,
    write_logical,
)
from hidups.descriptor import Field, ReportType

VOLT = 0x00F0D121
VA_OR_WATT = 0x0000D121


def make_field(offset: int = 0, size: int = 8, logical_min: int = 0, logical_max: int = 255,
               physical_min: int | None = None, physical_max: int | None = None,
               unit: int = 0, exponent: int = 0) -> Field:
    return Field(path=(0x840004, 0x840030), report_type=ReportType.FEATURE, report_id=1,
                 offset=offset, size=size, logical_min=logical_min,
                 logical_max=logical_max, physical_min=physical_min,
                 physical_max=physical_max, unit=unit, unit_exponent=exponent,
                 attributes=2, item_offset=0, index=0)


def nut_get_bits(buf: bytes, offset: int, size: int) -> int:
    """GetValue's bit loop, bit by bit, as an independent oracle."""
    value = 0
    bit = offset + 8
    for weight in range(size):
        if buf[bit >> 3] & (1 << (bit & 7)):
            value += 1 << weight
        bit += 1
    return value


# --- bits -----------------------------------------------------------------------------


@given(st.integers(0, 400), st.integers(1, 70), st.data())
def test_read_bits_matches_nuts_bit_loop(offset: int, size: int, data: st.DataObject) -> None:
    buf = data.draw(st.binary(min_size=(offset + size + 15) // 8,
                              max_size=(offset + size + 15) // 8 + 4))
    assert read_bits(buf, offset + 8, size) == nut_get_bits(buf, offset, size)


@given(st.integers(0, 400), st.integers(1, 70), st.data())
def test_write_bits_touches_only_its_bits(offset: int, size: int, data: st.DataObject) -> None:
    length = (offset + size + 15) // 8 + 2
    before = data.draw(st.binary(min_size=length, max_size=length))
    value = data.draw(st.integers(-(1 << size), (1 << size) - 1))
    buf = bytearray(before)
    write_bits(buf, offset + 8, size, value)
    assert read_bits(buf, offset + 8, size) == value & ((1 << size) - 1)
    for bit in range(len(before) * 8):
        if not offset + 8 <= bit < offset + 8 + size:
            assert (buf[bit >> 3] >> (bit & 7)) & 1 == (before[bit >> 3] >> (bit & 7)) & 1


def test_write_grows_a_short_buffer() -> None:
    buf = bytearray(b"\x05")
    write_bits(buf, 8 + 12, 8, 0xAB)
    assert buf == bytearray(b"\x05\x00\xb0\x0a")


def test_short_report_reads_missing_bytes_as_zero() -> None:
    assert read_logical(make_field(offset=8, size=16, logical_max=0xFFFF), b"\x01\x02") == 0


# --- logical values ----------------------------------------------------------------------


@st.composite
def field_and_value(draw: st.DrawFn) -> tuple[Field, int]:
    size = draw(st.integers(1, 64))
    signed = draw(st.booleans())
    if signed and size > 1:
        low_bound, high_bound = -(1 << (size - 1)), (1 << (size - 1)) - 1
    else:
        low_bound, high_bound = 0, (1 << size) - 1
    low = draw(st.integers(low_bound, high_bound))
    high = draw(st.integers(low, high_bound))
    value = draw(st.integers(low, high))
    offset = draw(st.integers(0, 300))
    return make_field(offset=offset, size=size, logical_min=low, logical_max=high), value


@settings(max_examples=400)
@given(field_and_value(), st.binary(max_size=60))
def test_logical_round_trip(case: tuple[Field, int], noise: bytes) -> None:
    field, value = case
    buf = bytearray(noise)
    write_logical(field, buf, value)
    assert read_logical(field, buf) == value


def test_nut_masks_garbage_above_the_logical_range() -> None:
    """GetValue: APC BF500 sends 0x80080a00 in a 32-bit field with LogMax 0xffff;
    NUT keeps the low 16 bits."""
    field = make_field(size=32, logical_max=0xFFFF)
    assert read_logical(field, b"\x01" + (0x80080A00).to_bytes(4, "little")) == 0x0A00


def test_nut_sign_extends_only_with_a_negative_minimum() -> None:
    signed = make_field(size=16, logical_min=-1, logical_max=32767)
    unsigned = make_field(size=16, logical_min=0, logical_max=65535)
    report = b"\x01\xff\xff"
    assert read_logical(signed, report) == -1
    assert read_logical(unsigned, report) == 65535


def test_nut_masks_to_the_range_then_clamps() -> None:
    """LogMax 100 needs 7 bits: raw 200 (0b11001000) masks to 72, inside the range;
    raw 0x7f masks to 127 and clamps to 100."""
    field = make_field(logical_max=100)
    assert read_logical(field, b"\x01\xc8") == 72
    assert read_logical(field, b"\x01\x7f") == 100


# --- physical values and exponents ------------------------------------------------------


@pytest.mark.parametrize(("unit", "exponent", "raw", "expected"), [
    (VOLT, 7, 230, "230"),  # Volt in SI: NUT removes the 10^7
    (VOLT, 5, 1343, "13.43"),
    (VA_OR_WATT, 7, 865, "865"),
    (0, -2, 1343, "13.43"),
    (0x00001001, 0, 2580, "2580"),  # seconds: no correction
    (0, 3, 5, "5000"),
])
def test_unit_exponent_as_nut_applies_it(unit: int, exponent: int, raw: int,
                                         expected: str) -> None:
    field = make_field(size=16, logical_max=0xFFFF, unit=unit, exponent=exponent)
    report = b"\x01" + raw.to_bytes(2, "little")
    assert format_g(read_value(field, report)) == expected


def test_physical_range_scales_and_clamps() -> None:
    field = make_field(logical_min=0, logical_max=255, physical_min=0, physical_max=100)
    assert to_physical(field, 255) == 100.0
    assert to_physical(field, 0) == 0.0
    assert to_physical(field, 51) == pytest.approx(20.0)
    # Physical Min and Max both 0 mean "none" (HID spec, NUT).
    assert to_physical(make_field(physical_min=0, physical_max=0), 7) == 7.0


def test_power_of_ten_is_nuts_repeated_product() -> None:
    assert power_of_ten(-2) == 0.1 * (0.1 * 1.0)
    assert power_of_ten(3) == 1000.0
    assert unit_exponent(make_field(unit=VOLT, exponent=-128)) == 121  # int8 wrap, as NUT


@st.composite
def scaled_field_and_logical(draw: st.DrawFn) -> tuple[Field, int]:
    low = draw(st.integers(-(1 << 15), (1 << 15) - 2))
    high = draw(st.integers(low + 1, 1 << 16))
    physical = draw(st.booleans())
    pmin = pmax = None
    if physical:
        pmin = draw(st.integers(-(1 << 20), 1 << 20))
        # Coarser or finer than the logical range: physical values are not rounded.
        pmax = draw(st.integers(pmin + 1, pmin + (high - low) * 50))
    exponent = draw(st.integers(-8, 7))
    unit = draw(st.sampled_from([0, VOLT, VA_OR_WATT, 0x00001001]))
    field = make_field(size=32, logical_min=low, logical_max=high, physical_min=pmin,
                       physical_max=pmax, unit=unit, exponent=exponent)
    return field, draw(st.integers(low, high))


@settings(max_examples=400)
@given(scaled_field_and_logical())
def test_physical_round_trip(case: tuple[Field, int]) -> None:
    field, logical = case
    assert to_logical(field, to_physical(field, logical)) == logical


@given(scaled_field_and_logical())
def test_write_then_read_value_round_trips(case: tuple[Field, int]) -> None:
    field, logical = case
    buf = bytearray(b"\x01")
    write_logical(field, buf, to_logical(field, to_physical(field, logical)))
    assert read_value(field, buf) == to_physical(field, logical)


def test_nut_truncates_where_hidups_rounds() -> None:
    field = make_field(size=16, logical_max=0xFFFF, exponent=-2)
    assert to_logical(field, 2.3) == 230
    assert to_logical(field, 2.3, nut_truncate=True) == 229  # NUT's (long) cast


def test_non_numbers_cannot_be_written() -> None:
    with pytest.raises(ValueError):
        to_logical(make_field(), math.nan)


# --- C's %g --------------------------------------------------------------------------


def c_format_g(value: float) -> str:
    libc = ctypes.CDLL(None)
    buf = ctypes.create_string_buffer(64)
    libc.snprintf(buf, 64, b"%g", ctypes.c_double(value))
    return buf.value.decode()


@given(st.floats(allow_nan=False, allow_infinity=True))
def test_format_g_is_c_printf(value: float) -> None:
    assume(value == value)
    assert format_g(value) == c_format_g(value)


@pytest.mark.parametrize("value", [0.0, -0.0, 13.43, 459524.0, 1e6, 1234567.0, 1e-5,
                                   0.0001, 100.0, -60.0, 0.001214])
def test_format_g_examples(value: float) -> None:
    assert format_g(value) == c_format_g(value)
