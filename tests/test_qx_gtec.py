"""NUT 2.8.5's ``gtec`` Q* protocol: the Q4 answer and its status letters.

Unit tests run the protocol on NUT's ``gtec_testing[]`` answers and on every status
letter (a scripted device); the differential runs NUT 2.8.5's nutdrv_qx and the hidups
driver on ``tests/data/qx/gtec-*.ups`` (a cypress bridge: upsemu has no "gtec" one, and
the protocol does not depend on it): every variable, the autodetection's probes and the
bytes of every instant command must be the same.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import qx_driver_util as qd
import qx_small_util as u
from qx_testlib import Device, S, session_on

from hidups.qx import QxSession, detect
from hidups.qx.gtec import GTEC
from hidups.qx.items import QxFlag

Q4 = "(236.7 243.2 212.1 220.1 230.4 002 001 50.0 371 372 041.3 22.9 {}\r"
TESTING: dict[str, bytes | None] = {  # NUT v2.8.5 gtec_testing[]
    "Q4": Q4.format("IM").encode(), "F": b"#230.0 000 024.0 50.0\r",
    "I": b"#NOT_A_LIVE_UPS  TESTING    TESTING   \r",
}


def gtec(letters: str = "IM") -> tuple[Device, QxSession]:
    device = Device({**TESTING, "Q4": Q4.format(letters).encode()}, b"(NAK\r")
    return device, session_on(device, {"protocol": "gtec"})


def test_table_has_nuts_rows() -> None:
    table = GTEC.table
    assert len(table) == 27  # NUT 2.8.5: 8 Q4 + 4 F + 3 I + 10 commands + 2 delays
    assert not any(r.flags & QxFlag.QUICK_POLL for r in table)  # as in NUT: none
    assert sum(bool(r.flags & QxFlag.CMD) for r in table) == 10


def test_nut_testing_answers() -> None:
    _, session = gtec()
    values = session.init().values
    assert (values["input.voltage"], values["input.voltage.fault"],
            values["output.voltage"]) == ("236.7", "220.1", "230.4")
    assert (values["ups.load"], values["input.frequency"], values["battery.voltage"],
            values["ups.temperature"]) == ("1", "50.0", "41.3", "22.9")
    assert values["battery.test.status"] == "Test passed - Result: OK"
    assert values["device.mfr"] == "NOT_A_LIVE_UPS"
    assert values["input.voltage.nominal"] == "230"


@pytest.mark.parametrize(("letters", "status", "alarms", "test"), [
    ("IM", ["OL"], [], "Test passed - Result: OK"),
    ("A", ["OB"], [], None),
    ("C", ["OL", "BYPASS"], [], None),
    ("", ["OL", "OFF"], [], None),  # none of A/C/M: off
    ("ABJND", ["OB", "LB", "OVER", "RB"], ["UPS failed", "Replace battery!"],
     "Test passed - Result: Failed"),
    ("MFGHPXZ", ["OL", "FSD"], ["Site fault", "EPROM fail", "Battery disconnected",
                                "Shutdown imminent!"], None),  # X, Z ignored
    ("ME", ["OL"], [], "Test in progress"),
    ("MK", ["OL"], [], "Battery disconnected"),
    ("ML", ["OL"], [], "Test status unknown"),
])
def test_status_letters(letters: str, status: list[str], alarms: list[str],
                        test: str | None) -> None:
    _, session = gtec(letters)
    assert session.init().alarms == []  # committed later
    result = session.walk(full=True)
    assert result.status == status
    assert result.alarms == alarms
    assert result.values.get("battery.test.status") == test


def test_quick_walks_keep_the_last_full_walks_status() -> None:
    """No gtec row is quick-polled: between full walks NUT keeps ups_status as it was."""
    device, session = gtec("A")
    session.init()
    assert session.walk(full=True).status == ["OB"]
    device.sent.clear()
    assert session.walk(full=False).status == ["OB"]
    assert device.sent == []


@pytest.mark.parametrize("answer", [
    b"(NAK\r", None, b"", b"(236.7 243.2 212.1\r",  # refused, silent, empty, short
    b"#236.7 243.2 212.1 220.1 230.4 002 001 50.0 371 372 041.3 22.9 IM\r",  # lead
    b"(2x6.7 243.2 212.1 220.1 230.4 002 001 50.0 371 372 041.3 22.9 IM\r",  # garbage
])
def test_a_bad_q4_answer_is_never_a_value(answer: bytes | None) -> None:
    device = Device({**TESTING, "Q4": answer}, b"(NAK\r")
    with pytest.raises(Exception, match="not supported"):
        detect(device, {"protocol": "gtec"})


def test_autodetection_and_commands() -> None:
    device = Device(TESTING, b"(NAK\r")
    assert detect(device, {}).name == "gtec"
    device, session = gtec()
    session.init()
    for name, param, wire in (("shutdown.return", None, b"S.5R0003\r"),
                              ("load.off", None, b"S00R0000\r"),
                              ("test.battery.start", "5940", b"T99\r")):
        device.sent.clear()
        session.instcmd(name, param)
        assert device.sent == [wire], name
    device.sent.clear()
    assert session.setvar("ups.delay.shutdown", "11") is S.UNKNOWN
    assert session.instcmd("test.battery.start", "59") is not S.HANDLED
    assert device.sent == []


# --- against NUT 2.8.5 --------------------------------------------------------------


@pytest.fixture(scope="module")
def library() -> Path:
    return u.library()


@pytest.mark.nut
@pytest.mark.upsemu
@pytest.mark.parametrize(("name", "options"), [
    ("gtec-cypress", {"protocol": "gtec"}),
    ("gtec-cypress", {}),
])
def test_same_as_nut_285(library: Path, name: str, options: dict[str, str]) -> None:
    nut, ours, nut_sent, our_sent = u.run_both(u.device(name), library, options)
    assert nut.rc == 0 and ours.rc == 0, nut.output + ours.output
    assert nut.variables["driver.version.data"] == "Gtec 0.01"
    cmp = qd.compare(nut.variables, ours.variables, "gtec")
    assert cmp.bad == [], cmp.bad
    assert set(cmp.explained) <= {"driver.name", "driver.version", "driver.version.internal",
                                  "driver.version.usb"}, cmp.explained
    assert len(cmp.matched) >= 30
    u.check_probes(nut_sent, our_sent, "gtec" if "protocol" not in options else None)


@pytest.mark.nut
@pytest.mark.upsemu
def test_on_battery_after_full_walks_as_nut_285(library: Path) -> None:
    """Both drivers served for 5 s with pollfreq=1: full walks commit the alarms."""
    dev = u.device("gtec-onbattery")
    options = {"protocol": "gtec", "pollfreq": "1"}
    _, _, nut = u.nut_commands(dev, library, options, [], secs=5)
    _, _, ours = u.hidups_commands(dev, library, options, [], secs=5)
    cmp = qd.compare(nut, ours, "gtec")
    assert cmp.bad == [], cmp.bad
    assert set(cmp.explained) <= {"driver.name", "driver.version", "driver.version.internal",
                                  "driver.version.usb"}, cmp.explained
    assert len(cmp.matched) >= 30
    assert ours["ups.alarm"] == "UPS failed Replace battery!"
    assert ours["ups.status"] == "ALARM OB LB OVER RB"
    assert ours["battery.test.status"] == "Test passed - Result: Failed"


@pytest.mark.nut
@pytest.mark.upsemu
def test_commands_on_the_wire_as_nut_285(library: Path) -> None:
    dev = u.device("gtec-cypress")
    options = {"protocol": "gtec", "offdelay": "59", "ondelay": "61"}
    nut_answers, nut_wire, _ = u.nut_commands(dev, library, options, u.COMMANDS)
    our_answers, our_wire, _ = u.hidups_commands(dev, library, options, u.COMMANDS)
    assert our_wire == nut_wire
    assert our_answers == nut_answers
    # offdelay 59 -> 54 s (".9"), ondelay 61 -> 60 s (R0001); test.battery.start 30 refused
    assert nut_wire == ["Q", "S00R0000", "C", "S.9R0001", "S.9R0000", "C", "T02", "TL",
                        "T", "CT"]
    assert len(nut_answers) == len(u.COMMANDS)


@pytest.mark.nut
@pytest.mark.upsemu
@pytest.mark.parametrize(("option", "value"), [("offdelay", "601"), ("ondelay", "599941"),
                                               ("offdelay", "11")])
def test_a_delay_out_of_nuts_range_is_refused_as_by_nut_285(library: Path, option: str,
                                                             value: str) -> None:
    """ups.delay.shutdown 12..600, ups.delay.start 0..599940 (blazer's ranges): both
    drivers refuse to start, naming the option, and send no command."""
    options = {"protocol": "gtec", option: value}
    nut, ours, nut_sent, our_sent = u.run_both(u.device("gtec-cypress"), library, options)
    assert nut.rc != 0 and "out of range" in nut.output, nut.output
    assert ours.rc != 0 and f"{option}='{value}': out of range" in ours.output, ours.output
    assert not [c for c in nut_sent + our_sent if u.COMMAND_SHAPE.match(c)]
