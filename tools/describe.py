"""``hidups describe FILE``: a descriptor's elements as NUT's ``Path:`` lines.

The output is what ``usbhid-ups -DD`` prints from ``HIDDumpTree``, line for line:
``Path: UPS.PowerSummary.RemainingCapacity, Type: Feature, ReportID: 0x0c, Offset: 0,
Size: 8, Value: 100``. ``Value`` appears when the file holds that report's bytes.

FILE is a hidups capture, a shared-corpus JSON capture, a NUT debug log, or a text
file of hex bytes (the descriptor alone). Vendor usage names come from a subdriver:
``--subdriver apc`` (module or NUT name), or the one NUT named in the capture; without
one only the standard names are used, as NUT's ``explore`` subdriver does. As in NUT,
the subdriver's descriptor fix-ups run before values are computed.

The lines come from ``hidups.capture.nut_dump``, the subdriver from
``hidups.hid.analysis``; this module is the command line.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from hidups.capture.nut_dump import load_dump_source, path_lines
from hidups.descriptor.model import ReportDescriptor
from hidups.errors import DescriptorError, HidupsError
from hidups.hid.analysis import find_subdriver
from hidups.usages import NUT_STANDARD, STANDARD, UsageTable


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", help="capture (hidups, shared JSON, NUT debug log) or hex text")
    parser.add_argument("--subdriver", metavar="NAME",
                        help="take vendor usage names from this subdriver (module name "
                             "such as 'apc', or NUT name such as 'APC HID'); "
                             "'explore' or 'none' for standard names only")
    parser.add_argument("--no-values", action="store_true",
                        help="leave out Value: even when report bytes are available")
    parser.add_argument("--spec-names", action="store_true",
                        help="also name standard usages NUT's table lacks (NUT prints hex)")


def run(args: argparse.Namespace) -> int:
    try:
        source = load_dump_source(Path(args.file))
        subdriver = find_subdriver(args.subdriver if args.subdriver is not None
                                   else source.nut_subdriver)
        wanted = (args.subdriver or "").lower()
        if wanted not in ("", "explore", "none") and subdriver is None:
            print(f"hidups describe: no subdriver named {args.subdriver!r}", file=sys.stderr)
            return 2
        desc = ReportDescriptor.from_bytes(source.descriptor)
        standard = STANDARD if args.spec_names else NUT_STANDARD
        usages = standard
        if subdriver is not None:
            vendor: UsageTable = subdriver.usages
            usages = vendor.chained(standard)
            if source.device is not None:
                subdriver.fix_report_desc(source.device, desc, {})
        reports = {} if args.no_values else source.reports
        for line in path_lines(desc, usages, reports, source.device):
            print(line)
    except DescriptorError as exc:  # its message has the byte offset, not the file
        print(f"hidups describe: {args.file}: {exc}", file=sys.stderr)
        return 1
    except HidupsError as exc:
        print(f"hidups describe: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"hidups describe: {args.file}: {exc.strerror}", file=sys.stderr)
        return 1
    return 0
