"""innovart31, innovart33 and innovatae: the hidups driver process against NUT 2.8.5.

Each upsemu device of ``tests/data/qx/innova*.ups`` (NUT 2.8.5's testing answers) is
run by NUT 2.8.5's nutdrv_qx (``run_nut.sh`` with the reference prefix) and by
``python -m hidups``, with ``protocol=`` and without (autodetection): every variable
must be equal (``qx_driver_util.explain`` names what describes the driver itself), the
commands each sends (upsemu's ``op=qx cmd=`` log) must be the same, in order. Both
drivers then run in the foreground and get the same SET/INSTCMD lines on their sockets
(as from upsd): the same answer codes, the same bytes on the wire, nothing sent for a
value out of NUT's ranges; ``-k`` sends the same shutdown sequence. Debian's 2.8.0,
which has none of these protocols, is checked for what it does instead.
"""

from __future__ import annotations

import getpass
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
import qx_driver_util as qd
from conftest import ROOT, nut285_bin, require, require_nut

from hidups.qx.registry import ORDER, PROTOCOLS

DATA = Path(__file__).parent / "data" / "qx"
#: names with a dash (input.L1-N.voltage): run_nut.sh's own filter drops them, so its
#: kept directory's raw dump is read with this
LINE = re.compile(r"^([A-Za-z0-9_.-]+): (.*)$")
QX_LOG = re.compile(r"op=qx bridge=\S+ cmd=(\S+)")
KEPT = re.compile(r"run_nut\.sh: keeping (\S+)")


@pytest.fixture(scope="module")
def library() -> Path:
    return qd.upsemu_for_nut285()


def parse(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in text.splitlines():
        match = LINE.match(line)
        if match:
            out.setdefault(match.group(1), match.group(2))
    return out


def logged(log: Path) -> list[str]:
    return QX_LOG.findall(log.read_text(errors="replace")) if log.exists() else []


def nut_285(device: Path, library: Path, options: Mapping[str, str],
            log: Path) -> tuple[int, dict[str, str], str]:
    """NUT 2.8.5's dump, every variable (its kept directory's raw ``stdout``)."""
    run = qd.run_nut(device, library, options, log=log, extra=["-k"], version="2.8.5")
    kept = KEPT.search(run.output)
    assert kept is not None, run.output
    try:
        dump = Path(kept.group(1)) / "stdout"
        variables = parse(dump.read_text(errors="replace")) if run.rc == 0 else {}
    finally:
        shutil.rmtree(kept.group(1), ignore_errors=True)
    return run.rc, variables, run.output


def hidups_dump(device: Path, library: Path, options: Mapping[str, str],
                log: Path) -> tuple[int, dict[str, str], str]:
    """The hidups driver process in dump mode (``-d 1``) on the same device."""
    with tempfile.TemporaryDirectory(prefix="hidups-innova.") as tmp:
        env = qd.hidups_env(device, library, Path(tmp), UPSEMU_LOG=str(log))
        res = subprocess.run([*qd.hidups_args(options), "-d", "1"], env=env,
                             capture_output=True, timeout=120, cwd=ROOT)
    out = res.stdout.decode("latin-1")
    return res.returncode, parse(out), out + res.stderr.decode("latin-1")


#: (device, options, NUT 2.8.5's subdriver or None when it refuses the unit)
CASES = [
    ("innovart31-cypress", {"protocol": "innovart31"}, "INNOVART31"),
    ("innovart31-cypress", {}, "INNOVART31"),
    ("innovart31-garbled-cypress", {"protocol": "innovart31"}, "INNOVART31"),
    ("innovart33-cypress", {"protocol": "innovart33"}, None),
    ("innovart33-cypress", {}, "INNOVART31"),
    ("innovatae-ippon", {"protocol": "innovatae"}, "INNOVATAE"),
    ("innovatae-ippon", {}, "INNOVATAE"),
    ("innovatae-firmware-ippon", {"protocol": "innovatae"}, "INNOVATAE"),
    ("innovatae-firmware-ippon", {}, "Megatec"),
]


def probe_matches(nut: list[str], ours: list[str], picked: str, chosen: bool) -> None:
    """The commands hidups sends are NUT's, in order.

    When a protocol NUT tries before its pick is not built in hidups yet, hidups skips
    that protocol's probes: then its commands must be NUT's less those (a
    subsequence), with the same tail from the picked protocol's claim on. With
    ``protocol=`` (``chosen``) there is no probing: the same commands, exactly.
    """
    before = ORDER[:ORDER.index(picked)]
    if chosen or all(PROTOCOLS[name] is not None for name in before):
        assert ours == nut
        return
    rest = iter(nut)
    assert all(any(cmd == other for other in rest) for cmd in ours), (nut, ours)
    start = CLAIM_START[picked](nut)
    assert ours[len(ours) - (len(nut) - start):] == nut[start:], (nut[start:], ours)


def _after_last(cmds: list[str], command: str) -> int:
    return len(cmds) - cmds[::-1].index(command)


def _innovart31_claim(cmds: list[str]) -> int:
    return cmds.index("Q6")  # the first protocol to send Q6


def _innovatae_claim(cmds: list[str]) -> int:
    return _after_last(cmds, "Q6")  # right after innovart33's last try


def _megatec_claim(cmds: list[str]) -> int:
    return cmds.index("I") - 1  # its Q1, then the first I


#: where the picked protocol's successful claim starts in NUT's log
CLAIM_START: dict[str, Callable[[list[str]], int]] = {
    "innovart31": _innovart31_claim, "innovatae": _innovatae_claim,
    "megatec": _megatec_claim,
}


@pytest.mark.nut
@pytest.mark.upsemu
@pytest.mark.parametrize(("name", "options", "subdriver"), CASES,
                         ids=[f"{n}-{o.get('protocol', 'auto')}" for n, o, _ in CASES])
def test_same_as_nut_285(library: Path, tmp_path: Path, name: str, options: dict[str, str],
                         subdriver: str | None, record_property: Any) -> None:
    device = DATA / f"{name}.ups"
    opts = {**qd.device_ids(device), **options}
    nut_rc, nut, nut_out = nut_285(device, library, opts, tmp_path / "nut.log")
    rc, ours, out = hidups_dump(device, library, opts, tmp_path / "hidups.log")
    nut_cmds, our_cmds = logged(tmp_path / "nut.log"), logged(tmp_path / "hidups.log")
    if subdriver is None:
        assert nut_rc != 0 and "Device not supported" in nut_out, nut_out
        assert rc != 0 and not ours and "not supported" in out, out
        assert our_cmds == nut_cmds == ["Q6", "Q1"] * 3
        return
    assert nut_rc == 0, nut_out
    assert rc == 0, out
    assert nut["driver.version.data"].split()[0] == subdriver
    assert ours["driver.version.data"] == nut["driver.version.data"]
    cmp = qd.compare(nut, ours, subdriver.lower())
    record_property("match", f"{len(cmp.matched)}/{cmp.compared}")
    assert cmp.bad == [], f"{name}: hidups matches {len(cmp.matched)}/{cmp.compared}"
    assert set(cmp.explained) <= {"driver.name", "driver.version", "driver.version.internal",
                                  "driver.version.usb"}, cmp.explained
    assert {"ups.status", "ups.type", "battery.charge"} <= set(cmp.matched)
    if subdriver == "INNOVART31":
        assert {"input.L1-N.voltage", "input.L3-N.voltage", "ups.realpower",
                "input.phases", "ups.serial"} <= set(cmp.matched)
    probe_matches(nut_cmds, our_cmds, subdriver.lower(), "protocol" in options)


# --- instant commands and delays on the wire ------------------------------------------

#: in order, through each driver's socket (as upsd sends them, with TRACKING): the
#: out-of-range delays first (refused, nothing sent), then delays NUT rounds, then every
#: instant command of the tables (and two battery tests out of range)
ACTIONS = [
    ("SET", "ups.delay.start", "600000"), ("SET", "ups.delay.shutdown", "6"),
    ("SET", "ups.delay.shutdown", "abc"), ("SET", "ups.delay.shutdown", "601"),
    ("SET", "ups.delay.shutdown", "45"), ("SET", "ups.delay.start", "150"),
    ("INSTCMD", "shutdown.return", ""), ("INSTCMD", "shutdown.stayoff", ""),
    ("INSTCMD", "test.battery.start", "240"), ("INSTCMD", "test.battery.start.quick", ""),
    ("INSTCMD", "test.battery.start.deep", ""), ("INSTCMD", "test.battery.stop", ""),
    ("INSTCMD", "beeper.toggle", ""), ("INSTCMD", "load.off", ""),
    ("INSTCMD", "load.on", ""), ("INSTCMD", "shutdown.stop", ""),
    ("INSTCMD", "test.battery.start", "30"), ("INSTCMD", "test.battery.start", "6000"),
]
COMMAND_SHAPE = re.compile(r"^(S[.0-9].*|C|CT|T.*|Q)$")


def drive(which: str, device: Path, library: Path, options: Mapping[str, str],
          log: Path) -> tuple[list[int], dict[str, str], list[str]]:
    """Start NUT 2.8.5's nutdrv_qx or the hidups driver in the foreground on ``device``,
    run ACTIONS through its socket; (status codes, delays afterwards, commands logged)."""
    from hidups.nut.client import DriverClient

    with tempfile.TemporaryDirectory(prefix="hidups-innova.") as tmp:
        conf = Path(tmp)
        driver = "nutdrv_qx" if which == "nut" else "hidups"
        lines = ["[ups]", f"    driver = {driver}", "    port = auto", "    pollinterval = 1"]
        lines += [f"    {k} = {v}" for k, v in options.items()]
        (conf / "ups.conf").write_text("\n".join(lines) + "\n")
        env = qd.hidups_env(device, library, conf, UPSEMU_LOG=str(log))
        if which == "nut":
            # nut_sid.sh's wrapper runs the prefix's loader; the emulator stands in for
            # libusb on its library path (and preloaded), as run_nut.sh does
            (conf / "lib").mkdir()
            (conf / "lib" / "libusb-1.0.so.0").symlink_to(library.resolve())
            env.update(NUT_SID_LIBPATH=str(conf / "lib"), LD_PRELOAD=str(library))
            argv = [str(nut285_bin("nutdrv_qx")), "-a", "ups", "-F", "-u", getpass.getuser()]
        else:
            argv = [sys.executable, "-m", "hidups", "-a", "ups", "-F"]
        with open(conf / "driver.log", "wb") as out:
            proc = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT,
                                    cwd=ROOT)
        try:
            sock = conf / f"{driver}-ups"
            deadline = time.monotonic() + 30
            while not sock.exists():
                assert proc.poll() is None, (conf / "driver.log").read_text()
                assert time.monotonic() < deadline, "no driver socket"
                time.sleep(0.1)
            codes = []
            with DriverClient(str(sock)) as client:
                for kind, name, value in ACTIONS:
                    if kind == "SET":
                        codes.append(client.setvar(name, value, timeout=15))
                    else:
                        codes.append(client.instcmd(name, value or None, timeout=15))
                values = {w[1]: w[2] for w in client.dump(timeout=15)
                          if len(w) == 3 and w[0] == "SETINFO"}
        finally:
            proc.terminate()
            proc.wait(timeout=15)
    delays = {k: v for k, v in values.items() if k.startswith("ups.delay.")}
    return codes, delays, [c for c in logged(log) if COMMAND_SHAPE.match(c)]


@pytest.mark.nut
@pytest.mark.upsemu
@pytest.mark.parametrize(("name", "options"), [
    ("innovart31-cypress", {"protocol": "innovart31"}),
    ("innovatae-ippon", {"protocol": "innovatae", "ondelay": "60", "offdelay": "120"}),
], ids=["innovart31", "innovatae-delays"])
def test_commands_and_setvars_same_as_nut_285(library: Path, tmp_path: Path, name: str,
                                              options: dict[str, str]) -> None:
    """Every instant command and setvar of the tables: the same answer codes, the same
    bytes to the UPS, nothing sent for a value out of NUT's ranges."""
    device = DATA / f"{name}.ups"
    opts = {**qd.device_ids(device), **options}
    nut = drive("nut", device, library, opts, tmp_path / "nut.log")
    ours = drive("hidups", device, library, opts, tmp_path / "hidups.log")
    assert ours == nut
    codes, delays, sent = nut
    # refused: out of range and not a number (NUT: STAT_SET_UNKNOWN); rounded: 42, 120
    assert codes[:4] == [1, 1, 1, 1] and codes[4:6] == [0, 0]
    assert delays == {"ups.delay.shutdown": "42", "ups.delay.start": "120"}
    assert sent[:2] == ["S.7R0002", "S.7R0000"]
    assert codes[-2:] == [3, 3] and sent[-1] == "C"  # T00/T100 are never sent
    assert {"T04", "TL", "CT", "T", "S00R0000"} <= set(sent)
    assert ("Q" in sent) == name.startswith("innovatae")  # beeper.toggle: innovatae only


@pytest.mark.nut
@pytest.mark.upsemu
def test_out_of_range_delay_in_ups_conf_is_refused_as_by_nut(library: Path,
                                                              tmp_path: Path) -> None:
    device = DATA / "innovart31-cypress.ups"
    opts = {**qd.device_ids(device), "protocol": "innovart31", "ondelay": "600000"}
    nut_rc, _, nut_out = nut_285(device, library, opts, tmp_path / "nut.log")
    assert nut_rc != 0 and "out of range" in nut_out, nut_out
    rc, ours, out = hidups_dump(device, library, opts, tmp_path / "hidups.log")
    assert rc != 0 and not ours and "ondelay" in out, out


@pytest.mark.nut
@pytest.mark.upsemu
def test_killpower_same_bytes_as_nut_285(library: Path, tmp_path: Path) -> None:
    """``-k``: the claim, init, shutdown.stop three times, then shutdown.return three
    times with the ups.conf delays (this unit answers neither): NUT's bytes, in order.

    Known difference (driver core, not the protocol): NUT 2.8.5 then reports
    "shutdown request was successful with 'shutdown.default'" and exits 0 although
    every try failed; hidups exits 1 after the same "Shutdown failed!".
    """
    device = DATA / "innovart31-cypress.ups"
    opts = {**qd.device_ids(device), "protocol": "innovart31", "ondelay": "120",
            "offdelay": "12"}
    outs = {}
    for which in ("nut", "hidups"):
        conf = tmp_path / which
        conf.mkdir()
        driver = "nutdrv_qx" if which == "nut" else "hidups"
        (conf / "ups.conf").write_text(
            f"[ups]\n    driver = {driver}\n    port = auto\n"
            + "".join(f"    {k} = {v}\n" for k, v in opts.items()))
        log = conf / "emu.log"
        env = qd.hidups_env(device, library, conf, UPSEMU_LOG=str(log))
        if which == "nut":
            (conf / "lib").mkdir()
            (conf / "lib" / "libusb-1.0.so.0").symlink_to(library.resolve())
            env.update(NUT_SID_LIBPATH=str(conf / "lib"), LD_PRELOAD=str(library))
            argv = [str(nut285_bin("nutdrv_qx")), "-a", "ups", "-k", "-u", getpass.getuser()]
        else:
            argv = [sys.executable, "-m", "hidups", "-a", "ups", "-k"]
        run = subprocess.run(argv, env=env, capture_output=True, timeout=120, cwd=ROOT)
        text = (run.stdout + run.stderr).decode("latin-1")
        assert "Shutdown failed!" in text, text
        outs[which] = logged(log)
    assert outs["hidups"] == outs["nut"]
    assert outs["nut"][-6:] == ["C"] * 3 + ["S.2R0002"] * 3


@pytest.mark.nut
@pytest.mark.upsemu
def test_nut_280_column_has_none_of_these_protocols(library: Path) -> None:
    """Debian's NUT 2.8.0 (the second column) has no innova* subdriver: it refuses
    ``protocol=innovart31`` and gives these units to q1; hidups follows 2.8.5."""
    require_nut()
    require(Path("/lib/nut/nutdrv_qx").exists(), "Debian's nutdrv_qx is not installed")
    device = DATA / "innovart31-cypress.ups"
    ids = qd.device_ids(device)
    run = qd.run_nut(device, library, {**ids, "protocol": "innovart31"})
    assert run.rc != 0 and "Device not supported" in run.output, run.output
    for name in ("innovart31-cypress", "innovatae-ippon"):
        device = DATA / f"{name}.ups"
        run = qd.run_nut(device, library, qd.device_ids(device))
        assert run.rc == 0 and run.variables["driver.version.data"] == "Q1 0.07", run.output
