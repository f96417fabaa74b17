"""Issue 11's smaller ones: -r/chroot really confine, state-directory errors say so,
``port=replay:/etc`` is a directory, an unreadable user subdriver folder is a warning.

Chroot and permission cases run in a forked child, so the test process itself is
never confined nor loses privileges (the venv's interpreter is not reachable by
other users, hence fork rather than a subprocess as ``nobody``).
"""

from __future__ import annotations

import logging
import os
import shutil
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest

from hidups.errors import CaptureError, DeviceNotFound
from hidups.hid2nut.registry import all_subdrivers
from hidups.nut.dstate import DState
from hidups.nut.paths import ChrootError, PidLock, StateDirError, enter_chroot
from hidups.nut.server import DriverServer
from hidups.transport.replay import open_replay

NOBODY = 65534


def in_child(action: Callable[[], str], *, as_nobody: bool = False) -> str:
    """Run ``action`` in a forked child (as ``nobody`` if asked); its result or error."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        os.close(read_end)
        try:
            if as_nobody:
                os.setgroups([])
                os.setgid(NOBODY)
                os.setuid(NOBODY)
            result = action()
        except BaseException as exc:  # reported to the parent
            result = f"{type(exc).__name__}: {exc}"
        os.write(write_end, result.encode())
        os._exit(0)
    os.close(write_end)
    chunks = []
    while chunk := os.read(read_end, 65536):
        chunks.append(chunk)
    os.close(read_end)
    os.waitpid(pid, 0)
    return b"".join(chunks).decode()


def _not_root_here() -> bool:
    return os.geteuid() != 0


def test_chroot_confines_the_process(tmp_path: Path) -> None:
    jail = tmp_path / "jail"
    (jail / "run" / "nut").mkdir(parents=True)

    def confined() -> str:
        enter_chroot(str(jail), preload=["json"])
        Path("/run/nut/marker").write_text("inside")
        return f"{os.getcwd()} {sorted(os.listdir('/'))}"

    result = in_child(confined)
    if _not_root_here():  # a normal user: refused, never silently unconfined
        assert result.startswith("ChrootError: ") and "needs root" in result
        return
    assert result == "/ ['run']"
    assert (jail / "run" / "nut" / "marker").read_text() == "inside"


def test_chroot_refuses_what_it_cannot_do(tmp_path: Path) -> None:
    with pytest.raises(ChrootError, match=f"chroot {tmp_path}/missing: No such file or dir"):
        enter_chroot(str(tmp_path / "missing"))
    (tmp_path / "file").write_text("")
    with pytest.raises(ChrootError, match=f"chroot {tmp_path}/file: not a directory"):
        enter_chroot(str(tmp_path / "file"))
    def chroot_to_root() -> str:
        enter_chroot("/")
        return "None"

    result = in_child(chroot_to_root, as_nobody=not _not_root_here())
    assert result == "ChrootError: chroot /: Operation not permitted (chroot needs root)"
    with pytest.raises(ModuleNotFoundError):
        enter_chroot(str(tmp_path), preload=["hidups_no_such_module"])


def _locked_dir(tmp_path: Path) -> Path:
    state = tmp_path / "state"
    state.mkdir()
    state.chmod(stat.S_IRUSR | stat.S_IXUSR | stat.S_IRGRP | stat.S_IXGRP | stat.S_IXOTH)
    return state


def test_pid_file_permission_error_names_the_state_directory(tmp_path: Path) -> None:
    state = _locked_dir(tmp_path)
    tmp_path.chmod(0o755)
    pid = state / "hidups-ups.pid"

    def lock() -> str:
        PidLock(str(pid), "ups").acquire()
        return "locked"

    result = in_child(lock, as_nobody=not _not_root_here())
    assert result.startswith(f"StateDirError: cannot create the PID file {pid} in the state "
                             f"directory {state}: Permission denied (current user: ")
    assert f"set different owners or permissions on {state}" in result
    assert "-u <username>" in result and "Errno" not in result


def test_socket_permission_error_names_the_state_directory(tmp_path: Path) -> None:
    state = _locked_dir(tmp_path)
    tmp_path.chmod(0o755)
    sock = state / "hidups-ups"

    class Nothing:
        def instcmd(self, name: str, param: str | None) -> int:
            return 1

        def setvar(self, name: str, value: str) -> int:
            return 1

    def serve() -> str:
        DriverServer(str(sock), DState(), Nothing()).start()
        return "listening"

    result = in_child(serve, as_nobody=not _not_root_here())
    assert result.startswith(f"StateDirError: cannot create the driver socket {sock} in the "
                             f"state directory {state}: Permission denied")


def test_missing_or_clobbered_state_directory(tmp_path: Path) -> None:
    missing = tmp_path / "missing"
    with pytest.raises(StateDirError) as err:
        PidLock(str(missing / "hidups-ups.pid"), "ups").acquire()
    assert str(err.value) == (
        f"cannot create the PID file {missing}/hidups-ups.pid in the state directory "
        f"{missing}: No such file or directory; mkdir {missing} (or set statepath / "
        "NUT_STATEPATH)")
    assert isinstance(err.value, OSError) and err.value.path == str(missing)
    clobbered = tmp_path / "file"
    clobbered.write_text("not a directory")
    with pytest.raises(StateDirError, match=f"; rm {clobbered}, then mkdir {clobbered}"):
        PidLock(str(clobbered / "hidups-ups.pid"), "ups").acquire()


def test_replay_of_a_directory_says_so(tmp_path: Path) -> None:
    with pytest.raises(CaptureError) as err:
        open_replay({"port": "replay:/etc"})
    assert str(err.value) == "/etc: is a directory, not a capture file (port = replay:FILE)"
    with pytest.raises(CaptureError, match="/dev/null: is not a regular file"):
        open_replay({"port": "replay:/dev/null"})
    with pytest.raises(DeviceNotFound, match=f"replay capture {tmp_path}/gone does not exist"):
        open_replay({"port": f"replay:{tmp_path}/gone"})


def _user_subdrivers_as_nobody(config: Path, options: dict[str, str]) -> str:
    """all_subdrivers() in a child as nobody: the warnings, then the subdriver count."""

    def scan() -> str:
        records: list[logging.LogRecord] = []
        handler = logging.Handler()
        handler.emit = records.append  # type: ignore[method-assign,assignment]
        logger = logging.getLogger("hidups.hid2nut.registry")
        logger.addHandler(handler)
        os.environ["XDG_CONFIG_HOME"] = str(config)
        found = all_subdrivers(options)
        warnings = [r.getMessage() for r in records if r.levelno >= logging.WARNING]
        return "\n".join([*warnings, f"{len(found)} subdrivers"])

    return in_child(scan, as_nobody=not _not_root_here())


def test_an_unreadable_user_subdriver_folder_is_a_warning() -> None:
    root = Path(tempfile.mkdtemp(prefix="hidups-registry-"))  # reachable by nobody
    try:
        root.chmod(0o755)
        config = root / "config"
        (config / "hidups" / "subdrivers").mkdir(parents=True)
        config.chmod(0o755)
        (config / "hidups").chmod(0o700)  # ~/.config/hidups closed to the driver's user
        listable_only = root / "no-read"
        listable_only.mkdir(mode=0o711)
        listable_only.chmod(0o711)  # may be entered, not listed
        builtins = len(all_subdrivers({}))
        result = _user_subdrivers_as_nobody(config, {"subdriver_path": str(listable_only)})
        assert result.splitlines() == [
            f"subdriver directory {config}/hidups/subdrivers cannot be read (Permission "
            "denied); going on without the subdrivers in it",
            f"subdriver directory {listable_only} cannot be read (Permission denied); "
            "going on without the subdrivers in it",
            f"{builtins} subdrivers",
        ]
    finally:
        (root / "config" / "hidups").chmod(0o700)
        shutil.rmtree(root)
