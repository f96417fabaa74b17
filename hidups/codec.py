"""Reading and writing one field's value in report bytes, with NUT's arithmetic.

Buffer layout (NUT's): ``report[0]`` is the report ID and the field's bits start at bit
``field.offset + 8``, little-endian, least significant bit first. For descriptors
without Report ID items the same layout holds with a 0 in ``report[0]`` (hidapi's
convention), so one rule serves both kinds. Bytes missing at the end of a short report
read as zeros, as in NUT's zero-filled report buffers.

Reading follows NUT's ``GetValue`` (mask to the bits the logical range needs, sign-extend
when the minimum is negative, clamp into the range) and ``HIDGetDataValue`` (logical to
physical, then the unit exponent with NUT's Volt and VA/W correction). Writing inverts
both; the one deliberate change is that physical→logical rounds to the nearest integer
where NUT truncates (``2.3`` V at 0.01 V resolution became ``229``): see
docs/differences.md. ``nut_truncate=True`` gives NUT's numbers.
"""

from __future__ import annotations

import math

from hidups.descriptor.model import Field

#: Units whose exponent NUT corrects (``HIDUnits`` in libhid.c): the Power Device spec
#: puts Volt and VA/W in SI units with a 10^7 factor, which NUT takes back out.
NUT_UNIT_EXPONENT_CORRECTIONS: dict[int, int] = {
    0x00F0D121: 7,  # Volt
    0x0000D121: 7,  # VA and Watt (NUT cannot tell them apart)
}


# --- raw bits -------------------------------------------------------------------------


def read_bits(report: bytes | bytearray | memoryview, bit_offset: int, width: int) -> int:
    """``width`` bits at ``bit_offset`` of ``report`` as an unsigned integer."""
    if width <= 0:
        return 0
    first = bit_offset >> 3
    last = (bit_offset + width + 7) >> 3
    chunk = int.from_bytes(report[first:last], "little")
    return (chunk >> (bit_offset & 7)) & ((1 << width) - 1)


def write_bits(report: bytearray, bit_offset: int, width: int, value: int) -> None:
    """Store the low ``width`` bits of ``value`` (two's complement) at ``bit_offset``.

    The buffer grows with zero bytes if it is too short, as NUT's buffers are sized to
    the longest report with that ID.
    """
    if width <= 0:
        return
    first = bit_offset >> 3
    last = (bit_offset + width + 7) >> 3
    if len(report) < last:
        report.extend(bytes(last - len(report)))
    shift = bit_offset & 7
    mask = ((1 << width) - 1) << shift
    chunk = int.from_bytes(report[first:last], "little")
    chunk = (chunk & ~mask) | ((value << shift) & mask)
    report[first:last] = chunk.to_bytes(last - first, "little")


# --- logical values (NUT's GetValue / SetValue) -------------------------------------------


def _bit_length_mask(field: Field) -> tuple[int, int]:
    """NUT's ``(mask, signbit)``: the bits the logical range needs, not the field size."""
    magnitude_max = field.logical_max if field.logical_max >= 0 else -(field.logical_max + 1)
    magnitude_min = field.logical_min if field.logical_min >= 0 else -(field.logical_min + 1)
    signbit = 1 << max(magnitude_max, magnitude_min).bit_length()
    mask = signbit - 1
    if field.logical_min < 0:
        mask |= signbit
    return mask, signbit


def logical_from_raw(field: Field, raw: int) -> int:
    """NUT's interpretation of the field's raw bits.

    Bits above what ``max(|LogMin|, |LogMax|)`` needs are dropped (some APC units send
    garbage there), the value is sign-extended only when LogMin < 0, then clamped.
    """
    mask, signbit = _bit_length_mask(field)
    value = raw & mask
    if field.logical_min < 0 and value & signbit:
        value -= signbit << 1
    if value < field.logical_min:
        return field.logical_min
    if value > field.logical_max:
        return field.logical_max
    return value


def read_logical(field: Field, report: bytes | bytearray | memoryview) -> int:
    """The field's logical value as NUT's ``GetValue`` computes it."""
    return logical_from_raw(field, read_bits(report, field.offset + 8, field.size))


def write_logical(field: Field, report: bytearray, value: int) -> None:
    """NUT's ``SetValue``: the low ``field.size`` bits of ``value`` go into ``report``."""
    write_bits(report, field.offset + 8, field.size, value)


# --- physical values (NUT's logical_to_physical, exponent) ------------------------------


def has_physical_range(field: Field) -> bool:
    """Whether NUT scales by Physical Min/Max (both given, not both 0, both ranges
    increasing); otherwise physical equals logical."""
    pmin, pmax = field.physical_min, field.physical_max
    if pmin is None or pmax is None or (pmin == 0 and pmax == 0):
        return False
    return pmax > pmin and field.logical_max > field.logical_min


def unit_exponent(field: Field) -> int:
    """NUT's effective exponent: Unit Exponent minus the Volt/VA/W correction, as the
    8-bit signed value NUT keeps it in."""
    exponent = field.unit_exponent - NUT_UNIT_EXPONENT_CORRECTIONS.get(field.unit, 0)
    return ((exponent + 128) & 0xFF) - 128


def power_of_ten(exponent: int) -> float:
    """10**exponent computed as NUT's ``exponent()`` does: repeated multiplication by
    10 or by 0.1, so results agree with NUT to the last bit."""
    factor = 10.0 if exponent > 0 else 1 / 10.0
    result = 1.0
    for _ in range(abs(exponent)):
        result = factor * result
    return result


def logical_to_physical(field: Field, logical: int) -> float:
    """NUT's ``logical_to_physical`` (before the unit exponent)."""
    if not has_physical_range(field):
        return float(logical)
    pmin = field.physical_min
    pmax = field.physical_max
    assert pmin is not None and pmax is not None
    factor = float(pmax - pmin) / float(field.logical_max - field.logical_min)
    physical = (logical - field.logical_min) * factor + pmin
    if physical > pmax:
        return float(pmax)
    if physical < pmin:
        return float(pmin)
    return physical


def to_physical(field: Field, logical: int) -> float:
    """The value NUT reports for a logical value: physical range, then unit exponent."""
    return logical_to_physical(field, logical) * power_of_ten(unit_exponent(field))


def read_value(field: Field, report: bytes | bytearray | memoryview) -> float:
    """What NUT prints as ``Value: %g`` for this field of this report."""
    return to_physical(field, read_logical(field, report))


def _to_integer(value: float, nut_truncate: bool) -> int:
    if math.isnan(value) or math.isinf(value):
        raise ValueError(f"cannot write {value} as a logical value")
    if nut_truncate:
        return int(value)  # C's (long) cast truncates toward zero
    return int(math.copysign(math.floor(abs(value) + 0.5), value))


def to_logical(field: Field, physical: float, *, nut_truncate: bool = False) -> int:
    """The logical value to write for ``physical`` (NUT's ``HIDSetDataValue`` math).

    Rounds to nearest unless ``nut_truncate``; clamps into LogMin..LogMax only when a
    physical range applies, as NUT does.
    """
    value = physical / power_of_ten(unit_exponent(field))
    if not has_physical_range(field):
        return _to_integer(value, nut_truncate)
    pmin = field.physical_min
    pmax = field.physical_max
    assert pmin is not None and pmax is not None
    factor = float(field.logical_max - field.logical_min) / float(pmax - pmin)
    logical = _to_integer((value - pmin) * factor, nut_truncate) + field.logical_min
    if logical > field.logical_max:
        return field.logical_max
    if logical < field.logical_min:
        return field.logical_min
    return logical


def format_g(value: float) -> str:
    """C's ``%g`` (what NUT's ``Value:`` uses): six significant digits, no trailing
    zeros, exponent form outside 1e-4 .. 1e6."""
    return "%g" % value
