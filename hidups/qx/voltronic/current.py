"""The UPS's own limits (ECO and bypass windows, battery count), read back from it.

Why: reading a limit does more than publish it in nutdrv_qx_voltronic: the ECO voltage
limits fill the published range from the nominal voltage, the bypass and battery values
are remembered so a setvar to the same value is refused, and each read enables the
matching setvar (ups.conf-only ones only when the user set them).
"""

from __future__ import annotations

from hidups.qx.cstr import is_numeric, strtod, strtol
from hidups.qx.engine import Engine
from hidups.qx.items import Item, QxFlag
from hidups.qx.voltronic.limits import eco_volt_limits, protocol_number


def eco_volt(engine: Engine, item: Item, value: str) -> str | None:
    """``voltronic_eco_volt``: input.transfer.{high,low}, and their range from the
    output nominal voltage and protocol (no range, no setvar when either is missing)."""
    if not is_numeric(value):
        return None
    out = (item.dfl or "%f") % strtod(value)
    nominal = engine.getinfo("output.voltage.nominal")
    if nominal is None or strtol(nominal) < 0:
        return out
    limits = eco_volt_limits(protocol_number(engine), strtol(nominal))
    if limits is None:
        return out
    low, high = limits
    name = item.name.lower()
    if name == "input.transfer.high":
        engine.rw_values[name] = (str(high[0]), str(high[1]))
    elif name == "input.transfer.low":
        engine.rw_values[name] = (str(low[0]), str(low[1]))
    for other, flag in ((f"{item.name}.min", QxFlag.SEMI_STATIC),
                        (f"{item.name}.max", QxFlag.SEMI_STATIC),
                        (item.name, QxFlag.SETVAR)):
        if not engine.unskip(other, flag):
            return None
    return out


def eco_volt_range(engine: Engine, item: Item, value: str) -> str | None:
    """``voltronic_eco_volt_range``: input.transfer.*.{min,max} from the filled range."""
    base, _, end = item.name.lower().rpartition(".")
    if base not in ("input.transfer.low", "input.transfer.high") or end not in ("min", "max"):
        return None
    filled = engine.rw_values.get(base, ("", ""))
    text = filled[0 if end == "min" else 1]
    return text or None


def eco_freq(engine: Engine, item: Item, value: str) -> str | None:
    """``voltronic_eco_freq``: input.frequency.{high,low}; enables its setvar."""
    if not is_numeric(value):
        return None
    out = (item.dfl or "%f") % strtod(value)
    if not engine.unskip(item.name, QxFlag.SETVAR):
        return None
    return out


def bypass(engine: Engine, item: Item, value: str) -> str | None:
    """``voltronic_bypass``: the bypass window (ups.conf-only), remembered for setvar."""
    if not is_numeric(value):
        return None
    name = item.name.lower()
    if name in ("max_bypass_volt", "min_bypass_volt"):
        number = float(strtol(value))
    elif name in ("max_bypass_freq", "min_bypass_freq"):
        number = strtod(value)
    else:
        return None
    engine.state[name] = number
    out = (item.dfl or "%f") % number
    if name in engine.settings.raw and not engine.unskip(item.name, QxFlag.SETVAR):
        return None
    return out


def battery_number(engine: Engine, item: Item, value: str) -> str | None:
    """``voltronic_batt_numb``: batteries per pack (ups.conf-only), remembered."""
    if not is_numeric(value):
        return None
    number = strtol(value)
    engine.state["battery_number"] = float(number)
    out = (item.dfl or "%d") % number
    if "battery_number" in engine.settings.raw and \
            not engine.unskip("battery_number", QxFlag.SETVAR):
        return None
    return out
