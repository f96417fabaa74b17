"""Paths from NUT's environment variables, the PID-file lock, and signal cleanup."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from nut_util import wait_until

from hidups.nut import paths
from hidups.nut.paths import AlreadyRunning, PidLock

ROOT = Path(__file__).resolve().parents[1]


def test_paths_follow_nut_environment_variables() -> None:
    env = {"NUT_CONFPATH": "/c", "NUT_STATEPATH": "/s"}
    assert paths.ups_conf_path(env) == "/c/ups.conf"
    assert paths.socket_path("rack", env) == "/s/hidups-rack"
    # NUT's altpidpath(): NUT_ALTPIDPATH, else NUT_STATEPATH, else the built-in path
    assert paths.pid_path("rack", env) == "/s/hidups-rack.pid"
    assert paths.pid_path("rack", {**env, "NUT_ALTPIDPATH": "/p"}) == "/p/hidups-rack.pid"
    assert paths.socket_path("rack", {}) == "/run/nut/hidups-rack"
    assert paths.ups_conf_path({}) == "/etc/nut/ups.conf"
    # ups.conf's global statepath counts only when NUT_STATEPATH is not set (NUT master)
    assert paths.socket_path("rack", {}, configured="/u") == "/u/hidups-rack"
    assert paths.pid_path("rack", {}, configured="/u") == "/u/hidups-rack.pid"
    assert paths.socket_path("rack", env, configured="/u") == "/s/hidups-rack"


HOLDER = textwrap.dedent(
    """
    import sys, time
    from hidups.nut.paths import PidLock
    lock = PidLock(sys.argv[1], "rack")
    lock.acquire()
    print("locked", flush=True)
    time.sleep(30)
    """
)


def test_second_instance_is_refused_with_the_first_ones_pid(tmp_path: Path) -> None:
    pid_file = tmp_path / "hidups-rack.pid"
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(pid_file)],
                              stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        with pytest.raises(AlreadyRunning) as info:
            PidLock(str(pid_file), "rack").acquire()
        assert info.value.pid == holder.pid
        assert f"PID {holder.pid}" in str(info.value) and "[rack]" in str(info.value)
    finally:
        holder.kill()
        holder.wait()
    # the holder died without cleaning up: its PID file is stale and is taken over
    assert pid_file.read_text().strip() == str(holder.pid)
    with PidLock(str(pid_file), "rack") as lock:
        assert lock.held
        assert pid_file.read_text().strip() == str(os.getpid())
    assert not pid_file.exists()


DRIVER = textwrap.dedent(
    """
    import sys, threading
    from hidups.nut.dstate import DState
    from hidups.nut.paths import PidLock, cleanup, install_signal_handlers
    from hidups.nut.server import DriverServer

    class Handler:
        def instcmd(self, name, param): return 1
        def setvar(self, name, value): return 1

    stop = threading.Event()
    lock = PidLock(sys.argv[2], "rack")
    lock.acquire()
    server = DriverServer(sys.argv[1], DState(), Handler())
    server.start()
    install_signal_handlers(lambda signum: stop.set())
    print("ready", flush=True)
    stop.wait(30)
    cleanup(server, lock)
    """
)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signal_removes_socket_and_pid_file(tmp_path: Path, sig: signal.Signals) -> None:
    sock, pid_file = tmp_path / "hidups-rack", tmp_path / "hidups-rack.pid"
    proc = subprocess.Popen([sys.executable, "-c", DRIVER, str(sock), str(pid_file)],
                            stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        assert sock.exists() and pid_file.read_text().strip() == str(proc.pid)
        proc.send_signal(sig)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    assert wait_until(lambda: not sock.exists() and not pid_file.exists(), 2)


def test_sd_notify_sends_one_datagram_and_is_a_no_op_outside_systemd(tmp_path: Path) -> None:
    import socket

    from hidups.nut import sdnotify

    assert sdnotify.notify("READY=1", env={}) is False
    address = str(tmp_path / "notify")
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as listener:
        listener.bind(address)
        assert sdnotify.notify("READY=1", "STATUS=serving", env={"NOTIFY_SOCKET": address})
        assert listener.recv(4096) == b"READY=1\nSTATUS=serving"
    assert not sdnotify.notify("READY=1", env={"NOTIFY_SOCKET": address})  # nobody listens
