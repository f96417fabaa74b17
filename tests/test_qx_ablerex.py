"""NUT 2.8.5's ``ablerex`` Q* protocol: Q1/F/I, the binary Q5 and At, TR, status bits.

Unit tests run the protocol on NUT's ``ablerex_testing[]`` answers plus binary Q5/At
answers (a scripted device); the differential runs NUT 2.8.5's nutdrv_qx and the hidups
driver on ``tests/data/qx/ablerex-ablerex.ups`` (and upsemu's ``ablerex-ablerex``
example, which both give to megatec: its claim is the same and comes first).
"""

from __future__ import annotations

import re
import struct
from pathlib import Path

import pytest
import qx_driver_util as qd
import qx_small_util as u
from qx_testlib import Device, S, session_on

from hidups.qx import QxSession, detect
from hidups.qx.ablerex import ABLEREX, charge_from_volts
from hidups.qx.items import QxFlag
from hidups.qx.replay import DeviceFileQuery

I_ANSWER = b"#NOT_A_LIVE_UPS  TESTING    TESTING   \r"


def q1(bits: str = "00000000", vin: str = "215.0", vout: str = "230.0",
       batt: str = "22.7") -> bytes:
    return f"({vin} 195.0 {vout} 014 49.0 {batt} 30.0 {bits}\r".encode()


def q5(fout: int = 500, vb: int = 1310, vbc: int = 1000, err: int = 0,
       iout: int = 23) -> bytes:
    """``(`` + 20 bytes (big-endian words at 1, 7, 9, 13, 15) + CR: 22 bytes."""
    body = struct.pack(">H4xHHxxHH4x", fout, vb, vbc, err, iout)
    return b"(" + body + b"\r"


# NUT v2.8.5 ablerex_testing[], plus the binary answers it lacks
TESTING: dict[str, bytes | None] = {
    "Q1": q1(), "F": b"#230.0 000 024.0 50.0\r", "I": I_ANSWER,
    "Q5": q5(), "At": b"(\x00\x00\x0e\x10\r", "TR": b"#PASS\r",
}


def ablerex(answers: dict[str, bytes | None]) -> tuple[Device, QxSession]:
    device = Device(dict(answers), b"")
    return device, session_on(device, {"protocol": "ablerex"})


def test_table_has_nuts_rows() -> None:
    table = ABLEREX.table
    assert len(table) == 41  # NUT 2.8.5: 17 Q1 + 6 F + Q5, At, TR + 3 I + 10 cmds + 2
    assert sum(bool(r.flags & QxFlag.QUICK_POLL) for r in table) == 12
    assert [r.command for r in table if r.name == "load.off"] == ["S.2\r"]
    assert [r.dfl for r in table if r.flags & QxFlag.SETVAR] == ["180", "30"]


def test_init_walk_values() -> None:
    """The init walk reads Q1 before F and Q5: no nominal yet, no Q5 voltage words."""
    _, session = ablerex(TESTING)
    values = session.init().values
    assert values["battery.voltage"] == "22.70"
    assert values["battery.charge"] == "100"
    assert values["battery.voltage.low"] == "19.20"  # 9.6 V per 12 V, Q5 not read yet
    assert values["battery.voltage.high"] == "27.30"
    assert values["output.voltage.nominal"] == "230.0"
    assert values["output.frequency.nominal"] == "50.0"
    assert values["output.frequency"] == "50.0" and values["output.current"] == "2.3"
    assert values["battery.runtime"] == "3600"
    assert values["ups.test.result"] == "PASS"
    assert "input.voltage.nominal" not in values


def test_full_walk_uses_q5_words_and_commits_its_error_code() -> None:
    _, session = ablerex({**TESTING, "Q5": q5(err=7)})
    session.init()
    result = session.walk(full=True)
    assert result.values["battery.voltage"] == "26.20"  # 1310 * 24 / 1200
    assert result.values["battery.voltage.low"] == "20.00"  # 1000 * 24 / 1200
    assert result.values["battery.charge"] == "36"  # 22.7 V / 2 = 11.35 V per 12 V
    assert result.alarms == ["7"]  # NUT: alarm_set("%d", error code)


def test_charge_tables() -> None:
    assert [charge_from_volts(v) for v in (2.25, 2.22, 2.215, 1.68, 1.6)] == [100, 100, 90, 2, 0]
    assert [charge_from_volts(v) for v in (14.0, 13.5, 13.4, 10.1, 9.0)] == [100, 100, 90, 2, 0]


def test_short_q5_becomes_nuts_zero_answer() -> None:
    """The ablerex bridge turns a Q5 answer of the wrong length into ``(`` + NULs;
    the protocol then publishes zeros, as NUT does."""
    _, session = ablerex({**TESTING, "Q5": b"(" + b"\0" * 21})
    values = session.init().values
    assert values["output.frequency"] == "0.0" and values["output.current"] == "0.0"


@pytest.mark.parametrize(("bits", "vout", "status"), [
    ("00100000", "230.0", ["BYPASS", "OL"]),  # online unit (bit 42 = 0): BYPASS
    ("00101000", "200.0", ["TRIM", "OL"]),  # standby unit: by output/input voltage
    ("00101000", "240.0", ["BOOST", "OL"]),
    ("00010000", "230.0", ["RB", "OL"]),  # battery abnormal, no "Replace battery!" alarm
    ("00000000", "000.0", ["OFF", "OL"]),  # no output: OFF (set before the OL word)
    ("10000000", "230.0", ["OB"]),
])
def test_status_bits(bits: str, vout: str, status: list[str]) -> None:
    _, session = ablerex({**TESTING, "Q1": q1(bits, vout=vout)})
    session.init()
    result = session.walk(full=True)
    assert result.status == status
    assert "Replace battery!" not in result.alarms


def test_implausible_voltage_fails_the_quick_walk() -> None:
    _, session = ablerex({**TESTING, "Q1": q1("00101000", vout="050.0")})
    assert not session.init().ok


@pytest.mark.parametrize("answer", [b"(NAK\r", b"", None, b"(215.0 195.0\r", b"#garbage\r"])
def test_bad_q1_is_never_a_value(answer: bytes | None) -> None:
    device = Device({**TESTING, "Q1": answer}, b"")
    with pytest.raises(Exception, match="not supported"):
        session_on(device, {"protocol": "ablerex"})


def test_commands() -> None:
    device, session = ablerex(TESTING)
    session.init()
    for name, param, wire in (("load.off", None, b"S.2\r"),
                              ("shutdown.return", None, b"S.5R0003\r"),
                              ("test.battery.start", "600", b"T10\r")):
        device.sent.clear()
        session.instcmd(name, param)
        assert device.sent == [wire], name
    device.sent.clear()
    assert session.instcmd("test.battery.start", "5941") is not S.HANDLED
    assert device.sent == []


# --- against NUT 2.8.5 --------------------------------------------------------------


@pytest.fixture(scope="module")
def library() -> Path:
    return u.library()


#: 2.8.5's status_commit adds DISCHRG/CHRG when battery.charge moved between commits
#: (100 at init, 36 after the full walk); hidups' core has that rule (driver.status.
#: charge_trend) but does not turn it on for Q* devices.
CHARGE_TREND = "NUT 2.8.5 core: DISCHRG from the battery.charge trend"


@pytest.mark.nut
@pytest.mark.upsemu
def test_same_as_nut_285(library: Path) -> None:
    """protocol=ablerex, two updates with pollfreq=1: the second is a full walk."""
    options = {"protocol": "ablerex", "pollfreq": "1"}
    nut, ours, nut_sent, our_sent = u.run_both(u.device("ablerex-ablerex"), library,
                                               options, dumps=2)
    assert nut.rc == 0 and ours.rc == 0, nut.output + ours.output
    assert nut.variables["driver.version.data"] == "Ablerex 0.02"
    cmp = qd.compare(nut.variables, ours.variables, "ablerex")
    trend = [*ours.variables["ups.status"].split(), "DISCHRG"]
    bad = [b for b in cmp.bad
           if not (b.startswith("ups.status:") and nut.variables["ups.status"].split() == trend)]
    assert bad == [], (CHARGE_TREND, cmp.bad)
    assert len(cmp.matched) >= 36
    # the full walk happened: Q5's words and error code are in, as in NUT's
    assert ours.variables["battery.voltage"] == "26.20"
    assert ours.variables["ups.alarm"] == "0"
    assert ours.variables["ups.test.result"] == "PASS"
    assert ours.variables["battery.runtime"] == "3600"
    u.check_probes(nut_sent, our_sent, None)


@pytest.mark.nut
@pytest.mark.upsemu
def test_autodetection_on_upsemus_example_is_nuts(library: Path, tmp_path: Path) -> None:
    """upsemu's ablerex example: NUT 2.8.5 picks megatec (same claim, tried first), and so
    does hidups, probing in NUT's order (hidups' side through the device file: the
    driver process on this bridge is compared with NUT 2.8.0 in test_qx_driver)."""
    dev = qd.DEVICES_DIR / "ablerex-ablerex.ups"
    log = tmp_path / "nut.log"
    nut = qd.run_nut(dev, library, qd.device_ids(dev), log=log, version="2.8.5")
    assert nut.rc == 0, nut.output
    assert nut.variables["driver.version.data"] == "Megatec 0.09"
    query = DeviceFileQuery(dev.read_text(), dev.name)
    protocol = detect(query, {})
    assert protocol.name == "megatec"
    QxSession(protocol, query, {}).init()
    # as u.sent reads upsemu's log: a command up to its first escaped byte (a CRC)
    ours = [re.split(r"[^\x20-\x7e]", c.decode("latin-1").rstrip("\r"), maxsplit=1)[0]
            for c in query.sent]
    u.check_probes(u.sent(log), ours, "megatec")


@pytest.mark.nut
@pytest.mark.upsemu
def test_commands_on_the_wire_as_nut_285(library: Path) -> None:
    dev = u.device("ablerex-ablerex")
    options = {"protocol": "ablerex", "offdelay": "600", "ondelay": "0"}
    # the rows Ablerex changes or that take the delays (the others are gtec's, there)
    commands = ["load.off", "shutdown.return", "test.battery.start 6000"]
    nut_answers, nut_wire, _ = u.nut_commands(dev, library, options, commands)
    our_answers, our_wire, _ = u.hidups_commands(dev, library, options, commands)
    assert our_wire == nut_wire
    assert our_answers == nut_answers
    assert nut_wire == ["S.2", "S10"]
    assert nut_answers["load.off"] == "HANDLED"  # the device answers ACK
    assert nut_answers["test.battery.start 6000"] == "FAILED"  # refused, nothing sent
