"""The udev rule line that gives the driver access to one VID:PID.

Same shape as the lines of NUT's generated ``nut-usbups.rules`` (Debian:
``/lib/udev/rules.d/62-nut-usbups.rules``), so an "access denied" message can print
exactly the line that fixes it.
"""

from __future__ import annotations

#: Group and mode NUT's packaged rules give the device node.
DEFAULT_GROUP = "nut"
DEFAULT_MODE = "664"


def udev_rule(vendor_id: int, product_id: int, *, group: str = DEFAULT_GROUP,
              mode: str = DEFAULT_MODE) -> str:
    """``SUBSYSTEM=="usb", ATTR{idVendor}=="051d", ATTR{idProduct}=="0002", ...``."""
    return (f'SUBSYSTEM=="usb", ATTR{{idVendor}}=="{vendor_id:04x}", '
            f'ATTR{{idProduct}}=="{product_id:04x}", MODE="{mode}", GROUP="{group}"')


def access_hint(vendor_id: int, product_id: int) -> str:
    """Two lines telling the user how to grant access."""
    return ("add this line to /etc/udev/rules.d/62-hidups.rules, then run "
            "'udevadm control --reload-rules && udevadm trigger' and re-plug the device:\n"
            f"  {udev_rule(vendor_id, product_id)}")
