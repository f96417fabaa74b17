"""The driver process around the engine: ups.conf through ``load_options`` (and again on
SIGHUP / ``driver.reload*``), the socket's group and ``statepath``, systemd
notifications, SIGTERM clean-up and ``-x explore``; on replayed captures."""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import PROJECT_CAPTURES, ROOT, require

from hidups.app import main as driver_main
from hidups.app.process import debug_setter

CS500_REPLAY = PROJECT_CAPTURES / "apc-back-ups-cs500.json"


def write_conf(confdir: Path, body: str, glob: str = "") -> Path:
    path = confdir / "ups.conf"
    path.write_text(f"{glob}[ups]\n    driver = hidups\n    port = replay:{CS500_REPLAY}\n{body}")
    return path


class Stop(Exception):
    """Ends ``drive`` where the fake server is started."""


class RecordingServer:
    """Stands in for DriverServer: records how it was made, then stops the driver."""

    made: list[dict[str, Any]] = []

    def __init__(self, path: str, dstate: object, handler: object, **kw: Any) -> None:
        RecordingServer.made.append({"path": path, **kw})

    def start(self) -> None:
        raise OSError("stop here")

    def stop(self) -> None:
        pass


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[dict[str, Any]]:
    require(CS500_REPLAY.exists(), f"{CS500_REPLAY} is missing")
    import hidups.nut.server

    RecordingServer.made = []
    monkeypatch.setattr(hidups.nut.server, "DriverServer", RecordingServer)
    monkeypatch.setenv("NUT_CONFPATH", str(tmp_path))
    monkeypatch.setenv("NUT_ALTPIDPATH", str(tmp_path))
    monkeypatch.delenv("NUT_STATEPATH", raising=False)
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    return RecordingServer.made


def test_socket_group_only_when_configured(recorded: list[dict[str, Any]],
                                           tmp_path: Path) -> None:
    write_conf(tmp_path, "", glob=f"statepath = {tmp_path}\n")
    assert driver_main.main(["-a", "ups", "-F"]) == 1  # the fake server stops it
    assert recorded[-1]["group"] is None  # not the table default "nut"
    write_conf(tmp_path, "    group = dialout\n", glob=f"statepath = {tmp_path}\n")
    driver_main.main(["-a", "ups", "-F"])
    assert recorded[-1]["group"] == "dialout"


def test_socket_and_pid_file_under_the_configured_statepath(
        recorded: list[dict[str, Any]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    state = tmp_path / "state"
    state.mkdir()
    monkeypatch.delenv("NUT_ALTPIDPATH")
    write_conf(tmp_path, "", glob=f"statepath = {state}\n")
    driver_main.main(["-a", "ups", "-F"])
    assert recorded[-1]["path"] == str(state / "hidups-ups")


def test_unreadable_ups_conf_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("NUT_CONFPATH", str(tmp_path / "nowhere"))
    assert driver_main.main(["-a", "ups", "-F"]) == 1
    err = capsys.readouterr().err
    assert str(tmp_path / "nowhere" / "ups.conf") in err
    assert "cannot read ups.conf" in err


def test_explore_dumps_the_device_and_exits(capsys: pytest.CaptureFixture[str]) -> None:
    require(CS500_REPLAY.exists(), f"{CS500_REPLAY} is missing")
    status = driver_main.main(["-s", "ups", "-x", f"port=replay:{CS500_REPLAY}",
                               "-x", "explore", "-x", "vendorid=051d", "-F"])
    out = capsys.readouterr().out
    assert status == 0
    # NUT's explore output starts the same way (see the capture's raw NUT log)
    assert "Report Descriptor size = 374" in out
    assert "UPS.PowerSummary.RemainingCapacity" in out


# --- the real process: SIGHUP, driver.reload, systemd, SIGTERM --------------------------------


class Notifications:
    """A NOTIFY_SOCKET that collects what the driver tells systemd."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(path))
        self.seen: list[str] = []

    def wait(self, state: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while state not in self.seen:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no {state}; got {self.seen}")
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(4096)
            except TimeoutError:
                continue
            self.seen += data.decode().splitlines()

    def close(self) -> None:
        self.sock.close()


def variables(path: str) -> dict[str, str]:
    from hidups.nut.client import DriverClient

    with DriverClient(path) as client:
        lines = client.dump()
    return {w[1]: w[2] for w in lines if len(w) == 3 and w[0] == "SETINFO"}


def wait_for(check: Any, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached")
        time.sleep(0.1)


def test_sighup_rereads_ups_conf_and_sigterm_cleans_up(tmp_path: Path) -> None:
    require(CS500_REPLAY.exists(), f"{CS500_REPLAY} is missing")
    conf = tmp_path / "conf"
    state = tmp_path / "state"
    conf.mkdir()
    state.mkdir()
    write_conf(conf, "    pollinterval = 1\n")
    notes = Notifications(tmp_path / "notify")
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "NUT_CONFPATH": str(conf),
           "NUT_STATEPATH": str(state), "NUT_ALTPIDPATH": str(state),
           "NOTIFY_SOCKET": str(notes.path), "HOME": str(tmp_path)}
    log = open(tmp_path / "driver.log", "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen([sys.executable, "-m", "hidups", "-a", "ups", "-F"], env=env,
                            stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
    sock = str(state / "hidups-ups")
    try:
        notes.wait("READY=1")
        before = variables(sock)
        assert before["driver.parameter.pollinterval"] == "1"
        assert before["ups.mfr"] != "Someone Else"
        write_conf(conf, "    pollinterval = 3\n    override.ups.mfr = \"Someone Else\"\n"
                         "    productid = 0002\n")
        notes.seen.clear()
        proc.send_signal(signal.SIGHUP)
        notes.wait("RELOADING=1")
        notes.wait("READY=1")
        wait_for(lambda: variables(sock).get("ups.mfr") == "Someone Else")
        after = variables(sock)
        assert after["driver.parameter.pollinterval"] == "3"
        assert after["driver.state"] in ("quiet", "updateinfo")
        # the matching option cannot change while running: said so, and over the socket
        # reload-or-error reports it (NUT: INVALID)
        from hidups.nut.client import DriverClient

        with DriverClient(sock) as client:
            assert client.instcmd("driver.reload-or-error", timeout=15) == 2
        write_conf(conf, "    pollinterval = 3\n    override.ups.mfr = \"Someone Else\"\n")
        with DriverClient(sock) as client:
            # productid is back to what runs: nothing needs a restart
            assert client.instcmd("driver.reload-or-error", timeout=15) == 0
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0
        notes.wait("STOPPING=1")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        log.close()
        notes.close()
    text = (tmp_path / "driver.log").read_text()
    assert "productid changed" in text, text
    assert not os.path.exists(sock)
    assert not (state / "hidups-ups.pid").exists()


def test_set_driver_debug_changes_the_log_level() -> None:
    """``SET driver.debug`` reaches the logging level at once; -1 restores -D's level."""
    root = logging.getLogger()
    saved = root.level
    try:
        root.setLevel(logging.INFO)
        set_level = debug_setter(0)
        assert set_level(3) == 3
        assert root.level == logging.DEBUG
        assert set_level(-1) == 0
        assert root.level == logging.INFO
        assert set_level(0) == 0 and root.level == logging.INFO
    finally:
        root.setLevel(saved)


def test_chroot_is_entered_not_ignored(tmp_path: Path) -> None:
    """``-r DIR`` used to be accepted and silently ignored (issue 11): the driver now
    chroots as NUT does, so a directory that is not there is an error naming it."""
    missing = tmp_path / "no-such-root"
    env = {"NUT_STATEPATH": str(tmp_path), "NUT_ALTPIDPATH": str(tmp_path),
           "NUT_CONFPATH": str(tmp_path), "PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [sys.executable, "-m", "hidups", "-s", "ups", "-x", f"port=replay:{CS500_REPLAY}",
         "-r", str(missing), "-d", "1"],
        capture_output=True, text=True, timeout=60, env=env)
    assert result.returncode == 1
    assert f"chroot {missing}: No such file or directory" in result.stderr
