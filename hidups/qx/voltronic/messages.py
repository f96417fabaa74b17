"""The words Voltronic fault codes (``QFS``) and warning bits (``QWS``) stand for.

Why: NUT turns each code into a sentence in ``ups.alarm``; the sentences are the
interface (monitoring matches on them), so they are kept exactly as NUT 2.8.5 words
them, as data apart from the code that picks one.
"""

from __future__ import annotations

#: ``voltronic_fault`` for P31 units (codes 1..10 and 51..59).
P31_FAULTS: dict[int, str] = {
    1: "Fan failure.",
    2: "Over temperature fault.",
    3: "Battery voltage is too high.",
    4: "Battery voltage too low.",
    5: "Inverter relay short-circuited.",
    6: "Inverter voltage over maximum value.",
    7: "Overload fault.",
    8: "Bus voltage exceeds its upper limit.",
    9: "Bus soft start fail.",
    10: "Unknown fault [Fault code: 10]",
    51: "Over current fault.",
    52: "Bus voltage below its under limit.",
    53: "Inverter soft start fail.",
    54: "Self test fail.",
    55: "Output DC voltage exceeds its upper limit.",
    56: "Battery open fault.",
    57: "Current sensor fault.",
    58: "Battery short.",
    59: "Inverter voltage below its lower limit.",
}

#: ``voltronic_fault`` for every other protocol; code 1 depends on its second char.
FAULTS: dict[int, str] = {
    1: "Bus voltage not within default setting.",
    2: "Bus voltage over maximum value.",
    3: "Bus voltage below minimum value.",
    4: "Bus voltage differences out of acceptable range.",
    5: "Bus voltage of slope rate drops too fast.",
    6: "Over current in PFC input inductor.",
    11: "Inverter voltage not within default setting.",
    12: "Inverter voltage over maximum value.",
    13: "Inverter voltage below minimum value.",
    14: "Inverter short-circuited.",
    15: "L2 phase inverter short-circuited.",
    16: "L3 phase inverter short-circuited.",
    17: "L1L2 inverter short-circuited.",
    18: "L2L3 inverter short-circuited.",
    19: "L3L1 inverter short-circuited.",
    21: "Battery SCR short-circuited.",
    22: "Line SCR short-circuited.",
    23: "Inverter relay open fault.",
    24: "Inverter relay short-circuited.",
    25: "Input and output wires oppositely connected.",
    26: "Battery oppositely connected.",
    27: "Battery voltage is too high.",
    28: "Battery voltage too low.",
    29: "Failure for battery fuse being open-circuited.",
    31: "CAN-bus communication fault.",
    32: "Host signal circuit fault.",
    33: "Synchronous signal circuit fault.",
    34: "Synchronous pulse signal circuit fault.",
    35: "Parallel cable disconnected.",
    36: "Load unbalanced.",
    41: "Over temperature fault.",
    42: "Communication failure between CPUs in control board.",
    43: "Overload fault.",
    44: "Fan failure.",
    45: "Charger failure.",
    46: "Model fault.",
    47: "MCU communication fault.",
}

#: Code 1 with a phase letter after it.
FAULT_1_PHASE: dict[str, str] = {
    "A": "L1 inverter negative power out of acceptable range.",
    "B": "L2 inverter negative power out of acceptable range.",
    "C": "L3 inverter negative power out of acceptable range.",
}

#: Fault codes that also raise a status bit (P31 7, others 43: overload).
P31_FAULT_STATUS = {7: "OVER"}
FAULT_STATUS = {43: "OVER"}

#: ``voltronic_warning``: bit index (0-based) -> sentence.
WARNINGS: dict[int, str] = {
    0: "Battery disconnected.",
    1: "Neutral not connected.",
    2: "Site fault.",
    3: "Phase sequence incorrect.",
    4: "Phase sequence incorrect in bypass.",
    5: "Input frequency unstable in bypass.",
    6: "Battery overcharged.",
    7: "Low battery.",
    8: "Overload alarm.",
    9: "Fan alarm.",
    10: "EPO enabled.",
    11: "Unable to turn on UPS.",
    12: "Over temperature alarm.",
    13: "Charger alarm.",
    14: "Remote auto shutdown.",
    15: "L1 input fuse not working.",
    16: "L2 input fuse not working.",
    17: "L3 input fuse not working.",
    18: "Positive PFC abnormal in L1.",
    19: "Negative PFC abnormal in L1.",
    20: "Positive PFC abnormal in L2.",
    21: "Negative PFC abnormal in L2.",
    22: "Positive PFC abnormal in L3.",
    23: "Negative PFC abnormal in L3.",
    24: "Abnormal in CAN-bus communication.",
    25: "Abnormal in synchronous signal circuit.",
    26: "Abnormal in synchronous pulse signal circuit.",
    27: "Abnormal in host signal circuit.",
    28: "Male connector of parallel cable not connected well.",
    29: "Female connector of parallel cable not connected well.",
    30: "Parallel cable not connected well.",
    31: "Battery connection not consistent in parallel systems.",
    32: "AC connection not consistent in parallel systems.",
    33: "Bypass connection not consistent in parallel systems.",
    34: "UPS model types not consistent in parallel systems.",
    35: "Capacity of UPSes not consistent in parallel systems.",
    36: "Auto restart setting not consistent in parallel systems.",
    37: "Battery cell over charge.",
    38: "Battery protection setting not consistent in parallel systems.",
    39: "Battery detection setting not consistent in parallel systems.",
    40: "Bypass not allowed setting not consistent in parallel systems.",
    41: "Converter setting not consistent in parallel systems.",
    42: "High loss point for frequency in bypass mode not consistent in parallel systems.",
    43: "Low loss point for frequency in bypass mode not consistent in parallel systems.",
    44: "High loss point for voltage in bypass mode not consistent in parallel systems.",
    45: "Low loss point for voltage in bypass mode not consistent in parallel systems.",
    46: "High loss point for frequency in AC mode not consistent in parallel systems.",
    47: "Low loss point for frequency in AC mode not consistent in parallel systems.",
    48: "High loss point for voltage in AC mode not consistent in parallel systems.",
    49: "Low loss point for voltage in AC mode not consistent in parallel systems.",
    50: "Warning for locking in bypass mode after 3 consecutive overloads within 30 min.",
    51: "Warning for three-phase AC input current unbalance.",
    52: "Warning for a three-phase input current unbalance detected in battery mode.",
    53: "Warning for Inverter inter-current unbalance.",
    54: "Programmable outlets cut off pre-alarm.",
    55: "Warning for Battery replace.",
    56: "Abnormal warning on input phase angle.",
    57: "Warning!! Cover of maintain switch is open.",
    61: "EEPROM operation error.",
}

#: Warning bits that also raise a status bit.
WARNING_STATUS = {7: "LB", 8: "OVER", 55: "RB"}

#: ``voltronic_mode``: QMOD letter -> (status word, alarm, buzzword).
MODES: dict[str, tuple[str | None, str | None, str | None]] = {
    "P": (None, "UPS is going ON.", None),
    "S": ("OFF", None, None),
    "Y": ("BYPASS", None, None),
    "L": ("OL", None, None),
    "B": ("!OL", None, None),
    "T": ("CAL", None, None),
    "F": (None, "Fault reported by UPS.", None),
    "E": (None, None, "vendor:voltronic:ECO-inverter-on"),
    "C": (None, None, "vendor:voltronic:freq-converter-on"),
    "D": ("FSD", "UPS is shutting down!", None),
}
