"""NUT 2.8.5's ``q2`` and ``q6`` Q* protocols (3-phase online UPSes): unit tests.

The answers are NUT 2.8.5's own (``q2_testing[]``/``q6_testing[]`` in
``drivers/nutdrv_qx_q2.c``/``_q6.c``) and the expected values are what NUT 2.8.5's
nutdrv_qx published for them on upsemu (``tests/data/qx/q*-testing.ups``; the
differential against the running NUT is ``test_qx_q2_q6_nut.py``).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from qx_testlib import Device

from hidups.errors import ProtocolError
from hidups.qx import CommandStatus, QxSession, detect
from hidups.qx.items import QxFlag
from hidups.qx.multipliers import multiply_m2s, multiply_x1000
from hidups.qx.q2 import Q2, topology_bits
from hidups.qx.q6 import Q6
from hidups.qx.registry import ORDER, PROTOCOLS

S = CommandStatus

Q2_ANSWER = ("(226.6 224.3 228.0 226.6 229.9 000.0 000.0 000 000 000 49.9 327.6 18.0 "
             "00000000 999.24 100 02 00 00 00 00 00000000 11")
Q6_ANSWER = ("(227.0 225.6 230.0 50.0 229.9 000.0 000.0 49.9 007 000 000 327.8 000.0 23.0 "
             "06932 100 32 00000000 00000000 11")
WA_ANSWER = "(001.4 000.0 000.0 001.4 000.0 000.0 001.4 001.4 006.5 000.0 000.0 007 00000000"
Q1_ANSWER = "(215.0 195.0 230.0 014 49.0 22.7 30.0 00000000"

#: NUT 2.8.5's nutdrv_qx on these answers (protocol=q2 / q6), driver.* and IDs left out.
COMMON = {
    "device.type": "ups", "experimental.input.topology": "star",
    "experimental.output.topology": "star", "input.phases": "3", "output.phases": "3",
    "output.L1-N.voltage": "229.9", "output.L2-N.voltage": "0.0", "output.L3-N.voltage": "0.0",
    "output.L1.current": "6.5", "output.L2.current": "0.0", "output.L3.current": "0.0",
    "output.L1.power": "1400.00", "output.L2.power": "0.00", "output.L3.power": "0.00",
    "output.L1.realpower": "1400.00", "output.L2.realpower": "0.00",
    "output.L3.realpower": "0.00", "output.L2.load": "0", "output.L3.load": "0",
    "ups.beeper.status": "disabled", "ups.delay.shutdown": "30", "ups.delay.start": "180",
    "ups.load": "7", "ups.power": "1400.00", "ups.realpower": "1400.00",
    "ups.type": "online", "battery.charge": "100",
}
NUT_VALUES = {
    "q2": {**COMMON, "battery.runtime": "59954", "battery.voltage": "327.6",
           "input.frequency": "49.9", "input.L1-N.voltage": "226.6",
           "input.L2-N.voltage": "224.3", "input.L3-N.voltage": "228.0",
           "input.voltage.fault": "226.6", "output.L1.load": "0", "ups.temperature": "18.0"},
    "q6": {**COMMON, "battery.runtime": "6932", "battery.voltage": "327.8",
           "experimental.battery.voltage.negative": "000.0", "input.frequency": "50.0",
           "input.L1-N.voltage": "227.0", "input.L2-N.voltage": "225.6",
           "input.L3-N.voltage": "230.0", "output.frequency": "49.9",
           "output.L1.load": "7", "ups.temperature": "23.0"},
}
FIRST = {"q2": ("Q2", Q2_ANSWER), "q6": ("Q6", Q6_ANSWER)}
PROTOCOL = {"q2": Q2, "q6": Q6}


def answers(name: str, **changes: str | None) -> dict[str, bytes | None]:
    """The protocol's testing-table answers (with CR); ``changes`` replace some."""
    command, first = FIRST[name]
    table: dict[str, str | None] = {command: first, "WA": WA_ANSWER, "Q1": Q1_ANSWER}
    table.update(changes)
    return {k: None if v is None else (v + "\r").encode() for k, v in table.items()}


class Echoing(Device):
    """A scripted device that echoes commands it has no answer for."""

    def __call__(self, command: bytes) -> bytes | None:
        self.sent.append(command)
        key = command.decode("latin-1").rstrip("\r")
        return self.answers.get(key, command)


def session(name: str, options: dict[str, str] | None = None,
            **changes: str | None) -> tuple[QxSession, Echoing]:
    dev = Echoing(answers(name, **changes))
    opts = {"protocol": name, **(options or {})}
    return QxSession(detect(dev, opts), dev, opts), dev


def values(result_values: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in result_values.items() if not k.startswith("driver.")}


# -- the tables ---------------------------------------------------------------------

#: Counted in NUT 2.8.5's q2_qx2nut[]/q6_qx2nut[]: rows per command and per flag.
NUT_ROWS = {
    "q2": {"rows": 49, "Q2\r": 17, "WA\r": 12, "Q1\r": 8, "CMD": 10, "SETVAR": 2,
           "QUICK_POLL": 5, "STATIC": 3},
    "q6": {"rows": 50, "Q6\r": 18, "WA\r": 12, "Q1\r": 8, "CMD": 10, "SETVAR": 2,
           "QUICK_POLL": 5, "STATIC": 3},
}


@pytest.mark.parametrize("name", ["q2", "q6"])
def test_table_has_nut_rows(name: str) -> None:
    table = PROTOCOL[name].table
    counts = NUT_ROWS[name]
    assert len(table) == counts["rows"]
    for key, count in counts.items():
        if key.endswith("\r"):
            assert sum(item.command == key for item in table) == count, key
        elif key != "rows":
            flag = QxFlag[key]
            assert sum(bool(item.flags & flag) for item in table) == count, key
    assert PROTOCOL[name].version == f"{name.upper()} 0.01"
    assert PROTOCOL[name].accepted == "ACK" and PROTOCOL[name].rejected is None
    assert PROTOCOLS[name] is PROTOCOL[name]
    assert ORDER.index("innovatae") < ORDER.index("q2") < ORDER.index("q6") < ORDER.index("q1")


@pytest.mark.parametrize("name", ["q2", "q6"])
def test_every_numeric_row_cuts_a_whole_field_of_the_testing_answer(name: str) -> None:
    """An off-by-one ``from``/``to`` would cut a blank or half a field: each numeric row's
    cut of NUT's own answer is a whole space-delimited field."""
    full = {"Q2\r": Q2_ANSWER, "Q6\r": Q6_ANSWER, "WA\r": WA_ANSWER, "Q1\r": Q1_ANSWER}
    for item in PROTOCOL[name].table:
        if item.command not in full or item.dfl in (None, "%s"):
            continue
        answer = full[item.command]
        cut = answer[item.start:item.end + 1]
        assert " " not in cut and cut, (item.name, cut)
        assert answer[item.start - 1] in " (" and answer[item.end + 1:item.end + 2] in (" ", ""), \
            item.name
        assert len(answer) + 1 == item.answer_len, item.name


# -- NUT's testing answers ----------------------------------------------------------

@pytest.mark.parametrize("name", ["q2", "q6"])
def test_testing_answers_give_nut_values(name: str) -> None:
    ses, dev = session(name)
    init = ses.init()
    assert init.ok
    full = ses.walk(full=True)
    assert full.ok and full.status == ["OL"] and full.alarms == []
    # device.type is the driver core's (the driver process publishes it, see the
    # differential), not the protocol's
    assert values(full.values) == {k: v for k, v in NUT_VALUES[name].items()
                                   if k != "device.type"}
    assert full.values["driver.version.data"] == f"{name.upper()} 0.01"
    assert full.commands == ["beeper.toggle", "load.off", "load.on", "shutdown.return",
                             "shutdown.stayoff", "shutdown.stop", "test.battery.start",
                             "test.battery.start.deep", "test.battery.start.quick",
                             "test.battery.stop"]
    assert full.rw["ups.delay.start"].range == [(0, 599940)]
    assert full.rw["ups.delay.shutdown"].range == [(12, 600)]
    # a FULL walk asks each of the three answers once per distinct run of rows
    assert set(dev.sent) == {f"{name.upper()}\r".encode(), b"WA\r", b"Q1\r"}


@pytest.mark.parametrize("name", ["q2", "q6"])
def test_phases_are_three_whatever_the_unit_reports(name: str) -> None:
    """``q*_initinfo`` sets input/output.phases to 3 last in initinfo (one loaded phase
    here, as in NUT's own table)."""
    ses, _ = session(name)
    init = ses.init()
    assert init.values["input.phases"] == "3" and init.values["output.phases"] == "3"


# -- the claim ------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["q2", "q6"])
def test_claim_needs_the_three_answers_in_nut_order(name: str) -> None:
    command = FIRST[name][0]
    dev = Echoing(answers(name))
    protocol = detect(dev, {"protocol": name})
    assert protocol.name == name
    assert dev.sent == [f"{command}\r".encode(), b"Q1\r", b"WA\r"]
    assert protocol.claimed == {"input.L1-N.voltage": NUT_VALUES[name]["input.L1-N.voltage"],
                                "ups.type": "online", "output.L1.current": "6.5"}


@pytest.mark.parametrize("name", ["q2", "q6"])
@pytest.mark.parametrize("missing", ["first", "Q1", "WA"])
def test_claim_fails_without_one_answer(name: str, missing: str) -> None:
    key = FIRST[name][0] if missing == "first" else missing
    dev = Echoing({k: v for k, v in answers(name).items() if k != key})
    with pytest.raises(ProtocolError, match="no protocol claimed"):
        detect(dev, {"protocol": name})
    # NUT tries a subdriver up to three times
    assert dev.sent.count(f"{key}\r".encode()) == 3


@pytest.mark.parametrize("name", ["q2", "q6"])
def test_nooutstats_claims_without_wa_and_never_asks_it(name: str) -> None:
    ses, dev = session(name, {"nooutstats": ""}, WA=None)
    assert ses.init().ok
    full = ses.walk(full=True)
    assert b"WA\r" not in dev.sent
    assert not any(k.startswith(("output.L1.", "ups.power", "ups.realpower"))
                   and k != "output.L1.load" for k in full.values), sorted(full.values)
    assert "ups.load" not in full.values  # WA's too
    assert full.values["output.L1.load"] == NUT_VALUES[name]["output.L1.load"]


def test_autodetection_reaches_q2_and_q6_only_without_a_numeric_q1_voltage() -> None:
    """innovatae (before q2 in NUT 2.8.5's order) claims any Q1 answer with a numeric
    input voltage; 3-phase units whose Q1 gives none are left to q2/q6."""
    q1 = "(---.- ---.- 230.1 043 --.- 54.6 31.5 10000001"
    assert detect(Echoing(answers("q2", Q1=q1)), {}).name == "q2"
    assert detect(Echoing(answers("q6", Q1=q1)), {}).name == "q6"
    both = answers("q2", Q1=q1)
    both.update(answers("q6", Q1=q1))
    assert detect(Echoing(both), {}).name == "q2"  # q2 comes first


# -- status bits ------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["q2", "q6"])
@pytest.mark.parametrize(("flags", "status", "alarms", "extra"), [
    ("10000001", ["OB"], [], {"ups.beeper.status": "enabled"}),
    ("11000000", ["OB", "LB"], [], {}),
    ("00000100", ["OL", "CAL"], [], {}),
    ("00000010", ["OL", "FSD"], ["Shutdown imminent!"], {}),
    ("00001000", ["OL"], [], {"ups.type": "offline / line interactive"}),
    ("00010000", ["OL"], ["UPS selftest failed!"], {}),
])
def test_status_and_alarm_bits(name: str, flags: str, status: list[str], alarms: list[str],
                               extra: dict[str, str]) -> None:
    ses, _ = session(name, Q1=Q1_ANSWER[:-8] + flags)
    ses.init()
    full = ses.walk(full=True)
    assert full.ok and full.status == status and full.alarms == alarms
    for key, value in extra.items():
        assert full.values[key] == value


@pytest.mark.parametrize("name", ["q2", "q6"])
def test_ignoresab_drops_the_shutdown_active_bit(name: str) -> None:
    ses, _ = session(name, {"ignoresab": ""}, Q1=Q1_ANSWER[:-8] + "00000010")
    ses.init()
    full = ses.walk(full=True)
    assert full.status == ["OL"] and full.alarms == []


@pytest.mark.parametrize("name", ["q2", "q6"])
def test_bypass_bit_without_single_phase_voltages_fails_the_status_poll(name: str) -> None:
    """Bit 40 compares input.voltage and output.voltage, which q2/q6 never publish: NUT
    2.8.5 calls strtod(NULL) and crashes (segfault, checked on upsemu); hidups refuses the
    bit, so the status poll fails (data goes stale) and no wrong TRIM/BOOST is shown."""
    ses, _ = session(name, Q1=Q1_ANSWER[:-8] + "00100000")
    assert not ses.init().ok
    quick = ses.walk(full=False)
    assert not quick.ok
    assert not {"TRIM", "BOOST", "BYPASS"} & set(quick.status)


# -- helpers ---------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "out"), [
    ("001.4", "1400.00"), ("006.5", "6500.00"), ("1.3", "1300.00"), (" 2", "2000.00"),
    ("000.0", "0.00"), ("12.3x", "12300.00"), ("abc", None), ("", None), (" . ", None),
])
def test_multiply_x1000_is_sscanf_float_times_1000(text: str, out: str | None) -> None:
    assert multiply_x1000(None, Q2.table[0], text) == out  # type: ignore[arg-type]


@pytest.mark.parametrize(("text", "out"), [
    ("999.24", "59954"), ("012.50", "750"), ("000.00", "0"), ("0.01", "1"),
    ("---.--", None), ("", None),
])
def test_multiply_m2s_is_minutes_to_seconds(text: str, out: str | None) -> None:
    assert multiply_m2s(None, Q2.table[0], text) == out  # type: ignore[arg-type]


def test_topology_bits() -> None:
    process = topology_bits(115, 116)
    engine = session("q2")[0].engine
    inp = next(i for i in Q2.table if i.name == "experimental.input.topology")
    out = next(i for i in Q2.table if i.name == "experimental.output.topology")
    wrong = next(i for i in Q6.table if i.name == "experimental.input.topology")
    assert process(engine, inp, "1") == "star" and process(engine, out, "0") == "delta"
    assert process(engine, inp, "2") is None and process(engine, inp, "") is None
    assert process(engine, inp, " ") is None
    assert process(engine, wrong, "1") is None  # NUT's switch knows only its two columns


# -- bad answers: never a wrong value --------------------------------------------------

def _truncated(text: str) -> str:
    return text[:-3]


BAD: dict[str, Callable[[str], str]] = {
    "nak": lambda text: "(NAK",
    "truncated": _truncated,
    "garbage": lambda text: "(" + "X" * (len(text) - 1),
    "wrong leading char": lambda text: "#" + text[1:],
    "empty": lambda text: "",
}


@pytest.mark.parametrize("name", ["q2", "q6"])
@pytest.mark.parametrize("bad", sorted(BAD))
def test_bad_main_answer_publishes_nothing_from_it(name: str, bad: str) -> None:
    """The claim saw a good answer; from then on the UPS answers badly: none of the main
    answer's variables appear (only the one the claim read), WA and Q1 still do."""
    command, good = FIRST[name]
    ses, dev = session(name)
    dev.answers[command] = (BAD[bad](good) + "\r").encode() if bad != "empty" else b""
    init = ses.init()
    assert init.ok
    from_main = {i.name for i in PROTOCOL[name].table if i.command == f"{command}\r"}
    published = from_main & set(init.values)
    passed_through = set()
    if bad == "garbage":
        # qx_multiply_battvolt passes the UPS's text on unchecked (no numeric test when
        # a row has a preprocess): NUT 2.8.5 publishes these too (q6-garbled.ups in the
        # differential), and hidups keeps NUT's behaviour
        passed_through = {"battery.voltage", "experimental.battery.voltage.negative"}
        passed_through &= from_main
        for var in passed_through:
            assert init.values[var] == "XXXXX"
    assert published == {"input.L1-N.voltage"} | passed_through
    assert init.values["input.L1-N.voltage"] == NUT_VALUES[name]["input.L1-N.voltage"]
    assert init.values["output.L1.current"] == "6.5" and init.values["ups.type"] == "online"


@pytest.mark.parametrize("name", ["q2", "q6"])
def test_silent_main_answer_publishes_nothing_from_it(name: str) -> None:
    command, _ = FIRST[name]
    ses, dev = session(name)
    dev.answers[command] = None
    init = ses.init()
    assert init.ok
    from_main = {i.name for i in PROTOCOL[name].table if i.command == f"{command}\r"}
    assert from_main & set(init.values) == {"input.L1-N.voltage"}


@pytest.mark.parametrize("name", ["q2", "q6"])
def test_one_garbled_field_loses_only_that_field(name: str) -> None:
    command, good = FIRST[name]
    garbled = good[:7] + "22X.3" + good[12:]  # input.L2-N.voltage
    ses, dev = session(name)
    dev.answers[command] = (garbled + "\r").encode()
    init = ses.init()
    assert "input.L2-N.voltage" not in init.values
    assert init.values["input.L3-N.voltage"] == NUT_VALUES[name]["input.L3-N.voltage"]
    assert init.values["battery.charge"] == "100"


@pytest.mark.parametrize("name", ["q2", "q6"])
def test_bad_answers_after_init_keep_the_last_good_values(name: str) -> None:
    """A FULL walk on bad answers changes nothing: NUT keeps the last values."""
    command = FIRST[name][0]
    ses, dev = session(name)
    before = values(ses.init().values)
    dev.answers[command] = b"(NAK\r"
    dev.answers["WA"] = ("(" + "Z" * 78 + "\r").encode()
    after = ses.walk(full=True)
    assert after.ok and values(after.values) == before


@pytest.mark.parametrize("name", ["q2", "q6"])
@pytest.mark.parametrize("q1", ["(NAK", "(215.0 195.0 230.0 014 49.0 22.7 30.0 0000000",
                                "(215.0 195.0 230.0 014 49.0 22.7 30.0 20000000", None])
def test_bad_status_answer_fails_the_poll(name: str, q1: str | None) -> None:
    ses, dev = session(name)
    ses.init()
    dev.answers["Q1"] = None if q1 is None else (q1 + "\r").encode()
    quick = ses.walk(full=False)
    assert not quick.ok


@pytest.mark.parametrize("name", ["q2", "q6"])
def test_topology_digit_out_of_01_is_not_published(name: str) -> None:
    command, good = FIRST[name]
    ses, dev = session(name)
    dev.answers[command] = (good[:-2] + "21\r").encode()
    init = ses.init()
    assert "experimental.input.topology" not in init.values
    assert init.values["experimental.output.topology"] == "star"


# -- commands and setvars -------------------------------------------------------------

#: NUT's testing tables list these commands and bytes (the delays at their defaults,
#: 30 s and 180 s, give S.5R0003 for shutdown.return).
COMMANDS = [
    ("beeper.toggle", None, b"Q\r"), ("load.off", None, b"S00R0000\r"),
    ("load.on", None, b"C\r"), ("shutdown.return", None, b"S.5R0003\r"),
    ("shutdown.stayoff", None, b"S.5R0000\r"), ("shutdown.stop", None, b"C\r"),
    ("test.battery.start", "240", b"T04\r"), ("test.battery.start", None, b"T10\r"),
    ("test.battery.start.deep", None, b"TL\r"), ("test.battery.start.quick", None, b"T\r"),
    ("test.battery.stop", None, b"CT\r"),
]


@pytest.mark.parametrize("name", ["q2", "q6"])
def test_commands_send_nut_bytes(name: str) -> None:
    ses, dev = session(name)
    for command in ("Q", "S", "C", "T", "CT", "TL"):
        dev.answers[command] = b"ACK\r"
    ses.init()
    for cmd, param, wire in COMMANDS:
        dev.sent.clear()
        dev.answers[wire.decode().rstrip("\r")] = b"ACK\r"
        assert ses.instcmd(cmd, param) is S.HANDLED, cmd
        assert dev.sent == [wire], cmd


@pytest.mark.parametrize("name", ["q2", "q6"])
def test_delays_change_the_shutdown_bytes(name: str) -> None:
    ses, dev = session(name)
    ses.init()
    assert ses.setvar("ups.delay.shutdown", "125") is S.HANDLED  # rounded to 120
    assert ses.setvar("ups.delay.start", "290") is S.HANDLED  # rounded to 240
    dev.sent.clear()
    ses.instcmd("shutdown.return", None)
    ses.instcmd("shutdown.stayoff", None)
    assert dev.sent == [b"S02R0004\r", b"S02R0000\r"]


@pytest.mark.parametrize("name", ["q2", "q6"])
@pytest.mark.parametrize(("var", "value"), [
    ("ups.delay.shutdown", "11"), ("ups.delay.shutdown", "601"),
    ("ups.delay.start", "599941"), ("ups.delay.start", "-1"), ("ups.delay.start", "abc"),
])
def test_setvar_out_of_range_is_refused_before_anything_is_sent(name: str, var: str,
                                                                  value: str) -> None:
    ses, dev = session(name)
    before = ses.init().values[var]
    dev.sent.clear()
    # NUT 2.8.5's setvar answers UNKNOWN for a non-numeric or out-of-range value
    assert ses.setvar(var, value) is S.UNKNOWN
    assert dev.sent == []
    assert ses.engine.getinfo(var) == before


@pytest.mark.parametrize("name", ["q2", "q6"])
@pytest.mark.parametrize("param", ["59", "5941", "-60"])
def test_battery_test_out_of_range_sends_nothing(name: str, param: str) -> None:
    ses, dev = session(name)
    ses.init()
    dev.sent.clear()
    assert ses.instcmd("test.battery.start", param) is S.FAILED
    assert dev.sent == []


@pytest.mark.parametrize("name", ["q2", "q6"])
def test_a_command_the_ups_does_not_ack_fails(name: str) -> None:
    ses, dev = session(name)
    ses.init()
    dev.answers["CT"] = b"(NAK\r"
    assert ses.instcmd("test.battery.stop", None) is S.FAILED
    assert ses.instcmd("no.such.command", None) is S.INVALID


@pytest.mark.parametrize("name", ["q2", "q6"])
def test_a_longer_answer_is_read_as_nut_reads_it(name: str) -> None:
    """NUT checks a minimum length only: extra fields after NUT's layout change nothing."""
    command, good = FIRST[name]
    ses, dev = session(name)
    dev.answers[command] = (good + " 00 EXTRA\r").encode()
    init = ses.init()
    for var in ("battery.charge", "battery.runtime", "experimental.output.topology"):
        assert init.values[var] == NUT_VALUES[name][var], var


def test_one_pack_voltage_is_multiplied_at_init_as_nut_does() -> None:
    """battery_voltage_reports_one_pack with battery.packs 2: NUT 2.8.5 publishes
    battery.voltage 436.80 on q6-3phase.ups and leaves the negative string's 217.9 as
    read (its initbattery multiplies battery.voltage only), checked on upsemu."""
    from pathlib import Path

    from hidups.qx.replay import DeviceFileQuery

    path = Path(__file__).parent / "data" / "qx" / "q6-3phase.ups"
    query = DeviceFileQuery(path.read_text(), path.name, chunk=8)
    opts = {"protocol": "q6", "battery_voltage_reports_one_pack": "",
            "default.battery.packs": "2"}
    init = QxSession(detect(query, opts), query, opts).init()
    assert init.values["battery.voltage"] == "436.80"
    assert init.values["experimental.battery.voltage.negative"] == "217.9"
