"""hidups.qx's ``voltronic`` protocol on NUT's own answers (unit level).

Expected values are NUT 2.8.5's: its dump of the same answers on upsemu (the shared
synthetic capture and ``tests/data/qx/voltronic-*.ups``, made from NUT's
``voltronic_testing[]`` table), as ``test_qx_voltronic_nut.py`` checks live.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from qx_testlib import Device, S, replay, session_on

from hidups.errors import ProtocolError
from hidups.qx import QxSession, detect
from hidups.qx.engine import Engine
from hidups.qx.items import QxFlag
from hidups.qx.replay import DeviceFileQuery
from hidups.qx.settings import QxSettings
from hidups.qx.voltronic import VOLTRONIC, current, readings, table

DATA = Path(__file__).parent / "data" / "qx"
ONE_PHASE = DATA / "voltronic-cypress.ups"
THREE_PHASE = DATA / "voltronic-3phase-cypress.ups"
QGS = "(234.9 50.0 229.8 50.0 000.0 00A 369.1 ---.- 026.5 ---.- 018.8 "

#: NUT 2.8.5 (nutdrv_qx -d 1, protocol=voltronic) on the shared synthetic capture.
SYNTHETIC_NUT_285 = {
    "battery.charge": "68", "battery.energysave": "no", "battery.packs": "1",
    "battery.protection": "yes", "battery.runtime": "15300", "battery.voltage": "026.5",
    "battery.voltage.high": "26.00", "battery.voltage.low": "20.80",
    "battery.voltage.nominal": "24.0", "device.mfr": "VOLTRONIC", "device.model": "OLHVT1K0",
    "input.current.nominal": "0.0", "input.frequency": "50.0",
    "input.frequency.nominal": "50.0", "input.phases": "2", "input.transfer.high": "242",
    "input.transfer.high.max": "254", "input.transfer.high.min": "237",
    "input.transfer.low": "218", "input.transfer.low.max": "223",
    "input.transfer.low.min": "206", "input.voltage": "234.9",
    "input.voltage.nominal": "230.0", "outlet.0.switchable": "yes", "output.current": "0.0",
    "output.current.nominal": "4", "output.frequency": "50.0",
    "output.frequency.nominal": "50.0", "output.phases": "2", "output.powerfactor": "0.8",
    "output.voltage": "229.8", "output.voltage.nominal": "230.0",
    "ups.beeper.status": "enabled", "ups.delay.shutdown": "30", "ups.delay.start": "180",
    "ups.firmware": "00322.02", "ups.firmware.aux": "P01", "ups.power.nominal": "1000",
    "ups.start.auto": "no", "ups.start.battery": "yes", "ups.temperature": "18.8",
    "ups.type": "online", "driver.version.data": "Voltronic 0.14",
}


def device_session(path: Path, options: dict[str, str] | None = None,
                   ) -> tuple[QxSession, DeviceFileQuery]:
    query = DeviceFileQuery(path.read_text(), path.name, chunk=8)  # cypress: 8-byte reads
    return session_on(query, options), query


def test_table_has_nut_285s_rows() -> None:
    # 187 rows in voltronic_qx2nut (checked field by field against the C source when
    # it was written: name, command, length, leading, from/to, format, flags).
    assert len(VOLTRONIC.table) == 187
    kinds = [item.flags for item in VOLTRONIC.table]
    assert sum(1 for f in kinds if f & f.CMD) == 22
    assert sum(1 for f in kinds if f & f.SETVAR) == 38
    assert VOLTRONIC.accepted == "ACK" and VOLTRONIC.rejected == "(NAK\r"


def test_synthetic_capture_matches_nut_285() -> None:
    session = session_on(replay("synthetic-voltronic-testing"))
    assert session.protocol.name == "voltronic"
    session.init()
    result = session.walk(full=False)
    values = {k: v for k, v in result.values.items() if k != "driver.parameter.pollfreq"}
    assert values == SYNTHETIC_NUT_285
    assert result.status == ["OL", "OFF"]
    assert result.alarms == []  # NUT commits ups.alarm at the first full walk only
    full = session.walk(full=True)
    assert full.alarms == ["UPS warnings: Warning!! Cover of maintain switch is open. "
                           "Unknown warnings [bit: #64]"]
    assert full.rw["input.transfer.high"].range == [(237, 254)]
    assert full.rw["input.transfer.low"].range == [(206, 223)]
    assert full.rw["ups.start.auto"].enum == ["no", "yes"]


def test_three_phase_unit_reads_its_phases() -> None:
    session, _ = device_session(THREE_PHASE)
    session.init()
    values = session.walk(full=False).values
    assert values["ups.firmware.aux"] == "P10"
    assert {k: values[k] for k in ("input.L3-N.voltage", "input.L1-L3.voltage",
                                   "output.L3.current", "output.bypass.L1-L3.voltage",
                                   "output.L2.power.percent", "input.phases")} == {
        "input.L3-N.voltage": "789.4", "input.L1-L3.voltage": "223.4",
        "output.L3.current": "23", "output.bypass.L1-L3.voltage": "321.4",
        "output.L2.power.percent": "33", "input.phases": "3"}
    # P10's limits: ECO max 230+11..230+24
    assert session.engine.rw["input.transfer.high"].range == [(241, 254)]
    one, _ = device_session(ONE_PHASE)
    one.init()
    assert not any(".L1" in name for name in one.walk(full=False).values)


@pytest.mark.parametrize("answer", [b"(NAK\r", b"(234.9 50.0\r", b"garbage\r", None, b""])
def test_bad_qgs_is_no_claim(answer: bytes | None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(table, "CLAIM_RETRY_DELAY", 0.0)
    device = Device({"QGS": answer, "QPI": b"(PI01\r"}, default=None)
    with pytest.raises(ProtocolError):
        detect(device, {"protocol": "voltronic"})
    # an empty read is a timeout: NUT asks once more (after 5 s) before giving up
    per_try = 2 if answer == b"" else 1
    assert device.sent == [b"QGS\r"] * per_try * 3


@pytest.mark.parametrize("pi", [b"(PI71\r", b"(PI05\r", b"(PX01\r", b"(NAK\r", b"(PI\r"])
def test_unknown_protocol_ids_are_refused(pi: bytes) -> None:
    # PI71 is the Microtek GI3KL of the shared capture: NUT 2.8.5 refuses it too.
    device = Device({"QGS": (QGS + "100000000001\r").encode(), "QPI": pi}, default=None)
    with pytest.raises(ProtocolError):
        detect(device, {"protocol": "voltronic"})


def status_of(bits: str, mode: str = "L", warnings: str = "0" * 64,
              out_volts: str = "229.8") -> tuple[list[str], list[str], dict[str, str]]:
    answer = QGS.replace("229.8", out_volts) + bits + "\r"
    device = Device({"QGS": answer.encode(), "QPI": b"(PI01\r", "QMOD": f"({mode}\r".encode(),
                     "QWS": f"({warnings}\r".encode()}, default=b"(NAK\r")
    session = session_on(device)
    session.init()
    result = session.walk(full=True)
    return result.status, result.alarms, result.values


def test_status_bits() -> None:
    assert status_of("100000000001")[0] == ["OL"]
    assert status_of("101100000001", mode="B")[0] == ["OB", "LB"]
    assert status_of("100000011001", mode="T")[0] == ["OL", "CAL", "FSD"]
    # bit 67: output against input voltage: buck (TRIM), P01 bypass, boost
    assert status_of("100010000001", out_volts="200.0")[0] == ["OL", "TRIM"]
    assert status_of("100010000001")[0] == ["OL", "BYPASS"]
    assert status_of("100010000001", out_volts="260.0")[0] == ["OL", "BOOST"]
    # bit 68 (UPS fault): NUT compares the char with the number 1, so no alarm ever
    assert status_of("100001000001")[1] == []
    assert status_of("000000000001")[2]["ups.type"] == "offline"
    assert status_of("010000000001")[2]["ups.type"] == "line-interactive"
    assert "ups.type" not in status_of("110000000001")[2]


def test_modes_and_warnings() -> None:
    assert status_of("100000000001", mode="D")[:2] == (
        ["OL", "FSD"], ["UPS is shutting down!", "Shutdown imminent!"])
    assert status_of("100000000001", mode="F")[1] == ["Fault reported by UPS."]
    assert status_of("100000000001", mode="Y")[0] == ["OL", "BYPASS"]
    warnings = "0000000110" + "0" * 45 + "1" + "0" * 8
    status, alarms, _ = status_of("100000000001", warnings=warnings)
    assert status == ["OL", "LB", "OVER", "RB"]
    assert alarms == ["UPS warnings: Low battery. Overload alarm. Warning for Battery "
                      "replace.", "Replace battery!"]
    many = "1" * 64  # too long for ups.alarm: NUT lists bit numbers instead
    alarm = status_of("100000000001", warnings=many)[1][0]
    assert alarm.startswith("UPS warnings: Known (see log or manual) [bit: #01, #02,")
    # and NUT's alarm_set keeps 255 characters of it (alarm_buf[ST_MAX_VALUE_LEN])
    assert len(alarm) == 255 and alarm.endswith(", #41, #42,")


def engine_for(protocol: str = "P01") -> Engine:
    engine = Engine(VOLTRONIC, Device({}), QxSettings.from_options({}))
    engine.setinfo("ups.firmware.aux", protocol)
    return engine


def test_faults() -> None:
    item = next(i for i in VOLTRONIC.table if i.command == "QFS\r")
    engine = engine_for()
    assert readings.fault(engine, item, "14") == "Inverter short-circuited."
    assert readings.fault(engine, item, "1B") == \
        "L2 inverter negative power out of acceptable range."
    assert readings.fault(engine, item, "43") == "Overload fault."
    assert engine.status_bit("OVER")
    assert readings.fault(engine, item, "OK") == "No fault found"
    assert readings.fault(engine, item, "9Z") == "Unknown fault [9Z]"
    assert readings.fault(engine_for("P31"), item, "07") == "Overload fault."
    assert readings.fault(engine_for("P31"), item, "1A") == "Unknown fault [1A]"


def test_nonnumeric_values_are_dropped() -> None:
    device = Device({"QGS": (QGS.replace("234.9", "2x4.9") + "100000000001\r").encode(),
                     "QPI": b"(PI01\r"}, default=b"(NAK\r")
    with pytest.raises(ProtocolError):  # input.voltage is the claim's item
        detect(device, {"protocol": "voltronic"})
    session, _ = device_session(ONE_PHASE)
    values = session.init().values
    assert "ups.load" not in values  # "00A" in NUT's own QGS answer
    assert "device.serial" in values


SETVARS_REFUSED = [("input.transfer.high", "236"), ("input.transfer.high", "255"),
                   ("input.frequency.low", "48"), ("battery.packs", "0"),
                   ("battery.voltage.low", "28"), ("ups.delay.shutdown", "6000"),
                   ("battery.type", "AGM"), ("ups.start.auto", "maybe"),
                   ("input.transfer.low", "abc")]


@pytest.mark.parametrize(("name", "value"), SETVARS_REFUSED)
def test_out_of_range_setvars_send_nothing(name: str, value: str) -> None:
    session, query = device_session(ONE_PHASE)
    session.init()
    query.sent.clear()
    assert session.setvar(name, value) is S.UNKNOWN
    assert query.sent == []


def test_commands_refused_before_sending() -> None:
    session, query = device_session(ONE_PHASE)
    session.init()
    query.sent.clear()
    for param in ("11", "5941", "12a"):
        assert session.instcmd("test.battery.start", param) is S.FAILED
    assert session.instcmd("outlet.4.load.on", None) is S.INVALID  # QSK4: (NAK
    assert query.sent == []


@pytest.mark.parametrize(("protocol", "ivn", "ofn", "expected"), [
    # (max volt, min volt, max freq, min freq) as voltronic_r_bypass_* filter them
    ("P01", "230.0", "50.0", (("230", "264"), ("170", "220"), ("51.0", "60.0"),
                              ("40.0", "49.0"))),
    ("P01", "120.0", "60.0", (("120", "140"), ("85", "115"), ("61.0", "70.0"),
                              ("50.0", "59.0"))),
    ("P09", "230.0", "50.0", (("60", "140"), ("60", "140"), ("51.0", "60.0"),
                              ("40.0", "49.0"))),
    ("P99", "120.0", "50.0", (("115", "132"), ("50", "85"), ("51.0", "54.0"),
                              ("46.0", "49.0"))),
    ("P10", "230.0", "60.0", (("231", "276"), ("110", "209"), ("61.0", "64.0"),
                              ("56.0", "59.0"))),
    ("P31", "230.0", "50.0", ((), (), (), ())),
])
def test_bypass_limits_per_unit(protocol: str, ivn: str, ofn: str,
                                expected: tuple[tuple[str, ...], ...]) -> None:
    engine = engine_for(protocol)
    engine.setinfo("input.voltage.nominal", ivn)
    engine.setinfo("output.frequency.nominal", ofn)
    got = []
    for name in ("max_bypass_volt", "min_bypass_volt", "max_bypass_freq", "min_bypass_freq"):
        index = engine.find(name, QxFlag.SETVAR)
        assert index is not None
        got.append(engine.rw_of(VOLTRONIC.table[index]))
    assert tuple(got) == expected


def test_run_time_rw_values_and_battery_low() -> None:
    """ECO voltage limits come from the nominal voltage (voltronic_eco_volt fills NUT's
    empty info_rw); battery.voltage.low keeps 20 and 24 or 28 by V*A."""
    engine = engine_for("P02")
    transfer = next(i for i in VOLTRONIC.table if i.name == "input.transfer.low"
                    and i.flags & QxFlag.SEMI_STATIC)
    assert engine.rw_of(transfer) == ()  # not filled yet: no range, as NUT
    engine.setinfo("output.voltage.nominal", "120.0")
    assert current.eco_volt(engine, transfer, "110") == "110"
    assert engine.rw_of(transfer) == ("108", "115")  # P02, 120 V: 120-12..120-5
    low = next(i for i in VOLTRONIC.table if i.name == "battery.voltage.low"
               and i.flags & QxFlag.SEMI_STATIC)
    assert engine.rw_of(low) == ("20",)  # no ratings yet: only 20 has no check
    engine.setinfo("output.current.nominal", "10")
    assert engine.rw_of(low) == ("20", "28")  # 120 V * 10 A >= 1000
