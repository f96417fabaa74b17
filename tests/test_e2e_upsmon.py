"""NUT's real ``upsmon`` watching hidups through NUT's real ``upsd``.

The scripted capture ``captures/apc-back-ups-cs500-events.json`` loses mains at 5 s,
gets it back at 20 s and is unplugged from 30 s to 35 s. upsmon must notify ONBATT then
ONLINE, then COMMBAD (or NOCOMM) while the device is gone and COMMOK once hidups has
reconnected, and the driver process must be the same one throughout (no restart).

upsmon runs rootless-capable in the foreground (``-F``); its SHUTDOWNCMD only writes a
file, so nothing is ever shut down, and the test asserts it never ran.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from conftest import PROJECT_CAPTURES, require, require_nut

EVENTS = PROJECT_CAPTURES / "apc-back-ups-cs500-events.json"
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


@contextmanager
def process(argv: list[str], env: dict[str, str], log_path: Path,
            run_as: int | None = None) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``argv`` (as uid ``run_as`` when given) with its output in ``log_path``, in a
    session of its own; SIGTERM it (and wait) afterwards, SIGKILL its group if need be."""
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


@pytest.mark.nut
@pytest.mark.slow
def test_upsmon_sees_mains_loss_and_unplug_without_a_driver_restart() -> None:
    require_nut()
    require(Path(UPSMON).exists(), f"{UPSMON} is missing (nut-client)")
    require(EVENTS.exists(), f"{EVENTS} is missing")
    from nut_util import MONITOR, MONITOR_PASSWORD, upsd_running, wait_until

    conf = (f"[ups]\n    driver = hidups\n    port = replay:{EVENTS}\n"
            "    pollinterval = 1\n")
    with upsd_running(conf, maxage=3) as upsd:
        root = upsd.root
        home, env, run_as = upsmon_home(root)
        notes, shutdown_flag = home / "notify.log", home / "shutdown.flag"
        notify_script(home / "notify.sh", notes)
        (home / "upsmon.conf").write_text(upsmon_conf(
            upsd.address("ups"), MONITOR, MONITOR_PASSWORD, home / "notify.sh",
            shutdown_flag, home / "killpower"))
        hand_over(home, run_as)
        driver_argv = [sys.executable, "-m", "hidups", "-a", "ups", "-F"]
        with process(driver_argv, upsd.env, root / "driver.log") as driver:
            start = time.time()  # the replay clock starts when the driver opens the capture
            upsd.wait_for_vars("ups")
            with process([UPSMON, "-F"], env, home / "upsmon.log", run_as) as upsmon:
                def done() -> bool:
                    got = read_notifications(notes)
                    back = first_after(got, ("COMMOK",), 0)
                    return back is not None and time.time() - start > 37
                finished = wait_until(done, timeout=50, step=0.5)
                monitor_alive = upsmon.poll() is None
            driver_alive = driver.poll() is None
            pid_file = upsd.state / "hidups-ups.pid"
            pid_text = pid_file.read_text().strip() if pid_file.exists() else ""
            reconnects = upsd.upsc("ups", "driver.reconnect_count").stdout.strip()
        events = [(t - start, name) for t, name in read_notifications(notes)]
        shutdown_ran = shutdown_flag.exists()
        diagnostics = "\n".join(
            f"--- {name}\n{(home / name).read_text(errors='replace')[-3000:]}"
            for name in ("notify.log", "upsmon.log", "../driver.log")
            if (home / name).exists())

    print("upsmon notifications (s after the driver started):",
          [(round(t, 1), name) for t, name in events])
    assert finished, diagnostics
    assert monitor_alive, diagnostics
    assert driver_alive, diagnostics  # the same process served from start to end
    assert pid_text in ("", str(driver.pid)), (pid_text, driver.pid)
    assert reconnects == "1", diagnostics
    names = [name for _, name in events]
    assert "SHUTDOWN" not in names and "FSD" not in names, diagnostics
    assert not shutdown_ran, diagnostics

    onbatt = first_after(events, ("ONBATT",), 0)
    assert onbatt is not None and 4.5 <= onbatt < 9, events
    online = first_after(events, ("ONLINE",), onbatt)
    assert online is not None and 19.5 <= online < 24, events
    commbad = first_after(events, ("COMMBAD", "NOCOMM"), online)
    assert commbad is not None and 29.5 <= commbad < 36, events
    commok = first_after(events, ("COMMOK",), commbad)
    assert commok is not None and commok >= 34.5, events
    # nothing but these, in this order (upsmon sends ONLINE again after COMMOK when the
    # status it then reads is OL, which is allowed)
    assert names.index("ONBATT") < names.index("ONLINE") < names.index(
        next(n for n in names if n in ("COMMBAD", "NOCOMM"))) < names.index("COMMOK"), events
