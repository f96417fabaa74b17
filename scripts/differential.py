#!/usr/bin/env python3
"""Differential test of hidups against NUT 2.8.5's ``usbhid-ups`` (and Debian's 2.8.0).

Both drivers run on the SAME emulated device (upsemu, a libusb-1.0 stand-in from
``../shared/tools/upsemu``) built from each shared capture, and every variable NUT
gives is compared with what hidups gives. NUT is the oracle: it is run live here,
never read from a stored file. NUT 2.8.5, the reference, is the Debian sid build that
upsemu's ``nut_sid.sh`` unpacks (found by :func:`nut285_root`); Debian 12's NUT 2.8.0 in
``/lib/nut`` is the second column (driver ``nut280``).

Cases: every capture in the shared corpus that has a report descriptor, times the
fills ``real`` (only when the capture has raw reports), ``mid`` and ``random`` (seed 1).
Modes: ``d1`` is NUT's dump after one update loop (quick updates only); ``d2`` dumps
after two loops with ``pollfreq=5`` and 2.1 s interrupt waits, so the last loop is a
full update and alarms appear (they never do in ``d1``).

upsemu's scripts are measuring instruments: this file runs them by path and never
imports them. Their comparison rules are re-stated here (see :func:`same_value`,
:func:`excluded`) and cross-checked against ``compare.py``'s own ``match N/M`` line.

usage: scripts/differential.py [--only SUBSTRING] [--modes d1,d2] [--jobs N]
                             [--nut 2.8.5,2.8.0] [--nut-only] [--out DIR] [--json FILE]
"""

from __future__ import annotations

import argparse
import concurrent.futures
import fnmatch
import hashlib
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from hidups.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("HIDUPS_SHARED", ROOT.parent / "shared"))
CAPTURES = SHARED / "captures"
UPSEMU_DIR = SHARED / "tools" / "upsemu"
SAMPLE_DEVICE = UPSEMU_DIR / "devices" / "apc-backups-es.ups"
DIFFERENCES_DOC = ROOT / "docs" / "differences.md"
DEFAULT_OUT = ROOT / "build" / "differential"
KNOWN_SECTION = "## Known differences by capture"

#: where the tests and CI keep NUT 2.8.5 (``NUT_OUT`` of nut_sid.sh); HIDUPS_NUT285 overrides
NUT285_OUT = Path(os.environ.get("HIDUPS_NUT285",
                                 Path.home() / ".cache" / "hidups" / "nut-2.8.5"))
#: driver key → NUT version; "nut" is the reference every test holds hidups to
NUT_DRIVERS = {"nut": "2.8.5", "nut280": "2.8.0"}

FILLS = ("real", "mid", "random")
RANDOM_SEED = 1
MODES = ("d1", "d2")
#: mode → (dump after this many update loops, extra ups.conf options, emulator env)
MODE_SETTINGS: dict[str, tuple[int, tuple[str, ...], dict[str, str]]] = {
    "d1": (1, (), {}),
    "d2": (2, ("pollfreq=5",), {"UPSEMU_INTR_WAIT_MS": "2100"}),
}
#: Devices whose NUT 2.8.5 subdriver moves to another interface (belkin-hid: 10af:0002 to
#: interface 1; arduino-hid: interface 2, endpoint 4). upsemu emulates one HID interface
#: (0, endpoint 1), so 2.8.5 runs them there: same descriptor and reports, other interface.
MOVED_INTERFACE = {("10AF", "0002"), ("2341", "*")}
INTERFACE_ZERO = ("usb_hid_rep_index=0", "usb_hid_ep_in=1")
POLLINTERVAL = "2"  # what run_nut.sh writes into its ups.conf; hidups gets the same
NUT_TIMEOUT_S = 150
HIDUPS_TIMEOUT_S = 60

#: NUT's words when no subdriver claims the VID:PID (the run is "refused", not an error)
REFUSED_PATTERNS = (
    "No matching HID UPS found",
    "No matching USB/HID UPS found",
    "No supported devices found",
)
VARIABLE_LINE = re.compile(r"^([A-Za-z0-9_.\-]+): (.*)$")
NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")

# Names left out of every comparison: they describe the driver or the run, not the UPS.
EXCLUDED_NAMES = frozenset({"driver.name", "driver.version"})
EXCLUDED_PREFIXES = ("driver.version.", "driver.parameter.")
KEPT_NAMES = frozenset({"driver.parameter.pollfreq", "driver.parameter.pollinterval"})

#: what a known-difference row may say about a difference, and what each kind means
KINDS = {
    "deliberate": "hidups differs from NUT on purpose (docs/differences.md says why)",
    "NUT bug": "NUT is wrong; hidups gives the right value",
    "NUT change after 2.8.0": "hidups follows NUT 2.8.5, not the 2.8.0 binary (nut280 rows)",
    "not yet": "hidups does not do this yet; to be fixed",
    "emulation": "the emulated device is not the real one (serial, mid-filled reports)",
    "snapshot": "the capture's upsc output was taken at another time, version or setting",
}
AGAINST = ("nut", "nut280", "upsc")  # NUT 2.8.5, NUT 2.8.0, the capture's snapshot
DEVICE_ROW = "(device)"  # variable column value: the drivers disagree on accepting the device


# --- cases -------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Case:
    """One device file: a capture and the way its reports are filled."""

    capture: str  # file stem, e.g. "apc-bk650m2-ch-nutddl"
    fill: str

    @property
    def name(self) -> str:
        return f"{self.capture}.{self.fill}"

    @property
    def path(self) -> Path:
        return CAPTURES / f"{self.capture}.json"

    @property
    def seed(self) -> int | None:
        return RANDOM_SEED if self.fill == "random" else None


def load_capture(stem: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((CAPTURES / f"{stem}.json").read_text())
    return data


def fills_for(capture: Mapping[str, Any]) -> list[str]:
    """The fills nut_baseline.py uses: real only where raw reports exist."""
    if not str(capture.get("descriptor_hex") or "").strip():
        return []
    return [f for f in FILLS if f != "real" or capture.get("raw_reports")]


def all_cases(only: str | None = None) -> list[Case]:
    """Every capture with a descriptor, with each of its fills, optionally filtered by name."""
    cases: list[Case] = []
    for path in sorted(CAPTURES.glob("*.json")):
        data = json.loads(path.read_text())
        for fill in fills_for(data):
            case = Case(path.stem, fill)
            if only is None or only in case.name:
                cases.append(case)
    return cases


def upsc_snapshot(stem: str) -> dict[str, str] | None:
    """The capture's own upsc output, when it has one and raw reports to match it."""
    data = load_capture(stem)
    upsc = data.get("upsc") or {}
    if not upsc or not data.get("raw_reports"):
        return None
    return {str(k): str(v) for k, v in upsc.items()}


# --- the emulator and device files ---------------------------------------------------


def build_emulator(cache_root: Path | None = None) -> Path:
    """Build upsemu's library once into a cache directory outside the repository.

    The directory name carries a hash of the emulator's source, so a changed
    emulator is rebuilt and parallel sessions never write the same files.
    """
    sources = [UPSEMU_DIR / "emu" / "upsemu.c", UPSEMU_DIR / "Makefile"]
    digest = hashlib.sha256(b"".join(p.read_bytes() for p in sources)).hexdigest()[:16]
    root = cache_root or Path(tempfile.gettempdir())
    final = root / f"hidups-upsemu-{os.getuid()}-{digest}"
    library = final / "libupsemu.so"
    if library.exists():
        return library
    root.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="hidups-upsemu-build.", dir=root))
    proc = subprocess.run(
        ["make", "-s", "-C", str(UPSEMU_DIR), f"BUILD={work}"],
        capture_output=True, text=True, check=False,
    )
    if proc.returncode != 0 or not (work / "libupsemu.so").exists():
        shutil.rmtree(work, ignore_errors=True)
        raise RuntimeError(
            f"building upsemu in {UPSEMU_DIR} failed (needs gcc, make and "
            f"libusb-1.0-0-dev):\n{proc.stdout}{proc.stderr}"
        )
    try:
        work.rename(final)
    except OSError:  # another session finished first: use its build
        shutil.rmtree(work, ignore_errors=True)
    return library


def make_device_file(case: Case, out_dir: Path) -> Path:
    """Run capture2ups.py for ``case``; the notes it prints go next to the file."""
    out_dir.mkdir(parents=True, exist_ok=True)
    device = out_dir / f"{case.name}.ups"
    cmd = [sys.executable, str(UPSEMU_DIR / "capture2ups.py"), str(case.path), "--fill", case.fill]
    if case.seed is not None:
        cmd += ["--seed", str(case.seed)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"capture2ups.py {case.name} failed: {proc.stderr.strip()}")
    device.write_text(proc.stdout)
    (out_dir / f"{case.name}.notes").write_text(proc.stderr)
    return device


def device_ids(device: Path) -> tuple[str, str]:
    """VID and PID (4 hex digits) from a device file's ``vid:``/``pid:`` lines."""
    ids = {"vid": "0000", "pid": "0000"}
    for line in device.read_text().splitlines():
        m = re.match(r"^\s*(vid|pid)\s*:\s*(?:0[xX])?([0-9A-Fa-f]+)", line)
        if m and m.group(1) in ids:
            ids[m.group(1)] = "%04X" % int(m.group(2), 16)
    return ids["vid"], ids["pid"]


# --- running the drivers ---------------------------------------------------------------


@dataclass
class DriverRun:
    """What one driver did on one device file in one mode."""

    outcome: str  # ok | refused | error | not-runnable
    rc: int
    variables: dict[str, str]
    stderr_tail: list[str]
    wall_s: float

    @property
    def subdriver(self) -> str:
        return self.variables.get("driver.version.data", "")


def parse_dump(text: str) -> dict[str, str]:
    """``name: value`` lines of a dump (banner lines are ignored); first one wins."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        m = VARIABLE_LINE.match(line)
        if m:
            out.setdefault(m.group(1), m.group(2))
    return out


def _tail(text: str, n: int = 8) -> list[str]:
    return [line for line in text.splitlines() if line.strip()][-n:]


def _run(cmd: Sequence[str], env: Mapping[str, str], timeout: float) -> tuple[int, str, str]:
    try:
        proc = subprocess.run(
            list(cmd), capture_output=True, text=True, errors="replace",
            env=dict(env), timeout=timeout, check=False,
        )
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode(errors="replace") if isinstance(exc.stdout, bytes) else ""
        return 124, out, f"[differential: killed after {timeout:.0f} s]"
    return proc.returncode, proc.stdout, proc.stderr


def _classify(rc: int, variables: Mapping[str, str], stderr: str) -> str:
    if rc == 0 and variables:
        return "ok"
    if any(p in stderr for p in REFUSED_PATTERNS):
        return "refused"
    return "error"


def nut285_root(out: Path | None = None) -> Path | None:
    """The NUT 2.8.5 prefix nut_sid.sh unpacked (NUT285_OUT, else upsemu's out/), or None."""
    for base in (out or NUT285_OUT, UPSEMU_DIR / "out" / "nut-2.8.5"):
        root = base / "root"
        if (base / ".complete").exists() and (root / "usr/libexec/nut/usbhid-ups").exists():
            return root
    return None


def nut_env(version: str) -> dict[str, str]:
    """run_nut.sh's environment for one NUT version: 2.8.0 is the system's /lib/nut."""
    if version == "2.8.0":
        return {"NUT_VERSION": "2.8.0", "NUT_ROOT": ""}
    root = nut285_root() if version == "2.8.5" else None
    if root is None:
        raise RuntimeError(f"NUT {version} is not unpacked: run NUT_OUT={NUT285_OUT} "
                           f"{UPSEMU_DIR / 'nut_sid.sh'}")
    return {"NUT_ROOT": str(root)}


def nut_interface_options(device: Path, version: str) -> tuple[str, ...]:
    """``usb_hid_rep_index=0 usb_hid_ep_in=1`` for a device NUT 2.8.5 looks for elsewhere."""
    vid, pid = device_ids(device)
    if version != "2.8.0" and ((vid, pid) in MOVED_INTERFACE or (vid, "*") in MOVED_INTERFACE):
        return INTERFACE_ZERO
    return ()


def run_nut(device: Path, mode: str, emulator: Path, version: str = "2.8.5") -> DriverRun:
    """NUT's usbhid-ups (``version``) in dump mode, through upsemu's run_nut.sh."""
    count, options, emu_env = MODE_SETTINGS[mode]
    cmd = [str(UPSEMU_DIR / "run_nut.sh"), "-p", POLLINTERVAL]
    if count != 1:
        cmd += ["-d", str(count)]
    for option in (*options, *nut_interface_options(device, version)):
        cmd += ["-x", option]
    cmd.append(str(device))
    env = {**os.environ, **emu_env, "UPSEMU_LIB": str(emulator), **nut_env(version)}
    t0 = time.monotonic()
    rc, out, err = _run(cmd, env, NUT_TIMEOUT_S)
    variables = parse_dump(out)
    outcome = _classify(rc, variables, err)
    return DriverRun(outcome, rc, variables, _tail(err) if outcome != "ok" else [],
                     round(time.monotonic() - t0, 2))


def hidups_command(device: Path, mode: str) -> list[str]:
    """The hidups command line equivalent to run_nut.sh's ups.conf for ``device``."""
    count, options, _ = MODE_SETTINGS[mode]
    vid, pid = device_ids(device)
    cmd = [sys.executable, "-m", "hidups", "-s", "ups", "-x", "port=auto",
           "-x", f"vendorid={vid}", "-x", f"productid={pid}",
           "-x", f"pollinterval={POLLINTERVAL}"]
    for option in options:
        cmd += ["-x", option]
    return [*cmd, "-d", str(count)]


def run_hidups(device: Path, mode: str, emulator: Path) -> DriverRun:
    """hidups in dump mode on the same device, with its own NUT state directories."""
    _, _, emu_env = MODE_SETTINGS[mode]
    with tempfile.TemporaryDirectory(prefix="hidups-diff.") as tmp:
        env = {
            **os.environ, **emu_env,
            "HIDUPS_LIBUSB": str(emulator), "UPSEMU_FILE": str(device.resolve()),
            "NUT_CONFPATH": tmp, "NUT_STATEPATH": tmp, "NUT_ALTPIDPATH": tmp,
        }
        t0 = time.monotonic()
        rc, out, err = _run(hidups_command(device, mode), env, HIDUPS_TIMEOUT_S)
    variables = parse_dump(out)
    outcome = _classify(rc, variables, err)
    return DriverRun(outcome, rc, variables, _tail(err) if outcome != "ok" else [],
                     round(time.monotonic() - t0, 2))


def probe_hidups(emulator: Path) -> str | None:
    """None when hidups runs end to end on upsemu's sample APC device, else why not.

    A case whose hidups run gives no variables counts as "hidups not runnable yet"
    only while this probe fails too; once the driver works on the sample device,
    every failure is a real one.
    """
    run = run_hidups(SAMPLE_DEVICE, "d1", emulator)
    if run.outcome == "ok":
        return None
    last = run.stderr_tail[-1] if run.stderr_tail else f"exit status {run.rc}, no variables"
    return f"hidups gives no variables on {SAMPLE_DEVICE.name}: {last}"


# --- comparing ---------------------------------------------------------------------------


def excluded(name: str) -> bool:
    """Variables that describe the driver or the run, so they differ by nature."""
    if name in KEPT_NAMES:
        return False
    return name in EXCLUDED_NAMES or name.startswith(EXCLUDED_PREFIXES)


def same_value(a: str, b: str) -> bool:
    """Numbers (both decimal-looking) equal within 1e-6 relative; text exactly."""
    sa, sb = a.strip(), b.strip()
    if NUMBER.match(sa) and NUMBER.match(sb):
        return math.isclose(float(sa), float(sb), rel_tol=1e-6, abs_tol=0.0)
    return a == b


@dataclass
class Comparison:
    """Reference (NUT or a upsc snapshot) against hidups, for one case."""

    matched: int
    total: int
    only_reference: dict[str, str] = field(default_factory=dict)
    only_hidups: dict[str, str] = field(default_factory=dict)
    differ: dict[str, tuple[str, str]] = field(default_factory=dict)

    @property
    def differing_names(self) -> list[str]:
        return sorted([*self.only_reference, *self.differ])


def compare(reference: Mapping[str, str], other: Mapping[str, str]) -> Comparison:
    considered = sorted(k for k in reference if not excluded(k))
    result = Comparison(matched=0, total=len(considered))
    for name in considered:
        if name not in other:
            result.only_reference[name] = reference[name]
        elif same_value(reference[name], other[name]):
            result.matched += 1
        else:
            result.differ[name] = (reference[name], other[name])
    result.only_hidups = {
        k: other[k] for k in sorted(other) if k not in reference and not excluded(k)
    }
    return result


def compare_py_figure(reference: Path, other: Path) -> str:
    """compare.py's own last line (``match N/M``), to cross-check :func:`compare`."""
    proc = subprocess.run(
        [sys.executable, str(UPSEMU_DIR / "compare.py"), "-q", str(reference), str(other)],
        capture_output=True, text=True, check=False,
    )
    lines = proc.stdout.strip().splitlines()
    return lines[-1] if lines else ""


def write_dump(variables: Mapping[str, str], path: Path) -> Path:
    path.write_text("".join(f"{k}: {v}\n" for k, v in sorted(variables.items())))
    return path


# --- known differences (docs/differences.md) ----------------------------------------------


TOKEN_ROW = re.compile(r"^(?P<name>.+)\[(?P<sign>[+-])(?P<token>[^\]\s]+)\]$")


@dataclass(frozen=True)
class KnownDifference:
    """One row of the ``Known differences by capture`` table.

    ``variable`` is a name glob, or ``name[+TOKEN]`` / ``name[-TOKEN]`` for a
    space-separated value (``ups.status``): hidups adds, or lacks, that one word.
    """

    against: str  # nut | upsc
    capture_glob: str
    fill_glob: str
    mode_glob: str
    variable: str
    kind: str
    reason: str
    line: int

    @property
    def token(self) -> str | None:
        """``+WORD`` or ``-WORD`` for a word-level row, else None."""
        m = TOKEN_ROW.match(self.variable)
        return f"{m['sign']}{m['token']}" if m else None

    @property
    def variable_glob(self) -> str:
        m = TOKEN_ROW.match(self.variable)
        return m["name"] if m else self.variable

    def applies(self, against: str, case: Case, mode: str) -> bool:
        return (
            self.against == against
            and matches(case.capture, self.capture_glob)
            and matches(case.fill, self.fill_glob)
            and matches(mode, self.mode_glob)
        )

    def covers(self, against: str, case: Case, mode: str, variable: str) -> bool:
        """The whole variable may differ (rows without a word)."""
        return (self.token is None and self.applies(against, case, mode)
                and fnmatch.fnmatchcase(variable, self.variable_glob))

    def covers_word(self, against: str, case: Case, mode: str, variable: str,
                    word: str) -> bool:
        """``word`` (``+RB``, ``-CHRG``) may differ in ``variable``."""
        return (self.token == word and self.applies(against, case, mode)
                and fnmatch.fnmatchcase(variable, self.variable_glob))


def matches(value: str, cell: str) -> bool:
    """A cell holds one glob or several, separated by commas."""
    return any(fnmatch.fnmatchcase(value, glob.strip()) for glob in cell.split(","))


COLUMNS = ("against", "capture glob", "fill", "mode", "variable", "kind", "reason")


def _cells(line: str) -> list[str]:
    return [cell.strip().strip("`").strip() for cell in line.strip().strip("|").split("|")]


def load_known_differences(path: Path = DIFFERENCES_DOC) -> list[KnownDifference]:
    """The rows under ``## Known differences by capture`` (empty if there is none).

    Row format: ``| against | capture glob | fill | mode | variable | kind | reason |``.
    A malformed row is a ConfigError naming the file and line.
    """
    if not path.exists():
        return []
    rows: list[KnownDifference] = []
    inside = False
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if line.startswith("## "):
            inside = line.strip() == KNOWN_SECTION
            continue
        if not inside or not line.lstrip().startswith("|"):
            continue
        cells = _cells(line)
        if cells[0] in ("against", "") or set(cells[0]) <= set("-: "):
            continue  # header or separator

        def bad(problem: str, line: int = number) -> ConfigError:
            return ConfigError(problem, source=str(path), line=line)

        if len(cells) != len(COLUMNS):
            raise bad(f"expected {len(COLUMNS)} cells ({' | '.join(COLUMNS)}), "
                      f"got {len(cells)}")
        against, capture_glob, fill_glob, mode_glob, variable, kind, reason = cells
        if against not in AGAINST:
            raise bad(f"against must be one of {AGAINST}, not {against!r}")
        if kind not in KINDS:
            raise bad(f"kind must be one of {sorted(KINDS)}, not {kind!r}")
        if not reason:
            raise bad("a known difference needs a reason")
        rows.append(KnownDifference(against, capture_glob, fill_glob, mode_glob, variable,
                                    kind, reason, number))
    return rows


def explain(rows: Iterable[KnownDifference], against: str, case: Case, mode: str,
            variable: str) -> KnownDifference | None:
    """The first row that documents ``variable`` differing as a whole, if any."""
    return next((r for r in rows if r.covers(against, case, mode, variable)), None)


def words_explained(rows: Sequence[KnownDifference], against: str, case: Case, mode: str,
                    variable: str, reference: str, ours: str) -> bool:
    """True when word-level rows explain every added and missing word, and the
    words both sides share come in the same order."""
    ref_words, our_words = reference.split(), ours.split()
    added = [w for w in our_words if w not in ref_words]
    missing = [w for w in ref_words if w not in our_words]
    if not added and not missing:
        return False  # same words, other order or spacing: no row covers that
    wanted = [f"+{w}" for w in added] + [f"-{w}" for w in missing]
    if not all(any(r.covers_word(against, case, mode, variable, w) for r in rows)
               for w in wanted):
        return False
    return [w for w in ref_words if w in our_words] == [w for w in our_words if w in ref_words]


def undocumented(comparison: Comparison, rows: Sequence[KnownDifference], against: str,
                 case: Case, mode: str) -> dict[str, tuple[str | None, str | None]]:
    """Differences no row explains: name → (reference value, hidups value or None)."""
    out: dict[str, tuple[str | None, str | None]] = {}
    for name, value in comparison.only_reference.items():
        if explain(rows, against, case, mode, name) is None:
            out[name] = (value, None)
    for name, (ref, ours) in comparison.differ.items():
        if explain(rows, against, case, mode, name) is None and not words_explained(
                rows, against, case, mode, name, ref, ours):
            out[name] = (ref, ours)
    return out


def rows_used(comparison: Comparison, rows: Sequence[KnownDifference], against: str,
              case: Case, mode: str) -> set[int]:
    """Line numbers of the rows that explain at least one of these differences."""
    used = {r.line for name in comparison.differing_names for r in rows
            if r.covers(against, case, mode, name)}
    for name, (ref, ours) in comparison.differ.items():
        ref_words, our_words = ref.split(), ours.split()
        words = ([f"+{w}" for w in our_words if w not in ref_words]
                 + [f"-{w}" for w in ref_words if w not in our_words])
        used |= {r.line for w in words for r in rows
                 if r.covers_word(against, case, mode, name, w)}
    return used


def outcome_problem(nut: DriverRun, hidups: DriverRun, rows: Sequence[KnownDifference],
                    case: Case, mode: str, against: str = "nut") -> str | None:
    """A refusal on one side only, unless documented as a ``(device)`` row.

    When NUT itself fails on the emulated device (not a refusal) there is no
    oracle, so nothing is claimed.
    """
    nut_accepts = nut.outcome == "ok"
    hidups_accepts = hidups.outcome == "ok"
    if nut.outcome == "error" or nut_accepts == hidups_accepts:
        return None
    if explain(rows, against, case, mode, DEVICE_ROW):
        return None
    version = NUT_DRIVERS[against]
    if nut_accepts:
        return f"NUT {version} reads the device, hidups does not: {hidups.stderr_tail[-3:]}"
    return f"NUT {version} {nut.outcome} the device, hidups accepts it ({hidups.subdriver})"


# --- the batch ------------------------------------------------------------------------------


@dataclass
class CaseResult:
    case: Case
    device: str
    nut: dict[str, DriverRun] = field(default_factory=dict)  # NUT 2.8.5, the reference
    hidups: dict[str, DriverRun] = field(default_factory=dict)
    nut280: dict[str, DriverRun] = field(default_factory=dict)  # Debian 12's NUT 2.8.0

    def reference(self, against: str) -> dict[str, DriverRun]:
        """The runs of NUT driver key ``against`` ("nut" or "nut280")."""
        runs: dict[str, DriverRun] = getattr(self, against)
        return runs


Run = tuple[Case, str, str]  # (case, mode, "nut" | "nut280" | "hidups")
DRIVERS: dict[str, Callable[[Path, str, Path], DriverRun]] = {
    "nut": lambda device, mode, emu: run_nut(device, mode, emu, NUT_DRIVERS["nut"]),
    "nut280": lambda device, mode, emu: run_nut(device, mode, emu, NUT_DRIVERS["nut280"]),
    "hidups": run_hidups,
}


def all_runs(cases: Iterable[Case], modes: Iterable[str], with_hidups: bool,
             nuts: Sequence[str] = tuple(NUT_DRIVERS)) -> list[Run]:
    drivers = [*nuts, "hidups"] if with_hidups else list(nuts)
    return [(c, m, d) for c in cases for m in modes for d in drivers]


def run_batch(
    runs: Iterable[Run],
    emulator: Path,
    device_file: Callable[[Case], Path],
    *,
    jobs: int = 12,
) -> dict[Case, CaseResult]:
    """Device files, then every (case, mode, driver) run, in parallel.

    The runs mostly wait on the emulated interrupt pipe, so many more jobs than
    cores keep both cores busy. Longest runs (d2) are started first.
    """
    wanted = sorted(set(runs), key=lambda r: (r[1] != "d2", r[0], r[2]))
    cases = sorted({r[0] for r in wanted})
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        devices = dict(zip(cases, pool.map(device_file, cases), strict=True))
        results = {c: CaseResult(c, str(devices[c])) for c in cases}
        futures = {pool.submit(DRIVERS[d], devices[c], m, emulator): (c, m, d)
                   for c, m, d in wanted}
        for future in concurrent.futures.as_completed(futures):
            c, m, d = futures[future]
            getattr(results[c], d)[m] = future.result()
    return results


def case_report(result: CaseResult, rows: Sequence[KnownDifference], out_dir: Path,
                probe: str | None) -> dict[str, Any]:
    """JSON-ready summary of one case: both drivers and the comparison per mode."""
    case = result.case
    capture = load_capture(case.capture)
    report: dict[str, Any] = {
        "capture": case.capture, "fill": case.fill, "vendor": capture.get("vendor", ""),
        "vid_pid": f"{capture.get('vendorid', '')}:{capture.get('productid', '')}",
        "device_file": result.device, "modes": {},
    }
    dumps = out_dir / "dumps"
    dumps.mkdir(parents=True, exist_ok=True)
    for mode in sorted({*result.nut, *result.nut280}):
        entry: dict[str, Any] = {}
        hidups = result.hidups.get(mode)
        if hidups is not None:
            entry["hidups"] = _run_json(hidups)
            hid_file = write_dump(hidups.variables, dumps / f"{case.name}.{mode}.hidups.txt")
        for against in NUT_DRIVERS:
            nut = result.reference(against).get(mode)
            if nut is None:
                continue
            entry[against] = _run_json(nut)
            nut_file = write_dump(nut.variables, dumps / f"{case.name}.{mode}.{against}.txt")
            if hidups is None:
                continue
            cmp = compare(nut.variables, hidups.variables)
            entry["comparison" if against == "nut" else f"comparison_{against}"] = {
                "matched": cmp.matched, "total": cmp.total,
                "compare_py": compare_py_figure(nut_file, hid_file),
                "only_nut": cmp.only_reference, "only_hidups": cmp.only_hidups,
                "differ": {k: list(v) for k, v in cmp.differ.items()},
                "undocumented": {k: list(v) for k, v in
                                 undocumented(cmp, rows, against, case, mode).items()},
                "rows_used": sorted(rows_used(cmp, rows, against, case, mode)
                                    | _device_row(nut, hidups, rows, case, mode, against)),
                "outcome_problem": outcome_problem(nut, hidups, rows, case, mode, against),
                "not_runnable": probe is not None and hidups.outcome != "ok",
            }
        report["modes"][mode] = entry
    snapshot = upsc_snapshot(case.capture) if case.fill == "real" else None
    if snapshot is not None and "d1" in result.nut:
        upsc_entry: dict[str, Any] = {}
        for side, run in (("nut", result.nut.get("d1")), ("hidups", result.hidups.get("d1"))):
            if run is None:
                continue
            cmp = compare(snapshot, run.variables)
            upsc_entry[side] = {
                "matched": cmp.matched, "total": cmp.total,
                "differing": cmp.differing_names,
                "undocumented": {k: list(v) for k, v in
                                 undocumented(cmp, rows, "upsc", case, "d1").items()},
                "rows_used": sorted(rows_used(cmp, rows, "upsc", case, "d1")),
            }
        report["upsc"] = upsc_entry
    return report


def _run_json(run: DriverRun) -> dict[str, Any]:
    data = asdict(run)
    data["nvars"] = len(run.variables)
    data["compared"] = sum(1 for name in run.variables if not excluded(name))
    data["subdriver"] = run.subdriver
    return data


def _device_row(nut: DriverRun, hidups: DriverRun, rows: Sequence[KnownDifference],
                case: Case, mode: str, against: str = "nut") -> set[int]:
    if nut.outcome != "error" and (nut.outcome == "ok") == (hidups.outcome == "ok"):
        return set()
    # a refusal on one side only, or NUT unable to run the emulated device at all
    row = explain(rows, against, case, mode, DEVICE_ROW)
    return {row.line} if row else set()


def rows_used_by(result: CaseResult, rows: Sequence[KnownDifference]) -> set[int]:
    """Line numbers of the rows that explain some difference of this case."""
    case, used = result.case, set()
    for against in NUT_DRIVERS:
        for mode, nut in result.reference(against).items():
            hidups = result.hidups.get(mode)
            if hidups is None:
                continue
            used |= rows_used(compare(nut.variables, hidups.variables), rows, against, case,
                              mode)
            used |= _device_row(nut, hidups, rows, case, mode, against)
    snapshot = upsc_snapshot(case.capture) if case.fill == "real" else None
    if snapshot is not None:
        for run in (result.nut.get("d1"), result.hidups.get("d1")):
            if run is not None:
                used |= rows_used(compare(snapshot, run.variables), rows, "upsc", case, "d1")
    return used


def stale_rows(results: Mapping[Case, CaseResult], rows: Sequence[KnownDifference],
               against: Iterable[str] = ("nut", "nut280", "upsc")) -> list[KnownDifference]:
    """Rows (of the ``against`` columns) that explain no difference of any case."""
    used: set[int] = set()
    for result in results.values():
        used |= rows_used_by(result, rows)
    wanted = set(against)
    return [r for r in rows if r.line not in used and r.against in wanted]


# --- command line -----------------------------------------------------------------------------


def _figure(entry: Mapping[str, Any], against: str = "nut") -> str:
    cmp = entry.get("comparison" if against == "nut" else f"comparison_{against}")
    nut = entry.get(against)
    if nut is None:
        return "-"
    if nut["outcome"] != "ok":
        return str(nut["outcome"])
    if cmp is None:
        return "-"
    if cmp["not_runnable"]:
        return "not-run"
    figure = f"{cmp['matched']}/{cmp['total']}"
    if cmp["compare_py"] != f"match {figure}":
        figure += "(!)"
    return figure


def print_table(reports: Sequence[Mapping[str, Any]], modes: Sequence[str],
                nuts: Sequence[str] = tuple(NUT_DRIVERS)) -> None:
    """One line per case: a match figure per NUT version and mode, undocumented names."""
    cols = [(a, m) for a in nuts for m in modes]
    head = f"{'case':<50} {'NUT subdriver':<28} {'vars':>4}"
    head += "".join(f" {NUT_DRIVERS[a] + ' ' + m:>10}" for a, m in cols) + "  undocumented"
    print(head)
    for rep in reports:
        first = rep["modes"][modes[0]]
        nut = first.get(nuts[0]) or {"subdriver": "", "nvars": 0}
        line = f"{rep['capture'] + '.' + rep['fill']:<50} {nut['subdriver'][:28]:<28} "
        line += f"{nut['nvars']:>4}"
        undoc: set[str] = set()
        for against, m in cols:
            entry = rep["modes"][m]
            line += f" {_figure(entry, against):>10}"
            cmp = entry.get("comparison" if against == "nut" else f"comparison_{against}")
            if cmp and not cmp["not_runnable"]:
                tag = "" if against == "nut" else f"({NUT_DRIVERS[against]})"
                undoc |= {name + tag for name in cmp["undocumented"]}
                if cmp["outcome_problem"]:
                    undoc.add(DEVICE_ROW + tag)
        print(line + "  " + (" ".join(sorted(undoc)) or "-"))


def totals(reports: Sequence[Mapping[str, Any]], modes: Sequence[str],
           against: str) -> tuple[int, int]:
    """Matched and compared variables over every case and mode, against one NUT."""
    matched = total = 0
    for rep in reports:
        for m in modes:
            key = "comparison" if against == "nut" else f"comparison_{against}"
            cmp = rep["modes"][m].get(key)
            if cmp and not cmp["not_runnable"]:
                matched, total = matched + cmp["matched"], total + cmp["total"]
    return matched, total


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--only", help="cases whose name (capture.fill) contains this")
    parser.add_argument("--modes", default=",".join(MODES), help="d1,d2 (default both)")
    parser.add_argument("--jobs", type=int, default=12)
    parser.add_argument("--nut", default="2.8.5,2.8.0",
                        help="NUT versions to run, reference first (default 2.8.5,2.8.0)")
    parser.add_argument("--nut-only", action="store_true", help="do not run hidups")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--json", type=Path, help="results file (default OUT/results.json)")
    args = parser.parse_args(argv)
    modes = [m for m in args.modes.split(",") if m]
    if not set(modes) <= set(MODES):
        parser.error(f"--modes: choose from {', '.join(MODES)}")
    by_version = {v: k for k, v in NUT_DRIVERS.items()}
    try:
        nuts = [by_version[v] for v in args.nut.split(",") if v]
    except KeyError as exc:
        parser.error(f"--nut: unknown version {exc}; choose from {', '.join(by_version)}")
    cases = all_cases(args.only)
    if not cases:
        print(f"no case matches {args.only!r} in {CAPTURES}", file=sys.stderr)
        return 2
    t0 = time.monotonic()
    emulator = build_emulator()
    rows = load_known_differences()
    probe = None if args.nut_only else probe_hidups(emulator)
    if probe:
        print(f"hidups not runnable yet: {probe}", file=sys.stderr)
    results = run_batch(all_runs(cases, modes, not args.nut_only, nuts), emulator,
                        lambda c: make_device_file(c, args.out / "devices"), jobs=args.jobs)
    reports = [case_report(results[c], rows, args.out, probe) for c in cases]
    print_table(reports, modes, nuts)
    for against in nuts:
        matched, total = totals(reports, modes, against)
        share = f" ({100 * matched / total:.1f}%)" if total else ""
        print(f"hidups against NUT {NUT_DRIVERS[against]}: {matched}/{total} variables{share}")
    full = args.only is None and not args.nut_only
    stale = stale_rows(results, rows, [*nuts, "upsc"]) if full else []
    for row in stale:
        print(f"known difference explains nothing here: {DIFFERENCES_DOC.name}:{row.line} "
              f"{row.capture_glob} {row.fill_glob} {row.mode_glob} {row.variable}")
    elapsed = round(time.monotonic() - t0, 1)
    out_json = args.json or args.out / "results.json"
    out_json.parent.mkdir(parents=True, exist_ok=True)
    out_json.write_text(json.dumps({
        "generated_s": elapsed, "modes": modes, "hidups_probe": probe,
        "nut_only": args.nut_only, "cases": reports,
        "stale_known_differences": [asdict(r) for r in stale],
    }, indent=1, sort_keys=True))
    print(f"{len(cases)} cases, modes {','.join(modes)}, {elapsed} s; results in {out_json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
