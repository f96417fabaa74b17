"""NUT 2.8.5's ``hunnox`` Q* protocol: its table, its BL charge, and NUT's own answers.

Unit tests run the protocol on NUT's ``hunnox_testing[]`` answers (a scripted device);
the differential runs NUT 2.8.5's nutdrv_qx and the hidups driver on the upsemu device
``tests/data/qx/hunnox-cypress.ups`` (and upsemu's ``megatec-hunnox`` example, which
both must give to megatec): every variable, the autodetection's probes and the bytes
of every instant command must be the same.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import qx_driver_util as qd
import qx_small_util as u
from qx_testlib import Device, S, session_on

from hidups.qx import QxSession, detect
from hidups.qx.hunnox import HUNNOX
from hidups.qx.items import QxFlag

Q1 = b"(215.0 195.0 230.0 014 49.0 22.7 30.0 00000000\r"
TESTING: dict[str, bytes | None] = {  # NUT v2.8.5 hunnox_testing[]
    "Q1": Q1, "F": b"#230.0 000 024.0 50.0\r",
    "FW?": b"#NOT_A_LIVE_UPS  TESTING    TESTING   \r", "BL": b"BL100\r",
}


def hunnox(answers: dict[str, bytes | None], options: dict[str, str] | None = None,
           default: bytes | None = b"(NAK\r") -> tuple[Device, QxSession]:
    device = Device(dict(answers), default)
    session = session_on(device, {"protocol": "hunnox", **(options or {})})
    return device, session


def test_table_has_nuts_rows() -> None:
    table = HUNNOX.table
    assert len(table) == 35  # NUT 2.8.5: 15 Q1 + 4 F + 3 FW? + BL + 10 commands + 2 delays
    assert sum(bool(r.flags & QxFlag.CMD) for r in table) == 10
    assert sum(bool(r.flags & QxFlag.QUICK_POLL) for r in table) == 13
    assert [r.dfl for r in table if r.flags & QxFlag.SETVAR] == ["0", "60"]
    assert HUNNOX.accepted == "UPS No Ack" and HUNNOX.rejected is None


def test_nut_testing_answers() -> None:
    _, session = hunnox(TESTING)
    values = session.init().values
    assert values["battery.charge"] == "100"
    assert values["input.voltage"] == "215.0" and values["output.voltage"] == "230.0"
    assert values["battery.voltage"] == "22.7"
    assert (values["device.mfr"], values["device.model"], values["ups.firmware"]) == (
        "NOT_A_LIVE_UPS", "TESTING", "TESTING")
    assert values["input.voltage.nominal"] == "230"
    assert values["ups.delay.start"] == "0" and values["ups.delay.shutdown"] == "60"
    assert session.walk(full=False).status == ["OL"]


@pytest.mark.parametrize(("answer", "charge"), [
    (b"BL085\r", "85"), (b"BL000\r", "0"), (b"BL50\r\0\0\0", "50"),  # cypress: 8 bytes
])
def test_bl_charge(answer: bytes, charge: str) -> None:
    _, session = hunnox({**TESTING, "BL": answer})
    assert session.init().values["battery.charge"] == charge


@pytest.mark.parametrize("answer", [
    b"BL101\r",  # over 100 %
    b"BL50\r",  # 5 bytes: shorter than NUT's 6
    b"XL100\r",  # wrong leading character
    b"B-100\r",  # not BL
    b"(NAK\r", None,  # refused, silence
])
def test_a_bad_bl_answer_fails_the_quick_walk(answer: bytes | None) -> None:
    """battery.charge is a quick-poll row: NUT's walk fails on it (status read failed),
    and the bad answer never becomes a charge."""
    _, session = hunnox({**TESTING, "BL": answer})
    result = session.init()
    assert not result.ok
    assert "battery.charge" not in result.values


def test_claim_needs_fw_unless_novendor() -> None:
    device = Device({"Q1": Q1, "BL": b"BL100\r"}, b"(NAK\r")
    with pytest.raises(Exception, match="not supported"):
        detect(device, {"protocol": "hunnox"})
    assert detect(device, {"protocol": "hunnox", "novendor": ""}).name == "hunnox"
    # autodetection: zinto's claim (Q1 + FW?) is the same and comes first, as in NUT
    assert detect(Device(TESTING, None), {}).name == "zinto"
    # a "(NAK" to QPI is what mecer (earlier still) claims with
    assert detect(Device(TESTING, b"(NAK\r"), {}).name == "mecer"


def test_commands_and_delays() -> None:
    device, session = hunnox(TESTING)
    session.init()
    cases = [
        ("shutdown.return", None, b"S01\r"),  # default ondelay 0: no R part
        ("shutdown.stayoff", None, b"S01R0000\r"),
        ("load.off", None, b"S00R0000\r"),
        ("test.battery.start", "120", b"T02\r"),
        ("beeper.toggle", None, b"Q\r"),
    ]
    for name, param, wire in cases:
        device.sent.clear()
        session.instcmd(name, param)
        assert device.sent == [wire], name
    assert session.setvar("ups.delay.shutdown", "12") is S.HANDLED
    assert session.setvar("ups.delay.start", "150") is S.HANDLED
    device.sent.clear()
    session.instcmd("shutdown.return", None)
    assert device.sent == [b"S.2R0002\r"]
    device.sent.clear()
    for name, value in (("ups.delay.shutdown", "601"), ("ups.delay.start", "599941")):
        assert session.setvar(name, value) is S.UNKNOWN
    assert session.instcmd("test.battery.start", "30") is not S.HANDLED
    assert device.sent == []


# --- against NUT 2.8.5 --------------------------------------------------------------


@pytest.fixture(scope="module")
def library() -> Path:
    return u.library()


@pytest.mark.nut
@pytest.mark.upsemu
@pytest.mark.parametrize(("name", "options", "picked"), [
    ("hunnox-cypress", {"protocol": "hunnox"}, "hunnox"),
    ("hunnox-cypress", {}, "zinto"),
    ("megatec-hunnox", {}, "megatec"),
])
def test_same_as_nut_285(library: Path, name: str, options: dict[str, str],
                         picked: str) -> None:
    nut, ours, nut_sent, our_sent = u.run_both(u.device(name), library, options)
    assert nut.rc == 0 and ours.rc == 0, nut.output + ours.output
    assert nut.variables["driver.version.data"].split()[0].lower() == picked
    cmp = qd.compare(nut.variables, ours.variables, picked)
    assert cmp.bad == [], cmp.bad
    assert set(cmp.explained) <= {"driver.name", "driver.version", "driver.version.internal",
                                  "driver.version.usb"}, cmp.explained
    assert len(cmp.matched) >= 30
    # probing: hidups sends NUT's claims in NUT's order, less the protocols it lacks
    u.check_probes(nut_sent, our_sent, picked if "protocol" not in options else None)


@pytest.mark.nut
@pytest.mark.upsemu
def test_commands_on_the_wire_as_nut_285(library: Path) -> None:
    dev = u.device("hunnox-cypress")
    options = {"protocol": "hunnox", "offdelay": "42", "ondelay": "120"}
    nut_answers, nut_wire, _ = u.nut_commands(dev, library, options, u.COMMANDS)
    our_answers, our_wire, _ = u.hidups_commands(dev, library, options, u.COMMANDS)
    assert our_wire == nut_wire
    assert our_answers == nut_answers
    # offdelay 42 -> ".7", ondelay 120 -> R0002; test.battery.start 30 is refused
    assert nut_wire == ["Q", "S00R0000", "C", "S.7R0002", "S.7R0000", "C", "T02", "TL",
                        "T", "CT"]
    assert nut_answers["beeper.toggle"] == "HANDLED"  # "UPS No Ack" is hunnox's ACK
