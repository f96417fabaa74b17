"""hidups.qx's masterguard protocol (Masterguard A and E series) against NUT 2.8.5.

NUT's masterguard testing table is empty; the answers are the real examples its item
table quotes (``tests/data/qx/masterguard-a700.ups``, a 1-phase A700; ``-e100.ups``, a
3-phase E100 on bypass with a worn-out, disconnected battery). Expected values are NUT
2.8.5's own (nutdrv_qx run on upsemu with these files), and the differential tests
below run it again next to the hidups driver.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
import qx_driver_util as qd
from conftest import ROOT, require_nut
from qx_daemon_util import daemon, killpower

from hidups.errors import ProtocolError
from hidups.qx import detect
from hidups.qx.engine import Engine
from hidups.qx.items import CommandStatus as S
from hidups.qx.items import Item, QxFlag
from hidups.qx.masterguard import MASTERGUARD
from hidups.qx.masterguard import commands as mc
from hidups.qx.masterguard import convert as mv
from hidups.qx.masterguard.table import TABLE
from hidups.qx.registry import PROTOCOLS
from hidups.qx.replay import DeviceFileQuery
from hidups.qx.session import QxSession

DATA = Path(__file__).parent / "data" / "qx"
A700 = DATA / "masterguard-a700.ups"
E100 = DATA / "masterguard-e100.ups"
DEVICES = {"a700": A700, "e100": E100}


class Phoenixtec:
    """A device file as nutdrv_qx's phoenixtec subdriver reads it: silence is an empty
    answer (0 bytes), never None; ``replace`` rewrites answers for a test."""

    def __init__(self, path: Path, **replace: bytes | None) -> None:
        self.file = DeviceFileQuery(path.read_text(), path.name)
        self.file.answers.update(replace)
        self.sent = self.file.sent

    def __call__(self, command: bytes) -> bytes | None:
        answer = self.file(command)
        return b"" if answer is None else answer


def session_on(query: Phoenixtec, **options: str) -> QxSession:
    opts = {"protocol": "masterguard", **options}
    return QxSession(detect(query, opts), query, opts)


def walked(path: Path, **replace: bytes | None) -> tuple[QxSession, dict[str, str]]:
    session = session_on(Phoenixtec(path, **replace))
    session.init()
    result = session.walk(full=True)
    return session, dict(result.values, **{"ups.status": " ".join(result.status)})


# --- the table and the claim ---------------------------------------------------------

def test_table_has_nuts_rows() -> None:
    # masterguard_qx2nut[] of NUT 2.8.5 has 81 active rows (load.on/off are under #if 0,
    # a WH battery.packs row is commented out): 3 absent, 20 WH, 23 Q3, 20 settings and
    # readings of GS/GBS/GSN/DRC/SRC/MSO/PNV/FLT, 13 commands, 2 server-side delays
    kinds = {"cmd": sum(1 for i in TABLE if i.flags & QxFlag.CMD),
             "setvar": sum(1 for i in TABLE if i.flags & QxFlag.SETVAR),
             "status/alarm": sum(1 for i in TABLE if i.name in ("ups.status", "ups.alarm")),
             "wh": sum(1 for i in TABLE if i.command == "WH\r"),
             "q3": sum(1 for i in TABLE if i.command == "Q3\r"),
             "slave-addressed": sum(1 for i in TABLE if i.precommand is not None)}
    assert kinds == {"cmd": 13, "setvar": 6, "status/alarm": 9, "wh": 20, "q3": 23,
                     "slave-addressed": 20}
    assert len(TABLE) == 81
    assert [i.name for i in TABLE[:3]] == ["device.mfr", "load.high", "battery.type"]
    assert PROTOCOLS["masterguard"] is MASTERGUARD


def test_claim_reads_the_identity_without_publishing_it() -> None:
    query = Phoenixtec(A700)
    protocol = detect(query, {"protocol": "masterguard"})
    # NUT's claim: WH for series, model, power, id; then MSO (upsemu log of NUT 2.8.5)
    assert [c.decode() for c in query.sent] == ["WH\r"] * 4 + ["MSO\r"]
    assert protocol.claim_state["series"] == "A"
    assert protocol.claim_state["slaveaddr"] == "00"
    assert protocol.claim_state["power"] == 700
    assert protocol.claim_state["outvolts"] == ("220", "230", "240")
    assert protocol.claim_state["batpacks"] == ("0", "0")  # A700: no extra packs
    assert "device.model" not in protocol.claimed and "ups.id" not in protocol.claimed


@pytest.mark.parametrize(("answers", "why"), [
    ({"WH": None}, "silence"),
    ({"WH": b"(NAK\r"}, "NAK: too short"),
    ({"WH": b"(00 10.06 03.09 A  700  + 0 Bat Pack-19\r"}, "truncated"),
    ({"WH": b"(00 10.06 03.09 B  700" + b" " * 90 + b"\r"}, "unknown series"),
    ({"WH": b"(00 10.06 03.09 A  800" + b" " * 90 + b"\r"}, "unknown model"),
    ({"WH": b"#00 10.06 03.09 A  700" + b" " * 90 + b"\r"}, "wrong leading char"),
    ({"MSO": None}, "no output voltages"),
])
def test_claim_refuses_bad_identity(answers: dict[str, bytes | None], why: str) -> None:
    with pytest.raises(ProtocolError):
        detect(Phoenixtec(A700, **answers), {"protocol": "masterguard"})


@pytest.mark.parametrize(("wanted", "claims"), [
    ("00", True), ("0", True), ("01", False), ("", False), ("abc", False), ("100", False),
    ("-1", False)])
def test_slave_address_option(wanted: str, claims: bool) -> None:
    query = Phoenixtec(A700)
    options = {"protocol": "masterguard", "slave_address": wanted}
    if claims:
        assert detect(query, options).name == "masterguard"
    else:
        with pytest.raises(ProtocolError):
            detect(query, options)


# --- values ----------------------------------------------------------------------------

#: NUT 2.8.5's dump of masterguard-a700.ups (the UPS's variables)
A700_NUT = {
    "ambient.0.temperature": "23.4", "ambient.0.temperature.high": "40",
    "ambient.0.temperature.low": "10", "battery.charge": "100", "battery.packs": "0",
    "battery.runtime": "1023", "battery.type": "PbAc", "battery.voltage": "27.24",
    "battery.voltage.nominal": "27.60", "device.mfr": "Masterguard",
    "device.model": "A700-19", "device.part": "6A1212", "device.serial": "2782",
    "device.uptime": "161550397", "input.frequency": "50.0",
    "input.frequency.high": "53.00", "input.frequency.low": "47.00",
    "input.frequency.nominal": "50.00", "input.voltage": "225.9",
    "input.voltage.high.critical": "276", "input.voltage.low.critical": "160",
    "input.voltage.nominal": "230", "load.high": "140", "output.current": "1.32",
    "output.current.nominal": "3.06", "output.voltage": "229.3",
    "output.voltage.nominal": "230", "ups.beeper.status": "enabled",
    "ups.delay.shutdown": "30", "ups.delay.start": "180", "ups.firmware": "10.06",
    "ups.firmware.aux": "03.09", "ups.id": "00", "ups.load": "43", "ups.power": "302",
    "ups.power.nominal": "700", "ups.status": "OL", "ups.temperature": "23.4",
    "ups.test.result": "no test in progress", "ups.type": "online"}


def test_a700_values_are_nuts() -> None:
    session, values = walked(A700)
    assert {k: values.get(k) for k in A700_NUT} == A700_NUT
    # NONUT rows are read but never published
    assert not [k for k in values if k.startswith("experimental.")]
    rw = session.engine.rw
    assert rw["ups.id"].range == [(0, 99)]
    assert rw["battery.packs"].range == [(0, 0)]
    assert rw["output.voltage.nominal"].enum == ["220", "230", "240"]
    assert rw["device.uptime"].flags == ["RW"]
    assert rw["ups.delay.shutdown"].range == [(0, 5940)]
    assert rw["ups.delay.start"].range == [(0, 599940)]


def test_e100_status_alarms_and_3_phase_rating() -> None:
    session, values = walked(E100)
    # NUT 2.8.5 (upsemu, a FULL walk): "ALARM OL LB RB BYPASS",
    # ups.alarm "no battery connected Replace battery!"
    assert values["ups.status"] == "OL LB RB BYPASS"
    assert session.engine.alarm_words() == ["no battery connected", "Replace battery!"]
    assert values["device.model"] == "E100"
    assert values["ups.power.nominal"] == "10000"
    assert values["ups.power"] == "3900"
    assert values["output.current"] == "17.19"
    assert values["output.current.nominal"] == "44.08"
    assert values["battery.voltage"] == "441.60"  # 192 cells x 2.30 V
    assert values["battery.packs"] == "1"
    assert values["ups.beeper.status"] == "disabled"
    assert values["device.uptime"] == "3640559"
    assert session.engine.rw["battery.packs"].range == [(1, 1)]


@pytest.mark.parametrize(("q3", "why"), [
    (b"(NAK\r", "NAK"),
    (b"(00 225.9 225.9 229.3 043 50.0\r", "truncated"),
    (b"(00 225.9 225.9 229.3 043 50.0 02.27 23.4 017.03 100 0x000000 00000000\r",
     "garbage status bit"),
    (None, "silence"),
])
def test_bad_status_answer_fails_the_walk_and_publishes_nothing_new(
        q3: bytes | None, why: str) -> None:
    query = Phoenixtec(A700)
    session = session_on(query)
    session.init()
    query.file.answers["Q3"] = q3
    result = session.walk(full=False)
    assert not result.ok
    assert result.values["input.voltage"] == "225.9"  # the last good one, as NUT keeps it


def test_garbled_field_is_not_published() -> None:
    bad = b"(00 22x.9 225.9 229.3 043 50.0 02.27 23.4 0x7.03 100 00000000 00000000\r"
    _, values = walked(A700, Q3=bad)
    assert "input.voltage" not in values  # not a number: NUT refuses it
    assert "battery.runtime" not in values  # sscanf("%d.%d") stops at "0x7"
    assert values["output.voltage"] == "229.3"


# --- conversions -----------------------------------------------------------------------

def _item(name: str, start: int | None = None) -> Item:
    return next(i for i in TABLE if i.name == name and (start is None or i.start == start))


def _q3_flag(start: int) -> Item:
    return next(i for i in TABLE if i.start == start and i.command == "Q3\r")


def _engine() -> Engine:
    return session_on(Phoenixtec(A700)).engine


@pytest.mark.parametrize(("value", "out"), [
    ("017.03", "1023"), ("000.00", "0"), (" 12.5", "725"), ("12", None), ("x", None)])
def test_mmm_ss(value: str, out: str | None) -> None:
    assert mv.mmm_ss(_engine(), _item("battery.runtime"), value) == out


@pytest.mark.parametrize(("value", "out"), [
    ("A  700  + 0 Bat Pack-19       ", "A700-19"), ("A 1000  + 2 Bat Pack        ", "A1000"),
    ("A 2000-19", "A2000-19"), ("A 3000", "A3000"), ("E 60", "E60"), ("E200 3/3", "E200"),
    ("A 700", None), ("", None)])
def test_model(value: str, out: str | None) -> None:
    assert mv.model(_engine(), _item("device.model"), value) == out


def test_rack_models_take_more_battery_packs() -> None:
    engine = _engine()
    mv.model(engine, _item("device.model"), "A 3000 + 1 Bat Pack-19")
    assert engine.state["batpacks"] == ("1", "5")
    mv.model(engine, _item("device.model"), "A 3000 + 1 Bat Pack   ")
    assert engine.state["batpacks"] == ("0", "2")


def test_status_bits_and_test_results() -> None:
    engine = _engine()
    words = {start: (mv.status(engine, _q3_flag(start), "1"),
                     mv.status(engine, _q3_flag(start), "0"))
             for start in (53, 54, 55, 56, 57, 58, 59, 63, 65, 66)}
    assert words == {53: ("!OL", "OL"), 54: ("LB", "!LB"), 55: ("BYPASS", "!BYPASS"),
                     56: ("UPS Failed", ""), 57: ("offline", "online"),
                     58: ("CAL", "!CAL"), 59: ("FSD", "!FSD"),
                     63: ("problems in parallel operation mode", ""), 65: ("RB", "!RB"),
                     66: ("no battery connected", "")}
    test = _item("ups.test.result")
    assert [mv.status(engine, test, f"{n:03b}") for n in range(8)] == [
        "no test in progress", "in progress", "OK", "failed", "not possible", "aborted",
        "autonomy time calibration in progress", "unknown"]
    assert mv.status(engine, test, "1x1") is None
    assert mv.status(engine, _item("ups.type"), "2") is None


def test_fault_records() -> None:
    engine = _engine()
    fault = _item("experimental.fault_1")
    assert mv.fault(engine, fault, "7 0043 0000:16:48:06") == \
        "60486: inverter mode outpt short-circuit fault (43V)"
    assert mv.fault(engine, fault, "9 0010 1780:14:57:19") == \
        "153845839: battery fault (10V)"
    assert mv.fault(engine, fault, "4 13.65 0000:00:00:01") == \
        "1: battery overvoltage fault (13.65V)"
    assert mv.fault(engine, fault, "0 0000 0000:00:00:00") == "0: none"
    assert mv.fault(engine, fault, "E 0000 0000:00:00:00") is None  # reserved
    assert mv.fault(engine, fault, "7 0043 0000:16:48") is None


def test_battery_voltage_is_computed_in_c_floats() -> None:
    engine = _engine()
    engine.state["numcells"] = 12
    # 2.27f * 12 in single precision
    assert mv.battvolt(engine, _item("battery.voltage"), "02.27") == "27.24"
    assert mv.battvolt(engine, _item("battery.voltage"), "--") is None


def test_output_current_needs_the_output_voltage() -> None:
    engine = _engine()
    engine.values.pop("output.voltage", None)
    assert mv.output_current(engine, _item("output.current"), "043") is None
    engine.values["output.voltage"] = "0"
    assert mv.output_current(engine, _item("output.current"), "043") == "inf"


# --- commands and setvars (bytes hidups sends, statuses) ------------------------------

def test_dynamic_format_check_is_nuts() -> None:
    # NUT 2.8.5 common.c validate_formatting_string: %02d is not %ld
    assert not mc.format_compatible("SS%02d--,XX\r", "%ld")
    assert not mc.format_compatible("PNV=%03d\r", "%ld")
    assert mc.format_compatible("SRC%s,XX\r", "%s")
    assert mc.format_compatible("X%ld", "%ld")
    assert mc.format_compatible("X", "%ld")  # a prefix: extra arguments are ignored
    assert mc.snprintf_dynamic("5", "SS%02d--,XX\r", "%ld", 5) == "5"
    assert mc.snprintf_dynamic("5", "SS%02ld--,XX\r", "%ld", 5) == "SS05--,XX\r"


#: (command, parameter) -> (status, bytes sent), NUT 2.8.5 on upsemu (see the
#: differential test below, which checks the same on the wire)
COMMANDS = [
    ("shutdown.return", None, S.HANDLED, [b"S.5R0180\r"]),
    ("shutdown.stayoff", None, S.HANDLED, [b"S.5\r"]),
    ("shutdown.stop", None, S.HANDLED, [b"C\r"]),
    ("test.battery.start", "120", S.HANDLED, [b"T02\r"]),
    ("test.battery.start", "10", S.HANDLED, [b"T\r"]),
    ("test.battery.start", "30", S.FAILED, []),
    ("test.battery.start", "6000", S.FAILED, []),
    ("test.battery.start", "1x", S.FAILED, []),
    ("test.battery.start", None, S.FAILED, []),
    ("test.battery.start.quick", None, S.HANDLED, [b"T\r"]),
    ("test.battery.start.low", None, S.HANDLED, [b"TL\r"]),
    ("test.battery.start.deep", None, S.HANDLED, [b"TUD,00\r"]),
    ("test.battery.stop", None, S.HANDLED, [b"CT\r"]),
    ("clear.fault.record", None, S.HANDLED, [b"FCLR,00\r"]),
    ("bypass.start", None, S.HANDLED, [b"FOFF\r"]),
    ("bypass.stop", None, S.HANDLED, [b"FON\r"]),
    ("beeper.enable", None, S.HANDLED, [b"SS---1,00\r"]),
    ("beeper.disable", None, S.HANDLED, [b"SS---0,00\r"]),
    ("load.off", None, S.INVALID, []),
    ("beeper.toggle", None, S.INVALID, []),
]


@pytest.mark.parametrize(("name", "param", "status", "sent"), COMMANDS)
def test_instant_command_bytes(name: str, param: str | None, status: S,
                               sent: list[bytes]) -> None:
    query = Phoenixtec(A700)
    session = session_on(query)
    session.init()
    query.sent.clear()
    assert session.instcmd(name, param) is status
    assert query.sent == sent


SETVARS = [
    ("ups.delay.shutdown", "6000", S.UNKNOWN, []),   # out of NUT's 0..5940
    ("ups.delay.start", "600000", S.UNKNOWN, []),   # out of 0..599940
    ("ups.delay.shutdown", "1x", S.UNKNOWN, []),
    ("ups.id", "5", S.UNKNOWN, []),        # 2.8.5's snprintf_dynamic refuses SS%02d
    ("ups.id", "100", S.UNKNOWN, []),      # out of 0..99
    ("battery.packs", "0", S.HANDLED, []),  # already 0: nothing to do
    ("battery.packs", "1", S.UNKNOWN, []),  # out of the A700's 0..0
    ("device.uptime", "3600", S.HANDLED, [b"SRC0000:01:00:00,00\r"]),
    ("device.uptime", "0001:00:00:00", S.UNKNOWN, []),
    ("device.uptime", "864000000", S.UNKNOWN, []),  # over 9999 days
    ("output.voltage.nominal", "230", S.HANDLED, []),  # already
    # 2.8.5 sends the bare digits without CR (upsemu then reads "240WH"); no answer
    # is an acceptance (accepted = NULL)
    ("output.voltage.nominal", "240", S.UNKNOWN, [b"240"]),
    ("output.voltage.nominal", "24O", S.UNKNOWN, []),
]


@pytest.mark.parametrize(("name", "value", "status", "sent"), SETVARS)
def test_setvar_bytes(name: str, value: str, status: S, sent: list[bytes]) -> None:
    query = Phoenixtec(A700)
    session = session_on(query)
    session.init()
    query.sent.clear()
    assert session.setvar(name, value) is status
    assert query.sent == sent


def test_delays_feed_the_shutdown_commands() -> None:
    query = Phoenixtec(A700)
    session = session_on(query)
    session.init()
    assert session.setvar("ups.delay.shutdown", "12") is S.HANDLED
    assert session.setvar("ups.delay.start", "60") is S.HANDLED
    assert session.setvar("ups.delay.shutdown", "120") is S.HANDLED
    query.sent.clear()
    assert session.instcmd("shutdown.return", None) is S.HANDLED
    assert session.setvar("ups.delay.shutdown", "12") is S.HANDLED
    assert session.instcmd("shutdown.stayoff", None) is S.HANDLED
    assert query.sent == [b"S02R0060\r", b"S.2\r"]


def test_e100_commands_carry_its_slave_address() -> None:
    query = Phoenixtec(E100)
    session = session_on(query)
    session.init()
    query.sent.clear()
    for name in ("test.battery.start.deep", "clear.fault.record", "beeper.enable"):
        assert session.instcmd(name, None) is S.HANDLED
    assert query.sent == [b"TUD,01\r", b"FCLR,01\r", b"SS---1,01\r"]


def test_killpower_sends_stop_then_shutdown() -> None:
    query = Phoenixtec(A700)
    session = session_on(query, ondelay="120", offdelay="60")
    session.init()
    query.sent.clear()
    assert session.killpower()
    assert query.sent == [b"C\r", b"S01R0120\r"]


# --- differential against NUT 2.8.5 on upsemu -----------------------------------------

@pytest.fixture(scope="module")
def library() -> Path:
    return qd.upsemu_for_nut285()


@pytest.mark.nut
@pytest.mark.upsemu
@pytest.mark.parametrize("name", sorted(DEVICES))
@pytest.mark.parametrize("protocol", ["masterguard", None])
def test_values_match_nut_285(library: Path, name: str, protocol: str | None,
                              record_property: object) -> None:
    device = DEVICES[name]
    options = {**qd.device_ids(device), **({"protocol": protocol} if protocol else {})}
    nut = qd.run_nut(device, library, options, version="2.8.5")
    ours = qd.run_hidups(device, library, options)
    assert nut.rc == 0 and ours.rc == 0, (nut.output[-2000:], ours.output[-2000:])
    # autodetection picks masterguard in both
    assert nut.variables["driver.version.data"] == "Masterguard 0.05"
    assert ours.variables["driver.version.data"] == "Masterguard 0.05"
    result = qd.compare(nut.variables, ours.variables, "masterguard")
    assert result.bad == []
    # every difference left describes the driver itself (name, versions, libusb)
    assert set(result.explained) <= {"driver.name", "driver.version",
                                     "driver.version.internal", "driver.version.usb"}
    assert result.compared >= 55, result.compared
    record_property("compared", result.compared)  # type: ignore[operator]


#: protocols before masterguard in NUT's order that hidups does not have yet, and the
#: command their claims send (dropped from NUT's probe list while they are missing)
UNBUILT_PROBES = {"voltronic": "QGS", "voltronic-axpert": "QPI"}
EMU_CMD = re.compile(r"op=qx bridge=\S+ cmd=(\"(?:[^\"\\]|\\.)*\"|\S+)")


def _probes(log: Path) -> list[str]:
    sent = EMU_CMD.findall(log.read_text(errors="replace"))
    return sent[: sent.index("Q3")] if "Q3" in sent else sent


@pytest.mark.nut
@pytest.mark.upsemu
def test_autodetection_probes_like_nut_285(library: Path, tmp_path: Path) -> None:
    options = qd.device_ids(A700)
    qd.run_nut(A700, library, options, log=tmp_path / "nut.log", version="2.8.5")
    nut = _probes(tmp_path / "nut.log")
    for protocol, word in UNBUILT_PROBES.items():
        if PROTOCOLS[protocol] is None:
            nut = [c for c in nut if not c.strip('"').startswith(word)]
    with tempfile.TemporaryDirectory() as state:
        env = qd.hidups_env(A700, library, Path(state), UPSEMU_LOG=str(tmp_path / "ours.log"))
        res = subprocess.run([*qd.hidups_args(options), "-d", "1"], env=env,
                             capture_output=True, timeout=120, cwd=ROOT)
    assert res.returncode == 0, res.stderr[-2000:]
    ours = _probes(tmp_path / "ours.log")
    # NUT 2.8.5: QGS x3, QPI x3 (axpert), M x6, QS x3, D x3, Q1 x12, then WH x4, MSO, WH
    assert ours == nut
    assert ours[-6:] == ["WH", "WH", "WH", "WH", "MSO", "WH"]


#: what each driver is asked through its socket, as upsd would pass it on
SOCKET_ACTIONS: list[tuple[str, str, str | None]] = [
    *((("instcmd", name, param) for name, param, _, _ in COMMANDS)),
    ("setvar", "ups.delay.shutdown", "6000"), ("setvar", "ups.delay.shutdown", "12"),
    ("instcmd", "shutdown.stayoff", None), ("setvar", "ups.delay.start", "60"),
    ("instcmd", "shutdown.return", None), ("setvar", "ups.id", "5"),
    ("setvar", "ups.id", "100"), ("setvar", "battery.packs", "0"),
    ("setvar", "battery.packs", "3"), ("setvar", "device.uptime", "3600"),
    ("setvar", "device.uptime", "0001:00:00:00"),
    ("setvar", "output.voltage.nominal", "230"),
    ("setvar", "output.voltage.nominal", "240"),  # last: it leaves "240" in the bridge
]
#: the walk's own queries, interleaved by the poll loop at times of its own
POLLS = re.compile(r"^(WH|Q3|MSO|PNV|(GS|GBS|GSN|DRC|FLT),\d\d)$")


def _socket_run(which: str, device: Path, library: Path,
                actions: list[tuple[str, str, str | None]]) -> list[tuple[str, list[str]]]:
    out: list[tuple[str, list[str]]] = []
    with daemon(which, device, library, {"pollinterval": "1", "pollfreq": "1"}) as d:
        for number, (kind, name, value) in enumerate(actions, 1):
            # after the last one, wait for the next poll's command (a FULL walk: 1 s)
            settle = 2.5 if number == len(actions) else 0.05
            status, sent = (d.instcmd(name, value, settle) if kind == "instcmd"
                            else d.setvar(name, value or "", settle))
            out.append((status, [c for c in sent if not POLLS.match(c)]))
    return out


@pytest.mark.nut
@pytest.mark.upsemu
@pytest.mark.slow
def test_commands_and_setvars_on_the_wire_match_nut_285(library: Path) -> None:
    nut = _socket_run("nut", A700, library, SOCKET_ACTIONS)
    ours = _socket_run("hidups", A700, library, SOCKET_ACTIONS)
    for action, a, b in zip(SOCKET_ACTIONS, nut, ours, strict=True):
        assert a == b, (action, a, b)
    # they did reach the UPS: 14 commands, 2 shutdowns after new delays, SRC, "240"
    assert sum(bool(sent) for _, sent in nut) == 18, nut
    # NUT 2.8.5 sends "240" without CR: the bridge completes it with the next command
    assert nut[-1] == ("UNKNOWN", ["240WH"])


@pytest.mark.nut
@pytest.mark.upsemu
@pytest.mark.slow
def test_e100_alarms_after_a_full_walk_and_slave_address_match_nut_285(
        library: Path) -> None:
    actions: list[tuple[str, str, str | None]] = [
        ("instcmd", "test.battery.start.deep", None), ("instcmd", "clear.fault.record", None),
        ("instcmd", "beeper.disable", None), ("setvar", "device.uptime", "60")]
    dumps = {}
    described: dict[str, list[str]] = {}  # the writable variables and commands upsd gets
    for which in ("nut", "hidups"):
        with daemon(which, E100, library, {"pollinterval": "1", "pollfreq": "1"}) as d:
            described[which] = sorted(" ".join(words) for words in d.client.dump()
                                      if words and words[0] in ("SETFLAGS", "ADDENUM",
                                                                "ADDRANGE", "ADDCMD",
                                                                "SETAUX"))
            sent = [d.instcmd(n, v) if k == "instcmd" else d.setvar(n, v or "")
                    for k, n, v in actions]
            assert [(s, [c for c in w if not POLLS.match(c)]) for s, w in sent] == [
                ("HANDLED", ["TUD,01"]), ("HANDLED", ["FCLR,01"]),
                ("HANDLED", ["SS---0,01"]), ("HANDLED", ["SRC0000:00:01:00,01"])], which
            time.sleep(3)  # a FULL walk (pollfreq 1) commits ups.alarm
            dumps[which] = d.dump()
    for key in ("ups.status", "ups.alarm", "#"):
        assert dumps["hidups"].get(key) == dumps["nut"].get(key), key
    assert described["hidups"] == described["nut"]
    assert "ADDRANGE battery.packs 1 1" in described["nut"]  # the E100's packs
    assert "ADDENUM output.voltage.nominal 240" in described["nut"]  # from MSO
    assert dumps["nut"]["ups.alarm"] == "no battery connected Replace battery!"
    assert dumps["nut"]["ups.status"] == "ALARM OL LB RB BYPASS"


@pytest.mark.nut
@pytest.mark.upsemu
@pytest.mark.parametrize(("name", "options", "tail"), [
    ("a700", {}, ["C", "S.5R0180"]),
    ("a700", {"ondelay": "120", "offdelay": "60"}, ["C", "S01R0120"]),
    ("a700", {"stayoff": "", "offdelay": "12"}, ["C", "S.2"]),
    ("a700", {"offdelay": "6000"}, ["FLT,00"]),  # out of range: refused, nothing sent
    ("e100", {"ondelay": "0", "offdelay": "5940"}, ["C", "S99R0000"]),
])
def test_killpower_matches_nut_285(library: Path, name: str, options: dict[str, str],
                                   tail: list[str]) -> None:
    device = DEVICES[name]
    opts = {"protocol": "masterguard", **options}
    nut = killpower("nut", device, library, opts)
    ours = killpower("hidups", device, library, opts)
    assert ours[1] == nut[1], (nut, ours)
    assert (ours[0] == 0) == (nut[0] == 0), (nut, ours)  # refused -> both exit non-zero
    assert nut[1][-len(tail):] == tail


@pytest.mark.nut
@pytest.mark.upsemu
def test_nut_280_cannot_claim_a_masterguard(library: Path) -> None:
    """The second column: Debian's 2.8.0 (Masterguard 0.02) never claims one (its claim
    looks up "series", its table names it "experimental.series"), so for these units
    hidups follows 2.8.5 alone."""
    require_nut()
    options = {**qd.device_ids(A700), "protocol": "masterguard"}
    nut = qd.run_nut(A700, library, options, version="2.8.0")
    assert nut.rc != 0
    assert "Device not supported!" in nut.output
