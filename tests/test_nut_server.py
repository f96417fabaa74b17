"""The driver socket server, spoken to directly as upsd would (docs/sock-protocol.txt)."""

from __future__ import annotations

import logging
import os
import socket
import stat
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from nut_util import wait_until
from server_util import RecordingHandler, capture_dstate

from hidups.nut.client import DriverClient, request_killpower, send_control
from hidups.nut.dstate import DState
from hidups.nut.server import DriverServer


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[DriverServer, DState, RecordingHandler]]:
    d = capture_dstate()
    handler = RecordingHandler()
    server = DriverServer(str(tmp_path / "hidups-test"), d, handler)
    server.start()
    try:
        yield server, d, handler
    finally:
        server.stop()


def test_socket_mode_and_cleanup(tmp_path: Path) -> None:
    path = tmp_path / "hidups-x"
    path.write_text("stale socket file")
    server = DriverServer(str(path), DState(), RecordingHandler())
    server.start()
    assert stat.S_ISSOCK(os.stat(path).st_mode)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o660
    server.stop()
    assert not path.exists()


def test_dumpall_is_the_dstate_dump(served: tuple[DriverServer, DState, RecordingHandler]) -> None:
    server, d, _ = served
    with DriverClient(server.path) as client:
        lines = client.dump()
    assert lines[-2:] == [["DATAOK"], ["DUMPDONE"]]
    values = {w[1]: w[2] for w in lines if w[0] == "SETINFO"}
    assert values == {name: d.get(name) for name in d.names()}


def test_ping_getpid_dumpvalue_dumpstatus_logout(
    served: tuple[DriverServer, DState, RecordingHandler],
) -> None:
    server, _, _ = served
    with DriverClient(server.path) as client:
        client.send("ping")  # commands are case-insensitive
        assert client.read_words() == ["PONG"]
        client.send("GETPID")
        assert client.read_words() == ["PID", str(os.getpid())]
        client.send("DUMPSTATUS")
        assert [client.read_words() for _ in range(3)] == [
            ["SETINFO", "ups.status", "OL"], ["DATAOK"], ["DUMPDONE"]]
        client.send("DUMPVALUE ups.delay.shutdown")
        assert [client.read_words() for _ in range(5)] == [
            ["SETINFO", "ups.delay.shutdown", "20"], ["SETAUX", "ups.delay.shutdown", "10"],
            ["SETFLAGS", "ups.delay.shutdown", "RW", "STRING"], ["DATAOK"], ["DUMPDONE"]]
        client.send("LOGOUT")
        assert client.read_words() == ["OK", "Goodbye"]
        with pytest.raises(ConnectionError):
            client.read_words()


def test_instcmd_and_set_forms_with_tracking(
    served: tuple[DriverServer, DState, RecordingHandler],
) -> None:
    server, _, handler = served
    handler.status = {"load.off": 3, "ups.delay.shutdown": 2}
    with DriverClient(server.path) as client:
        assert client.tracked("INSTCMD test.battery.start.quick") == 0
        assert client.tracked('INSTCMD load.off "5"') == 3
        assert client.tracked('SET ups.delay.shutdown "a \\"b\\" \\#c"') == 2
        assert client.tracked('SET boom "1"') == 3  # an exception in the engine = failed
        client.send("INSTCMD test.battery.start.quick")  # untracked: no reply
        client.send("INSTCMD a b c d e f")  # malformed: logged, ignored
        client.send('SET x "1" NOTTRACKING 5')  # 5 words without TRACKING: rejected
        client.send("PING")
        assert client.read_words() == ["PONG"]
    assert handler.calls == [
        ("instcmd", "test.battery.start.quick", None),
        ("instcmd", "load.off", "5"),
        ("setvar", "ups.delay.shutdown", 'a "b" #c'),
        ("setvar", "boom", "1"),
        ("instcmd", "test.battery.start.quick", None),
    ]


def test_live_updates_and_broadcast_control(
    served: tuple[DriverServer, DState, RecordingHandler],
) -> None:
    server, d, _ = served
    with DriverClient(server.path) as a, DriverClient(server.path) as b:
        b.send("NOBROADCAST")
        b.send("PING")
        assert b.read_words() == ["PONG"]
        d.set("ups.status", "OB DISCHRG")
        d.set("ups.id", 'say "hi" #1')
        d.data_stale()
        assert a.read_words() == ["SETINFO", "ups.status", "OB DISCHRG"]
        assert a.read_words() == ["SETINFO", "ups.id", 'say "hi" #1']
        assert a.read_words() == ["DATASTALE"]
        b.send("PING")
        assert b.read_words() == ["PONG"]  # nothing broadcast reached b
        b.send("BROADCAST 1")
        b.send("PING")
        assert b.read_words() == ["PONG"]
        d.data_ok()
        assert a.read_words() == ["DATAOK"]
        assert b.read_words() == ["DATAOK"]


def test_shared_driver_commands(served: tuple[DriverServer, DState, RecordingHandler]) -> None:
    server, d, handler = served
    events: list[str] = []
    def reload(mode: str) -> int:
        events.append(mode)
        return 3 if mode == "reload-or-error" else 0

    def killpower() -> int:
        events.append(f"kill:{d.get('driver.state')}")
        return 0

    def debug(level: int) -> int:
        events.append(f"debug:{level}")
        return max(level, 0)

    server.on_exit = lambda: events.append("exit")
    server.on_reload = reload
    server.on_killpower = killpower
    server.on_debug = debug
    d.set("driver.flag.allow_killpower", "0")
    d.set("driver.state", "quiet")
    with DriverClient(server.path) as client:
        assert client.instcmd("driver.killpower") == 2  # not allowed yet
        assert client.setvar("driver.flag.allow_killpower", "yes") == 0
        assert d.get("driver.flag.allow_killpower") == "1"
        assert client.instcmd("driver.killpower") == 0
        assert client.instcmd("driver.reload") == 0
        assert client.instcmd("driver.reload-or-exit") == 0
        assert client.instcmd("driver.reload-or-error") == 3
        assert client.instcmd("driver.exit") == 0
        assert client.setvar("driver.debug", "4") == 0
        assert client.setvar("driver.debug", "lots") == 2
        assert client.setvar("driver.flag.allow_killpower", "-2") == 0
    assert events == ["kill:fsd.killpower", "reload", "reload-or-exit", "reload-or-error",
                      "exit", "debug:4"]
    assert d.get("driver.state") == "quiet"
    assert d.get("driver.debug") == "4"
    assert d.get("driver.flag.allow_killpower") == "0"
    assert handler.calls == []  # none of these reached the engine's handler


def test_killpower_and_control_helpers(
    served: tuple[DriverServer, DState, RecordingHandler],
) -> None:
    server, d, _ = served
    calls: list[str] = []
    def killpower() -> int:
        calls.append("kill")
        return 0

    def reload(mode: str) -> int:
        calls.append(mode)
        return 0

    server.on_killpower = killpower
    server.on_reload = reload
    d.set("driver.flag.allow_killpower", "0")
    result = request_killpower(server.path, timeout=5)
    assert result.ok and result.status == 0 and calls == ["kill"]
    assert send_control("reload", server.path).ok and calls == ["kill", "reload"]
    server.on_killpower = lambda: 3
    assert request_killpower(server.path, timeout=5).status == 3
    missing = request_killpower(server.path + "-nobody", timeout=1)
    assert missing.status is None and "no running driver" in missing.message


# --- robustness --------------------------------------------------------------------------


def _noisy_clients(
    path: str, sent: threading.Event, stop: threading.Event, errors: list[BaseException]
) -> None:
    """Connect-and-drop, garbage, 1 MB lines, binary junk, and clients that never read."""
    silent: list[socket.socket] = []
    try:
        for i in range(50):
            s = socket.socket(socket.AF_UNIX)
            s.connect(path)
            if i % 5 == 0:
                s.sendall(b"DUMPALL\n" * 200)  # asks for lots, never reads
                silent.append(s)
                continue
            if i % 5 == 1:
                # Stop broadcasts first and wait until the server has taken that in:
                # closing with unread data would reset the connection, and the server
                # would then rightly drop the client before reading the line's end.
                s.sendall(b"NOBROADCAST\nPING\n")
                reply = b""
                while b"PONG\n" not in reply:
                    chunk = s.recv(4096)
                    if not chunk:
                        break
                    reply += chunk
                s.sendall(b"X" * (1 << 20) + b"\n")
            elif i % 5 == 2:
                s.sendall(bytes(range(256)) * 64 + b'SET "unterminated\n')
            elif i % 5 == 3:
                s.sendall(b"INSTCMD\nSET a\nBROADCAST x\n" + b"w " * 5000 + b"\nFOO BAR\n")
            s.close()
    except BaseException as exc:  # pragma: no cover - reported by the test
        errors.append(exc)
    finally:
        sent.set()
        stop.wait(30)  # keep the silent clients connected until the test is done
        for s in silent:
            s.close()


@pytest.mark.slow
def test_well_behaved_client_is_served_throughout_abuse(
    served: tuple[DriverServer, DState, RecordingHandler], caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="hidups.nut.server")
    server, d, handler = served
    server.max_output = 64 * 1024
    expected = len(d.dump())
    sent, stop = threading.Event(), threading.Event()
    errors: list[BaseException] = []
    with DriverClient(server.path, timeout=10) as good:
        # A connected client gets broadcasts once the server has accepted it; one round
        # trip makes sure of that (upsd starts with DUMPALL for the same reason).
        good.send("PING")
        assert good.wait_for("PONG", 5) == ["PONG"]
        noise = threading.Thread(target=_noisy_clients, args=(server.path, sent, stop, errors))
        noise.start()
        try:
            round_no = 0
            # Every reply must come (none lost, none out of order); the limit leaves room for
            # a loaded 2-core machine, where the noisy threads share this process's GIL.
            limit = 10
            while not sent.is_set() or round_no < 20:
                round_no += 1
                d.set("battery.charge", str(round_no))
                assert good.wait_for("SETINFO", limit) == [
                    "SETINFO", "battery.charge", str(round_no)]
                assert good.tracked("INSTCMD load.off", limit) == 0
                good.send("PING")
                assert good.wait_for("PONG", limit) == ["PONG"]
                if round_no % 5 == 0:
                    assert len(good.dump(limit)) == expected
            # the 10 clients that never read are still connected on their side, but the
            # server dropped them when their output overflowed: only ``good`` is left
            assert wait_until(lambda: server.client_count == 1, 10), server.client_count
            good.send("PING")
            assert good.wait_for("PONG", 5) == ["PONG"]
        finally:
            stop.set()
            noise.join(30)
    assert not errors
    assert handler.calls.count(("instcmd", "load.off", None)) == round_no
    dropped = [r for r in caplog.records if "is not reading" in r.getMessage()]
    assert len(dropped) == 10
    assert any("line longer than" in r.getMessage() for r in caplog.records)
    print(f"{round_no} rounds served during the abuse")


def test_engine_may_stop_the_server_from_a_hook(tmp_path: Path) -> None:
    failures: list[threading.ExceptHookArgs] = []
    old_hook = threading.excepthook
    threading.excepthook = failures.append
    try:
        server = DriverServer(str(tmp_path / "hidups-x"), DState(), RecordingHandler())
        server.on_exit = server.stop
        server.start()
        with DriverClient(server.path) as client:
            client.send("INSTCMD driver.exit TRACKING 1")
            assert wait_until(lambda: not Path(server.path).exists(), 5)
        time.sleep(0.2)
    finally:
        threading.excepthook = old_hook
    assert failures == []
