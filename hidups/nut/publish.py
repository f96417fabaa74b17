"""The variables NUT's driver core publishes, for the engine to put into its DState.

NUT 2.8.0's ``main.c`` publishes ``device.type``, ``driver.name``, ``driver.version``,
``driver.version.internal``, ``driver.parameter.<option>`` for every valued option
the user set (``port`` included), ``driver.flag.<flag>`` = ``enabled`` for every flag,
and always ``driver.parameter.pollinterval`` and ``driver.parameter.synchronous``;
usbhid-ups adds ``driver.parameter.pollfreq``. After the first update it copies
``ups.mfr``/``ups.model``/``ups.serial`` to ``device.*``.

Newer NUT (and hidups, which implements the socket commands they need) also publishes
the writable ``driver.flag.allow_killpower`` and ``driver.debug``, ``driver.state``,
and the ``driver.killpower`` / ``driver.reload*`` instant commands.
"""

from __future__ import annotations

from hidups import __version__
from hidups.nut.dstate import IMMUTABLE, DState
from hidups.nut.options import Kind, Publish, find_option
from hidups.nut.shared import ALLOW_KILLPOWER, RELOAD_COMMANDS
from hidups.nut.upsconf import PROGNAME, DriverOptions

#: Instant commands the driver core itself answers (see :mod:`hidups.nut.shared`).
CORE_COMMANDS = ("driver.killpower", *RELOAD_COMMANDS)


def publish_core(
    dstate: DState,
    options: DriverOptions,
    *,
    version_internal: str,
    debug_level: int = 0,
    progname: str = PROGNAME,
) -> None:
    """Put everything the driver core publishes into ``dstate``."""
    dstate.set("device.type", "ups")
    dstate.set("driver.name", progname)
    dstate.set("driver.version", __version__)
    dstate.set("driver.version.internal", version_internal)
    publish_options(dstate, options)
    dstate.set(ALLOW_KILLPOWER, "1" if options.flag("allow_killpower") else "0")
    dstate.set_flags(ALLOW_KILLPOWER, "RW", "NUMBER")
    dstate.set("driver.debug", str(debug_level))
    dstate.set_flags("driver.debug", "RW", "NUMBER")
    for command in CORE_COMMANDS:
        dstate.add_cmd(command)


def publish_options(dstate: DState, options: DriverOptions) -> None:
    """``driver.parameter.*`` and ``driver.flag.*`` as NUT's core shows them."""
    for name, value in options.values.items():
        option = find_option(name)
        if option is None or option.publish is Publish.NO:
            continue
        if option.kind is Kind.FLAG:
            dstate.set(f"driver.flag.{option.name}", "enabled")
        else:
            dstate.set(f"driver.parameter.{option.name}", value)
    for name in ("pollinterval", "synchronous", "pollfreq"):
        effective = options.get(name)
        if effective is not None:
            dstate.set(f"driver.parameter.{name}", effective)


def apply_overrides(dstate: DState, options: DriverOptions) -> None:
    """``override.X``: set and frozen (IMMUTABLE), so the device never changes them."""
    for name, value in options.overrides.items():
        dstate.set(name, value)
        dstate.set_flags(name, IMMUTABLE)


def copy_device_identity(dstate: DState) -> None:
    """NUT's transition copy ``ups.mfr/model/serial`` → ``device.mfr/model/serial``."""
    for field in ("mfr", "model", "serial"):
        value = dstate.get(f"ups.{field}")
        if value is not None:
            dstate.set(f"device.{field}", value)
