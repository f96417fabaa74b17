"""``hidups -a <ups>``: the NUT-style driver command line, as usbhid-ups runs.

Parses the command line, then hands over to :mod:`hidups.app.process` (drive the UPS),
or answers ``-k`` (power off, through a running instance when there is one), ``-c``
(talk to a running instance) and ``-x explore`` itself.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from hidups import __version__
from hidups.app.process import DRIVER_VERSION, Daemon, drive, make_driver
from hidups.driver.core import Driver
from hidups.errors import ConfigError, HidupsError
from hidups.nut.client import request_killpower, send_control
from hidups.nut.cmdline import load_options, parse_command_line, usage
from hidups.nut.options import list_lines
from hidups.nut.paths import socket_path
from hidups.transport import open_transport

log = logging.getLogger("hidups")


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


def killpower(ups: str, options: Mapping[str, str], engine_factory: Callable[[], Driver[Any]],
              *, statepath: str | None = None) -> int:
    """``-k``: a running instance first; else open the device and shut down ourselves."""
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
                         lambda: make_driver(ups, options, debug=args.debug)[0],
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
    # Loaded on demand, as the cli's subcommands are: a normal start never needs it.
    explorer = importlib.import_module("hidups.hid.explore")
    try:
        transport = open_transport(options)
    except (HidupsError, OSError) as exc:
        print(f"hidups: {exc}", file=sys.stderr)
        return 1
    try:
        status: int = explorer.explore_in_driver(transport, options)
        return status
    except HidupsError as exc:
        print(f"hidups: {exc}", file=sys.stderr)
        return 1
    finally:
        transport.close()


def control(ups: str | None, command: str, pid: int | None) -> int:
    """``-c reload|exit|...``: talk to a running instance."""
    statepath = None
    if ups and pid is None:
        # The socket lives under ups.conf's statepath, when it sets one.
        with contextlib.suppress(ConfigError):
            statepath = load_options(parse_command_line(["-a", ups])).values.get("statepath")
    result = send_control(command, socket_path(ups, configured=statepath) if ups else None, pid)
    print(result.message, file=sys.stderr)
    return 0 if result.ok else 1


