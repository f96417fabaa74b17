"""NUT's real ``upsmon`` watching hidups through NUT's real ``upsd``.

The scripted capture ``captures/apc-back-ups-cs500-events.json`` loses mains at 5 s,
gets it back at 20 s and is unplugged from 30 s to 35 s. upsmon must notify ONBATT then
ONLINE, then COMMBAD (or NOCOMM) while the device is gone and COMMOK once hidups has
reconnected, and the driver process must be the same one throughout (no restart).

upsmon runs rootless-capable in the foreground (``-F``); its SHUTDOWNCMD only writes a
file, so nothing is ever shut down, and the test asserts it never ran.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest
from conftest import PROJECT_CAPTURES, require, require_nut
from upsmon_util import (
    UPSMON,
    first_after,
    hand_over,
    notify_script,
    process,
    read_notifications,
    upsmon_conf,
    upsmon_home,
)

EVENTS = PROJECT_CAPTURES / "apc-back-ups-cs500-events.json"
















@pytest.mark.xdist_group("upsmon")  # one upsmon at a time: Debian's writes /run/nut/upsmon.pid
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
