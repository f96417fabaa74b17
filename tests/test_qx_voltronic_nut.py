"""Differential: NUT 2.8.5's nutdrv_qx (the reference) against hidups on voltronic UPSes.

Each upsemu device (``tests/data/qx/voltronic-*.ups``: NUT's own ``voltronic_testing[]``
answers, a 1-phase P01 and a 3-phase P10 unit) and the shared synthetic capture run
under both drivers: every variable must be equal, and so must every command on the
wire (upsemu's ``op=qx cmd=`` log), for the walk, the autodetection probes, each instant
command and setvar (through the driver socket) and the ups.conf-only settings.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from pathlib import Path

import pytest
import qx_driver_util as qd
from conftest import ROOT, SHARED_CAPTURES, UPSEMU_DIR, nut285_root
from qx_nut285_socket import hidups_requests as hidups_socket_requests
from qx_nut285_socket import nut285_killpower, nut285_requests

from hidups.errors import ProtocolError
from hidups.qx import QxSession, detect
from hidups.qx.items import QxFlag
from hidups.qx.replay import DeviceFileQuery
from hidups.qx.voltronic import VOLTRONIC

DATA = Path(__file__).parent / "data" / "qx"
DEVICES = ["voltronic-cypress", "voltronic-3phase-cypress", "voltronic-p31-cypress",
           "voltronic-p03-cypress", "voltronic-p09-cypress"]
#: Variables each device has (NUT 2.8.5 less the 4 that name the driver binary).
COMPARED = {"voltronic-cypress": 70, "voltronic-3phase-cypress": 79, "voltronic-p31-cypress": 67,
            "voltronic-p03-cypress": 73, "voltronic-p09-cypress": 76}
QX_LOG = re.compile(r"op=qx bridge=\S+ cmd=(\S+)")
#: ``name: value`` dump lines, multi-phase names (``input.L1-N.voltage``) included:
#: qx_driver_util.parse's pattern has no ``-`` and would drop them from both sides.
DUMP_LINE = re.compile(r"^([a-z][\w-]*(?:\.[\w-]+)+): (.*)$", re.M)
#: What the walks ask; anything else on the wire is a command or a setvar.
QUERIES = {item.command.rstrip("\r") for item in VOLTRONIC.table
           if item.command and not item.flags & (QxFlag.CMD | QxFlag.SETVAR)}


@pytest.fixture(scope="module")
def library() -> Path:
    return qd.upsemu_for_nut285()


def reparse(run: qd.Run) -> qd.Run:
    """The run with every dumped variable, hyphenated names too."""
    variables: dict[str, str] = {}
    for name, value in DUMP_LINE.findall(run.output):
        variables.setdefault(name, value)
    return qd.Run(run.rc, variables, run.output)


def dumped(run: qd.Run) -> dict[str, str]:
    """NUT's ``-d`` dump prints its state tree's values as stored, with NUT's escapes
    (``#`` as ``\\#``, as upsd sends them); upsc shows them decoded, as hidups' dump
    does. Decoded here, so values compare as clients see them."""
    return {k: re.sub(r"\\(.)", r"\1", v) for k, v in run.variables.items()}


def wire(log: Path) -> list[str]:
    return QX_LOG.findall(log.read_text(errors="replace")) if log.exists() else []


def hidups_wire(device: Path, library: Path, options: dict[str, str], log: Path) -> qd.Run:
    """The hidups driver process in dump mode with upsemu's log on."""
    with tempfile.TemporaryDirectory(prefix="hidups-volt.") as tmp:
        env = qd.hidups_env(device, library, Path(tmp), UPSEMU_LOG=str(log))
        res = subprocess.run([*qd.hidups_args(options), "-d", "1"], env=env,
                             capture_output=True, timeout=300, cwd=ROOT)
    out = res.stdout.decode("latin-1")
    return qd.Run(res.returncode, qd.parse(out), out + res.stderr.decode("latin-1"))


def both(device: Path, library: Path, options: dict[str, str], tmp: Path,
         ) -> tuple[qd.Run, qd.Run, list[str], list[str]]:
    options = {**qd.device_ids(device), **options}
    nut = qd.run_nut(device, library, options, version="2.8.5", log=tmp / "nut.log")
    ours = hidups_wire(device, library, options, tmp / "hidups.log")
    assert nut.rc == 0, nut.output[-2000:]
    assert ours.rc == 0, ours.output[-2000:]
    return reparse(nut), reparse(ours), wire(tmp / "nut.log"), wire(tmp / "hidups.log")


@pytest.mark.nut
@pytest.mark.parametrize("auto", [False, True], ids=["protocol", "autodetect"])
@pytest.mark.parametrize("name", DEVICES)
def test_variables_and_walk_match_nut_285(name: str, auto: bool, library: Path,
                                          tmp_path: Path) -> None:
    device = DATA / f"{name}.ups"
    nut, ours, nut_wire, our_wire = both(device, library,
                                         {} if auto else {"protocol": "voltronic"}, tmp_path)
    expected = dumped(nut)
    # names with "-" (multi-phase) from NUT's socket: run_nut.sh's dump filter drops them
    root = nut285_root()
    assert root is not None
    _, live = nut285_requests(root, device, library, {} if auto else {"protocol": "voltronic"},
                              [], tmp_path / "socket.log")
    expected.update({k: v for k, v in live.items() if "-" in k})
    assert ("3phase" in name or "p0" in name) == any("-" in k for k in expected)
    comparison = qd.compare_285(expected, ours.variables)
    assert comparison.bad == []
    # only what describes the driver binary differs (name, release, libusb build);
    # driver.version.internal, nutdrv_qx's own 0.49, is compared
    assert set(comparison.explained) <= qd.DRIVER_SELF_285
    hyphenated = sum("-" in k for k in expected)
    assert comparison.compared - hyphenated == COMPARED[name] + 1 - auto  # - protocol=
    assert nut.variables["driver.version.data"] == "Voltronic 0.14"
    assert our_wire == nut_wire  # the claim, the init walk and the first update


@pytest.mark.nut
def test_synthetic_capture_matches_nut_285(library: Path, tmp_path: Path) -> None:
    capture = SHARED_CAPTURES / "qx" / "synthetic-voltronic-testing.json"
    device = qd.capture_device(capture)
    nut, ours, nut_wire, our_wire = both(
        device, library, {"protocol": "voltronic", "subdriver": "cypress"}, tmp_path)
    comparison = qd.compare_285(nut.variables, ours.variables)
    assert len(nut.variables) == 62
    assert comparison.bad == []
    assert comparison.compared == 59  # 62 less driver.name, driver.version(.usb)
    assert our_wire == nut_wire


@pytest.mark.nut
def test_autodetection_probes_match_nut_285(library: Path, tmp_path: Path) -> None:
    """On a Megatec unit voltronic is tried first and refuses it after the same probes
    (QGS three times); then the other protocols in NUT's order, every one built: the
    whole conversation is NUT 2.8.5's."""
    device = UPSEMU_DIR / "devices" / "megatec-cypress.ups"
    _, _, nut_wire, our_wire = both(device, library, {}, tmp_path)
    assert nut_wire[:3] == our_wire[:3] == ["QGS"] * 3
    assert our_wire == nut_wire


@pytest.mark.nut
def test_microtek_pi71_is_refused_like_nut_285(library: Path) -> None:
    capture = SHARED_CAPTURES / "qx" / "microtek-gi3kl-nut3655.json"
    device = qd.capture_device(capture)
    nut = qd.run_nut(device, library, {**qd.device_ids(device), "protocol": "voltronic"},
                     version="2.8.5")
    assert nut.rc != 0 and "Device not supported" in nut.output
    query = DeviceFileQuery(device.read_text(), device.name, chunk=8)
    with pytest.raises(ProtocolError):
        detect(query, {"protocol": "voltronic"})


INSTCMDS = [
    "load.off", "load.on", "shutdown.return", "shutdown.stayoff", "shutdown.stop",
    "test.battery.start", "test.battery.start 30", "test.battery.start 5940",
    "test.battery.start 11", "test.battery.start 5941", "test.battery.start.deep",
    "test.battery.start.quick", "test.battery.stop", "beeper.toggle", "beeper.enable",
    "beeper.disable", "beeper.on", "beeper.off", "outlet.1.load.off", "outlet.1.load.on",
    "outlet.2.load.off", "outlet.3.load.on", "outlet.4.load.on", "bypass.start",
    "bypass.stop", "load.off.delay 5",
]
SETVARS = [
    "ups.delay.start 130", "ups.delay.shutdown 45", "@shutdown.return",
    "ups.delay.shutdown 600", "ups.delay.start 0", "@shutdown.return", "@shutdown.stayoff",
    "ups.delay.shutdown 11", "ups.delay.start 599941",
    "input.transfer.high 250", "input.transfer.high 300", "input.transfer.low 210",
    "input.transfer.low 100", "input.frequency.high 54", "input.frequency.high 70",
    "input.frequency.low 47", "input.frequency.low 58", "battery.packs 4", "battery.packs 0",
    "battery.voltage.low 24", "battery.voltage.low 28", "ups.start.auto yes",
    "ups.start.auto no", "battery.protection no", "battery.energysave yes",
    "ups.start.battery no", "outlet.0.switchable no", "outlet.1.delay.shutdown 600",
    "outlet.4.delay.shutdown 120", "outlet.3.delay.shutdown 60", "battery.type AGM",
    "battery.type Flooded", "battery.type Li", "battery.type NiMH", "battery.packs x",
]


def requests() -> list[str]:
    out = [f"INSTCMD {c}" for c in INSTCMDS]
    for entry in SETVARS:
        out.append(f"INSTCMD {entry[1:]}" if entry.startswith("@") else f"SET {entry}")
    return out


def hidups_requests(device: Path, asked: list[str], options: dict[str, str],
                    ) -> tuple[list[str], list[str], list[str]]:
    """(statuses, command bytes of the walk, command bytes of the requests) in hidups."""
    query = DeviceFileQuery(device.read_text(), device.name, chunk=8)
    session = QxSession(detect(query, options), query, options)
    session.init()
    session.walk(full=False)
    walk = [c.decode("latin-1").rstrip("\r") for c in query.sent]
    query.sent.clear()
    statuses = []
    for request in asked:
        kind, name, *rest = request.split(" ", 2)
        if kind == "INSTCMD":
            statuses.append(session.instcmd(name, rest[0] if rest else None).name)
        else:
            statuses.append(session.setvar(name, rest[0] if rest else "").name)
    sent = [c.decode("latin-1").rstrip("\r") for c in query.sent]
    return statuses, walk, sent


@pytest.mark.nut
@pytest.mark.parametrize("name", DEVICES[:3])  # P03/P09 differ from these only in phases
def test_commands_and_setvars_match_nut_285(name: str, library: Path, tmp_path: Path) -> None:
    device = DATA / f"{name}.ups"
    root = nut285_root()
    assert root is not None
    asked = requests()
    log = tmp_path / "nut.log"
    nut_status, nut_vars = nut285_requests(root, device, library, {"protocol": "voltronic"},
                                           asked, log)
    nut_sent = [c for c in wire(log) if c not in QUERIES]
    statuses, _, sent = hidups_requests(device, asked, {"protocol": "voltronic"})
    assert list(zip(asked, statuses, strict=True)) == list(zip(asked, nut_status, strict=True))
    assert [c for c in sent if c not in QUERIES] == nut_sent
    # and the hidups driver process, through the socket upsd talks to
    with tempfile.TemporaryDirectory(prefix="hidups-volt.") as tmp:
        env = qd.hidups_env(device, library, Path(tmp))
        our_status, our_vars = hidups_socket_requests(
            device, library, {"protocol": "voltronic"}, asked, tmp_path / "hidups.log", env)
    assert list(zip(asked, our_status, strict=True)) == list(zip(asked, nut_status,
                                                                 strict=True))
    assert [c for c in wire(tmp_path / "hidups.log") if c not in QUERIES] == nut_sent
    assert our_vars["ups.delay.shutdown"] == "600" and our_vars["ups.delay.start"] == "0"
    after = qd.compare(nut_vars, our_vars, "voltronic")  # the state both drivers serve
    assert after.bad == []
    # the values refused (out of NUT's range, bad test times) sent nothing: spot checks
    assert "HEH300" not in nut_sent and "BATGN00" not in nut_sent
    assert len(nut_sent) >= 30


UPS_CONF = {  # ups.conf-only settings NUT applies in its first walk (P01, 230 V, 50 Hz)
    "protocol": "voltronic", "max_bypass_volt": "250", "min_bypass_volt": "190",
    "max_bypass_freq": "55", "min_bypass_freq": "47.5", "battery_number": "3",
    "output_phase_angle": "120", "reset_to_default": "", "bypass_alarm": "disabled",
    "battery_alarm": "enabled", "bypass_when_off": "enabled", "alarm_control": "disabled",
    "converter_mode": "disabled", "eco_mode": "enabled", "battery_open_status_check": "no",
    "bypass_forbidding": "enabled", "site_fault_detection": "disabled",
    "advanced_eco_mode": "enabled", "constant_phase_angle": "enabled",
    "limited_runtime_on_battery": "enabled", "work_range_type": "UPS", "testing": "",
}


@pytest.mark.nut
@pytest.mark.parametrize("name", DEVICES)
def test_ups_conf_settings_match_nut_285(name: str, library: Path, tmp_path: Path) -> None:
    """The bypass limits, battery number, phase angle and capability flags set from
    ups.conf: the same bytes in the same order (NUT sends the phase angle's enum index,
    PPD001 for 120; out-of-range or unchanged values send nothing)."""
    device = DATA / f"{name}.ups"
    nut, ours, nut_wire, our_wire = both(device, library, UPS_CONF, tmp_path)
    nut_sent = [c for c in nut_wire if c not in QUERIES]
    assert our_wire == nut_wire  # the hidups driver process, ups.conf options and all
    # multi-phase names ("-") are missing from run_nut.sh's dump: compared in the
    # variables test through NUT's socket
    plain = {k: v for k, v in ours.variables.items() if "-" not in k}
    assert qd.compare(dumped(nut), plain, "voltronic").bad == []
    assert "\\#64" in nut.variables["ups.alarm"]  # the full walk committed the alarm
    _, walk, _ = hidups_requests(device, [], UPS_CONF)
    assert [c for c in walk if c not in QUERIES] == nut_sent
    assert "PPD001" in nut_sent and "PF" in nut_sent
    assert "QBDR" in nut_wire  # "testing" enables the unknown QBDR query
    # bypass limits for all but P00/P08/P31, and 250 V only where in the unit's range
    # (P09's is 60..140); the grid range for P31 only
    assert ("PHV250" in nut_sent) == ("p31" not in name and "p09" not in name)
    assert ("PGR01" in nut_sent) == ("p31" in name)


@pytest.mark.nut
@pytest.mark.parametrize(("mode", "word"), [("E", "vendor:voltronic:ECO-inverter-on"),
                                            ("C", "vendor:voltronic:freq-converter-on")])
def test_mode_buzzwords_match_nut_285(mode: str, word: str, library: Path,
                                      tmp_path: Path) -> None:
    """QMOD E/C: NUT sets its buzzword in full walks and drops it in quick ones (QMOD is
    not a quick-poll row), as its debug log shows; hidups' walks say the same, and
    both dumps (taken after a quick walk) agree."""
    device = tmp_path / f"voltronic-mode-{mode}.ups"
    text = (DATA / "voltronic-cypress.ups").read_text()
    device.write_text(text.replace("qx QMOD: (S\n", f"qx QMOD: ({mode}\n"))
    options = {**qd.device_ids(device), "protocol": "voltronic", "bypass_alarm": "disabled"}
    debug = tmp_path / "nut-debug.log"
    qd.run_nut(device, library, options, version="2.8.5", extra=["-D", "5", "-L", str(debug)])
    events = re.findall(r"(Full update|Quick update|(?:SET|DEL)INFO "
                        r"experimental\.ups\.mode\.buzzwords(?: \S+)?)", debug.read_text())
    assert events[:4] == ["Full update", f'SETINFO experimental.ups.mode.buzzwords "{word}"',
                          "Quick update", "DELINFO experimental.ups.mode.buzzwords"]
    query = DeviceFileQuery(device.read_text(), device.name, chunk=8)
    session = QxSession(detect(query, options), query, options)
    assert session.init().buzzwords == []
    assert session.walk(full=True).buzzwords == [word]
    assert session.walk(full=False).buzzwords == []
    nut, ours, _, _ = both(device, library, {"protocol": "voltronic"}, tmp_path)
    assert qd.compare(dumped(nut), ours.variables, "voltronic").bad == []


@pytest.mark.nut
@pytest.mark.parametrize("options", [{}, {"ondelay": "120", "offdelay": "18"},
                                     {"stayoff": ""}], ids=["default", "delays", "stayoff"])
def test_killpower_matches_nut_285(options: dict[str, str], library: Path,
                                   tmp_path: Path) -> None:
    """``-k``: shutdown.stop (CS) then the shutdown command with the delays, as NUT.

    The device ACKs only ``S.3R0002`` (18 s, back after 2 min): elsewhere both drivers
    try three times and log "Shutdown failed!". Listed difference: then NUT 2.8.5's
    ``nutdrv_qx -k`` still exits 0 (its exit flag is only set when the core's shutdown
    handling asked for it), hidups exits 1 (the driver core's choice, not voltronic's).
    """
    device = DATA / "voltronic-cypress.ups"
    root = nut285_root()
    assert root is not None
    options = {"protocol": "voltronic", **options}
    nut_rc = nut285_killpower(root, device, library, options, tmp_path / "nut.log")
    with tempfile.TemporaryDirectory(prefix="hidups-volt.") as tmp:
        env = qd.hidups_env(device, library, Path(tmp), UPSEMU_LOG=str(tmp_path / "h.log"))
        ours = subprocess.run([*qd.hidups_args({**qd.device_ids(device), **options}), "-k"],
                              env=env, capture_output=True, timeout=120, cwd=ROOT)
    nut_sent = [c for c in wire(tmp_path / "nut.log") if c not in QUERIES]
    assert [c for c in wire(tmp_path / "h.log") if c not in QUERIES] == nut_sent
    assert nut_sent[0] == "CS" and nut_sent[-1].startswith("S")
    handled = "ondelay" in options
    assert nut_sent[1:] == (["S.3R0002"] if handled else [nut_sent[-1]] * 3)
    assert nut_rc == 0
    assert ours.returncode == (0 if handled else 1)
