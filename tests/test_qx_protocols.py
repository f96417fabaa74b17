"""hidups.qx on the shared Q* captures: detection, values, commands, bad answers, options.

Expected values are NUT's: NUT 2.8.0's nutdrv_qx on the same answers (upsemu), and NUT
2.8.5's where its tables changed (run by hand with ``NUT_VERSION=2.8.5 run_nut.sh``).
"""

from __future__ import annotations

import pytest
from qx_testlib import Device, S, replay, session_on

from hidups.errors import ConfigError, ProtocolError
from hidups.qx import ORDER, QxSession, detect, lookup
from hidups.qx.registry import PROTOCOLS

Q1_OK = b"(215.0 195.0 230.0 014 49.0 22.7 30.0 00000000\r"

# Protocol NUT 2.8.0 picks (upsemu + qx2ups), for the captures whose protocol is built
# (bestups: on a bridge that returns the exact answer, e.g. ippon; see the cypress test);
# NUT 2.8.5 tries innovatae (claim: Q1 alone) before q1 and picks it instead (seen).
DETECTED = {
    "abb-powervalue-11rt-1kva-g2-nut1279": "innovatae",  # 2.8.0: q1
    "digitech-computer-650va-nut674": "innovatae",  # 2.8.0: q1
    "frys-0001-china-ups-nut2307": "innovatae",  # 2.8.0: q1
    "mec0003-unknown-nut1218": "innovatae",  # 2.8.0: q1
    "mec0003-unknown-pyusb-nut2795": "innovatae",  # 2.8.0: q1
    "synthetic-bestups-testing": "bestups",
    "visench-c1k-nut2395": "mecer",
    "vultech-gs-1kvas-rk-nut2151": "megatec",
    "vultech-ups1400va-lfp-nut2219": "innovatae",  # 2.8.0: q1
}


@pytest.mark.parametrize("stem", sorted(DETECTED))
def test_detects_nuts_protocol(stem: str) -> None:
    assert detect(replay(stem), {}).name == DETECTED[stem]


@pytest.mark.parametrize("stem", ["microtek-gi3kl-nut3655", "vultech-v2000-nut1978"])
def test_unsupported_devices_are_refused_as_nut_does(stem: str) -> None:
    # microtek echoes Q1; the armac bridge truncates vultech-v2000's Q1 to 43 bytes.
    with pytest.raises(ProtocolError, match="not supported"):
        detect(replay(stem), {})


def test_megatec_values_follow_nut_285_i_layout() -> None:
    query = replay("vultech-gs-1kvas-rk-nut2151")
    session = session_on(query)
    init = session.init()
    result = session.walk(full=False)
    assert init.ok and result.ok
    values = result.values
    assert values["driver.version.data"] == "Megatec 0.09"
    # "#222222222222222222222222222R1.00.47  " read as 2.8.5's MegaTec IC layout.
    assert values["device.mfr"] == "2222222"
    assert values["ups.serial"] == "22222222"
    assert values["device.model"] == "22222"
    assert values["battery.runtime"] == "22222"
    assert values["ups.firmware"] == "R1.00.47"
    assert values["input.voltage"] == "238.6"
    assert values["battery.voltage"] == "2.23"  # the UPS's own text, as 2.8.5 publishes it
    assert values["ups.temperature"] == "43.0"
    assert values["ups.beeper.status"] == "enabled"
    assert "input.voltage.nominal" not in values  # F is echoed: the rating rows are skipped
    assert result.status == ["OL"]
    assert "battery.charge" not in values  # runtime given, no nominal voltage to guess from
    assert set(result.commands) >= {"beeper.toggle", "load.off", "load.on", "shutdown.return",
                                    "shutdown.stayoff", "shutdown.stop", "test.battery.start",
                                    "test.battery.start.deep", "test.battery.start.quick",
                                    "test.battery.stop"}
    assert result.rw["ups.delay.start"].range == [(0, 599940)]
    assert result.rw["ups.delay.shutdown"].range == [(12, 600)]


def test_megatec_commands_send_nuts_bytes() -> None:
    # NUT 2.8.0 on the same device (run_nut.sh -F, upsemu log "op=qx cmd=..."):
    # S.5R0003, S.5R0000, T02, Q, S00R0000; "test.battery.start 30" is refused unsent.
    query = replay("vultech-gs-1kvas-rk-nut2151")
    session = session_on(query)
    session.init()
    session.walk(full=False)
    for name, param, sent in (("shutdown.return", None, b"S.5R0003\r"),
                              ("shutdown.stayoff", None, b"S.5R0000\r"),
                              ("test.battery.start", "120", b"T02\r"),
                              ("beeper.toggle", None, b"Q\r"),
                              ("load.off", None, b"S00R0000\r")):
        before = len(query.sent)
        # The device echoes commands instead of answering ACK: NUT reports FAILED too.
        assert session.instcmd(name, param) is S.FAILED
        assert query.sent[before:] == [sent]
    before = len(query.sent)
    assert session.instcmd("test.battery.start", "30") is S.FAILED
    assert session.instcmd("no.such.command", None) is S.INVALID
    assert query.sent[before:] == []


def q1_device(extra: dict[str, bytes | None] | None = None,
              default: bytes | None = b"") -> Device:
    answers: dict[str, bytes | None] = {"Q1": Q1_OK, "F": b"#230.0 004 024.0 50.0\r",
                                        "I": b"#NOT_A_LIVE_UPS  TESTING    TESTING   \r"}
    answers.update(extra or {})
    return Device(answers, default)


def test_delays_and_shutdown_formatting() -> None:
    device = q1_device({"M": b"M\r", "QS": b"QS\r", "D": b"D\r", "QPI": b"QPI\r"})
    session = session_on(device, {"ondelay": "0", "offdelay": "45"})
    init = session.init()
    assert init.values["ups.delay.start"] == "0"
    assert init.values["ups.delay.shutdown"] == "42"  # rounded down to 6 s steps
    device.sent.clear()
    assert session.instcmd("shutdown.return", None) is S.HANDLED  # empty answer: accepted
    assert device.sent == [b"S.7\r"]
    assert session.setvar("ups.delay.shutdown", "600") is S.HANDLED
    assert session.setvar("ups.delay.start", "599") is S.HANDLED
    assert session.setvar("ups.delay.shutdown", "601") is S.UNKNOWN  # out of 12..600
    assert session.setvar("ups.delay.shutdown", "1e2") is S.UNKNOWN  # not numeric
    assert session.setvar("ups.nonexistent", "1") is S.UNKNOWN
    device.sent.clear()
    assert session.instcmd("shutdown.return", None) is S.HANDLED
    assert session.instcmd("shutdown.stayoff", None) is S.HANDLED
    assert device.sent == [b"S10R0009\r", b"S10R0000\r"]


def test_megatec_identity_and_claim_with_ack_device() -> None:
    device = q1_device({"C": b"ACK\r", "T": b"NAK\r"})
    session = session_on(device)
    assert session.protocol.name == "megatec"
    init = session.init()
    assert init.values["device.mfr"] == "NOT_A_L"
    assert init.values["ups.firmware"] == "TESTING"
    assert init.values["input.voltage.nominal"] == "230"
    assert init.values["input.current.nominal"] == "4.0"
    assert init.values["battery.voltage.low"] == "20.80"
    assert init.values["battery.voltage.high"] == "26.00"
    assert session.instcmd("load.on", None) is S.HANDLED
    assert session.instcmd("test.battery.start.quick", None) is S.FAILED  # NAK != ACK
    assert session.data_has_changed


def test_mecer_ack_nak_and_p98_tests() -> None:
    device = q1_device({"QPI": b"(PI98\r", "T.2": b"(ACK\r", "CT": b"(NAK\r", "M": b"(NAK\r",
                        "QS": b"(NAK\r", "D": b"(NAK\r"}, default=b"(NAK\r")
    session = session_on(device)
    assert session.protocol.name == "mecer"
    init = session.init()
    assert init.values["ups.firmware.aux"] == "Voltronic Power P98"
    device.sent.clear()
    assert session.instcmd("test.battery.start", "12") is S.HANDLED
    # (NAK: NUT means CONVERSION_FAILED but answers FAILED (errno clobbered by its log).
    assert session.instcmd("test.battery.stop", None) is S.FAILED
    assert session.instcmd("test.battery.start", "11") is S.FAILED  # below 12 s, unsent
    assert session.instcmd("test.battery.start", "6x") is S.FAILED
    assert device.sent == [b"T.2\r", b"CT\r"]


def test_mecer_claim_accepts_nak_to_qpi_and_skips_the_row() -> None:
    device = q1_device({"QPI": b"(NAK\r"}, default=b"(NAK\r")
    protocol = detect(device, {})
    assert protocol.name == "mecer"
    session = QxSession(protocol, device, {})
    assert "ups.firmware.aux" not in session.init().values


def test_status_bits_alarms_and_bypass_words() -> None:
    answers = {
        "(215.0 195.0 230.0 014 49.0 22.7 30.0 11111111\r": (
            ["OB", "LB", "BOOST", "CAL", "FSD"], ["UPS selftest failed!", "Shutdown imminent!"]),
        "(230.0 195.0 200.0 014 49.0 22.7 30.0 00100000\r": (["OL", "TRIM"], []),
        "(230.0 195.0 231.0 014 49.0 22.7 30.0 00100000\r": (["OL", "BYPASS"], []),
    }
    for answer, (status, alarms) in answers.items():
        device = Device({"Q1": answer.encode()}, b"")
        session = session_on(device, {"protocol": "q1"})
        session.init()
        result = session.walk(full=True)
        assert result.status == status, answer
        assert result.alarms == alarms, answer


def test_ignoresab_drops_the_shutdown_active_bit() -> None:
    device = Device({"Q1": b"(215.0 195.0 230.0 014 49.0 22.7 30.0 00000010\r"}, b"")
    session = session_on(device, {"protocol": "q1", "ignoresab": ""})
    session.init()
    assert session.walk(full=True).status == ["OL"]


@pytest.mark.parametrize("bad", [
    b"NAK\r", b"(NAK\r", b"Q1\r", b"", None,
    b"(215.0 195.0 230.0 014 49.0 22.7 30.0 0000",      # truncated
    b"#215.0 195.0 230.0 014 49.0 22.7 30.0 00000000\r",  # wrong leading character
])
def test_bad_status_answers_fail_the_walk_and_keep_old_values(bad: bytes | None) -> None:
    device = Device({"Q1": Q1_OK}, b"")
    session = session_on(device, {"protocol": "q1"})
    assert session.init().values["input.voltage"] == "215.0"
    device.answers["Q1"] = bad
    result = session.walk(full=True)
    assert not result.ok
    assert result.values["input.voltage"] == "215.0"


def test_garbage_fields_are_skipped_not_published() -> None:
    # A dash field and a non-binary status word: each item is skipped alone.
    answer = b"(215.0 1-5.0 230.0 014 49.0 22.7 30.0 0000x000\r"
    device = Device({"Q1": answer}, b"")
    session = session_on(device, {"protocol": "q1"})
    values = session.init().values
    assert values["input.voltage"] == "215.0"
    assert "input.voltage.fault" not in values
    assert values["output.voltage"] == "230.0"
    assert "ups.type" not in values  # bit 42 is 'x'
    # A bad value is not a failed query: NUT keeps polling the row, and a good
    # answer publishes it later.
    device.answers["Q1"] = Q1_OK
    assert session.walk(full=True).values["input.voltage.fault"] == "195.0"


def test_rows_whose_query_failed_at_init_are_skipped_afterwards() -> None:
    # QX_FLAG_SKIP: "I" answered NAK at init, so full walks never send it again.
    device = q1_device({"I": b"NAK\r"})
    session = session_on(device, {"protocol": "megatec", "novendor": ""})
    session = QxSession(session.protocol, device, {})
    values = session.init().values
    assert "ups.serial" not in values
    device.answers["I"] = b"#MegaTecabcedfhi k130v12345 v3.400000\r"
    device.sent.clear()
    session.walk(full=True)
    assert b"I\r" not in device.sent


def test_answer_without_cr_is_short_as_in_nut() -> None:
    # answer_len counts the CR: 46 characters without it are a short reply.
    device = Device({"Q1": Q1_OK[:-1]}, b"")
    with pytest.raises(ProtocolError):
        detect(device, {"protocol": "q1"})


def test_stale_answer_to_an_earlier_command_is_not_a_value() -> None:
    # voltpolska: QS first answered "V" (the reply to M): NUT calls it a short reply.
    device = Device({"QS": b"V\r"}, b"")
    with pytest.raises(ProtocolError):
        detect(device, {"protocol": "mustek"})
    assert device.sent == [b"QS\r"] * 3  # three tries, as nutdrv_qx's MAXTRIES


def test_all_zero_answers_of_uninitialised_bridges_give_nuts_zeros() -> None:
    # frys/mec0003 (0001:0000) answer Q1 with zeros; NUT 2.8.0 publishes them as-is.
    session = session_on(replay("frys-0001-china-ups-nut2307"))
    session.init()
    values = session.walk(full=False).values
    assert values["input.voltage"] == "0.0"
    assert values["battery.voltage"] == "0.00"
    assert values["ups.type"] == "online"


def test_runtimecal_guesstimation_matches_nut_285() -> None:
    # NUT 2.8.5, -x protocol=mustek -x runtimecal=240,100,720,50 -x chargetime=3600
    # -x idleload=5 -x pollfreq=1 on synthetic-voltronic-qs: charge 100, runtime 4800.
    now = [1000.0]
    options = {"protocol": "mustek", "runtimecal": "240,100,720,50", "chargetime": "3600",
               "idleload": "5"}
    session = session_on(replay("synthetic-voltronic-qs-testing"), options, lambda: now[0])
    init = session.init()
    assert init.values["battery.charge"] == "100"
    assert init.values["battery.voltage.low"] == "10.40"
    assert init.values["battery.voltage.high"] == "13.00"
    now[0] += 2
    result = session.walk(full=True)
    assert result.values["battery.charge"] == "100"
    assert result.values["battery.runtime"] == "4800"


def test_runtime_runs_down_on_battery() -> None:
    now = [0.0]
    device = Device({"Q1": b"(230.0 195.0 230.0 050 49.0 26.0 30.0 00001000\r",
                     "F": b"#230.0 004 024.0 50.0\r"}, b"")
    options = {"protocol": "megatec", "novendor": "", "runtimecal": "600,100,1800,50"}
    session = session_on(device, options, lambda: now[0])
    session.init()
    device.answers["Q1"] = b"(000.0 195.0 230.0 050 00.0 26.0 30.0 10001000\r"
    now[0] += 100
    result = session.walk(full=True)
    assert result.status == ["OB"]
    # exp = log 3 / log 2; nominal runtime 600 s at full load; load 50% -> 1/3 effort.
    charge = int(result.values["battery.charge"])
    runtime = int(result.values["battery.runtime"])
    assert 80 <= charge < 100
    assert runtime < 1800


def test_order_is_nuts_and_unbuilt_protocols_are_named(
        monkeypatch: pytest.MonkeyPatch) -> None:
    assert len(ORDER) == 20
    assert ORDER[0] == "voltronic" and ORDER[-1] == "q1"
    assert ORDER.index("mustek") < ORDER.index("megatec/old") < ORDER.index("bestups") \
        < ORDER.index("mecer") < ORDER.index("megatec") < ORDER.index("zinto")
    monkeypatch.setitem(PROTOCOLS, "gtec", None)  # as an unbuilt slot looks
    with pytest.raises(ConfigError, match=r"'gtec'.*not implemented"):
        lookup("gtec")
    with pytest.raises(ConfigError, match=r"unknown Q\* protocol"):
        detect(Device({}), {"protocol": "blazer"})
    assert lookup("MegaTec").name == "megatec"


@pytest.mark.parametrize(("options", "option"), [
    ({"ondelay": "soon"}, "ondelay"),
    ({"offdelay": "1.5"}, "offdelay"),
    ({"runtimecal": "240,100"}, "runtimecal"),
    ({"runtimecal": "240,100,100,50"}, "runtimecal"),
    ({"idleload": "150"}, "idleload"),
    ({"chargetime": "0"}, "chargetime"),
    ({"pollfreq": "x"}, "pollfreq"),
])
def test_bad_options_name_option_and_value(options: dict[str, str], option: str) -> None:
    with pytest.raises(ConfigError) as caught:
        session_on(Device({"Q1": Q1_OK}, b""), {"protocol": "q1", **options})
    assert caught.value.option == option
    assert option in str(caught.value) and next(iter(options.values())) in str(caught.value)


def test_out_of_range_ondelay_fails_init() -> None:
    session = session_on(Device({"Q1": Q1_OK}, b""), {"protocol": "q1", "offdelay": "700"})
    with pytest.raises(ConfigError, match="offdelay='700'"):
        session.init()


def test_killpower_cancels_then_shuts_down() -> None:
    device = Device({"Q1": Q1_OK}, b"")
    session = session_on(device, {"protocol": "q1", "offdelay": "120", "ondelay": "300"})
    device.sent.clear()
    assert session.killpower()
    assert device.sent == [b"C\r", b"S02R0005\r"]
    stayoff = session_on(Device({"Q1": Q1_OK}, b""), {"protocol": "q1", "stayoff": ""})
    assert isinstance(stayoff.engine.query, Device)
    stayoff.engine.query.sent.clear()
    assert stayoff.killpower()
    assert stayoff.engine.query.sent == [b"C\r", b"S.5R0000\r"]


def test_novendor_and_norating_skip_their_queries() -> None:
    device = q1_device()
    session = session_on(device, {"protocol": "megatec", "novendor": "", "norating": ""})
    values = session.init().values
    assert b"I\r" not in device.sent and b"F\r" not in device.sent
    assert "device.mfr" not in values and "input.voltage.nominal" not in values


def test_update_chooses_full_walks_like_nut_and_goes_stale() -> None:
    now = [100.0]
    device = Device({"Q1": Q1_OK, "F": b"#230.0 004 024.0 50.0\r"}, b"")
    session = session_on(device, {"protocol": "megatec", "novendor": "", "pollfreq": "10"},
                         lambda: now[0])
    session.init()
    assert not session.full_due()  # the first loop after init is a quick one
    device.sent.clear()
    assert session.update().ok
    assert device.sent == [b"Q1\r"]
    now[0] += 11
    assert session.full_due()
    session.update()
    assert not session.full_due()
    assert session.instcmd("beeper.toggle", None) is S.HANDLED
    assert session.full_due()  # data_has_changed after a command
    device.answers["Q1"] = None
    for _ in range(4):
        assert not session.stale
        assert not session.update().ok
    assert session.stale
    device.answers["Q1"] = Q1_OK
    assert session.update().ok and not session.stale


def test_override_values_win_over_the_device() -> None:
    device = Device({"Q1": Q1_OK}, b"")
    session = session_on(device, {"protocol": "q1", "override.input.voltage": "230.0",
                                  "default.ups.mfr": "Acme"})
    session.init()
    values = session.walk(full=True).values
    assert values["input.voltage"] == "230.0"
    assert values["ups.mfr"] == "Acme"
    assert values["output.voltage"] == "230.0"
