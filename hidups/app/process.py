"""The driver process: NUT's ``main.c`` order around the driver core.

Options, the device (a missing device at start-up is an error, as in NUT), the INIT
walk, one update, then the socket, then the loop; ``-d N`` prints the variables after
N more loops and exits. SIGHUP and ``driver.reload*`` re-read ups.conf.
"""

from __future__ import annotations

import contextlib
import grp
import logging
import os
import pwd
import sys
import threading
from collections.abc import Callable
from typing import Any

from hidups.app.choose import QX, device_protocol
from hidups.driver.core import Driver
from hidups.driver.protocol import DeviceProtocol
from hidups.errors import CommandStatus, ConfigError, GiveUp, HidupsError
from hidups.hid.protocol import HidProtocol
from hidups.hid2nut.registry import builtin_subdrivers
from hidups.nut import sdnotify
from hidups.nut import server as nut_server
from hidups.nut.dstate import DState
from hidups.nut.paths import (
    PidLock,
    cleanup,
    enter_chroot,
    install_signal_handlers,
    pid_path,
    socket_path,
)
from hidups.nut.publish import copy_device_identity, publish_core
from hidups.nut.shared import SharedHooks
from hidups.nut.upsconf import DriverOptions, plan_reload
from hidups.qx.device import QX_DRIVER_VERSION, QxDeviceProtocol

log = logging.getLogger("hidups")

#: ``driver.version.internal``: the usbhid-ups core version whose behaviour we follow.
DRIVER_VERSION = "0.73"



def drop_privileges(user: str | None, group: str | None) -> None:
    """NUT's ``become_user``: when started as root, continue as ``user`` (and ``group``).

    Only when a user is configured (``user`` in ups.conf or ``-u``), and only once the
    device, the PID file and the socket are open; see docs/differences.md. Reconnects
    then need the device to be accessible to that user (udev rules).
    """
    if os.geteuid() != 0:
        return
    if not user:
        log.warning("running as root: set 'user' in ups.conf (or -u) to drop privileges")
        return
    try:
        entry = pwd.getpwnam(user)
    except KeyError:
        raise ConfigError(f"user {user!r} not found", option="user") from None
    gid = entry.pw_gid
    if group:
        try:
            gid = grp.getgrnam(group).gr_gid
        except KeyError:
            raise ConfigError(f"group {group!r} not found", option="group") from None
    os.initgroups(user, gid)
    os.setgid(gid)
    os.setuid(entry.pw_uid)


class Daemon:
    """Go to the background the NUT way: the parent exits once the child is serving.

    Forking happens before any thread or USB handle exists; the child reports over a
    pipe whether start-up worked, so ``upsdrvctl`` sees the right exit status.
    """

    def __init__(self) -> None:
        self.fd: int | None = None

    def detach(self) -> int | None:
        """In the parent: wait for the child's verdict and return the exit status."""
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid > 0:
            os.close(write_fd)
            with os.fdopen(read_fd, "rb") as pipe:
                verdict = pipe.read(1)
            return 0 if verdict == b"1" else 1
        os.close(read_fd)
        os.setsid()
        self.fd = write_fd
        return None

    def ready(self, ok: bool) -> None:
        """In the child: tell the parent, then leave the terminal."""
        if self.fd is None:
            return
        os.write(self.fd, b"1" if ok else b"0")
        os.close(self.fd)
        self.fd = None
        if ok:
            devnull = os.open(os.devnull, os.O_RDWR)
            for fd in (0, 1, 2):
                os.dup2(devnull, fd)
            os.close(devnull)


def run_loop(engine: Driver[Any], stop: threading.Event, loops: int | None = None,
             between: Callable[[], None] | None = None) -> None:
    """Update every ``pollinterval`` (sooner when the interrupt thread wakes us).

    With ``loops`` (``-d``): that many updates back to back, each reading one interrupt
    transfer itself, as NUT's dump mode does.
    """
    count = 0
    while not stop.is_set():
        if between is not None:
            between()  # a reload asked for by SIGHUP
        started = engine.clock()
        engine.set_state("updateinfo")
        try:
            engine.update(read_interrupt=loops is not None)
        except GiveUp:
            raise
        except Exception:  # log it and poll again: a driver must not die of one bad loop
            log.exception("update failed")
        if engine.session is not None:
            engine.set_state("quiet")
        sdnotify.watchdog()  # only a loop that comes round feeds systemd's watchdog
        count += 1
        if loops is not None:
            if count >= loops:
                return
            continue
        remaining = engine.settings.pollinterval - (engine.clock() - started)
        if remaining > 0 and engine.wake.wait(remaining):
            engine.wake.clear()


def check_ignorelb(engine: Driver[Any]) -> None:
    """NUT refuses ``ignorelb`` when it has no charge or runtime threshold to use."""
    if "ignorelb" not in engine.options:
        return
    get = engine.store.get
    if (get("battery.charge") and get("battery.charge.low")) or (
        get("battery.runtime") and get("battery.runtime.low")
    ):
        return
    raise ConfigError(
        "the 'ignorelb' flag is set, but neither battery.charge with battery.charge.low "
        "nor battery.runtime with battery.runtime.low is available", option="ignorelb")


#: What the driver imports after start-up, loaded before a chroot hides the library.
CHROOT_PRELOAD = ("hidups.transport.pyusb_backend", "usb.backend.libusb1", "encodings.idna")


def enter_chroot_as_nut(path: str) -> None:
    """``-r``/``chroot``: NUT chroots after reading its configuration, before the PID file,
    the device and the socket, which are then paths inside the chroot."""
    builtin_subdrivers()  # every table module, imported while the library is in reach
    enter_chroot(path, preload=CHROOT_PRELOAD)
    log.info("chrooted to %s", path)


def debug_setter(configured: int) -> Callable[[int], int]:
    """``SET driver.debug``: NUT's debug level changes the log level at once.

    -1 goes back to the level the command line asked for (``-D``).
    """
    root = logging.getLogger()
    quiet_level = root.level if configured < 1 else logging.INFO

    def set_level(level: int) -> int:
        effective = configured if level < 0 else level
        root.setLevel(logging.DEBUG if effective >= 1 else quiet_level)
        log.info("debug level is now %d", effective)
        return effective

    return set_level


def make_driver(ups: str, options: DriverOptions, *,
                debug: int) -> tuple[Driver[Any], DState]:
    """The DState with the core variables, and the driver publishing into it, with the
    device protocol the options call for (HID, or Q* as nutdrv_qx)."""
    dstate = DState()
    dstate.set("driver.state", "init.starting")
    mapping = options.as_mapping()
    qx = device_protocol(mapping) == QX
    publish_core(dstate, options, version_internal=QX_DRIVER_VERSION if qx else DRIVER_VERSION,
                 debug_level=debug)
    protocol: DeviceProtocol[Any] = (
        QxDeviceProtocol(defaults=options.defaults, overrides=options.overrides) if qx
        else HidProtocol(upsname=ups))
    driver: Driver[Any] = Driver(mapping, dstate, protocol, upsname=ups,
                                 overrides=options.overrides, defaults=options.defaults)
    return driver, dstate


class Reloader:
    """SIGHUP and ``driver.reload*``: re-read ups.conf, apply what can change live.

    The signal handler only marks a reload as pending; the loop carries it out. Socket
    commands run it at once (``reload-or-error`` must answer with the verdict).
    """

    def __init__(self, engine: Driver[Any], options: DriverOptions,
                 reread: Callable[[], DriverOptions],
                 request_stop: Callable[[], None]) -> None:
        self.engine = engine
        self.options = options
        self.reread = reread
        self.request_stop = request_stop
        self.pending = threading.Event()
        self.lock = threading.Lock()

    def signal(self) -> None:
        self.pending.set()
        self.engine.wake.set()

    def run_pending(self) -> None:
        if self.pending.is_set():
            self.pending.clear()
            self("reload")

    def __call__(self, mode: str) -> CommandStatus:
        """Reload; NUT's status: INVALID when something changed that needs a restart."""
        engine = self.engine
        with self.lock:
            log.info("reloading the configuration (%s)", mode)
            engine.set_state("reloading")
            sdnotify.reloading()
            try:
                try:
                    new = self.reread()
                except ConfigError as exc:
                    log.error("reload failed, configuration unchanged: %s", exc)
                    return CommandStatus.FAILED
                plan = plan_reload(self.options, new)
                try:
                    result = engine.reload(new.as_mapping(), overrides=new.overrides,
                                           defaults=new.defaults)
                except ConfigError as exc:
                    log.error("reload failed: %s", exc)
                    return CommandStatus.FAILED
                log.debug("ups.conf changes since the last read: %s",
                          ", ".join(plan.live + plan.restart) or "none")
                # The engine compares with what runs (options a restart would take are
                # still the old ones), so its verdict is the one that counts.
                restart = result.restart
                self._apply_debug(new)
                self.options = new
                if restart and mode == "reload-or-exit":
                    log.warning("reload-or-exit: %s changed; exiting", ", ".join(restart))
                    self.request_stop()
                return CommandStatus.INVALID if restart else CommandStatus.HANDLED
            finally:
                engine.set_state("quiet")
                sdnotify.ready()

    @staticmethod
    def _apply_debug(options: DriverOptions) -> None:
        """``debug_min``: the lowest debug level, whatever -D said."""
        text = options.values.get("debug_min")
        if text is not None and text.strip().isdigit() and int(text) >= 1:
            logging.getLogger().setLevel(logging.DEBUG)


def drive(ups: str, options: DriverOptions, dump_loops: int | None, debug: int,
          daemon: Daemon, pid_file: bool, *,
          reread: Callable[[], DriverOptions] | None = None) -> int:
    """Run the driver until a signal, ``driver.exit``, or the end of ``-d``."""
    engine, store = make_driver(ups, options, debug=debug)
    stop = threading.Event()
    statepath = options.values.get("statepath")

    def request_stop() -> None:
        stop.set()
        engine.wake.set()

    reloader = Reloader(engine, options, reread or (lambda: options), request_stop)
    lock: PidLock | None = None
    server: nut_server.DriverServer | None = None
    try:
        chroot = options.values.get("chroot")
        if chroot:
            enter_chroot_as_nut(chroot)
        if dump_loops is None:
            lock = PidLock(pid_path(ups, configured=statepath), ups)
            lock.acquire()
        engine.start()
        engine.set_state("init.updateinfo")
        # Only dump mode reads an interrupt transfer itself; a daemon's interrupt thread
        # starts with the socket, so the first update must not wait on an empty pipe.
        engine.update(read_interrupt=dump_loops is not None)
        check_ignorelb(engine)
        store.set("driver.parameter.pollfreq", f"{engine.settings.pollfreq:g}")
        store.set("driver.parameter.pollinterval", f"{engine.settings.pollinterval:g}")
        copy_device_identity(store)
        if dump_loops is not None:
            run_loop(engine, stop, loops=dump_loops + 1)
            engine.set_state("dumping")
            for line in store.upsc_lines():
                print(line)
            return 0
        hooks = SharedHooks(
            on_killpower=lambda: (CommandStatus.HANDLED if engine.commands.shutdown()
                                  else CommandStatus.FAILED),
            on_exit=request_stop,
            on_reload=reloader,
            on_debug=debug_setter(debug),
        )
        # Only a group the user configured: the option's table default ("nut") may
        # not exist on this system, and NUT leaves the socket's group alone then.
        server = nut_server.DriverServer(socket_path(ups, configured=statepath), store,
                              engine.commands, group=options.values.get("group"),
                              hooks=hooks)
        server.start()
        # Everything is open and imported: continue as the configured user (NUT does
        # this before opening the device; the socket's group lets upsd in either way).
        drop_privileges(options.values.get("user"), options.values.get("group"))
        install_signal_handlers(lambda signum: request_stop(), reloader.signal)
        engine.start_events()
        engine.set_state("quiet")
        daemon.ready(True)
        sdnotify.ready()
        log.info("driving UPS [%s] (%s)", ups,
                 engine.session.version_data if engine.session else "?")
        run_loop(engine, stop, between=reloader.run_pending)
        engine.set_state("cleanup.exit")
        return 0
    except GiveUp as exc:
        log.error("%s", exc)
        return 1
    except (HidupsError, OSError) as exc:
        print(f"hidups: {exc}", file=sys.stderr)
        return 1
    finally:
        sdnotify.stopping()
        with contextlib.suppress(Exception):
            engine.close()
        try:
            cleanup(server, lock)
        except Exception:  # after a privilege drop the PID file may be out of reach
            log.exception("cleanup failed")
