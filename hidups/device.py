"""Who a device is: the identity that matching, claims and captures share."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class DeviceInfo:
    """A USB HID device's identity, as NUT's ``USBDevice_t`` holds it.

    Strings are ``None`` when the device has none (NUT matches them as ``""``).
    ``port_path`` is the physical USB port chain (``"1-4.2"``), which tells several
    identical UPSes apart even without serial numbers.
    """

    vendor_id: int
    product_id: int
    manufacturer: str | None = None
    product: str | None = None
    serial: str | None = None
    bus: int = 0
    address: int = 0
    port_path: str = ""
    bcd_device: int = 0

    @property
    def vidpid(self) -> str:
        """``"051d:0002"``."""
        return f"{self.vendor_id:04x}:{self.product_id:04x}"
