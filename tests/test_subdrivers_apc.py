"""APC subdriver: its table on real APC descriptors, its conversions against NUT's upsc
values, its claim tweaks and the Back-UPS XS 1400U descriptor fix-up."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import require_shared
from hidups.subdrivers import apc
from shared_captures import shared_capture
from subdrivers_testlib import (
    FakeContext,
    captures_of,
    descriptor_of,
    device_of,
    first_row,
    path_value,
    resolve,
    resolving_names,
    upsc_from_rows,
)

from hidups import codec
from hidups.device import DeviceInfo
from hidups.driver.status import lbrb_default_delay
from hidups.hid2nut.lookups import DATE_CONVERSION

SUB = apc.SUBDRIVER
APC_CAPTURES = captures_of("051d")




@pytest.mark.parametrize("path", APC_CAPTURES, ids=lambda p: p.stem)
def test_upsc_variables_have_a_resolving_row(path: Path) -> None:
    """Every variable NUT published from the table has a row that binds on this device."""
    require_shared()
    data = shared_capture(path.name)
    desc = descriptor_of(data)
    names = resolving_names(SUB, desc)
    assert {"battery.charge", "battery.runtime", "BOOL"} <= names
    expected = upsc_from_rows(data)
    expected.pop("ups.firmware", None)  # from the product string, checked below
    expected.pop("ups.firmware.aux", None)
    missing = sorted(set(expected) - names)
    assert not missing, f"NUT published {missing}, no row resolves"


def test_apc_battery_dates_match_upsc() -> None:
    """0xMMDDYY dates: the ES 850G2's battery.date and the Back-UPS 500's battery.mfr.date."""
    require_shared()
    es = shared_capture("apc-back-ups-es-850g2-nut1304.json")
    desc = descriptor_of(es)
    row, _ = first_row(SUB, desc, "battery.date")
    raw = path_value(es, "UPS.Battery.APCBattReplaceDate")
    assert row.lookup is apc.APC_DATE_CONVERSION
    assert row.lookup.to_nut(raw, FakeContext()) == es["upsc"]["battery.date"] == "2001/09/25"
    # battery.mfr.date comes from the standard PDC date first, as in NUT
    row, _ = first_row(SUB, desc, "battery.mfr.date")
    assert row.lookup is DATE_CONVERSION
    raw = path_value(es, "UPS.Battery.ManufacturerDate")
    assert row.lookup.to_nut(raw, FakeContext()) == es["upsc"]["battery.mfr.date"]

    cs = shared_capture("apc-back-ups-cs500-nutddl.json")
    raw = path_value(cs, "UPS.PowerSummary.ff860016")  # APCBattReplaceDate, unnamed in NUT dumps
    row, _ = first_row(SUB, descriptor_of(cs), "battery.mfr.date")
    assert row.path == "UPS.PowerSummary.APCBattReplaceDate"
    assert row.lookup is not None
    assert row.lookup.to_nut(raw, FakeContext()) == cs["upsc"]["battery.mfr.date"]


@pytest.mark.parametrize("packed", [0x092501, 0x070304, 0x102202, 0x123199, 0x010170])
def test_apc_date_round_trips(packed: int) -> None:
    ctx = FakeContext()
    text = apc.apc_date_to_nut(packed, ctx)
    assert text is not None
    assert apc.apc_date_to_hid(text, ctx) == packed


def test_apc_date_edges() -> None:
    ctx = FakeContext()
    assert apc.apc_date_to_nut(0, ctx) == "not set"
    assert apc.apc_date_to_nut(0x102270, ctx) == "1970/10/22"
    assert apc.apc_date_to_nut(0x102269, ctx) == "2069/10/22"
    assert apc.apc_date_to_hid("2070/01/01", ctx) is None
    assert apc.apc_date_to_hid("2020/13/01", ctx) is None
    assert apc.apc_date_to_hid("yesterday", ctx) is None


@pytest.mark.parametrize(
    ("product", "model", "firmware", "aux"),
    [
        # Back-UPS 500 (nut-ddl upsc): spaces around the versions are kept, as NUT does
        ("Back-UPS 500 FW: 6.5.I USB FW: c1 ", "Back-UPS 500", " 6.5.I", " c1 "),
        # Smart-UPS X 750 (nut-ddl upsc): two spaces before FW: leave one on the model
        ("Smart-UPS X 750  FW:COM 03.8 / UPS 03.8", "Smart-UPS X 750 ", "COM 03.8 / UPS 03.8",
         None),
        ("BK650M2-CH", "BK650M2-CH", None, None),
    ],
)
def test_product_split_matches_upsc(product: str, model: str, firmware: str | None,
                                    aux: str | None) -> None:
    assert apc.split_product(product) == (model, firmware, aux)


def test_product_split_on_the_capture_products() -> None:
    """The captured product strings give NUT's ups.model, ups.firmware and ups.firmware.aux."""
    require_shared()
    for name in ("apc-back-ups-cs500-nutddl.json", "apc-smart-ups-x750-nutddl.json",
                 "apc-bk650m2-ch-nutddl.json"):
        data = shared_capture(name)
        ctx = FakeContext()
        model = apc.apc_format_model(device_of(data), ctx)
        upsc = data["upsc"]
        assert model == upsc["ups.model"], name
        published = dict(ctx.published)
        assert len(published) == len(ctx.published), ctx.published  # each published once
        assert published.get("ups.firmware") == upsc.get("ups.firmware"), name
        # the capture's product string lost the trailing space NUT's value still shows
        aux = upsc.get("ups.firmware.aux")
        assert published.get("ups.firmware.aux") == (aux.rstrip() if aux else aux), name
        assert apc.apc_format_mfr(device_of(data), ctx) == upsc["ups.mfr"]
    # ES 850G2: upsc ups.firmware "938.a2 .I", aux "a2" from "<model> FW:938.a2 .I USB FW:a2"
    es = shared_capture("apc-back-ups-es-850g2-nut1304.json")
    product = f"{es['upsc']['device.model']} FW:{es['firmware']}"
    assert apc.split_product(product) == (
        es["upsc"]["device.model"], es["upsc"]["ups.firmware"], es["upsc"]["ups.firmware.aux"])


def test_format_mfr_defaults_to_apc() -> None:
    assert apc.apc_format_mfr(DeviceInfo(0x051D, 2), FakeContext()) == "APC"


def test_line_fail_cause_sets_and_clears_both_bits() -> None:
    ctx = FakeContext()
    vrange, frange = apc.APC_LINEFAILCAUSE_VRANGE_INFO, apc.APC_LINEFAILCAUSE_FRANGE_INFO
    assert [vrange.to_nut(v, ctx) for v in (1, 2, 4, 8, 9, 0, 7)] == [
        "vrange", "vrange", "vrange", "vrange", "vrange", "!vrange", None]
    assert [frange.to_nut(v, ctx) for v in (7, 0, 1)] == ["frange", "!frange", None]
    assert [apc.APCSTATUSFLAG_INFO.to_nut(v, ctx) for v in (8, 16, 0, 3)] == [
        "!off", "!off", "off", None]
    assert apc.APC_SENSITIVITY_INFO.to_hid("medium", ctx) == 1


def test_claims_and_tweaks() -> None:
    def claim(pid: int, product: str | None = None, mfr: str | None = "APC",
              options: dict[str, str] | None = None) -> dict[str, str] | None:
        found = SUB.claims(DeviceInfo(0x051D, pid, mfr, product), options or {})
        return None if found is None else dict(found.tweaks)

    assert claim(0x0003) == {"pollonly": ""}
    assert claim(0x0004) == {"pollonly": ""}
    assert claim(0x0000) == {}
    assert claim(0x0005) == {}
    assert claim(0x0002, "Back-UPS CS 650 FW:817.v4.I USB FW:v4") == {"maxreport": ""}
    assert claim(0x0002, "Back-UPS ES 525") == {"maxreport": ""}
    assert claim(0x0002, "Back-UPS ES 700") == {}
    assert claim(0x0099) is None
    assert claim(0x0099, options={"productid": "0099"}) == {}
    assert SUB.claims(DeviceInfo(0x0764, 0x0501), {}) is None


@pytest.mark.parametrize(
    ("mfr", "product", "delayed"),
    [
        ("American Power Conversion", "BK650M2-CH", True),  # the ddl capture's product
        ("American Power Conversion", "Back-UPS BK650M2-CH", True),
        ("APC", "Back-UPS BK650M2_CH", True),
        ("APC", "Back-UPS BX1600MI", True),
        ("APC", "BX1600MI", True),
        ("APC", "Back-UPS BVK750M2", True),
        ("APC", "Back-UPS ES 850G2", False),
        ("Schneider", "Back-UPS BX1600MI", False),
    ],
)
def test_lbrb_log_delay_default(mfr: str, product: str, delayed: bool) -> None:
    """NUT (after 2.8.0) defaults lbrb_log_delay_sec=3 for these Back-UPS models, in the
    driver core (one rule: hidups.driver.status), not as an APC claim tweak."""
    device = DeviceInfo(0x051D, 0x0002, mfr, product)
    assert lbrb_default_delay(device) == (3 if delayed else 0)
    claim = SUB.claims(device, {})
    assert claim is not None
    assert "lbrb_log_delay_sec" not in claim.tweaks


XS_1400U = "apc-back-ups-xs-1400u-nut1189.json"


def test_xs1400u_fixup_widens_voltage_limits() -> None:
    """The fix-up NUT applies for issue 1189, on the descriptor it was written for."""
    require_shared()
    data = shared_capture(XS_1400U)
    desc = descriptor_of(data)
    device = device_of(data)
    voltage = resolve(SUB, desc, "UPS.Input.Voltage")
    config = resolve(SUB, desc, "UPS.Input.ConfigVoltage")
    hvt = resolve(SUB, desc, "UPS.Input.HighVoltageTransfer")
    assert voltage is not None and config is not None and hvt is not None
    assert (voltage.report_id, config.report_id, hvt.report_id) == (0x31, 0x30, 0x33)
    assert (voltage.logical_min, voltage.logical_max) == (75, 140)
    assert (config.logical_min, config.logical_max) == (75, 140)
    assert hvt.logical_max == 280
    reading = bytes([0x31, 232, 0])  # 232 V on the wire
    assert codec.read_value(voltage, reading) == 140  # clipped by the wrong maximum

    lines = apc.apc_fix_report_desc(device, desc, {})

    assert len(lines) == 2
    assert (voltage.logical_min, voltage.logical_max) == (0, 560)
    assert (config.logical_min, config.logical_max) == (75, 255)
    assert codec.read_value(voltage, reading) == 232
    assert codec.read_value(config, bytes([0x30, 230])) == 230
    assert apc.apc_fix_report_desc(device, desc, {}) == []  # idempotent


def test_xs1400u_fixup_respects_option_and_ids() -> None:
    require_shared()
    data = shared_capture(XS_1400U)
    for device, options in (
        (device_of(data), {"disable_fix_report_desc": ""}),
        (DeviceInfo(0x051D, 0x0003), {}),
        (DeviceInfo(0x0764, 0x0002), {}),
    ):
        desc = descriptor_of(data)
        assert apc.apc_fix_report_desc(device, desc, options) == []
        voltage = resolve(SUB, desc, "UPS.Input.Voltage")
        assert voltage is not None and voltage.logical_max == 140


def test_fixup_follows_nuts_rule_on_every_apc_descriptor() -> None:
    """Voltage is widened only when HighVoltageTransfer's maximum exceeds its own."""
    require_shared()
    touched = []
    for path in APC_CAPTURES:
        desc = descriptor_of(shared_capture(path.name))
        hvt = apc.find_by_report_and_usage(desc, 0x33, apc.USAGE_HIGH_VOLTAGE_TRANSFER)
        voltage = apc.find_by_report_and_usage(desc, 0x31, apc.USAGE_VOLTAGE)
        before = None if voltage is None else voltage.logical_max
        lines = apc.apc_fix_report_desc(DeviceInfo(0x051D, 0x0002), desc, {})
        if hvt is None or voltage is None or before is None or hvt.logical_max <= before:
            assert not any("0x31" in line for line in lines), path.name
        else:
            assert voltage.logical_max == 2 * hvt.logical_max, path.name
            touched.append(path.stem)
    assert "apc-back-ups-xs-1400u-nut1189" in touched
