"""``hidups serve``: drive every UPS of ups.conf (or every UPS found) in one process and
serve NUT's network protocol (as upsd) and, if asked, OpenMetrics at ``/metrics``.

The thin command line over :mod:`hidups.serve.app`, which it hands the NUT network
server (:mod:`hidups.serve.netserver`) to serve the fleet with. Addresses, MAXCONN and
the certificate come from the command line, else from upsd.conf as upsd reads them.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from typing import Any

from hidups.app.main import setup_logging
from hidups.errors import ConfigError
from hidups.nut.paths import confpath, ups_conf_path
from hidups.serve.app import ServeConfig, Server, UpsSource, serve
from hidups.serve.netconf import UpsdConf
from hidups.serve.netserver import NetServer
from hidups.serve.tls import TlsSettings
from hidups.serve.users import Users

#: NUT's upsd listens on loopback, port 3493, unless told otherwise (LISTEN).
DEFAULT_LISTEN = "127.0.0.1:3493"
#: nut_exporter's port: a scrape config written for it needs only the host changed.
DEFAULT_METRICS = "127.0.0.1:9199"
_ADDRESS = re.compile(r"(?:\[(?P<v6>[^\]]+)\]|(?P<host>[^:\[\]]*)):(?P<port>\d+)|(?P<only>\d+)")


def parse_address(text: str, what: str) -> tuple[str, int]:
    """``HOST:PORT``, ``[V6]:PORT`` or ``PORT`` (loopback)."""
    match = _ADDRESS.fullmatch(text.strip())
    if match is None:
        raise ConfigError(f"{what} {text!r}: expected HOST:PORT, [IPV6]:PORT or PORT",
                          source="command line", option=what)
    port = int(match["port"] or match["only"])
    if not 0 <= port <= 65535:
        raise ConfigError(f"{what} {text!r}: port {port} out of range",
                          source="command line", option=what)
    host = match["v6"] or match["host"] or "127.0.0.1"
    return host, port


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-a", dest="only", action="append", default=[], metavar="UPS",
                        help="serve only this ups.conf section (repeatable)")
    parser.add_argument("-D", dest="debug", action="count", default=0,
                        help="raise the debug level (repeatable)")
    parser.add_argument("-q", dest="quiet", action="count", default=0, help="log less")
    parser.add_argument("--listen", action="append", default=[], metavar="ADDR:PORT",
                        help=f"NUT network server address (repeatable; default {DEFAULT_LISTEN})")
    parser.add_argument("--metrics", nargs="?", const=DEFAULT_METRICS, metavar="ADDR:PORT",
                        help=f"serve /metrics there (off unless given; bare: {DEFAULT_METRICS})")
    parser.add_argument("--users", metavar="FILE",
                        help="upsd.users (default NUT_CONFPATH/upsd.users; none: no logins)")
    parser.add_argument("--upsconf", metavar="FILE",
                        help="ups.conf (default NUT_CONFPATH/ups.conf; missing: serve every "
                             "UPS found on USB)")
    parser.add_argument("--certfile", metavar="PEM", help="enable STARTTLS with this certificate")
    parser.add_argument("--keyfile", metavar="PEM", help="its key, if not in --certfile")
    parser.add_argument("-F", "--foreground", action="store_true",
                        help="stay in the foreground (as under systemd)")


def server_factory(args: argparse.Namespace) -> Any:
    """Build the NUT network server over the fleet's live UPS list."""
    upsd_conf_path = os.path.join(confpath(), "upsd.conf")
    conf = UpsdConf.from_file(upsd_conf_path) if os.path.exists(upsd_conf_path) else UpsdConf()
    listen = ([parse_address(a, "--listen") for a in args.listen] or conf.listen
              or [parse_address(DEFAULT_LISTEN, "--listen")])
    users_path = args.users or os.path.join(confpath(), "upsd.users")
    users = Users.from_file(users_path) if args.users or os.path.exists(users_path) else Users()
    tls = (TlsSettings(args.certfile, args.keyfile) if args.certfile is not None
           else conf.tls())

    def make(upses: UpsSource) -> Server:
        server: Server = NetServer(upses, users, listen, tls, maxconn=conf.maxconn or 1024)
        return server

    return make


def run(args: argparse.Namespace) -> int:
    setup_logging(args.debug, args.quiet)
    try:
        config = ServeConfig(
            upsconf=args.upsconf or ups_conf_path(),
            only=list(args.only),
            debug=args.debug,
            metrics=None if args.metrics is None else parse_address(args.metrics, "--metrics"),
            foreground=args.foreground or args.debug > 0,
        )
        factory = server_factory(args)
    except ConfigError as exc:
        print(f"hidups serve: {exc}", file=sys.stderr)
        return 1
    return serve(config, factory)
