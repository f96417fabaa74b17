"""innovart31, innovart33 and innovatae: the hidups driver process against NUT 2.8.5.

Each upsemu device of ``tests/data/qx/innova*.ups`` (NUT 2.8.5's testing answers) is
run by NUT 2.8.5's nutdrv_qx (``run_nut.sh`` with the reference prefix) and by
``python -m hidups``, with ``protocol=`` and without (autodetection): every variable
must be equal (``qx_driver_util.explain`` names what describes the driver itself), the
commands each sends (upsemu's ``op=qx cmd=`` log) must be the same, in order, and an
instant command must put the same bytes on the wire with the same answer.
"""

from __future__ import annotations

import os
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
from conftest import ROOT, UPSEMU_DIR, nut285_root, require, require_nut285
from upsemu_util import try_build_upsemu

from hidups.qx.registry import ORDER, PROTOCOLS

DATA = Path(__file__).parent / "data" / "qx"
#: names with a dash (input.L1-N.voltage): run_nut.sh's own filter drops them, so its
#: kept directory's raw dump is read with this
LINE = re.compile(r"^([A-Za-z0-9_.-]+): (.*)$")
QX_LOG = re.compile(r"op=qx bridge=\S+ cmd=(\S+)")
KEPT = re.compile(r"run_nut\.sh: keeping (\S+)")


@pytest.fixture(scope="module")
def library() -> Path:
    require_nut285()
    lib, why = try_build_upsemu()
    require(lib is not None, f"upsemu cannot be built: {why}")
    assert lib is not None
    return lib


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

COMMANDS = ["shutdown.return", "shutdown.stayoff", "test.battery.start 240",
            "test.battery.start.quick", "test.battery.start.deep", "test.battery.stop",
            "beeper.toggle", "load.off", "load.on", "shutdown.stop",
            "test.battery.start 30", "test.battery.start 6000"]
COMMAND_SHAPE = re.compile(r"^(S[.0-9].*|C|CT|T.*|Q)$")
STATUS = {0: "HANDLED", 1: "UNKNOWN", 2: "INVALID", 3: "FAILED"}


def nut_commands(device: Path, library: Path, options: Mapping[str, str],
                 log: Path) -> tuple[list[tuple[str, str]], list[str]]:
    """run_nut.sh -F: NUT 2.8.5 in the foreground, each command through its socket."""
    root = nut285_root()
    assert root is not None
    args = ["bash", str(UPSEMU_DIR / "run_nut.sh"), "-F", "2", "-p", "1", "-l", str(log)]
    for key, value in options.items():
        if key not in ("vendorid", "productid"):
            args += ["-x", f"{key}={value}"]
    for command in COMMANDS:
        args += ["-c", command]
    env = dict(os.environ, UPSEMU_LIB=str(library), NUT_ROOT=str(root), **qd.FAST_EMU)
    run = subprocess.run([*args, str(device)], env=env, capture_output=True, timeout=180)
    out = run.stdout.decode("latin-1")
    assert run.returncode == 0, out + run.stderr.decode("latin-1")
    return re.findall(r"^# INSTCMD (.*): (\w+)$", out, re.M), logged(log)


def hidups_commands(device: Path, library: Path, options: Mapping[str, str],
                    log: Path) -> tuple[list[tuple[str, str]], list[str]]:
    """The hidups driver process (-F), each command through its socket with TRACKING."""
    from hidups.nut.client import DriverClient

    with tempfile.TemporaryDirectory(prefix="hidups-innova.") as tmp:
        conf = Path(tmp)
        lines = ["[ups]", "    driver = hidups", "    port = auto", "    pollinterval = 1"]
        lines += [f"    {k} = {v}" for k, v in options.items()]
        (conf / "ups.conf").write_text("\n".join(lines) + "\n")
        env = qd.hidups_env(device, library, conf, UPSEMU_LOG=str(log))
        with open(conf / "driver.log", "wb") as out:
            proc = subprocess.Popen([sys.executable, "-m", "hidups", "-a", "ups", "-F"],
                                    env=env, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)
        try:
            sock = conf / "hidups-ups"
            deadline = time.monotonic() + 30
            while not sock.exists():
                assert proc.poll() is None, (conf / "driver.log").read_text()
                assert time.monotonic() < deadline, "no driver socket"
                time.sleep(0.1)
            statuses = []
            with DriverClient(str(sock)) as client:
                for command in COMMANDS:
                    name, _, param = command.partition(" ")
                    code = client.instcmd(name, param or None, timeout=15)
                    statuses.append((command, STATUS.get(code, str(code))))
        finally:
            proc.terminate()
            proc.wait(timeout=15)
    return statuses, logged(log)


@pytest.mark.nut
@pytest.mark.upsemu
@pytest.mark.parametrize(("name", "options"), [
    ("innovart31-cypress", {"protocol": "innovart31"}),
    ("innovart31-cypress", {"protocol": "innovart31", "ondelay": "120", "offdelay": "12"}),
    ("innovatae-ippon", {"protocol": "innovatae", "offdelay": "150"}),
], ids=["innovart31", "innovart31-delays", "innovatae-delays"])
def test_commands_same_bytes_as_nut_285(library: Path, tmp_path: Path, name: str,
                                        options: dict[str, str]) -> None:
    """Every instant command of the table (and an out-of-range test: FAILED, nothing
    sent); the delays set in ups.conf reach shutdown.return/stayoff as NUT's do."""
    device = DATA / f"{name}.ups"
    opts = {**qd.device_ids(device), **options}
    nut_status, nut_log = nut_commands(device, library, opts, tmp_path / "nut.log")
    our_status, our_log = hidups_commands(device, library, opts, tmp_path / "hidups.log")
    assert [c for c, _ in nut_status] == COMMANDS
    assert our_status == nut_status
    nut_sent = [c for c in nut_log if COMMAND_SHAPE.match(c)]
    our_sent = [c for c in our_log if COMMAND_SHAPE.match(c)]
    assert our_sent == nut_sent
    assert dict(nut_status)["test.battery.start 30"] == "FAILED"
    assert "T00" not in nut_sent and "T100" not in nut_sent
    expected = {"innovart31": ["S.5R0003", "S.5R0000"],
                "innovart31-delays": ["S.2R0002", "S.2R0000"],
                "innovatae-delays": ["S02R0003", "S02R0000"]}
    key = "innovart31" if "ondelay" not in options and name.startswith("innovart31") \
        else ("innovart31-delays" if name.startswith("innovart31") else "innovatae-delays")
    assert nut_sent[:2] == expected[key]
    assert "T04" in nut_sent and "TL" in nut_sent and "CT" in nut_sent


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
