"""hid2nut."""
