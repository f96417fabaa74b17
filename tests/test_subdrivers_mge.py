"""Eaton/MGE subdriver: its table on real Eaton descriptors, model naming against NUT's
published ups.model values, ABM, ECO/bypass, and the other conversions with state."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from conftest import SHARED_CAPTURES, require_shared
from hidups.subdrivers import mge, mge_models
from shared_captures import shared_capture
from subdrivers_testlib import (
    FakeContext,
    captures_of,
    descriptor_of,
    device_of,
    first_row,
    path_value,
    resolving_names,
    upsc_from_rows,
)

from hidups.device import DeviceInfo

SUB = mge.SUBDRIVER
EATON_CAPTURES = captures_of("0463")



def test_model_name_count_matches_nut() -> None:
    """NUT 2.8.5 mge-hid.c names 133 models (the table rows: test_subdrivers_tables)."""
    assert len(mge_models.MODEL_NAMES) == 133


@pytest.mark.parametrize("path", EATON_CAPTURES, ids=lambda p: p.stem)
def test_upsc_variables_have_a_resolving_row(path: Path) -> None:
    require_shared()
    data = shared_capture(path.name)
    names = resolving_names(SUB, descriptor_of(data))
    assert {"battery.charge", "battery.runtime", "BOOL", "ups.load"} <= names
    missing = sorted(set(upsc_from_rows(data)) - names)
    assert not missing, f"NUT published {missing}, no row resolves"


def test_santak_values_through_the_conversions() -> None:
    """Values NUT published for the SANTAK TG-BOX 850 from rows with plain numbers."""
    require_shared()
    data = shared_capture("eaton-santak-tg-box-850-ludoux.json")
    desc = descriptor_of(data)
    row, found = first_row(SUB, desc, "ups.power.nominal")
    assert row.path == "UPS.Flow.[4].ConfigApparentPower"
    assert found.report_type.nut_name == "Feature"
    # ups.realpower has no ActivePower on this unit: NUT would estimate it (same path)
    row, _ = first_row(SUB, desc, "ups.realpower")
    assert row.lookup is mge.EATON_COMPUTE_REALPOWER_INFO
    upsc = data["upsc"]
    ctx = FakeContext(variables={"ups.load": upsc["ups.load"],
                                 "ups.power.nominal": upsc["ups.power.nominal"]})
    assert row.lookup.to_nut(850, ctx) == "%.0f" % round(28 * 0.01 * 850 * 0.80)


# --- model names ---------------------------------------------------------------------------


def test_dell_keeps_its_product_string() -> None:
    """Dell (047c) products are named already (upsc from NUT 2.7.4, MGE HID 1.39)."""
    require_shared()
    data = shared_capture(SHARED_CAPTURES / "upsc-only" /
                          "dell__ups-racktower-2700w-hv__2.7.4__01.json")
    device = DeviceInfo(0x047C, 0xFFFF, "DELL", data["product"])
    ctx = FakeContext(values={"UPS.PowerSummary.iModel": 5}, strings={5: "2700"})
    assert mge.mge_format_model(device, ctx) == data["upsc"]["ups.model"]
    assert "mge.type" not in ctx.state


def test_3s_700_model_from_config_apparent_power() -> None:
    """Eaton 3S 700 (nut#2887): no iModel string, so the VA rating names the model."""
    require_shared()
    data = shared_capture("eaton-3s-700-nut2887.json")
    va = path_value(data, "UPS.Flow.[4].ConfigApparentPower")
    assert va == 700
    index = path_value(data, "UPS.PowerSummary.iModel")
    ctx = FakeContext(values={"UPS.Flow.[4].ConfigApparentPower": va,
                              "UPS.PowerSummary.iModel": index})
    device = DeviceInfo(0x0463, 0xFFFF, "EATON", "3S")
    assert mge.mge_format_model(device, ctx) == "3S 700"
    assert ctx.state["mge.type"] == mge_models.MGE_3S


def test_names_nut_published_come_from_the_table() -> None:
    """Every nut-ddl Eaton/MGE ups.model that a named table row produces is produced
    for that row's (iProduct, iModel) by format_model, with its family recorded."""
    require_shared()
    by_name = {row.name: row for row in mge_models.MODEL_NAMES if row.name}
    checked = 0
    for path in sorted((SHARED_CAPTURES / "upsc-only").glob("*.json")):
        upsc = shared_capture(path).get("upsc") or {}
        if not upsc.get("driver.version.data", "").startswith("MGE HID"):
            continue
        row = by_name.get(upsc.get("ups.model", ""))
        if row is None:
            continue
        ctx = FakeContext(values={"UPS.PowerSummary.iModel": 3}, strings={3: row.model})
        device = DeviceInfo(0x0463, 0xFFFF, "EATON", row.product)
        assert mge.mge_format_model(device, ctx) == upsc["ups.model"], path.name
        assert ctx.state["mge.type"] == row.type
        checked += 1
    assert checked >= 5


@pytest.mark.parametrize(
    ("product", "model", "name", "kind"),
    [
        ("Protection Station", "650", "Protection Station 650", mge_models.MGE_PEGASUS),
        ("Evolution", "850", "Evolution 850", mge_models.MGE_EVOLUTION_850),
        ("Evolution", "3000XL", "Pulsar Evolution 3000 XL", mge_models.MGE_DEFAULT),
        ("Ellipse PRO", "1200 ", "Eaton 5S1200", mge_models.EATON_5P),
        ("Ellipse PRO", "1200", "Ellipse PRO 1200", None),  # the trailing space matters
        ("unknown", "2000", "9E2000i (presumed)", mge_models.EATON_9E),
        ("SANTAK TG-BOX", "850", "SANTAK TG-BOX 850", None),
    ],
)
def test_model_name_table(product: str, model: str, name: str, kind: int | None) -> None:
    assert mge_models.model_name(product, model) == (name, kind)


# --- ABM ------------------------------------------------------------------------------------


def test_abm_off_uses_present_status_bits() -> None:
    ctx = FakeContext(variables={"battery.charge": "80"})
    mge.EATON_ABM_ENABLED_INFO.to_nut(0, ctx)
    assert mge.EATON_CHARGING_INFO.to_nut(1, ctx) == "chrg"
    assert mge.EATON_DISCHARGING_INFO.to_nut(1, ctx) == "dischrg"
    assert mge.EATON_ABM_CHRG_DISCHRG_INFO.to_nut(1, ctx) is None
    assert mge.EATON_ABM_STATUS_INFO.to_nut(1, ctx) is None
    assert ctx.deleted == ["battery.charger.status"]
    ctx.variables["battery.charge"] = "100"  # master: no CHRG at full charge (5E floats)
    assert mge.EATON_CHARGING_INFO.to_nut(1, ctx) == "!chrg"


def test_abm_on_with_charger_mode_path() -> None:
    ctx = FakeContext()
    mge.EATON_ABM_ENABLED_INFO.to_nut(1, ctx)
    mge.EATON_ABM_PATH_MODE_INFO.to_nut(3, ctx)
    mge.EATON_ABM_PATH_STATUS_INFO.to_nut(2, ctx)  # too late: Mode was first
    assert ctx.state["mge.abm_path"] == mge.ABM_PATH_MODE
    assert mge.EATON_CHARGING_INFO.to_nut(1, ctx) == "!chrg"
    modes = {v: mge.EATON_ABM_STATUS_INFO.to_nut(v, ctx) for v in (1, 2, 3, 4, 5, 6)}
    assert modes == {1: "charging", 2: "discharging", 3: "floating", 4: "resting", 5: None,
                     6: "off"}
    flags = {v: mge.EATON_ABM_CHRG_DISCHRG_INFO.to_nut(v, ctx) for v in (1, 2, 3, 4, 6)}
    assert flags == {1: "chrg", 2: "dischrg", 3: "chrg", 4: None, 6: None}
    assert ctx.deleted == []  # battery.charger.status stays while ABM is on


def test_abm_on_with_charger_status_path() -> None:
    ctx = FakeContext()
    mge.EATON_ABM_ENABLED_INFO.to_nut(1, ctx)
    mge.EATON_ABM_PATH_STATUS_INFO.to_nut(1, ctx)
    assert [mge.EATON_ABM_STATUS_INFO.to_nut(v, ctx) for v in (1, 2, 3, 4, 6)] == [
        "charging", "floating", "resting", "discharging", "off"]
    assert [mge.EATON_ABM_CHRG_DISCHRG_INFO.to_nut(v, ctx) for v in (1, 2, 3, 4)] == [
        "chrg", "chrg", None, "dischrg"]
    mge.EATON_ABM_ENABLED_INFO.to_nut(0, ctx)  # ABM switched off: path forgotten
    mge.EATON_ABM_PATH_STATUS_INFO.to_nut(1, ctx)
    assert ctx.state["mge.abm_path"] == mge.ABM_PATH_UNKNOWN


def test_abm_rows_come_before_status_rows() -> None:
    names = [(r.name, r.path) for r in SUB.hid2nut]
    abm = names.index(("battery.charger.abm.status", "UPS.BatterySystem.Charger.ABMEnable"))
    first_bool = next(i for i, (n, _) in enumerate(names) if n == "BOOL")
    assert abm < first_bool


# --- family gating ----------------------------------------------------------------------------


def test_battery_voltage_only_for_some_families() -> None:
    ctx = FakeContext()
    assert mge.MGE_BATTERY_VOLTAGE.to_nut(27.4, ctx) is None  # default family
    ctx.state["mge.type"] = mge_models.EATON_5P
    assert mge.MGE_BATTERY_VOLTAGE.to_nut(27.4, ctx) == "27.4"
    ctx.state["mge.type"] = mge_models.MGE_EVOLUTION_650
    assert mge.MGE_BATTERY_VOLTAGE_NOMINAL.to_nut(24, ctx) == "12"


def test_nominal_output_voltage_choices() -> None:
    ctx = FakeContext()  # online model, first reading 230
    shown = [mge.NOMINAL_OUTPUT_VOLTAGE_INFO.to_nut(v, ctx) for v in (230, 208, 120)]
    assert shown == ["230", "208", None]
    offline = FakeContext(state={"mge.type": mge_models.MGE_DEFAULT_OFFLINE})
    shown = [mge.NOMINAL_OUTPUT_VOLTAGE_INFO.to_nut(v, offline) for v in (230, 208, 240)]
    assert shown == ["230", None, "240"]
    assert mge.NOMINAL_OUTPUT_VOLTAGE_INFO.to_hid("208", ctx) == 208
    assert mge.NOMINAL_OUTPUT_VOLTAGE_INFO.enum_values() == [
        "200", "208", "220", "230", "240", "100", "110", "120", "127"]


def test_eco_outlet_controls_only_on_pegasus_family() -> None:
    """Protection Station, Ellipse ECO and (by NUT's family test) every 3S."""
    pegasus = FakeContext(state={"mge.type": mge_models.MGE_PEGASUS})
    eu_3s = FakeContext(state={"mge.type": mge_models.MGE_3S, "mge.country": 0})
    us_3s = FakeContext(state={"mge.type": mge_models.MGE_3S, "mge.country": 1})
    other = FakeContext()
    assert mge.PEGASUS_THRESHOLD_INFO.to_nut(25, pegasus) == "25"
    assert mge.PEGASUS_THRESHOLD_INFO.to_nut(25, eu_3s) == "25"
    assert mge.PEGASUS_YES_NO_INFO.to_nut(1, us_3s) == "yes"
    assert mge.PEGASUS_YES_NO_INFO.to_nut(1, other) is None
    assert mge.PEGASUS_YES_NO_INFO.to_hid("yes", pegasus) == 1
    assert mge.PEGASUS_YES_NO_INFO.to_hid("yes", other) == 0
    assert mge.EATON_CHECK_COUNTRY_INFO.to_nut(0, us_3s) is None
    assert us_3s.state["mge.country"] == 0


# --- other conversions -------------------------------------------------------------------------


def test_powerfactor_capacity_and_realpower() -> None:
    ctx = FakeContext(variables={"ups.load": "50", "ups.power.nominal": "1000",
                                 "output.powerfactor": "0.90"})
    assert mge.MGE_POWERFACTOR_CONVERSION.to_nut(90, ctx) == "0.90"
    assert mge.MGE_BATTERY_CAPACITY.to_nut(32400, ctx) == "9.00"
    assert mge.EATON_COMPUTE_REALPOWER_INFO.to_nut(1000, ctx) == "450"
    assert mge.EATON_COMPUTE_REALPOWER_INFO.to_nut(1000, FakeContext()) is None


def test_ups_date_and_time_round_trip() -> None:
    stamp = time.mktime((2024, 2, 29, 13, 45, 7, 0, 0, -1))
    ctx = FakeContext()
    date = mge.MGE_DATE_CONVERSION.to_nut(stamp, ctx)
    clock = mge.MGE_TIME_CONVERSION.to_nut(stamp, ctx)
    assert (date, clock) == ("2024/02/29", "13:45:07")
    ctx.variables.update({"ups.date": "2024/02/29", "ups.time": "13:45:07"})
    assert mge.MGE_DATE_CONVERSION.to_hid("2024/03/01", ctx) == stamp + 86400
    assert mge.MGE_TIME_CONVERSION.to_hid("13:45:08", ctx) == stamp + 1
    assert mge.MGE_TIME_CONVERSION.to_hid("noon", ctx) is None


def test_converter_online_waits_for_off() -> None:
    ctx = FakeContext()
    assert mge.EATON_CONVERTER_ONLINE_INFO.to_nut(1, ctx) == "online"
    assert mge.EATON_CONVERTER_ONLINE_INFO.to_nut(0, ctx) == "!online"
    ctx.bits.add("off")
    assert mge.EATON_CONVERTER_ONLINE_INFO.to_nut(1, ctx) is None


def test_eco_mode_checks_bypass_window() -> None:
    base = {"input.bypass.voltage": "230", "input.bypass.frequency": "50",
            "output.voltage.nominal": "230", "output.frequency.nominal": "50"}
    ctx = FakeContext(variables=dict(base))
    assert mge.EATON_INPUT_ECO_MODE_ON_OFF_INFO.to_nut(1, ctx) == "ECO"
    assert ctx.buzzwords == ["vendor:mge-hid:ECO"]
    assert ctx.published == [] and ctx.writes == []
    ctx = FakeContext(variables=dict(base, **{"input.bypass.voltage": "250"}))  # > +5 %
    assert mge.EATON_INPUT_ECO_MODE_ON_OFF_INFO.to_nut(1, ctx) is None
    # NUT's eaton_input_eco_mode_check_range: dstate_setinfo, then buzzmode_set normal
    assert ctx.published == [("input.eco.switchable", "normal")]
    assert ctx.buzzwords == ["vendor:mge-hid:normal"]
    ctx = FakeContext(variables=dict(base, **{"input.bypass.voltage": "250",
                                              "input.transfer.eco.low": "200",
                                              "input.transfer.eco.high": "260"}))
    assert mge.EATON_INPUT_ECO_MODE_ON_OFF_INFO.to_nut(1, ctx) == "ECO"
    assert mge.EATON_INPUT_ECO_MODE_ON_OFF_INFO.to_nut(2, ctx) == "ESS"
    assert mge.EATON_INPUT_ECO_MODE_ON_OFF_INFO.to_hid("vendor:mge-hid:ESS", ctx) == 2
    assert mge.EATON_INPUT_BYPASS_MODE_ON_INFO.to_nut(1, ctx) == "on"  # within -20 %/+15 %
    assert mge.EATON_INPUT_BYPASS_MODE_ON_INFO.to_nut(0, ctx) == "disabled"


def test_bypass_eco_command_requests_writes() -> None:
    ctx = FakeContext(variables={"input.bypass.switch.off": "disabled",
                                 "input.eco.switchable": "ECO"})
    assert mge.EATON_INPUT_ECO_MODE_AUTO_ON_OFF_INFO.to_hid("0", ctx) == 0
    assert ctx.writes == [("input.bypass.switch.off", "off"),
                          ("input.eco.switchable", "normal")]
    assert ctx.buzzwords == ["vendor:mge-hid:normal"]
    assert ctx.published == [] and ctx.deleted == []


# --- claim -------------------------------------------------------------------------------------


def test_claims() -> None:
    def claim(vid: int, pid: int, mfr: str | None = None, product: str | None = None,
              options: dict[str, str] | None = None, bcd: int = 0) -> dict[str, str] | None:
        found = SUB.claims(DeviceInfo(vid, pid, mfr, product, bcd_device=bcd), options or {})
        return None if found is None else dict(found.tweaks)

    assert claim(0x0463, 0xFFFF) == {}
    assert claim(0x0463, 0x0001) == {}
    assert claim(0x0463, 0xFFFF, bcd=0x0202) == {"usb_hid_desc_index": "1"}
    assert claim(0x047C, 0xFFFF) == {}
    assert claim(0x0592, 0x0004) == {}
    assert claim(0x03F0, 0x1FE7) == {}
    assert claim(0x03F0, 0x0001) is None  # an HP printer, say
    assert claim(0x03F0, 0x0001, options={"productid": "0001"}) == {}
    assert claim(0x06DA, 0xFFFF, "PPC", "Offline UPS") is None  # liebert's
    assert claim(0x06DA, 0xFFFF, "AEG Power Solutions", "PROTECT NAS") == {}
    assert claim(0x09D6, 0x0001, "KSTAR") == {}
    assert claim(0x09D6, 0x0001, "Berkeley Varitronics") is None
    assert claim(0x0463, 0x1234) is None
    assert claim(0x0463, 0x1234, options={"productid": "1234"}) == {}
    assert claim(0x051D, 0x0002) is None


@pytest.mark.parametrize("path", EATON_CAPTURES, ids=lambda p: p.stem)
def test_eaton_captures_are_claimed(path: Path) -> None:
    require_shared()
    assert SUB.claims(device_of(shared_capture(path.name)), {}) is not None
