"""NUT 2.8.5's voltronic rows after QFLAG: settable limits with their queries, and the
instant commands, in ``voltronic_qx2nut``'s order.

Why here: these rows carry NUT's ranges/enums (filtered per unit by
:mod:`hidups.qx.voltronic.limits`) and command formats (``HEH%03.0f``, ``PSK1%03d``...);
the walk meets them in this order, so a query row always comes before the setvar it
enables.
"""

from __future__ import annotations

from hidups.qx.items import Item, QxFlag, RwFilter, StFlag, ValuePreprocess, row
from hidups.qx.settings import DEFAULT_OFFDELAY, DEFAULT_ONDELAY
from hidups.qx.voltronic import current, limits, readings, writes
from hidups.qx.voltronic.table import (
    BATT_LOW,
    BATT_TYPE,
    CAP,
    ECO_VOLT,
    NONUT_CAPS,
    OUTLET_DELAY,
    PHASE,
    WORK_RANGE,
)

F = QxFlag
N = StFlag.NONE
RW = StFlag.RW
SEMI = F.SEMI_STATIC
SKIP = F.SKIP
NONUT = F.NONUT
SET = F.SETVAR
CMD = F.CMD
CAP_NONUT = ("enabled", "disabled")
NUT_CAP_LETTERS = (("ups.start.auto", "R"), ("battery.protection", "S"),
                   ("battery.energysave", "G"), ("ups.start.battery", "C"),
                   ("outlet.0.switchable", "J"))
NONUT_LETTERS = "PBOAVEDFLNQW"  # in NONUT_CAPS' order
BYPASS_VOLT_MAX = ("60", "115", "120", "132", "138", "140", "230", "231", "261", "264", "276")
BYPASS_VOLT_MIN = ("50", "55", "60", "85", "104", "110", "115", "140", "149", "170", "209",
                   "220")
BYPASS_FREQ_MAX = ("51.0", "54.0", "60.0", "61.0", "64.0", "70.0")
BYPASS_FREQ_MIN = ("40.0", "46.0", "49.0", "50.0", "56.0", "59.0")
ECO_FREQ_MIN = ("40.0", "46.0", "47.0", "48.0", "50.0", "56.0", "57.0", "58.0")
ECO_FREQ_MAX = ("52.0", "53.0", "54.0", "60.0", "62.0", "63.0", "64.0", "70.0")
ONDELAY = ("0", "599940")
OFFDELAY = ("12", "5940")


def _set(name: str, rw: tuple[str, ...] | None, command: str, flags: QxFlag,
         preprocess: ValuePreprocess, rw_filter: RwFilter | None = None) -> Item:
    """A setvar row: answers ``(ACK`` / ``(NAK``."""
    return row(name, N, rw, command + "\r", 5, "(", 1, 3, None, SET | flags, preprocess,
               None, rw_filter=rw_filter)


def _read(name: str, rw: tuple[str, ...] | None, command: str, length: int, start: int,
          end: int, dfl: str, flags: QxFlag, preprocess: ValuePreprocess | None,
          rw_filter: RwFilter | None = None, leading: str = "(") -> Item:
    """A query row whose variable can be set (RW when it has a range/enum)."""
    return row(name, RW if rw else N, rw, command + "\r", length, leading, start, end, dfl,
               SEMI | flags, preprocess, None, rw_filter=rw_filter)


def _cmd(name: str, command: str, flags: QxFlag = F.NONE,
         preprocess: ValuePreprocess | None = None) -> Item:
    return row(name, N, None, command + "\r", 5, "(", 1, 3, None, CMD | flags, preprocess)


def _outlets() -> tuple[Item, ...]:
    reads = tuple(_read(f"outlet.{n}.{kind}", None, f"QSK{n}", 3, 1, 1, "%s", SKIP,
                        readings.outlet) for n in range(1, 5)
                  for kind in ("switchable", "status"))
    delays = tuple(_read(f"outlet.{n}.delay.shutdown", OUTLET_DELAY, f"QSKT{n}", 5, 1, 3,
                         "%.0f", F.RANGE | SKIP, readings.outlet_delay) for n in range(1, 5))
    sets = tuple(_set(f"outlet.{n}.delay.shutdown", OUTLET_DELAY, f"PSK{n}%03d",
                      F.RANGE | SKIP, writes.outlet_delay_set) for n in range(1, 5))
    return reads + delays + sets


LIMIT = F.RANGE | SKIP
BYPASS = F.RANGE | NONUT | SKIP

SETTING_ROWS: tuple[Item, ...] = (
    *(_set(name, CAP, f"P%s{letter}", F.ENUM | SKIP, writes.capability_set)
      for name, letter in NUT_CAP_LETTERS),
    row("reset_to_default", N, None, "PF\r", 5, "(", 1, 3, None, SET | NONUT | SKIP,
        writes.capability_reset),
    *(_set(name, CAP_NONUT, f"P%s{letter}", F.ENUM | NONUT | SKIP,
           writes.capability_set_nonut) for name, letter in zip(NONUT_CAPS, NONUT_LETTERS,
                                                                 strict=True)),
    *_outlets(),
    # QHE: (242 218 -- ECO mode voltage limits
    _read("input.transfer.high", ECO_VOLT, "QHE", 9, 1, 3, "%.0f", LIMIT, current.eco_volt),
    _read("input.transfer.low", ECO_VOLT, "QHE", 9, 5, 7, "%.0f", LIMIT, current.eco_volt),
    _read("input.transfer.low.min", None, "QHE", 9, 5, 7, "%.0f", SKIP, current.eco_volt_range),
    _read("input.transfer.low.max", None, "QHE", 9, 5, 7, "%.0f", SKIP, current.eco_volt_range),
    _read("input.transfer.high.min", None, "QHE", 9, 1, 3, "%.0f", SKIP,
          current.eco_volt_range),
    _read("input.transfer.high.max", None, "QHE", 9, 1, 3, "%.0f", SKIP,
          current.eco_volt_range),
    _set("input.transfer.high", ECO_VOLT, "HEH%03.0f", LIMIT, writes.process_setvar),
    _set("input.transfer.low", ECO_VOLT, "HEL%03.0f", LIMIT, writes.process_setvar),
    # QFRE: (53.0 47.0 -- ECO mode frequency limits
    _read("input.frequency.high", ECO_FREQ_MAX, "QFRE", 11, 1, 4, "%.1f", LIMIT,
          current.eco_freq, limits.eco_freq_max),
    _read("input.frequency.low", ECO_FREQ_MIN, "QFRE", 11, 6, 9, "%.1f", LIMIT,
          current.eco_freq, limits.eco_freq_min),
    _set("input.frequency.high", ECO_FREQ_MAX, "FREH%04.1f", LIMIT, writes.process_setvar,
         limits.eco_freq_max),
    _set("input.frequency.low", ECO_FREQ_MIN, "FREL%04.1f", LIMIT, writes.process_setvar,
         limits.eco_freq_min),
    # QBYV: (264 170 / QBYF: (53.0 47.0 -- bypass limits (ups.conf-only)
    _read("max_bypass_volt", BYPASS_VOLT_MAX, "QBYV", 9, 1, 3, "%.0f", BYPASS, current.bypass,
          limits.bypass_volt_max),
    _read("min_bypass_volt", BYPASS_VOLT_MIN, "QBYV", 9, 5, 7, "%.0f", BYPASS, current.bypass,
          limits.bypass_volt_min),
    _set("max_bypass_volt", BYPASS_VOLT_MAX, "PHV%03.0f", BYPASS, writes.process_setvar,
         limits.bypass_volt_max),
    _set("min_bypass_volt", BYPASS_VOLT_MIN, "PLV%03.0f", BYPASS, writes.process_setvar,
         limits.bypass_volt_min),
    _read("max_bypass_freq", BYPASS_FREQ_MAX, "QBYF", 11, 1, 4, "%.1f", BYPASS,
          current.bypass, limits.bypass_freq_max),
    _read("min_bypass_freq", BYPASS_FREQ_MIN, "QBYF", 11, 6, 9, "%.1f", BYPASS,
          current.bypass, limits.bypass_freq_min),
    _set("max_bypass_freq", BYPASS_FREQ_MAX, "PGF%04.1f", BYPASS, writes.process_setvar,
         limits.bypass_freq_max),
    _set("min_bypass_freq", BYPASS_FREQ_MIN, "PSF%04.1f", BYPASS, writes.process_setvar,
         limits.bypass_freq_min),
    _set("battery_number", ("1", "9"), "BATN%1.0f", F.RANGE | NONUT, writes.process_setvar),
    _set("battery.packs", ("1", "99"), "BATGN%02.0f", F.RANGE, writes.process_setvar),
    # P31 only: battery type and grid working range
    _read("battery.type", BATT_TYPE, "QBT", 4, 1, 2, "%s", F.ENUM | SKIP, readings.battery_type),
    _set("battery.type", BATT_TYPE, "PBT%02.0f", F.ENUM | SKIP, writes.battery_type_set),
    _read("work_range_type", WORK_RANGE, "QGR", 4, 1, 2, "%s", F.ENUM | NONUT | SKIP,
          readings.work_range),
    _set("work_range_type", WORK_RANGE, "PGR%02.0f", F.ENUM | NONUT | SKIP,
         writes.work_range_set),
    # RE0: #20 -- battery low voltage
    _read("battery.voltage.low", BATT_LOW, "RE0", 3, 1, 2, "%.1f", F.RANGE, None,
          limits.batt_low, leading="#"),
    _set("battery.voltage.low", BATT_LOW, "W0E%02.0f", F.RANGE, writes.process_setvar,
         limits.batt_low),
    # QPD: (000 120 -- input/output phase angles (ups.conf-only)
    _read("input_phase_angle", None, "QPD", 9, 1, 3, "%03d", NONUT, readings.phase),
    _read("output_phase_angle", PHASE, "QPD", 9, 5, 7, "%03d", F.ENUM | NONUT, readings.phase),
    _set("output_phase_angle", PHASE, "PPD%03.0f", F.ENUM | NONUT | SKIP, writes.phase_set),
    row("voltronic_parallel", N, None, "QPAR\r", 5, "(", 1, 3, "%s", F.STATIC | NONUT,
        readings.parallel),
    row("unknown.7", N, None, "QBDR\r", 5, "(", 1, 0, "%s", F.STATIC | NONUT | SKIP),
)

COMMAND_ROWS: tuple[Item, ...] = (
    _cmd("load.off", "SOFF"),
    _cmd("load.on", "SON"),
    _cmd("shutdown.return", "S%s", preprocess=writes.process_command),
    _cmd("shutdown.stayoff", "S%sR0000", preprocess=writes.process_command),
    _cmd("shutdown.stop", "CS"),
    _cmd("test.battery.start", "T%s", preprocess=writes.process_command),
    _cmd("test.battery.start.deep", "TL"),
    _cmd("test.battery.start.quick", "T"),
    _cmd("test.battery.stop", "CT"),
    _cmd("beeper.toggle", "BZ%s", preprocess=writes.process_command),
    _cmd("beeper.enable", "PEA", SKIP),
    _cmd("beeper.disable", "PDA", SKIP),
    *(_cmd(f"outlet.{n}.load.{state}", f"SK{state.upper()}{n}", SKIP)
      for n in range(1, 5) for state in ("off", "on")),
    _cmd("bypass.start", "PEE", SKIP),
    _cmd("bypass.stop", "PDE", SKIP),
    row("ups.delay.start", RW, ONDELAY, None, 0, "", 0, 0, DEFAULT_ONDELAY,
        F.ABSENT | SET | F.RANGE, writes.process_setvar),
    row("ups.delay.shutdown", RW, OFFDELAY, None, 0, "", 0, 0, DEFAULT_OFFDELAY,
        F.ABSENT | SET | F.RANGE, writes.process_setvar),
)
