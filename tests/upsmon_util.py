"""NUT's upsmon for the end-to-end tests: its config, a NOTIFYCMD that records events."""

from __future__ import annotations

import contextlib
import os
import pwd
import signal
import stat
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

UPSMON = "/lib/nut/upsmon"  # /sbin/upsmon is Debian's wrapper that needs nut.conf MODE


# upsmon stays Debian's 2.8.0 (the upsd it watches is 2.8.5, nut_util): a root test runs it
# as NUT's unprivileged user, who cannot read 2.8.5's prefix under root's ~/.cache.
#: Notifications upsmon sends through NOTIFYCMD in this test.
WATCHED = ("ONLINE", "ONBATT", "LOWBATT", "COMMBAD", "COMMOK", "NOCOMM", "SHUTDOWN",
           "FSD", "REPLBATT")


def upsmon_conf(address: str, user: str, password: str, notify_cmd: Path,
                shutdown_flag: Path, powerdown_flag: Path) -> str:
    """A upsmon.conf that polls every second and can only write files."""
    flags = "".join(f"NOTIFYFLAG {name} SYSLOG+EXEC\n" for name in WATCHED)
    return (
        f"MONITOR {address} 1 {user} {password} primary\n"
        "MINSUPPLIES 1\n"
        f"SHUTDOWNCMD \"/bin/sh -c 'echo shutdown >> {shutdown_flag}'\"\n"
        f"NOTIFYCMD {notify_cmd}\n"
        "POLLFREQ 1\n"
        "POLLFREQALERT 1\n"
        "DEADTIME 3\n"
        "HOSTSYNC 5\n"
        "FINALDELAY 0\n"
        "RBWARNTIME 43200\n"
        "NOCOMMWARNTIME 300\n"
        f"POWERDOWNFLAG {powerdown_flag}\n"
        f"{flags}"
    )


def notify_script(path: Path, log: Path) -> None:
    """NOTIFYCMD: append ``<monotonic-ish time> <NOTIFYTYPE> <UPSNAME>`` to ``log``."""
    path.write_text(
        "#!/bin/sh\n"
        f'printf "%s %s %s %s\\n" "$(date +%s.%N)" "$NOTIFYTYPE" "$UPSNAME" "$*" >> {log}\n'
    )
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)


def read_notifications(log: Path) -> list[tuple[float, str]]:
    """(wall time, NOTIFYTYPE) in the order upsmon sent them."""
    if not log.exists():
        return []
    out = []
    for line in log.read_text().splitlines():
        parts = line.split(" ", 3)
        if len(parts) >= 2:
            out.append((float(parts[0]), parts[1]))
    return out


def no_previous_upsmon() -> bool:
    """upsmon 2.8.0 run as NUT's user still writes /run/nut/upsmon.pid and refuses to start
    while that PID exists; a just-ended upsmon (another test's) stays a zombie until
    reaped, which in a container without an init can take seconds."""
    try:
        pid = int(Path("/run/nut/upsmon.pid").read_text().strip())
    except (OSError, ValueError):
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def wait_for_no_upsmon(timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not no_previous_upsmon() and time.monotonic() < deadline:
        time.sleep(0.2)


@contextmanager
def process(argv: list[str], env: dict[str, str], log_path: Path,
            run_as: int | None = None) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``argv`` (as uid ``run_as`` when given) with its output in ``log_path``, in a
    session of its own; SIGTERM it (and wait) afterwards, SIGKILL its group if need be."""
    if Path(argv[0]).name == "upsmon":
        wait_for_no_upsmon()
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True, user=run_as,
                                group=None if run_as is None else pwd.getpwuid(run_as).pw_gid,
                                extra_groups=None if run_as is None else [])
    try:
        yield proc
    finally:
        # upsmon forks (a privileged parent and a monitoring child): end the whole group
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        finally:
            time.sleep(0.5)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)


def upsmon_home(root: Path) -> tuple[Path, dict[str, str], int | None]:
    """A directory for upsmon's configuration, PID file and notifications.

    upsmon 2.8.0 run as root keeps its PID file in /run/nut (not NUT_ALTPIDPATH), where
    a system upsmon or another test's would clash; as any other user it uses
    NUT_ALTPIDPATH. So a root test runs it as NUT's own unprivileged user.
    """
    home = root / "upsmon"
    home.mkdir()
    env = dict(os.environ, NUT_CONFPATH=str(home), NUT_STATEPATH=str(home),
               NUT_ALTPIDPATH=str(home))
    if os.geteuid() != 0:
        return home, env, None
    try:
        uid = pwd.getpwnam("nut").pw_uid
    except KeyError:
        uid = pwd.getpwnam("nobody").pw_uid
    root.chmod(root.stat().st_mode | stat.S_IXOTH)  # let upsmon reach its directory
    return home, env, uid


def hand_over(home: Path, uid: int | None) -> None:
    """upsmon.conf must be private to upsmon's user; the directory writable by it."""
    (home / "upsmon.conf").chmod(0o600)
    if uid is None:
        return
    gid = pwd.getpwuid(uid).pw_gid
    for path in (home, *home.iterdir()):
        os.chown(path, uid, gid)


def first_after(events: list[tuple[float, str]], names: tuple[str, ...],
                after: float) -> float | None:
    return next((t for t, name in events if name in names and t >= after), None)
