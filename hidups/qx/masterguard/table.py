"""``masterguard_qx2nut[]`` of NUT 2.8.5, row for row.

Why: the rows, their order (the walk reuses an answer for consecutive rows of one
command), lengths, cuts and flags are NUT's; only the functions are Python.
Answer layouts (NUT's comments, real units):
``WH``  ``(00 10.06 03.09 A  700  + 0 Bat Pack-19        0 230 50.00 012 02.30 ...``
``Q3``  ``(00 225.9 225.9 229.3 043 50.0 02.27 23.4 017.03 100 00000000 00000000``
``GS,XX`` ``(00,00 0 1``  ``GBS,XX`` ``(00,100 0017 0000 0708 0712 0994 115 02.28``
``GSN,XX`` ``(00,SSN=6A1212      2782``  ``DRC,XX`` ``(00,1869:19:06:37``
``MSO`` ``(220 230 240``  ``PNV`` ``(PNV=230``  ``FLT,XX`` five fault records.
"""

from __future__ import annotations

from hidups.qx.items import Item, QxFlag, StFlag, ValuePreprocess, row
from hidups.qx.masterguard import commands as c
from hidups.qx.masterguard import convert as v
from hidups.qx.settings import DEFAULT_OFFDELAY, DEFAULT_ONDELAY

F = QxFlag
N = StFlag.NONE
RW = StFlag.RW
STATIC = F.STATIC
SEMI = F.SEMI_STATIC
QUICK = F.QUICK_POLL
NONUT = F.NONUT
CMD = F.CMD

R_SLAVEADDR = ("0", "99")
#: NUT's static default; masterguard_model narrows it per model (Engine.rw_values)
R_BATPACKS = ("0", "9")
R_OFFDELAY = ("0", "5940")
R_ONDELAY = ("0", "599940")


def _wh(name: str, start: int, end: int, dfl: str, flags: QxFlag,
        preprocess: ValuePreprocess | None = None, info: StFlag = N,
        rw: tuple[str, ...] | None = None) -> Item:
    return row(name, info, rw, "WH\r", 113, "(", start, end, dfl, flags, preprocess)


def _q3(name: str, start: int, end: int, dfl: str | None, flags: QxFlag = F.NONE,
        preprocess: ValuePreprocess | None = None, answer_len: int = 71) -> Item:
    return row(name, N, None, "Q3\r", answer_len, "(", start, end, dfl, flags, preprocess)


def _xx(name: str, command: str, answer_len: int, start: int, end: int, dfl: str | None,
        flags: QxFlag = F.NONE, preprocess: ValuePreprocess | None = None,
        info: StFlag = N, rw: tuple[str, ...] | None = None, leading: str = "(") -> Item:
    """A row whose command carries the slave address (``,XX``)."""
    return row(name, info, rw, command, answer_len, leading, start, end, dfl, flags,
               preprocess, precommand=c.add_slaveaddr)


def _cmd(name: str, command: str | None, preprocess: ValuePreprocess | None = None,
         slave: bool = False) -> Item:
    return row(name, N, None, command, 0, "", 0, 0, None, CMD, preprocess,
               precommand=c.add_slaveaddr if slave else None)


ABSENT_ROWS = (
    row("device.mfr", N, None, "", 0, "", 0, 0, "Masterguard", STATIC | F.ABSENT),
    row("load.high", N, None, "", 0, "", 0, 0, "140", STATIC | F.ABSENT),
    row("battery.type", N, None, "", 0, "", 0, 0, "PbAc", STATIC | F.ABSENT),
)

WH_ROWS = (
    _wh("ups.id", 1, 2, "%.0f", SEMI | F.RANGE, v.slaveaddr, RW, R_SLAVEADDR),
    _wh("ups.firmware", 4, 8, "%s", STATIC),
    _wh("ups.firmware.aux", 10, 14, "%s", STATIC),
    _wh("experimental.series", 16, 16, "%s", STATIC | NONUT, v.series),
    _wh("device.model", 16, 45, "%s", STATIC, v.model),
    _wh("ups.power.nominal", 16, 45, "%s", STATIC, v.power),
    _wh("input.voltage.nominal", 49, 51, "%.0f", STATIC),
    _wh("input.frequency.nominal", 53, 57, "%.2f", STATIC),
    _wh("experimental.number_of_battery_cells", 59, 61, "%.0f", STATIC | NONUT, v.numcells),
    _wh("experimental.nominal_cell_voltage", 63, 67, "%.2f", STATIC | NONUT),
    _wh("battery.voltage.nominal", 63, 67, "%.2f", STATIC, v.battvolt),
    _wh("experimental.runtime_half", 69, 74, "%.0f", STATIC | NONUT, v.mmm_ss),
    _wh("experimental.runtime_full", 76, 81, "%.0f", STATIC | NONUT, v.mmm_ss),
    _wh("experimental.recharge_time", 83, 85, "%.0f", STATIC | NONUT, v.hhh),
    _wh("ambient.0.temperature.low", 87, 88, "%.0f", STATIC),
    _wh("ambient.0.temperature.high", 90, 91, "%.0f", STATIC),
    _wh("input.voltage.low.critical", 93, 95, "%.0f", STATIC),
    _wh("input.voltage.high.critical", 97, 99, "%.0f", STATIC),
    _wh("input.frequency.low", 101, 105, "%.2f", STATIC),
    _wh("input.frequency.high", 107, 111, "%.2f", STATIC),
)

Q3_ROWS = (
    _q3("input.voltage", 4, 8, "%.1f"),
    _q3("experimental.input_fault_voltage", 10, 14, "%.1f", NONUT),
    _q3("output.voltage", 16, 20, "%.1f"),
    _q3("ups.load", 22, 24, "%.0f"),
    _q3("ups.power", 22, 24, "%.0f", F.NONE, v.ups_power),
    _q3("output.current", 22, 24, "%f", F.NONE, v.output_current),
    _q3("input.frequency", 26, 29, "%.1f"),
    _q3("battery.voltage", 31, 35, "%.1f", F.NONE, v.battvolt),
    _q3("ups.temperature", 37, 40, "%.1f"),
    _q3("ambient.0.temperature", 37, 40, "%.1f"),
    _q3("battery.runtime", 42, 47, "%.0f", F.NONE, v.mmm_ss),
    _q3("battery.charge", 49, 51, "%.0f"),
    _q3("ups.status", 53, 53, None, QUICK, v.status),     # B7 utility fail
    _q3("ups.status", 54, 54, None, QUICK, v.status),     # B6 battery low
    _q3("ups.status", 55, 55, None, QUICK, v.status),     # B5 bypass/boost
    _q3("ups.alarm", 56, 56, None, QUICK, v.status),      # B4 UPS failed
    _q3("ups.type", 57, 57, None, STATIC, v.status),      # B3 UPS type
    _q3("ups.status", 58, 58, None, QUICK, v.status),     # B2 test in progress
    _q3("ups.status", 59, 59, None, QUICK, v.status),     # B1 shutdown active
    _q3("ups.alarm", 63, 63, None, QUICK, v.status, 69),  # T6 parallel operation
    _q3("ups.status", 65, 65, None, QUICK, v.status),     # T4 battery end of life
    _q3("ups.alarm", 66, 66, None, QUICK, v.status),      # T3 no battery
    _q3("ups.test.result", 67, 69, None, QUICK, v.status),  # T2..T0
)

#: the readable battery.packs row, whose range masterguard_model sets
BATPACKS_ROW = _xx("battery.packs", "GS,XX\r", 0, 7, 7, "%.0f", SEMI | F.RANGE, info=RW,
                   rw=R_BATPACKS)
#: the readable output.voltage.nominal row, whose enum MSO's answer sets
PNV_ENUM_ROW = row("output.voltage.nominal", RW, None, "PNV\r", 8, "(", 5, 7, "%.0f",
                   SEMI | F.ENUM)

SETTINGS_ROWS = (
    row("ups.id", N, None, "SS%02d--,XX\r", 0, "", 0, 0, "d", F.SETVAR | F.RANGE,
        c.set_slaveaddr, c.new_slaveaddr, c.add_slaveaddr),
    BATPACKS_ROW,
    _xx("battery.packs", "SS--%1d-,XX\r", 0, 0, 0, "d", F.SETVAR | F.RANGE, c.setvar,
        leading=""),
    _xx("ups.beeper.status", "GS,XX\r", 11, 9, 9, None, SEMI, v.beeper_status),
    _xx("battery.charge", "GBS,XX\r", 43, 4, 6, "%.0f"),
    _xx("experimental.battery.ageing.factor", "GBS,XX\r", 43, 18, 21, "%.0f", NONUT),
    _xx("experimental.battery.calibration.factor", "GBS,XX\r", 43, 33, 35, "%.0f", NONUT),
    _xx("device.part", "GSN,XX\r", 25, 8, 18, "%s", STATIC | F.TRIM),
    _xx("device.serial", "GSN,XX\r", 25, 20, 23, "%s", STATIC),
    _xx("device.uptime", "DRC,XX\r", 17, 4, 16, "%.0f", SEMI, v.tttt_hh_mm_ss, info=RW),
    row("device.uptime", N, None, "SRC%s,XX\r", 0, "", 0, 0, "thms", F.SETVAR, c.setvar,
        c.record_src_value, c.add_slaveaddr),
    row("experimental.output_voltages", N, None, "MSO\r", 5, "(", 1, 0, "%s",
        STATIC | NONUT, v.output_voltages),
    PNV_ENUM_ROW,
    row("output.voltage.nominal", N, None, "PNV=%03d\r", 0, "", 0, 0, "d", F.SETVAR,
        c.setvar),
    row("output.current.nominal", N, None, "PNV\r", 8, "(", 5, 7, "%.0f", SEMI,
        v.output_current_nominal),
    *(_xx(f"experimental.fault_{n}", "FLT,XX\r", 108, start, start + 19, "%s", NONUT,
          v.fault) for n, start in ((1, 4), (2, 25), (3, 46), (4, 67), (5, 88))),
)

COMMAND_ROWS = (
    _cmd("shutdown.return", None, c.shutdown_return),
    _cmd("shutdown.stayoff", None, c.shutdown_stayoff),
    _cmd("shutdown.stop", "C\r"),
    _cmd("test.battery.start", None, c.test_battery),
    _cmd("test.battery.start.quick", "T\r"),
    _cmd("test.battery.start.low", "TL\r"),
    _cmd("test.battery.start.deep", "TUD,XX\r", slave=True),
    _cmd("test.battery.stop", "CT\r"),
    _cmd("clear.fault.record", "FCLR,XX\r", slave=True),
    _cmd("bypass.start", "FOFF\r"),
    _cmd("bypass.stop", "FON\r"),
    _cmd("beeper.enable", "SS---1,XX\r", slave=True),
    _cmd("beeper.disable", "SS---0,XX\r", slave=True),
)

SERVER_ROWS = (
    row("ups.delay.shutdown", RW, R_OFFDELAY, None, 0, "", 0, 0, DEFAULT_OFFDELAY,
        F.ABSENT | F.SETVAR | F.RANGE),
    row("ups.delay.start", RW, R_ONDELAY, None, 0, "", 0, 0, DEFAULT_ONDELAY,
        F.ABSENT | F.SETVAR | F.RANGE),
)

TABLE: tuple[Item, ...] = (*ABSENT_ROWS, *WH_ROWS, *Q3_ROWS, *SETTINGS_ROWS, *COMMAND_ROWS,
                           *SERVER_ROWS)
