"""``hidups explore``: dump an unknown HID device (or a capture) and say what drives it.

``hidups explore -o dump.json -x vendorid=0665`` opens the first matching HID device,
whether or not a subdriver claims it, reads everything a driver could read (identity,
strings, report descriptor, every Feature and Input report, interrupt reports for
``--listen`` seconds) and saves it as a hidups capture, which ``port=replay:`` serves
back and ``hidups gen-subdriver`` turns into a subdriver. ``--from CAPTURE`` analyses
a saved capture (ours, the shared JSON schema, or a NUT debug log) with no device.

Both print what NUT's ``usbhid-ups -x explore -DD`` prints (``- VendorID:`` and
``Path: ..., Value: ...`` lines), so the output can be pasted into a NUT issue and fed
to NUT's own ``gen-usbhid-subdriver.sh``; then which subdriver would claim the device,
which paths it maps and which it leaves unmapped, and whether the device is really a
serial protocol carried over HID (then ``nutdrv_qx`` is the driver to use).

Only the command line lives here: recording is ``hidups.hid.explore``, the verdicts
``hidups.hid.analysis``, the NUT dump lines ``hidups.capture.nut_dump``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from hidups.capture import load_capture, save_capture
from hidups.capture.qx_capture import QxCaptureReplay, dumps_qx_capture
from hidups.errors import ConfigError, HidupsError
from hidups.hid.analysis import analysis_report
from hidups.hid.explore import explore_device, redact
from hidups.qx.explore import explore_qx, load_qx_capture_file
from hidups.transport.qx_link import as_query, open_qx_link


def add_arguments(parser: argparse.ArgumentParser) -> None:
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--from", dest="from_capture", metavar="CAPTURE",
                        help="analyse a capture file (hidups, shared JSON, NUT debug log) "
                             "instead of a device")
    parser.add_argument("-o", "--output", metavar="FILE",
                        help="write the capture (hidups format) to FILE")
    parser.add_argument("--listen", type=float, default=0.0, metavar="SECONDS",
                        help="also record interrupt reports for SECONDS (default 0)")
    parser.add_argument("-x", dest="options", action="append", default=[],
                        metavar="NAME=VALUE",
                        help="device matching option as in ups.conf (vendorid=, productid=, "
                             "serial=, bus=, port=, backend=...); repeatable")
    parser.add_argument("--redact", action="store_true",
                        help="replace serial numbers so the capture can be shared")
    parser.add_argument("--subdriver-path", metavar="DIR",
                        help="also consider the user subdrivers in DIR")
    parser.add_argument("--qx", action="store_true",
                        help="the device is a Q* UPS (nutdrv_qx): ask every query command "
                             "of every known protocol, never an action command")
    parser.add_argument("--no-paths", action="store_true",
                        help="do not print the Path: lines")


def parse_options(pairs: Sequence[str]) -> dict[str, str]:
    """``["vendorid=051d", "pollonly"]`` → ``{"vendorid": "051d", "pollonly": ""}``."""
    options: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        name = name.strip()
        if not name:
            raise ConfigError(f"empty option name in {pair!r}", source="-x", option=pair)
        options[name] = value.strip() if sep else ""
    return options


def _qx(args: argparse.Namespace, options: dict[str, str]) -> int | None:
    """Explore a Q* device (``--qx``) or a Q* capture (``--from``); None: not Q*."""
    if args.from_capture:
        recorded = load_qx_capture_file(args.from_capture)
        if recorded is None:
            return None
        result = explore_qx(QxCaptureReplay(recorded.exchanges), recorded.info,
                            recorded.bridge)
    elif args.qx:
        link = open_qx_link(options)
        try:
            result = explore_qx(as_query(link), link.info, link.bridge)
        finally:
            link.close()
    else:
        return None
    if args.output:
        Path(args.output).write_text(dumps_qx_capture(result.capture), encoding="utf-8")
        print(f"capture written to {args.output}", file=sys.stderr)
    info = result.capture.info
    print(f"- Q* device {info.vidpid} bridge {result.capture.bridge or '-'}")
    for exchange in result.capture.exchanges:
        answer = "(no answer)" if exchange.answer is None else repr(exchange.answer)
        print(f"  {exchange.command!r} -> {answer}")
    print(f"protocol: {result.protocol or 'none'}: {result.why}")
    return 0


def run(args: argparse.Namespace) -> int:
    try:
        options = parse_options(args.options)
        qx = _qx(args, options)
        if qx is not None:
            return qx
        if args.subdriver_path:
            options["subdriver_path"] = args.subdriver_path
        if args.from_capture:
            capture = load_capture(args.from_capture)
            if args.redact:
                capture = redact(capture)
        else:
            capture = explore_device(options, listen=args.listen, redact_serials=args.redact)
        if args.output:
            save_capture(capture, args.output)
            print(f"capture written to {args.output}", file=sys.stderr)
        for line in analysis_report(capture, options, with_paths=not args.no_paths):
            print(line)
    except HidupsError as exc:
        print(f"hidups explore: {exc}", file=sys.stderr)
        return 1
    return 0
