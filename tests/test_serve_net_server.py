"""The network server's sockets: STARTTLS (stdlib ssl client, a certificate made by
``openssl req`` here), handshakes that stop halfway, megabyte lines, clients that never
read, MAXCONN, idle clients, pipelining, LOGOUT, bind errors."""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import require
from serve_net_util import USERS_TEXT, LineClient, Recorder

from hidups.errors import ConfigError
from hidups.nut.dstate import DState
from hidups.serve.cmdvartab import Descriptions
from hidups.serve.model import ServedUps
from hidups.serve.netserver import NetServer, TlsSettings
from hidups.serve.users import Users


def upses() -> dict[str, ServedUps]:
    dstate = DState()
    for i in range(40):
        dstate.set(f"test.var{i:02d}", "x" * 200)
    dstate.set("ups.status", "OL")
    dstate.data_ok()
    return {"ups": ServedUps("ups", "test", dstate, Recorder())}


def server(**kwargs: object) -> NetServer:
    return NetServer(upses(), Users.from_text(USERS_TEXT), [("127.0.0.1", 0)],
                     descriptions=Descriptions(), **kwargs)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def certfile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    require(shutil.which("openssl") is not None, "openssl is not installed")
    where = tmp_path_factory.mktemp("tls")
    key, cert = where / "key.pem", where / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                    str(key), "-out", str(cert), "-days", "2", "-subj", "/CN=localhost"],
                   check=True, capture_output=True, timeout=60)
    combined = where / "upsd.pem"  # NUT's CERTFILE: certificate and key in one file
    combined.write_text(cert.read_text() + key.read_text())
    return combined


@pytest.fixture
def plain() -> Iterator[NetServer]:
    with server() as srv:
        yield srv


def tls_client(address: tuple[str, int], cafile: Path) -> tuple[ssl.SSLSocket, LineClient]:
    client = LineClient(address)
    assert client.ask("STARTTLS") == ["OK STARTTLS"]
    ctx = ssl.create_default_context(cafile=str(cafile))
    ctx.check_hostname = False
    wrapped = ctx.wrap_socket(client.sock, server_hostname="localhost")
    client.sock = wrapped
    return wrapped, client


def test_starttls_upgrades_the_connection(certfile: Path) -> None:
    with server(tls=TlsSettings(certfile)) as srv:
        wrapped, client = tls_client(srv.addresses[0], certfile)
        assert wrapped.version() in ("TLSv1.2", "TLSv1.3")
        assert client.ask("LIST UPS") == ["BEGIN LIST UPS", 'UPS ups "test"', "END LIST UPS"]
        assert client.ask("STARTTLS") == ["ERR ALREADY-SSL-MODE"]
        assert client.ask("USERNAME monuser") == ["OK"]
        assert client.ask("PASSWORD monpass") == ["OK"]
        assert client.ask("LOGIN ups") == ["OK"]
        assert [s.tls for s in srv.protocol._sessions()] == [True]
        assert client.ask("LOGOUT") == ["OK Goodbye"]
        client.close()


def test_starttls_without_a_certificate_is_not_configured(plain: NetServer) -> None:
    with LineClient(plain.addresses[0]) as client:
        assert client.ask("STARTTLS") == ["ERR FEATURE-NOT-CONFIGURED"]
        assert client.ask("VER")[0].startswith("Network UPS Tools upsd 2.8.5")


def test_bad_certificate_file_is_named(tmp_path: Path) -> None:
    bad = tmp_path / "nope.pem"
    bad.write_text("not a certificate\n")
    with pytest.raises(ConfigError, match=r"nope\.pem"):
        server(tls=TlsSettings(bad))


def test_a_stalled_handshake_blocks_nobody(certfile: Path) -> None:
    with server(tls=TlsSettings(certfile)) as srv:
        staller = LineClient(srv.addresses[0])
        assert staller.ask("STARTTLS") == ["OK STARTTLS"]
        staller.sock.sendall(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03")  # half a hello
        start = time.monotonic()
        for _ in range(20):
            with LineClient(srv.addresses[0]) as other:
                assert other.ask("GET VAR ups ups.status") == ['VAR ups ups.status "OL"']
        _, good = tls_client(srv.addresses[0], certfile)
        assert good.ask("GET VAR ups ups.status") == ['VAR ups ups.status "OL"']
        assert time.monotonic() - start < 5
        good.close()
        staller.close()


def test_megabyte_lines_get_nuts_answer_quickly(plain: NetServer) -> None:
    with LineClient(plain.addresses[0]) as client:
        start = time.monotonic()
        # NUT keeps 512 characters of a word: the variable does not exist, the verb neither
        assert client.ask("GET VAR ups " + "A" * 1_000_000) == ["ERR VAR-NOT-SUPPORTED"]
        assert client.ask("B" * 1_000_000) == ["ERR UNKNOWN-COMMAND"]
        assert client.ask("GET VAR ups ups.status " + "x " * 500_000) == [
            'VAR ups ups.status "OL"']
        assert client.ask("GET VAR ups ups.status") == ['VAR ups ups.status "OL"']
        assert time.monotonic() - start < 10


def test_a_client_that_never_reads_is_dropped(plain: NetServer) -> None:
    hog = socket.create_connection(plain.addresses[0])
    hog.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    try:
        for _ in range(30):  # 100 requests of ~9 KiB of answer each, never read
            hog.sendall(b"LIST VAR ups\n" * 100)
    except OSError:
        pass  # the server may already have dropped it
    with LineClient(plain.addresses[0]) as other:
        assert other.ask("GET VAR ups ups.status") == ['VAR ups ups.status "OL"']
    assert _eventually(lambda: plain.clients == 0), plain.clients
    hog.close()


def test_maxconn_holds_the_rest_in_the_backlog() -> None:
    with server(maxconn=2) as srv:
        first, second = LineClient(srv.addresses[0]), LineClient(srv.addresses[0])
        assert first.ask("NETVER") == ["1.3"] and second.ask("NETVER") == ["1.3"]
        third = LineClient(srv.addresses[0], timeout=0.5)
        with pytest.raises(TimeoutError):
            third.ask("NETVER")
        first.close()
        third.sock.settimeout(5)
        assert third.readline() == "1.3"
        second.close()
        third.close()


def test_idle_clients_are_disconnected_and_pipelining_works() -> None:
    with server(idle_timeout=0.5) as srv, LineClient(srv.addresses[0]) as client:
        client.sock.sendall(b"VER\nNETVER\nGET VAR ups ups.status\nLIST UPS\n")
        lines = [client.readline() for _ in range(6)]
        assert lines[1:] == ["1.3", 'VAR ups ups.status "OL"', "BEGIN LIST UPS",
                             'UPS ups "test"', "END LIST UPS"]
        assert client.closed(timeout=5)


def test_logout_closes_and_bind_errors_name_the_address(plain: NetServer) -> None:
    with LineClient(plain.addresses[0]) as client:
        client.sock.sendall(b"LOGOUT\nVER\n")
        assert client.readline() == "OK Goodbye"
        assert client.closed()
    host, port = plain.addresses[0]
    taken = NetServer(upses(), Users(), [(host, port)], descriptions=Descriptions())
    with pytest.raises(ConfigError, match=f"cannot listen on 127.0.0.1 port {port}"):
        taken.start()
    taken.stop()


def _eventually(predicate: object, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return True
        time.sleep(0.05)
    return False


def test_answers_reach_a_client_that_closed_its_sending_side(plain: NetServer) -> None:
    for _ in range(20):
        with socket.create_connection(plain.addresses[0], timeout=5) as sock:
            sock.sendall(b"NETVER\nLIST UPS\n")
            sock.shutdown(socket.SHUT_WR)  # as `printf ... | nc -N`
            data = b""
            while chunk := sock.recv(4096):
                data += chunk
        assert data == b'1.3\nBEGIN LIST UPS\nUPS ups "test"\nEND LIST UPS\n'


def test_ipv6_loopback_is_served_when_available() -> None:
    require(socket.has_ipv6 and _ipv6_loopback(), "no IPv6 loopback on this machine")
    with NetServer(upses(), Users.from_text(USERS_TEXT), [("127.0.0.1", 0), ("::1", 0)],
                   descriptions=Descriptions()) as srv:
        (_, port4), (host6, port6) = srv.addresses
        assert host6 == "::1" and port4 > 0 and port6 > 0
        with LineClient(("::1", port6)) as client:
            assert client.ask("GET VAR ups ups.status") == ['VAR ups ups.status "OL"']
            client.ask("USERNAME monuser")
            client.ask("PASSWORD monpass")
            assert client.ask("LOGIN ups") == ["OK"]
            assert client.ask("LIST CLIENT ups") == [
                "BEGIN LIST CLIENT ups", "CLIENT ups ::1", "END LIST CLIENT ups"]


def _ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return False
    return True


def test_a_connection_flood_does_not_starve_a_client(plain: NetServer) -> None:
    with LineClient(plain.addresses[0]) as steady:
        start = time.monotonic()
        slowest = 0.0
        for round_ in range(10):
            for _ in range(12):  # connect and close at full speed (past the accept burst)
                with socket.create_connection(plain.addresses[0], timeout=5):
                    pass
            asked = time.monotonic()
            assert steady.ask(f"GET VAR ups test.var{round_:02d}") == [
                f'VAR ups test.var{round_:02d} "{"x" * 200}"']
            slowest = max(slowest, time.monotonic() - asked)
        assert slowest < 1.0, slowest
        assert time.monotonic() - start < 30


def test_a_failing_data_tree_costs_one_client_not_the_server() -> None:
    class Broken(DState):
        def variable(self, name: str) -> None:  # type: ignore[override]
            raise RuntimeError("broken tree")

    broken = Broken()
    broken.set("ups.status", "OL")
    broken.data_ok()
    upses = {"ups": ServedUps("ups", "", broken, Recorder())}
    with NetServer(upses, Users(), [("127.0.0.1", 0)], descriptions=Descriptions()) as srv:
        with LineClient(srv.addresses[0]) as victim:
            victim.sock.sendall(b"GET TYPE ups ups.status\n")
            assert victim.closed()
        with LineClient(srv.addresses[0]) as other:
            assert other.ask("GET VAR ups ups.status") == ['VAR ups ups.status "OL"']
    srv.stop()  # twice is harmless
