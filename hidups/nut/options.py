"""Every ups.conf / ``-x`` option hidups accepts: one table, one row per option.

The table is what ``-h`` prints, what ``-L`` lists, what :mod:`hidups.nut.upsconf`
validates against (an unknown name is an error, never silently ignored) and what
:mod:`hidups.nut.publish` turns into ``driver.parameter.*`` / ``driver.flag.*``.

Sources: NUT's ``drivers/main.c`` (driver core), ``drivers/upsdrvctl.c`` and
``server/conf.c`` (keys read by other NUT programs, accepted and ignored here),
``drivers/libusb1.c`` (``nut_usb_addvars``: USB matching), ``drivers/usbhid-ups.c``
(``upsdrv_makevartable``), plus hidups' own options.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum


class Kind(Enum):
    FLAG = "flag"  # a bare word: ``pollonly``
    VALUE = "value"  # ``key = value``
    EITHER = "flag or value"  # NUT reads the name only (``nowait``)


class Scope(Enum):
    GLOBAL = "global"  # only before the first [section]
    SECTION = "section"  # only inside the UPS's section (or -x)
    BOTH = "both"  # global default, section overrides


class Publish(Enum):
    """How NUT's core shows an option in the variable tree."""

    GIVEN = "given"  # driver.parameter.<name> / driver.flag.<name>, when set
    ALWAYS = "always"  # driver.parameter.<name> with its effective value, even unset
    NO = "no"  # consumed by the core or another program, not shown


class Check(Enum):
    """What a value must look like (see :func:`check_value`)."""

    ANY = "any"
    INT = "integer"
    POSITIVE = "positive integer"
    NONNEGATIVE = "non-negative integer"
    HEX = "hexadecimal number"
    REGEX = "regular expression"
    SYNCHRONOUS = "yes, no or auto"
    BACKEND = "pyusb, hid or replay"


@dataclass(frozen=True)
class Option:
    name: str
    kind: Kind
    default: str | None
    meaning: str
    owner: str  # core, upsdrvctl, upsd, usb, usbhid-ups, nutdrv_qx, hidups
    scope: Scope = Scope.SECTION
    publish: Publish = Publish.GIVEN
    check: Check = Check.ANY
    reloadable: bool = False  # a changed value can be applied on SIGHUP / driver.reload


F, V, E = Kind.FLAG, Kind.VALUE, Kind.EITHER
G, S, B = Scope.GLOBAL, Scope.SECTION, Scope.BOTH
GIVEN, ALWAYS, NO = Publish.GIVEN, Publish.ALWAYS, Publish.NO

OPTIONS: tuple[Option, ...] = (
    # --- read by other NUT programs; accepted here so a shared ups.conf is valid ---------
    Option("driver", V, None, "driver program name (must be hidups)", "upsdrvctl", S, NO),
    Option("desc", V, None, "description shown by upsd", "upsd", S, NO, reloadable=True),
    Option("sdorder", V, None, "shutdown order for upsdrvctl", "upsdrvctl", S, NO, Check.INT,
           reloadable=True),
    Option("maxstartdelay", V, "75", "seconds upsdrvctl waits for start-up", "upsdrvctl", B, NO,
           Check.INT, reloadable=True),
    Option("maxretry", V, "1", "start attempts by upsdrvctl", "upsdrvctl", B, NO, Check.INT,
           reloadable=True),
    Option("retrydelay", V, "5", "seconds between upsdrvctl start attempts", "upsdrvctl", B, NO,
           Check.INT, reloadable=True),
    Option("driverpath", V, "/lib/nut", "where upsdrvctl finds drivers", "upsdrvctl", G, NO,
           reloadable=True),
    Option("nowait", E, None, "upsdrvctl does not wait for drivers to start", "upsdrvctl", G, NO,
           reloadable=True),
    Option("statepath", V, None, "state directory (NUT_STATEPATH wins)", "core", G, NO),
    Option("chroot", V, None, "chroot into this directory after start-up", "core", G, NO),
    # --- driver core (main.c) ------------------------------------------------------------
    Option("port", V, None, "device path; 'auto' for USB devices", "core", S, GIVEN),
    Option("pollinterval", V, "2", "seconds between status polls", "core", B, ALWAYS,
           Check.POSITIVE, reloadable=True),
    Option("synchronous", V, "auto", "blocking socket writes: yes, no or auto", "core", B,
           ALWAYS, Check.SYNCHRONOUS, reloadable=True),
    Option("user", V, "nut", "run as this user after opening the device", "core", B, NO),
    Option("group", V, "nut", "group that may use the driver socket", "core", B, NO),
    Option("debug_min", V, None, "lowest debug level, whatever -D says", "core", B, NO,
           Check.NONNEGATIVE, reloadable=True),
    Option("LIBUSB_DEBUG", V, None, "libusb's own debug level (exported)", "core", B, NO,
           Check.NONNEGATIVE),
    Option("nolock", F, None, "do not lock the device port", "core", S, GIVEN),
    Option("ignorelb", F, None, "ignore the UPS's LB; use battery.*.low instead", "core", S,
           GIVEN),
    Option("allow_killpower", F, None, "allow 'INSTCMD driver.killpower' on the socket",
           "core", S, NO, reloadable=True),
    Option("sdcommands", V, None, "comma-separated instant commands for -k / killpower",
           "core", S, GIVEN, reloadable=True),
    Option("reconnect_max_tries", V, None, "reconnect attempts before giving up", "core", B,
           NO, Check.INT),
    Option("reconnect_report_freq", V, None, "log every Nth failed reconnect", "core", B, NO,
           Check.INT),
    Option("sddelay", V, None, "obsolete; ignored", "core", S, NO, reloadable=True),
    # --- USB device matching (nut_usb_addvars) ---------------------------------------
    Option("vendor", V, None, "regex for the USB manufacturer string", "usb", check=Check.REGEX),
    Option("product", V, None, "regex for the USB product string", "usb", check=Check.REGEX),
    Option("serial", V, None, "regex for the USB serial number", "usb", check=Check.REGEX),
    Option("vendorid", V, None, "regex for the USB vendor ID (4 hex digits)", "usb",
           check=Check.REGEX),
    Option("productid", V, None, "regex for the USB product ID (4 hex digits)", "usb",
           check=Check.REGEX),
    Option("bus", V, None, "regex for the USB bus number (3 digits)", "usb", check=Check.REGEX),
    Option("device", V, None, "regex for the USB device address (3 digits)", "usb",
           check=Check.REGEX),
    Option("busport", V, None, "regex for the USB port number (3 digits)", "usb",
           check=Check.REGEX),
    Option("allow_duplicates", F, None, "if the matched device is busy, try the next match",
           "usb"),
    Option("usb_set_altinterface", V, "0", "call set_interface_alt_setting with this value",
           "usb", check=Check.NONNEGATIVE),
    Option("usb_config_index", V, "0", "USB configuration descriptor index (hex)", "usb",
           check=Check.HEX),
    Option("usb_hid_rep_index", V, "0", "HID interface number (hex)", "usb", check=Check.HEX),
    Option("usb_hid_desc_index", V, "0", "HID report descriptor index (hex)", "usb",
           check=Check.HEX),
    Option("usb_hid_ep_in", V, "1", "interrupt IN endpoint number (hex)", "usb",
           check=Check.HEX),
    Option("usb_hid_ep_out", V, "1", "interrupt OUT endpoint number (hex)", "usb",
           check=Check.HEX),
    # --- usbhid-ups --------------------------------------------------------------------
    Option("subdriver", V, None, "force a subdriver by name or regex", "usbhid-ups"),
    Option("lowbatt", V, None, "battery.charge.low to set, in %", "usbhid-ups",
           check=Check.INT),
    Option("offdelay", V, "20", "ups.delay.shutdown, seconds (CyberPower: 60)", "usbhid-ups",
           check=Check.INT),
    Option("ondelay", V, "30", "ups.delay.start, seconds (CyberPower: 120)", "usbhid-ups",
           check=Check.INT),
    Option("pollfreq", V, "30", "seconds between full updates", "usbhid-ups", S, ALWAYS,
           Check.POSITIVE),
    Option("pollonly", F, None, "do not use the interrupt pipe, only poll", "usbhid-ups"),
    Option("interruptonly", F, None, "do not poll, only use the interrupt pipe", "usbhid-ups"),
    Option("interruptsize", V, None, "bytes to read from the interrupt pipe", "usbhid-ups",
           check=Check.POSITIVE),
    Option("interrupt_pipe_no_events_tolerance", V, "-1",
           "empty interrupt reads in a row before reconnecting (-1: no limit)", "usbhid-ups",
           check=Check.INT),
    Option("onlinedischarge", F, None, "deprecated name of onlinedischarge_onbattery",
           "usbhid-ups"),
    Option("onlinedischarge_onbattery", F, None, "on line but discharging means on battery",
           "usbhid-ups"),
    Option("onlinedischarge_calibration", F, None, "on line but discharging means calibrating",
           "usbhid-ups"),
    Option("onlinedischarge_log_throttle_sec", V, None,
           "log 'discharging while online' at most this often", "usbhid-ups",
           check=Check.INT),
    Option("onlinedischarge_log_throttle_hovercharge", V, "100",
           "only log it while battery.charge is below this", "usbhid-ups", check=Check.INT),
    Option("lbrb_log_delay_sec", V, None, "delay reporting LB or LB+RB by this many seconds",
           "usbhid-ups", check=Check.INT),
    Option("lbrb_log_delay_without_calibrating", F, None,
           "apply lbrb_log_delay_sec even when not calibrating", "usbhid-ups"),
    Option("disable_fix_report_desc", F, None, "do not repair known-broken report descriptors",
           "usbhid-ups"),
    Option("powercom_sdcmd_byte_order_fallback", F, None,
           "legacy byte order for Powercom shutdown commands", "usbhid-ups"),
    Option("powercom_sdcmd_discrete_delay", F, None,
           "Powercom Raptor/Smart KING Pro delay table", "usbhid-ups"),
    Option("explore", F, None, "bind any device matching vendorid and only dump it",
           "usbhid-ups"),
    Option("maxreport", F, None, "APC Back-UPS report length workaround", "usbhid-ups"),
    Option("waitbeforereconnect", V, None, "seconds to wait before reconnecting", "usbhid-ups",
           check=Check.NONNEGATIVE),
    Option("winhid", F, None, "Windows HID backend (Windows only; ignored)", "usbhid-ups"),
    Option("notification", V, None, "obsolete; ignored", "usbhid-ups", reloadable=True),
    # --- nutdrv_qx (upsdrv_makevartable and its protocols') ------------------------------
    Option("protocol", V, None, "Q* protocol to use (skip autodetection)", "nutdrv_qx"),
    Option("stayoff", F, None, "the UPS does not return after an FSD shutdown", "nutdrv_qx"),
    Option("runtimecal", V, None, "runtime guess: runtime,load,runtime,load", "nutdrv_qx"),
    Option("chargetime", V, None, "nominal battery charge time, seconds", "nutdrv_qx",
           check=Check.POSITIVE),
    Option("idleload", V, None, "minimum load for the runtime guess, %", "nutdrv_qx"),
    Option("battery_voltage_reports_one_pack", F, None,
           "battery.voltage is one pack's: multiply by battery.packs", "nutdrv_qx"),
    Option("langid_fix", V, None, "string language ID for krauler/snr bridges (0x409)",
           "nutdrv_qx", check=Check.HEX),
    Option("noscanlangid", F, None, "do not scan the bridge's language IDs", "nutdrv_qx"),
    Option("cablepower", V, None, "serial cable power: normal, reverse, both or none",
           "nutdrv_qx"),
    Option("novendor", F, None, "do not ask the UPS for vendor information", "nutdrv_qx"),
    Option("norating", F, None, "do not ask the UPS for its ratings", "nutdrv_qx"),
    Option("nooutstats", F, None, "do not ask the UPS for output statistics (Voltronic)",
           "nutdrv_qx"),
    Option("ignoresab", F, None, "ignore the 'shutdown active' bit (Q1)", "nutdrv_qx"),
    Option("pins_shutdown_mode", V, None, "BestUPS DB9 shutdown pin mode (0-6)", "nutdrv_qx",
           check=Check.NONNEGATIVE),
    # masterguard's makevartable: only slave_address is read (by its claim), NUT takes all
    *(Option(name, V, None, text, "nutdrv_qx") for name, text in (
        ("series", "Masterguard series (A/E)"),
        ("slave_address", "Masterguard slave address (UPS id) to match"),
        ("input_fault_voltage", "Masterguard input fault voltage"),
        ("number_of_battery_cells", "Masterguard battery cells in series"),
        ("nominal_cell_voltage", "Masterguard nominal battery cell voltage"),
        ("runtime_half", "Masterguard nominal run time at 50% load (seconds)"),
        ("runtime_full", "Masterguard nominal run time at 100% load (seconds)"),
        ("recharge_time", "Masterguard nominal recharge time to 95% (seconds)"),
        ("output_voltages", "Masterguard possible output voltages (volts)"),
        *((f"fault_{n}", f"Masterguard fault record {n}") for n in range(1, 6)),
        ("experimental.battery.ageing.factor", "Masterguard battery ageing factor (promille)"),
        ("experimental.battery.calibration.factor",
         "Masterguard battery calibration factor (percent)"))),
    # nutdrv_qx voltronic (voltronic_makevartable): settings sent once, in the first walk
    Option("reset_to_default", F, None, "voltronic: reset capability options to defaults "
           "(UPS in standby only)", "nutdrv_qx"),
    *(Option(name, V, None, f"voltronic: {what} [enabled/disabled]", "nutdrv_qx")
      for name, what in (
          ("bypass_alarm", "alarm at bypass mode"), ("battery_alarm", "alarm at battery mode"),
          ("bypass_when_off", "bypass when the UPS is off"),
          ("alarm_control", "alarm control"), ("converter_mode", "converter mode"),
          ("eco_mode", "ECO mode"), ("battery_open_status_check", "battery open check"),
          ("bypass_forbidding", "bypass not allowed"),
          ("site_fault_detection", "site fault detection"),
          ("advanced_eco_mode", "advanced ECO mode"),
          ("constant_phase_angle", "constant phase angle function"),
          ("limited_runtime_on_battery", "limited runtime on battery"))),
    *(Option(name, V, None, f"voltronic: {what}", "nutdrv_qx")
      for name, what in (
          ("max_bypass_volt", "maximum voltage for bypass mode"),
          ("min_bypass_volt", "minimum voltage for bypass mode"),
          ("max_bypass_freq", "maximum frequency for bypass mode"),
          ("min_bypass_freq", "minimum frequency for bypass mode"),
          ("work_range_type", "P31 grid working range [Appliance/UPS]"),
          ("output_phase_angle", "output phase angle [000/120/180/240]"),
          ("battery_number", "batteries per pack (1-9)"))),
    Option("testing", F, None, "voltronic: also run commands that still need testing",
           "nutdrv_qx"),
    # --- hidups ------------------------------------------------------------------------
    Option("backend", V, "pyusb", "device access: pyusb, hid (hidapi) or replay (a capture)",
           "hidups", check=Check.BACKEND),
    Option("libusb", V, None, "path of the libusb-1.0 library pyusb should load", "hidups"),
    Option("subdriver_path", V, None, "extra directory of subdriver modules", "hidups"),
)

_BY_NAME: dict[str, Option] = {o.name.lower(): o for o in OPTIONS}

#: Prefixes whose rest is a variable name (NUT's ``default.X`` / ``override.X``).
VARIABLE_PREFIXES = ("default.", "override.")


def find_option(name: str) -> Option | None:
    """The row for ``name`` (case-insensitive, as NUT's ``storeval`` compares)."""
    return _BY_NAME.get(name.lower())


def options_for(scope: Scope) -> list[Option]:
    """Options allowed in the global part (GLOBAL) or in a section / ``-x`` (SECTION)."""
    return [o for o in OPTIONS if o.scope in (scope, Scope.BOTH)]


_HEX = re.compile(r"(0[xX])?[0-9a-fA-F]+")


def check_value(option: Option, value: str) -> str | None:
    """What is wrong with ``value`` for ``option``, or None if it is fine."""
    check = option.check
    if check is Check.ANY:
        return None
    if check is Check.HEX:
        return None if _HEX.fullmatch(value.strip()) else f"expects a {check.value}"
    if check is Check.REGEX:
        try:
            re.compile(value.strip())
        except re.error as exc:
            return f"is not a valid regular expression ({exc})"
        return None
    if check is Check.SYNCHRONOUS:
        return None if value in ("yes", "no", "auto") else f"expects {check.value}"
    if check is Check.BACKEND:
        return None if value in ("pyusb", "hid", "replay") else f"expects {check.value}"
    try:
        number = int(value.strip(), 10)
    except ValueError:
        return f"expects an {check.value}" if check is Check.INT else f"expects a {check.value}"
    if check is Check.POSITIVE and number <= 0:
        return f"expects a {check.value}"
    if check is Check.NONNEGATIVE and number < 0:
        return f"expects a {check.value}"
    return None


#: Headings for ``-h``, one per owner, in the order they are printed.
OWNER_TITLES = {
    "core": "driver core (as every NUT driver)",
    "usb": "USB device matching (as NUT's USB drivers)",
    "usbhid-ups": "usbhid-ups options",
    "nutdrv_qx": "nutdrv_qx options (Q* UPSes)",
    "hidups": "hidups options",
    "upsdrvctl": "read by upsdrvctl (accepted, not used by the driver)",
    "upsd": "read by upsd (accepted, not used by the driver)",
}


def help_lines() -> list[str]:
    """The ``-h`` table of options: name, default and meaning, grouped by owner."""
    lines: list[str] = []
    for owner, title in OWNER_TITLES.items():
        lines.append(f"  {title}:")
        for option in (o for o in OPTIONS if o.owner == owner):
            usage = option.name if option.kind is not Kind.VALUE else f"{option.name}=<value>"
            default = f" (default {option.default})" if option.default is not None else ""
            where = " [global only]" if option.scope is Scope.GLOBAL else ""
            lines.append(f"    {usage:<40} {option.meaning}{default}{where}")
    return lines


def list_lines() -> list[str]:
    """``-L``: NUT's machine-readable list, ``VALUE name "meaning"`` / ``FLAG ...``."""
    out = []
    for option in options_for(Scope.SECTION):
        kind = "FLAG" if option.kind is Kind.FLAG else "VALUE"
        out.append(f'{kind} {option.name} "{option.meaning}"')
    return out
