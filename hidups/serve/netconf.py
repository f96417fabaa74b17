"""The part of ``upsd.conf`` the network server needs: LISTEN, MAXCONN, CERTFILE.

Why: an administrator moving from upsd keeps their file. The grammar is upsd's
(``server/conf.c``): ``LISTEN <address> [<port>]`` (repeatable; port 3493 by default),
``MAXCONN <n>``, ``CERTFILE <path>``; names are case-insensitive. Other upsd settings
(MAXAGE, STATEPATH, TRACKINGDELAY, CERTPATH/CERTIDENT of NSS builds, ...) are not the
network server's business and are ignored (logged at debug level). With no LISTEN,
upsd listens on ``127.0.0.1`` and ``::1``; :meth:`UpsdConf.listen_or_default` says so.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from hidups.errors import ConfigError
from hidups.nut.paths import read_config
from hidups.nut.protocol import WordParser
from hidups.serve.tls import TlsSettings

log = logging.getLogger(__name__)

NUT_PORT = 3493
DEFAULT_LISTEN = (("127.0.0.1", NUT_PORT), ("::1", NUT_PORT))


@dataclass
class UpsdConf:
    listen: list[tuple[str, int]] = field(default_factory=list)
    maxconn: int | None = None
    certfile: str | None = None

    def listen_or_default(self) -> list[tuple[str, int]]:
        return list(self.listen) or list(DEFAULT_LISTEN)

    def tls(self) -> TlsSettings | None:
        return None if self.certfile is None else TlsSettings(self.certfile)

    @classmethod
    def from_file(cls, path: str | Path) -> UpsdConf:
        return cls.from_text(read_config(path, "upsd.conf"), str(path))

    @classmethod
    def from_text(cls, text: str, source: str = "upsd.conf") -> UpsdConf:
        conf = cls()
        parser = WordParser()
        for line in parser.feed(text) + parser.finish():
            if line.error:
                raise ConfigError(f"parse error: {line.error}", source=source, line=line.line)
            key, args = line.words[0].upper(), line.words[1:]
            if key == "LISTEN":
                if not 1 <= len(args) <= 2:
                    raise ConfigError("LISTEN takes an address and an optional port",
                                      source=source, line=line.line, option="LISTEN")
                conf.listen.append((args[0], _number(args[1] if len(args) == 2 else
                                                     str(NUT_PORT), source, line.line,
                                                     "LISTEN", 0, 65535)))
            elif key == "MAXCONN":
                if len(args) != 1:
                    raise ConfigError("MAXCONN takes one number", source=source,
                                      line=line.line, option="MAXCONN")
                conf.maxconn = _number(args[0], source, line.line, "MAXCONN", 1, 1 << 20)
            elif key == "CERTFILE":
                if len(args) != 1:
                    raise ConfigError("CERTFILE takes one path", source=source,
                                      line=line.line, option="CERTFILE")
                conf.certfile = args[0]
            else:
                log.debug("%s:%d: %s is not used by the network server", source, line.line,
                          key)
        return conf


def _number(text: str, source: str, line: int, option: str, low: int, high: int) -> int:
    try:
        value = int(text, 10)
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        raise ConfigError(f"{option}: {text!r} is not a number from {low} to {high}",
                          source=source, line=line, option=option)
    return value
