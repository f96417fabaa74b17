"""hidups.qx's innovart31, innovart33 and innovatae (Ippon Innova) on NUT's own answers.

The answers are NUT 2.8.5's ``testing_t`` tables (``tests/data/qx/innova*.ups``); the
expected values are what NUT 2.8.5's nutdrv_qx publishes on upsemu with those answers
(``tests/test_qx_innova_nut.py`` runs that comparison; here no NUT is needed).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from qx_testlib import Device, S, session_on

from hidups.errors import ConfigError, ProtocolError
from hidups.qx import QxSession, detect
from hidups.qx.engine import Engine
from hidups.qx.innovart31 import INNOVART31, MANDATORY
from hidups.qx.innovart33 import INNOVART33
from hidups.qx.innovatae import INNOVATAE
from hidups.qx.items import QxFlag
from hidups.qx.multipliers import multiply_x1000
from hidups.qx.registry import ORDER, PROTOCOLS
from hidups.qx.replay import DeviceFileQuery
from hidups.qx.settings import QxSettings

DATA = Path(__file__).parent / "data" / "qx"
Q6 = (b"(227.0 225.6 230.0 50.0 229.9 000.0 000.0 49.9 007 000 000 327.8 000.0 23.0 "
      b"06932 100 32 00000000 00000000 11\r")
Q1 = b"(215.0 195.0 230.0 014 49.0 22.7 30.0 00000000\r"
WA = b"(001.4 000.0 000.0 001.4 000.0 000.0 001.4 001.4 006.5 000.0 000.0 007 00000000\r"
BPS = b"(230.4 000.0 000.0 49.9\r"
RT_ANSWERS: dict[str, bytes | None] = {
    "Q6": Q6, "Q1": Q1, "WA": WA, "BPS": BPS, "F": b"#230.0 087 288.0 50.0\r",
    "FW?": b"05516-1100\r", "SASV07?": b"GASV07DN05K10KB100004      \r"}
RT_CLAIM = [b"Q6\r", b"Q1\r", b"WA\r", b"BPS\r", b"F\r", b"FW?\r", b"SASV07?\r"]

#: NUT 2.8.5 on innovart31-cypress.ups (protocol=innovart31), less its core's variables
RT31_NUT = {
    "battery.charge": "100", "battery.runtime": "6932", "battery.voltage": "327.8",
    "battery.voltage.nominal": "288.0", "input.bypass.frequency": "49.9",
    "input.bypass.phases": "1", "input.bypass.voltage": "230.4",
    "input.current.nominal": "87.0", "input.frequency": "50.0",
    "input.frequency.nominal": "50", "input.L1-N.voltage": "227.0",
    "input.L2-N.voltage": "225.6", "input.L3-N.voltage": "230.0", "input.phases": "3",
    "input.voltage.nominal": "230", "output.current": "6.5", "output.frequency": "49.9",
    "output.phases": "1", "output.voltage": "229.9", "ups.beeper.status": "disabled",
    "ups.delay.shutdown": "30", "ups.delay.start": "180", "ups.firmware": "05516-1100",
    "ups.load": "7", "ups.power": "1400.00", "ups.realpower": "1400.00",
    # NUT cuts from column 7 of "GASV07DN05K10KB100004": the D is lost (as in NUT)
    "ups.serial": "N05K10KB100004", "ups.temperature": "23.0", "ups.type": "online",
}

#: NUT 2.8.5 on innovatae-ippon.ups, less its core's variables
TAE_NUT = {
    "battery.voltage": "22.7", "battery.voltage.nominal": "24.0", "device.mfr": "Ippon",
    "input.current.nominal": "4.0", "input.frequency": "49.0",
    "input.frequency.nominal": "50", "input.voltage": "215.0", "input.voltage.fault": "195.0",
    "input.voltage.nominal": "230", "output.voltage": "230.0",
    "ups.beeper.status": "disabled", "ups.delay.shutdown": "30", "ups.delay.start": "180",
    "ups.load": "14", "ups.temperature": "30.0", "ups.type": "online",
}


def file_query(name: str) -> DeviceFileQuery:
    text = (DATA / f"{name}.ups").read_text()
    return DeviceFileQuery(text, name, chunk=8 if "cypress" in name else 0)


def protocol_values(values: dict[str, str]) -> dict[str, str]:
    """What the protocol library publishes (the battery guess and core are elsewhere)."""
    return {k: v for k, v in values.items()
            if not k.startswith("driver.") and k not in ("battery.voltage.high",
                                                         "battery.voltage.low")}


# --- tables ------------------------------------------------------------------------


def test_tables_have_nuts_rows() -> None:
    """Row counts of NUT 2.8.5's item tables (end marker excluded), names in order."""
    assert len(INNOVART31.table) == 41
    assert len(INNOVART33.table) == 56
    assert len(INNOVATAE.table) == 33
    assert [i.name for i in INNOVART31.table[:3]] == [
        "input.L1-N.voltage", "input.L2-N.voltage", "input.L3-N.voltage"]
    assert INNOVATAE.table[0].name == "device.mfr"
    assert INNOVATAE.table[0].flags == QxFlag.STATIC | QxFlag.ABSENT
    for protocol in (INNOVART31, INNOVART33):
        commands = [i.name for i in protocol.table if i.flags & QxFlag.CMD]
        assert "beeper.toggle" not in commands  # NUT: the Innova RT ignore it
        assert len(commands) == 9
    assert sum(1 for i in INNOVATAE.table if i.flags & QxFlag.CMD) == 10
    for protocol in (INNOVART31, INNOVART33, INNOVATAE):
        assert (protocol.accepted, protocol.rejected) == ("ACK", "NAK\r")
        delays = {i.name: (i.rw, i.dfl) for i in protocol.table if i.flags & QxFlag.SETVAR}
        assert delays == {"ups.delay.start": (("0", "599940"), "180"),
                          "ups.delay.shutdown": (("12", "600"), "30")}


def test_registered_in_nuts_order() -> None:
    assert PROTOCOLS["innovart31"] is INNOVART31
    assert PROTOCOLS["innovart33"] is INNOVART33
    assert PROTOCOLS["innovatae"] is INNOVATAE
    assert ORDER.index("innovart31") < ORDER.index("innovart33") < ORDER.index("innovatae")


def test_multiply_x1000_reads_a_c_float() -> None:
    """qx_multiply_x1000: sscanf %f into a float, then %.2f of x1000."""
    item = INNOVART31.table[12]
    assert item.name == "ups.realpower"
    engine = Engine(INNOVART31, Device({}), QxSettings.from_options({}))
    assert multiply_x1000(engine, item, "001.4") == "1400.00"
    assert multiply_x1000(engine, item, "006.5") == "6500.00"
    assert multiply_x1000(engine, item, " 2.5x") == "2500.00"  # a prefix, as sscanf reads
    # single precision: 12345.678 is 12345.677734375 in a float (a double: 12345678.00)
    assert multiply_x1000(engine, item, "12345.678") == "12345677.73"
    assert multiply_x1000(engine, item, "0x1.4") == "1250.00"  # glibc: a hex float
    assert multiply_x1000(engine, item, "1e39") == "inf"  # beyond a float
    assert multiply_x1000(engine, item, "abc") is None
    assert multiply_x1000(engine, item, "") is None


# --- innovart31 --------------------------------------------------------------------


def test_innovart31_values_match_nut_285() -> None:
    query = file_query("innovart31-cypress")
    session = session_on(query, {"protocol": "innovart31"})
    assert session.protocol.name == "innovart31"
    result = session.init()
    assert result.ok
    assert query.sent == [*RT_CLAIM, b"Q6\r", b"WA\r", b"BPS\r", b"F\r", b"Q1\r"]
    walk = session.walk(full=False)
    assert walk.status == ["OL"]
    assert walk.alarms == []
    assert protocol_values(walk.values) == RT31_NUT
    assert walk.commands == ["load.off", "load.on", "shutdown.return", "shutdown.stayoff",
                             "shutdown.stop", "test.battery.start",
                             "test.battery.start.deep", "test.battery.start.quick",
                             "test.battery.stop"]
    assert walk.rw["ups.delay.start"].range == [(0, 599940)]
    assert walk.rw["ups.delay.shutdown"].range == [(12, 600)]


def test_innovart31_claim_needs_all_seven_answers() -> None:
    """Each of the seven queries in turn: NAK, echo (too short) or silence fails it,
    and the queries after the failing one are not sent.

    NUT's FW? row checks neither length nor leading character: an echoed ``FW?`` is a
    firmware version to NUT, and so to hidups; only silence fails that query.
    """
    for failing in range(len(RT_CLAIM)):
        command = RT_CLAIM[failing].decode().rstrip("\r")
        for bad in (b"NAK\r", command.encode() + b"\r", None):
            device = Device({**RT_ANSWERS, command: bad}, default=None)
            if command == "FW?" and bad == b"FW?\r":
                assert detect(device, {"protocol": "innovart31"}).claimed[
                    "ups.firmware"] == bad.decode().rstrip("\r")
                continue
            with pytest.raises(ProtocolError, match="not supported"):
                detect(device, {"protocol": "innovart31"})
            assert device.sent == RT_CLAIM[:failing + 1] * 3, (command, bad)


def test_innovart31_claim_rejects_garbage_numbers() -> None:
    """A Q6 answer of the right length whose L1 voltage is not a number: refused."""
    garbage = b"(2x7.0" + Q6[6:]
    device = Device({**RT_ANSWERS, "Q6": garbage}, default=None)
    with pytest.raises(ProtocolError):
        detect(device, {"protocol": "innovart31"})


def test_innovart31_bad_answers_never_become_values() -> None:
    """After a good start, NAK, truncated, garbage and silent answers leave every value
    as it was; a failed Q1 fails the walk (NUT's QUICK_POLL rule)."""
    device = Device(dict(RT_ANSWERS), default=None)
    session = session_on(device, {"protocol": "innovart31"})
    session.init()
    good = protocol_values(session.walk(full=True).values)
    for command in ("Q6", "WA", "BPS"):
        answer = RT_ANSWERS[command]
        assert answer is not None
        for bad in (b"NAK\r", answer[:len(answer) // 2] + b"\r",
                    b"(" + b"x" * (len(answer) - 2) + b"\r", None, b"#" + answer[1:]):
            device.answers = {**RT_ANSWERS, command: bad}
            result = session.walk(full=True)
            assert result.ok
            values = protocol_values(result.values)
            if command == "Q6" and bad is not None and bad.startswith(b"(x"):
                # NUT 2.8.5's qx_multiply_battvolt copies the column's text unchecked
                # (seen on upsemu: "3x7.8" is published), and the charge is then
                # guessed from that voltage: NUT's behaviour, kept
                assert values.pop("battery.voltage") == "xxxxx"
                assert values.pop("battery.charge") == "0"
                values = {**values, "battery.voltage": good["battery.voltage"],
                          "battery.charge": good["battery.charge"]}
            assert values == good, (command, bad)
            device.answers = dict(RT_ANSWERS)
            assert protocol_values(session.walk(full=True).values) == good
    device.answers = {**RT_ANSWERS, "Q1": b"NAK\r"}
    assert not session.walk(full=False).ok


def test_innovart31_status_and_alarm_bits() -> None:
    """Q1's bits as blazer reads them: on battery, low, failed, test, shutdown."""
    flags = b"(215.0 195.0 230.0 014 49.0 22.7 30.0 11011110\r"
    device = Device({**RT_ANSWERS, "Q1": flags}, default=None)
    session = session_on(device, {"protocol": "innovart31"})
    session.init()
    result = session.walk(full=True)
    assert result.status == ["OB", "LB", "CAL", "FSD"]
    assert result.alarms == ["UPS selftest failed!", "Shutdown imminent!"]
    assert result.values["ups.beeper.status"] == "disabled"


def test_innovart31_ignoresab_drops_the_shutdown_bit() -> None:
    flags = b"(215.0 195.0 230.0 014 49.0 22.7 30.0 00000010\r"
    device = Device({**RT_ANSWERS, "Q1": flags}, default=None)
    session = session_on(device, {"protocol": "innovart31", "ignoresab": ""})
    session.init()
    assert session.walk(full=True).status == ["OL"]


def test_innovart31_phase_counts_respect_overrides() -> None:
    device = Device(dict(RT_ANSWERS), default=None)
    session = session_on(device, {"protocol": "innovart31", "override.output.phases": "3"})
    values = session.init().values
    assert values["output.phases"] == "3"
    assert values["input.phases"] == "3"


# --- innovart33 --------------------------------------------------------------------


def test_innovart33_claim_fails_as_in_nut_285() -> None:
    """NUT's claim looks for output.current, which the 3/3 table lacks: after Q6 and Q1
    it gives up, three times (upsemu log of NUT 2.8.5: Q6 Q1 Q6 Q1 Q6 Q1)."""
    query = file_query("innovart33-cypress")
    with pytest.raises(ProtocolError, match="not supported"):
        detect(query, {"protocol": "innovart33"})
    assert query.sent == [b"Q6\r", b"Q1\r"] * 3
    names = {item.name for item in INNOVART33.table}
    assert "output.current" in MANDATORY and "output.current" not in names
    assert "input.bypass.voltage" in MANDATORY and "input.bypass.voltage" not in names


def test_innovart33_autodetects_as_innovart31() -> None:
    """NUT 2.8.5 gives a 3/3 unit to innovart31, tried first with the same queries."""
    query = file_query("innovart33-cypress")
    assert detect(query, {}).name == "innovart31"


def test_innovart33_table_reads_every_phase() -> None:
    """The 3/3 rows on the 3/3 answers (each phase its own number), bypassing the claim
    NUT never passes: every column lands in its variable."""
    query = file_query("innovart33-cypress")
    session = QxSession(INNOVART33, query, {})
    result = session.init()
    assert result.ok
    values = session.walk(full=False).values
    expected = {
        "input.L1-N.voltage": "227.0", "input.L2-N.voltage": "225.6",
        "input.L3-N.voltage": "230.0", "input.frequency": "50.0",
        "output.L1-N.voltage": "229.9", "output.L2-N.voltage": "228.8",
        "output.L3-N.voltage": "231.1", "output.frequency": "49.9",
        "output.L1.load": "7", "output.L2.load": "12", "output.L3.load": "34",
        "battery.voltage": "327.8", "ups.temperature": "23.0", "battery.runtime": "6932",
        "battery.charge": "100",
        "output.L1.realpower": "1400.00", "output.L2.realpower": "2100.00",
        "output.L3.realpower": "3200.00", "output.L1.power": "1500.00",
        "output.L2.power": "2200.00", "output.L3.power": "3300.00",
        "ups.realpower": "6700.00", "ups.power": "7000.00", "output.L1.current": "6.5",
        "output.L2.current": "4.4", "output.L3.current": "5.6", "ups.load": "17",
        "input.bypass.L1-N.voltage": "230.4", "input.bypass.L2-N.voltage": "229.1",
        "input.bypass.L3-N.voltage": "228.2", "input.bypass.frequency": "49.9",
        "input.phases": "3", "input.bypass.phases": "3", "output.phases": "3",
        "ups.serial": "N05K10KB100004", "ups.firmware": "05516-1100",
    }
    assert {k: values.get(k) for k in expected} == expected
    assert "output.current" not in values and "output.voltage" not in values


# --- innovatae ---------------------------------------------------------------------


def test_innovatae_values_match_nut_285() -> None:
    query = file_query("innovatae-ippon")
    session = session_on(query, {"protocol": "innovatae"})
    result = session.init()
    assert result.ok
    assert query.sent == [b"Q1\r", b"Q1\r", b"F\r", b"I\r"]
    walk = session.walk(full=False)
    assert walk.status == ["OL"]
    values = protocol_values(walk.values)
    assert values.pop("battery.charge") == "37"  # NUT's guess from 22.7 V
    assert values == TAE_NUT
    assert "ups.firmware" not in values  # NUT's own 37-character I answer is too short
    assert "beeper.toggle" in walk.commands and len(walk.commands) == 10


def test_innovatae_firmware_from_a_full_width_i_answer() -> None:
    query = file_query("innovatae-firmware-ippon")
    session = session_on(query, {"protocol": "innovatae"})
    values = session.init().values
    assert values["ups.firmware"] == "R1.00.48"
    assert values["device.mfr"] == "Ippon"


def test_innovatae_autodetection_follows_nut() -> None:
    """Megatec takes a full-width I answer first; NUT's 37-character one reaches
    innovatae (NUT 2.8.5 on upsemu: Megatec 0.09 and INNOVATAE 0.01)."""
    assert detect(file_query("innovatae-firmware-ippon"), {}).name == "megatec"
    assert detect(file_query("innovatae-ippon"), {}).name == "innovatae"


def test_innovatae_bad_status_answers() -> None:
    for bad in (b"NAK\r", Q1[:30] + b"\r", None, b"#" + Q1[1:]):
        device = Device({"Q1": bad, "F": b"#230.0 004 024.0 50.0\r"}, default=None)
        with pytest.raises(ProtocolError):
            detect(device, {"protocol": "innovatae"})
    garbage = b"(2x5.0" + Q1[6:]
    device = Device({"Q1": garbage}, default=None)
    with pytest.raises(ProtocolError):
        detect(device, {"protocol": "innovatae"})


# --- commands ----------------------------------------------------------------------

#: command -> the bytes NUT 2.8.5 sends for it (its testing tables' commands)
COMMAND_BYTES = [
    ("load.off", None, b"S00R0000\r"), ("load.on", None, b"C\r"),
    ("shutdown.return", None, b"S.5R0003\r"), ("shutdown.stayoff", None, b"S.5R0000\r"),
    ("shutdown.stop", None, b"C\r"), ("test.battery.start", "240", b"T04\r"),
    ("test.battery.start", None, b"T10\r"), ("test.battery.start.deep", None, b"TL\r"),
    ("test.battery.start.quick", None, b"T\r"), ("test.battery.stop", None, b"CT\r"),
]


@pytest.mark.parametrize("name", ["innovart31-cypress", "innovatae-ippon"])
def test_command_bytes(name: str) -> None:
    protocol = name.split("-")[0]
    query = file_query(name)
    session = session_on(query, {"protocol": protocol})
    session.init()
    for command, param, sent in COMMAND_BYTES:
        query.sent.clear()
        session.instcmd(command, param)
        assert query.sent == [sent], command
    query.sent.clear()
    status = session.instcmd("beeper.toggle", None)
    if protocol == "innovart31":
        assert status is S.INVALID and query.sent == []
    else:
        assert query.sent == [b"Q\r"]


@pytest.mark.parametrize("protocol", ["innovart31", "innovatae"])
def test_out_of_range_is_refused_before_sending(protocol: str) -> None:
    query = file_query("innovart31-cypress" if protocol == "innovart31" else "innovatae-ippon")
    session = session_on(query, {"protocol": protocol})
    session.init()
    query.sent.clear()
    assert session.instcmd("test.battery.start", "30") is S.FAILED
    assert session.instcmd("test.battery.start", "6000") is S.FAILED
    assert session.setvar("ups.delay.start", "600000") is S.UNKNOWN
    assert session.setvar("ups.delay.shutdown", "6") is S.UNKNOWN
    assert session.setvar("ups.delay.shutdown", "x") is S.UNKNOWN
    assert query.sent == []
    # in range: kept locally (NUT's ABSENT setvars), rounded as the UPS times them
    assert session.setvar("ups.delay.shutdown", "45") is S.HANDLED
    assert session.setvar("ups.delay.start", "150") is S.HANDLED
    assert query.sent == []
    session.instcmd("shutdown.return", None)
    assert query.sent == [b"S.7R0002\r"]


def test_out_of_range_delays_in_ups_conf_are_refused() -> None:
    query = file_query("innovart31-cypress")
    session = session_on(query, {"protocol": "innovart31", "offdelay": "700"})
    with pytest.raises(ConfigError, match="offdelay"):
        session.init()


def test_killpower_sends_nuts_sequence() -> None:
    query = file_query("innovart31-cypress")
    session = session_on(query, {"protocol": "innovart31", "ondelay": "120",
                                 "offdelay": "12"})
    session.init()
    query.sent.clear()
    session.killpower()
    # shutdown.stop is silent on this unit (three tries), shutdown.return too
    assert query.sent == [b"C\r"] * 3 + [b"S.2R0002\r"] * 3
