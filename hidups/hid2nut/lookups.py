"""Look-ups every subdriver shares: status-bit texts, test results, and conversions.

Status tables turn a HID bit into the token the status synthesis understands:
``"x"`` sets bit x, ``"!x"`` clears it. Names follow NUT's core tables
(``online_info`` → :data:`ONLINE_INFO`) so rows can be compared with NUT's.
"""

from __future__ import annotations

import re
import time

from hidups.hid2nut.table import Context, Convert, Table


def _flag(name: str, token: str) -> Table:
    """A status-bit table: 1 sets ``token``, 0 clears it."""
    return Table(name, ((1, token), (0, "!" + token)))


# --- status bits (BOOL rows) ---------------------------------------------------------
# NUT publishes "offline" (not "!online") for ACPresent == 0: "!online" proved ambiguous.
ONLINE_INFO = Table("online_info", ((1, "online"), (0, "offline")))
DISCHARGING_INFO = _flag("discharging_info", "dischrg")
CHARGING_INFO = _flag("charging_info", "chrg")
LOWBATT_INFO = _flag("lowbatt_info", "lowbatt")
OVERLOAD_INFO = _flag("overload_info", "overload")
REPLACEBATT_INFO = _flag("replacebatt_info", "replacebatt")
TRIM_INFO = _flag("trim_info", "trim")
BOOST_INFO = _flag("boost_info", "boost")
BYPASS_AUTO_INFO = _flag("bypass_auto_info", "bypassauto")
BYPASS_MANUAL_INFO = _flag("bypass_manual_info", "bypassman")
CALIBRATION_INFO = _flag("calibration_info", "cal")
FANFAIL_INFO = _flag("fanfail_info", "fanfail")
SHUTDOWNIMM_INFO = _flag("shutdownimm_info", "shutdownimm")
OVERHEAT_INFO = _flag("overheat_info", "overheat")
AWAITINGPOWER_INFO = _flag("awaitingpower_info", "awaitingpower")
COMMFAULT_INFO = _flag("commfault_info", "commfault")
TIMELIMITEXPIRED_INFO = _flag("timelimitexpired_info", "timelimitexp")
BATTVOLTLO_INFO = _flag("battvoltlo_info", "battvoltlo")
BATTVOLTHI_INFO = _flag("battvolthi_info", "battvolthi")
CHARGERFAIL_INFO = _flag("chargerfail_info", "chargerfail")
DEPLETED_INFO = _flag("depleted_info", "depleted")
VRANGE_INFO = _flag("vrange_info", "vrange")
FRANGE_INFO = _flag("frange_info", "frange")
# Inverted senses, as the PDC defines them:
OFF_INFO = Table("off_info", ((0, "off"), (1, "!off")))  # PresentStatus.Good: 1 = output on
NOBATTERY_INFO = Table("nobattery_info", ((1, "!nobattery"), (0, "nobattery")))  # BatteryPresent
FULLYCHARGED_INFO = Table("fullycharged_info", ((1, "fullycharged"), (0, "notfullycharged")))
ECO_MODE_INFO = Table("eco_mode_info", ((0, "normal"), (1, "ecomode"), (2, "essmode")))

# --- enumerations -------------------------------------------------------------------
TEST_WRITE_INFO = Table(
    "test_write_info", ((0, "No test"), (1, "Quick test"), (2, "Deep test"), (3, "Abort test"))
)
TEST_READ_INFO = Table(
    "test_read_info",
    (
        (1, "Done and passed"),
        (2, "Done and warning"),
        (3, "Done and error"),
        (4, "Aborted"),
        (5, "In progress"),
        (6, "No test initiated"),
        (7, "Test scheduled"),
    ),
)
BEEPER_INFO = Table("beeper_info", ((1, "disabled"), (2, "enabled"), (3, "muted")))
YES_NO_INFO = Table("yes_no_info", ((0, "no"), (1, "yes")))
ON_OFF_INFO = Table("on_off_info", ((0, "off"), (1, "on")))


# --- conversions ------------------------------------------------------------------------


def date_to_nut(value: float, ctx: Context) -> str | None:
    """PDC packed date ``(year - 1980) * 512 + month * 32 + day`` → ``YYYY/MM/DD``."""
    packed = int(value)
    if packed == 0:
        return "not set"
    return f"{1980 + (packed >> 9):04d}/{(packed >> 5) & 0x0F:02d}/{packed & 0x1F:02d}"


_DATE = re.compile(r"\s*(-?\d{1,4})/(\d{1,2})/(\d{1,2})\s*$")


def date_to_hid(text: str, ctx: Context) -> float | None:
    """``YYYY/MM/DD`` → PDC packed date; ``None`` for text that is not such a date."""
    m = _DATE.match(text)
    if m is None:
        return None
    year, month, day = (int(g) for g in m.groups())
    if not (0 <= year - 1980 <= 127 and 1 <= month <= 12 and 1 <= day <= 31):
        return None
    return float(((year - 1980) << 9) + (month << 5) + day)


def hex_to_nut(value: float, ctx: Context) -> str | None:
    """The raw value as 8 lowercase hex digits."""
    return f"{int(value) & 0xFFFFFFFFFFFFFFFF:08x}"


def stringid_to_nut(value: float, ctx: Context) -> str | None:
    """A string-index usage (``iProduct``, ``iDeviceChemistry``...) → the USB string.

    An index the device cannot answer gives ``""``, as NUT publishes it; an index
    outside 0..255 gives no update. NUT copies the string into a 20-byte buffer and so
    cuts it at 19 characters; we publish it whole (listed in docs/differences.md).
    """
    index = int(value)
    if not 0 <= index <= 255:
        return None
    return ctx.string(index) or ""


def divide_by_10_to_nut(value: float, ctx: Context) -> str | None:
    return "%0.1f" % (value * 0.1)


def divide_by_100_to_nut(value: float, ctx: Context) -> str | None:
    return "%0.1f" % (value * 0.01)


def kelvin_celsius_to_nut(value: float, ctx: Context) -> str | None:
    """Kelvin → °C; values outside 273..373 are taken as °C already (some HP units)."""
    if 273 <= value <= 373:
        return "%.1f" % (value - 273.15)
    return "%.1f" % value


DATE_CONVERSION = Convert("date_conversion", date_to_nut, date_to_hid)
HEX_CONVERSION = Convert("hex_conversion", hex_to_nut)
STRINGID_CONVERSION = Convert("stringid_conversion", stringid_to_nut)
DIVIDE_BY_10_CONVERSION = Convert("divide_by_10_conversion", divide_by_10_to_nut)
DIVIDE_BY_100_CONVERSION = Convert("divide_by_100_conversion", divide_by_100_to_nut)
KELVIN_CELSIUS_CONVERSION = Convert("kelvin_celsius_conversion", kelvin_celsius_to_nut)


def localtime_to_nut(value: float, ctx: Context) -> str | None:
    """Unix seconds → local ``YYYY/MM/DD`` (used for ``ups.date``)."""
    return time.strftime("%Y/%m/%d", time.localtime(int(value)))
