"""PowerCOM: the delay encodings in both byte orders and discrete mode, the bit-field
status words, and the report-0xa4 battery voltage, against NUT's arithmetic."""

from __future__ import annotations

import pytest
from hidups.subdrivers import powercom
from shared_captures import shared_capture
from subdrivers_testlib import FakeContext, descriptor_of, device

from hidups.descriptor.model import ReportType
from hidups.descriptor.paths import find_field, parse_path
from hidups.usages import NUT_STANDARD

BNT = device(0x0D9F, 0x0004)
FALLBACK = {"powercom_sdcmd_byte_order_fallback": ""}
DISCRETE = {"powercom_sdcmd_discrete_delay": ""}


def ctx(options: dict[str, str] | None = None, **variables: str) -> FakeContext:
    return FakeContext(BNT, variables=dict(variables), options=dict(options or {}))


def test_startup_delay_is_byte_swapped_minutes() -> None:
    # NUT: 60 * (((i & 0xff) << 8) + (i >> 8))
    assert powercom.POWERCOM_STARTUP_INFO.to_nut(0x0300, ctx()) == "180"
    assert powercom.POWERCOM_STARTUP_INFO.to_nut(0x0001, ctx()) == str(60 * 0x0100)
    # seconds → whole minutes, swapped: 300 s = 5 min = 0x0500
    assert powercom.POWERCOM_STARTUP_INFO.to_hid("300", ctx()) == 0x0500
    # no value: the ondelay option, then ups.delay.start, then 2 minutes
    assert powercom.POWERCOM_STARTUP_INFO.to_hid("", ctx({"ondelay": "600"})) == 0x0A00
    assert powercom.POWERCOM_STARTUP_INFO.to_hid("", ctx(None, **{"ups.delay.start": "60"})) \
        == 0x0100
    assert powercom.POWERCOM_STARTUP_INFO.to_hid("", ctx()) == 0x0200
    # discrete-delay firmwares take plain minutes
    assert powercom.POWERCOM_STARTUP_INFO.to_hid("300", ctx(DISCRETE)) == 5
    assert powercom.POWERCOM_STARTUP_INFO.to_hid("-60", ctx()) is None


def test_shutdown_delay_both_byte_orders() -> None:
    # (minutes << 8) + seconds, | 0x40 to restart on power return
    assert powercom.POWERCOM_SHUTDOWN_INFO.to_hid("90", ctx()) == (1 << 8) + 30 | 0x0040
    assert powercom.POWERCOM_SHUTDOWN_INFO.to_nut((1 << 8) + 30, ctx()) == "90"
    # legacy order: (seconds << 8) + minutes, | 0x4000
    assert powercom.POWERCOM_SHUTDOWN_INFO.to_hid("90", ctx(FALLBACK)) \
        == (30 << 8) + 1 | 0x4000
    assert powercom.POWERCOM_SHUTDOWN_INFO.to_nut((30 << 8) + 1, ctx(FALLBACK)) == "90"
    # 0 seconds would be the maximum delay on the device: NUT sends 1 s instead
    assert powercom.POWERCOM_SHUTDOWN_INFO.to_hid("0", ctx()) == 1 | 0x0040
    # default from offdelay, then 60 s
    assert powercom.POWERCOM_SHUTDOWN_INFO.to_hid("", ctx({"offdelay": "20"})) == 20 | 0x40
    assert powercom.POWERCOM_SHUTDOWN_INFO.to_hid("", ctx()) == (1 << 8) | 0x40
    assert powercom.POWERCOM_SHUTDOWN_INFO.to_hid("70000", ctx()) is None


def test_stayoff_flags() -> None:
    assert powercom.POWERCOM_STAYOFF_INFO.to_hid("90", ctx()) == (1 << 8) + 30 | 0x0080
    assert powercom.POWERCOM_STAYOFF_INFO.to_hid("90", ctx(FALLBACK)) \
        == (30 << 8) + 1 | 0x8000
    assert powercom.POWERCOM_STAYOFF_INFO.to_nut(123, ctx()) is None


@pytest.mark.parametrize(("seconds", "index"), [
    (1, 1), (12, 1), (13, 2), (54, 8), (55, 9), (60, 9), (61, 10), (120, 10),
    (540, 17), (541, 18), (3600, 18),
])
def test_discrete_shutdown_index(seconds: int, index: int) -> None:
    assert powercom.POWERCOM_SHUTDOWN_INFO.to_hid(str(seconds), ctx(DISCRETE)) == index


def status(conv: powercom.Convert, word: int) -> str | None:
    text: str | None = conv.to_nut(float(word), ctx())
    return text


def test_internal_charge_controller_bits() -> None:
    word = 0x17  # fault, battery bad, test running, pre-shutdown count
    assert status(powercom.POWERCOM_UPSFAIL_CONVERSION, word) == "fanfail"
    assert status(powercom.POWERCOM_REPLACEBATT_CONVERSION, word) == "replacebatt"
    assert status(powercom.POWERCOM_TEST_CONVERSION, word) == "cal"
    assert status(powercom.POWERCOM_SHUTDOWNIMM_CONVERSION, word) == "shutdownimm"
    assert status(powercom.POWERCOM_TEST_CONVERSION, 0x08) == "!cal"


def test_primary_battery_support_bits() -> None:
    assert status(powercom.POWERCOM_ONLINE_CONVERSION, 0x01) == "!online"
    assert status(powercom.POWERCOM_ONLINE_CONVERSION, 0x00) == "online"
    assert status(powercom.POWERCOM_LOWBATT_CONVERSION, 0x02) == "lowbatt"
    # bits 3-4: 01 = buck (trim), 11 = boost, 10 = neither
    assert status(powercom.POWERCOM_TRIM_CONVERSION, 0x08) == "trim"
    assert status(powercom.POWERCOM_BOOST_CONVERSION, 0x08) == "!boost"
    assert status(powercom.POWERCOM_TRIM_CONVERSION, 0x18) == "!trim"
    assert status(powercom.POWERCOM_BOOST_CONVERSION, 0x18) == "boost"
    assert status(powercom.POWERCOM_TRIM_CONVERSION, 0x10) == "!trim"
    assert status(powercom.POWERCOM_OVERLOAD_CONVERSION, 0x20) == "overload"


def test_vendor_tree_voltage_in_units_of_four() -> None:
    assert powercom.POWERCOM_VOLTAGE_CONVERSION.to_nut(57.0, ctx()) == "228"


def test_battery_voltage_from_report_a4() -> None:
    report = bytes([0xA4]) + b" 13.7 2"
    raw = FakeContext(BNT, reports={0xA4: report})
    assert powercom.POWERCOM_HACK_VOLTAGE_LKP.to_nut(1.0, raw) == "13.7"
    junk = FakeContext(BNT, reports={0xA4: bytes([0xA4]) + b"  137 2"})
    assert powercom.POWERCOM_HACK_VOLTAGE_LKP.to_nut(1.0, junk) is None
    assert powercom.POWERCOM_HACK_VOLTAGE_LKP.to_nut(1.0, ctx()) is None


def test_bnt_800ap_resolves_the_delay_rows() -> None:
    """On the BNT-800AP descriptor, the PowerSummary delay rows (and so the shutdown
    commands using the encodings above) resolve."""
    desc = descriptor_of(shared_capture("powercom-bnt-800ap-nut1695.json"))
    table = powercom.USAGES.chained(NUT_STANDARD)
    for path in ("UPS.PowerSummary.DelayBeforeShutdown", "UPS.PowerSummary.DelayBeforeStartup"):
        assert find_field(desc, parse_path(path, table), ReportType.FEATURE) is not None
    commands = {row.name for row in powercom.HID2NUT
                if row.is_command and row.path == "UPS.PowerSummary.DelayBeforeShutdown"}
    assert commands == {"shutdown.return", "shutdown.stayoff"}
