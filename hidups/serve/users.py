"""``upsd.users``: who may log in, SET, FSD, and run which instant commands.

Why: the network server must refuse every write that upsd would refuse, for the same
reasons, from the same file an administrator already has. The grammar is upsd's
(``server/user.c``), read with NUT's tokenizer:

- ``[name]`` opens a user; a repeated name is ignored (the first section wins);
- ``password = secret`` (the first one counts), ``actions = SET FSD``,
  ``instcmds = ALL`` or one command per word (``ALL`` matches any command);
- ``upsmon primary`` (or ``master``) grants LOGIN, MASTER/PRIMARY and FSD;
  ``upsmon secondary`` (or ``slave``) grants LOGIN;
- settings before the first section, and unknown ones, are ignored (upsd only logs
  them).

Rights are global, as in NUT: a user's rights hold on every UPS the server serves.
A hidups extension narrows them: ``ups = name ...`` (one or more lines) limits every
right of the user to the UPSes named (case-insensitive). upsd only logs "Unrecognized
user setting ups" and ignores such a line, so the file stays valid for upsd, where the
user keeps global rights. A user without a password can do nothing that needs a right.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from hidups.errors import ConfigError
from hidups.nut.paths import read_config
from hidups.nut.protocol import WordParser

log = logging.getLogger(__name__)

PRIMARY_ACTIONS = ("LOGIN", "MASTER", "FSD")
SECONDARY_ACTIONS = ("LOGIN",)


@dataclass
class User:
    """One ``[section]``: password, actions (upper case) and instant commands."""

    name: str
    password: str | None = None
    actions: list[str] = field(default_factory=list)
    instcmds: list[str] = field(default_factory=list)
    upses: list[str] = field(default_factory=list)  # hidups extension: empty = every UPS

    def may(self, action: str) -> bool:
        return action.upper() in self.actions

    def may_run(self, command: str) -> bool:
        return any(c.lower() in (command.lower(), "all") for c in self.instcmds)

    def on(self, ups: str | None) -> bool:
        """The user's rights hold on ``ups`` (None: no UPS named, as upsd's checks)."""
        return not self.upses or ups is None or ups.lower() in (u.lower() for u in self.upses)


class Users:
    """The parsed file; :meth:`check_action` / :meth:`check_instcmd` are upsd's checks."""

    def __init__(self, users: list[User] | None = None, source: str = "<none>") -> None:
        self.source = source
        self._users: dict[str, User] = {}
        for user in users or []:
            self._users.setdefault(user.name, user)

    @classmethod
    def from_file(cls, path: str | Path) -> Users:
        return cls.from_text(read_config(path, "users file"), str(path))

    @classmethod
    def from_text(cls, text: str, source: str = "upsd.users") -> Users:
        parser = WordParser()
        lines = parser.feed(text) + parser.finish()
        users: list[User] = []
        current: User | None = None
        for line in lines:
            if line.error:
                raise ConfigError(f"parse error: {line.error}", source=source, line=line.line)
            words = line.words
            first = words[0]
            if first.startswith("[") and first.endswith("]") and len(first) >= 2:
                name = first[1:-1]
                if not name:
                    raise ConfigError("empty user name in []", source=source, line=line.line)
                if any(u.name == name for u in users):
                    log.warning("%s:%d: ignoring duplicate user %s", source, line.line, name)
                    current = User(name)  # collects the duplicate's settings, then dropped
                    continue
                current = User(name)
                users.append(current)
                continue
            if current is None:
                log.warning("%s:%d: ignoring %s outside a user section", source, line.line,
                            first)
                continue
            if first.lower() == "upsmon" and len(words) >= 2 and words[1] != "=":
                _upsmon(current, words[1], source, line.line)
            elif len(words) >= 3 and words[1] == "=":
                for value in words[2:]:
                    _setting(current, first, value, source, line.line)
            else:
                log.warning("%s:%d: ignoring %r (expected 'name = value')", source, line.line,
                            " ".join(words))
        return cls(users, source)

    def get(self, name: str | None) -> User | None:
        return None if name is None else self._users.get(name)

    def _authenticated(self, name: str | None, password: str | None) -> User | None:
        user = self.get(name)
        if user is None or user.password is None or password is None:
            return None
        return user if user.password == password else None

    def check_action(self, name: str | None, password: str | None, action: str,
                     ups: str | None = None) -> bool:
        """upsd's ``user_checkaction``: the right password and the action granted
        (on ``ups``, when the user has ``ups =`` lines)."""
        user = self._authenticated(name, password)
        return user is not None and user.may(action) and user.on(ups)

    def check_instcmd(self, name: str | None, password: str | None, command: str,
                      ups: str | None = None) -> bool:
        """upsd's ``user_checkinstcmd``: the right password and the command (or ALL)."""
        user = self._authenticated(name, password)
        return user is not None and user.may_run(command) and user.on(ups)

    def __len__(self) -> int:
        return len(self._users)


def _upsmon(user: User, kind: str, source: str, line: int) -> None:
    if kind.lower() in ("primary", "master"):
        granted: tuple[str, ...] = PRIMARY_ACTIONS
    elif kind.lower() in ("secondary", "slave"):
        granted = SECONDARY_ACTIONS
    else:
        log.warning("%s:%d: unknown upsmon type %s", source, line, kind)
        return
    user.actions += [a for a in granted if a not in user.actions]


def _setting(user: User, key: str, value: str, source: str, line: int) -> None:
    key = key.lower()
    if key == "password":
        if user.password is None:
            user.password = value
        else:
            log.warning("%s:%d: ignoring duplicate password for %s", source, line, user.name)
    elif key == "actions":
        user.actions.append(value.upper())
    elif key == "instcmds":
        if not any(c.lower() == value.lower() for c in user.instcmds):
            user.instcmds.append(value)
    elif key == "upsmon":
        _upsmon(user, value, source, line)
    elif key == "ups":
        user.upses.append(value)
    elif key == "allowfrom":
        log.warning("%s:%d: allowfrom in upsd.users is no longer used", source, line)
    else:
        log.info("%s:%d: unrecognized user setting %s", source, line, key)
