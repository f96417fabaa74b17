"""The ``hidups serve`` process: which UPSes, the fleet, the servers, signals, systemd.

Why one process: a host with several UPSes runs one service instead of a driver per
UPS plus upsd, and the network server reads each driver's data tree directly. The NUT
network server itself is built by a factory the caller passes in (``tools/serve.py``
passes :class:`hidups.serve.netserver.NetServer`), so this module only wires things.

systemd: ``READY=1`` once every server listens, ``RELOADING=1``/``READY=1`` around
SIGHUP, ``STOPPING=1``; ``WATCHDOG=1`` only while every driver loop comes round. The
per-UPS loops would each feed the watchdog on their own, so ``$NOTIFY_SOCKET`` is
taken out of the environment (as ``sd_notify(unset_environment=1)`` does) and only
this module talks to systemd.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from hidups.app.choose import bridge_ids_unclaimed
from hidups.app.process import Daemon
from hidups.errors import ConfigError
from hidups.nut import sdnotify
from hidups.nut.cmdline import parse_command_line, read_ups_conf, resolve_options
from hidups.nut.paths import install_signal_handlers
from hidups.nut.upsconf import PROGNAME, UpsConf
from hidups.serve.fleet import Fleet, UpsSpec
from hidups.serve.metrics import MetricsServer
from hidups.serve.model import ServedUps
from hidups.transport.base import DeviceSurvey
from hidups.transport.matching import busport
from hidups.transport.pyusb_backend import survey_devices

log = logging.getLogger(__name__)

NOTIFY_KEYS = ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID")
#: Longest name made for a discovered UPS (before a collision suffix).
MAX_NAME = 48

UpsSource = Callable[[], Mapping[str, ServedUps]]


class Server(Protocol):
    """What ``serve`` needs of the NUT network server."""

    def start(self) -> None: ...
    def stop(self) -> None: ...


ServerFactory = Callable[[UpsSource], Server]


@dataclass
class ServeConfig:
    """The command line, parsed (``tools/serve.py``)."""

    upsconf: str
    only: list[str] = field(default_factory=list)
    debug: int = 0
    metrics: tuple[str, int] | None = None
    foreground: bool = True


# --- which UPSes ---------------------------------------------------------------------


def _driver_of(conf: UpsConf, section: str) -> str | None:
    for setting in conf.sections[section]:
        if setting.key.lower() == "driver":
            return setting.value
    return None


def specs_from_upsconf(path: str, only: Iterable[str] = ()) -> list[UpsSpec]:
    """Every ``driver = hidups`` section (or just ``only``, which must all be hidups's),
    with its options merged as ``hidups -a NAME`` merges them."""
    conf = read_ups_conf(path)
    names = list(only) or [s for s in conf.sections if _driver_of(conf, s) == PROGNAME]
    specs = []
    for name in names:
        options = resolve_options(parse_command_line(["-a", name]), conf)
        for warning in options.warnings:
            log.warning("%s", warning)
        specs.append(UpsSpec(name, options, options.values.get("desc", "")))
    return specs


def _slug(text: str | None) -> str:
    return "-".join(re.findall(r"[a-z0-9]+", (text or "").lower()))


def discovered_name(survey: DeviceSurvey) -> str:
    """A NUT-legal name from model and serial (the USB port path without a serial):
    the same device gets the same name at every start."""
    info = survey.info
    model = _slug(info.product) or f"ups-{info.vendor_id:04x}-{info.product_id:04x}"
    tail = _slug(info.serial) or _slug(info.port_path) or f"{info.bus}-{info.address}"
    model = model[:max(8, MAX_NAME - len(tail) - 1)].strip("-")  # keep the serial whole
    return f"{model}-{tail}"


def _is_ups(survey: DeviceSurvey) -> bool:
    info = survey.info
    return bool(survey.looks_like_ups) or bridge_ids_unclaimed(info.vendor_id, info.product_id)


def discovered_specs(surveys: Iterable[DeviceSurvey]) -> list[UpsSpec]:
    """One spec per UPS found. Equal names get ``-2``, ``-3`` ... in the order of their
    USB port paths, so twins keep their names as long as they keep their ports."""
    found = sorted((discovered_name(s), s.info.port_path, s.info.bus, s.info.address, s)
                   for s in surveys if _is_ups(s))
    specs: list[UpsSpec] = []
    seen: dict[str, int] = {}
    counts = Counter(base for base, *_ in found)
    for base, _, _, _, survey in found:
        seen[base] = seen.get(base, 0) + 1
        name = base if seen[base] == 1 else f"{base}-{seen[base]}"
        info = survey.info
        xargs = ["port=auto", f"vendorid={info.vendor_id:04x}",
                 f"productid={info.product_id:04x}"]
        if info.serial:
            xargs.append(f"serial={info.serial}")
        if not info.serial or counts[base] > 1:  # the serial alone does not tell it
            xargs += [f"bus={info.bus:03d}", f"busport={busport(info):03d}"]
        argv = ["-s", name]
        for x in xargs:
            argv += ["-x", x]
        options = resolve_options(parse_command_line(argv), None)
        desc = " ".join(filter(None, (info.manufacturer, info.product)))
        specs.append(UpsSpec(name, options, desc))
    return specs


def load_specs(config: ServeConfig) -> list[UpsSpec]:
    """ups.conf's hidups sections; without a ups.conf, every UPS found on USB."""
    if os.path.exists(config.upsconf) or config.only:
        return specs_from_upsconf(config.upsconf, config.only)
    log.info("%s does not exist: serving every UPS found", config.upsconf)
    return discovered_specs(survey_devices({}))


# --- systemd -------------------------------------------------------------------------


def take_notify_env(environ: dict[str, str] | None = None) -> dict[str, str]:
    """Move systemd's notify variables out of the environment, for this module only."""
    env = os.environ if environ is None else environ
    return {key: env.pop(key) for key in NOTIFY_KEYS if key in env}


class WatchdogFeeder:
    """``WATCHDOG=1`` every half interval, only while :meth:`Fleet.healthy`."""

    def __init__(self, fleet: Fleet, env: Mapping[str, str]) -> None:
        self.fleet = fleet
        self.env = env
        self.interval = sdnotify.watchdog_interval(env)
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._run, name="watchdog", daemon=True)
        self.fed = 0

    def start(self) -> None:
        if self.interval is not None:
            self.thread.start()

    def stop(self) -> None:
        self.stop_event.set()
        if self.thread.is_alive():
            self.thread.join(5.0)

    def _run(self) -> None:
        assert self.interval is not None
        warned = False
        while not self.stop_event.wait(self.interval / 2):
            if self.fleet.healthy():
                sdnotify.notify("WATCHDOG=1", env=self.env)
                self.fed += 1
                warned = False
            elif not warned:
                log.error("a driver loop is stuck: not feeding systemd's watchdog")
                warned = True


# --- the process ---------------------------------------------------------------------


def serve(config: ServeConfig, server_factory: ServerFactory | None,
          load: Callable[[], list[UpsSpec]] | None = None,
          stop: threading.Event | None = None) -> int:
    """Run until SIGTERM/SIGINT (or ``stop``); SIGHUP reloads ups.conf."""
    reread = load or (lambda: load_specs(config))
    stop = stop or threading.Event()
    reload = threading.Event()
    daemon = Daemon()
    if not config.foreground:
        status = daemon.detach()
        if status is not None:
            return status
    notify_env = take_notify_env()
    try:
        try:
            specs = reread()
        except ConfigError as exc:
            log.error("%s", exc)
            return 1
        if not specs:
            log.error("no UPS to serve: no hidups section in %s and none found",
                      config.upsconf)
            return 1
        return _run(config, Fleet(specs, debug=config.debug), server_factory, reread,
                    stop, reload, notify_env, daemon)
    finally:
        daemon.ready(False)
        os.environ.update(notify_env)


def _run(config: ServeConfig, fleet: Fleet, server_factory: ServerFactory | None,
         reread: Callable[[], list[UpsSpec]], stop: threading.Event, reload: threading.Event,
         notify_env: Mapping[str, str], daemon: Daemon) -> int:
    server: Server | None = None
    metrics: MetricsServer | None = None
    feeder = WatchdogFeeder(fleet, notify_env)
    if threading.current_thread() is threading.main_thread():
        install_signal_handlers(lambda signum: stop.set(), reload.set)
    try:
        fleet.start()
        if server_factory is not None:
            server = server_factory(fleet.served)
            server.start()
        if config.metrics is not None:
            metrics = MetricsServer(fleet.served, *config.metrics)
            metrics.start()
            log.info("metrics on http://%s:%d/metrics", *metrics.address)
        daemon.ready(True)
        names = ", ".join(fleet.served())
        sdnotify.notify("READY=1", f"STATUS=serving {names}", env=notify_env)
        feeder.start()
        while not stop.wait(0.2):
            if reload.is_set():
                reload.clear()
                _reload(fleet, reread, notify_env)
        return 0
    except (ConfigError, OSError) as exc:
        log.error("%s", exc)
        return 1
    finally:
        sdnotify.notify("STOPPING=1", env=notify_env)
        feeder.stop()
        if metrics is not None:
            metrics.stop()
        if server is not None:
            server.stop()
        fleet.stop()


def _reload(fleet: Fleet, reread: Callable[[], list[UpsSpec]],
            notify_env: Mapping[str, str]) -> None:
    sdnotify.notify("RELOADING=1", env=notify_env)
    try:
        fleet.reload(reread())
    except ConfigError as exc:
        log.error("reload failed, configuration unchanged: %s", exc)
    finally:
        sdnotify.notify("READY=1", env=notify_env)
