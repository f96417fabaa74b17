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


def run_loop(engine: Engine, stop: threading.Event, loops: int | None = None) -> None:
    """Update every ``pollinterval`` (sooner when the interrupt thread wakes us)."""
    count = 0
    while not stop.is_set():
        started = engine.clock()
        engine.set_state("updateinfo")
        try:
            engine.update()
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


def killpower(ups: str, options: Mapping[str, str], engine_factory: Callable[[], Engine]) -> int:
    """``-k``: a running instance first; else open the device and shut down ourselves."""
    from hidups.nut.client import request_killpower, send_control
    from hidups.nut.paths import socket_path

    path = socket_path(ups)
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
    from hidups.nut.cmdline import parse_command_line, resolve_options, usage
    from hidups.nut.options import list_lines
    from hidups.nut.upsconf import parse_ups_conf

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
        conf = None
        if not args.standalone:
            from hidups.nut.paths import ups_conf_path

            conf_path = ups_conf_path()
            with open(conf_path, encoding="utf-8", errors="replace") as f:
                conf = parse_ups_conf(f.read(), conf_path)
        options = resolve_options(args, conf)
    except (ConfigError, OSError) as exc:
        print(f"hidups: {exc}", file=sys.stderr)
        return 1
    for warning in options.warnings:
        log.warning("%s", warning)
    assert args.ups is not None
    ups = args.ups
    if args.killpower:
        return killpower(ups, options.as_mapping(),
                         lambda: make_engine(ups, options, debug=args.debug)[0])
    daemon = Daemon()
    if not args.runs_in_foreground:
        status = daemon.detach()
        if status is not None:
            return status
    try:
        return drive(ups, options, args.dump_loops, args.debug, daemon, args.writes_pid_file)
    finally:
        daemon.ready(False)


def control(ups: str | None, command: str, pid: int | None) -> int:
    """``-c reload|exit|...``: talk to a running instance."""
    from hidups.nut.client import send_control
    from hidups.nut.paths import socket_path

    result = send_control(command, socket_path(ups) if ups else None, pid)
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


def drive(ups: str, options: object, dump_loops: int | None, debug: int,
          daemon: Daemon, pid_file: bool) -> int:
    """Run the driver until a signal, ``driver.exit``, or the end of ``-d``."""
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

    def request_stop() -> None:
        stop.set()
        engine.wake.set()

    lock: PidLock | None = None
    server: DriverServer | None = None
    try:
        if dump_loops is None:
            lock = PidLock(pid_path(ups), ups)
            lock.acquire()
        engine.start()
        engine.set_state("init.updateinfo")
        engine.update()
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
        )
        server = DriverServer(socket_path(ups), store, engine.commands,
                              group=options.get("group"), hooks=hooks)
        server.start()
        install_signal_handlers(lambda signum: request_stop())
        engine.start_interrupts()
        engine.set_state("quiet")
        daemon.ready(True)
        log.info("driving UPS [%s] (%s)", ups,
                 engine.subdriver.full_name if engine.subdriver else "?")
        run_loop(engine, stop)
        engine.set_state("cleanup.exit")
        return 0
    except GiveUp as exc:
        log.error("%s", exc)
        return 1
    except (HidupsError, OSError) as exc:
        print(f"hidups: {exc}", file=sys.stderr)
        return 1
    finally:
        with contextlib.suppress(Exception):
            engine.close()
        cleanup(server, lock)
