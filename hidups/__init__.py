"""hidups: a USB HID UPS driver that speaks NUT's driver protocol."""

__version__ = "0.1.0"
