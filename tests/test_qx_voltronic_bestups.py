"""hidups.qx's voltronic-qs(-hex) and bestups, and an upsemu device, against NUT's values.

Expected values come from NUT 2.8.0 and 2.8.5 run on upsemu with the same answers
(``run_nut.sh``, ``NUT_ROOT=<2.8.5 prefix>``), as each test says.
"""

from __future__ import annotations

import pytest
from conftest import UPSEMU_DIR, require_shared
from qx_testlib import QX, Device, S, replay, session_on
from shared_captures import shared_capture

from hidups.errors import ProtocolError
from hidups.qx import detect
from hidups.qx.replay import CaptureQuery, DeviceFileQuery

HEX_QS = (b"#\x6C\x01 \x35 \x6C\x01 \x35 \x03 \x51\x9A \x28\x02\x12\xD0 \xE6 \x1E \x09")


def test_voltronic_qs_hex_matches_nut_285() -> None:
    # NUT's TESTING answer on upsemu (cypress), NUT 2.8.5 dump and commands.
    device = Device({"M": b"P\r", "QS": HEX_QS + b"\r", "Q": None, "S.5R0003": b"N\r"},
                    default=None)
    session = session_on(device)
    assert session.protocol.name == "voltronic-qs-hex"
    session.init()
    values = session.walk(full=False).values
    assert {k: values[k] for k in ("battery.voltage", "input.voltage", "output.voltage",
                                   "output.frequency", "ups.firmware.aux", "ups.type",
                                   "ups.beeper.status")} == {
        "battery.voltage": "13.53", "input.voltage": "112.2", "output.voltage": "112.2",
        "output.frequency": "59.8", "ups.firmware.aux": "PM-P",
        "ups.type": "offline / line interactive", "ups.beeper.status": "enabled"}
    assert "ups.load" not in values  # 2.8.5 drops it (2.8.0 showed 3)
    assert "output.voltage.nominal" not in values  # P units: rating rows stay skipped
    device.sent.clear()
    assert session.instcmd("shutdown.return", None) is S.FAILED  # "N" = rejected
    assert session.instcmd("beeper.toggle", None) is S.FAILED  # silence
    assert session.instcmd("test.battery.start.quick", None) is S.INVALID
    assert device.sent == [b"S.5R0003\r", b"Q\r"]


def test_voltronic_qs_hex_t_units_have_ratings() -> None:
    device = Device({"M": b"T\r", "QS": HEX_QS + b" \xA3\r"}, default=None)
    session = session_on(device)
    session.init()
    result = session.walk(full=False)
    values = result.values
    assert values["ups.firmware.aux"] == "PM-T"
    assert values["output.frequency.nominal"] == "60.0"
    assert values["battery.voltage.nominal"] == "24.0"
    assert values["output.voltage.nominal"] == "230.0"
    assert values["battery.charge"] == "0"  # as NUT 2.8.5 after init: packs not applied yet
    assert "test.battery.start.quick" in result.commands


def test_voltronic_qs_hex_rejects_malformed_binary() -> None:
    for bad in (HEX_QS[:-2] + b"\r", b"(" + HEX_QS[1:] + b"\r", HEX_QS + b" \x01 \x02\r"):
        device = Device({"M": b"P\r", "QS": bad}, default=None)
        with pytest.raises(ProtocolError):
            detect(device, {"protocol": "voltronic-qs-hex"})


def test_voltronic_qs_synthetic_capture() -> None:
    # NUT 2.8.0 picks voltronic-qs too; values as its dump (battery.voltage text per 2.8.5).
    session = session_on(replay("synthetic-voltronic-qs-testing"))
    assert session.protocol.name == "voltronic-qs"
    session.init()
    values = session.walk(full=False).values
    assert values["ups.firmware.aux"] == "PM-V"
    assert values["output.voltage.nominal"] == "220"
    assert values["output.current.nominal"] == "3.0"
    assert values["output.frequency"] == "49.0"
    assert values["battery.charge"] == "100"
    assert values["ups.delay.shutdown"] == "30"
    assert session.setvar("ups.delay.shutdown", "600") is S.UNKNOWN  # 12..540 here


BESTUPS_NUT = {  # NUT 2.8.0 and 2.8.5, qx2ups --bridge ippon, -F with pollfreq=1
    "battery.charge": "36", "battery.runtime": "900", "battery.voltage.high": "27.6",
    "battery.voltage.low": "20.0", "device.mfr": "Best Power", "device.model": "Fortress",
    "input.transfer.boost.high": "109", "input.transfer.boost.low": "96",
    "input.transfer.high": "146", "input.transfer.low": "96", "input.transfer.trim.high": "146",
    "input.transfer.trim.low": "130", "input.voltage.nominal": "120",
    "output.voltage.nominal": "120", "ups.power.nominal": "750", "ups.type": "online",
}


def test_bestups_matches_nut() -> None:
    query = replay("synthetic-bestups-testing")
    options = {"pins_shutdown_mode": "2"}
    session = session_on(query, options)
    assert session.protocol.name == "bestups"
    init = session.init()
    assert b"SS2\r" in query.sent  # pins_shutdown_mode differs from SS?'s 0: sent at init
    assert "pins_shutdown_mode" not in init.values  # a ups.conf-only setting
    result = session.walk(full=True)
    assert {k: result.values.get(k) for k in BESTUPS_NUT} == BESTUPS_NUT
    assert result.status == ["OL", "BOOST"]
    assert "battery.packs" not in result.values  # only AX1 and Sola 620 report packs
    query.sent.clear()
    for name, param in (("shutdown.return", None), ("shutdown.stayoff", None),
                        ("test.battery.start", "240"), ("load.off", None)):
        assert session.instcmd(name, param) is S.FAILED  # the device echoes
    assert query.sent == [b"S.5R0003\r", b"S.5\r", b"T04\r", b"S00R0000\r"]


def test_bestups_id_is_refused_through_cypress_padding_as_in_nut() -> None:
    # cypress answers in 8-byte reports: ID's 26 bytes arrive as 32, outside 25..27,
    # so NUT falls back to a Q1-only claim (2.8.0: q1; 2.8.5: innovatae, tried before
    # q1, seen on upsemu); so does hidups with the same bytes.
    require_shared()
    path = QX / "synthetic-bestups-testing.json"
    query = CaptureQuery(shared_capture(path), path.name, chunk=8)
    assert detect(query, {}).name == "innovatae"


def test_bestups_patriot_pro_inverts_the_boost_bit_and_ax1_reports_packs() -> None:
    answers: dict[str, bytes | None] = {"Q1": b"(215.0 195.0 230.0 014 49.0 22.7 30.0 00000000\r",
               "ID": b"PRO,750,120,120,20.0,27.6\r", "M": b"4\r", "SS?": b"0\r"}
    session = session_on(Device(dict(answers), b""), {"protocol": "bestups"})
    session.init()
    assert session.walk(full=True).status == ["OL", "BOOST"]  # bit 0 means boost here
    assert "battery.runtime" not in session.walk(full=True).values  # PRO has no RT
    answers.update({"ID": b"AX1,750,230,230,20.0,27.6\r", "BP?": b"02\r", "RT": b"015\r"})
    device = Device(answers, b"")
    session = session_on(device, {"protocol": "bestups"})
    values = session.init().values
    assert values["battery.packs"] == "2"
    assert values["input.transfer.low"] == "188"  # E model table (nominal > 160), index 4
    assert session.init().rw["battery.packs"].range == [(0, 5)]
    device.sent.clear()
    assert session.setvar("battery.packs", "3") is S.HANDLED
    assert session.setvar("battery.packs", "6") is S.UNKNOWN
    assert device.sent == [b"BP3\r"]


MEGATEC_CYPRESS_NUT_285 = {  # NUT_VERSION=2.8.5 run_nut.sh devices/megatec-cypress.ups
    "battery.charge": "37", "battery.runtime": "NG", "battery.voltage": "22.7",
    "battery.voltage.high": "26.00", "battery.voltage.low": "20.80",
    "battery.voltage.nominal": "24.0", "device.mfr": "NOT_A_L", "device.model": "TESTI",
    "driver.version.data": "Megatec 0.09", "input.current.nominal": "0.0",
    "input.frequency": "49.0", "input.frequency.nominal": "50", "input.voltage": "215.0",
    "input.voltage.fault": "195.0", "input.voltage.nominal": "230", "output.voltage": "230.0",
    "ups.beeper.status": "disabled", "ups.delay.shutdown": "30", "ups.delay.start": "180",
    "ups.firmware": "TESTING", "ups.load": "14", "ups.serial": "IVE_UPS ",
    "ups.temperature": "30.0", "ups.type": "online",
}


def test_upsemu_megatec_device_matches_nut_285() -> None:
    # NUT 2.8.5 also shows device.serial (its core mirrors ups.serial there).
    require_shared()
    device = UPSEMU_DIR / "devices" / "megatec-cypress.ups"
    query = DeviceFileQuery(device.read_text(), device.name, chunk=8)
    session = session_on(query)
    session.init()
    result = session.walk(full=False)
    values = {k: v for k, v in result.values.items() if k != "driver.parameter.pollfreq"}
    assert values == MEGATEC_CYPRESS_NUT_285
    assert result.status == ["OL"]
    query.sent.clear()
    # The file answers S*, C, T* with silence: a read timeout, FAILED as in NUT.
    assert session.instcmd("shutdown.stop", None) is S.FAILED
    assert query.sent == [b"C\r"]
