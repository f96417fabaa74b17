"""iDowell/GoldenMate: the report-0x02 fix-up on the real 075d:0300 descriptor.

The shipped capture (270-byte variant) encodes its limits correctly, so the fix-up
must leave it alone. The broken variant the fix-up exists for sets Logical Minimum
after Logical Maximum; the test makes that variant from the real bytes by changing
report 0x02's RunTimeToEmpty limits only, and shows a reading before and after.
"""

from __future__ import annotations

from hidups.subdrivers import idowell
from shared_captures import shared_capture
from subdrivers_testlib import device

from hidups import codec
from hidups.descriptor.model import Field, ReportDescriptor, ReportType

GOLDENMATE = device(0x075D, 0x0300)

#: Report 0x02's RunTimeToEmpty: Logical Minimum 0, Logical Maximum 0x7fffffff (4 bytes).
CORRECT_LIMITS = bytes.fromhex("1500 27ffffff7f")
#: The broken pattern: Logical Maximum 5 (4 bytes) first, then Logical Minimum 16, so
#: the parser's unsigned re-read (done at the maximum) cannot see the inversion.
BROKEN_LIMITS = bytes.fromhex("2705000000 1510")
#: A 3000 s runtime in report 0x02 (a pad byte, the charge, then the 32-bit runtime).
REPORT = bytes([0x02, 0, 80]) + (3000).to_bytes(4, "little")


def descriptor_bytes() -> bytes:
    return bytes.fromhex(shared_capture("goldenmate-lipo-075d-0300-nut3015.json")["descriptor_hex"])


def runtime_field(desc: ReportDescriptor) -> Field:
    item: Field | None = idowell._field(desc, 0x02, idowell.USAGE_RUN_TIME_TO_EMPTY)
    assert item is not None and item.report_type is ReportType.INPUT
    return item


def test_real_descriptor_needs_no_fix() -> None:
    desc = ReportDescriptor.from_bytes(descriptor_bytes())
    item = runtime_field(desc)
    assert (item.logical_min, item.logical_max) == (0, 0x7FFFFFFF)
    assert codec.read_value(item, REPORT) == 3000
    assert idowell.fix_report_desc(GOLDENMATE, desc, {}) == []
    assert (item.logical_min, item.logical_max) == (0, 0x7FFFFFFF)


def broken_descriptor() -> ReportDescriptor:
    raw = descriptor_bytes()
    assert raw.count(CORRECT_LIMITS) == 1
    return ReportDescriptor.from_bytes(raw.replace(CORRECT_LIMITS, BROKEN_LIMITS))


def test_inverted_runtime_limits_are_raised() -> None:
    desc = broken_descriptor()
    item = runtime_field(desc)
    assert (item.logical_min, item.logical_max) == (16, 5)
    # NUT's GetValue masks to the 5 bits 16 needs (3000 -> 24), then clamps at 5
    assert codec.read_value(item, REPORT) == 5

    changes = idowell.fix_report_desc(GOLDENMATE, desc, {})

    assert changes == ["report 0x02 RunTimeToEmpty: logical maximum 5 (below minimum 16) "
                       "-> 1979711487"]
    assert (item.logical_min, item.logical_max, item.assumed_logmax) == (16, 0x75FFFFFF, True)
    assert codec.read_value(item, REPORT) == 3000


def test_fix_only_for_its_ids_and_not_when_disabled() -> None:
    desc = broken_descriptor()
    assert idowell.fix_report_desc(device(0x06DA, 0x1234), desc, {}) == []
    assert idowell.fix_report_desc(GOLDENMATE, desc, {"disable_fix_report_desc": ""}) == []
    assert runtime_field(desc).logical_max == 5
    assert len(idowell.fix_report_desc(device(0x06DA, 0xFFFF), desc, {})) == 1
