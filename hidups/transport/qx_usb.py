"""Q* UPSes behind a USB-serial bridge: open one, then send text commands through it.

``open_qx_usb(options)`` is nutdrv_qx's USB start-up (NUT 2.8.5 ``upsdrv_initups``):
the matching options of :mod:`hidups.transport.matching` first, then either the
``subdriver=`` framing or the one ``qx_usb_id`` gives the device; ``langid_fix`` and
``noscanlangid`` as NUT reads them. The link it returns sends one command at a time
with that bridge's framing (:mod:`hidups.transport.qx_framing`,
:mod:`hidups.transport.qx_strings`).

For the Q* protocol layer a link is a ``Query``:
``lambda cmd: link.command(cmd)``; :func:`as_query` also turns a timeout into None.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

import usb.core

from hidups.device import DeviceInfo
from hidups.errors import (
    AccessDenied,
    ConfigError,
    DeviceNotFound,
    Disconnected,
    ProtocolError,
    TransportError,
)
from hidups.transport import qx_framing, qx_strings
from hidups.transport.matching import DeviceMatcher, same_device
from hidups.transport.pyusb_backend import (
    PyUsbTransport,
    UsbParams,
    find_devices,
    identity,
    load_backend,
    map_usb_error,
    port_path,
)
from hidups.transport.qx_framing import QxState, is_stall
from hidups.transport.qx_match import bridge_for, forced_bridge, parse_langid_fix

log = logging.getLogger("hidups.transport.qx")

#: bridge name → framing, NUT's ``usbsubdriver[]``.
FRAMINGS: dict[str, Callable[[QxState, bytes], bytes]] = {
    "cypress": qx_framing.cypress,
    "phoenixtec": qx_framing.phoenixtec,
    "phoenix": qx_framing.phoenix,
    "ippon": qx_framing.ippon,
    "krauler": qx_strings.krauler,
    "fabula": qx_strings.fabula,
    "hunnox": qx_strings.hunnox,
    "fuji": qx_framing.fuji,
    "sgs": qx_framing.sgs,
    "snr": qx_strings.snr,
    "ablerex": qx_framing.ablerex,
    "armac": qx_framing.armac,
    "gtec": qx_framing.gtec,
}


class PyUsbIo:
    """:class:`hidups.transport.qx_framing.UsbIo` on a pyusb device."""

    def __init__(self, dev: Any, info: DeviceInfo) -> None:
        self.dev = dev
        self.info = info

    def _fail(self, exc: usb.core.USBError, what: str) -> TransportError:
        return map_usb_error(exc, what, self.info)

    def control_out(self, request_type: int, request: int, value: int, index: int,
                    data: bytes, timeout_ms: int) -> int:
        try:
            return int(self.dev.ctrl_transfer(request_type, request, value, index, data,
                                              timeout_ms))
        except usb.core.USBError as exc:
            raise self._fail(exc, f"control request 0x{request_type:02x}/0x{request:02x} "
                                  f"wValue 0x{value:04x}") from exc

    def control_in(self, request_type: int, request: int, value: int, index: int,
                   length: int, timeout_ms: int) -> bytes:
        try:
            return bytes(self.dev.ctrl_transfer(request_type, request, value, index, length,
                                                timeout_ms))
        except usb.core.USBError as exc:
            raise self._fail(exc, f"control request 0x{request_type:02x}/0x{request:02x} "
                                  f"wValue 0x{value:04x}") from exc

    def interrupt_read(self, endpoint: int, length: int, timeout_ms: int) -> bytes:
        try:
            return bytes(self.dev.read(endpoint, length, timeout_ms))
        except usb.core.USBError as exc:
            raise self._fail(exc, f"interrupt read from 0x{endpoint:02x}") from exc
        except ValueError as exc:  # pyusb: no such endpoint in the interface
            raise ProtocolError(f"[{self.info.vidpid}] no endpoint 0x{endpoint:02x}: "
                                f"{exc}") from exc

    def interrupt_write(self, endpoint: int, data: bytes, timeout_ms: int) -> int:
        try:
            return int(self.dev.write(endpoint, data, timeout_ms))
        except usb.core.USBError as exc:
            raise self._fail(exc, f"interrupt write to 0x{endpoint:02x}") from exc
        except ValueError as exc:
            raise ProtocolError(f"[{self.info.vidpid}] no endpoint 0x{endpoint:02x}: "
                                f"{exc}") from exc

    def clear_halt(self, endpoint: int) -> None:
        try:
            self.dev.clear_halt(endpoint)
        except usb.core.USBError as exc:
            raise self._fail(exc, f"clearing the stall of 0x{endpoint:02x}") from exc

    def endpoints(self) -> list[tuple[int, int, int]] | None:
        try:
            cfg = self.dev.get_active_configuration()
            settings = list(cfg)
        except (usb.core.USBError, NotImplementedError) as exc:
            log.debug("no active configuration: %s", exc)
            return None
        if cfg.bNumInterfaces != 1 or len(settings) != 1:
            return None
        return [(ep.bEndpointAddress, ep.bmAttributes, ep.wMaxPacketSize)
                for ep in settings[0]]


class QxUsbLink:
    """A Q* UPS behind a USB bridge. One command at a time; ``close`` waits for the
    command in progress and later commands raise :class:`Disconnected`."""

    def __init__(self, claim: PyUsbTransport | None, io: qx_framing.UsbIo, info: DeviceInfo,
                 bridge: str, options: Mapping[str, str],
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.info = info
        self.bridge = bridge
        self._claim = claim
        self._io = io
        self._framing = FRAMINGS[bridge]
        self._state = QxState(io=io, langid_fix=parse_langid_fix(options),
                              novendor="novendor" in options, sleep=sleep)
        self._lock = threading.Lock()
        self._closed = False

    def command(self, cmd: bytes, timeout: float | None = None) -> bytes:
        """``timeout`` replaces NUT's 1000 ms answer-read timeout (None keeps it)."""
        if not isinstance(cmd, (bytes, bytearray)):
            raise TypeError(f"a Q* command is bytes, not {type(cmd).__name__}")
        with self._lock:
            if self._closed:
                raise Disconnected(f"{self.bridge} link to {self.info.vidpid} is closed")
            self._state.read_timeout_ms = 1000 if timeout is None else max(1, round(
                timeout * 1000))
            try:
                return self._framing(self._state, bytes(cmd))
            except ProtocolError as exc:
                if is_stall(exc):  # NUT's qx_command: clear the IN endpoint's stall
                    try:
                        self._io.clear_halt(0x81)
                    except TransportError as clear_exc:
                        raise Disconnected(f"{exc}; clearing the stall failed too: "
                                           f"{clear_exc}") from clear_exc
                raise

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            if self._claim is not None:
                self._claim.close()

    def __enter__(self) -> QxUsbLink:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _refusal(info: DeviceInfo, why: str) -> str:
    strings = "/".join(s for s in (info.manufacturer, info.product) if s)
    return f"{info.vidpid}{f' ({strings})' if strings else ''}: {why}"


def reopen_qx_usb(link: QxUsbLink, options: Mapping[str, str], *, usb_backend: Any = None,
                  sleep: Callable[[float], None] = time.sleep) -> QxUsbLink:
    """After a disconnect: the same device (IDs and strings, NUT's reopen matcher, on
    top of the regex options) with the same framing; ``link`` is closed first."""
    link.close()
    return open_qx_usb(options, usb_backend=usb_backend, sleep=sleep,
                       _same_as=link.info, _bridge=link.bridge)


def open_qx_usb(options: Mapping[str, str], *, usb_backend: Any = None,
                sleep: Callable[[float], None] = time.sleep,
                _same_as: DeviceInfo | None = None, _bridge: str | None = None) -> QxUsbLink:
    """Open the first Q* bridge matching ``options``, as nutdrv_qx does.

    Raises ConfigError for bad options, DeviceNotFound naming every device seen and
    why it was refused, AccessDenied when the only candidates could not be opened.
    """
    forced = _bridge or forced_bridge(options)
    langid_fix = parse_langid_fix(options)
    if forced == "snr" and langid_fix is None:
        raise ConfigError("subdriver=snr needs langid_fix (e.g. langid_fix=0x0409): NUT "
                          "2.8.5 passes language -1 and exits", option="langid_fix")
    matcher = DeviceMatcher.from_options(options)
    backend = usb_backend if usb_backend is not None else load_backend(options)
    refused: list[str] = []
    denied: list[str] = []
    for dev in find_devices(backend):
        bare = DeviceInfo(dev.idVendor, dev.idProduct, bus=dev.bus or 0,
                          address=dev.address or 0, port_path=port_path(dev),
                          bcd_device=dev.bcdDevice)
        why = matcher.mismatch(bare, without_strings=True)
        if why:
            refused.append(_refusal(bare, why))
            continue
        try:
            info = identity(dev, sleep)
        except AccessDenied:
            denied.append(f"{bare.vidpid} (bus {bare.bus:03d} device {bare.address:03d})")
            continue
        except Disconnected:
            continue
        why = matcher.mismatch(info)
        if not why and _same_as is not None and not same_device(_same_as, info):
            why = f"not the device that was open ({_same_as.vidpid})"
        bridge, reason = (forced, "") if forced else bridge_for(info)
        if why or bridge is None:
            refused.append(_refusal(info, why or reason))
            continue
        claim = PyUsbTransport(dev, info, UsbParams(), options, sleep)
        claim.open()
        io = PyUsbIo(dev, info)
        try:
            _scan_langid(io, langid_fix, options)
        except TransportError:
            claim.close()
            raise
        log.debug("%s: Q* bridge %s", info.vidpid, bridge)
        return QxUsbLink(claim, io, info, bridge, options, sleep)
    lines = ["No supported devices found (nutdrv_qx's bridges)"]
    lines += refused or ["no USB devices found"]
    if denied:
        lines.append("insufficient permissions on " + ", ".join(denied))
        raise AccessDenied("\n".join(lines))
    raise DeviceNotFound("\n".join(lines))


def _scan_langid(io: PyUsbIo, langid_fix: int | None, options: Mapping[str, str]) -> None:
    """NUT's language ID workaround #2: read the language list once and log it.

    NUT skips it when ``getval("noscanlangid")`` is set, and getval() of a flag is
    NULL: a bare ``noscanlangid`` line does not stop the read in NUT 2.8.0 or 2.8.5,
    only ``noscanlangid = <anything>`` does. hidups does the same (flags are "").
    """
    if langid_fix is None or options.get("noscanlangid"):
        return
    langs = io.control_in(0x80, 0x06, 0x0300, 0, 255, 1000)
    if len(langs) >= 4:
        log.info("%s: first supported language ID: 0x%x", io.info.vidpid,
                 langs[2] | langs[3] << 8)
