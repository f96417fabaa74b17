"""NUT's driver side: the socket upsd connects to, the variable tree, ups.conf,
the command line, paths and the PID lock. See docs/nut-protocol.md."""
