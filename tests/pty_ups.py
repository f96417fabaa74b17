"""A UPS on a pseudo-terminal: answers Q* commands as a serial UPS would, for the serial tests."""

from __future__ import annotations

import importlib.util
import os
import select
import threading
import time

#: pyserial is in the test extra; the tests that need it say so when it is missing
HAVE_PYSERIAL = importlib.util.find_spec("serial") is not None


class PtyUps:
    """A UPS on the master side of a pty: answers each CR-terminated command."""

    def __init__(self, answers: dict[bytes, bytes], split: float = 0.0,
                 silent: tuple[bytes, ...] = ()) -> None:
        self.master, self.slave = os.openpty()
        self.path = os.ttyname(self.slave)
        self.answers = answers
        self.split = split
        self.silent = silent
        self.received: list[bytes] = []
        self.sent: list[bytes] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def answer(self, cmd: bytes) -> bytes:
        if cmd in self.silent:
            return b""
        return self.answers.get(cmd, cmd + b"\r")

    def _run(self) -> None:
        pending = b""
        while not self._stop.is_set():
            ready, _, _ = select.select([self.master], [], [], 0.02)
            if not ready:
                continue
            try:
                pending += os.read(self.master, 1024)
            except OSError:
                time.sleep(0.02)
                continue
            while b"\r" in pending:
                cmd, _, pending = pending.partition(b"\r")
                self.received.append(cmd)
                reply = self.answer(cmd)
                self.sent.append(reply)
                if self.split and len(reply) > 4:  # a slow line: the answer in two parts
                    os.write(self.master, reply[:4])
                    time.sleep(self.split)
                    reply = reply[4:]
                if reply:
                    os.write(self.master, reply)

    def inject(self, data: bytes) -> None:
        os.write(self.master, data)

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        os.close(self.master)
        os.close(self.slave)
