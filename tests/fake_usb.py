"""A pyusb backend (``usb.backend.IBackend``) that serves captures as USB devices.

pyusb's real ``usb.core`` runs on top of it (the seam pyusb's own tests use), so the
pyusb transport is tested unchanged, with no hardware: descriptors, strings,
GET/SET_REPORT, interrupt reads, stalls, disconnects, permission and busy errors.
Every control transfer is logged, so tests can check the requests against NUT's table.
"""

from __future__ import annotations

import array
import errno
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import usb.backend
import usb.core

from hidups.capture import Capture
from hidups.descriptor.model import ReportType

LIBUSB = {"IO": (-1, errno.EIO), "ACCESS": (-3, errno.EACCES), "NO_DEVICE": (-4, errno.ENODEV),
          "NOT_FOUND": (-5, errno.ENOENT), "BUSY": (-6, errno.EBUSY),
          "TIMEOUT": (-7, errno.ETIMEDOUT), "PIPE": (-9, errno.EPIPE)}


def usb_error(name: str) -> usb.core.USBError:
    code, err = LIBUSB[name]
    cls = usb.core.USBTimeoutError if name == "TIMEOUT" else usb.core.USBError
    return cls(f"LIBUSB_ERROR_{name}", code, err)


@dataclass
class FakeDevice:
    """One emulated device; flags switch on the failure modes."""

    capture: Capture
    bus: int = 1
    address: int = 2
    ports: tuple[int, ...] = (1,)
    denied: bool = False  # open → ACCESS
    busy: bool = False  # claim → BUSY
    kernel_driver: bool = True  # usbhid bound until detached
    gone: bool = False  # every operation → NO_DEVICE
    string_failures: int = 0  # the next N string requests fail with IO
    descriptor_at_index: dict[int, bytes] = field(default_factory=dict)
    interrupts: list[bytes] = field(default_factory=list)
    interrupt_stall: bool = False
    control_log: list[tuple[int, int, int, int, int]] = field(default_factory=list)
    claimed: set[int] = field(default_factory=set)
    detached: int = 0
    altsettings: list[tuple[int, int]] = field(default_factory=list)
    cleared_halts: list[int] = field(default_factory=list)
    state: dict[tuple[int, int], bytes] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for (rtype, rid), data in self.capture.initial_reports().items():
            self.state[(rtype.request_value, rid)] = data
        if not self.descriptor_at_index and self.capture.descriptor is not None:
            self.descriptor_at_index = {0: self.capture.descriptor}

    # descriptor objects ------------------------------------------------------------

    def device_descriptor(self) -> SimpleNamespace:
        info, usb_layout = self.capture.device, self.capture.usb
        return SimpleNamespace(
            bLength=18, bDescriptorType=1, bcdUSB=0x0110, bDeviceClass=0,
            bDeviceSubClass=0, bDeviceProtocol=0, bMaxPacketSize0=8,
            idVendor=info.vendor_id, idProduct=info.product_id, bcdDevice=info.bcd_device,
            iManufacturer=usb_layout.imanufacturer, iProduct=usb_layout.iproduct,
            iSerialNumber=usb_layout.iserial, bNumConfigurations=1, address=self.address,
            bus=self.bus, port_number=self.ports[-1], port_numbers=self.ports, speed=1)

    def hid_descriptor(self, index: int = 0) -> bytes:
        length = len(self.descriptor_at_index.get(index, b""))
        return bytes([9, 0x21, 0x11, 0x01, 0, 1, 0x22, length & 0xFF, length >> 8])


class FakeBackend(usb.backend.IBackend):  # type: ignore[misc]
    """Serves FakeDevices to pyusb."""

    def __init__(self, *devices: FakeDevice) -> None:
        self.devices = list(devices)

    def _check(self, dev: FakeDevice) -> None:
        if dev.gone:
            raise usb_error("NO_DEVICE")

    def enumerate_devices(self) -> Any:
        return iter(self.devices)

    def get_device_descriptor(self, dev: FakeDevice) -> SimpleNamespace:
        return dev.device_descriptor()

    def get_configuration_descriptor(self, dev: FakeDevice, config: int) -> SimpleNamespace:
        if config != 0:
            raise usb_error("NOT_FOUND")
        return SimpleNamespace(bLength=9, bDescriptorType=2, wTotalLength=34, bNumInterfaces=1,
                               bConfigurationValue=1, iConfiguration=0, bmAttributes=0xA0,
                               bMaxPower=50, extra_descriptors=[])

    def get_interface_descriptor(self, dev: FakeDevice, intf: int, alt: int,
                                 config: int) -> SimpleNamespace:
        if intf != 0 or alt != 0:
            raise IndexError("no such interface")
        return SimpleNamespace(bLength=9, bDescriptorType=4, bInterfaceNumber=0,
                               bAlternateSetting=0, bNumEndpoints=1, bInterfaceClass=3,
                               bInterfaceSubClass=0, bInterfaceProtocol=0, iInterface=0,
                               extra_descriptors=list(dev.hid_descriptor(0)))

    def get_endpoint_descriptor(self, dev: FakeDevice, ep: int, intf: int, alt: int,
                                config: int) -> SimpleNamespace:
        return SimpleNamespace(bLength=7, bDescriptorType=5,
                               bEndpointAddress=0x80 | dev.capture.usb.ep_in, bmAttributes=3,
                               wMaxPacketSize=8, bInterval=10, bRefresh=0, bSynchAddress=0,
                               extra_descriptors=[])

    def open_device(self, dev: FakeDevice) -> FakeDevice:
        self._check(dev)
        if dev.denied:
            raise usb_error("ACCESS")
        return dev

    def close_device(self, handle: FakeDevice) -> None:
        pass

    def get_configuration(self, handle: FakeDevice) -> int:
        self._check(handle)
        return 1

    def set_configuration(self, handle: FakeDevice, config_value: int) -> None:
        pass

    def claim_interface(self, handle: FakeDevice, intf: int) -> None:
        self._check(handle)
        if handle.busy or handle.kernel_driver:
            raise usb_error("BUSY")
        handle.claimed.add(intf)

    def set_interface_altsetting(self, handle: FakeDevice, intf: int, altsetting: int) -> None:
        handle.altsettings.append((intf, altsetting))

    def release_interface(self, handle: FakeDevice, intf: int) -> None:
        handle.claimed.discard(intf)

    def is_kernel_driver_active(self, handle: FakeDevice, intf: int) -> bool:
        self._check(handle)
        return handle.kernel_driver

    def detach_kernel_driver(self, handle: FakeDevice, intf: int) -> None:
        if not handle.kernel_driver:
            raise usb_error("NOT_FOUND")
        handle.kernel_driver = False
        handle.detached += 1

    def clear_halt(self, handle: FakeDevice, ep: int) -> None:
        handle.cleared_halts.append(ep)

    def intr_read(self, handle: FakeDevice, ep: int, intf: int, buff: array.array[int],
                  timeout: int) -> int:
        self._check(handle)
        if ep != 0x80 | handle.capture.usb.ep_in:
            raise usb_error("PIPE")
        if handle.interrupt_stall:
            handle.interrupt_stall = False
            raise usb_error("PIPE")
        if not handle.interrupts:
            raise usb_error("TIMEOUT")
        data = handle.interrupts.pop(0)[:len(buff)]
        buff[:len(data)] = array.array("B", data)
        return len(data)

    def ctrl_transfer(self, handle: FakeDevice, bmRequestType: int, bRequest: int,
                      wValue: int, wIndex: int, data: array.array[int], timeout: int) -> int:
        self._check(handle)
        handle.control_log.append((bmRequestType, bRequest, wValue, wIndex, len(data)))
        if bmRequestType & 0x80:
            answer = self._answer(handle, bmRequestType, bRequest, wValue, wIndex)
            answer = answer[:len(data)]
            data[:len(answer)] = array.array("B", answer)
            return len(answer)
        self._write(handle, bmRequestType, bRequest, wValue, wIndex, bytes(data))
        return len(data)

    def _answer(self, dev: FakeDevice, rtype: int, request: int, value: int, index: int
                ) -> bytes:
        kind, low = value >> 8, value & 0xFF
        if rtype == 0x80 and request == 0x06 and kind == 0x03:
            if dev.string_failures > 0:
                dev.string_failures -= 1
                raise usb_error("IO")
            if low == 0:
                return bytes([4, 3, 0x09, 0x04])
            text = dev.capture.strings.get(low)
            if text is None:
                raise usb_error("PIPE")
            encoded = text.encode("utf-16-le")
            return bytes([2 + len(encoded), 3]) + encoded
        if rtype == 0x81 and request == 0x06 and kind == 0x21:
            if low not in dev.descriptor_at_index:
                raise usb_error("PIPE")
            return dev.hid_descriptor(low)
        if rtype == 0x81 and request == 0x06 and kind == 0x22:
            if low not in dev.descriptor_at_index:
                raise usb_error("PIPE")
            return dev.descriptor_at_index[low]
        if rtype == 0xA1 and request == 0x01 and index == dev.capture.usb.interface:
            report = dev.state.get((kind, low))
            if report is None:
                raise usb_error("PIPE")
            return report if low else report[1:]  # no ID byte on the wire for ID 0
        raise usb_error("PIPE")

    def _write(self, dev: FakeDevice, rtype: int, request: int, value: int, index: int,
               payload: bytes) -> None:
        if rtype == 0x21 and request == 0x09 and index == dev.capture.usb.interface:
            kind, rid = value >> 8, value & 0xFF
            if (kind, rid) not in dev.state:
                raise usb_error("PIPE")
            dev.state[(kind, rid)] = payload if rid else b"\x00" + payload
            return
        raise usb_error("PIPE")


def feature(rid: int) -> tuple[int, int]:
    """State key of a feature report."""
    return (ReportType.FEATURE.request_value, rid)
