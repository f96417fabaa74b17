"""The serial Q* link on a pseudo-terminal, with a thread playing a real UPS's answers.

The UPS is the Visench C1K of ../shared/captures/qx (an RS-232 megatec unit): its
captured answers, echo for anything else (as Megatec units do). NUT 2.8.0's serial
``nutdrv_qx`` is run against the same answerer; both must get the same answers to the
same commands.
"""

from __future__ import annotations

import json
import os
import pwd
import re
import subprocess
import sys
import termios
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import ROOT, SHARED_CAPTURES, require, require_shared
from pty_ups import HAVE_PYSERIAL, PtyUps

from hidups.errors import BackendUnavailable, ConfigError, Disconnected, TransportTimeout
from hidups.transport.serial_backend import QxSerialLink, open_qx_serial

CAPTURE = SHARED_CAPTURES / "qx" / "visench-c1k-nut2395.json"


@pytest.fixture(autouse=True)
def _pyserial() -> None:
    require(HAVE_PYSERIAL, "pyserial (in the test extra) is not installed")


def capture_answers() -> dict[bytes, bytes]:
    """command → the capture's last complete answer (CR included)."""
    require_shared()
    answers: dict[bytes, bytes] = {}
    for exchange in json.loads(CAPTURE.read_text())["exchanges"]:
        if "answer_hex" in exchange:
            answers[exchange["send"].encode()] = bytes.fromhex(exchange["answer_hex"])
    return answers




@pytest.fixture
def ups() -> Iterator[PtyUps]:
    device = PtyUps(capture_answers())
    yield device
    device.close()


def test_answers_are_the_captures(ups: PtyUps) -> None:
    with open_qx_serial(ups.path, {}, sleep=lambda _s: None) as link:
        assert link.bridge == "serial"
        assert link.command(b"Q1\r") == ups.answers[b"Q1"]
        assert link.command(b"ID\r") == b"NAK\r"
        assert link.command(b"QPI\r") == b"QPI\r"  # echoed: "not supported"
    assert ups.received == [b"Q1", b"ID", b"QPI"]


def test_nuts_serial_settings(ups: PtyUps) -> None:
    slept: list[float] = []
    link = open_qx_serial(ups.path, {}, sleep=slept.append)
    try:
        iflag, oflag, cflag, lflag, ispeed, ospeed, cc = termios.tcgetattr(ups.slave)
        assert (ispeed, ospeed) == (termios.B2400, termios.B2400)
        assert cflag & termios.CSIZE == termios.CS8
        assert not cflag & (termios.PARENB | termios.CSTOPB)
        assert lflag & termios.ICANON and not lflag & termios.ECHO
        assert cc[termios.VEOL] == b"\r"
        assert not iflag & termios.ICRNL  # the CR must reach us as a CR
        assert not oflag & termios.OPOST  # and the command leave as it is
        assert slept == [1.1]  # NUT lets the cable power settle
    finally:
        link.close()


def test_a_slow_answer_is_read_as_one_line() -> None:
    device = PtyUps(capture_answers(), split=0.2)
    try:
        with open_qx_serial(device.path, {}, sleep=lambda _s: None) as link:
            assert link.command(b"Q1\r") == device.answers[b"Q1"]
    finally:
        device.close()


def test_silence_times_out_and_stale_input_is_flushed() -> None:
    device = PtyUps(capture_answers(), silent=(b"T",))
    try:
        with open_qx_serial(device.path, {}, sleep=lambda _s: None) as link:
            started = time.monotonic()
            with pytest.raises(TransportTimeout, match=re.escape("no answer to b'T' within 0.3 s")):
                link.command(b"T\r", timeout=0.3)
            assert 0.25 < time.monotonic() - started < 2
            device.inject(b"(stale line\r")
            time.sleep(0.1)
            assert link.command(b"ID\r") == b"NAK\r"  # NUT flushes before each command
    finally:
        device.close()


def test_closed_link_refuses_commands(ups: PtyUps) -> None:
    link = open_qx_serial(ups.path, {"cablepower": "NONE"}, sleep=lambda _s: None)
    link.close()
    link.close()
    with pytest.raises(Disconnected, match="closed"):
        link.command(b"Q1\r")


def test_bad_cablepower_and_missing_port() -> None:
    with pytest.raises(ConfigError, match="Value 'sideways' not valid for 'cablepower'"):
        open_qx_serial("/dev/null", {"cablepower": "sideways"})
    with pytest.raises(OSError, match="cannot open serial port /nonexistent/tty"):
        open_qx_serial("/nonexistent/tty", {}, sleep=lambda _s: None)


class _FakePort:
    """A port without termios (Windows): bytes trickle in one read at a time."""

    def __init__(self, incoming: bytes) -> None:
        self.incoming = bytearray(incoming)
        self.timeout = 0.0
        self.written = b""

    def reset_input_buffer(self) -> None: ...

    def reset_output_buffer(self) -> None: ...

    def flush(self) -> None: ...

    def write(self, data: bytes) -> int:
        self.written += data
        return len(data)

    def read(self, size: int) -> bytes:
        out = bytes(self.incoming[:size])
        del self.incoming[:size]
        return out


def test_without_termios_lines_are_assembled_by_hand() -> None:
    link = QxSerialLink(_FakePort(b"(229.9 000.0\rnext"), "COM3", canonical=False)
    assert link.command(b"Q1\r") == b"(229.9 000.0\r"
    with pytest.raises(TransportTimeout):  # a partial line is no answer, as in NUT
        link.command(b"Q1\r", timeout=0.05)


def test_import_hidups_works_without_pyserial() -> None:
    code = ("import sys; sys.modules['serial'] = None\n"
            "import hidups, hidups.transport.serial_backend as s\n"
            "try:\n    s.open_qx_serial('/dev/null', {}, sleep=lambda _s: None)\n"
            "except Exception as e:\n    print(type(e).__name__, e)\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60, cwd=ROOT)
    assert result.stdout.startswith(BackendUnavailable.__name__), result.stderr
    assert "pip install 'hidups[serial]'" in result.stdout


@pytest.mark.nut
@pytest.mark.slow
def test_nut_serial_driver_gets_the_same_answers(tmp_path: Path) -> None:
    driver = Path("/lib/nut/nutdrv_qx")
    require(driver.exists(), "Debian's nutdrv_qx is not installed")
    device = PtyUps(capture_answers())
    try:
        (tmp_path / "ups.conf").write_text(
            f"[emu]\n\tdriver = nutdrv_qx\n\tport = {device.path}\n\tpollinterval = 2\n")
        env = dict(os.environ, NUT_CONFPATH=str(tmp_path), NUT_STATEPATH=str(tmp_path),
                   NUT_ALTPIDPATH=str(tmp_path))
        user = pwd.getpwuid(os.getuid()).pw_name
        result = subprocess.run([str(driver), "-a", "emu", "-u", user, "-d", "1"], env=env,
                                capture_output=True, text=True, timeout=240)
        assert result.returncode == 0, result.stderr[-2000:]
        values = dict(line.split(": ", 1) for line in result.stdout.splitlines()
                      if ": " in line)
        assert values["input.voltage"] == "229.9", result.stdout  # the capture's Q1
        assert values["driver.parameter.port"] == device.path
        nut_received, nut_sent = list(device.received), list(device.sent)
        assert nut_received, "NUT sent nothing"
        device.received.clear()
        device.sent.clear()
        ours = []
        with open_qx_serial(device.path, {}, sleep=lambda _s: None) as link:
            for cmd in nut_received:
                try:
                    ours.append(link.command(cmd + b"\r"))
                except TransportTimeout:
                    ours.append(b"")
        assert device.received == nut_received
        assert ours == nut_sent
        print(f"\nQXSERIAL commands={len(nut_received)} distinct={len(set(nut_received))} "
              f"same_answers=yes")
    finally:
        device.close()
