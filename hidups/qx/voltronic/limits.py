"""Which of NUT's candidate limits a given Voltronic unit accepts.

Why: nutdrv_qx_voltronic lists every limit any Voltronic protocol (P01..P99) allows for
the bypass and ECO settings, and lets each entry's own function drop those that do not
fit this unit's protocol, input voltage or output frequency. The published enums and
ranges, and what a setvar accepts, come out of that filter, so it is kept as data here:
value -> the (protocols, condition) pairs under which NUT keeps it.
"""

from __future__ import annotations

from collections.abc import Mapping

from hidups.qx.cstr import strtod, strtol
from hidups.qx.engine import Engine

P_ALL = frozenset({1, 2, 3, 9, 10, 13, 14, 99})
P_NEW = frozenset({2, 3, 10, 13, 14, 99})  # "P02/P03/P10/P13/P14/P99"
P_NEW5 = frozenset({2, 3, 10, 13, 14})
P_OLD = frozenset({1, 9})
P01 = frozenset({1})
P09 = frozenset({9})
P99 = frozenset({99})

LOW = "ivn<200"
HIGH = "ivn>=200"
ANY = ""

Rule = tuple[frozenset[int], str]

BYPASS_VOLT_MAX: Mapping[int, tuple[Rule, ...]] = {
    60: ((P09, ANY),), 115: ((P_NEW, LOW),), 120: ((P01, LOW),), 132: ((P99, LOW),),
    138: ((P_NEW5, LOW),), 140: ((P09, ANY), (P01, LOW)), 230: ((P01, HIGH),),
    231: ((P_NEW, HIGH),), 261: ((P99, HIGH),), 264: ((P01, HIGH),), 276: ((P_NEW5, HIGH),),
}
BYPASS_VOLT_MIN: Mapping[int, tuple[Rule, ...]] = {
    50: ((P99, LOW),), 55: ((P_NEW5, LOW),), 60: ((P09, ANY),), 85: ((P01 | P99, LOW),),
    104: ((P_NEW5, LOW),), 110: ((P_NEW5, HIGH),), 115: ((P01, LOW),), 140: ((P09, ANY),),
    149: ((P99, HIGH),), 170: ((P01, HIGH),), 209: ((P_NEW, HIGH),), 220: ((P01, HIGH),),
}

FreqRule = tuple[frozenset[int], float]

BYPASS_FREQ_MAX: Mapping[int, FreqRule] = {
    51: (P_ALL, 50.0), 54: (P_NEW, 50.0), 60: (P_OLD, 50.0),
    61: (P_ALL, 60.0), 64: (P_NEW, 60.0), 70: (P_OLD, 60.0),
}
BYPASS_FREQ_MIN: Mapping[int, FreqRule] = {
    40: (P_OLD, 50.0), 46: (P_NEW, 50.0), 49: (P_ALL, 50.0),
    50: (P_OLD, 60.0), 56: (P_NEW, 60.0), 59: (P_ALL, 60.0),
}
ECO_FREQ_MIN: Mapping[int, FreqRule] = {
    40: (P_OLD, 50.0), 46: (P_NEW, 50.0), 47: (P_OLD, 50.0), 48: (P_NEW, 50.0),
    50: (P_OLD, 60.0), 56: (P_NEW, 60.0), 57: (P_OLD, 60.0), 58: (P_NEW, 60.0),
}
ECO_FREQ_MAX: Mapping[int, FreqRule] = {
    52: (P_NEW, 50.0), 53: (P_OLD, 50.0), 54: (P_NEW, 50.0), 60: (P_OLD, 50.0),
    62: (P_NEW, 60.0), 63: (P_OLD, 60.0), 64: (P_NEW, 60.0), 70: (P_OLD, 60.0),
}


def protocol_number(engine: Engine) -> int:
    """``strtol(dstate_getinfo("ups.firmware.aux")+1)``: 1 for ``P01``."""
    aux = engine.getinfo("ups.firmware.aux") or ""
    return strtol(aux[1:])


def _volt_rule(table: Mapping[int, tuple[Rule, ...]], engine: Engine, value: str) -> bool:
    nominal = engine.getinfo("input.voltage.nominal")
    if nominal is None:
        return False
    ivn = strtol(nominal)
    protocol = protocol_number(engine)
    for protocols, condition in table.get(strtol(value), ()):
        if (condition == LOW and ivn >= 200) or (condition == HIGH and ivn < 200):
            return False
        if protocol in protocols:
            return True
    return False


def _freq_rule(table: Mapping[int, FreqRule], engine: Engine, value: str) -> bool:
    nominal = engine.getinfo("output.frequency.nominal")
    rule = table.get(strtol(value))
    if nominal is None or rule is None:
        return False
    protocols, frequency = rule
    return strtod(nominal) == frequency and protocol_number(engine) in protocols


def bypass_volt_max(engine: Engine, value: str) -> bool:
    """``voltronic_bypass_volt_max``."""
    return _volt_rule(BYPASS_VOLT_MAX, engine, value)


def bypass_volt_min(engine: Engine, value: str) -> bool:
    """``voltronic_bypass_volt_min``."""
    return _volt_rule(BYPASS_VOLT_MIN, engine, value)


def bypass_freq_max(engine: Engine, value: str) -> bool:
    """``voltronic_bypass_freq_max``."""
    return _freq_rule(BYPASS_FREQ_MAX, engine, value)


def bypass_freq_min(engine: Engine, value: str) -> bool:
    """``voltronic_bypass_freq_min``."""
    return _freq_rule(BYPASS_FREQ_MIN, engine, value)


def eco_freq_min(engine: Engine, value: str) -> bool:
    """``voltronic_eco_freq_min``."""
    return _freq_rule(ECO_FREQ_MIN, engine, value)


def eco_freq_max(engine: Engine, value: str) -> bool:
    """``voltronic_eco_freq_max``."""
    return _freq_rule(ECO_FREQ_MAX, engine, value)


def batt_low(engine: Engine, value: str) -> bool:
    """``voltronic_batt_low``: 20 always; then 24 below 1000 VA-ish (V*A), else 28."""
    if strtol(value) == 20:
        return True  # NUT's "20" entry has no function of its own
    ovn = engine.getinfo("output.voltage.nominal")
    ocn = engine.getinfo("output.current.nominal")
    if ovn is None or ocn is None:
        return False
    small = strtol(ovn) * strtol(ocn) < 1000
    return strtol(value) == (24 if small else 28)


def eco_volt_limits(protocol: int, ovn: int) -> tuple[tuple[int, int], tuple[int, int]] | None:
    """``voltronic_eco_volt``'s ((min.lower, min.upper), (max.lower, max.upper)), or None
    where the protocol has no ECO mode."""
    if protocol in P_OLD:
        near, far = (7, 24) if ovn >= 200 else (3, 12)
    elif protocol in P_NEW:
        near, far = (11, 24) if ovn >= 200 else (5, 12)
    else:
        return None
    return (ovn - far, ovn - near), (ovn + near, ovn + far)
