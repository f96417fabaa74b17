"""``hidups -a <ups>``: the NUT-style driver process, as usbhid-ups runs.

Order as NUT's ``main.c``: options, the device (a missing device at start-up is an
error, as in NUT), the INIT walk, one update, then the socket, then the loop. ``-d N``
prints the variables after N more loops and exits; ``-k`` powers the UPS off,
through a running instance when there is one.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading
from collections.abc import Callable, Mapping, Sequence

from hidups.device import DeviceInfo
from hidups.driver.engine import Engine, GiveUp, Transport
from hidups.errors import ConfigError, HidupsError
from hidups.hid2nut.subdriver import Subdriver

log = logging.getLogger("hidups")

#: ``driver.version.internal``: the usbhid-ups core version whose behaviour we follow.
DRIVER_VERSION = "0.73"


def setup_logging(debug: int, quiet: int) -> None:
    """-D raises verbosity (NUT's debug levels), -q lowers it."""
    if debug >= 1:
        level = logging.DEBUG
    elif quiet >= 2:
        level = logging.ERROR
    elif quiet == 1:
        level = logging.WARNING
    else:
        level = logging.INFO
    logging.basicConfig(level=level, stream=sys.stderr,
                        format="%(asctime)s %(name)s: %(message)s")


def select_subdriver(device: DeviceInfo, options: Mapping[str, str], raw: bytes) -> Subdriver:
    from hidups.hid2nut.registry import select_subdriver as registry_select

    return registry_select(device, options, raw).subdriver


def open_device(options: Mapping[str, str]) -> Transport:
    from hidups.transport import open_transport

    transport: Transport = open_transport(options)
    return transport


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
    import grp
    import pwd

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


def run_loop(engine: Engine, stop: threading.Event, loops: int | None = None,
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
        if engine.transport is not None:
            engine.set_state("quiet")
        count += 1
        if loops is not None:
            if count >= loops:
                return
            continue
        remaining = engine.timing.pollinterval - (engine.clock() - started)
        if remaining > 0 and engine.wake.wait(remaining):
            engine.wake.clear()


def check_ignorelb(engine: Engine) -> None:
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


def killpower(ups: str, options: Mapping[str, str], engine_factory: Callable[[], Engine],
              *, statepath: str | None = None) -> int:
    """``-k``: a running instance first; else open the device and shut down ourselves."""
    from hidups.nut.client import request_killpower, send_control
    from hidups.nut.paths import socket_path

    path = socket_path(ups, configured=statepath)
    if os.path.exists(path):
        result = request_killpower(path)
        log.info("%s", result.message)
        if result.ok:
            return 0
        send_control("exit", path)
    engine = engine_factory()
    try:
        engine.start()
        engine.set_state("fsd.killpower")
        ok = engine.commands.shutdown()
    finally:
        engine.close()
    print("Shutdown successful" if ok else "Shutdown failed!", file=sys.stderr)
    return 0 if ok else 1


def main(argv: Sequence[str] | None = None) -> int:
    """The driver's entry point; returns the process exit status."""
    from hidups.nut.cmdline import load_options, parse_command_line, usage
    from hidups.nut.options import list_lines

    args_list = list(sys.argv[1:] if argv is None else argv)
    try:
        args = parse_command_line(args_list)
    except ConfigError as exc:
        print(f"hidups: {exc}", file=sys.stderr)
        return 1
    if args.help:
        print(usage())
        return 0
    if args.version:
        from hidups import __version__

        print(f"Network UPS Tools - hidups {__version__} (usbhid-ups core {DRIVER_VERSION})")
        return 0
    if args.list_vars:
        print("\n".join(list_lines()))
        return 0
    setup_logging(args.debug, args.quiet)
    if args.control is not None:
        return control(args.ups, args.control, args.control_pid)
    try:
        options = load_options(args)
    except ConfigError as exc:
        print(f"hidups: {exc}", file=sys.stderr)
        return 1
    for warning in options.warnings:
        log.warning("%s", warning)
    assert args.ups is not None
    ups = args.ups
    if options.flag("explore"):
        return explore(options.as_mapping())
    if args.killpower:
        return killpower(ups, options.as_mapping(),
                         lambda: make_engine(ups, options, debug=args.debug)[0],
                         statepath=options.values.get("statepath"))
    daemon = Daemon()
    if not args.runs_in_foreground:
        status = daemon.detach()
        if status is not None:
            return status
    try:
        return drive(ups, options, args.dump_loops, args.debug, daemon, args.writes_pid_file,
                     reread=lambda: load_options(args))
    finally:
        daemon.ready(False)


def explore(options: Mapping[str, str]) -> int:
    """``-x explore``: open the device, dump it, close it; no subdriver is chosen."""
    from hidups.hid.explore import explore_in_driver
    from hidups.transport import open_transport

    try:
        transport = open_transport(options)
    except (HidupsError, OSError) as exc:
        print(f"hidups: {exc}", file=sys.stderr)
        return 1
    try:
        return explore_in_driver(transport, options)
    except HidupsError as exc:
        print(f"hidups: {exc}", file=sys.stderr)
        return 1
    finally:
        transport.close()


def control(ups: str | None, command: str, pid: int | None) -> int:
    """``-c reload|exit|...``: talk to a running instance."""
    from hidups.nut.client import send_control
    from hidups.nut.paths import socket_path

    statepath = None
    if ups and pid is None:
        from hidups.nut.cmdline import load_options, parse_command_line

        # The socket lives under ups.conf's statepath, when it sets one.
        with contextlib.suppress(ConfigError):
            statepath = load_options(parse_command_line(["-a", ups])).values.get("statepath")
    result = send_control(command, socket_path(ups, configured=statepath) if ups else None, pid)
    print(result.message, file=sys.stderr)
    return 0 if result.ok else 1


def make_engine(ups: str, options: object, *, debug: int) -> tuple[Engine, object]:
    """The DState with the core variables, and the engine publishing into it."""
    from hidups.nut.dstate import DState
    from hidups.nut.publish import publish_core
    from hidups.nut.upsconf import DriverOptions

    assert isinstance(options, DriverOptions)
    dstate = DState()
    dstate.set("driver.state", "init.starting")
    publish_core(dstate, options, version_internal=DRIVER_VERSION, debug_level=debug)
    engine = Engine(
        options.as_mapping(), dstate, open_device, select_subdriver, upsname=ups,
        overrides=options.overrides, defaults=options.defaults,
    )
    return engine, dstate


class Reloader:
    """SIGHUP and ``driver.reload*``: re-read ups.conf, apply what can change live.

    The signal handler only marks a reload as pending; the loop carries it out. Socket
    commands run it at once (``reload-or-error`` must answer with the verdict).
    """

    def __init__(self, engine: Engine, options: object, reread: Callable[[], object],
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

    def __call__(self, mode: str) -> int:
        """Reload; NUT's status: INVALID when something changed that needs a restart."""
        from hidups.driver.commands import FAILED, HANDLED, INVALID
        from hidups.nut import sdnotify
        from hidups.nut.upsconf import DriverOptions, plan_reload

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
                    return FAILED
                assert isinstance(new, DriverOptions) and isinstance(self.options, DriverOptions)
                plan = plan_reload(self.options, new)
                try:
                    result = engine.reload(new.as_mapping(), overrides=new.overrides,
                                           defaults=new.defaults)
                except ConfigError as exc:
                    log.error("reload failed: %s", exc)
                    return FAILED
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
                return INVALID if restart else HANDLED
            finally:
                engine.set_state("quiet")
                sdnotify.ready()

    @staticmethod
    def _apply_debug(options: object) -> None:
        """``debug_min``: the lowest debug level, whatever -D said."""
        from hidups.nut.upsconf import DriverOptions

        assert isinstance(options, DriverOptions)
        text = options.values.get("debug_min")
        if text is not None and text.strip().isdigit() and int(text) >= 1:
            logging.getLogger().setLevel(logging.DEBUG)


def drive(ups: str, options: object, dump_loops: int | None, debug: int,
          daemon: Daemon, pid_file: bool, *,
          reread: Callable[[], object] | None = None) -> int:
    """Run the driver until a signal, ``driver.exit``, or the end of ``-d``."""
    from hidups.nut import sdnotify
    from hidups.nut.dstate import DState
    from hidups.nut.paths import PidLock, cleanup, install_signal_handlers, pid_path, socket_path
    from hidups.nut.publish import copy_device_identity
    from hidups.nut.server import DriverServer
    from hidups.nut.shared import FAILED, HANDLED, SharedHooks
    from hidups.nut.upsconf import DriverOptions

    assert isinstance(options, DriverOptions)
    engine, store = make_engine(ups, options, debug=debug)
    assert isinstance(store, DState)
    stop = threading.Event()
    statepath = options.values.get("statepath")

    def request_stop() -> None:
        stop.set()
        engine.wake.set()

    reloader = Reloader(engine, options, reread or (lambda: options), request_stop)
    lock: PidLock | None = None
    server: DriverServer | None = None
    try:
        if dump_loops is None:
            lock = PidLock(pid_path(ups, configured=statepath), ups)
            lock.acquire()
        engine.start()
        engine.set_state("init.updateinfo")
        # Only dump mode reads an interrupt transfer itself; a daemon's interrupt thread
        # starts with the socket, so the first update must not wait on an empty pipe.
        engine.update(read_interrupt=dump_loops is not None)
        check_ignorelb(engine)
        store.set("driver.parameter.pollfreq", f"{engine.timing.pollfreq:g}")
        store.set("driver.parameter.pollinterval", f"{engine.timing.pollinterval:g}")
        copy_device_identity(store)
        if dump_loops is not None:
            run_loop(engine, stop, loops=dump_loops + 1)
            engine.set_state("dumping")
            for line in store.upsc_lines():
                print(line)
            return 0
        hooks = SharedHooks(
            on_killpower=lambda: HANDLED if engine.commands.shutdown() else FAILED,
            on_exit=request_stop,
            on_reload=reloader,
        )
        # Only a group the user configured: the option's table default ("nut") may
        # not exist on this system, and NUT leaves the socket's group alone then.
        server = DriverServer(socket_path(ups, configured=statepath), store,
                              engine.commands, group=options.values.get("group"),
                              hooks=hooks)
        server.start()
        # Everything is open and imported: continue as the configured user (NUT does
        # this before opening the device; the socket's group lets upsd in either way).
        drop_privileges(options.values.get("user"), options.values.get("group"))
        install_signal_handlers(lambda signum: request_stop(), reloader.signal)
        engine.start_interrupts()
        engine.set_state("quiet")
        daemon.ready(True)
        sdnotify.ready()
        log.info("driving UPS [%s] (%s)", ups,
                 engine.subdriver.full_name if engine.subdriver else "?")
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
