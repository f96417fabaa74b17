"""The Q* device protocol of the driver core: nutdrv_qx's job behind the core's interface.

:class:`QxDeviceProtocol` opens a link (a USB bridge or a serial port, or a recorded
conversation for ``port=replay:FILE``), detects the protocol as nutdrv_qx does (or
takes ``protocol=``), and gives the core a :class:`QxDriverSession`: the same update
loop, socket, status commit, stale and reconnect as for HID UPSes.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hidups.capture.qx_capture import QxCaptureReplay, is_qx_capture, qx_capture_from_doc
from hidups.device import DeviceInfo
from hidups.driver.protocol import Action, Publisher, StatusReport, WalkMode, WalkOutcome
from hidups.driver.settings import Settings
from hidups.errors import (
    CaptureError,
    CommandError,
    CommandStatus,
    DeviceGone,
    DeviceNotFound,
    ProtocolError,
    TransportError,
)
from hidups.qx.items import Query, QxProtocol
from hidups.qx.registry import detect
from hidups.qx.replay import CaptureQuery
from hidups.qx.session import QxSession, WalkResult
from hidups.transport.qx_link import QxLink, as_query, is_link_lost, open_qx_link

log = logging.getLogger(__name__)

#: nutdrv_qx's version, for ``driver.version.internal`` (NUT 2.8.5).
QX_DRIVER_VERSION = "0.49"
REPLAY_PREFIX = "replay:"


@contextlib.contextmanager
def link_lost_is_gone() -> Iterator[None]:
    """A bridge that went away is :class:`DeviceGone`, which the core reconnects on."""
    try:
        yield
    except TransportError as exc:
        if is_link_lost(exc):
            raise DeviceGone(str(exc)) from exc
        raise


def replay_query(path: str) -> tuple[Query, DeviceInfo]:
    """A recorded Q* conversation (``captures/qx/*.json``) as a device."""
    file = Path(path)
    if not file.is_file():
        raise DeviceNotFound(f"{path}: no such Q* capture (port = replay:FILE)")
    try:
        doc = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CaptureError(f"not a Q* capture: {exc}", source=path) from exc
    if not isinstance(doc, dict):
        raise CaptureError("not a Q* capture: the top level is not an object", source=path)
    if is_qx_capture(doc):  # hidups' own Q* format (docs/capture-format.md)
        ours = qx_capture_from_doc(doc, path)
        return QxCaptureReplay(ours.exchanges), ours.info
    usb = doc.get("usb") if isinstance(doc.get("usb"), dict) else {}
    assert isinstance(usb, dict)

    def hex_id(key: str) -> int:
        text = str(usb.get(key) or doc.get(key) or "0")
        try:
            return int(text, 16)
        except ValueError:
            return 0

    info = DeviceInfo(hex_id("vendorid"), hex_id("productid"),
                      manufacturer=usb.get("manufacturer"), product=usb.get("product"),
                      serial=usb.get("serial"))
    return CaptureQuery(doc, file.name), info


@dataclass(frozen=True, slots=True)
class QxRequest:
    """An INSTCMD or SET for nutdrv_qx's own command path, which checks it itself."""

    kind: str  # "instcmd" or "setvar"
    value: str | None


class QxDriverSession:
    """One connection to a Q* UPS, as a :class:`hidups.driver.protocol.Session`."""

    def __init__(self, link: QxLink | None, query: Query, protocol: QxProtocol,
                 device: DeviceInfo, user_options: Mapping[str, str], *,
                 clock: Callable[[], float] = time.time) -> None:
        self.link = link
        self.query = query
        self.protocol = protocol
        self._device = device
        self.options: Mapping[str, str] = {}
        self.settings = Settings()
        self.configure(user_options)
        self.qx = QxSession(protocol, query, self.options, clock)
        self._out: Publisher | None = None
        self._last: WalkResult | None = None
        self._committed: WalkResult | None = None  # the last walk whose status query worked
        #: the last walk was a successful FULL one: only then does nutdrv_qx commit
        #: ups.alarm (alarm_init .. alarm_commit); INIT and QUICK walks leave it alone
        self._last_full = False
        self._published: dict[str, str] = {}

    @property
    def device(self) -> DeviceInfo:
        return self._device

    @property
    def version_data(self) -> str:
        return self.protocol.version

    def configure(self, user_options: Mapping[str, str]) -> Mapping[str, str]:
        """nutdrv_qx has no subdriver defaults: the user's options are the options."""
        settings = Settings.from_options({**user_options, "pollonly": ""})
        self.options, self.settings = dict(user_options), settings
        return self.options

    # --- publishing -------------------------------------------------------------------

    def _publish(self, result: WalkResult) -> None:
        out = self._publisher()
        for name, value in result.values.items():
            if name.startswith("driver.") or self._published.get(name) == value:
                continue
            out.publish(name, value)
            self._published[name] = value
        for name in result.deleted:
            self._published.pop(name, None)
            out.delete(name)
        self._last = result
        if result.ok:
            self._committed = result

    def _publisher(self) -> Publisher:
        if self._out is None:
            raise RuntimeError("the session has not been started")
        return self._out

    def start(self, publisher: Publisher, *, first: bool) -> WalkOutcome:
        """``upsdrv_initinfo``: values, writable variables with their enums and ranges,
        the commands."""
        self._out = publisher
        if self.link is not None and uses_usb_ids(self._device):
            # nutdrv_qx's upsdrv_initups sets these for a USB bridge (not a serial port)
            publisher.publish("ups.vendorid", f"{self._device.vendor_id:04x}")
            publisher.publish("ups.productid", f"{self._device.product_id:04x}")
        with link_lost_is_gone():
            result = self.qx.init()
        if not result.ok:
            # upsdrv_initinfo: fatalx "Can't initialise data from the UPS"; on a reconnect
            # the core counts it as a failed attempt and tries again
            raise ProtocolError("Can't initialise data from the UPS (the status query "
                                f"of protocol {self.protocol.name} failed)")
        self._last_full = False
        self._publish(result)
        for name, info in result.rw.items():
            if info.flags:
                publisher.set_flags(name, *info.flags)
            if info.length:
                publisher.set_aux(name, info.length)
            for value in info.enum:
                publisher.add_enum(name, value)
            for low, high in info.range:
                publisher.add_range(name, low, high)
        for name in result.commands:
            publisher.add_cmd(name)
        return WalkOutcome(fresh=result.ok, why="" if result.ok else "the status query failed")

    def walk(self, mode: WalkMode, *, data_changed: bool) -> WalkOutcome:
        full = mode is WalkMode.FULL or self.qx.data_has_changed
        with link_lost_is_gone():
            result = self.qx.walk(full=full)
        self._last_full = full and result.ok
        self._publish(result)
        return WalkOutcome(fresh=result.ok, why="" if result.ok else "the status query failed")

    def status(self, mode: WalkMode | None) -> StatusReport:
        """nutdrv_qx commits the status after every walk whose status query worked (after
        a failed one it stays as it was: no bit from half an answer), and ups.alarm only
        after a FULL one (the alarms an INIT or QUICK walk sets are never published)."""
        result = self._committed
        if result is None:
            return StatusReport([])
        return StatusReport(list(result.status),
                            list(result.alarms) if self._last_full else None,
                            buzzwords=list(result.buzzwords))

    # --- commands ---------------------------------------------------------------------

    def has_command(self, name: str) -> bool:
        last = self._last
        return last is not None and (name in last.commands or name in last.rw)

    def plan_command(self, name: str, param: str | None) -> Action:
        """nutdrv_qx checks a command's value itself, before anything is sent."""
        return Action(name, param if param is not None else "", QxRequest("instcmd", param))

    def plan_setvar(self, name: str, value: str) -> Action:
        if self._last is None or name not in self._last.rw:
            raise CommandError(CommandStatus.UNKNOWN, f"{name} is not writable")
        return Action(name, value, QxRequest("setvar", value))

    def execute(self, action: Action) -> bool:
        request = action.payload
        if not isinstance(request, QxRequest):
            raise TypeError(f"not a Q* action: {action!r}")
        kind = request.kind
        with link_lost_is_gone():
            if kind == "instcmd":
                status = self.qx.instcmd(action.name, request.value)
            else:
                status = self.qx.setvar(action.name, request.value or "")
        if status is not CommandStatus.HANDLED:
            raise CommandError(status, f"{action.name}: {status.name}")
        if kind == "setvar":  # the value nutdrv_qx keeps now (delays are kept locally)
            current = self.qx.engine.getinfo(action.name)
            if current is not None:
                self._publisher().publish(action.name, current)
                self._published[action.name] = current
        return True

    def killpower(self) -> bool | None:
        """``upsdrv_shutdown`` of nutdrv_qx (its own order, not usbhid-ups')."""
        return self.qx.killpower()

    # --- no event source: Q* UPSes are polled ---------------------------------------

    def start_events(self, on_event: Callable[[Any, bytes], None],
                     on_error: Callable[[Any, Exception], None]) -> None:
        return None

    def read_event_once(self) -> bytes | None:
        return None

    def apply_event(self, data: bytes) -> None:
        return None

    def events_silent(self) -> bool:
        return False

    def close(self) -> None:
        if self.link is not None:
            self.link.close()


class QxDeviceProtocol:
    """The driver core's :class:`hidups.driver.protocol.DeviceProtocol` for Q* UPSes."""

    name = "qx"

    def __init__(self, *, clock: Callable[[], float] = time.time,
                 opener: Callable[[Mapping[str, str]], QxLink] = open_qx_link,
                 defaults: Mapping[str, str] | None = None,
                 overrides: Mapping[str, str] | None = None) -> None:
        self.clock = clock
        self.opener = opener
        #: ups.conf's ``default.X``/``override.X``: nutdrv_qx reads them back through
        #: dstate_getinfo (``default.battery.packs`` scales battery.voltage), so the Q*
        #: tables must see them, not only the published tree
        self.variables = {**{f"default.{k}": v for k, v in (defaults or {}).items()},
                          **{f"override.{k}": v for k, v in (overrides or {}).items()}}

    def open(self, options: Mapping[str, str], *, user_options: Mapping[str, str],
             previous: QxDriverSession | None) -> QxDriverSession:
        port = options.get("port", "auto")
        link: QxLink | None = None
        if port.startswith(REPLAY_PREFIX):
            query, info = replay_query(port[len(REPLAY_PREFIX):])
        else:
            link = self.opener(options)
            query, info = as_query(link), link.info
        qx_options = {**user_options, **self.variables}
        try:
            # NUT keeps the protocol across a reconnect; else probe (or take protocol=)
            protocol = previous.protocol if previous is not None else detect(query, qx_options)
            log.info("Q* protocol %s (%s)", protocol.name, protocol.version)
            return QxDriverSession(link, query, protocol, info, qx_options, clock=self.clock)
        except BaseException:
            if link is not None:
                link.close()
            raise

    def reconnect_options(self, options: Mapping[str, str],
                          device: DeviceInfo | None) -> list[dict[str, str]]:
        """The user's options plus the lost unit's IDs and strings (NUT's reopen)."""
        opts = dict(options)
        if device is None or not uses_usb_ids(device):
            return [opts]
        opts["vendorid"] = f"{device.vendor_id:04x}"
        opts["productid"] = f"{device.product_id:04x}"
        for key, value in (("vendor", device.manufacturer), ("product", device.product),
                           ("serial", device.serial)):
            if value:
                opts[key] = re.escape(value.strip())
        return [opts]


def uses_usb_ids(device: DeviceInfo) -> bool:
    """A USB device has IDs; a serial port or a replay has none worth matching."""
    return bool(device.vendor_id or device.product_id)

