"""The driver command line, exactly as ``upsdrvctl`` and NUT's documentation use it.

``hidups -a <ups> [-D...] [-F|-FF|-B] [-u user] [-g group] [-r dir] [-x key=value ...]``,
``-s <id>`` (no ups.conf), ``-d N`` (N update loops, print the data, exit), ``-k``
(power off), ``-c reload|reload-or-error|reload-or-exit|exit`` with optional ``-P pid``
(signal a running instance), ``-i N``, ``-q``, ``-V``, ``-L``, ``-h``. Options are
parsed like NUT's ``getopt("+a:s:kDFBd:hx:Lqr:u:g:Vi:c:P:")``: flags may be bundled
(``-DDD``, ``-FF``) and parsing stops at the first non-option word.
"""

from __future__ import annotations

import getopt
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum

from hidups.errors import ConfigError
from hidups.nut.options import Scope, help_lines
from hidups.nut.paths import read_config, ups_conf_path
from hidups.nut.upsconf import (
    PROGNAME,
    DriverOptions,
    Setting,
    UpsConf,
    apply_setting,
    check_driver_name,
    parse_ups_conf,
)

SHORT_OPTIONS = "a:s:kDFBd:hx:Lqr:u:g:Vi:c:P:"
CONTROL_COMMANDS = ("reload", "reload-or-error", "reload-or-exit", "exit")
SOURCE = "command line"


class Foreground(Enum):
    """NUT's tri-state plus ``-FF``: where the driver runs and whether it writes a PID file."""

    AUTO = "auto"  # background, unless -D or -d
    FOREGROUND = "foreground"  # -F: stay, no PID file
    FOREGROUND_PIDFILE = "foreground-pidfile"  # -FF: stay and write the PID file
    BACKGROUND = "background"  # -B: background even with -D


@dataclass
class DriverArgs:
    ups: str | None = None
    standalone: bool = False  # -s: no ups.conf
    xargs: list[Setting] = field(default_factory=list)
    debug: int = 0  # number of -D
    quiet: int = 0  # number of -q
    dump_loops: int | None = None  # -d N
    killpower: bool = False  # -k
    foreground: Foreground = Foreground.AUTO
    interval: int | None = None  # -i
    user: str | None = None  # -u
    group: str | None = None  # -g
    chroot: str | None = None  # -r
    control: str | None = None  # -c
    control_pid: int | None = None  # -P
    version: bool = False  # -V
    help: bool = False  # -h
    list_vars: bool = False  # -L

    @property
    def runs_in_foreground(self) -> bool:
        """NUT: -D or -d keep the driver in the foreground unless -B is given."""
        if self.foreground is Foreground.AUTO:
            return self.debug > 0 or self.dump_loops is not None
        return self.foreground is not Foreground.BACKGROUND

    @property
    def writes_pid_file(self) -> bool:
        if self.dump_loops is not None or self.killpower:
            return False
        return (not self.runs_in_foreground) or self.foreground is Foreground.FOREGROUND_PIDFILE


def _error(message: str) -> ConfigError:
    return ConfigError(f"{message}. Try -h for help.", source=SOURCE)


def _int(opt: str, value: str, minimum: int) -> int:
    try:
        number = int(value, 10)
    except ValueError:
        raise _error(f"-{opt} expects a number, not {value!r}") from None
    if number < minimum:
        raise _error(f"-{opt} expects a number of at least {minimum}, not {number}")
    return number


def split_xarg(text: str) -> Setting:
    """``-x key=value`` or ``-x flag`` (split at the first ``=``, as NUT does)."""
    key, sep, value = text.partition("=")
    if not key:
        raise _error(f"-x {text!r}: missing option name")
    return Setting(key, value if sep else None, "-x", None)


def parse_command_line(argv: list[str]) -> DriverArgs:
    """Parse the driver's arguments (without the program name)."""
    try:
        opts, rest = getopt.getopt(argv, SHORT_OPTIONS)
    except getopt.GetoptError as exc:
        raise _error(str(exc)) from None
    if rest:
        raise _error(f"unexpected argument {rest[0]!r}")
    args = DriverArgs()
    f_count = 0
    for opt, value in opts:
        letter = opt[1]
        if letter in "as":
            if args.ups is not None and args.ups != value:
                raise _error("give one of -a <ups> or -s <id>, once")
            args.ups = value
            args.standalone = letter == "s"
        elif letter == "x":
            args.xargs.append(split_xarg(value))
        elif letter == "D":
            args.debug += 1
        elif letter == "q":
            args.quiet += 1
        elif letter == "d":
            args.dump_loops = _int("d", value, 1)
        elif letter == "k":
            args.killpower = True
        elif letter == "F":
            f_count += 1
            args.foreground = (
                Foreground.FOREGROUND if f_count == 1 else Foreground.FOREGROUND_PIDFILE
            )
        elif letter == "B":
            args.foreground = Foreground.BACKGROUND
        elif letter == "i":
            args.interval = _int("i", value, 1)
        elif letter == "u":
            args.user = value
        elif letter == "g":
            args.group = value
        elif letter == "r":
            args.chroot = value
        elif letter == "c":
            if value not in CONTROL_COMMANDS:
                raise _error(f"-c expects one of {', '.join(CONTROL_COMMANDS)}, not {value!r}")
            args.control = value
        elif letter == "P":
            args.control_pid = _int("P", value, 1)
        elif letter == "V":
            args.version = True
        elif letter == "h":
            args.help = True
        elif letter == "L":
            args.list_vars = True
    informational = args.version or args.help or args.list_vars
    signals_pid = args.control is not None and args.control_pid is not None
    if args.ups is None and not (informational or signals_pid):
        raise _error("specifying '-a <ups>' or '-s <id>' is mandatory")
    return args


def resolve_options(
    args: DriverArgs, conf: UpsConf | None, *, progname: str = PROGNAME
) -> DriverOptions:
    """Merge global directives, the UPS's section and ``-x`` (in that order), check them.

    Command-line ``-i``, ``-u``, ``-g`` and ``-r`` win over everything.
    """
    if args.ups is None:
        raise _error("no UPS named: use -a <ups> or -s <id>")
    options = DriverOptions(args.ups)
    if not args.standalone:
        if conf is None:
            raise ConfigError(f"-a {args.ups} needs ups.conf", source=SOURCE)
        section = conf.section(args.ups)
        if section is None:
            raise ConfigError(f"section [{args.ups}] not found", source=conf.source)
        options.warnings += conf.warnings
        for setting in conf.globals:
            apply_setting(options, setting, scope=Scope.GLOBAL)
        for setting in section:
            apply_setting(options, setting, scope=Scope.SECTION)
    for setting in args.xargs:
        if setting.key == "driver":
            raise ConfigError("driver can only be set in ups.conf", source="-x", option="driver")
        apply_setting(options, setting, scope=Scope.SECTION)
    check_driver_name(options, progname)
    for option, value in (
        ("pollinterval", args.interval),
        ("user", args.user),
        ("group", args.group),
        ("chroot", args.chroot),
    ):
        if value is not None:
            options.values[option] = str(value)
            options.where[option] = Setting(option, str(value), SOURCE, None)
    if "port" not in options.values and not (args.killpower and args.standalone):
        raise ConfigError(
            f"UPS [{args.ups}] has no port: set 'port = auto' in ups.conf or -x port=auto",
            source=conf.source if conf is not None and not args.standalone else "-x",
            option="port",
        )
    return options


def usage(progname: str = PROGNAME) -> str:
    """The ``-h`` text: the command line, then every option from the options table."""
    head = f"""usage: {progname} (-a <id>|-s <id>) [OPTIONS]
  -a <id>        use ups.conf section <id>; -x after -a overrides ups.conf
  -s <id>        no ups.conf: configure only with -x (at least -x port=auto)
  -V             print the version, then exit
  -L             print a machine-readable list of the -x options
  -D             raise the debug level (and stay in the foreground); repeatable
  -d <count>     run <count> update loops, print the data as upsc does, exit
  -F             stay in the foreground; -FF: and still write the PID file
  -B             go to the background even with -D
  -q             raise the log threshold (log less); repeatable
  -h             print this help
  -k             power the UPS off (through a running instance if there is one)
  -c <command>   tell a running instance to reload, reload-or-error,
                 reload-or-exit or exit
  -P <pid>       with -c: signal this process instead of using the socket
  -i <seconds>   poll interval (overrides pollinterval)
  -r <dir>       chroot to <dir>
  -u <user>      run as <user> (when started as root)
  -g <group>     group that may use the driver socket (when started as root)
  -x <var>=<val> set option <var> (a flag without =<val>), as in ups.conf
                 also -x default.<variable>=<val> and -x override.<variable>=<val>

Options for ups.conf or -x:
"""
    return head + "\n".join(help_lines()) + "\n"


def read_ups_conf(path: str) -> UpsConf:
    """Read and parse ups.conf; an unreadable file is a ConfigError naming it."""
    return parse_ups_conf(read_config(path, "ups.conf", encoding="latin-1"), path)


def load_options(
    args: DriverArgs, env: Mapping[str, str] | None = None, *, progname: str = PROGNAME
) -> DriverOptions:
    """The options for ``args`` from ``$NUT_CONFPATH/ups.conf`` (none with ``-s``).

    Used at start-up and again on reload (then compare with :func:`plan_reload`).
    """
    conf = None if args.standalone else read_ups_conf(ups_conf_path(env))
    return resolve_options(args, conf, progname=progname)
