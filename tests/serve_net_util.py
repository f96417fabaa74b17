"""Helpers for the network server's tests: a data tree from a driver's dump, a command
path that forwards to a driver socket or records calls, and a line client that knows
how long each upsd answer is."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass, field

from hidups.nut.client import DriverClient
from hidups.nut.dstate import DState

USERS_TEXT = (
    "[admin]\n    password = adminpass\n    actions = SET\n    instcmds = ALL\n\n"
    "[monuser]\n    password = monpass\n    upsmon primary\n\n"
    "[watcher]\n    password = watchpass\n    upsmon secondary\n\n"
    "[operator]\n    password = oppass\n    actions = SET FSD\n"
    "    instcmds = test.battery.start.quick\n"
)


def dstate_from_dump(lines: list[list[str]]) -> DState:
    """A DState holding what a driver's DUMPALL said (what upsd would hold)."""
    dstate = DState()
    for words in lines:
        verb, args = words[0], words[1:]
        if verb == "SETINFO":
            dstate.set(args[0], args[1])
        elif verb == "ADDENUM":
            dstate.add_enum(args[0], args[1])
        elif verb == "ADDRANGE":
            dstate.add_range(args[0], int(args[1]), int(args[2]))
        elif verb == "SETAUX":
            dstate.set_aux(args[0], int(args[1]))
        elif verb == "SETFLAGS":
            dstate.set_flags(args[0], *args[1:])
        elif verb == "ADDCMD":
            dstate.add_cmd(args[0])
        elif verb == "DATAOK":
            dstate.data_ok()
    return dstate


class DriverForward:
    """A CommandHandler that sends SET/INSTCMD to a driver socket, as upsd does."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._lock = threading.Lock()

    def instcmd(self, name: str, param: str | None) -> int:
        with self._lock, DriverClient(self.path) as client:
            return client.instcmd(name, param)

    def setvar(self, name: str, value: str) -> int:
        with self._lock, DriverClient(self.path) as client:
            return client.setvar(name, value)


@dataclass
class Recorder:
    """A CommandHandler that records calls and answers ``status``."""

    status: int = 0
    delay: float = 0.0
    calls: list[tuple[str, str, str | None]] = field(default_factory=list)

    def instcmd(self, name: str, param: str | None) -> int:
        time.sleep(self.delay)
        self.calls.append(("INSTCMD", name, param))
        return self.status

    def setvar(self, name: str, value: str) -> int:
        time.sleep(self.delay)
        self.calls.append(("SET", name, value))
        return self.status


class LineClient:
    """A blocking client reading whole upsd answers (one line, or a LIST block)."""

    def __init__(self, address: tuple[str, int], timeout: float = 5.0) -> None:
        self.sock = socket.create_connection(address, timeout=timeout)
        self.buf = b""

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> LineClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def readline(self) -> str:
        while b"\n" not in self.buf:
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError("server closed the connection")
            self.buf += data
        line, _, self.buf = self.buf.partition(b"\n")
        return line.decode("latin-1")

    def ask(self, request: str) -> list[str]:
        self.sock.sendall(request.encode("latin-1") + b"\n")
        first = self.readline()
        lines = [first]
        if first.startswith("BEGIN LIST"):
            while not lines[-1].startswith("END LIST"):
                lines.append(self.readline())
        return lines

    def closed(self, timeout: float = 2.0) -> bool:
        """True once the server has closed the connection (EOF)."""
        self.sock.settimeout(timeout)
        try:
            return self.sock.recv(1) == b""
        except OSError:
            return True
