"""NUT 2.8.5's ``voltronic`` protocol (Voltronic Power ``QGS``/``QPI``... units): the
query rows, row for row as ``voltronic_qx2nut`` (nutdrv_qx_voltronic.c, "Voltronic
0.14"), and the claim.

Why a table: each row can be checked against NUT's line (command, answer length, cut,
format, flags); the functions that convert or enable rows sit in the sibling modules.
The setvar and command rows are in :mod:`hidups.qx.voltronic.commands`.
"""

from __future__ import annotations

import time

from hidups.qx import blazer
from hidups.qx.engine import Engine
from hidups.qx.items import Item, QxFlag, StFlag, ValuePreprocess, row
from hidups.qx.voltronic import current, readings
from hidups.qx.voltronic.unskip import capability

F = QxFlag
N = StFlag.NONE
RW = StFlag.RW
ST = F.STATIC
SEMI = F.SEMI_STATIC
QP = F.QUICK_POLL
SKIP = F.SKIP
NONUT = F.NONUT
CAP = ("no", "yes")  # voltronic_e_cap
BATT_NUMB = ("1", "9")
BATT_PACKS = ("1", "99")
OUTLET_DELAY = ("0", "59940")
ECO_VOLT = ("", "")  # filled at run time by voltronic_eco_volt
BATT_TYPE = ("Li", "Flooded", "AGM")
WORK_RANGE = ("Appliance", "UPS")
PHASE = ("000", "120", "180", "240")
BATT_LOW = ("20", "24", "28")
#: Seconds NUT sleeps before asking input.voltage again when the claim's first try
#: timed out (the device may still be answering earlier queries).
CLAIM_RETRY_DELAY = 5.0


def _q(name: str, command: str, length: int, start: int, end: int, dfl: str | None,
       flags: QxFlag, preprocess: ValuePreprocess | None = None, leading: str = "(") -> Item:
    """A read-only query row."""
    return row(name, N, None, command + "\r", length, leading, start, end, dfl, flags,
               preprocess)


def _qgs(name: str, start: int, end: int, dfl: str | None, flags: QxFlag,
         preprocess: ValuePreprocess | None = None) -> Item:
    return _q(name, "QGS", 76, start, end, dfl, flags, preprocess)


def _phase(prefix: str, command: str, length: int, names: tuple[str, ...],
           width: int) -> tuple[Item, ...]:
    """Q3** rows: one value per ``width``+1 characters, all skipped until unskipped."""
    dfl = "%.1f" if width == 5 else "%.0f"
    return tuple(_q(f"{prefix}.{name}", command, length, 1 + i * (width + 1),
                    width + i * (width + 1), dfl, SKIP) for i, name in enumerate(names))


def _flag(name: str, rw: tuple[str, ...] | None, flags: QxFlag) -> Item:
    """A QFLAG capability row."""
    return row(name, RW if rw else N, rw, "QFLAG\r", 4, "(", 1, 0, "%s", SEMI | flags,
               capability)


NUT_CAPS = ("ups.start.auto", "battery.protection", "battery.energysave",
            "ups.start.battery", "outlet.0.switchable")
NONUT_CAPS = ("bypass_alarm", "battery_alarm", "bypass_when_off", "alarm_control",
              "converter_mode", "eco_mode", "battery_open_status_check", "bypass_forbidding",
              "site_fault_detection", "advanced_eco_mode", "constant_phase_angle",
              "limited_runtime_on_battery")
LN = ("L1-N", "L2-N", "L3-N", "L1-L2", "L2-L3", "L1-L3")

QUERY_ROWS: tuple[Item, ...] = (
    _q("ups.firmware.aux", "QPI", 6, 1, 4, "%s", ST, readings.protocol),
    # QRI: (230.0 004 024.0 50.0
    _q("output.voltage.nominal", "QRI", 22, 1, 5, "%.1f", ST),
    _q("output.current.nominal", "QRI", 22, 7, 9, "%.0f", ST),
    _q("battery.voltage.nominal", "QRI", 22, 11, 15, "%.1f", SEMI),
    _q("output.frequency.nominal", "QRI", 22, 17, 20, "%.1f", ST),
    # QMD: (#######OLHVT1K0 ###1000 80 1/1 230 230 02 12.0
    _q("device.model", "QMD", 48, 1, 15, "%s", ST | F.TRIM),
    _q("ups.power.nominal", "QMD", 48, 17, 23, "%s", ST | F.TRIM),
    _q("output.powerfactor", "QMD", 48, 25, 26, "%.1f", ST, readings.output_powerfactor),
    _q("input.phases", "QMD", 48, 28, 28, "%.0f", ST),
    _q("output.phases", "QMD", 48, 30, 30, "%.0f", ST),
    _q("input.voltage.nominal", "QMD", 48, 32, 34, "%.1f", ST),
    _q("output.voltage.nominal", "QMD", 48, 36, 38, "%.1f", ST),
    # F: #220.0 000 024.0 50.0
    _q("input.voltage.nominal", "F", 22, 1, 5, "%.1f", ST, leading="#"),
    _q("input.current.nominal", "F", 22, 7, 9, "%.1f", ST, leading="#"),
    _q("battery.voltage.nominal", "F", 22, 11, 15, "%.1f", ST, leading="#"),
    _q("input.frequency.nominal", "F", 22, 17, 20, "%.1f", ST, leading="#"),
    _q("device.mfr", "QMF", 2, 1, 0, "%s", ST | F.TRIM),
    _q("ups.firmware", "QVFW", 16, 7, 14, "%s", ST),
    _q("device.serial", "QID", 2, 1, 0, "%s", ST, readings.serial_number),
    # I: #-------------   ------     VT12046Q
    _q("device.mfr", "I", 39, 1, 15, "%s", ST | F.TRIM, leading="#"),
    _q("device.model", "I", 39, 17, 26, "%s", ST | F.TRIM, leading="#"),
    _q("ups.firmware", "I", 39, 28, 37, "%s", ST | F.TRIM, leading="#"),
    # QGS: (234.9 50.0 229.8 50.0 000.0 000 369.1 ---.- 026.5 ---.- 018.8 100000000001
    _qgs("input.voltage", 1, 5, "%.1f", F.NONE),
    _qgs("input.frequency", 7, 10, "%.1f", F.NONE),
    _qgs("output.voltage", 12, 16, "%.1f", F.NONE),
    _qgs("output.frequency", 18, 21, "%.1f", F.NONE),
    _qgs("output.current", 23, 27, "%.1f", F.NONE),
    _qgs("ups.load", 29, 31, "%.0f", F.NONE),
    _qgs("battery.voltage", 45, 49, "%.2f", F.NONE, blazer.multiply_battvolt),
    _qgs("ups.temperature", 57, 61, "%.1f", F.NONE),
    _qgs("ups.type", 63, 64, "%s", SEMI, readings.status),
    _qgs("ups.status", 65, 65, "%s", QP, readings.status),  # utility fail
    _qgs("ups.status", 66, 66, "%s", QP, readings.status),  # battery low
    _qgs("ups.status", 67, 67, "%s", QP, readings.status),  # bypass/boost/buck
    _qgs("ups.alarm", 67, 67, "%s", F.NONE, readings.status),
    _qgs("ups.alarm", 68, 68, "%s", F.NONE, readings.status),  # UPS fault
    _qgs("ups.status", 70, 70, "%s", QP, readings.status),  # test in progress
    _qgs("ups.status", 71, 71, "%s", QP, readings.status),  # shutdown active
    _qgs("ups.beeper.status", 72, 72, "%s", F.NONE, readings.status),
    _q("ups.alarm", "QMOD", 3, 1, 1, "%s", F.NONE, readings.mode),
    _q("ups.status", "QMOD", 3, 1, 1, "%s", F.NONE, readings.mode),
    _q("ups.alarm", "QFS", 4, 1, 2, "%s", SKIP, readings.fault),
    _q("ups.alarm", "QWS", 66, 1, 64, "%s", F.NONE, readings.warning),
    # QBV: (026.5 02 01 068 255
    _q("battery.voltage", "QBV", 21, 1, 5, "%.2f", F.NONE, blazer.multiply_battvolt),
    row("battery_number", RW, BATT_NUMB, "QBV\r", 21, "(", 7, 9, "%d",
        SEMI | F.RANGE | NONUT, current.battery_number),
    row("battery.packs", RW, BATT_PACKS, "QBV\r", 21, "(", 10, 11, "%.0f", SEMI | F.RANGE),
    _q("battery.charge", "QBV", 21, 13, 15, "%.0f", F.NONE),
    _q("battery.runtime", "QBV", 21, 17, 0, "%.0f", F.NONE, readings.battery_runtime),
    _q("output.power.minimum.percent", "QLDL", 9, 1, 3, "%.0f", F.NONE),
    _q("output.power.maximum.percent", "QLDL", 9, 5, 7, "%.0f", F.NONE),
    *_phase("input", "Q3PV", 37, tuple(f"{n}.voltage" for n in LN), 5),
    *_phase("input", "Q3PC", 13, ("L1.current", "L2.current", "L3.current"), 3),
    *_phase("output", "Q3OV", 37, tuple(f"{n}.voltage" for n in LN), 5),
    *_phase("output", "Q3OC", 13, ("L1.current", "L2.current", "L3.current"), 3),
    *_phase("output", "Q3LD", 13, ("L1.power.percent", "L2.power.percent",
                                   "L3.power.percent"), 3),
    *_phase("output.bypass", "Q3YV", 37, tuple(f"{n}.voltage" for n in LN[:3]), 5),
    *_phase("output.bypass", "Q3YV", 19, ("L1-N.voltage", "L2-N.voltage"), 5),
    *_phase("output.bypass", "Q3YV", 37, tuple(f"{n}.voltage" for n in LN), 5)[3:],
    *(_flag(name, CAP, F.ENUM) for name in NUT_CAPS),
    *(_flag(name, None, NONUT) for name in NONUT_CAPS),
)


def claim(engine: Engine) -> bool:
    """``voltronic_claim``: input.voltage (QGS) must answer, then the protocol id (QPI)
    must be one this driver knows; a timed-out QGS is asked once more after 5 s."""
    index = engine.find("input.voltage")
    if index is None:
        return False
    item = engine.protocol.table[index]
    result = engine.process(item)
    if not result.ok and result.error == "ETIMEDOUT":
        time.sleep(CLAIM_RETRY_DELAY)
        result = engine.process(item)
    if not result.ok or engine.infoval_set(item, result.value) != 1:
        return False
    aux = engine.find("ups.firmware.aux")
    if aux is None:
        engine.delinfo("input.voltage")
        return False
    result = engine.process(engine.protocol.table[aux])
    if not result.ok or engine.infoval_set(engine.protocol.table[aux], result.value) != 1:
        engine.delinfo("input.voltage")
        return False
    return True
