"""The vendor subdrivers of issue 7, checked against NUT's own facts.

* on every real descriptor of these vendors, our parsed fields printed with the
  vendor's usage names equal the ``Path:`` lines NUT printed for the same device,
  and a row resolves exactly when NUT's path list has a matching element;
* claims and per-vendor option tweaks (table sizes and row paths: test_subdrivers_tables);
* the small conversion functions against the values NUT's C code computes.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

import pytest
from shared_captures import shared_capture
from subdrivers_testlib import FakeContext, descriptor_of, device

from hidups.descriptor.model import ReportDescriptor, ReportType
from hidups.descriptor.paths import find_field, format_path, parse_path
from hidups.device import DeviceInfo
from hidups.hid2nut.subdriver import Subdriver
from hidups.usages import NUT_STANDARD, UsageTable

MODULES = ("cps", "tripplite", "powercom", "delta_ups", "ever", "idowell", "legrand",
           "liebert", "openups", "salicru", "arduino", "powervar", "ecoflow")


def subdriver(module: str) -> Subdriver:
    sub: Subdriver = importlib.import_module(f"hidups.subdrivers.{module}").SUBDRIVER
    return sub


def names(sub: Subdriver) -> UsageTable:
    """The vendor table chained to NUT's standard one, as the driver chains them."""
    return sub.usages.chained(NUT_STANDARD)


#: The shared fake hands out raw reports too (``ctx.report``), when a test gives them.
RawReportContext = FakeContext



# --- real descriptors -----------------------------------------------------------------

#: capture file → the module NUT's subdriver list picks for it.
CAPTURES = {
    "cyberpower-cp-1500c-nut2997.json": "cps",
    "cyberpower-cp1500avrlcda-nut439.json": "cps",
    "cyberpower-cp1500pfclcd-nut2642.json": "cps",
    "cyberpower-ec850lcd-ups2esp32.json": "cps",
    "cyberpower-ol1000exl-nut982.json": "cps",
    "cyberpower-pr3000elcdsl-nut3089.json": "cps",
    "cyberpower-st-series-nut2439.json": "cps",
    "cyberpower-vp1600elcd-nut3557.json": "cps",
    "powerwalker-vi-750-cps-oem-nut645.json": "cps",
    "tripplite-3016-nut414.json": "tripplite",
    "tripplite-4003-nut1268.json": "tripplite",
    "powercom-bnt-800ap-nut1695.json": "powercom",
    "goldenmate-lipo-075d-0300-nut3015.json": "idowell",
    "legrand-keor-pdu-800-nut1138.json": "legrand",
    "powerwalker-vi-1200-shl-nut1270.json": "liebert",
    "emulator-arduino-hidpowerdevice-abratchik.json": "arduino",
}


def capture_device(capture: Mapping[str, Any]) -> DeviceInfo:
    return DeviceInfo(int(capture["vendorid"], 16), int(capture["productid"], 16),
                      capture.get("manufacturer"), capture.get("product"))


def resolves(desc: ReportDescriptor, path: str, table: UsageTable) -> bool:
    """Whether a row's path finds a Feature element, or an Input one (interrupt data)."""
    nodes = parse_path(path, table)
    return (find_field(desc, nodes, ReportType.FEATURE) is not None
            or find_field(desc, nodes, ReportType.INPUT) is not None)


def test_captures_cover_the_claims() -> None:
    """Each capture's VID:PID is claimed by the module NUT would pick."""
    for name, module in CAPTURES.items():
        capture = shared_capture(name)
        claim = subdriver(module).claims(capture_device(capture), {})
        assert claim is not None, name


@pytest.mark.parametrize("name", sorted(CAPTURES))
def test_rows_resolve_on_real_descriptor(name: str) -> None:
    """The status and charge rows every UPS needs resolve on each real descriptor."""
    capture = shared_capture(name)
    sub = subdriver(CAPTURES[name])
    desc = descriptor_of(capture)
    table = names(sub)
    resolved = {row.name for row in sub.hid2nut
                if row.path and resolves(desc, row.path, table)}
    assert "BOOL" in resolved, name
    # every unit reports its charge, except the Legrand PDU (voltages only) and the
    # CPS ST series, which only describes its vendor pages
    if CAPTURES[name] not in ("legrand",) and "st-series" not in name:
        assert "battery.charge" in resolved, name


def _nut_paths(capture: Mapping[str, Any]) -> set[tuple[str, str]]:
    return {(p["path"], p["type"]) for p in capture["paths"]}


#: The captures that include NUT's ``Path:`` lines.
WITH_PATH_LINES = ("cyberpower-cp1500pfclcd-nut2642.json", "tripplite-3016-nut414.json",
                   "tripplite-4003-nut1268.json", "powercom-bnt-800ap-nut1695.json")


@pytest.mark.parametrize("name", WITH_PATH_LINES)
def test_paths_printed_as_nut_printed_them(name: str) -> None:
    """Our fields, named with the right usage table, are NUT's ``Path:`` lines.

    Logs from NUT's explore mode name only standard usages; logs from the vendor's own
    subdriver also use its vendor names (``TLCustom``, ``PowercomUPS``...).
    """
    capture = shared_capture(name)
    sub = subdriver(CAPTURES[name])
    desc = descriptor_of(capture)
    tokens = {t for p in capture["paths"] for t in p["path"].split(".")}
    explore = any(len(t) == 8 and all(c in "0123456789abcdef" for c in t)
                  and sub.usages.name(int(t, 16)) is not None for t in tokens)
    table = NUT_STANDARD if explore else names(sub)
    ours = {(format_path(f.path, table), f.report_type.nut_name) for f in desc.fields}
    assert _nut_paths(capture) <= ours


@pytest.mark.parametrize("name", WITH_PATH_LINES)
def test_rows_resolve_where_nut_found_the_element(name: str) -> None:
    """A row with a path NUT printed resolves here (NUT's log is the oracle)."""
    capture = shared_capture(name)
    sub = subdriver(CAPTURES[name])
    desc = descriptor_of(capture)
    table = names(sub)
    printed = {parse_path(path, table) for path, _ in _nut_paths(capture)}
    checked = 0
    for row in sub.hid2nut:
        assert row.path is not None
        nodes = parse_path(row.path, table)
        if any(p[: len(nodes)] == nodes for p in printed):
            assert resolves(desc, row.path, table), (name, row.path)
            checked += 1
    assert checked >= 5, name


# --- claims -----------------------------------------------------------------------------


def test_powercom_claims() -> None:
    sub = subdriver("powercom")
    claim = sub.claims(device(0x0D9F, 0x0001), {})
    assert claim is not None
    assert dict(claim.tweaks) == {"interruptonly": "", "interruptsize": "8"}
    assert sub.claims(device(0x0D9F, 0x0002), {"productid": "0002"}) is None
    assert sub.claims(device(0x0D9F, 0x0099), {}) is None
    assert sub.claims(device(0x0D9F, 0x0099), {"productid": "0099"}) is not None


def test_tripplite_claims() -> None:
    sub = subdriver("tripplite")
    claim = sub.claims(device(0x09AE, 0x1330), {})
    assert claim is not None and claim.tweaks == {"skip_report": "0x54"}
    assert sub.claims(device(0x09AE, 0x0001), {"productid": "0001"}) is None
    assert sub.claims(device(0x09AE, 0x5555), {}) is None
    assert sub.claims(device(0x09AE, 0x5555), {"productid": "5555"}) is not None
    assert sub.claims(device(0x03F0, 0x1FE3), {}) is not None
    assert sub.claims(device(0x03F0, 0x9999), {}) is None
    assert sub.claims(device(0x03F0, 0x9999), {"productid": "9999"}) is not None
    assert sub.claims(device(0x05DD, 0xA0A0), {}) is not None
    # a productid override on Delta's VID is not Tripp Lite's (delta_ups comes first)
    assert sub.claims(device(0x05DD, 0x1234), {"productid": "1234"}) is None


def test_idowell_claims_goldenmate_only_on_phoenixtec_vid() -> None:
    sub = subdriver("idowell")
    assert sub.claims(device(0x06DA, 0xFFFF, manufacturer="PPC", product="UPS"), {}) is None
    assert sub.claims(device(0x06DA, 0xFFFF, manufacturer="BMS"), {}) is not None
    assert sub.claims(device(0x06DA, 0xFFFF, product="LiFePO4 Smart-Battery"), {}) is not None
    assert subdriver("liebert").claims(device(0x06DA, 0xFFFF), {}) is not None


@pytest.mark.parametrize(("module", "vid", "pid", "tweaks"), [
    ("arduino", 0x2341, 0x8036,
     {"usb_hid_ep_in": "4", "usb_hid_ep_out": "5", "usb_hid_rep_index": "2"}),
    ("powervar", 0x4234, 0x0002, {"usb_hid_rep_index": "1"}),
    ("legrand", 0x1CB0, 0x0038, {"pollonly": ""}),
    ("legrand", 0x1CB0, 0x0032, {"pollonly": ""}),
    ("cps", 0x0764, 0x0501, {}),
])
def test_claim_tweaks(module: str, vid: int, pid: int, tweaks: dict[str, str]) -> None:
    claim = subdriver(module).claims(device(vid, pid), {})
    assert claim is not None and dict(claim.tweaks) == tweaks


def test_arduino_productid_claim_brings_the_endpoint_tweaks() -> None:
    claim = subdriver("arduino").claims(device(0x2341, 0x1234), {"productid": "1234"})
    assert claim is not None and claim.tweaks["usb_hid_rep_index"] == "2"


def test_cps_defaults() -> None:
    assert dict(subdriver("cps").defaults) == {"offdelay": "60", "ondelay": "120",
                                               "pollfreq": "12"}


# --- small conversions --------------------------------------------------------------------


def convert(module: str, lookup: str, value: float, ctx: FakeContext) -> str | None:
    conv = getattr(importlib.import_module(f"hidups.subdrivers.{module}"), lookup)
    result: str | None = conv.to_nut(value, ctx)
    return result


def test_delta_ups_type() -> None:
    ctx = FakeContext(device(0x05DD, 0x041B))
    # NUT: low nibble 6 → 4, 3..5 → minus 2, then online, offline, line-interactive,
    # 3-phase, split-phase; 7..15 → nothing
    expected = ["online", "offline", "line-interactive", "offline", "line-interactive",
                "3-phase", "split-phase", None, None]
    assert [convert("delta_ups", "DELTA_UPS_TYPE_INFO", v, ctx) for v in range(9)] == expected
    assert convert("delta_ups", "DELTA_UPS_TYPE_INFO", 0x12, ctx) == "line-interactive"


def test_delta_ups_model_from_string_index() -> None:
    sub = subdriver("delta_ups")
    dev = device(0x05DD, 0x041B, product="UPS")
    ctx = FakeContext(dev, values={"UPS.DeltaCustom.[1].DeltaModelName": 7.0},
                      strings={7: "RT-2K"})
    assert sub.format_model(dev, ctx) == "RT-2K"
    assert sub.format_model(dev, FakeContext(dev)) == "UPS"


def test_ever_formats() -> None:
    ctx = FakeContext(device(0x2E51, 0xFFFF))
    # NUT: "rev.%sv%02u" with letters "0", A..Z; "v%X.%Xb%02d"
    assert convert("ever", "EVER_FORMAT_HARDWARE", 0x0203, ctx) == "rev.Bv03"
    assert convert("ever", "EVER_FORMAT_HARDWARE", 0x0007, ctx) == "rev.0v07"
    assert convert("ever", "EVER_FORMAT_VERSION", 0x1A05, ctx) == "v1.Ab05"


def test_ever_whole_report_values() -> None:
    reports = {
        210: bytes([210, 0x00, 0x1B, 0x2C, 0xAA, 0xBB, 0x0F]),
        230: bytes([230, 192, 168, 1, 20]),
        215: bytes([215, 0x10, 0x27, 0, 0]),
        74: bytes([74, 8]),
        75: bytes([75, 0x44, 0x04]),  # BOOST, CHARGING, OVERHEAT (0x0400)
        76: bytes([76, 0x03, 0x01]),  # OVERLOAD, SHORT-CIRCUIT, CRITICAL_BATT_VOLTAGE
    }
    ctx = FakeContext(device(0x2E51, 0xFFFF), reports=reports)
    assert convert("ever", "EVER_MAC_ADDRESS", 0, ctx) == "00:1b:2c:aa:bb:0f"
    assert convert("ever", "EVER_IP_ADDRESS", 0, ctx) == "192.168.1.20"
    assert convert("ever", "EVER_PACKETS_SENT", 0, ctx) == "10000"
    assert convert("ever", "EVER_WORKMODE", 0, ctx) == "ONBATTERY"
    assert convert("ever", "EVER_ON_OFF_INFO", 0, ctx) == "!off"
    assert convert("ever", "EVER_MESSAGES", 0, ctx) == "BOOST CHARGING OVERHEAT"
    assert convert("ever", "EVER_ALARMS", 0, ctx) == "OVERLOAD SHORT-CIRCUIT CRITICAL_BATT_VOLTAGE"
    # without raw reports nothing is published (NUT would read stale buffers)
    assert convert("ever", "EVER_WORKMODE", 0, FakeContext(device(0x2E51, 0xFFFF))) is None


def test_openups_scales_per_pid() -> None:
    d004 = FakeContext(device(0x04D8, 0xD004))
    d005 = FakeContext(device(0x04D8, 0xD005))
    # NUT: 0.03545 * 100 and 0.8274 / 10 for d004, 0.1 for d005
    assert convert("openups", "OPENUPS_VIN_INFO", 1000, d004) == "%.2f" % (1000 * 3.545)
    assert convert("openups", "OPENUPS_CCHARGE_INFO", 100, d004) == "8.274"
    assert convert("openups", "OPENUPS_VOUT_INFO", 120, d005) == "12.00"
    assert convert("openups", "OPENUPS_CDISCHARGE_INFO", 15, d005) == "1.500"


def test_openups_thermistor() -> None:
    ctx = FakeContext(device(0x04D8, 0xD004))
    assert convert("openups", "OPENUPS_TEMPERATURE_INFO", 0.2, ctx) == "-40"
    assert convert("openups", "OPENUPS_TEMPERATURE_INFO", 12.0, ctx) == "125"
    # 0x200 = 512 is the 14th point: -40 + 13 * 5 = 25 C
    assert convert("openups", "OPENUPS_TEMPERATURE_INFO", 5.12, ctx) == "25"
    # between 0x200 (25 C) and 0x22f (30 C): reading int(535.49...) = 535
    assert convert("openups", "OPENUPS_TEMPERATURE_INFO", 5.355, ctx) == "%.2f" % (
        (535 - 0x200) * 5 / (0x22F - 0x200) + 25)


def test_ecoflow_runtime_minutes() -> None:
    ctx = FakeContext(device(0x3746, 0xFFFF))
    assert convert("ecoflow", "ECOFLOW_RUNTIME_CONVERSION_LKP", 12, ctx) == "720"
    assert convert("ecoflow", "ECOFLOW_RUNTIME_CONVERSION_LKP", -1, ctx) is None


def test_legrand_decades() -> None:
    ctx = FakeContext(device(0x1CB0, 0x0038))
    assert convert("legrand", "LEGRAND_TIMES10M_INFO", 2.3e-05, ctx) == "230.0"
    assert convert("legrand", "LEGRAND_TIMES100K_INFO", 0.000272, ctx) == "27.2"


def test_ever_network_rows_bound_to_their_reports() -> None:
    """NUT's rotating counter gives, in table order, reports 211, 230, 231, 232 to the
    four IP rows and 215..218 to the packet rows; each of our rows names its report."""
    reports = {rid: bytes([rid, 10, 0, 0, rid - 200]) for rid in (211, 230, 231, 232)}
    reports.update({rid: bytes([rid, rid - 214, 0, 0, 0]) for rid in (215, 216, 217, 218)})
    ctx = FakeContext(device(0x2E51, 0xFFFF), reports=reports)
    sub = subdriver("ever")
    got = {row.name: row.lookup.to_nut(0, ctx) for row in sub.hid2nut
           if row.lookup is not None and row.name.startswith("experimental.networkcard.")
           and ("ip" in row.name or "mask" in row.name or "gateway" in row.name
                or "packets" in row.name)}
    assert got == {
        "experimental.networkcard.notification_destination_ip": "10.0.0.11",
        "experimental.networkcard.ip_address": "10.0.0.30",
        "experimental.networkcard.network_mask": "10.0.0.31",
        "experimental.networkcard.default_gateway": "10.0.0.32",
        "experimental.networkcard.send_packets": "1",
        "experimental.networkcard.received_packets": "2",
        "experimental.networkcard.send_packets_err": "3",
        "experimental.networkcard.received_packets_err": "4",
    }
