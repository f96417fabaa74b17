"""Differential helpers for the hunnox, ablerex and gtec protocol tests (NUT 2.8.5).

Both drivers run on the same upsemu device (``tests/data/qx/*.ups``): NUT 2.8.5's
nutdrv_qx through ``run_nut.sh`` and ``python -m hidups``; their variables, the commands
they send while probing (upsemu's ``op=qx cmd=`` log) and the bytes of every instant
command are compared.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
import time
from collections import Counter
from collections.abc import Mapping
from pathlib import Path

import qx_driver_util as qd
from conftest import ROOT, require, require_nut285, require_shared
from upsemu_util import try_build_upsemu

from hidups.nut.client import DriverClient
from hidups.qx.registry import ORDER, PROTOCOLS

DATA = Path(__file__).parent / "data" / "qx"
QX_LOG = re.compile(r"op=qx bridge=\S+ cmd=(\"[^\"]*\"|\S+)")
#: What an instant command sends (the polls Q1, Q4, Q5, F, I, FW?, BL, At, TR are not).
COMMAND_SHAPE = re.compile(r"^(S.*|C|CT|T|TL|T\d+|Q)$")
#: What NUT 2.8.5 sends to claim with a protocol hidups has not built, on a device that
#: refuses it (three tries each): these are missing from hidups' probing.
UNBUILT_PROBES: dict[str, list[str]] = {
    "voltronic": ["QGS"] * 3, "voltronic-axpert": ["QPI"] * 3, "masterguard": ["WH"] * 3,
    "innovart31": ["Q6"] * 3, "innovart33": ["Q6"] * 3, "innovatae": ["Q1"] * 3,
    "q2": ["Q2"] * 3, "q6": ["Q6"] * 3,
}
#: Instant commands of all three tables, in table order, with upscmd's argument.
COMMANDS = ["beeper.toggle", "load.off", "load.on", "shutdown.return", "shutdown.stayoff",
            "shutdown.stop", "test.battery.start 120", "test.battery.start.deep",
            "test.battery.start.quick", "test.battery.stop",
            "test.battery.start 30",  # out of range (60..5940): refused before sending
            ]


def library() -> Path:
    """upsemu, built once; NUT 2.8.5 must be unpacked (the reference)."""
    require_nut285()
    require_shared()
    lib, why = try_build_upsemu()
    require(lib is not None, f"upsemu cannot be built: {why}")
    assert lib is not None
    return lib


def device(name: str) -> Path:
    path = DATA / f"{name}.ups"
    if not path.exists():
        path = qd.DEVICES_DIR / f"{name}.ups"
    return path


def sent(log: Path) -> list[str]:
    """The Q* commands upsemu saw, in order, as logged (``QPI\\xbe\\xac`` -> ``QPI``)."""
    text = log.read_text(errors="replace") if log.exists() else ""
    return [c.strip('"').split("\\x", 1)[0] for c in QX_LOG.findall(text)]


def probe(commands: list[str]) -> list[str]:
    """What was sent before the first rating query (F): the autodetection's claims."""
    return commands[: commands.index("F")] if "F" in commands else commands


def run_both(dev: Path, lib: Path, options: Mapping[str, str], dumps: int = 1,
             ) -> tuple[qd.Run, qd.Run, list[str], list[str]]:
    """NUT 2.8.5 and hidups in dump mode (after ``dumps`` updates), with their logs."""
    opts = {**qd.device_ids(dev), **options}
    with tempfile.TemporaryDirectory(prefix="hidups-qxsmall.") as tmp:
        nut_log, our_log = Path(tmp) / "nut.log", Path(tmp) / "ours.log"
        nut = qd.run_nut(dev, lib, opts, log=nut_log, version="2.8.5",
                         extra=["-d", str(dumps)])
        state = Path(tmp) / "state"
        state.mkdir()
        res = subprocess.run([*qd.hidups_args(opts), "-d", str(dumps)],
                             env=qd.hidups_env(dev, lib, state, UPSEMU_LOG=str(our_log)),
                             capture_output=True, timeout=300, cwd=ROOT)
        out = res.stdout.decode("latin-1")
        ours = qd.Run(res.returncode, qd.parse(out), out + res.stderr.decode("latin-1"))
        return nut, ours, sent(nut_log), sent(our_log)


def unbuilt_before(picked: str) -> Counter[str]:
    """The probes NUT sends for protocols hidups lacks, ordered before ``picked``."""
    missing: Counter[str] = Counter()
    for name in ORDER[: ORDER.index(picked)]:
        if PROTOCOLS[name] is None:
            missing.update(UNBUILT_PROBES[name])
    return missing


def is_subsequence(short: list[str], long: list[str]) -> bool:
    it = iter(long)
    return all(any(c == x for x in it) for c in short)


Served = tuple[dict[str, str], list[str], dict[str, str]]


def nut_commands(dev: Path, lib: Path, options: Mapping[str, str],
                 commands: list[str], secs: int = 3) -> Served:
    """NUT 2.8.5 in the foreground for ``secs`` s, then each INSTCMD through its socket;
    (answers, the commands' bytes on the wire, the variables it serves then)."""
    opts = {**qd.device_ids(dev), **options}
    extra = ["-F", str(secs)]
    for command in commands:
        extra += ["-c", command]
    with tempfile.TemporaryDirectory(prefix="hidups-qxsmall.") as tmp:
        log = Path(tmp) / "nut.log"
        run = qd.run_nut(dev, lib, opts, log=log, version="2.8.5", extra=extra)
        assert run.rc == 0, run.output
        answers = dict(re.findall(r"^# INSTCMD (.+): (\S+)$", run.output, re.M))
        return answers, [c for c in sent(log) if COMMAND_SHAPE.match(c)], run.variables


STATUS_NAMES = {0: "HANDLED", 1: "UNKNOWN", 2: "INVALID", 3: "FAILED"}


def hidups_commands(dev: Path, lib: Path, options: Mapping[str, str],
                    commands: list[str], secs: int = 3) -> Served:
    """The hidups driver process in the foreground, the same INSTCMDs on its socket."""
    opts = {**qd.device_ids(dev), **options}
    with tempfile.TemporaryDirectory(prefix="hidups-qxsmall.") as tmp:
        log, state = Path(tmp) / "ours.log", Path(tmp) / "state"
        state.mkdir()
        env = qd.hidups_env(dev, lib, state, UPSEMU_LOG=str(log))
        proc = subprocess.Popen([*qd.hidups_args(opts), "-F"], env=env, cwd=ROOT,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        answers: dict[str, str] = {}
        variables: dict[str, str] = {}
        started = time.monotonic()
        try:
            sock = state / "hidups-ups"
            deadline = time.monotonic() + 60
            while not sock.exists():
                assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
                assert time.monotonic() < deadline, "the hidups socket did not appear"
                time.sleep(0.1)
            time.sleep(max(0.0, started + secs - time.monotonic()))
            with DriverClient(str(sock), timeout=30) as client:
                client.dump(timeout=30)
                for command in commands:
                    name, _, param = command.partition(" ")
                    code = client.instcmd(name, param or None, timeout=30)
                    answers[command] = STATUS_NAMES.get(code, str(code))
                for words in client.dump(timeout=30):
                    if len(words) == 3 and words[0] == "SETINFO":
                        variables[words[1]] = words[2]
        finally:
            qd.stop_process(proc)
        return answers, [c for c in sent(log) if COMMAND_SHAPE.match(c)], variables



def check_probes(nut_sent: list[str], our_sent: list[str], picked: str | None) -> None:
    """hidups probes as NUT 2.8.5 does, in order, less what NUT sends for protocols hidups
    lacks (``picked`` None: a ``protocol=`` was given, nothing may be missing). On a
    bridge that cannot carry a probe (hunnox: QGS, QPI), NUT answers it itself."""
    nut_probe, our_probe = probe(nut_sent), probe(our_sent)
    assert is_subsequence(our_probe, nut_probe), (our_probe, nut_probe)
    missing = Counter(nut_probe) - Counter(our_probe)
    allowed = unbuilt_before(picked) if picked is not None else Counter()
    assert not missing - allowed, (missing, our_probe, nut_probe)
    assert Counter(our_probe) - Counter(nut_probe) == Counter()
