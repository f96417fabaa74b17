"""``hidups serve``: NUT's network protocol and OpenMetrics for every UPS on the host."""
