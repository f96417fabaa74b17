"""hidups.qx's voltronic-axpert protocol against NUT 2.8.5's nutdrv_qx.

The devices are ``tests/data/qx/voltronic-axpert-*.ups`` (cypress bridge, every command
and answer with its CRC): ``testing`` answers what NUT 2.8.5's own
``voltronic_sunny_testing[]`` table answers, ``online`` and ``faults`` exercise the
status, warning and rejection paths. Expected values are NUT 2.8.5's (``run_nut.sh``
with its prefix): the unit tests hold them as data, the differential tests run NUT.
"""

from __future__ import annotations

import binascii
import getpass
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

import pytest
import qx_driver_util as qd
from conftest import ROOT, nut285_root, require, require_nut, require_nut285
from pty_ups import HAVE_PYSERIAL, PtyUps
from qx_live_util import live_driver, run_once, state_of

from hidups.capture.qx_capture import QxCaptureReplay, dumps_qx_capture, loads_qx_capture
from hidups.device import DeviceInfo
from hidups.errors import ProtocolError
from hidups.qx import QxSession, detect
from hidups.qx.explore import explore_qx
from hidups.qx.items import CommandStatus, QxFlag
from hidups.qx.registry import PROTOCOLS
from hidups.qx.replay import DeviceFileQuery
from hidups.qx.session import alarm_buffer
from hidups.qx.voltronic_axpert import VOLTRONIC_AXPERT
from hidups.qx.voltronic_axpert import preprocess as P
from hidups.qx.voltronic_axpert.crc import add_crc, check_and_remove_crc, crc16
from hidups.qx.voltronic_axpert.table import TABLE

S = CommandStatus
DATA = Path(__file__).parent / "data" / "qx"
DEVICES = sorted(DATA.glob("voltronic-axpert-*.ups"))
AXPERT = {"protocol": "voltronic-axpert"}

#: NUT 2.8.5 ``-d 1`` on voltronic-axpert-testing.ups (the protocol's variables).
NUT_TESTING = {
    "battery.charge": "100.0",
    "battery.charging.current.ac.high": "30.0",
    "battery.charging.current.high": "60.0",
    "battery.current": "0.0",
    "battery.number": "4",
    "battery.type": "AGM",
    "battery.voltage": "54.0",
    "battery.voltage.bulk": "56.4",
    "battery.voltage.float": "54.0",
    "battery.voltage.high": "52.00",
    "battery.voltage.low": "41.60",
    "battery.voltage.nominal": "48.0",
    "battery.voltage.recharge": "46.0",
    "battery.voltage.under": "42.0",
    "device.description": "Transformerless",
    "device.firmware": "0X00074.50",
    "device.firmware.aux": "P30",
    "device.firmware.main": "0X00074.50",
    "device.firmware.scc1": "0X00000.00",
    "device.model": "INVERTEX5K",
    "device.model.type": "Off-grid",
    "device.serial": "12345679012345",
    "device.type": "scd",
    "experimental.battery.charging.current.ac.high.default": "3.0",
    "experimental.battery.charging.current.high.default": "6.0",
    "experimental.battery.voltage.bulk.default": "56.0",
    "experimental.battery.voltage.float.default": "54.0",
    "experimental.battery.voltage.recharge.default": "46.0",
    "experimental.battery.voltage.scc1": "0.0",
    "experimental.battery.voltage.under.default": "42.0",
    "experimental.input.pv1.current": "0",
    "experimental.input.pv1.voltage": "0",
    "input.current.nominal": "21.7",
    "input.frequency": "50.1",
    "input.phases": "1",
    "input.voltage": "233.5",
    "input.voltage.nominal": "230.0",
    "output.current.nominal": "21.7",
    "output.frequency": "50.1",
    "output.frequency.default": "50.0",
    "output.frequency.nominal": "50.0",
    "output.phases": "1",
    "output.power": "467.0",
    "output.power.nominal": "5000.0",
    "output.powerfactor.nominal": "99",
    "output.realpower": "396.0",
    "output.realpower.nominal": "5000.0",
    "output.voltage": "233.5",
    "output.voltage.nominal": "230.0",
    "ups.load": "9",
    "ups.status": "OB CHRG",
    "ups.temperature": "33.0",
}
#: NUT 2.8.5 ``-F 5`` with pollfreq=1 (full walks): the committed alarm and status.
NUT_ONLINE_FULL = ("Device warnings: Low battery. Overload. Unknown warnings [bit: #29, #30]",
                   "ALARM OL CHRG LB OVER")
NUT_FAULTS_FULL = (
    "Device warnings: Known (see log or manual) [bit: #01, #02, #03, #04, #05, #06, #07, "
    "#08, #09, #10, #11, #12, #13, #14, #15, #16, #17, #18, #19, #20, #23, #24, #25]; "
    "Unknown warnings [bit: #21, #22, #31, #32]", "ALARM OB CHRG LB OVER OFF")
#: Two alarms past ups.alarm's room: NUT's alarm_set stops the text at 254 characters.
NUT_FAULT_MODE_FULL = (
    "Device warnings: CPU is performing the auto-correction of AD signals. An Error occurred "
    "in the CPU initialization. Power grid voltage exceeds the upper threshold. Power "
    "grid-connected average voltage exceeds the maximum threshold. Fault reported by devic",
    "ALARM OB CHRG")


def device(stem: str) -> DeviceFileQuery:
    path = DATA / f"voltronic-axpert-{stem}.ups"
    return DeviceFileQuery(path.read_text(encoding="latin-1"), path.name, chunk=8)


def framed(text: str) -> bytes:
    """An answer (or command) with its CRC, as an Axpert frames it."""
    out = add_crc(text + "\r")
    assert out is not None
    return out.encode("latin-1")


class Scripted:
    """A scripted Axpert: CRC-framed commands -> raw answers; logs what was sent."""

    def __init__(self, answers: Mapping[str, bytes | None],
                 default: bytes | None = None) -> None:
        self.answers = {framed(k): v for k, v in answers.items()}
        self.default = default
        self.sent: list[bytes] = []

    def __call__(self, command: bytes) -> bytes | None:
        self.sent.append(command)
        return self.answers.get(command, self.default)


def session(query: DeviceFileQuery | Scripted, options: dict[str, str] | None = None
            ) -> QxSession:
    opts = dict(AXPERT if options is None else options)
    return QxSession(detect(query, opts), query, opts)


def published(result_values: dict[str, str], status: list[str]) -> dict[str, str]:
    """The protocol's variables as NUT's dump shows them."""
    values = {k: v for k, v in result_values.items() if not k.startswith("driver.")}
    values["ups.status"] = " ".join(status)
    return values


# --- the table and the CRC --------------------------------------------------------------

def test_table_is_nuts_default_build_row_for_row() -> None:
    # 65 rows outside NUT's TESTING_AXPERT_* blocks; no instant command, no setvar row
    assert len(TABLE) == 65
    per_command: dict[str, int] = {}
    for item in TABLE:
        per_command[item.command or ""] = per_command.get(item.command or "", 0) + 1
        assert item.leading == "(" and item.preanswer is P.checkcrc
        assert item.precommand is P.crc_command
        assert not item.flags & (QxFlag.CMD | QxFlag.SETVAR)
    assert per_command == {"QPI\r": 1, "QVFW\r": 2, "QVFW2\r": 1, "QVFW3\r": 1, "QVFW4\r": 1,
                           "QID\r": 1, "QFLAG\r": 2, "QPIRI\r": 17, "QMD\r": 5, "QDI\r": 9,
                           "QPIGS\r": 16, "QPIGS2\r": 6, "QPIWS\r": 1, "QMOD\r": 2}
    quick = [(i.name, i.command, i.start) for i in TABLE if i.flags & QxFlag.QUICK_POLL]
    assert quick == [("ups.status", "QPIGS\r", 86), ("ups.status", "QPIGS\r", 88),
                     ("ups.alarm", "QPIWS\r", 1), ("ups.status", "QMOD\r", 1)]
    assert VOLTRONIC_AXPERT.version == "Voltronic-Axpert 0.02"
    assert VOLTRONIC_AXPERT.rejected == "(NAK\r" and VOLTRONIC_AXPERT.accepted == "ACK"
    assert PROTOCOLS["voltronic-axpert"] is VOLTRONIC_AXPERT


def test_crc_is_xmodem_with_lf_cr_paren_bumped() -> None:
    for text in (b"QPIGS", b"QPI", b"QMOD", b"(PI30", b"x" * 200):
        plain = binascii.crc_hqx(text, 0)
        bumped = [b + 1 if b in (0x0A, 0x0D, 0x28) else b for b in plain.to_bytes(2, "big")]
        assert crc16(text) == bumped[0] << 8 | bumped[1]
    assert crc16(b"QPIGS") == 0xB7A9 and crc16(b"QPI") == 0xBEAC  # as Axpert manuals list
    # a CRC byte that would be '(' , CR or LF goes out one higher
    hits = [t for n in range(3000) if 0x28 in binascii.crc_hqx(t := b"Q%d" % n, 0)
            .to_bytes(2, "big")]
    assert hits and all(0x28 not in crc16(t).to_bytes(2, "big") for t in hits)
    assert add_crc("QPI\r") == "QPI\xbe\xac\r" and add_crc("QPI") == "QPI\xbe\xac"
    assert add_crc("\r") is None


def test_a_command_its_crc_cannot_frame_is_not_sent() -> None:
    # the engine's precommand hook: NUT's preprocess_command returning -1 sends nothing
    query = Scripted({"QPI": framed("(PI30")})
    engine = session(query).engine
    query.sent.clear()
    assert not engine.process(replace(TABLE[0], command="\r")).ok
    assert query.sent == []
    assert engine.process(TABLE[0]).value == "PI30"
    assert query.sent == [b"QPI\xbe\xac\r"]


def test_answer_crc_is_checked_and_removed() -> None:
    good = framed("(PI30").decode("latin-1")
    assert check_and_remove_crc(good) == "(PI30\r"
    assert check_and_remove_crc(good + "\0\0\0") == "(PI30\r"  # cypress padding
    assert check_and_remove_crc(good[:-2] + "\r") is None  # one CRC byte lost
    assert check_and_remove_crc("(PI31" + good[5:]) is None  # corrupted
    assert check_and_remove_crc("(NAK\r") is None  # NAK without CRC
    assert check_and_remove_crc("(\r") is None


@pytest.mark.parametrize("path", DEVICES, ids=[p.stem for p in DEVICES])
def test_device_files_frame_every_line_with_its_crc(path: Path) -> None:
    # each "qx" line: the command named in its comment with its CRC, an answer with its CRC
    lines = [ln for ln in path.read_text(encoding="latin-1").splitlines()
             if ln.startswith("qx ")]
    query = DeviceFileQuery("\n".join(lines), path.name)
    names = [ln.rsplit("# ", 1)[1] for ln in lines]
    assert len(query.answers) == len(names) >= 11 and "QPI" in names
    for name, (command, answer) in zip(names, query.answers.items(), strict=True):
        assert command == add_crc(name)
        assert answer is not None and check_and_remove_crc(answer.decode("latin-1"))


# --- values, status, alarms (NUT 2.8.5's answers) ---------------------------------------

def test_testing_device_gives_nut_285_values() -> None:
    query = device("testing")
    ups = session(query, {})  # autodetected
    assert ups.protocol.name == "voltronic-axpert"
    ups.init()
    result = ups.walk(full=False)
    assert published(result.values, result.status) == NUT_TESTING
    assert result.alarms == [] and result.commands == []
    info = result.rw["input.voltage.nominal"]
    assert info.flags == ["RW"] and info.enum == ["101", "110", "120", "127", "202", "208",
                                                  "220", "230", "240"]
    assert set(result.rw) == {"input.voltage.nominal"}
    assert b"QPI\xbe\xac\r" in query.sent


def test_online_device_status_alarms_and_what_nut_leaves_out() -> None:
    ups = session(device("online"))
    ups.init()
    quick = ups.walk(full=False)
    assert quick.status == ["OL", "CHRG", "LB", "OVER"]
    assert quick.alarms == []  # NUT commits alarms only after a full walk
    values = quick.values
    assert values["device.model"] == "AXPERT MKS 5K"
    assert values["device.model.type"] == "Hybrid" and values["battery.type"] == "Flooded"
    assert values["experimental.input.pv3.voltage"] == "190"
    assert values["device.firmware.scc2"] == "0X00000.32"
    # all-zero serial; QFLAG's a/j rows need command/setvar rows NUT does not build
    for absent in ("device.serial", "ups.beeper.status", "battery.energysave",
                   "device.firmware.scc3"):
        assert absent not in values, absent
    full = ups.walk(full=True)
    assert (" ".join(full.alarms), "ALARM " + " ".join(full.status)) == NUT_ONLINE_FULL
    again = ups.walk(full=False)
    assert again.alarms == full.alarms  # the committed alarm, not piled up


def test_faults_device_lists_warnings_by_bit_as_nut() -> None:
    ups = session(device("faults"))
    ups.init()
    values = ups.walk(full=False).values
    for absent in ("battery.type", "device.model.type", "input.voltage.nominal",
                   "battery.voltage.nominal"):
        assert absent not in values, absent  # user type / 3 trackers refused; short QPIRI
    full = ups.walk(full=True)
    assert (" ".join(full.alarms), "ALARM " + " ".join(full.status)) == NUT_FAULTS_FULL
    assert ups.engine.state["line_loss"] == 1.0 and ups.engine.state["pv_loss"] == 1.0
    # a NUL inside the answer's CRC is part of the CRC, not the end of the answer
    assert (values["device.firmware.scc2"], values["device.firmware.scc3"]) == (
        "0X00000.74", "0X00005.01")


def test_alarms_are_cut_where_nuts_alarm_buffer_ends() -> None:
    ups = session(device("fault-mode"))
    ups.init()
    values = ups.walk(full=False).values
    assert values["device.model.type"] == "Off Grid with 2 Trackers"
    assert values["device.description"] == "With transformer"
    assert values["battery.type"] == "Flooded"
    full = ups.walk(full=True)
    assert len(NUT_FAULT_MODE_FULL[0]) == 254
    assert (" ".join(full.alarms), "ALARM " + " ".join(full.status)) == NUT_FAULT_MODE_FULL
    assert full.alarms[-1] == "Fault reported by devic"


def test_alarm_buffer_is_dstates_alarm_set() -> None:
    # snprintf for the first alarm (255), snprintfcat after it (254, nothing past that)
    assert alarm_buffer([]) == [] and alarm_buffer(["a", "b"]) == ["a", "b"]
    assert alarm_buffer(["x" * 300]) == ["x" * 255]
    assert alarm_buffer(["x" * 255, "y"]) == ["x" * 255]
    assert alarm_buffer(["x" * 253, "y"]) == ["x" * 253, ""]  # only the blank fits
    assert " ".join(alarm_buffer(["x" * 250, "abcdefgh", "z"])) == "x" * 250 + " abc"


@pytest.mark.parametrize(("letter", "status", "alarm"), [
    ("L", ["OL"], []), ("B", ["OB"], []), ("S", ["OB", "OFF"], []), ("H", ["OB"], []),
    ("P", ["OB"], ["Device is going ON."]), ("F", ["OB"], ["Fault reported by device."]),
    ("G", ["OB"], []),
])
def test_qmod_modes(letter: str, status: list[str], alarm: list[str]) -> None:
    answers = {"QPI": framed("(PI30"), "QMOD": framed("(" + letter),
               "QPIWS": framed("(" + "0" * 32),
               "QPIGS": framed("(233.5 50.1 233.5 50.1 0467 0396 009 440 54.00 000 100 0033 "
                               "0000 000.0 00.00 00000 000-0000 00 00 00000 110")}
    ups = session(Scripted(answers, framed("(NAK")))
    ups.init()
    result = ups.walk(full=True)
    assert result.ok and result.status == status and result.alarms == alarm


def test_capability_and_warning_functions_follow_nuts_quirks() -> None:
    # strtok(raw + 1, "D"): leading D's skipped, so "EDa" reads 'a' as enabled
    assert P._strtok_split("EDa") == ("a", None)
    assert P._strtok_split("EbgpDa") == ("bgp", "a")
    assert P._strtok_split("E") == (None, None)
    item = next(i for i in TABLE if i.name == "ups.alarm" and i.command == "QPIWS\r")
    engine = session(device("testing")).engine
    assert P.warnings(engine, item, "0-0") == ""
    assert P.warnings(engine, item, "1x") is None
    assert P.warnings(engine, item, "0000000000000000000001") == \
        "Device warnings: Unknown warnings [bit: #22]"
    assert P.warnings(engine, item, "1") == "Device warnings: Device has fault."


# --- bad answers never become values ----------------------------------------------------

QPIGS = ("(233.5 50.1 233.5 50.1 0467 0396 009 440 54.00 000 100 0033 0000 000.0 00.00 "
         "00000 00010101 00 00 00000 110")


@pytest.mark.parametrize("qpi", [
    framed("(PI31"), framed("(PI03"), framed("(PX30"), framed("(NAK"), b"(NAK\r",
    b"(PI30\r", framed("(PI30")[:-2] + b"\r", b"", None, b"\x00\xff garbage\r",
])
def test_claim_needs_pi30_with_a_valid_crc(qpi: bytes | None) -> None:
    with pytest.raises(ProtocolError, match="not supported"):
        detect(Scripted({"QPI": qpi}), AXPERT)


@pytest.mark.parametrize("qpigs", [
    None, b"", framed("(NAK"), framed(QPIGS)[:-2] + b"\r", QPIGS.encode() + b"\r",
    framed(QPIGS[:90]), b"(" + bytes(range(1, 120)) + b"\r",
])
def test_a_bad_status_answer_fails_the_walk_and_keeps_no_value(qpigs: bytes | None) -> None:
    answers = {"QPI": framed("(PI30"), "QMOD": framed("(L"), "QPIWS": framed("(" + "0" * 32)}
    good = Scripted({**answers, "QPIGS": framed(QPIGS.replace("233.5", "111.1", 1))})
    ups = session(good)
    ups.init()
    assert ups.walk(full=False).ok
    bad = Scripted({**answers, "QPIGS": qpigs})
    ups.engine.query = bad
    result = ups.walk(full=True)
    assert not result.ok
    assert result.values["input.voltage"] == "111.1"  # the last good value stays


def test_an_unknown_status_digit_fails_the_status_query() -> None:
    # the values before it are good and published, as in NUT; the walk fails at bit 86
    answers = {"QPI": framed("(PI30"), "QMOD": framed("(L"), "QPIWS": framed("(" + "0" * 32),
               "QPIGS": framed(QPIGS.replace("00010101", "000x0101"))}
    ups = session(Scripted(answers))
    ups.init()
    assert not ups.walk(full=True).ok
    assert not ups.walk(full=False).ok


def test_no_instant_commands_or_setvars_and_nothing_is_sent() -> None:
    query = device("testing")
    ups = session(query)
    ups.init()
    query.sent.clear()
    for name in ("beeper.enable", "beeper.disable", "load.off", "shutdown.return"):
        assert ups.instcmd(name, None) is S.INVALID
    assert ups.setvar("input.voltage.nominal", "230") is S.UNKNOWN
    assert ups.setvar("battery.energysave", "yes") is S.UNKNOWN
    assert ups.killpower() is False
    assert query.sent == []


# --- differential against NUT 2.8.5 -----------------------------------------------------

QX_LOG = re.compile(r'op=qx bridge=\S+ cmd=("(?:[^"\\]|\\.)*"|\S+)')


def wire(log: Path) -> list[str]:
    return QX_LOG.findall(log.read_text(encoding="latin-1")) if log.exists() else []


@pytest.fixture(scope="module")
def library() -> Path:
    return qd.upsemu_for_nut285()


def run_hidups_logged(path: Path, lib: Path, options: dict[str, str], log: Path) -> qd.Run:
    """``run_hidups`` with upsemu's transfer log kept."""
    with tempfile.TemporaryDirectory(prefix="hidups-axpert.") as tmp:
        res = subprocess.run([*qd.hidups_args(options), "-d", "1"],
                             env=qd.hidups_env(path, lib, Path(tmp), UPSEMU_LOG=str(log)),
                             capture_output=True, timeout=120, cwd=ROOT)
    out = res.stdout.decode("latin-1")
    return qd.Run(res.returncode, qd.parse(out), out + res.stderr.decode("latin-1"))


@pytest.mark.nut
@pytest.mark.upsemu
@pytest.mark.parametrize("path", DEVICES, ids=[p.stem for p in DEVICES])
def test_driver_matches_nut_285(library: Path, path: Path, tmp_path: Path) -> None:
    options = {**qd.device_ids(path), **AXPERT}
    nut = qd.run_nut(path, library, options, log=tmp_path / "nut.log", version="2.8.5")
    assert nut.rc == 0, nut.output
    ours = run_hidups_logged(path, library, options, tmp_path / "ours.log")
    assert ours.rc == 0, ours.output
    cmp = qd.compare(nut.variables, ours.variables, "voltronic-axpert")
    print(f"\n{path.stem}: {len(cmp.matched)}/{cmp.compared} equal; explained "
          f"{sorted(cmp.explained)}")
    assert cmp.bad == []
    assert set(cmp.explained) <= {"driver.name", "driver.version", "driver.version.internal",
                                  "driver.version.usb"}
    assert {"ups.status", "device.type", "device.firmware.aux"} <= set(cmp.matched)
    assert len(cmp.matched) >= 40
    # the same bytes in the same order: claim, init walk and the first update
    assert wire(tmp_path / "ours.log") == wire(tmp_path / "nut.log")


@pytest.mark.nut
@pytest.mark.upsemu
def test_autodetection_picks_axpert_as_nut_285(library: Path, tmp_path: Path) -> None:
    path = DATA / "voltronic-axpert-testing.ups"
    options = qd.device_ids(path)
    nut = qd.run_nut(path, library, options, log=tmp_path / "nut.log", version="2.8.5")
    assert nut.variables["driver.version.data"] == "Voltronic-Axpert 0.02", nut.output
    ours = run_hidups_logged(path, library, options, tmp_path / "ours.log")
    assert ours.variables["driver.version.data"] == "Voltronic-Axpert 0.02", ours.output
    nut_sent, our_sent = wire(tmp_path / "nut.log"), wire(tmp_path / "ours.log")
    if PROTOCOLS["voltronic"] is None:
        # NUT first tries its plain voltronic protocol (QGS, three times), not built here
        assert nut_sent[:3] == ["QGS"] * 3
        nut_sent = nut_sent[3:]
    assert our_sent == nut_sent


@pytest.mark.nut
@pytest.mark.upsemu
def test_nut_280_has_no_axpert_protocol(library: Path) -> None:
    """The second column: Debian's NUT 2.8.0 predates voltronic-axpert (NUT 2.8.4) and
    refuses the device; hidups follows 2.8.5."""
    require_nut()
    require(Path("/lib/nut/nutdrv_qx").exists(), "Debian's nutdrv_qx is not installed")
    path = DATA / "voltronic-axpert-testing.ups"
    old = qd.run_nut(path, library, qd.device_ids(path), version="2.8.0")
    assert old.rc != 0 and "Device not supported" in old.output


@pytest.mark.nut
@pytest.mark.upsemu
@pytest.mark.parametrize("stem", ["online", "faults", "fault-mode"])
def test_served_state_and_answers_match_nut_285(library: Path, tmp_path: Path,
                                                stem: str) -> None:
    """Both drivers served on their sockets with full walks every second: the dstate
    (values, committed ups.alarm, RW flags, enums, commands) and the answers to SET and
    INSTCMD are NUT's, and nothing but the status polls goes out for them."""
    path = DATA / f"voltronic-axpert-{stem}.ups"
    options = {**AXPERT, "pollfreq": "1"}
    seen: dict[str, tuple[dict[str, str], list[int], list[str]]] = {}
    for which in ("nut", "hidups"):
        log = tmp_path / f"{which}.log"
        with live_driver(which, path, library, options, log) as client:
            time.sleep(2.5)  # two full walks: the alarms are committed
            state = state_of(client)
            start = len(wire(log))
            answers = [client.setvar("input.voltage.nominal", "230"),
                       client.setvar("input.voltage.nominal", "999"),
                       client.setvar("battery.energysave", "yes"),
                       client.instcmd("beeper.enable"), client.instcmd("shutdown.return"),
                       client.instcmd("load.off")]
            seen[which] = (state, answers, wire(log)[start:])
    nut, ours = seen["nut"], seen["hidups"]
    differ = {k: (nut[0].get(k), ours[0].get(k)) for k in set(nut[0]) | set(ours[0])
              if nut[0].get(k) != ours[0].get(k)}
    assert differ == {}
    if stem == "online":  # the faults unit's QPIRI is short: no nominal input voltage
        assert nut[0]["SETFLAGS input.voltage.nominal"] == "RW"
        assert "ADDENUM input.voltage.nominal 230" in nut[0]
    assert nut[0]["SETINFO ups.alarm"] == {"online": NUT_ONLINE_FULL, "faults": NUT_FAULTS_FULL,
                                           "fault-mode": NUT_FAULT_MODE_FULL}[stem][0]
    assert nut[1] == ours[1] == [1, 1, 1, 2, 2, 2]  # SET unknown, INSTCMD invalid
    polls = {'"QPIGS\\xb7\\xa9"', '"QPIWS\\xb4\\xda"', '"QMODI\\xc1"', '"QFLAG\\x98t"',
             '"QPIGS2h-"', "QPIGS2h-"}
    assert set(nut[2]) <= polls and set(ours[2]) <= polls


def nut285_serial(port: str, options: Mapping[str, str]) -> qd.Run:
    """NUT 2.8.5's nutdrv_qx on a serial port, through its prefix's loader, ``-d 1``."""
    root = nut285_root()
    assert root is not None
    rootlib = root / "usr" / "lib" / "x86_64-linux-gnu"
    with tempfile.TemporaryDirectory(prefix="hidups-axser.") as tmp:
        conf = "".join(f"\t{k} = {v}\n" for k, v in options.items())
        Path(tmp, "ups.conf").write_text(
            f"[ups]\n\tdriver = nutdrv_qx\n\tport = {port}\n\tpollinterval = 2\n{conf}")
        env = dict(os.environ, NUT_CONFPATH=tmp, NUT_STATEPATH=tmp, NUT_ALTPIDPATH=tmp)
        res = subprocess.run([str(rootlib / "ld-linux-x86-64.so.2"), "--library-path",
                              str(rootlib), str(root / "usr/libexec/nut/nutdrv_qx"), "-a", "ups",
                              "-u", getpass.getuser(), "-d", "1"],
                             env=env, capture_output=True, timeout=120)
    out = res.stdout.decode("latin-1")
    return qd.Run(res.returncode, qd.parse(out), out + res.stderr.decode("latin-1"))


def hidups_serial(port: str, options: Mapping[str, str]) -> qd.Run:
    with tempfile.TemporaryDirectory(prefix="hidups-axser.") as tmp:
        env = dict(os.environ, NUT_CONFPATH=tmp, NUT_STATEPATH=tmp, NUT_ALTPIDPATH=tmp)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
        args = [a for k, v in options.items() for a in ("-x", f"{k}={v}")]
        res = subprocess.run([sys.executable, "-m", "hidups", "-s", "ups", "-x", f"port={port}",
                              "-x", "pollinterval=2", *args, "-d", "1"],
                             env=env, capture_output=True, timeout=120, cwd=ROOT)
    out = res.stdout.decode("latin-1")
    return qd.Run(res.returncode, qd.parse(out), out + res.stderr.decode("latin-1"))


@pytest.mark.nut
@pytest.mark.parametrize("options", [AXPERT, {}], ids=["protocol", "autodetect"])
def test_serial_axpert_matches_nut_285(options: dict[str, str]) -> None:
    """An Axpert on RS-232 (a pty): the CRC bytes go through the serial framing the same,
    and the variables and the whole conversation are NUT 2.8.5's."""
    require_nut285()
    require(HAVE_PYSERIAL, "pyserial (in the test extra) is not installed")
    table = device("online").answers
    ups = PtyUps({k.encode("latin-1"): v for k, v in table.items() if v is not None})
    try:
        nut = nut285_serial(ups.path, options)
        nut_sent = list(ups.received)
        ups.received.clear()
        ours = hidups_serial(ups.path, options)
        our_sent = list(ups.received)
    finally:
        ups.close()
    assert nut.rc == 0 and ours.rc == 0, (nut.output[-1500:], ours.output[-1500:])
    cmp = qd.compare(nut.variables, ours.variables, "voltronic-axpert")
    assert cmp.bad == [] and len(cmp.matched) >= 60, cmp.bad
    # NUT's USB+serial nutdrv_qx names its libusb even on a serial port; hidups does not
    assert set(cmp.explained) <= {"driver.name", "driver.version", "driver.version.internal",
                                  "driver.version.usb"}
    assert "driver.version.usb" not in ours.variables
    assert ours.variables["ups.status"] == "OL CHRG LB OVER"
    if not options and PROTOCOLS["voltronic"] is None:
        assert nut_sent[:3] == [b"QGS"] * 3  # NUT's plain voltronic probe, not built here
        nut_sent = nut_sent[3:]
    assert our_sent == nut_sent


@pytest.mark.nut
@pytest.mark.upsemu
def test_killpower_sends_what_nut_285_sends(library: Path, tmp_path: Path) -> None:
    """``-k``: no ups.delay.start row, so NUT's upsdrv_shutdown gives up before sending
    anything; both drivers send the same probe and init queries and no shutdown.

    Known difference (driver core, not this protocol): NUT 2.8.5's main.c counts
    ``shutdown.default`` as handled whatever upsdrv_shutdown did and exits 0 ("shutdown
    request was successful"); hidups reports the failure and exits 1.
    """
    path = DATA / "voltronic-axpert-testing.ups"
    runs = {w: run_once(w, path, library, AXPERT, tmp_path / f"{w}.log", ["-k"])
            for w in ("nut", "hidups")}
    nut_sent, our_sent = wire(tmp_path / "nut.log"), wire(tmp_path / "hidups.log")
    assert our_sent == nut_sent and nut_sent[0] == '"QPI\\xbe\\xac"'
    assert not any(c.strip('"').startswith(("S", "C", "T")) for c in nut_sent)
    assert b"Unable to set start delay" in runs["nut"].stderr
    assert (runs["nut"].returncode, runs["hidups"].returncode) == (0, 1)


def test_explore_asks_axpert_queries_with_their_crc_and_replays_them() -> None:
    """``hidups explore`` sends each query as its row would (the CRC appended), so the
    recorded capture holds what the claim asks and replays to voltronic-axpert."""
    query = device("testing")
    result = explore_qx(query, DeviceInfo(0x0665, 0x5161), bridge="cypress")
    assert b"QPI\xbe\xac\r" in query.sent and b"QPIGS\xb7\xa9\r" in query.sent
    assert result.protocol == "voltronic-axpert"
    again = loads_qx_capture(dumps_qx_capture(result.capture))
    assert detect(QxCaptureReplay(again.exchanges), {}).name == "voltronic-axpert"
