"""Where NUT keeps things, and the one-instance-per-UPS lock.

Paths follow NUT: ``NUT_CONFPATH`` (ups.conf), ``NUT_STATEPATH`` (driver sockets) and
``NUT_ALTPIDPATH`` (PID files; falls back to the state path), with Debian's built-in
defaults. The socket is ``<statepath>/hidups-<ups>`` because upsd connects to
``<driver>-<ups>``; the PID file is ``<altpidpath>/hidups-<ups>.pid`` as upsdrvctl
expects.

NUT finds a duplicate driver by the PID file's existence and kills it. hidups instead
holds an ``flock`` on the PID file for its whole life: a second instance is refused
with a message naming the first one, and a PID file left by a dead process (no lock
held) is simply taken over. ``flock`` survives ``fork``, so backgrounding keeps it.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import importlib
import os
import pwd
import signal
import stat
from collections.abc import Callable, Iterable, Mapping
from types import FrameType
from typing import Protocol

from hidups.errors import ConfigError, HidupsError

#: Debian's compile-time paths (nut-server 2.8.0).
DEFAULT_CONFPATH = "/etc/nut"
DEFAULT_STATEPATH = "/run/nut"
DEFAULT_ALTPIDPATH = "/run/nut"
PROGNAME = "hidups"


def _env(env: Mapping[str, str] | None) -> Mapping[str, str]:
    return os.environ if env is None else env


def confpath(env: Mapping[str, str] | None = None) -> str:
    return _env(env).get("NUT_CONFPATH") or DEFAULT_CONFPATH


def statepath(env: Mapping[str, str] | None = None, configured: str | None = None) -> str:
    """``NUT_STATEPATH``, else ups.conf's global ``statepath``, else the built-in path."""
    return _env(env).get("NUT_STATEPATH") or configured or DEFAULT_STATEPATH


def altpidpath(env: Mapping[str, str] | None = None, configured: str | None = None) -> str:
    """``NUT_ALTPIDPATH``, else the state path (as NUT's ``altpidpath()``)."""
    e = _env(env)
    return e.get("NUT_ALTPIDPATH") or e.get("NUT_STATEPATH") or configured or DEFAULT_ALTPIDPATH


def ups_conf_path(env: Mapping[str, str] | None = None) -> str:
    return os.path.join(confpath(env), "ups.conf")


def read_config(path: str | os.PathLike[str], what: str, *, encoding: str = "utf-8") -> str:
    """A NUT configuration file's text; unreadable, a ConfigError naming ``what`` and
    the file (ups.conf, upsd.conf, upsd.users all fail the same way)."""
    try:
        with open(path, encoding=encoding, errors="replace") as handle:
            return handle.read()
    except OSError as exc:
        raise ConfigError(f"cannot read {what}: {exc.strerror}", source=str(path)) from None


def socket_path(
    ups: str,
    env: Mapping[str, str] | None = None,
    progname: str = PROGNAME,
    configured: str | None = None,
) -> str:
    """``<statepath>/hidups-<ups>``: the name upsd derives from ``driver = hidups``."""
    return os.path.join(statepath(env, configured), f"{progname}-{ups}")


def pid_path(
    ups: str,
    env: Mapping[str, str] | None = None,
    progname: str = PROGNAME,
    configured: str | None = None,
) -> str:
    """``<altpidpath>/hidups-<ups>.pid``, where upsdrvctl looks for it."""
    return os.path.join(altpidpath(env, configured), f"{progname}-{ups}.pid")


class AlreadyRunning(HidupsError, RuntimeError):
    """Another hidups instance holds the lock for this UPS."""

    def __init__(self, ups: str, path: str, pid: int | None) -> None:
        self.ups, self.path, self.pid = ups, path, pid
        who = f"PID {pid}" if pid else "another process"
        super().__init__(
            f"hidups for UPS [{ups}] is already running ({who}, lock on {path}); "
            f"stop it first (upsdrvctl stop {ups}) or use 'hidups -a {ups} -c exit'"
        )


class StateDirError(HidupsError, OSError):
    """The state directory (sockets, PID files) is missing or not writable.

    The message names the directory and what to do about it, as NUT's ``sock_fail``
    does, instead of a bare ``[Errno 13]``.
    """

    def __init__(self, message: str, error: int | None, path: str) -> None:
        super().__init__(error, message)
        self.message = message
        self.path = path

    def __str__(self) -> str:
        return self.message


def state_dir_error(exc: OSError, what: str, path: str) -> StateDirError:
    """``exc`` (creating ``what`` at ``path``) with the state directory and a remedy."""
    folder = os.path.dirname(path) or "."
    text = f"cannot create {what} {path} in the state directory {folder}: {exc.strerror}"
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        uid = os.geteuid()
        try:
            user = pwd.getpwuid(uid).pw_name
        except KeyError:
            user = "?"
        text += (f" (current user: {user}, UID {uid}); set different owners or "
                 f"permissions on {folder}, or run as some other user (-u <username>)")
    elif exc.errno == errno.ENOENT:
        text += f"; mkdir {folder} (or set statepath / NUT_STATEPATH)"
    elif exc.errno == errno.ENOTDIR:
        text += f"; rm {folder}, then mkdir {folder}"
    return StateDirError(text, exc.errno, folder)


class ChrootError(HidupsError, OSError):
    """``-r DIR`` / ``chroot`` could not be carried out (the driver must not go on
    unconfined when asked to be confined)."""

    def __str__(self) -> str:
        return str(self.strerror)  # not "[Errno 1] ...": the message says it all


def enter_chroot(path: str, preload: Iterable[str] = ()) -> None:
    """chdir, chroot and chdir("/") into ``path``, as NUT's ``chroot_start``.

    NUT calls it in ``main()`` right after reading ups.conf and looking the ``-u``
    user up, before dropping privileges, ``chdir(statepath)``, opening the device
    and creating the socket: so the state path (and /dev, /sys for USB) are paths
    *inside* the chroot. Python needs one more thing first: every module it will
    import later, since the interpreter's library is outside; ``preload`` names
    them (transport backends, subdrivers, codecs).
    """
    for module in preload:
        importlib.import_module(module)
    try:
        is_dir = stat.S_ISDIR(os.stat(path).st_mode)
    except OSError as exc:
        raise ChrootError(exc.errno, f"chroot {path}: {exc.strerror}") from exc
    if not is_dir:
        raise ChrootError(errno.ENOTDIR, f"chroot {path}: not a directory")
    try:
        os.chdir(path)
        os.chroot(path)
        os.chdir("/")
    except OSError as exc:
        hint = " (chroot needs root)" if exc.errno == errno.EPERM else ""
        raise ChrootError(exc.errno, f"chroot {path}: {exc.strerror}{hint}") from exc


def read_pid(path: str) -> int | None:
    try:
        with open(path, encoding="ascii", errors="replace") as f:
            text = f.read().strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


class PidLock:
    """The PID file, locked for as long as this process drives the UPS."""

    def __init__(self, path: str, ups: str) -> None:
        self.path = path
        self.ups = ups
        self._fd: int | None = None

    def acquire(self) -> None:
        """Lock and write our PID; raise :class:`AlreadyRunning` if another holds it."""
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as exc:
            raise state_dir_error(exc, "the PID file", self.path) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise AlreadyRunning(self.ups, self.path, read_pid(self.path)) from None
        except OSError:
            os.close(fd)
            raise
        self._fd = fd
        self.write_pid()

    def write_pid(self, pid: int | None = None) -> None:
        """(Re)write the PID, e.g. after going to the background."""
        if self._fd is None:
            raise RuntimeError("PID lock not held")
        os.ftruncate(self._fd, 0)
        os.pwrite(self._fd, f"{pid or os.getpid()}\n".encode(), 0)

    def release(self) -> None:
        """Remove the PID file and drop the lock."""
        if self._fd is None:
            return
        with contextlib.suppress(OSError):
            if read_pid(self.path) == os.getpid():
                os.unlink(self.path)
        with contextlib.suppress(OSError):
            os.close(self._fd)
        self._fd = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def __enter__(self) -> PidLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


#: Signals that end the driver (as NUT's ``setup_signals``) and the one that reloads.
EXIT_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGQUIT)
RELOAD_SIGNAL = signal.SIGHUP


def install_signal_handlers(
    on_exit: Callable[[int], None], on_reload: Callable[[], None] | None = None
) -> None:
    """Route SIGTERM/SIGINT/SIGQUIT to ``on_exit(signum)``, SIGHUP to ``on_reload()``.

    Handlers should only set flags; the engine's loop does the cleanup
    (:func:`cleanup`). Without ``on_reload`` SIGHUP is ignored, as NUT 2.8.0 does.
    """

    def exiting(signum: int, frame: FrameType | None) -> None:
        on_exit(signum)

    def reloading(signum: int, frame: FrameType | None) -> None:
        if on_reload is not None:
            on_reload()

    for sig in EXIT_SIGNALS:
        signal.signal(sig, exiting)
    signal.signal(RELOAD_SIGNAL, reloading if on_reload else signal.SIG_IGN)
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)


class Stoppable(Protocol):
    def stop(self) -> None: ...


def cleanup(server: Stoppable | None, lock: PidLock | None) -> None:
    """On exit: stop the socket server (removes the socket), then release the PID file."""
    if server is not None:
        with contextlib.suppress(Exception):
            server.stop()
    if lock is not None:
        lock.release()
