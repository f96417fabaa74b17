"""``hidups udev-rules``: udev rules giving the driver's group every UPS the subdrivers claim.

The id list comes from the subdrivers' own tables, as NUT's ``nut-usbinfo.pl`` builds
``62-nut-usbups.rules`` from its drivers' tables, so a new id never needs a second
edit. The output keeps NUT's layout for the libusb device node (``/dev/bus/usb/...``:
``ATTR{idVendor}``, mode 664) and adds a section for hidraw nodes, whose ids sit on a
parent device (``ATTRS{...}``), for the ``hid`` transport.

Install with ``hidups udev-rules > /etc/udev/rules.d/62-hidups.rules`` and
``udevadm control --reload && udevadm trigger``.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import TYPE_CHECKING, TextIO

from hidups.transport.qx_match import QxUsbId, qx_usb_ids
from hidups.transport.udev import udev_rule

if TYPE_CHECKING:
    from hidups.hid2nut.subdriver import Subdriver

#: Names for the vendor comment lines (from the USB id database); other VIDs are
#: named after the subdrivers that claim them.
VENDOR_NAMES: dict[int, str] = {
    0x03F0: "Hewlett Packard",
    0x0463: "MGE UPS Systems / Eaton",
    0x047C: "Dell",
    0x0483: "STMicroelectronics (OEM ids)",
    0x04B3: "IBM",
    0x04D8: "Microchip (Mini-Box openUPS)",
    0x050D: "Belkin",
    0x051D: "American Power Conversion",
    0x0592: "Powerware",
    0x05DD: "Delta Electronics",
    0x06DA: "Phoenixtec Power",
    0x075D: "iDowell",
    0x0764: "Cyber Power Systems",
    0x09AE: "Tripp Lite",
    0x09D6: "KSTAR",
    0x0D9F: "PowerCOM",
    0x10AF: "Liebert",
    0x1CB0: "Legrand",
    0x2341: "Arduino",
    0x2A03: "Arduino (arduino.org)",
    0x2B2D: "AEG",
    0x2E51: "EVER",
    0x2E66: "Salicru",
    0x3746: "EcoFlow",
    0x4234: "Powervar",
}

USB_MODE = "664"
HIDRAW_MODE = "0660"
_GROUP = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*\Z")


@dataclass
class ClaimedId:
    """One VID:PID and who claims it (subdriver names, NUT-style model comments)."""

    vendor_id: int
    product_id: int
    subdrivers: list[str] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)


def _module_subdrivers(module: ModuleType) -> list[Subdriver]:
    single = getattr(module, "SUBDRIVER", None)
    several = getattr(module, "SUBDRIVERS", ())
    found = [single] if single is not None else []
    found.extend(several)
    return found


def all_subdrivers() -> list[Subdriver]:
    """Every subdriver: the registry's list when it exists, else every module's own."""
    try:
        registry = importlib.import_module("hidups.hid2nut.registry")
    except ImportError:
        registry = None
    if registry is not None and hasattr(registry, "all_subdrivers"):
        return list(registry.all_subdrivers())
    package = importlib.import_module("hidups.subdrivers")
    found: list[Subdriver] = []
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"hidups.subdrivers.{info.name}")
        found.extend(_module_subdrivers(module))
    return found


def claimed_ids(subdrivers: Iterable[Subdriver]) -> list[ClaimedId]:
    """Every VID:PID the subdrivers list, once each, sorted by VID then PID."""
    by_id: dict[tuple[int, int], ClaimedId] = {}
    for sub in subdrivers:
        for usb_id in sub.devices:
            key = (usb_id.vendor_id, usb_id.product_id)
            entry = by_id.setdefault(key, ClaimedId(*key))
            if sub.name not in entry.subdrivers:
                entry.subdrivers.append(sub.name)
            if usb_id.comment and usb_id.comment not in entry.comments:
                entry.comments.append(usb_id.comment)
    return [by_id[key] for key in sorted(by_id)]


def _vendor_name(entry: ClaimedId) -> str:
    return VENDOR_NAMES.get(entry.vendor_id, ", ".join(entry.subdrivers))


def _comment(entry: ClaimedId) -> str:
    models = "; ".join(entry.comments) if entry.comments else "various models"
    return f"#  {models}  - hidups ({', '.join(entry.subdrivers)})"


def qx_claimed_ids() -> list[QxUsbId]:
    """nutdrv_qx's bridge ids with a framing, once per VID:PID (libusb only: no HID driver)."""
    seen: dict[tuple[int, int], QxUsbId] = {}
    for row in qx_usb_ids():
        if row.bridge is not None:
            seen.setdefault((row.vendor_id, row.product_id), row)
    return [seen[key] for key in sorted(seen)]


def _qx_lines(rows: Sequence[QxUsbId], group: str) -> list[str]:
    # A section of its own: these nodes are opened through libusb by the Q* bridges,
    # never as hidraw; the explicit SUBSYSTEM keeps each line correct on its own.
    lines = ["", "# Q* UPSes behind USB-serial bridges (as nutdrv_qx)"]
    for row in rows:
        models = "; ".join(r.model for r in qx_usb_ids()
                           if (r.vendor_id, r.product_id) == (row.vendor_id, row.product_id)
                           and r.bridge is not None)
        lines.append(f"#  {models}  - hidups (qx, {row.bridge} bridge)")
        lines.append(udev_rule(row.vendor_id, row.product_id, group=group, mode=USB_MODE))
    return lines


def render(ids: Sequence[ClaimedId], group: str = "nut", hidraw: bool = True,
           qx: Sequence[QxUsbId] = ()) -> str:
    """The rules file text: header, libusb section (HID, then Q* bridges), hidraw, end."""
    lines = [
        "# udev rules for UPSes that hidups drives: access for the driver's group.",
        "# Generated by `hidups udev-rules` from the subdrivers' id tables.",
        "",
        'ACTION=="remove", GOTO="nut-usbups_rules_end"',
    ]
    if hidraw:
        lines.append('SUBSYSTEM=="hidraw", GOTO="hidups_hidraw_rules"')
    lines += [
        'SUBSYSTEM=="usb_device", GOTO="nut-usbups_rules_real"',
        'SUBSYSTEM=="usb", GOTO="nut-usbups_rules_real"',
        'GOTO="nut-usbups_rules_end"',
        "",
        'LABEL="nut-usbups_rules_real"',
    ]
    vendor: int | None = None
    for entry in ids:
        if entry.vendor_id != vendor:
            if vendor is not None:
                lines.append("")
            lines.append(f"# {_vendor_name(entry)}")
            vendor = entry.vendor_id
        lines.append(_comment(entry))
        lines.append(
            f'ATTR{{idVendor}}=="{entry.vendor_id:04x}", '
            f'ATTR{{idProduct}}=="{entry.product_id:04x}", MODE="{USB_MODE}", GROUP="{group}"'
        )
    lines += _qx_lines(qx, group)
    if hidraw:
        lines += ["", 'GOTO="nut-usbups_rules_end"', "", 'LABEL="hidups_hidraw_rules"']
        vendor = None
        for entry in ids:
            if entry.vendor_id != vendor:
                lines.append(f"# {_vendor_name(entry)}")
                vendor = entry.vendor_id
            lines.append(
                f'SUBSYSTEM=="hidraw", ATTRS{{idVendor}}=="{entry.vendor_id:04x}", '
                f'ATTRS{{idProduct}}=="{entry.product_id:04x}", MODE="{HIDRAW_MODE}", '
                f'GROUP="{group}"'
            )
    lines += ["", 'LABEL="nut-usbups_rules_end"', ""]
    return "\n".join(lines)


# --- command line ---------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--group", default="nut",
                        help="group given access to the device nodes (default: nut)")
    parser.add_argument("--no-hidraw", dest="hidraw", action="store_false",
                        help="only the libusb device nodes, as NUT's own rules file")
    parser.add_argument("-o", "--output", metavar="FILE",
                        help="write the rules to FILE instead of standard output")


def _write(text: str, output: str | None, stdout: TextIO) -> None:
    if output is None:
        stdout.write(text)
        return
    with open(output, "w", encoding="utf-8") as handle:
        handle.write(text)


def run(args: argparse.Namespace) -> int:
    group: str = args.group
    if not _GROUP.match(group):
        print(f"hidups udev-rules: --group: {group!r} is not a valid group name",
              file=sys.stderr)
        return 2
    text = render(claimed_ids(all_subdrivers()), group=group, hidraw=args.hidraw,
                  qx=qx_claimed_ids())
    try:
        _write(text, args.output, sys.stdout)
    except OSError as exc:
        print(f"hidups udev-rules: --output {args.output}: {exc.strerror or exc}",
              file=sys.stderr)
        return 1
    return 0
