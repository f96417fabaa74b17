"""The HID Power Device protocol: opens a transport and makes a :class:`HidSession` of it.

Opening is NUT's ``upsdrv_initups`` for usbhid-ups: match and open the device, read
its report descriptor, pick the subdriver (kept across reconnects, as NUT keeps its
``subdriver`` global), apply the subdriver's descriptor fix-ups.
"""

from __future__ import annotations

import contextlib
import logging
import re
import time
from collections.abc import Callable, Mapping

from hidups.descriptor.model import ReportDescriptor
from hidups.device import DeviceInfo
from hidups.hid.link import HidTransport
from hidups.hid.session import HidSession
from hidups.hid2nut.registry import select_subdriver
from hidups.hid2nut.subdriver import Subdriver
from hidups.transport import open_transport
from hidups.usages import STANDARD, UsageTable

log = logging.getLogger(__name__)

Opener = Callable[[Mapping[str, str]], HidTransport]
#: Picks the subdriver: (device, options, raw report descriptor) → subdriver.
Selector = Callable[[DeviceInfo, Mapping[str, str], bytes], Subdriver]


def default_opener(options: Mapping[str, str]) -> HidTransport:
    return open_transport(options)


def default_selector(device: DeviceInfo, options: Mapping[str, str], raw: bytes) -> Subdriver:
    return select_subdriver(device, options, raw).subdriver


def usages_of(subdriver: Subdriver) -> UsageTable:
    """The subdriver's vendor usages, chained to the standard tables."""
    return subdriver.usages.chained(STANDARD)


class HidProtocol:
    """The driver core's :class:`hidups.driver.protocol.DeviceProtocol` for HID UPSes."""

    name = "hid"

    def __init__(self, opener: Opener = default_opener, selector: Selector = default_selector,
                 *, upsname: str = "ups", clock: Callable[[], float] = time.monotonic) -> None:
        self.opener = opener
        self.selector = selector
        self.upsname = upsname
        self.clock = clock

    def open(self, options: Mapping[str, str], *, user_options: Mapping[str, str],
             previous: HidSession | None) -> HidSession:
        """Open the device ``options`` match; on reconnect, keep ``previous``'s subdriver."""
        transport = self.opener(options)
        try:
            return self._session(transport, user_options, previous)
        except BaseException:
            with contextlib.suppress(Exception):
                transport.close()
            raise

    def _session(self, transport: HidTransport, user_options: Mapping[str, str],
                 previous: HidSession | None) -> HidSession:
        device = transport.info
        raw = bytes(transport.report_descriptor())
        carry = previous.handover() if previous is not None else None
        if previous is not None:
            subdriver = previous.subdriver
        else:
            subdriver = self.selector(device, user_options, raw)
        if carry is not None and carry.raw_descriptor == raw:
            desc = carry.desc  # already fixed up
        else:
            desc = ReportDescriptor.from_bytes(raw)
        session = HidSession(transport, subdriver, raw, desc, usages_of(subdriver),
                             user_options, upsname=self.upsname, carry=carry,
                             clock=self.clock)
        if desc is not (carry.desc if carry is not None else None) and (
                "disable_fix_report_desc" not in session.options):
            for line in subdriver.fix_report_desc(device, desc, session.options):
                log.info("descriptor fix-up: %s", line)
        return session

    def reconnect_options(self, options: Mapping[str, str],
                          device: DeviceInfo | None) -> list[dict[str, str]]:
        """Matching options for the lost unit, most specific first.

        NUT's exact matcher: the user's options plus VID, PID and the vendor, product and
        serial strings. A unit without a serial number cannot be told from an identical
        neighbour that way, so the same USB port is asked for first, then any port.
        """
        opts = dict(options)
        if device is None:
            return [opts]
        opts["vendorid"] = f"{device.vendor_id:04x}"
        opts["productid"] = f"{device.product_id:04x}"
        for key, value in (("vendor", device.manufacturer), ("product", device.product),
                           ("serial", device.serial)):
            if value is not None:
                opts[key] = re.escape(value.strip())
        if not (device.serial or "").strip() and device.port_path:
            return [{**opts, "port_path": re.escape(device.port_path)}, opts]
        return [opts]
