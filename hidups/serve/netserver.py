"""The network server of ``hidups serve``: NUT's upsd protocol on TCP (port 3493).

Why a selectors loop in one thread: a UPS server must stay responsive to upsmon
whatever other clients do. Every socket is non-blocking, including TLS (the handshake
runs through memory BIOs, so a client that stops halfway costs nothing but its slot);
each client is read a chunk per round, so a chatty client cannot starve the others;
what a client does not read is buffered up to :data:`MAX_OUTPUT` and the client is
dropped beyond that; a request line is bounded (:func:`squeeze` and
:data:`MAX_LINE`) without changing upsd's answer to it; new connections go through
:class:`~hidups.nut.accept.AcceptGate`, and no more than ``maxconn`` are served at
once (the rest wait in the kernel's backlog, as with upsd's MAXCONN). Clients silent
for 60 s are disconnected, as upsd does. Requests are answered by
:class:`~hidups.serve.netproto.NetProtocol`; SET and INSTCMD reach the driver through
its worker thread, never from this loop.
"""

from __future__ import annotations

import contextlib
import logging
import re
import selectors
import socket
import ssl
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from hidups.errors import ConfigError
from hidups.logutil import RateLimitedLog
from hidups.nut.accept import ACCEPT_BATCH, AcceptGate
from hidups.nut.protocol import Line, WordParser
from hidups.serve.cmdvartab import Descriptions
from hidups.serve.model import ServedUps
from hidups.serve.netproto import NetProtocol, Reply, Session
from hidups.serve.tls import TlsSettings
from hidups.serve.users import Users

__all__ = ["NetServer", "TlsSettings", "Users"]

#: New connections per second once the burst is spent. Unlike a driver's socket (one
#: upsd), a network server meets a whole fleet reconnecting at once (upsd restarts, a
#: network comes back): 1,000 clients must get in within a second or two, while a
#: connect/close flood still cannot take every loop round (``ACCEPT_BATCH`` per round).
ACCEPT_RATE = 1000.0
ACCEPT_BURST = 256
log = logging.getLogger(__name__)

BACKLOG = 64
READ_CHUNK = 4096
#: Answers buffered for a client that does not read, before it is dropped.
MAX_OUTPUT = 1024 * 1024
#: Longest request line kept (after :func:`squeeze`); the rest is ignored.
MAX_LINE = 64 * 1024
#: upsd disconnects a client silent this long (``server/upsd.c``).
IDLE_TIMEOUT = 60.0
#: A TLS handshake must finish within this many seconds.
HANDSHAKE_TIMEOUT = 10.0
#: NUT keeps at most 512 characters of a word: characters past that change nothing.
_KEEP = 600
_LONG_RUN = re.compile(r"[!$-<>-\[\]-~]{%d,}|[ \t\r]{%d,}" % (_KEEP + 1, _KEEP + 1))


def squeeze(text: str) -> str:
    """Shorten runs of word characters (or blanks) to 600: NUT truncates a word to 512,
    so the parsed words are the same, and a 1 MB word costs no parsing time."""
    return _LONG_RUN.sub(lambda m: m.group(0)[:_KEEP], text)


@dataclass(eq=False)
class _Conn:
    sock: socket.socket
    session: Session
    parser: WordParser = field(default_factory=lambda: WordParser(max_line=2 * MAX_LINE))
    out: bytearray = field(default_factory=bytearray)
    last_heard: float = field(default_factory=time.monotonic)
    line_len: int = 0
    skipping: bool = False
    closing: bool = False
    tls: ssl.SSLObject | None = None
    tls_in: ssl.MemoryBIO | None = None
    tls_out: ssl.MemoryBIO | None = None
    handshaking: bool = False
    tls_since: float = 0.0


UpsSource = Mapping[str, ServedUps] | Callable[[], Mapping[str, ServedUps]]


class NetServer:
    """Serve ``upses`` to NUT clients on ``listen`` (loopback by default)."""

    def __init__(self, upses: UpsSource, users: Users,
                 listen: Sequence[tuple[str, int]] = (("127.0.0.1", 3493),),
                 tls: TlsSettings | None = None, *, maxconn: int = 1024,
                 descriptions: Descriptions | None = None,
                 idle_timeout: float = IDLE_TIMEOUT, max_output: int = MAX_OUTPUT) -> None:
        if maxconn < 1:
            raise ConfigError(f"MAXCONN must be at least 1, not {maxconn}", option="MAXCONN")
        if not listen:
            raise ConfigError("no address to listen on", option="LISTEN")
        self.listen = list(listen)
        self.maxconn = maxconn
        self.idle_timeout = idle_timeout
        self.max_output = max_output
        self._tls_ctx = None if tls is None else tls.context()
        self.protocol = NetProtocol(upses, users, descriptions=descriptions,
                                    tls_ready=self._tls_ctx is not None,
                                    sessions=self._sessions)
        self._listeners: list[socket.socket] = []
        self._conns: dict[int, _Conn] = {}
        self._selector: selectors.BaseSelector | None = None
        self._thread: threading.Thread | None = None
        self._running = False
        self._wake_r, self._wake_w = socket.socketpair()
        self.gate = AcceptGate(rate=ACCEPT_RATE, burst=ACCEPT_BURST)
        self._limited = RateLimitedLog(log, interval=10.0)

    # --- life cycle ----------------------------------------------------------------

    @property
    def addresses(self) -> list[tuple[str, int]]:
        """The bound (host, port) pairs: the real ports when 0 was asked."""
        return [(s.getsockname()[0], s.getsockname()[1]) for s in self._listeners]

    @property
    def clients(self) -> int:
        return len(self._conns)

    def start(self) -> None:
        """Bind every address (errors name it), then serve in a background thread."""
        try:
            for host, port in self.listen:
                self._listeners.append(_bind(host, port))
        except ConfigError:
            for sock in self._listeners:
                sock.close()
            self._listeners = []
            raise
        self._selector = selectors.DefaultSelector()
        self._selector.register(self._wake_r, selectors.EVENT_READ, None)
        self._wake_r.setblocking(False)
        self._running = True
        self._thread = threading.Thread(target=self._loop, name="netserver", daemon=True)
        self._thread.start()
        log.info("listening on %s", ", ".join(f"{h} port {p}" for h, p in self.addresses))

    def stop(self) -> None:
        """Stop serving; safe to call twice."""
        if self._wake_w.fileno() < 0:
            return
        self._running = False
        with contextlib.suppress(OSError):
            self._wake_w.send(b"x")
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        for conn in list(self._conns.values()):
            self._drop(conn, None)
        for sock in self._listeners:
            sock.close()
        self._listeners = []
        if self._selector is not None:
            self._selector.close()
            self._selector = None
        self.protocol.close()
        self._wake_r.close()
        self._wake_w.close()

    def __enter__(self) -> NetServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _sessions(self) -> list[Session]:
        return [c.session for c in list(self._conns.values())]

    # --- the loop ----------------------------------------------------------------

    def _loop(self) -> None:
        assert self._selector is not None
        selector = self._selector
        while self._running:
            timeout = self._watch_listeners(selector)
            try:
                events = selector.select(timeout=timeout)
            except OSError as exc:  # pragma: no cover - the selector itself failing
                log.error("select failed: %s", exc)
                time.sleep(0.1)
                continue
            for key, mask in events:
                data = key.data
                if data is None:
                    with contextlib.suppress(OSError):
                        self._wake_r.recv(64)
                elif data == "listener":
                    self._accept(key.fileobj)  # type: ignore[arg-type]
                elif isinstance(data, _Conn) and data.sock.fileno() in self._conns:
                    try:
                        if mask & selectors.EVENT_READ:
                            self._read(data)
                        if mask & selectors.EVENT_WRITE and data.sock.fileno() in self._conns:
                            self._write(data)
                    except Exception:  # a bug must cost one client, not the server
                        log.exception("serving %s failed; dropping it", data.session.addr)
                        self._drop(data, None)
            self._expire()
            self._limited.flush()

    def _watch_listeners(self, selector: selectors.BaseSelector) -> float:
        """Watch the listening sockets only while a connection may be accepted; returns
        how long the loop may sleep (until the accept gate has a token again)."""
        full = len(self._conns) >= self.maxconn
        delay = self.gate.delay()
        want = not full and delay <= 0
        for sock in self._listeners:
            watched = _registered(selector, sock)
            if want and not watched:
                selector.register(sock, selectors.EVENT_READ, "listener")
            elif not want and watched:
                selector.unregister(sock)
        return 1.0 if full or want else min(1.0, max(delay, 0.005))

    def _accept(self, listener: socket.socket) -> None:
        for _ in range(ACCEPT_BATCH):
            if len(self._conns) >= self.maxconn or not self.gate.take():
                return
            try:
                sock, addr = listener.accept()
            except BlockingIOError:
                return
            except OSError as exc:
                self._limited.warning("accept", "accept failed: %s", exc)
                self.gate.pause(0.5)
                return
            sock.setblocking(False)
            conn = _Conn(sock, Session(addr=str(addr[0])))
            self._conns[sock.fileno()] = conn
            assert self._selector is not None
            self._selector.register(sock, selectors.EVENT_READ, conn)
            log.debug("connect from %s", conn.session.addr)

    def _expire(self) -> None:
        now = time.monotonic()
        for conn in list(self._conns.values()):
            if now - conn.last_heard > self.idle_timeout:
                self._drop(conn, "idle for %.0f s" % self.idle_timeout)
            elif conn.handshaking and now - conn.tls_since > HANDSHAKE_TIMEOUT:
                self._drop(conn, "TLS handshake not finished in time")

    # --- reading -----------------------------------------------------------------

    def _read(self, conn: _Conn) -> None:
        try:
            data = conn.sock.recv(READ_CHUNK)
        except (BlockingIOError, InterruptedError):
            return
        except OSError as exc:
            self._drop(conn, f"read failure: {exc}")
            return
        if not data:  # the client is done sending: what it is owed goes out first
            self._flush(conn)
            self._drop(conn, None)
            return
        if conn.tls is None:
            self._ingest(conn, data)
        else:
            assert conn.tls_in is not None
            conn.tls_in.write(data)
            self._tls_pump(conn)
        self._update_events(conn)

    def _ingest(self, conn: _Conn, data: bytes) -> None:
        """Plain bytes from the client: split into lines, answer each."""
        text = data.decode("latin-1")
        start = 0
        while start < len(text) and conn.sock.fileno() in self._conns:
            nl = text.find("\n", start)
            end = len(text) if nl < 0 else nl + 1
            piece = text[start:end]
            start = end
            if conn.closing:
                return  # after LOGOUT: nothing more is read
            self._feed(conn, piece, nl >= 0)
            if conn.tls is not None:
                # STARTTLS answered: what follows on the wire is the TLS handshake
                rest = data[start:]
                if rest:
                    assert conn.tls_in is not None
                    conn.tls_in.write(rest)
                    self._tls_pump(conn)
                return

    def _feed(self, conn: _Conn, piece: str, has_newline: bool) -> None:
        if conn.skipping:
            if has_newline:
                conn.skipping = False
                conn.line_len = 0
                self._lines(conn, conn.parser.feed("\n"))
            return
        piece = squeeze(piece)
        conn.line_len += len(piece)
        if conn.line_len > MAX_LINE:
            keep = len(piece) - (conn.line_len - MAX_LINE)
            self._limited.warning("longline", "request line from %s longer than %d "
                                  "characters: ignoring the rest of it",
                                  conn.session.addr, MAX_LINE)
            self._lines(conn, conn.parser.feed(piece[:keep]))
            if has_newline:
                conn.line_len = 0
                self._lines(conn, conn.parser.feed("\n"))
            else:
                conn.skipping = True
            return
        if has_newline:
            conn.line_len = 0
        self._lines(conn, conn.parser.feed(piece))

    def _lines(self, conn: _Conn, lines: list[Line]) -> None:
        for line in lines:
            conn.last_heard = time.monotonic()
            if line.error:
                self._limited.info("parse", "parse error on sock from %s: %s",
                                   conn.session.addr, line.error)
                continue
            if conn.closing or conn.handshaking:
                return  # after LOGOUT or STARTTLS: the rest is not plain requests
            reply = self.protocol.handle(conn.session, line.words)
            self._reply(conn, reply)

    def _reply(self, conn: _Conn, reply: Reply) -> None:
        self._send(conn, "".join(f"{line}\n" for line in reply.lines).encode("latin-1",
                                                                             "replace"))
        if reply.close:
            conn.closing = True
        if reply.starttls and self._tls_ctx is not None:
            conn.tls_in, conn.tls_out = ssl.MemoryBIO(), ssl.MemoryBIO()
            conn.tls = self._tls_ctx.wrap_bio(conn.tls_in, conn.tls_out, server_side=True)
            conn.handshaking = True
            conn.tls_since = time.monotonic()
            conn.session.tls = True

    # --- TLS -----------------------------------------------------------------------

    def _tls_pump(self, conn: _Conn) -> None:
        """Advance the handshake, then decrypt whatever complete records arrived."""
        assert conn.tls is not None and conn.tls_out is not None
        try:
            if conn.handshaking:
                conn.tls.do_handshake()
                conn.handshaking = False
                log.debug("TLS established with %s (%s)", conn.session.addr,
                          conn.tls.version())
            while conn.sock.fileno() in self._conns:
                chunk = conn.tls.read(READ_CHUNK)
                if not chunk:
                    self._drop(conn, None)
                    return
                self._ingest_tls(conn, chunk)
        except ssl.SSLWantReadError:
            pass
        except ssl.SSLZeroReturnError:
            self._drop(conn, None)
            return
        except ssl.SSLError as exc:
            self._limited.warning("tls", "TLS with %s failed: %s", conn.session.addr, exc)
            self._flush_tls(conn)
            self._drop(conn, None)
            return
        self._flush_tls(conn)

    def _ingest_tls(self, conn: _Conn, data: bytes) -> None:
        text = data.decode("latin-1")
        start = 0
        while start < len(text) and not conn.closing:
            nl = text.find("\n", start)
            end = len(text) if nl < 0 else nl + 1
            self._feed(conn, text[start:end], nl >= 0)
            start = end

    def _flush_tls(self, conn: _Conn) -> None:
        if conn.tls_out is not None and conn.tls_out.pending:
            self._queue(conn, conn.tls_out.read())

    # --- writing -------------------------------------------------------------------

    def _send(self, conn: _Conn, data: bytes) -> None:
        if conn.tls is not None and not conn.handshaking:
            conn.tls.write(data)
            self._flush_tls(conn)
        else:
            self._queue(conn, data)

    def _queue(self, conn: _Conn, data: bytes) -> None:
        conn.out += data
        self._flush(conn)
        if len(conn.out) > self.max_output:
            self._limited.warning("overflow", "client %s does not read its answers "
                                  "(%d bytes waiting): dropping it", conn.session.addr,
                                  len(conn.out))
            self._drop(conn, None)

    def _write(self, conn: _Conn) -> None:
        self._flush(conn)
        self._update_events(conn)

    def _flush(self, conn: _Conn) -> None:
        """Send what the socket takes now (answers go out at once, not a round later)."""
        if not conn.out or conn.sock.fileno() not in self._conns:
            return
        try:
            sent = conn.sock.send(conn.out)
        except (BlockingIOError, InterruptedError):
            return
        except OSError as exc:
            self._drop(conn, f"write failure: {exc}")
            return
        del conn.out[:sent]

    def _update_events(self, conn: _Conn) -> None:
        if conn.sock.fileno() not in self._conns or self._selector is None:
            return
        if conn.closing and not conn.out:
            self._drop(conn, None)
            return
        events = selectors.EVENT_READ | (selectors.EVENT_WRITE if conn.out else 0)
        self._selector.modify(conn.sock, events, conn)

    def _drop(self, conn: _Conn, why: str | None) -> None:
        fd = conn.sock.fileno()
        if fd < 0 or self._conns.get(fd) is not conn:
            return
        del self._conns[fd]
        if why:
            self._limited.info("drop", "disconnect %s (%s)", conn.session.addr, why)
        if self._selector is not None:
            with contextlib.suppress(KeyError, ValueError, OSError):
                self._selector.unregister(conn.sock)
        with contextlib.suppress(OSError):
            conn.sock.close()


def _registered(selector: selectors.BaseSelector, sock: socket.socket) -> bool:
    try:
        selector.get_key(sock)
    except KeyError:
        return False
    return True


def _bind(host: str, port: int) -> socket.socket:
    """One listening socket (IPv6 sockets only take IPv6, as upsd's)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM,
                                   flags=socket.AI_PASSIVE)
        family, kind, proto, _, sockaddr = infos[0]
        sock = socket.socket(family, kind, proto)
    except OSError as exc:
        raise ConfigError(f"cannot listen on {host} port {port}: {exc}",
                          option="LISTEN") from exc
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        sock.bind(sockaddr)
        sock.listen(BACKLOG)
        sock.setblocking(False)
    except OSError as exc:
        sock.close()
        raise ConfigError(f"cannot listen on {host} port {port}: {exc.strerror or exc}",
                          option="LISTEN") from exc
    return sock
