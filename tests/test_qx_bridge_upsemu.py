"""The Q* USB link on upsemu's 13 bridges: answers, NUT's transfers, matching, faults.

Each device file in ../shared/tools/upsemu/devices with a ``qx_bridge`` line is a Q*
UPS behind one of nutdrv_qx's bridges. The link (pyusb on the emulator, in a child
process as pyusb keeps its first libusb) must return the file's answers, and send
exactly the transfers NUT 2.8.0's ``nutdrv_qx`` sends for the same commands: the
commands NUT sent are read from the emulator's log of a ``run_nut.sh`` run and replayed.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
from conftest import UPSEMU_DIR, require
from qx_bridge_util import DEVICES, drive

#: device file → (bridge NUT picks from VID:PID and strings, options it needs)
QX_DEVICES: dict[str, tuple[str, dict[str, str]]] = {
    "megatec-cypress": ("cypress", {}),
    "voltronic-qs-cypress": ("cypress", {}),
    "megatec-phoenixtec": ("phoenixtec", {}),
    "zinto-phoenix": ("phoenix", {}),
    "mustek-ippon": ("ippon", {}),
    "megatec-krauler": ("krauler", {}),
    "megatec-fabula": ("fabula", {}),
    "megatec-hunnox": ("hunnox", {}),
    "megatec-fuji": ("fuji", {}),
    "megatec-sgs": ("sgs", {}),
    "megatec-snr": ("snr", {"subdriver": "snr", "vendorid": "0001", "productid": "0000",
                            "langid_fix": "0x0409"}),
    "ablerex-ablerex": ("ablerex", {}),
    "megatec-armac": ("armac", {}),
}
#: NUT's run options beyond the link's (the Q* protocol to use).
NUT_EXTRA = {"ablerex-ablerex": {"protocol": "ablerex"}}







# --- what the device file says the UPS answers ----------------------------------------

_ESCAPES = {"r": b"\r", "n": b"\n", "t": b"\t", "\\": b"\\", '"': b'"', "0": b"\0"}


def _unquote(text: str) -> tuple[bytes, str]:
    """A quoted device-file value: (bytes, rest of the line after the closing quote)."""
    out = bytearray()
    i = 1
    while text[i] != '"':
        if text[i] == "\\":
            if text[i + 1] == "x":
                out.append(int(text[i + 2:i + 4], 16))
                i += 4
                continue
            out += _ESCAPES[text[i + 1]]
            i += 2
            continue
        out += text[i].encode("latin-1")
        i += 1
    return bytes(out), text[i + 1:]


def device_answers(path: Path) -> tuple[dict[str, bytes | None], str]:
    """``qx CMD: ANSWER`` lines (None: silence) and ``qx_default``."""
    answers: dict[str, bytes | None] = {}
    default = "echo"
    for line in path.read_text(encoding="latin-1").splitlines():
        if line.startswith("qx_default:"):
            default = line.split(":", 1)[1].split("#")[0].strip()
        elif line.startswith("qx "):
            rest = line[3:]
            if rest.startswith('"'):
                raw, rest = _unquote(rest)
                cmd = raw.decode("latin-1")
                rest = rest[1:]
            else:
                cmd, rest = rest.split(":", 1)
            value = rest.strip()
            if value.startswith('"'):
                answers[cmd] = _unquote(value)[0]
            else:
                answers[cmd] = (value + "\r").encode("latin-1") if value else None
    return answers, default


def expected_answer(path: Path, cmd: str) -> bytes | None:
    """The emulated UPS's answer to ``cmd``: exact, case-insensitive, longest prefix."""
    answers, default = device_answers(path)
    if cmd in answers:
        return answers[cmd]
    for key, value in answers.items():
        if key.lower() == cmd.lower():
            return value
    prefixes = [k for k in answers if k.endswith("*") and cmd.startswith(k[:-1])]
    if prefixes:
        return answers[max(prefixes, key=len)]
    return {"echo": (cmd + "\r").encode(), "nak": b"(NAK\r"}.get(default)


def c_string(data: bytes) -> bytes:
    return data.split(b"\0", 1)[0]


QUERIES = ["Q1", "F", "I", "QS", "QPI"]


@pytest.mark.upsemu
@pytest.mark.parametrize("name", sorted(QX_DEVICES))
def test_bridge_returns_the_device_files_answers(emulator: Path, name: str) -> None:
    bridge, options = QX_DEVICES[name]
    device = DEVICES / f"{name}.ups"
    out = drive(emulator, device, options, [f"{q}\r".encode() for q in QUERIES])
    assert out.get("bridge") == bridge, out
    answers = out["answers"]
    assert isinstance(answers, list)
    for query, (status, *value) in zip(QUERIES, answers, strict=True):
        want = expected_answer(device, query)
        assert want is not None, f"{name}: the file keeps {query} silent"
        assert status == "ok", (query, status, value)
        got = bytes.fromhex(value[0])
        assert c_string(got) == want, (query, got)
        if bridge in ("cypress", "phoenix"):  # whole 8-byte interrupt reports, as NUT
            assert len(got) % 8 == 0 and got == want.ljust(len(got), b"\0"), got


@pytest.mark.upsemu
def test_gtec_framing_on_an_ippon_type_bridge(emulator: Path) -> None:
    """upsemu has no gtec bridge; gtec writes like ippon (SET_REPORT 0x0002, 8-byte
    chunks) and reads 128 bytes, so the ippon unit's 64-byte answer comes back whole."""
    device = DEVICES / "mustek-ippon.ups"
    options = {"subdriver": "gtec", "vendorid": "06da", "productid": "0003"}
    out = drive(emulator, device, options, [b"F\r", b"I\r", b"QS\r"])
    assert out["bridge"] == "gtec"
    answers = out["answers"]
    assert isinstance(answers, list)
    for query, (status, value, *_) in zip(["F", "I", "QS"], answers, strict=True):
        got = bytes.fromhex(value)
        assert status == "ok" and len(got) == 64
        assert c_string(got) == expected_answer(device, query)


# --- the same transfers as NUT ----------------------------------------------------------

_FIELD = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|\S*)')
_DROP = {"t", "pid", "api", "waited_ms"}


def _fields(line: str) -> dict[str, str]:
    return dict(_FIELD.findall(line))


def _mask(fields: dict[str, str], bridge: str) -> dict[str, str]:
    """Hide the bytes NUT leaves uninitialised: ippon 2.8.0 sends the stack after the
    command's NUL (2.8.5 zeroes it, as hidups), ablerex (2.8.0 and 2.8.5) the 47-byte
    report's bytes after ``05 00 count cmd``."""
    data = fields.get("data", "")
    if fields.get("op") != "ctrl" or fields.get("bmRequestType") != "0x21" or data == "-":
        return fields
    raw = bytes.fromhex(data)
    if bridge == "ippon" and b"\0" in raw:
        raw = raw[:raw.index(b"\0") + 1]
    elif bridge == "ablerex":
        raw = raw[:3 + raw[2]]
    else:
        return fields
    return {**fields, "data": raw.hex() + "..."}


def _armac_drain_or_end(fields: dict[str, str]) -> bool:
    """armac: 2.8.0 reads the count-0 report that ends an answer at once (1000 ms);
    2.8.5 stops at the CR and leaves that report to the next command's 100 ms drain."""
    data = fields.get("data", "-")
    return fields.get("op") == "intr" and (
        fields.get("timeout") == "100" or (data != "-" and int(data[:2], 16) & 0x3F == 0))


def normalize(lines: list[str], bridge: str = "", timeout: bool = True) -> list[str]:
    out = []
    for line in lines:
        fields = _mask(_fields(line), bridge)
        if fields.get("op") not in ("ctrl", "intr", "qx"):
            continue
        if bridge == "armac" and _armac_drain_or_end(fields):
            continue
        drop = _DROP | (set() if timeout else {"timeout"})
        out.append(" ".join(f"{k}={v}" for k, v in fields.items() if k not in drop))
    return out


def nut_commands(lines: list[str], bridge: str) -> list[bytes]:
    """The commands nutdrv_qx sent to the device, from the emulator's op=qx lines.

    hunnox: its lock-step reads are logged as commands too, but are raw string reads
    (a command is an ascii one). snr: a command the bridge has no string for still
    costs NUT its wake-up interrupt read, then NUT echoes it; such a read without a
    command after it is replayed as an unknown command (QGS).
    """
    commands = []
    pending_wakeup = False
    for i, line in enumerate(lines):
        fields = _fields(line)
        if bridge == "snr" and fields.get("op") == "intr":
            if pending_wakeup:
                commands.append(b"QGS\r")
            pending_wakeup = True
            continue
        if fields.get("op") != "qx":
            continue
        pending_wakeup = False
        if bridge == "hunnox":
            following = next((_fields(x) for x in lines[i + 1:]
                              if _fields(x).get("op") == "ctrl"), {})
            if following.get("api") != "libusb_get_string_descriptor_ascii":
                continue
        cmd = fields["cmd"]
        raw = _unquote(cmd)[0] if cmd.startswith('"') else cmd.encode("latin-1")
        commands.append(raw + b"\r")
    if pending_wakeup:
        commands.append(b"QGS\r")
    return commands


def run_nut(lib: Path, device: Path, options: dict[str, str], log: Path) -> None:
    args = ["bash", str(UPSEMU_DIR / "run_nut.sh"), "-l", str(log)]
    for key, value in options.items():
        args += ["-x", f"{key}={value}" if value else key]
    env = dict(os.environ, UPSEMU_LIB=str(lib), UPSEMU_INTR_WAIT_MS="50")
    result = subprocess.run([*args, str(device)], env=env, capture_output=True, text=True,
                            timeout=300, cwd=UPSEMU_DIR)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ups.status:" in result.stdout, result.stdout


def _ids(device: Path) -> dict[str, str]:
    fields = dict(line.split(":", 1) for line in device.read_text().splitlines()
                  if line[:4] in ("vid:", "pid:"))
    return {"vendorid": fields["vid"].strip(), "productid": fields["pid"].strip()}


COMPARED: list[tuple[str, dict[str, str]]] = [(name, {}) for name in sorted(QX_DEVICES)] + [
    ("megatec-krauler", {"langid_fix": "0x0409"}),
    ("megatec-krauler", {"langid_fix": "0x0409", "noscanlangid": ""}),  # NUT: getval NULL
    ("megatec-krauler", {"langid_fix": "0x0409", "noscanlangid": "yes"}),
]


@pytest.mark.upsemu
@pytest.mark.nut
@pytest.mark.slow
@pytest.mark.parametrize(("name", "extra"), COMPARED,
                         ids=[n + "".join(f"-{k}{v}" for k, v in e.items()) for n, e in COMPARED])
def test_same_transfers_as_nut(emulator: Path, tmp_path: Path, name: str,
                               extra: dict[str, str]) -> None:
    require(Path("/lib/nut/nutdrv_qx").exists(), "Debian's nutdrv_qx is not installed")
    bridge, options = QX_DEVICES[name]
    device = DEVICES / f"{name}.ups"
    options = {**_ids(device), **options, **extra}
    nut_log, our_log = tmp_path / "nut.log", tmp_path / "ours.log"
    run_nut(emulator, device, {**options, **NUT_EXTRA.get(name, {})}, nut_log)
    nut_lines = nut_log.read_text().splitlines()
    commands = nut_commands(nut_lines, bridge)
    assert commands, f"NUT sent nothing to {name}"
    out = drive(emulator, device, options, commands, log=our_log)
    marker = out["marker"]
    assert isinstance(marker, int)
    ours = our_log.read_bytes()
    prologue = normalize(ours[:marker].decode().splitlines(), bridge, timeout=False)
    our_commands = normalize(ours[marker:].decode().splitlines(), bridge)
    theirs = normalize(nut_lines, bridge)
    # open: the same string reads (hidups waits 5 s for them, NUT 1 s), langid scan
    assert normalize(nut_lines, bridge, timeout=False)[:len(prologue)] == prologue
    assert our_commands == theirs[len(prologue):]
    transfers = sum(1 for x in our_commands if not x.startswith("op=qx"))
    if "langid_fix" in extra:  # the language list is read unless noscanlangid has a value
        assert len(prologue) == (0 if extra.get("noscanlangid") else 1)
    print(f"\nQXCOMPARE {name}{''.join(f'+{k}={v}' for k, v in extra.items())} "
          f"bridge={bridge} "
          f"commands={len(commands)} distinct={len(set(commands))} transfers={transfers} "
          f"open_transfers={len(prologue)} identical=yes")
