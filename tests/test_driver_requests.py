"""What subdrivers ask of the engine, on real captures: subdriver selection with the
descriptor (generic fallback), ``ctx.state`` requests and status bits, ENUM values
the conversion accepts, ``skip_report``, whole reports through ``ctx.report`` and
commands whose value the conversion works out."""

from __future__ import annotations

import dataclasses
from typing import Any

from driver_fakes import CaptureDevice, HidDriver, MemoryStore, Plug, hid_driver, live
from hidups.subdrivers.apc import SUBDRIVER as APC
from hidups.subdrivers.mge import SUBDRIVER as MGE
from hidups.subdrivers.powercom import SUBDRIVER as POWERCOM
from hidups.subdrivers.tripplite import SUBDRIVER as TRIPPLITE
from shared_captures import shared_capture

from hidups.device import DeviceInfo
from hidups.driver.commands import HANDLED
from hidups.hid.protocol import default_selector as select_subdriver
from hidups.hid2nut.subdriver import Claim, Subdriver
from hidups.hid2nut.table import BOOL, QUICK, RW, STRING, Context, Convert, Row

CS500 = "apc-back-ups-cs500-nutddl.json"
EATON = "eaton-3s-700-nut2887.json"
POWERCOM_CAPTURE = "powercom-bnt-800ap-nut1695.json"
TRIPPLITE_CAPTURE = "tripplite-4003-nut1268.json"
UNKNOWN_PDC = "unknown-5131-2007-nut3227.json"


def engine_on(capture: str | CaptureDevice, sub: Subdriver | None = None,
              options: dict[str, str] | None = None
              ) -> tuple[HidDriver, CaptureDevice, MemoryStore]:
    """An engine on a capture; without ``sub`` the real registry picks the subdriver."""
    dev = capture if isinstance(capture, CaptureDevice) else CaptureDevice(shared_capture(capture))
    store = MemoryStore()
    selector = select_subdriver if sub is None else (lambda d, o, r: sub)
    engine = hid_driver(options or {}, store, Plug(dev), selector)  # type: ignore[arg-type]
    return engine, dev, store


def with_product(capture: str, product_id: int) -> CaptureDevice:
    dev = CaptureDevice(shared_capture(capture))
    dev.info = dataclasses.replace(dev.info, product_id=product_id)
    return dev


# --- selection with the descriptor -------------------------------------------------------


def test_unclaimed_power_device_gets_the_generic_table() -> None:
    engine, _, store = engine_on(UNKNOWN_PDC)
    engine.start()
    engine.update()
    assert store.get("driver.version.data") == "Generic HID 0.1"
    assert store.get("ups.vendorid") == "5131"


def test_apc_with_an_unknown_product_id_falls_back_to_generic() -> None:
    engine, _, store = engine_on(with_product(CS500, 0x7777))
    engine.start()
    engine.update()
    assert live(engine).subdriver is not None and live(engine).subdriver.name == "Generic HID"
    # The standard paths still give NUT's values for this unit.
    nut = shared_capture(CS500)["upsc"]
    assert store.get("battery.charge") == nut["battery.charge"]


# --- conversion effects and status bits ------------------------------------------------


def requesting(value: float, ctx: Context) -> str | None:
    """Asks for every effect the session carries out after a walk."""
    ctx.publish("ups.test.published", "yes")
    ctx.delete("ups.test.doomed")
    ctx.request_write("battery.charge.low", "15")
    ctx.buzzmode("vendor:test:ECO")
    return None


SEEN_BITS: list[set[str]] = []


def recording_bits(value: float, ctx: Context) -> str | None:
    SEEN_BITS.append(set(ctx.status_bits))
    return None


def apc_plus(*rows: Row) -> Subdriver:
    extended: Subdriver = dataclasses.replace(APC, hid2nut=(*APC.hid2nut, *rows))
    return extended


def test_conversion_requests_are_carried_out_after_the_walk() -> None:
    sub = apc_plus(Row("ups.test", "UPS.PowerSummary.RemainingCapacity", None, QUICK,
                       Convert("requesting", requesting)))
    engine, dev, store = engine_on(CS500, sub)
    store.set("ups.test.doomed", "x")
    engine.start()
    engine.update()
    assert store.get("ups.test.published") == "yes"
    assert store.get("ups.test.doomed") is None
    assert store.get("experimental.ups.mode.buzzwords") == "vendor:test:ECO"
    # the write went to the device through the command path (SET_REPORT, read back)
    assert dev.sets, "setvar request was not written"
    assert store.get("battery.charge.low") == "15"


def test_apc_firmware_from_the_model_hook_is_published_as_nut_does() -> None:
    strings = {1: shared_capture(CS500)["product"]} if shared_capture(CS500).get("product") else {}
    dev = CaptureDevice(shared_capture(CS500), strings=strings)
    engine, _, store = engine_on(dev, APC)
    engine.start()
    nut = shared_capture(CS500)["upsc"]
    assert store.get("ups.firmware") == nut["ups.firmware"]
    assert store.get("ups.model") == nut["ups.model"]


def test_status_bits_so_far_are_visible_to_later_rows() -> None:
    SEEN_BITS.clear()
    sub = apc_plus(Row(BOOL, "UPS.PowerSummary.ACPresent", None, QUICK,
                       Convert("recording", recording_bits)))
    engine, _, store = engine_on(CS500, sub)
    engine.start()
    engine.update()
    assert SEEN_BITS
    # the capture is on mains: the ACPresent row earlier in APC's table set "online"
    assert "online" in SEEN_BITS[-1]
    assert "OL" in (store.get("ups.status") or "").split()
    assert SEEN_BITS[-1] == live(engine).bits.bits


def test_mge_converter_row_sees_the_status_bits() -> None:
    engine, _, store = engine_on(EATON, MGE)
    engine.start()
    engine.update()
    ctx = live(engine).ctx
    assert ctx is not None
    bits = ctx.status_bits
    assert bits == live(engine).bits.bits
    # the converter row said "online" (the output is on: no "off" bit)
    assert "off" not in bits and "online" in bits
    assert (store.get("ups.status") or "").split()[0] == "OL"


# --- ENUM rows -------------------------------------------------------------------------


def test_enum_lists_only_the_values_the_conversion_accepts() -> None:
    engine, _, store = engine_on(EATON, MGE)
    engine.start()
    nominal = store.get("output.voltage.nominal")
    # NUT's own dump of this unit read 230 there
    nut_line = "Path: UPS.Flow.[4].ConfigVoltage, Type: Feature, ReportID: 0x12, Offset: 0, " \
               "Size: 8, Value: 230"
    assert nut_line in shared_capture(EATON)["path_lines"]
    assert nominal == "230"
    choices = store.enums["output.voltage.nominal"]
    assert nominal in choices
    # a 230 V model cannot be set to the low-voltage settings (NUT's mge-hid refuses them)
    assert not {"100", "110", "120", "127"} & set(choices)


# --- skip_report -------------------------------------------------------------------------


def test_tripplite_1330_never_asks_for_report_0x54() -> None:
    dev = with_product(TRIPPLITE_CAPTURE, 0x1330)
    assert 0x54 in dev.reports
    engine, _, _ = engine_on(dev)
    engine.start()
    engine.update()
    engine.data_changed = True
    engine.update()
    assert live(engine).subdriver is not None and live(engine).subdriver.name == TRIPPLITE.name
    assert 0x54 not in dev.gets
    assert sum(dev.gets.values()) > 0


def test_other_tripplite_units_read_report_0x54() -> None:
    engine, dev, _ = engine_on(TRIPPLITE_CAPTURE)
    engine.start()
    assert dev.gets[0x54] >= 1


def test_skip_report_comes_from_the_claim_tweak() -> None:
    def claim(sub: Subdriver, device: DeviceInfo, options: Any) -> Claim | None:
        return Claim(tweaks={"skip_report": "0x54, 0x22"})

    sub = dataclasses.replace(TRIPPLITE, claim=claim)
    engine, dev, _ = engine_on(TRIPPLITE_CAPTURE, sub)
    engine.start()
    engine.data_changed = True
    engine.update()
    assert not {0x54, 0x22} & set(dev.gets)
    # a conversion asking for the whole report is refused as well
    ctx = live(engine).ctx
    assert ctx is not None and ctx.report(0x54) is None
    assert 0x54 not in dev.gets


# --- whole reports, commands without a default value ---------------------------------------


def test_powercom_battery_voltage_comes_from_the_text_report() -> None:
    engine, _, store = engine_on(POWERCOM_CAPTURE, POWERCOM)
    engine.start()
    engine.update()
    # The capture's notes quote the Megatec line the unit answers in reports 0xa0..:
    # battery voltage is its sixth field, 26.6 V.
    assert "26.6" in shared_capture(POWERCOM_CAPTURE)["notes"]
    assert store.get("battery.voltage") == "26.6"
    ctx = live(engine).ctx
    assert ctx is not None
    report = ctx.report(0xA4)
    assert report is not None and report[0] == 0xA4


def test_command_without_default_value_uses_its_conversion() -> None:
    engine, dev, store = engine_on(POWERCOM_CAPTURE, POWERCOM)
    engine.start()
    before = len(dev.sets)
    assert engine.commands.instcmd("shutdown.return", None) == HANDLED
    assert len(dev.sets) == before + 1
    # what was written decodes back to the configured delay (ups.delay.shutdown)
    binding = live(engine).find_row("shutdown.return")
    assert binding is not None and binding.row.lookup is not None
    from hidups import codec

    report_id, data = dev.sets[-1]
    assert report_id == binding.field.report_id
    written = float(codec.read_value(binding.field, data))
    word = int(written)  # (minutes << 8) + seconds, restart flag 0x40 in the low byte
    assert word & 0x40
    assert 60 * (word >> 8) + (word & 0x3F) == int(store.get("ups.delay.shutdown") or "0")


def test_rw_string_rows_still_refuse_unknown_commands() -> None:
    sub = apc_plus(Row("ups.test.rw", "UPS.PowerSummary.RemainingCapacity", "%.0f",
                       RW | STRING, length=3))
    engine, _, _ = engine_on(CS500, sub)
    engine.start()
    assert engine.commands.instcmd("ups.test.rw", None) != HANDLED
