"""``hidups list``: every HID device, whether it looks like a UPS, and what blocks access.

Nothing is claimed or detached: descriptors come from sysfs when the kernel holds the
device, else from one control transfer. A device that cannot be opened is listed with
the reason (permissions with the udev rule that fixes them, busy, kernel driver).
``--probe`` opens each Q* bridge and asks the UPS behind it, in nutdrv_qx's order, which
protocol answers: only query commands, the ones nutdrv_qx sends at start-up.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from dataclasses import asdict
from typing import Any

from hidups.errors import BackendUnavailable, HidupsError, TransportError
from hidups.qx.registry import detect
from hidups.transport import get_backend
from hidups.transport.base import DeviceSurvey
from hidups.transport.pyusb_backend import survey_devices
from hidups.transport.qx_link import as_query
from hidups.transport.qx_match import bridge_for, qx_usb_ids
from hidups.transport.qx_usb import open_qx_usb

NO_DEVICES = "no HID devices found"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--backend", choices=("pyusb", "hid"), default="pyusb",
                        help="how to reach the devices (default pyusb)")
    parser.add_argument("--libusb", metavar="PATH",
                        help="libusb-1.0 shared library to use (env HIDUPS_LIBUSB)")
    parser.add_argument("--ups-only", action="store_true",
                        help="only devices whose descriptor uses the Power Device page")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--probe", action="store_true",
                        help="ask each Q* bridge's UPS which protocol answers (nutdrv_qx's "
                             "probe order; query commands only)")


def _survey(args: argparse.Namespace) -> list[DeviceSurvey]:
    options = {"libusb": args.libusb} if args.libusb else {}
    if args.backend == "hid":
        # the optional backend loads only when asked for (BackendUnavailable otherwise)
        hid_backend = importlib.import_module(get_backend("hid").__module__)
        surveyed: list[DeviceSurvey] = hid_backend.survey_devices(options)
        return surveyed
    return survey_devices(options)


def _verdict(survey: DeviceSurvey) -> str:
    if survey.looks_like_ups:
        pages = [p for p in survey.usage_pages if p in (0x84, 0x85)]
        return "looks like a UPS (" + ", ".join(
            {0x84: "Power Device page 0x84", 0x85: "Battery System page 0x85"}[p]
            for p in pages) + ")"
    if survey.looks_like_ups is False:
        return "not a UPS (no Power Device or Battery System usage page)"
    return "unknown whether it is a UPS (report descriptor not readable)"


def _quoted(value: str | None) -> str:
    return "-" if value is None else f'"{value}"'


def qx_bridge_line(survey: DeviceSurvey) -> str | None:
    """Which nutdrv_qx bridge would drive this device (its table only, no probing).

    Only for a VID:PID in nutdrv_qx's table, so HID UPSes of the same makers (Legrand,
    Phoenixtec, ST ids) get no Q* noise.
    """
    info = survey.info
    if not any((row.vendor_id, row.product_id) == (info.vendor_id, info.product_id)
               for row in qx_usb_ids()):
        return None
    bridge, why = bridge_for(info)
    if bridge is not None:
        return f"Q* USB-serial bridge '{bridge}' (nutdrv_qx's table)"
    return f"Q*: {why}"


def probe_protocol(survey: DeviceSurvey, libusb: str | None = None) -> str:
    """Open the bridge at this bus address and run nutdrv_qx's protocol detection:
    the protocol's name and version, or why none answered."""
    info = survey.info
    options = {"vendorid": f"{info.vendor_id:04x}", "productid": f"{info.product_id:04x}",
               "bus": f"{info.bus:03d}", "device": f"{info.address:03d}"}
    if libusb:
        options["libusb"] = libusb
    try:
        link = open_qx_usb(options)
    except HidupsError as exc:
        return f"not probed: {str(exc).splitlines()[0]}"
    try:
        protocol = detect(as_query(link), {})
    except HidupsError as exc:
        return f"no protocol answers: {str(exc).splitlines()[0]}"
    finally:
        link.close()
    return f"protocol '{protocol.name}' ({protocol.version}) answers"


def format_survey(survey: DeviceSurvey, probed: str | None = None) -> str:
    info = survey.info
    where = f"bus {info.bus:03d} device {info.address:03d}"
    if info.port_path:
        where += f" port {info.port_path}"
    lines = [f"{info.vidpid}  {where}  bcdDevice {info.bcd_device:04x}",
             f"    manufacturer {_quoted(info.manufacturer)}  product {_quoted(info.product)}"
             f"  serial {_quoted(info.serial)}"]
    interfaces = ", ".join(str(i) for i in survey.interfaces) or "?"
    detail = f"    HID interface {interfaces}"
    if survey.descriptor_length is not None:
        detail += f", report descriptor {survey.descriptor_length} bytes ({survey.source})"
    lines.append(f"{detail}: {_verdict(survey)}")
    qx = qx_bridge_line(survey)
    if qx is not None:
        lines.append(f"    {qx}")
        if probed is not None:
            lines.append(f"    Q* probe: {probed}")
    for problem in survey.problems:
        first, *rest = problem.split("\n")
        lines.append(f"    ! {first}")
        lines.extend(f"      {line.strip()}" for line in rest)
    return "\n".join(lines)


def _as_json(survey: DeviceSurvey, probed: str | None = None) -> dict[str, Any]:
    doc = asdict(survey)
    doc["info"]["vidpid"] = survey.info.vidpid
    doc["qx_bridge"] = bridge_for(survey.info)[0]
    if probed is not None:
        doc["qx_probe"] = probed
    return doc


def run(args: argparse.Namespace) -> int:
    try:
        surveys = _survey(args)
    except BackendUnavailable as exc:
        print(f"hidups list: {exc}", file=sys.stderr)
        return 1
    except TransportError as exc:
        print(f"{NO_DEVICES} ({exc})")
        return 0
    if args.ups_only:
        surveys = [s for s in surveys if s.looks_like_ups]
    probes: list[str | None] = [
        probe_protocol(s, args.libusb) if args.probe and bridge_for(s.info)[0] else None
        for s in surveys]
    if args.json:
        print(json.dumps([_as_json(s, p) for s, p in zip(surveys, probes, strict=True)], indent=2))
        return 0
    if not surveys:
        print(NO_DEVICES + (" that look like a UPS" if args.ups_only else ""))
        return 0
    print("\n".join(format_survey(s, p) for s, p in zip(surveys, probes, strict=True)))
    return 0
