"""HID Power Device Class: the first device protocol of the driver core."""
