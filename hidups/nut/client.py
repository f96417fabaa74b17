"""Talking to a *running* driver over its socket: ``-k``, ``-c`` and tests.

``hidups -k`` first asks a running instance to power the UPS off (it already holds
the device): ``SET driver.flag.allow_killpower 1`` then ``INSTCMD driver.killpower``,
both with TRACKING so the answer is known. ``hidups -c reload`` (and ``exit``, ...)
sends the matching ``driver.*`` command, or a signal when given a PID.
"""

from __future__ import annotations

import os
import signal
import socket
import time
import uuid
from dataclasses import dataclass

from hidups.nut.protocol import WordParser, quote, word
from hidups.nut.shared import HANDLED

#: NUT waits this long for a running driver to accept killpower.
KILLPOWER_TIMEOUT = 15.0

STATUS_NAMES = {0: "handled", 1: "unknown", 2: "invalid", 3: "failed", 4: "conversion failed"}


class DriverClient:
    """A blocking line client for a driver socket (what upsd is to the driver)."""

    def __init__(self, path: str, timeout: float = 5.0) -> None:
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        self._parser = WordParser()
        self._pending: list[list[str]] = []

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> DriverClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def send(self, line: str) -> None:
        self.sock.sendall(line.encode("latin-1") + b"\n")

    def read_words(self, timeout: float | None = None) -> list[str]:
        """The next line from the driver, as words (raises TimeoutError)."""
        deadline = time.monotonic() + (timeout if timeout is not None else 5.0)
        while not self._pending:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no reply from {self.path}")
            self.sock.settimeout(remaining)
            try:
                data = self.sock.recv(65536)
            except TimeoutError:
                raise TimeoutError(f"no reply from {self.path}") from None
            if not data:
                raise ConnectionError(f"{self.path} closed the connection")
            self._pending += [ln.words for ln in self._parser.feed(data.decode("latin-1"))]
        return self._pending.pop(0)

    def wait_for(self, first: str, timeout: float = 5.0) -> list[str]:
        """Skip broadcasts until a line starting with ``first`` arrives."""
        deadline = time.monotonic() + timeout
        while True:
            words = self.read_words(max(deadline - time.monotonic(), 0.001))
            if words and words[0].upper() == first.upper():
                return words

    def dump(self, timeout: float = 5.0) -> list[list[str]]:
        """DUMPALL, returning every line up to and including DUMPDONE."""
        self.send("DUMPALL")
        lines = []
        deadline = time.monotonic() + timeout
        while True:
            words = self.read_words(max(deadline - time.monotonic(), 0.001))
            lines.append(words)
            if words == ["DUMPDONE"]:
                return lines

    def tracked(self, line: str, timeout: float = 5.0) -> int:
        """Send ``line`` with a TRACKING id; return the driver's status code."""
        ident = uuid.uuid4().hex
        self.send(f"{line} TRACKING {ident}")
        deadline = time.monotonic() + timeout
        while True:
            words = self.wait_for("TRACKING", max(deadline - time.monotonic(), 0.001))
            if len(words) == 3 and words[1] == ident:
                return int(words[2])

    def instcmd(self, name: str, param: str | None = None, timeout: float = 5.0) -> int:
        extra = f" {quote(param)}" if param is not None else ""
        return self.tracked(f"INSTCMD {word(name)}{extra}", timeout)

    def setvar(self, name: str, value: str, timeout: float = 5.0) -> int:
        return self.tracked(f"SET {word(name)} {quote(value)}", timeout)


@dataclass
class RemoteResult:
    """Outcome of asking a running instance: ``status`` is None when none answered."""

    status: int | None
    message: str

    @property
    def ok(self) -> bool:
        return self.status == HANDLED


def request_killpower(socket_path: str, timeout: float = KILLPOWER_TIMEOUT) -> RemoteResult:
    """Ask the instance on ``socket_path`` to power the UPS off."""
    try:
        with DriverClient(socket_path, timeout) as client:
            allowed = client.setvar("driver.flag.allow_killpower", "1", timeout)
            if allowed != HANDLED:
                return RemoteResult(
                    allowed, f"running driver refused allow_killpower ({STATUS_NAMES[allowed]})"
                )
            status = client.instcmd("driver.killpower", timeout=timeout)
    except (OSError, TimeoutError, ValueError) as exc:
        return RemoteResult(None, f"no running driver answered on {socket_path}: {exc}")
    name = STATUS_NAMES.get(status, str(status))
    return RemoteResult(status, f"running driver reports killpower {name}")


#: ``-c`` command → (instant command on the socket, signal when only a PID is known).
CONTROL = {
    "reload": ("driver.reload", signal.SIGHUP),
    "reload-or-exit": ("driver.reload-or-exit", None),
    "reload-or-error": ("driver.reload-or-error", None),
    "exit": ("driver.exit", signal.SIGTERM),
}


def send_control(
    command: str,
    socket_path: str | None,
    pid: int | None = None,
    timeout: float = KILLPOWER_TIMEOUT,
) -> RemoteResult:
    """``-c command``: by signal when ``pid`` is given, else over the socket."""
    instcmd, sig = CONTROL[command]
    if pid is not None:
        if sig is None:
            return RemoteResult(None, f"-c {command} needs the socket; it has no signal")
        try:
            os.kill(pid, sig)
        except OSError as exc:
            return RemoteResult(None, f"cannot signal PID {pid}: {exc}")
        return RemoteResult(HANDLED, f"sent {signal.Signals(sig).name} to PID {pid}")
    if socket_path is None:
        return RemoteResult(None, "no socket and no PID to send the command to")
    try:
        with DriverClient(socket_path, timeout) as client:
            status = client.instcmd(instcmd, timeout=timeout)
    except (OSError, TimeoutError, ValueError) as exc:
        return RemoteResult(None, f"no running driver answered on {socket_path}: {exc}")
    return RemoteResult(status, f"{instcmd}: {STATUS_NAMES.get(status, str(status))}")
