"""NUT's driver socket: the Unix socket ``upsd`` (and ``upsdrvctl``, sibling drivers)
connects to, speaking ``docs/sock-protocol.txt``.

One daemon thread runs a ``selectors`` loop over the listening socket, every client
and a wake-up pipe. All socket I/O happens on that thread; broadcasts from the engine
(via :meth:`DState.subscribe`) only append to per-client output buffers and wake it.

Robustness, as NUT intends it but bounded explicitly:

- a client's output buffer is capped (``max_output``); a client that stops reading
  and overflows it is dropped, as NUT drops a client whose write fails;
- input is read in small pieces per wake-up, so one noisy client cannot starve
  the others; an overlong line is discarded (see :mod:`hidups.nut.protocol`);
- malformed and unknown commands are logged (rate-limited per client) and ignored,
  as NUT does; nothing a client sends can stop the server;
- a connection flood is bounded (issue 11): accepts go through an
  :class:`~hidups.nut.accept.AcceptGate`, a few per loop round after the clients'
  reads, and every warning a flood can repeat goes through a
  :class:`~hidups.logutil.RateLimitedLog`.
"""

from __future__ import annotations

import contextlib
import errno
import grp
import logging
import os
import selectors
import socket
import stat
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from hidups.logutil import RateLimitedLog
from hidups.nut.accept import ACCEPT_BATCH, AcceptGate
from hidups.nut.dstate import DState
from hidups.nut.paths import state_dir_error
from hidups.nut.protocol import WordParser, word
from hidups.nut.shared import (
    FAILED,
    UNKNOWN,
    HookProperties,
    SharedHooks,
    shared_instcmd,
    shared_setvar,
)

log = logging.getLogger(__name__)

#: NUT's ``listen()`` backlog.
BACKLOG = 16
#: Bytes read from one client per wake-up.
READ_CHUNK = 4096
#: Default cap on a client's unsent output (a full dump is a few kilobytes).
MAX_OUTPUT = 256 * 1024
#: Connections beyond this many are accepted and closed at once.
MAX_CLIENTS = 256
#: Unknown-command log lines per client before they drop to debug level.
LOGGED_COMPLAINTS = 5


class CommandHandler(Protocol):
    """The engine's INSTCMD/SET handler; returns a NUT status.

    0 handled, 1 unknown, 2 invalid, 3 failed, 4 conversion failed.
    """

    def instcmd(self, name: str, param: str | None) -> int: ...

    def setvar(self, name: str, value: str) -> int: ...


@dataclass(eq=False)
class _Client:
    sock: socket.socket
    ident: int
    parser: WordParser = field(default_factory=WordParser)
    out: bytearray = field(default_factory=bytearray)
    broadcast: bool = True
    closing: bool = False  # close once ``out`` is flushed (LOGOUT)
    dead: bool = False  # close now
    complaints: int = 0
    events: int = 0


class DriverServer(HookProperties):
    """Serve a :class:`DState` on ``path`` to any number of NUT clients."""

    def __init__(
        self,
        path: str,
        dstate: DState,
        handler: CommandHandler,
        *,
        group: str | None = None,
        hooks: SharedHooks | None = None,
        max_output: int = MAX_OUTPUT,
    ) -> None:
        self.path = path
        self.dstate = dstate
        self.handler = handler
        self.group = group
        self.hooks = hooks or SharedHooks()
        self.max_output = max_output
        self._lock = threading.Lock()
        self._clients: dict[int, _Client] = {}
        self._next_id = 1
        self._listener: socket.socket | None = None
        self._inode: tuple[int, int] | None = None
        self._selector: selectors.BaseSelector | None = None
        self._wake_r: socket.socket | None = None
        self._wake_w: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._unsubscribe: Callable[[], None] | None = None
        self.gate = AcceptGate()
        self._listening = False
        #: one line per flood condition per 10 s; per-client lines get a burst (a few
        #: misbehaving clients are each worth a line, a flood of them is not)
        self._limited = RateLimitedLog(log, interval=10.0)
        self._limited_clients = RateLimitedLog(log, interval=10.0, burst=20)

    # --- life cycle ------------------------------------------------------------------

    def start(self) -> None:
        """Bind the socket (mode 0660), then serve on a daemon thread."""
        self._listener = self._bind()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._selector = selectors.DefaultSelector()
        self._selector.register(self._listener, selectors.EVENT_READ, "listen")
        self._listening = True
        self._selector.register(self._wake_r, selectors.EVENT_READ, "wake")
        self._unsubscribe = self.dstate.subscribe(self._on_broadcast)
        self._stopping.clear()
        self._thread = threading.Thread(
            target=self._serve, name=f"nut-socket {os.path.basename(self.path)}", daemon=True
        )
        self._thread.start()
        log.info("listening on %s", self.path)

    def stop(self) -> None:
        """Close every client and the socket, and remove the socket file."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        self._stopping.set()
        self._wake()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)
        self._thread = None
        with self._lock:
            clients = list(self._clients.values())
            self._clients.clear()
        for client in clients:
            with contextlib.suppress(OSError):
                client.sock.close()
        for sock in (self._listener, self._wake_r, self._wake_w):
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.close()
        if self._selector is not None:
            self._selector.close()
        self._listener = self._wake_r = self._wake_w = None
        self._selector = None
        self._remove_socket_file()

    def __enter__(self) -> DriverServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def client_count(self) -> int:
        with self._lock:
            return len(self._clients)

    def _bind(self) -> socket.socket:
        if len(os.fsencode(self.path)) >= 108:
            raise OSError(
                errno.ENAMETOOLONG, f"socket path is too long for AF_UNIX: {self.path}"
            )
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise state_dir_error(exc, "the driver socket", self.path) from exc
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        old_umask = os.umask(0o007)
        try:
            sock.bind(self.path)
        except OSError as exc:
            sock.close()
            raise state_dir_error(exc, "the driver socket", self.path) from exc
        finally:
            os.umask(old_umask)
        os.chmod(self.path, 0o660)
        if self.group:
            self._set_group(self.group)
        st = os.stat(self.path)
        self._inode = (st.st_dev, st.st_ino)
        sock.listen(BACKLOG)
        sock.setblocking(False)
        return sock

    def _set_group(self, group: str) -> None:
        try:
            gid = grp.getgrnam(group).gr_gid
            os.chown(self.path, -1, gid)
            os.chmod(self.path, os.stat(self.path).st_mode | stat.S_IRGRP | stat.S_IWGRP)
        except (KeyError, OSError) as exc:
            log.warning(
                "could not give group %s access to %s (%s); upsd may fail to connect",
                group, self.path, exc,
            )

    def _remove_socket_file(self) -> None:
        try:
            st = os.stat(self.path)
        except OSError:
            return
        if self._inode == (st.st_dev, st.st_ino):
            with contextlib.suppress(OSError):
                os.unlink(self.path)

    # --- the loop ---------------------------------------------------------------------

    def _wake(self) -> None:
        if self._wake_w is not None:
            with contextlib.suppress(OSError):
                self._wake_w.send(b"\0")

    def _serve(self) -> None:
        selector = self._selector
        assert selector is not None
        while not self._stopping.is_set():
            self._serve_once(selector)
        self._limited.flush(force=True)
        self._limited_clients.flush(force=True)

    def _serve_once(self, selector: selectors.BaseSelector) -> None:
        """One select round: read and dispatch, accept a few, then flush and drop."""
        timeout = 1.0 if self._listening else min(1.0, self._watch_listener(selector))
        try:
            events = selector.select(timeout=timeout)
        except (OSError, ValueError) as exc:  # closed under us by stop() from a hook
            if not self._stopping.is_set():
                log.error("socket server select failed: %s", exc)
                self._stopping.set()
            return
        listen = False
        for key, mask in events:
            if self._stopping.is_set():
                return
            if key.data == "listen":
                listen = True  # after the clients: a flood must not delay them
            elif key.data == "wake":
                with contextlib.suppress(OSError):
                    while self._wake_r is not None and self._wake_r.recv(4096):
                        pass
            else:
                client: _Client = key.data
                if mask & selectors.EVENT_READ and not client.dead:
                    self._read(client)
        if listen and not self._stopping.is_set():
            self._accept()
        self._flush_and_prune()
        self._limited.flush()
        self._limited_clients.flush()

    def _watch_listener(self, selector: selectors.BaseSelector) -> float:
        """Watch the listening socket again once the gate opens; else the wait left."""
        wait = self.gate.delay()
        if wait <= 0 and self._listener is not None:
            selector.register(self._listener, selectors.EVENT_READ, "listen")
            self._listening = True
            return 1.0
        return wait

    def _unwatch_listener(self) -> None:
        if self._listening and self._selector is not None and self._listener is not None:
            with contextlib.suppress(KeyError, ValueError):
                self._selector.unregister(self._listener)
            self._listening = False

    def _accept(self) -> None:
        assert self._listener is not None and self._selector is not None
        for _ in range(ACCEPT_BATCH):
            if not self.gate.take():
                self._limited.warning("flood", "connections on %s arrive faster than %g/s; "
                                      "taking them more slowly", self.path, self.gate.rate)
                self._unwatch_listener()
                return
            try:
                conn, _ = self._listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:  # EMFILE and the like: retrying at once would spin
                self._limited.error("accept", "accept on driver socket failed: %s", exc)
                self.gate.pause(0.5)
                self._unwatch_listener()
                return
            conn.setblocking(False)
            with self._lock:
                if len(self._clients) >= MAX_CLIENTS:
                    self._limited.warning("full", "too many connections on %s (%d); "
                                          "refusing new ones", self.path, MAX_CLIENTS)
                    conn.close()
                    continue
                client = _Client(conn, self._next_id)
                self._next_id += 1
                self._clients[client.ident] = client
            client.events = selectors.EVENT_READ
            self._selector.register(conn, client.events, client)
            log.debug("client %d connected", client.ident)

    def _read(self, client: _Client) -> None:
        try:
            data = client.sock.recv(READ_CHUNK)
        except (BlockingIOError, InterruptedError):
            return
        except OSError as exc:
            log.debug("client %d read failed: %s", client.ident, exc)
            client.dead = True
            return
        if not data:
            log.debug("client %d closed the connection", client.ident)
            client.dead = True
            return
        if client.closing:
            return
        for line in client.parser.feed(data.decode("latin-1")):
            if client.dead or client.closing:
                return
            if line.error:
                self._complain(client, f"parse error on socket: {line.error}")
                continue
            if line.words:
                self._dispatch(client, line.words)

    def _flush_and_prune(self) -> None:
        if self._stopping.is_set() or self._selector is None:
            return
        with self._lock:
            clients = list(self._clients.values())
        for client in clients:
            if not client.dead and client.out:
                self._send(client)
            if client.closing and not client.out:
                client.dead = True
            if client.dead:
                self._drop(client)
                continue
            wanted = selectors.EVENT_READ | (selectors.EVENT_WRITE if client.out else 0)
            if wanted != client.events:
                client.events = wanted
                self._selector.modify(client.sock, wanted, client)

    def _send(self, client: _Client) -> None:
        with self._lock:
            pending = bytes(client.out)
        try:
            sent = client.sock.send(pending)
        except (BlockingIOError, InterruptedError):
            return
        except OSError as exc:
            log.debug("client %d write failed: %s", client.ident, exc)
            client.dead = True
            return
        with self._lock:
            del client.out[:sent]

    def _drop(self, client: _Client) -> None:
        assert self._selector is not None
        with self._lock:
            self._clients.pop(client.ident, None)
        with contextlib.suppress(KeyError, ValueError, OSError):
            self._selector.unregister(client.sock)
        with contextlib.suppress(OSError):
            client.sock.close()
        log.debug("client %d disconnected", client.ident)

    # --- output -----------------------------------------------------------------------

    def _queue(self, client: _Client, lines: list[str]) -> None:
        data = "".join(f"{line}\n" for line in lines).encode("latin-1", "replace")
        with self._lock:
            if client.dead:
                return
            if len(client.out) + len(data) > self.max_output:
                self._limited_clients.warning(
                    "not reading", "client %d is not reading (%d bytes unsent); "
                    "disconnecting it", client.ident, len(client.out))
                client.dead = True
                client.out.clear()
                return
            client.out += data

    def _reply(self, client: _Client, *lines: str) -> None:
        self._queue(client, list(lines))

    def _on_broadcast(self, line: str) -> None:
        with self._lock:
            targets = [c for c in self._clients.values() if c.broadcast and not c.dead]
        for client in targets:
            self._queue(client, [line])
        if targets:
            self._wake()

    # --- commands ---------------------------------------------------------------------

    def _complain(self, client: _Client, message: str) -> None:
        client.complaints += 1
        if client.complaints > LOGGED_COMPLAINTS:
            log.debug("client %d: %s", client.ident, message[:300])
        else:
            self._limited_clients.info("complaint", "client %d: %s", client.ident, message[:300])

    def _dispatch(self, client: _Client, words: list[str]) -> None:
        verb = words[0].upper()
        nargs = len(words)
        if verb == "LOGOUT":
            self._reply(client, "OK Goodbye")
            client.closing = True
        elif verb == "GETPID":
            self._reply(client, f"PID {os.getpid()}")
        elif verb == "DUMPALL":
            with self.dstate.atomic():
                self._queue(client, self.dstate.dump())
        elif verb == "DUMPSTATUS" or (verb == "DUMPVALUE" and nargs > 1):
            name = "ups.status" if verb == "DUMPSTATUS" else words[1]
            with self.dstate.atomic():
                self._queue(client, self.dstate.dump_value(name))
        elif verb == "PING":
            self._reply(client, "PONG")
        elif verb == "NOBROADCAST":
            client.broadcast = False
        elif verb == "BROADCAST":
            client.broadcast = True
            if nargs > 1:
                with contextlib.suppress(ValueError):
                    client.broadcast = int(words[1]) >= 1
        elif verb == "INSTCMD" and nargs >= 2:
            self._instcmd(client, words)
        elif verb == "SET" and nargs >= 3:
            self._setvar(client, words)
        else:
            self._complain(client, f"unknown command on socket: {' '.join(words)}")

    def _instcmd(self, client: _Client, words: list[str]) -> None:
        name, param, tracking = words[1], None, None
        nargs = len(words)
        if nargs == 3:
            param = words[2]
        elif nargs == 4 and words[2].upper() == "TRACKING":
            tracking = words[3]
        elif nargs == 5 and words[3].upper() == "TRACKING":
            param, tracking = words[2], words[4]
        elif nargs != 2:
            self._complain(client, f"malformed INSTCMD request: {' '.join(words)}")
            return
        log.info("instant command %s%s", name, f" {param}" if param is not None else "")
        status = self._run(
            lambda: shared_instcmd(self.dstate, self.hooks, name, param),
            lambda: self.handler.instcmd(name, param),
            f"INSTCMD {name}",
        )
        if tracking is not None:
            self._reply(client, f"TRACKING {word(tracking)} {status}")

    def _setvar(self, client: _Client, words: list[str]) -> None:
        name, value, tracking = words[1], words[2], None
        if len(words) == 5:
            if words[3].upper() != "TRACKING":
                self._complain(client, f"SET with unsupported parameters: {' '.join(words)}")
                return
            tracking = words[4]
        log.info("set variable %s to %r", name, value)
        status = self._run(
            lambda: shared_setvar(self.dstate, self.hooks, name, value),
            lambda: self.handler.setvar(name, value),
            f"SET {name}",
        )
        if tracking is not None:
            self._reply(client, f"TRACKING {word(tracking)} {status}")

    @staticmethod
    def _run(shared: _Call, engine: _Call, what: str) -> int:
        """The driver core's answer, else the engine's; an exception counts as FAILED."""
        try:
            status = shared()
            if status == UNKNOWN:
                status = engine()
        except Exception as exc:
            status = getattr(exc, "status", FAILED)
            log.error("%s failed: %s", what, exc)
        if not isinstance(status, int) or not 0 <= status <= 4:
            log.error("%s returned %r, not a NUT status; reporting failure", what, status)
            status = FAILED
        return int(status)  # the number NUT sends, on every Python version


class _Call(Protocol):
    def __call__(self) -> int: ...
