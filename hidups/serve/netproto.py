"""NUT's network protocol (what upsd answers on port 3493), without sockets.

Why a module of its own: every answer, and every refusal, must be upsd's
(``server/netget.c``, ``netlist.c``, ``netset.c``, ``netinstcmd.c``, ``netuser.c``,
``netmisc.c``), and that is easiest to get right, and to test, as a function from a
session and one parsed line to the reply lines. :class:`NetProtocol` is that function;
``netserver`` only moves bytes.

As upsd: command names are case-insensitive; commands that need a user (LOGIN,
PRIMARY/MASTER, FSD, SET, INSTCMD) answer ``ERR USERNAME-REQUIRED`` /
``ERR PASSWORD-REQUIRED`` before anything else; rights are checked with the password
at each command (a wrong password is ``ERR ACCESS-DENIED``, never ``INVALID-PASSWORD``,
which upsd does not send); ``SET VAR`` and ``INSTCMD`` answer ``OK`` once the request
is handed to the driver, and its result is only seen through ``SET TRACKING ON`` and
``GET TRACKING <id>``; ``FSD`` makes ``ups.status`` read ``FSD <status>``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from hidups import __version__
from hidups.nut.dstate import DState
from hidups.nut.protocol import escape
from hidups.serve.cmdvartab import Descriptions
from hidups.serve.model import ServedUps
from hidups.serve.nettrack import CommandQueue
from hidups.serve.users import Users

log = logging.getLogger(__name__)

#: The upsd whose protocol we speak (``server.version``, ``VER``).
NUT_VERSION = "2.8.5"
NETVER = "1.3"
NUT_URL = "https://www.networkupstools.org/"
HELP = ("Commands: HELP VER PROTVER GET LIST SET INSTCMD LOGIN LOGOUT USERNAME PASSWORD "
        "STARTTLS")
_ATOI = re.compile(r"\s*([+-]?\d+)")


def version_line() -> str:
    return (f"Network UPS Tools upsd {NUT_VERSION} (hidups {__version__}) - {NUT_URL}")


def atoi(text: str) -> int:
    """C's ``atoi``: a leading integer, 0 when there is none (upsd's range check)."""
    match = _ATOI.match(text)
    return int(match.group(1)) if match else 0


@dataclass(eq=False)
class Session:
    """What upsd remembers about one connection."""

    addr: str
    username: str | None = None
    password: str | None = None
    loginups: str | None = None
    tracking: bool = False
    tls: bool = False


@dataclass
class Reply:
    """Lines to send (without newlines), and what to do after sending them."""

    lines: list[str] = field(default_factory=list)
    close: bool = False  # LOGOUT: close once sent
    starttls: bool = False  # start the TLS handshake once sent


class Refused(Exception):
    """An ``ERR`` answer; ``str()`` is the error name."""


UpsSource = Mapping[str, ServedUps] | Callable[[], Mapping[str, ServedUps]]


class NetProtocol:
    """upsd's command table over the served UPSes (see the module's docstring)."""

    def __init__(self, upses: UpsSource, users: Users, *,
                 descriptions: Descriptions | None = None, tls_ready: bool = False,
                 sessions: Callable[[], Iterable[Session]] = tuple) -> None:
        self._upses = upses
        self.users = users
        self.descriptions = Descriptions.load() if descriptions is None else descriptions
        self.tls_ready = tls_ready
        self._sessions = sessions
        self.fsd: set[str] = set()
        self.queue = CommandQueue()

    def close(self) -> None:
        self.queue.close()

    # --- lookup ------------------------------------------------------------------

    def all_upses(self) -> Mapping[str, ServedUps]:
        return self._upses() if callable(self._upses) else self._upses

    def find(self, name: str) -> ServedUps:
        for ups in self.all_upses().values():
            if ups.name.lower() == name.lower():
                return ups
        raise Refused("UNKNOWN-UPS")

    def available(self, name: str) -> ServedUps:
        ups = self.find(name)
        if ups.dstate.is_stale:
            raise Refused("DATA-STALE")
        return ups

    # --- dispatch ----------------------------------------------------------------

    def handle(self, session: Session, words: list[str]) -> Reply:
        """One parsed request line; never raises for a client's mistake."""
        if not words:
            return Reply(["ERR UNKNOWN-COMMAND"])
        verb, args = words[0].upper(), words[1:]
        entry = _COMMANDS.get(verb)
        if entry is None:
            return Reply(["ERR UNKNOWN-COMMAND"])
        method, needs_user = entry
        if needs_user and session.username is None:
            return Reply(["ERR USERNAME-REQUIRED"])
        if needs_user and session.password is None:
            return Reply(["ERR PASSWORD-REQUIRED"])
        try:
            reply = method(self, session, args)
        except Refused as err:
            return Reply([f"ERR {err}"])
        return reply if isinstance(reply, Reply) else Reply(reply)

    # --- misc (netmisc.c) --------------------------------------------------------

    def _no_args(self, args: list[str], line: str) -> list[str]:
        if args:
            raise Refused("INVALID-ARGUMENT")
        return [line]

    def ver(self, session: Session, args: list[str]) -> list[str]:
        return self._no_args(args, version_line())

    def netver(self, session: Session, args: list[str]) -> list[str]:
        return self._no_args(args, NETVER)

    def help(self, session: Session, args: list[str]) -> list[str]:
        return self._no_args(args, HELP)

    def starttls(self, session: Session, args: list[str]) -> Reply:
        if session.tls:
            raise Refused("ALREADY-SSL-MODE")
        if not self.tls_ready:
            raise Refused("FEATURE-NOT-CONFIGURED")
        return Reply(["OK STARTTLS"], starttls=True)

    def fsd_cmd(self, session: Session, args: list[str]) -> list[str]:
        if len(args) != 1:
            raise Refused("INVALID-ARGUMENT")
        ups = self.find(args[0])
        if not self.users.check_action(session.username, session.password, "FSD", ups.name):
            raise Refused("ACCESS-DENIED")
        log.info("client %s@%s set FSD on UPS [%s]", session.username, session.addr, ups.name)
        self.fsd.add(ups.name)
        return ["OK FSD-SET"]

    # --- users (netuser.c) -------------------------------------------------------

    def username(self, session: Session, args: list[str]) -> list[str]:
        if len(args) != 1:
            raise Refused("INVALID-ARGUMENT")
        if session.username is not None:
            raise Refused("ALREADY-SET-USERNAME")
        session.username = args[0]
        return ["OK"]

    def password(self, session: Session, args: list[str]) -> list[str]:
        if len(args) != 1:
            raise Refused("INVALID-ARGUMENT")
        if session.password is not None:
            raise Refused("ALREADY-SET-PASSWORD")
        session.password = args[0]
        return ["OK"]

    def login(self, session: Session, args: list[str]) -> list[str]:
        if len(args) != 1:
            raise Refused("INVALID-ARGUMENT")
        if session.loginups is not None:
            raise Refused("ALREADY-LOGGED-IN")
        ups = self.find(args[0])
        if not self.users.check_action(session.username, session.password, "LOGIN",
                                       ups.name):
            raise Refused("ACCESS-DENIED")
        session.loginups = ups.name
        log.info("user %s@%s logged into UPS [%s]%s", session.username, session.addr,
                 ups.name, " (SSL)" if session.tls else "")
        return ["OK"]

    def logout(self, session: Session, args: list[str]) -> Reply:
        if args:
            raise Refused("INVALID-ARGUMENT")
        return Reply(["OK Goodbye"], close=True)

    def _primary(self, session: Session, args: list[str], answer: str) -> list[str]:
        if len(args) != 1:
            raise Refused("INVALID-ARGUMENT")
        name = self.find(args[0]).name
        if not (self.users.check_action(session.username, session.password, "PRIMARY", name)
                or self.users.check_action(session.username, session.password, "MASTER",
                                           name)):
            raise Refused("ACCESS-DENIED")
        return [answer]

    def primary(self, session: Session, args: list[str]) -> list[str]:
        return self._primary(session, args, "OK PRIMARY-GRANTED")

    def master(self, session: Session, args: list[str]) -> list[str]:
        return self._primary(session, args, "OK MASTER-GRANTED")

    # --- GET (netget.c) ----------------------------------------------------------

    def get_cmd(self, session: Session, args: list[str]) -> list[str]:
        if not args:
            raise Refused("INVALID-ARGUMENT")
        what = args[0].upper()
        if what == "TRACKING":
            if len(args) < 2:
                return ["ON" if session.tracking else "OFF"]
            if not session.tracking:
                raise Refused("FEATURE-NOT-CONFIGURED")
            return [self.queue.answer(args[1])]
        if len(args) < 2:
            raise Refused("INVALID-ARGUMENT")
        name = args[1]
        if what == "NUMLOGINS":
            ups = self.available(name)
            count = sum(1 for s in self._sessions() if s.loginups == ups.name)
            return [f"NUMLOGINS {name} {count}"]
        if what == "UPSDESC":
            return [f'UPSDESC {name} "{escape(self.find(name).description or "Unavailable")}"']
        if len(args) < 3:
            raise Refused("INVALID-ARGUMENT")
        item = args[2]
        if what == "VAR":
            return [self._get_var(name, item)]
        if what == "TYPE":
            return [self._get_type(name, item)]
        if what == "DESC":
            self.available(name)
            return [f'DESC {name} {item} "{escape(self.descriptions.variable(item))}"']
        if what == "CMDDESC":
            self.available(name)
            return [f'CMDDESC {name} {item} "{escape(self.descriptions.command(item))}"']
        raise Refused("INVALID-ARGUMENT")

    def _value(self, ups: ServedUps, name: str, value: str) -> str:
        if name.lower() == "ups.status" and ups.name in self.fsd:
            return f"FSD {escape(value)}"
        return escape(value)

    def _get_var(self, upsname: str, var: str) -> str:
        if var[:7].lower() == "server.":
            if var.lower() == "server.info":
                return f'VAR {upsname} server.info "{version_line()}"'
            if var.lower() == "server.version":
                return f'VAR {upsname} server.version "{NUT_VERSION}"'
            raise Refused("VAR-NOT-SUPPORTED")
        ups = self.available(upsname)
        value = ups.dstate.get(var)
        if value is None:
            raise Refused("VAR-NOT-SUPPORTED")
        return f'VAR {upsname} {var} "{self._value(ups, var, value)}"'

    def _get_type(self, upsname: str, var: str) -> str:
        node = self.available(upsname).dstate.variable(var)
        if node is None:
            raise Refused("VAR-NOT-SUPPORTED")
        words = [f"TYPE {upsname} {var}"]
        if "RW" in node.flags:
            words.append("RW")
        if node.enums:
            words.append("ENUM")
        if node.ranges:
            words.append("RANGE")
        words.append(f"STRING:{node.aux}" if "STRING" in node.flags else "NUMBER")
        return " ".join(words)

    # --- LIST (netlist.c) --------------------------------------------------------

    def list_cmd(self, session: Session, args: list[str]) -> list[str]:
        if not args:
            raise Refused("INVALID-ARGUMENT")
        what = args[0].upper()
        if what == "UPS":
            lines = ["BEGIN LIST UPS"]
            for ups in self.all_upses().values():
                desc = escape(ups.description) if ups.description else "Description unavailable"
                lines.append(f'UPS {ups.name} "{desc}"')
            return [*lines, "END LIST UPS"]
        if len(args) < 2:
            raise Refused("INVALID-ARGUMENT")
        name = args[1]
        if what in ("VAR", "RW"):
            return self._list_vars(name, rw=what == "RW")
        if what == "CMD":
            dstate = self.available(name).dstate
            return [f"BEGIN LIST CMD {name}", *(f"CMD {name} {c}" for c in dstate.commands()),
                    f"END LIST CMD {name}"]
        if what == "CLIENT":
            ups = self.find(name)
            clients = [f"CLIENT {s.loginups} {s.addr}" for s in self._sessions()
                       if s.loginups is not None and s.loginups.lower() == ups.name.lower()]
            return [f"BEGIN LIST CLIENT {name}", *clients, f"END LIST CLIENT {name}"]
        if len(args) < 3:
            raise Refused("INVALID-ARGUMENT")
        var = args[2]
        if what == "ENUM":
            node = self.available(name).dstate.variable(var)
            if node is None:
                raise Refused("VAR-NOT-SUPPORTED")
            return [f"BEGIN LIST ENUM {name} {var}",
                    *(f'ENUM {name} {var} "{escape(e)}"' for e in node.enums),
                    f"END LIST ENUM {name} {var}"]
        if what == "RANGE":
            node = self.available(name).dstate.variable(var)
            if node is None:
                raise Refused("VAR-NOT-SUPPORTED")
            return [f"BEGIN LIST RANGE {name} {var}",
                    *(f'RANGE {name} {var} "{lo}" "{hi}"' for lo, hi in node.ranges),
                    f"END LIST RANGE {name} {var}"]
        raise Refused("INVALID-ARGUMENT")

    def _list_vars(self, name: str, *, rw: bool) -> list[str]:
        ups = self.available(name)
        kind = "RW" if rw else "VAR"
        lines = [f"BEGIN LIST {kind} {name}"]
        dstate: DState = ups.dstate
        with dstate.atomic():
            for var in dstate.names():
                node = dstate.variable(var)
                if node is None or (rw and "RW" not in node.flags):
                    continue
                value = escape(node.value) if rw else self._value(ups, node.name, node.value)
                lines.append(f'{kind} {name} {node.name} "{value}"')
        return [*lines, f"END LIST {kind} {name}"]

    # --- SET (netset.c) and INSTCMD (netinstcmd.c) -------------------------------

    def set_cmd(self, session: Session, args: list[str]) -> list[str]:
        if len(args) < 2:
            raise Refused("INVALID-ARGUMENT")
        what = args[0].upper()
        if what == "VAR":
            if len(args) < 4:
                raise Refused("INVALID-ARGUMENT")
            return self._set_var(session, args[1], args[2], args[3])
        if what == "TRACKING":
            mode = args[1].upper()
            if mode == "ON":
                session.tracking = True
            elif mode == "OFF":
                session.tracking = False
            else:
                raise Refused("INVALID-ARGUMENT")
            return ["OK"]
        raise Refused("INVALID-ARGUMENT")

    def _set_var(self, session: Session, upsname: str, var: str, value: str) -> list[str]:
        ups = self.available(upsname)
        if not self.users.check_action(session.username, session.password, "SET", ups.name):
            raise Refused("ACCESS-DENIED")
        node = ups.dstate.variable(var)
        if node is None:
            raise Refused("VAR-NOT-SUPPORTED")
        if "RW" not in node.flags:
            raise Refused("READONLY")
        if "STRING" in node.flags:
            if node.aux < 1:
                log.warning("UPS [%s]: auxdata for %s is invalid", ups.name, var)
                raise Refused("SET-FAILED")
            if node.aux < len(value):
                raise Refused("TOO-LONG")
        if node.enums and value not in node.enums:
            raise Refused("INVALID-VALUE")
        if node.ranges and not any(lo <= atoi(value) <= hi for lo, hi in node.ranges):
            raise Refused("INVALID-VALUE")
        log.info("set variable: %s@%s set %s on %s to %s", session.username, session.addr,
                 var, ups.name, value)
        return self._dispatch(session, lambda: ups.commands.setvar(node.name, value))

    def instcmd(self, session: Session, args: list[str]) -> list[str]:
        if len(args) < 2:
            raise Refused("INVALID-ARGUMENT")
        upsname, command = args[0], args[1]
        param = args[2] if len(args) == 3 else None  # upsd drops a 4th word and the 3rd
        ups = self.available(upsname)
        if not ups.dstate.has_cmd(command):
            raise Refused("CMD-NOT-SUPPORTED")
        if not self.users.check_instcmd(session.username, session.password, command,
                                        ups.name):
            raise Refused("ACCESS-DENIED")
        log.info("instant command: %s@%s did %s%s on %s", session.username, session.addr,
                 command, "" if param is None else f" with value {param}", ups.name)
        return self._dispatch(session, lambda: ups.commands.instcmd(command, param),
                              "INSTCMD-FAILED")

    # --- to the driver ----------------------------------------------------------

    def _dispatch(self, session: Session, call: Callable[[], int],
                  failed: str = "SET-FAILED") -> list[str]:
        """Hand the request to the driver, as upsd writes it to the driver's socket,
        and answer at once."""
        try:
            ident = self.queue.submit(call, session.tracking)
        except RuntimeError as exc:  # the server is stopping
            raise Refused(failed) from exc
        return ["OK" if ident is None else f"OK TRACKING {ident}"]


_Method = Callable[[NetProtocol, Session, list[str]], "list[str] | Reply"]
_COMMANDS: dict[str, tuple[_Method, bool]] = {
    "VER": (NetProtocol.ver, False),
    "NETVER": (NetProtocol.netver, False),
    "PROTVER": (NetProtocol.netver, False),
    "HELP": (NetProtocol.help, False),
    "STARTTLS": (NetProtocol.starttls, False),
    "GET": (NetProtocol.get_cmd, False),
    "LIST": (NetProtocol.list_cmd, False),
    "USERNAME": (NetProtocol.username, False),
    "PASSWORD": (NetProtocol.password, False),
    "LOGIN": (NetProtocol.login, True),
    "LOGOUT": (NetProtocol.logout, False),
    "PRIMARY": (NetProtocol.primary, True),
    "MASTER": (NetProtocol.master, True),
    "FSD": (NetProtocol.fsd_cmd, True),
    "SET": (NetProtocol.set_cmd, True),
    "INSTCMD": (NetProtocol.instcmd, True),
}
