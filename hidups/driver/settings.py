"""Typed driver settings, built once from ups.conf and ``-x`` options.

NUT reads each option where it is used, each with its own parser (``atoi``,
``strtol``, ``atof``) and its own idea of a bad value. Here every option the driver
core uses is read once, by one parser per kind, and a bad value is one error naming
the option and the value (:class:`hidups.errors.ConfigError`), at start-up or at
reload, never in the middle of a walk.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from hidups.numbers import int_option, number_option

DEFAULT_POLLINTERVAL = 2.0
DEFAULT_POLLFREQ = 30.0
#: Longest period any timer accepts: a day. Python's own sleeps overflow near 2**63 ns.
MAX_PERIOD = 86400.0
#: Most interrupt-IN bytes read at once (NUT's buffer), unless ``interruptsize``.
INTERRUPT_SIZE = 512

@dataclass(frozen=True, slots=True)
class Settings:
    """What the driver core reads from the options (the device protocol reads its own)."""

    pollinterval: float = DEFAULT_POLLINTERVAL
    pollfreq: float = DEFAULT_POLLFREQ
    use_interrupts: bool = True
    interrupt_only: bool = False
    interrupt_size: int = INTERRUPT_SIZE
    no_events_tolerance: int = -1
    reconnect_max_tries: int = -1
    waitbeforereconnect: float = 0.0
    sdcommands: tuple[str, ...] = ()
    ignorelb: bool = False

    @classmethod
    def from_options(cls, options: Mapping[str, str]) -> Settings:
        """Read and check every core option; the first bad one is a ConfigError."""
        size = INTERRUPT_SIZE
        if "interruptsize" in options:
            size = int_option(options, "interruptsize", INTERRUPT_SIZE, low=1)
            size = min(size, INTERRUPT_SIZE)
        sd = options.get("sdcommands") or ""
        return cls(
            pollinterval=number_option(options, "pollinterval", DEFAULT_POLLINTERVAL,
                                       low=0.001, high=MAX_PERIOD),
            pollfreq=number_option(options, "pollfreq", DEFAULT_POLLFREQ, low=0.0,
                                   high=MAX_PERIOD),
            use_interrupts="pollonly" not in options,
            interrupt_only="interruptonly" in options,
            interrupt_size=size,
            no_events_tolerance=int(number_option(
                options, "interrupt_pipe_no_events_tolerance", -1, high=1e9)),
            reconnect_max_tries=int(number_option(options, "reconnect_max_tries", -1,
                                                  high=1e9)),
            waitbeforereconnect=number_option(options, "waitbeforereconnect", 0.0,
                                              high=MAX_PERIOD),
            sdcommands=tuple(c.strip() for c in sd.split(",") if c.strip()),
            ignorelb="ignorelb" in options,
        )
