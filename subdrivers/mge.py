# ruff: noqa: E501  (hid2nut rows stay one per line, so they can be grepped)
"""Eaton / MGE subdriver (NUT's ``mge-hid.c``, "MGE HID 1.59").

Eaton (0463), Dell (047c), Powerware, HP, AEG, IBM and KSTAR units that speak MGE's
HID dialect: 150 vendor usages on page 0xFFFF, indexed collections
(``PowerConverter.Input.[1]`` is the mains, ``[2]`` the bypass, ``[3]`` the battery
path, ``[4]`` manual bypass, ``[5]`` ECO/ESS; ``Flow.[4]`` the output ratings;
``OutletSystem.Outlet.[1..4]`` the main outlet and the PowerShare groups).

NUT keeps per-device decisions in globals (model family, country, ABM mode, the
first nominal output voltage); here they live in the subdriver's scratch
``ctx.state`` under the keys ``mge.type``, ``mge.country``, ``mge.abm``,
``mge.abm_path``, ``mge.nominal``. Side effects NUT performs from inside
conversions (publishing or deleting another variable, buzzword modes, writes) go
through the context's effect methods: ``ctx.publish``, ``ctx.delete``,
``ctx.buzzmode``, ``ctx.request_write`` (see docs/subdrivers.md).
"""

from __future__ import annotations

import time

from hidups.device import DeviceInfo
from hidups.hid2nut.lookups import (
    BATTVOLTHI_INFO,
    BATTVOLTLO_INFO,
    BEEPER_INFO,
    BOOST_INFO,
    BYPASS_AUTO_INFO,
    BYPASS_MANUAL_INFO,
    CHARGERFAIL_INFO,
    COMMFAULT_INFO,
    ECO_MODE_INFO,
    FANFAIL_INFO,
    FRANGE_INFO,
    KELVIN_CELSIUS_CONVERSION,
    LOWBATT_INFO,
    NOBATTERY_INFO,
    OFF_INFO,
    ON_OFF_INFO,
    ONLINE_INFO,
    OVERHEAT_INFO,
    OVERLOAD_INFO,
    REPLACEBATT_INFO,
    SHUTDOWNIMM_INFO,
    STRINGID_CONVERSION,
    TEST_READ_INFO,
    TRIM_INFO,
    VRANGE_INFO,
    YES_NO_INFO,
)
from hidups.hid2nut.subdriver import Claim, Options, Subdriver, Support, UsbId, support_of
from hidups.hid2nut.table import (
    ABSENT,
    ALARM,
    BOOL,
    CMD,
    ENUM,
    NONE,
    OFFDELAY,
    ONDELAY,
    QUICK,
    RW,
    SEMI_STATIC,
    STATIC,
    STRING,
    Context,
    Convert,
    FunctionTable,
    Row,
    Table,
    ToNut,
)
from hidups.numbers import c_atoi
from hidups.usages import UsageTable

from .mge_models import (
    EATON_5P,
    EATON_9E,
    MGE_DEFAULT,
    MGE_EVOLUTION,
    MGE_EVOLUTION_650,
    MGE_PEGASUS,
    MGE_PULSAR_M,
    family,
    model_name,
)

EATON_VENDOR = 0x0463
DELL_VENDOR = 0x047C
POWERWARE_VENDOR = 0x0592
HP_VENDOR = 0x03F0
AEG_VENDOR = 0x2B2D
PHOENIXTEC_VENDOR = 0x06DA
IBM_VENDOR = 0x04B3
KSTAR_VENDOR = 0x09D6


# Country codes of UPS.PowerSummary.Country (NUT's country_code_t).
COUNTRY_UNKNOWN = -1
COUNTRY_EUROPE = 0
COUNTRY_US = 1
COUNTRY_EUROPE_208 = 2  # European models that also offer 200/208 V
COUNTRY_WORLDWIDE = 3
COUNTRY_AUSTRALIA = 4

# --- vendor usages ----------------------------------------------------------------------

USAGES = UsageTable(
    (
        ("Undefined", 0xFFFF0000),
        ("STS", 0xFFFF0001),
        ("Environment", 0xFFFF0002),
        ("Statistic", 0xFFFF0003),
        ("StatisticSystem", 0xFFFF0004),
        ("USB", 0xFFFF0005),
        ("Phase", 0xFFFF0010),
        ("PhaseID", 0xFFFF0011),
        ("Chopper", 0xFFFF0012),
        ("ChopperID", 0xFFFF0013),
        ("Inverter", 0xFFFF0014),
        ("InverterID", 0xFFFF0015),
        ("Rectifier", 0xFFFF0016),
        ("RectifierID", 0xFFFF0017),
        ("LCMSystem", 0xFFFF0018),
        ("LCMSystemID", 0xFFFF0019),
        ("LCMAlarm", 0xFFFF001A),
        ("LCMAlarmID", 0xFFFF001B),
        ("HistorySystem", 0xFFFF001C),
        ("HistorySystemID", 0xFFFF001D),
        ("Event", 0xFFFF001E),
        ("EventID", 0xFFFF001F),
        ("CircuitBreaker", 0xFFFF0020),
        ("TransferForbidden", 0xFFFF0021),
        ("OverallAlarm", 0xFFFF0022),
        ("Dephasing", 0xFFFF0023),
        ("BypassBreaker", 0xFFFF0024),
        ("PowerModule", 0xFFFF0025),
        ("PowerRate", 0xFFFF0026),
        ("PowerSource", 0xFFFF0027),
        ("CurrentPowerSource", 0xFFFF0028),
        ("RedundancyLevel", 0xFFFF0029),
        ("RedundancyLost", 0xFFFF002A),
        ("NotificationStatus", 0xFFFF002B),
        ("ProtectionLost", 0xFFFF002C),
        ("ConfigurationFailure", 0xFFFF002D),
        ("CompatibilityFailure", 0xFFFF002E),
        ("SwitchType", 0xFFFF0040),
        ("ConverterType", 0xFFFF0041),
        ("FrequencyConverterMode", 0xFFFF0042),
        ("AutomaticRestart", 0xFFFF0043),
        ("ForcedReboot", 0xFFFF0044),
        ("TestPeriod", 0xFFFF0045),
        ("EnergySaving", 0xFFFF0046),
        ("StartOnBattery", 0xFFFF0047),
        ("Schedule", 0xFFFF0048),
        ("DeepDischargeProtection", 0xFFFF0049),
        ("ShortCircuit", 0xFFFF004A),
        ("ExtendedVoltageMode", 0xFFFF004B),
        ("SensitivityMode", 0xFFFF004C),
        ("RemainingCapacityLimitSetting", 0xFFFF004D),
        ("ExtendedFrequencyMode", 0xFFFF004E),
        ("FrequencyConverterModeSetting", 0xFFFF004F),
        ("LowVoltageBoostTransfer", 0xFFFF0050),
        ("HighVoltageBoostTransfer", 0xFFFF0051),
        ("LowVoltageBuckTransfer", 0xFFFF0052),
        ("HighVoltageBuckTransfer", 0xFFFF0053),
        ("OverloadTransferEnable", 0xFFFF0054),
        ("OutOfToleranceTransferEnable", 0xFFFF0055),
        ("ForcedTransferEnable", 0xFFFF0056),
        ("LowVoltageBypassTransfer", 0xFFFF0057),
        ("HighVoltageBypassTransfer", 0xFFFF0058),
        ("FrequencyRangeBypassTransfer", 0xFFFF0059),
        ("LowVoltageEcoTransfer", 0xFFFF005A),
        ("HighVoltageEcoTransfer", 0xFFFF005B),
        ("FrequencyRangeEcoTransfer", 0xFFFF005C),
        ("ShutdownTimer", 0xFFFF005D),
        ("StartupTimer", 0xFFFF005E),
        ("RestartLevel", 0xFFFF005F),
        ("PhaseOutOfRange", 0xFFFF0060),
        ("CurrentLimitation", 0xFFFF0061),
        ("ThermalOverload", 0xFFFF0062),
        ("SynchroSource", 0xFFFF0063),
        ("FuseFault", 0xFFFF0064),
        ("ExternalProtectedTransfert", 0xFFFF0065),
        ("ExternalForcedTransfert", 0xFFFF0066),
        ("Compensation", 0xFFFF0067),
        ("EmergencyStop", 0xFFFF0068),
        ("PowerFactor", 0xFFFF0069),
        ("PeakFactor", 0xFFFF006A),
        ("ChargerType", 0xFFFF006B),
        ("HighPositiveDCBusVoltage", 0xFFFF006C),
        ("LowPositiveDCBusVoltage", 0xFFFF006D),
        ("HighNegativeDCBusVoltage", 0xFFFF006E),
        ("LowNegativeDCBusVoltage", 0xFFFF006F),
        ("FrequencyRangeTransfer", 0xFFFF0070),
        ("WiringFaultDetection", 0xFFFF0071),
        ("ControlStandby", 0xFFFF0072),
        ("ShortCircuitTolerance", 0xFFFF0073),
        ("VoltageTooHigh", 0xFFFF0074),
        ("VoltageTooLow", 0xFFFF0075),
        ("DCBusUnbalanced", 0xFFFF0076),
        ("FanFailure", 0xFFFF0077),
        ("WiringFault", 0xFFFF0078),
        ("Floating", 0xFFFF0079),
        ("OverCurrent", 0xFFFF007A),
        ("RemainingActivePower", 0xFFFF007B),
        ("Energy", 0xFFFF007C),
        ("Threshold", 0xFFFF007D),
        ("OverThreshold", 0xFFFF007E),
        ("Sensor", 0xFFFF0080),
        ("LowHumidity", 0xFFFF0081),
        ("HighHumidity", 0xFFFF0082),
        ("LowTemperature", 0xFFFF0083),
        ("HighTemperature", 0xFFFF0084),
        ("ECOControl", 0xFFFF0085),
        ("Efficiency", 0xFFFF0086),
        ("ABMEnable", 0xFFFF0087),
        ("NegativeCurrent", 0xFFFF0088),
        ("AutomaticStart", 0xFFFF0089),
        ("Count", 0xFFFF0090),
        ("Timer", 0xFFFF0091),
        ("Interval", 0xFFFF0092),
        ("TimerExpired", 0xFFFF0093),
        ("Mode", 0xFFFF0094),
        ("Country", 0xFFFF0095),
        ("State", 0xFFFF0096),
        ("Time", 0xFFFF0097),
        ("Code", 0xFFFF0098),
        ("DataValid", 0xFFFF0099),
        ("ToggleTimer", 0xFFFF009A),
        ("BypassTransferDelay", 0xFFFF009B),
        ("HysteresisVoltageTransfer", 0xFFFF009C),
        ("SlewRate", 0xFFFF009D),
        ("PDU", 0xFFFF00A0),
        ("Breaker", 0xFFFF00A1),
        ("BreakerID", 0xFFFF00A2),
        ("OverVoltage", 0xFFFF00A3),
        ("Tripped", 0xFFFF00A4),
        ("OverEnergy", 0xFFFF00A5),
        ("OverHumidity", 0xFFFF00A6),
        ("ConfigurationReset", 0xFFFF00A7),
        ("Level", 0xFFFF00A8),
        ("PDUType", 0xFFFF00A9),
        ("ReactivePower", 0xFFFF00AA),
        ("Pole", 0xFFFF00AB),
        ("PoleID", 0xFFFF00AC),
        ("Reset", 0xFFFF00AD),
        ("WatchdogReset", 0xFFFF00AE),
        ("iDesignator", 0xFFFF00BA),
        ("COPIBridge", 0xFFFF00E0),
        ("Gateway", 0xFFFF00E1),
        ("System", 0xFFFF00E5),
        ("Status", 0xFFFF00E9),
        ("iModel", 0xFFFF00F0),
        ("iVersion", 0xFFFF00F1),
        ("iTechnicalLevel", 0xFFFF00F2),
        ("iPartNumber", 0xFFFF00F3),
        ("iReferenceNumber", 0xFFFF00F4),
        ("iGang", 0xFFFF00F5),
    )
)

# --- per-device state -----------------------------------------------------------------------


def mge_type(ctx: Context) -> int:
    """The model family found by ``format_model`` (line-interactive/online by default)."""
    value = ctx.state.get("mge.type", MGE_DEFAULT)
    return int(value)


def _number(ctx: Context, name: str) -> float | None:
    text = ctx.get(name)
    if text is None:
        return None
    try:
        return float(text)
    except ValueError:
        return 0.0


# --- ABM: Advanced Battery Monitoring ------------------------------------------------------
# With ABM on, the charger cycles charge / float / rest, and PresentStatus.Charging
# no longer means "charging": CHRG/DISCHRG then come from Charger.Mode or
# Charger.Status (whichever the device has, decided on the first reading) and the
# cycle is published as battery.charger.status. With ABM off (or unknown), the
# PresentStatus bits are used and battery.charger.status is removed.

ABM_UNKNOWN, ABM_DISABLED, ABM_ENABLED = -1, 0, 1
ABM_PATH_UNKNOWN, ABM_PATH_STATUS, ABM_PATH_MODE = -1, 0, 1

#: Charger.Status values (9-series and later) and Charger.Mode values (older units).
ABM_STATUS_TEXT = {1: "charging", 2: "floating", 3: "resting", 4: "discharging", 6: "off"}
ABM_MODE_TEXT = {1: "charging", 2: "discharging", 3: "floating", 4: "resting", 6: "off"}
#: Which of those set CHRG or DISCHRG (resting, off and "undefined" 5 set nothing).
ABM_STATUS_FLAG = {1: "chrg", 2: "chrg", 4: "dischrg"}
ABM_MODE_FLAG = {1: "chrg", 3: "chrg", 2: "dischrg"}


def _abm_on(ctx: Context) -> bool:
    return bool(ctx.state.get("mge.abm", ABM_UNKNOWN) == ABM_ENABLED)


def abm_enabled_to_nut(value: float, ctx: Context) -> str | None:
    """Remember whether ABM is on (``Charger.ABMEnable``); publishes nothing."""
    flag = int(value)
    ctx.state["mge.abm"] = flag if flag in (ABM_DISABLED, ABM_ENABLED) else ABM_UNKNOWN
    return None


def _abm_path_setter(path: int) -> ToNut:
    def remember_abm_path(value: float, ctx: Context) -> str | None:
        """Pick the ABM data path the first time it is read with ABM on."""
        if not _abm_on(ctx):
            ctx.state["mge.abm_path"] = ABM_PATH_UNKNOWN
        elif ctx.state.get("mge.abm_path", ABM_PATH_UNKNOWN) == ABM_PATH_UNKNOWN:
            ctx.state["mge.abm_path"] = path
        return None

    return remember_abm_path


def _abm_uses_status(ctx: Context) -> bool:
    return bool(ctx.state.get("mge.abm_path", ABM_PATH_UNKNOWN) == ABM_PATH_STATUS)


def abm_status_to_nut(value: float, ctx: Context) -> str | None:
    """``battery.charger.status`` from the ABM cycle; removed while ABM is off."""
    if not _abm_on(ctx):
        ctx.delete("battery.charger.status")
        return None
    texts = ABM_STATUS_TEXT if _abm_uses_status(ctx) else ABM_MODE_TEXT
    return texts.get(int(value))


def abm_chrg_dischrg_to_nut(value: float, ctx: Context) -> str | None:
    """CHRG/DISCHRG from the ABM cycle (only while ABM is on)."""
    if not _abm_on(ctx):
        return None
    flags = ABM_STATUS_FLAG if _abm_uses_status(ctx) else ABM_MODE_FLAG
    return flags.get(int(value))


def discharging_to_nut(value: float, ctx: Context) -> str | None:
    """PresentStatus.Discharging counts only while ABM is off; else it is cleared."""
    if not _abm_on(ctx) and int(value) == 1:
        return "dischrg"
    return "!dischrg"


def charging_to_nut(value: float, ctx: Context) -> str | None:
    """PresentStatus.Charging counts only while ABM is off, and not at 100 % charge.

    Constant-charge units (5E) keep the bit set while floating; NUT master drops
    CHRG once ``battery.charge`` reaches 100.
    """
    if _abm_on(ctx) or int(value) != 1:
        return "!chrg"
    charge = _number(ctx, "battery.charge")
    if charge is not None and charge >= 100.0:
        return "!chrg"
    return "chrg"


EATON_ABM_ENABLED_INFO = Convert("eaton_abm_enabled_info", abm_enabled_to_nut)
EATON_ABM_PATH_MODE_INFO = Convert("eaton_abm_path_mode_info", _abm_path_setter(ABM_PATH_MODE))
EATON_ABM_PATH_STATUS_INFO = Convert("eaton_abm_path_status_info", _abm_path_setter(ABM_PATH_STATUS))
EATON_ABM_STATUS_INFO = Convert("eaton_abm_status_info", abm_status_to_nut)
EATON_ABM_CHRG_DISCHRG_INFO = Convert("eaton_abm_chrg_dischrg_info", abm_chrg_dischrg_to_nut)
EATON_DISCHARGING_INFO = Convert("eaton_discharging_info", discharging_to_nut)
EATON_CHARGING_INFO = Convert("eaton_charging_info", charging_to_nut)
EATON_CHARGER_TYPE_INFO = Table(
    "eaton_charger_type_info",
    (
        (0, "None"),
        (1, "Extended (CLA)"),
        (2, "Large extension"),
        (3, "Extra large extension (XL)"),
        (4, "ABM"),
        (5, "Constant Charge (CC)"),
    ),
)

# --- date and time: UPS.PowerSummary.Time is Unix seconds -----------------------------------

_DATE_FORMAT = "%Y/%m/%d"
_TIME_FORMAT = "%H:%M:%S"


def ups_date_to_nut(value: float, ctx: Context) -> str | None:
    try:
        return time.strftime(_DATE_FORMAT, time.localtime(int(value)))
    except (OverflowError, OSError, ValueError):
        return None


def ups_time_to_nut(value: float, ctx: Context) -> str | None:
    try:
        return time.strftime(_TIME_FORMAT, time.localtime(int(value)))
    except (OverflowError, OSError, ValueError):
        return None


def _local_seconds(date_text: str | None, time_text: str | None) -> float | None:
    """Local ``YYYY/MM/DD`` + ``HH:MM:SS`` → Unix seconds; ``None`` if either is bad."""
    if date_text is None or time_text is None:
        return None
    try:
        parsed = time.strptime(f"{date_text} {time_text}", f"{_DATE_FORMAT} {_TIME_FORMAT}")
    except ValueError:
        return None
    return float(time.mktime(parsed))


def ups_date_to_hid(text: str, ctx: Context) -> float | None:
    """A new date, kept with the current ``ups.time``."""
    return _local_seconds(text, ctx.get("ups.time"))


def ups_time_to_hid(text: str, ctx: Context) -> float | None:
    """A new time of day, kept with the current ``ups.date``."""
    return _local_seconds(ctx.get("ups.date"), text)


MGE_DATE_CONVERSION = Convert("mge_date_conversion", ups_date_to_nut, ups_date_to_hid)
MGE_TIME_CONVERSION = Convert("mge_time_conversion", ups_time_to_nut, ups_time_to_hid)

# --- values that only some model families report --------------------------------------------

_BATTERY_VOLTAGE_FAMILIES = (MGE_EVOLUTION, MGE_PULSAR_M, EATON_5P, EATON_9E)


def battery_voltage_nominal_to_nut(value: float, ctx: Context) -> str | None:
    """PowerSummary.ConfigVoltage is the battery's only for some families.

    The Evolution 650 reports it wrongly: its battery is 12 V.
    """
    kind = mge_type(ctx)
    if family(kind) not in _BATTERY_VOLTAGE_FAMILIES:
        return None
    if kind == MGE_EVOLUTION_650:
        value = 12.0
    return "%.0f" % value


def battery_voltage_to_nut(value: float, ctx: Context) -> str | None:
    """PowerSummary.Voltage is the battery's only for some families."""
    if family(mge_type(ctx)) not in _BATTERY_VOLTAGE_FAMILIES:
        return None
    return "%.1f" % value


def powerfactor_to_nut(value: float, ctx: Context) -> str | None:
    """Power factor in hundredths → ``0.80``."""
    return "%.2f" % (value / 100)


def battery_capacity_to_nut(value: float, ctx: Context) -> str | None:
    """DesignCapacity in ampere-seconds → ampere-hours."""
    return "%.2f" % (value / 3600)


MGE_BATTERY_VOLTAGE_NOMINAL = Convert("mge_battery_voltage_nominal", battery_voltage_nominal_to_nut)
MGE_BATTERY_VOLTAGE = Convert("mge_battery_voltage", battery_voltage_to_nut)
MGE_POWERFACTOR_CONVERSION = Convert("mge_powerfactor_conversion", powerfactor_to_nut)
MGE_BATTERY_CAPACITY = Convert("mge_battery_capacity", battery_capacity_to_nut)

# --- plain tables -------------------------------------------------------------------------

EATON_ENABLE_DISABLE_INFO = Table("eaton_enable_disable_info", ((0, "disabled"), (1, "enabled")))
MGE_UPSTYPE_CONVERSION = Table(
    "mge_upstype_conversion",
    (
        (1, "offline / line interactive"),
        (2, "online"),
        (3, "online - unitary/parallel"),
        (4, "online - parallel with hot standy"),  # sic, as NUT publishes it
        (5, "online - hot standby redundancy"),
    ),
)
MGE_SENSITIVITY_INFO = Table("mge_sensitivity_info", ((0, "normal"), (1, "high"), (2, "low")))
MGE_EMERGENCY_STOP = Table("mge_emergency_stop", ((1, "Emergency stop!"),))
MGE_WIRING_FAULT = Table("mge_wiring_fault", ((1, "Wiring fault!"),))
MGE_CONFIG_FAILURE = Table("mge_config_failure", ((1, "Fatal EEPROM fault!"),))
MGE_INVERTER_VOLTHI = Table("mge_inverter_volthi", ((1, "Inverter AC voltage too high!"),))
MGE_INVERTER_VOLTLO = Table("mge_inverter_voltlo", ((1, "Inverter AC voltage too low!"),))
MGE_SHORT_CIRCUIT = Table("mge_short_circuit", ((1, "Output short circuit!"),))
#: The battery path in use (or mains voltage too low) means "not on line power".
MGE_ONBATT_INFO = Table("mge_onbatt_info", ((1, "!online"), (0, "online")))
OUTLET_ECO_YES_NO_INFO = Table(
    "outlet_eco_yes_no_info",
    ((0, "The outlet is not ECO controlled"), (1, "The outlet is ECO controlled")),
)
EATON_OUTLET_PROTECTION_STATUS_INFO = Table(
    "eaton_outlet_protection_status_info",
    ((0, "not powered"), (1, "not protected"), (2, "protected")),
)

# --- ECO outlet controls: Protection Station, Ellipse ECO, 3S ---------------------------------


def _has_eco_outlets(ctx: Context) -> bool:
    """Pegasus family, which by NUT's family test (``type & 0xFF00``) includes every 3S.

    NUT meant to leave out European 3S units (country 0), but its 3S case can never
    be reached (0x110 & 0xFF00 is the Pegasus family); we keep NUT's behaviour.
    """
    return family(mge_type(ctx)) == MGE_PEGASUS


def pegasus_threshold_to_nut(value: float, ctx: Context) -> str | None:
    """Master-outlet power threshold (10, 25 or 60 VA), on ECO-outlet models only."""
    return "%.0f" % value if _has_eco_outlets(ctx) else None


def pegasus_yes_no_to_nut(value: float, ctx: Context) -> str | None:
    if not _has_eco_outlets(ctx):
        return None
    return "no" if value == 0 else "yes"


def pegasus_yes_no_to_hid(text: str, ctx: Context) -> float | None:
    """``yes`` → 1, anything else → 0 (as NUT); always 0 on models without ECO outlets."""
    if not _has_eco_outlets(ctx):
        return 0.0
    return 1.0 if text.startswith("yes") else 0.0


PEGASUS_THRESHOLD_INFO = FunctionTable(
    "pegasus_threshold_info", pegasus_threshold_to_nut, ((10, "10"), (25, "25"), (60, "60"))
)
PEGASUS_YES_NO_INFO = FunctionTable(
    "pegasus_yes_no_info", pegasus_yes_no_to_nut, from_nut=pegasus_yes_no_to_hid
)

# --- ECO / ESS / bypass modes (93PM, 9395P, 9SX, 9E) ------------------------------------------


def _within_limits(
    ctx: Context,
    low_name: str,
    high_name: str,
    range_name: str,
    default_span: tuple[float, float],
    default_frequency_percent: float,
) -> bool | None:
    """Are bypass voltage and frequency inside the configured (or default) window?

    ``None`` when the bypass or nominal readings are missing. Missing or zero
    limits fall back to ``nominal * default_span`` and ``± default_frequency_percent``.
    """
    bypass_v = _number(ctx, "input.bypass.voltage")
    bypass_f = _number(ctx, "input.bypass.frequency")
    nominal_v = _number(ctx, "output.voltage.nominal")
    nominal_f = _number(ctx, "output.frequency.nominal")
    if bypass_v is None or bypass_f is None or nominal_v is None or nominal_f is None:
        return None
    low = _number(ctx, low_name) or 0.0
    high = _number(ctx, high_name) or 0.0
    span = _number(ctx, range_name) or 0.0
    percent = span if span > 0 else default_frequency_percent
    f_low = nominal_f - nominal_f / 100 * percent
    f_high = nominal_f + nominal_f / 100 * percent
    if low > 0 and high > 0:
        v_low, v_high = low, high
    else:
        v_low, v_high = nominal_v * default_span[0], nominal_v * default_span[1]
    return v_low <= bypass_v <= v_high and f_low <= bypass_f <= f_high


def eco_mode_check(ctx: Context) -> str | None:
    """ECO (high efficiency) may be entered when bypass power is within ±5 % limits."""
    inside = _within_limits(
        ctx,
        "input.transfer.eco.low",
        "input.transfer.eco.high",
        "input.transfer.frequency.eco.range",
        (0.95, 1.05),
        5,
    )
    if inside:
        ctx.buzzmode("vendor:mge-hid:ECO")
        return "ECO"
    ctx.publish("input.eco.switchable", "normal")
    if inside is not None:
        ctx.buzzmode("vendor:mge-hid:normal")
    return None


def bypass_check(ctx: Context) -> str | None:
    """Bypass may be entered when bypass power is within -20 %/+15 %, ±10 % limits."""
    inside = _within_limits(
        ctx,
        "input.transfer.bypass.low",
        "input.transfer.bypass.high",
        "input.transfer.frequency.bypass.range",
        (0.8, 1.15),
        10,
    )
    if inside:
        return "on"
    ctx.publish("input.bypass.switch.off", "off")
    return None


def eco_switchable_to_nut(value: float, ctx: Context) -> str | None:
    """``input.eco.switchable``: 0 normal, 1 ECO (if the bypass allows), 2 ESS."""
    mode = int(value)
    if mode == 0:
        return "normal"
    if mode == 1:
        return eco_mode_check(ctx)
    if mode == 2:
        ctx.buzzmode("vendor:mge-hid:ESS")
        return "ESS"
    return None


_ECO_WRITE = {"normal": 0.0, "ECO": 1.0, "ESS": 2.0}


def eco_switchable_to_hid(text: str, ctx: Context) -> float | None:
    """``normal``/``ECO``/``ESS``, also with the ``vendor:mge-hid:`` prefix."""
    return _ECO_WRITE.get(text.removeprefix("vendor:mge-hid:"))


def bypass_switch_on_to_nut(value: float, ctx: Context) -> str | None:
    if value == 0:
        return "disabled"
    if value == 1:
        return bypass_check(ctx)
    return None


def bypass_eco_auto(value: float, ctx: Context) -> str | None:
    """Enter ECO through automatic bypass (1), or leave both (0).

    Entering needs ``input.bypass.switch.on`` = disabled and
    ``input.eco.switchable`` = normal; leaving needs ``input.bypass.switch.off`` =
    disabled and ``input.eco.switchable`` = ECO.
    """
    if int(value) == 1:
        if ctx.get("input.bypass.switch.on") != "disabled":
            return None
        bypass_check(ctx)
        if ctx.get("input.eco.switchable") != "normal":
            return None
        eco_mode_check(ctx)
        return "on"
    if ctx.get("input.bypass.switch.off") != "disabled":
        return None
    ctx.request_write("input.bypass.switch.off", "off")
    if ctx.get("input.eco.switchable") != "ECO":
        return None
    ctx.request_write("input.eco.switchable", "normal")
    ctx.buzzmode("vendor:mge-hid:normal")
    return "off"


def bypass_eco_auto_to_hid(text: str, ctx: Context) -> float | None:
    """The command's value: "1" starts (1 if the preconditions hold, else 0),
    anything else stops (0 if they hold, else 1)."""
    start = text == "1"
    done = bypass_eco_auto(1.0 if start else 0.0, ctx) is not None
    if start:
        return 1.0 if done else 0.0
    return 0.0 if done else 1.0


EATON_INPUT_ECO_MODE_ON_OFF_INFO = Convert(
    "eaton_input_eco_mode_on_off_info", eco_switchable_to_nut, eco_switchable_to_hid
)
EATON_INPUT_BYPASS_MODE_ON_INFO = FunctionTable(
    "eaton_input_bypass_mode_on_info", bypass_switch_on_to_nut, ((0, "disabled"), (1, "on"))
)
EATON_INPUT_BYPASS_MODE_OFF_INFO = Table(
    "eaton_input_bypass_mode_off_info", ((0, "disabled"), (1, "off"))
)
EATON_INPUT_ECO_MODE_AUTO_ON_OFF_INFO = Convert(
    "eaton_input_eco_mode_auto_on_off_info", bypass_eco_auto, bypass_eco_auto_to_hid
)

# --- country, real power, nominal output voltage, converter state ----------------------------


def country_to_nut(value: float, ctx: Context) -> str | None:
    """Remember the country code; publishes nothing.

    NUT consults it for European 3S units and 200/208 V choices, but neither test
    changes an outcome (see ``_has_eco_outlets``, ``nominal_output_voltage_to_nut``).
    """
    ctx.state["mge.country"] = int(value)
    return None


def compute_realpower_to_nut(value: float, ctx: Context) -> str | None:
    """``ups.realpower`` ≈ load % * nominal VA * power factor (0.80 if unknown).

    Used only where the UPS has no ActivePower reading; the row is mapped to
    ConfigApparentPower just so that it is read.
    """
    load = ctx.get("ups.load")
    nominal = ctx.get("ups.power.nominal")
    if load is None or nominal is None:
        return None
    factor_text = ctx.get("output.powerfactor")
    factor = _leading_float(factor_text) if factor_text is not None else 0.80
    real = c_atoi(load) * 0.01 * c_atoi(nominal) * factor
    return "%.0f" % _round_half_up(real)


def _leading_float(text: str) -> float:
    """C's ``atof`` for the plain decimals NUT publishes, 0.0 if unparsable."""
    try:
        return float(text.strip())
    except ValueError:
        return 0.0


def _round_half_up(value: float) -> float:
    """C's ``round``: halves away from zero."""
    return float(int(value + 0.5)) if value >= 0 else -float(int(-value + 0.5))


#: Output voltage choices by the first nominal value seen: low-voltage models;
#: 200/208 V models (online/line-interactive also offer 220..240); 220..240 V
#: models (non-offline also offer 200/208, NUT then lets them through too).
_LV = (100, 110, 120, 127)
_HV_208 = (200, 208)
_HV_230 = (220, 230, 240)


def nominal_output_voltage_to_nut(value: float, ctx: Context) -> str | None:
    """``output.voltage.nominal``, limited to the settings this model can take."""
    nominal = int(ctx.state.setdefault("mge.nominal", int(value)))
    volts = int(value)
    offline = family(mge_type(ctx)) < MGE_DEFAULT
    if nominal in _LV:
        allowed = volts in _LV
    elif nominal in _HV_208:
        allowed = volts in _HV_208 or (volts in _HV_230 and not offline)
    elif nominal in _HV_230:
        allowed = volts in _HV_230 or (volts in _HV_208 and not offline)
    else:
        allowed = True  # unknown nominal: publish as read
    return "%.0f" % value if allowed else None


NOMINAL_OUTPUT_VOLTAGE_INFO = FunctionTable(
    "nominal_output_voltage_info",
    nominal_output_voltage_to_nut,
    ((v, str(v)) for v in (200, 208, 220, 230, 240, 100, 110, 120, 127)),
)


def converter_online_to_nut(value: float, ctx: Context) -> str | None:
    """Mains converter in use → online, but only while the UPS output is not off.

    Reads the status bits gathered so far (``ctx.status_bits``); the
    PresentStatus.Good row that sets ``off`` comes earlier in the table.
    """
    if "off" in ctx.status_bits:
        return None
    return "!online" if value == 0 else "online"


EATON_CHECK_COUNTRY_INFO = Convert("eaton_check_country_info", country_to_nut)
EATON_COMPUTE_REALPOWER_INFO = Convert("eaton_compute_realpower_info", compute_realpower_to_nut)
EATON_CONVERTER_ONLINE_INFO = Convert("eaton_converter_online_info", converter_online_to_nut)

# --- the hid2nut table ----------------------------------------------------------------------

HID2NUT: tuple[Row, ...] = (
    # device (country is read only to be remembered)
    Row("device.country", "UPS.PowerSummary.Country", "Europe", STRING | STATIC, EATON_CHECK_COUNTRY_INFO, length=20),
    Row("device.usb.version", "UPS.System.USB.iVersion", None, STRING | STATIC, STRINGID_CONVERSION, length=20),
    # battery
    Row("battery.charge", "UPS.PowerSummary.RemainingCapacity", "%.0f"),
    Row("battery.charge.low", "UPS.PowerSummary.RemainingCapacityLimitSetting", "%.0f", RW | STRING | SEMI_STATIC, length=5),
    Row("battery.charge.low", "UPS.PowerSummary.RemainingCapacityLimit", "%.0f", STATIC),
    Row("battery.charge.restart", "UPS.PowerSummary.RestartLevel", "%.0f", RW | STRING | SEMI_STATIC, length=3),
    Row("battery.capacity", "UPS.BatterySystem.Battery.DesignCapacity", "%s", STATIC, MGE_BATTERY_CAPACITY),
    Row("battery.runtime", "UPS.PowerSummary.RunTimeToEmpty", "%.0f"),
    Row("battery.runtime.low", "UPS.PowerSummary.RemainingTimeLimit", "%.0f", RW | STRING, length=10),
    Row("battery.runtime.elapsed", "UPS.StatisticSystem.Input.[1].Statistic.[1].Time", "%.0f", QUICK),
    Row("battery.runtime.low", "UPS.PowerSummary.RemainingTimeLimit", "%.0f", RW | STRING, length=10),
    Row("battery.temperature", "UPS.BatterySystem.Battery.Temperature", "%s", NONE, KELVIN_CELSIUS_CONVERSION),
    Row("battery.type", "UPS.PowerSummary.iDeviceChemistry", "%s", STATIC, STRINGID_CONVERSION),
    Row("battery.voltage", "UPS.BatterySystem.Voltage", "%.1f"),
    Row("battery.voltage", "UPS.PowerSummary.Voltage", "%s", NONE, MGE_BATTERY_VOLTAGE),
    Row("battery.voltage.nominal", "UPS.BatterySystem.ConfigVoltage", "%.0f", STATIC),
    Row("battery.voltage.nominal", "UPS.PowerSummary.ConfigVoltage", "%s", STATIC, MGE_BATTERY_VOLTAGE_NOMINAL),
    Row("battery.protection", "UPS.BatterySystem.Battery.DeepDischargeProtection", "%s", RW | STRING | SEMI_STATIC, YES_NO_INFO, length=5),
    Row("battery.energysave", "UPS.PowerConverter.Input.[3].EnergySaving", "%s", RW | STRING | SEMI_STATIC, YES_NO_INFO, length=5),
    Row("battery.energysave.load", "UPS.PowerConverter.Input.[3].ConfigPercentLoad", "%.0f", RW | STRING | SEMI_STATIC, length=5),
    Row("battery.energysave.delay", "UPS.PowerConverter.Input.[3].EnergySaving.ShutdownTimer", "%.0f", RW | STRING | SEMI_STATIC, length=5),
    Row("battery.energysave.delay", "UPS.PowerConverter.Input.[3].ShutdownTimer", "%.0f", RW | STRING | SEMI_STATIC, length=5),
    Row("battery.energysave.realpower", "UPS.PowerConverter.Input.[3].ConfigActivePower", "%.0f", RW | STRING | SEMI_STATIC, length=5),
    # ABM: these rows only record state, and must come before the status bits
    Row("battery.charger.abm.status", "UPS.BatterySystem.Charger.ABMEnable", "%.0f", QUICK, EATON_ABM_ENABLED_INFO),
    Row("battery.charger.mode.status", "UPS.BatterySystem.Charger.Mode", "%.0f", QUICK, EATON_ABM_PATH_MODE_INFO),
    Row("battery.charger.type.status", "UPS.BatterySystem.Charger.Status", "%.0f", QUICK, EATON_ABM_PATH_STATUS_INFO),
    Row("battery.charger.status", "UPS.BatterySystem.Charger.Mode", "%.0f", QUICK, EATON_ABM_STATUS_INFO),
    Row("battery.charger.status", "UPS.BatterySystem.Charger.Status", "%.0f", QUICK, EATON_ABM_STATUS_INFO),
    Row("battery.charger.type", "UPS.BatterySystem.Charger.ChargerType", "%.0f", QUICK, EATON_CHARGER_TYPE_INFO),
    # ups
    Row("ups.efficiency", "UPS.PowerConverter.Output.Efficiency", "%.0f"),
    Row("ups.firmware", "UPS.PowerSummary.iVersion", "%s", STATIC, STRINGID_CONVERSION),
    Row("ups.load", "UPS.PowerSummary.PercentLoad", "%.0f"),
    Row("ups.load.high", "UPS.Flow.[4].ConfigPercentLoad", "%.0f", RW | STRING | SEMI_STATIC, length=5),
    Row("ups.delay.start", "UPS.PowerSummary.DelayBeforeStartup", ONDELAY, RW | STRING | ABSENT, length=10),
    Row("ups.delay.shutdown", "UPS.PowerSummary.DelayBeforeShutdown", OFFDELAY, RW | STRING | ABSENT, length=10),
    Row("ups.timer.start", "UPS.PowerSummary.DelayBeforeStartup", "%.0f", QUICK),
    Row("ups.timer.shutdown", "UPS.PowerSummary.DelayBeforeShutdown", "%.0f", QUICK),
    Row("ups.timer.reboot", "UPS.PowerSummary.DelayBeforeReboot", "%.0f", QUICK),
    Row("ups.test.result", "UPS.BatterySystem.Battery.Test", "%s", NONE, TEST_READ_INFO),
    Row("ups.test.interval", "UPS.BatterySystem.Battery.TestPeriod", "%.0f", RW | STRING | SEMI_STATIC, length=8),
    Row("ups.beeper.status", "UPS.BatterySystem.Battery.AudibleAlarmControl", "%s", SEMI_STATIC, BEEPER_INFO),
    Row("ups.beeper.status", "UPS.PowerSummary.AudibleAlarmControl", "%s", SEMI_STATIC, BEEPER_INFO),
    Row("ups.beeper.status", "UPS.AudibleAlarmControl", "%s", SEMI_STATIC, BEEPER_INFO),
    Row("ups.temperature", "UPS.PowerSummary.Temperature", "%s", NONE, KELVIN_CELSIUS_CONVERSION),
    Row("ups.power", "UPS.PowerConverter.Output.ApparentPower", "%.0f"),
    Row("ups.L1.power", "UPS.PowerConverter.Output.Phase.[1].ApparentPower", "%.0f"),
    Row("ups.L2.power", "UPS.PowerConverter.Output.Phase.[2].ApparentPower", "%.0f"),
    Row("ups.L3.power", "UPS.PowerConverter.Output.Phase.[3].ApparentPower", "%.0f"),
    Row("ups.power.nominal", "UPS.Flow.[4].ConfigApparentPower", "%.0f", STATIC),
    Row("ups.realpower", "UPS.PowerConverter.Output.ActivePower", "%.0f"),
    # no ActivePower: estimate it (the path only makes the row readable)
    Row("ups.realpower", "UPS.Flow.[4].ConfigApparentPower", "-1", NONE, EATON_COMPUTE_REALPOWER_INFO),
    Row("ups.L1.realpower", "UPS.PowerConverter.Output.Phase.[1].ActivePower", "%.0f"),
    Row("ups.L2.realpower", "UPS.PowerConverter.Output.Phase.[2].ActivePower", "%.0f"),
    Row("ups.L3.realpower", "UPS.PowerConverter.Output.Phase.[3].ActivePower", "%.0f"),
    Row("ups.realpower.nominal", "UPS.Flow.[4].ConfigActivePower", "%.0f", STATIC),
    Row("ups.start.auto", "UPS.PowerConverter.Input.[1].AutomaticRestart", "%s", RW | STRING | SEMI_STATIC, YES_NO_INFO, length=5),
    Row("ups.start.battery", "UPS.PowerConverter.Input.[3].StartOnBattery", "%s", RW | STRING | SEMI_STATIC, YES_NO_INFO, length=5),
    Row("ups.start.reboot", "UPS.PowerConverter.Output.ForcedReboot", "%s", RW | STRING | SEMI_STATIC, YES_NO_INFO, length=5),
    Row("ups.shutdown", "UPS.PowerSummary.PresentStatus.Switchable", "%s", RW | STRING | SEMI_STATIC | ENUM, EATON_ENABLE_DISABLE_INFO, length=10),
    Row("ups.date", "UPS.PowerSummary.Time", "%s", RW | STRING, MGE_DATE_CONVERSION, length=10),
    Row("ups.time", "UPS.PowerSummary.Time", "%s", RW | STRING, MGE_TIME_CONVERSION, length=10),
    Row("ups.type", "UPS.PowerConverter.ConverterType", "%s", STATIC, MGE_UPSTYPE_CONVERSION),
    # status bits; PresentStatus.Charging/Discharging count only with ABM off
    Row(BOOL, "UPS.PowerSummary.PresentStatus.ACPresent", None, QUICK, ONLINE_INFO),
    Row(BOOL, "UPS.PowerConverter.Input.[3].PresentStatus.Used", None, NONE, MGE_ONBATT_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.Discharging", None, QUICK, EATON_DISCHARGING_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.Charging", None, QUICK, EATON_CHARGING_INFO),
    Row(BOOL, "UPS.BatterySystem.Charger.Mode", "%.0f", QUICK, EATON_ABM_CHRG_DISCHRG_INFO),
    Row(BOOL, "UPS.BatterySystem.Charger.Status", "%.0f", QUICK, EATON_ABM_CHRG_DISCHRG_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.BelowRemainingCapacityLimit", None, QUICK, LOWBATT_INFO),
    Row(BOOL, "UPS.PowerConverter.Output.Overload.[1].PresentStatus.OverThreshold", None, NONE, OVERLOAD_INFO),
    Row(BOOL, "UPS.PowerConverter.Output.Overload.[2].PresentStatus.OverThreshold", None, NONE, OVERLOAD_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.Overload", None, NONE, OVERLOAD_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.NeedReplacement", None, NONE, REPLACEBATT_INFO),
    Row(BOOL, "UPS.LCMSystem.LCMAlarm.[2].PresentStatus.TimerExpired", None, NONE, REPLACEBATT_INFO),
    Row(BOOL, "UPS.PowerConverter.Input.[1].PresentStatus.Buck", None, NONE, TRIM_INFO),
    Row(BOOL, "UPS.PowerConverter.Input.[1].PresentStatus.Boost", None, NONE, BOOST_INFO),
    Row(BOOL, "UPS.PowerConverter.Input.[1].PresentStatus.VoltageOutOfRange", None, NONE, VRANGE_INFO),
    Row(BOOL, "UPS.PowerConverter.Input.[1].PresentStatus.FrequencyOutOfRange", None, NONE, FRANGE_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.Good", None, NONE, OFF_INFO),
    # mains converter in use: only meaningful while not off, so after PresentStatus.Good
    Row(BOOL, "UPS.PowerConverter.Input.[1].PresentStatus.Used", None, NONE, EATON_CONVERTER_ONLINE_INFO),
    Row(BOOL, "UPS.PowerConverter.Input.[2].PresentStatus.Used", None, NONE, BYPASS_AUTO_INFO),
    Row(BOOL, "UPS.PowerConverter.Input.[4].PresentStatus.Used", None, NONE, BYPASS_MANUAL_INFO),
    Row(BOOL, "UPS.PowerConverter.Input.[5].PresentStatus.Used", None, NONE, ECO_MODE_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.FanFailure", None, NONE, FANFAIL_INFO),
    Row(BOOL, "UPS.BatterySystem.Battery.PresentStatus.Present", None, NONE, NOBATTERY_INFO),
    Row(BOOL, "UPS.BatterySystem.Charger.PresentStatus.InternalFailure", None, NONE, CHARGERFAIL_INFO),
    Row(BOOL, "UPS.BatterySystem.Charger.PresentStatus.VoltageTooHigh", None, NONE, BATTVOLTHI_INFO),
    Row(BOOL, "UPS.PowerConverter.Input.[1].PresentStatus.VoltageTooHigh", None, NONE, BATTVOLTHI_INFO),
    Row(BOOL, "UPS.BatterySystem.Battery.PresentStatus.VoltageTooHigh", None, NONE, BATTVOLTHI_INFO),
    Row(BOOL, "UPS.BatterySystem.Charger.PresentStatus.VoltageTooLow", None, NONE, BATTVOLTLO_INFO),
    Row(BOOL, "UPS.PowerConverter.Input.[1].PresentStatus.VoltageTooLow", None, NONE, MGE_ONBATT_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.InternalFailure", None, NONE, COMMFAULT_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.OverTemperature", None, NONE, OVERHEAT_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.ShutdownImminent", None, NONE, SHUTDOWNIMM_INFO),
    # vendor alarms
    Row(ALARM, "UPS.PowerSummary.PresentStatus.EmergencyStop", None, NONE, MGE_EMERGENCY_STOP),
    Row(ALARM, "UPS.PowerConverter.Input.[1].PresentStatus.WiringFault", None, NONE, MGE_WIRING_FAULT),
    Row(ALARM, "UPS.PowerSummary.PresentStatus.ConfigurationFailure", None, NONE, MGE_CONFIG_FAILURE),
    Row(ALARM, "UPS.PowerConverter.Inverter.PresentStatus.VoltageTooHigh", None, NONE, MGE_INVERTER_VOLTHI),
    Row(ALARM, "UPS.PowerConverter.Inverter.PresentStatus.VoltageTooLow", None, NONE, MGE_INVERTER_VOLTLO),
    Row(ALARM, "UPS.PowerConverter.Output.PresentStatus.ShortCircuit", None, NONE, MGE_SHORT_CIRCUIT),
    # input (mains, PowerConverter.Input.[1]); phases [1] [2] [3] and [12] [23] [31]
    Row("input.voltage", "UPS.PowerConverter.Input.[1].Voltage", "%.1f"),
    Row("input.L1-N.voltage", "UPS.PowerConverter.Input.[1].Phase.[1].Voltage", "%.1f"),
    Row("input.L2-N.voltage", "UPS.PowerConverter.Input.[1].Phase.[2].Voltage", "%.1f"),
    Row("input.L3-N.voltage", "UPS.PowerConverter.Input.[1].Phase.[3].Voltage", "%.1f"),
    Row("input.L1-L2.voltage", "UPS.PowerConverter.Input.[1].Phase.[12].Voltage", "%.1f"),
    Row("input.L2-L3.voltage", "UPS.PowerConverter.Input.[1].Phase.[23].Voltage", "%.1f"),
    Row("input.L3-L1.voltage", "UPS.PowerConverter.Input.[1].Phase.[31].Voltage", "%.1f"),
    Row("input.voltage.nominal", "UPS.Flow.[1].ConfigVoltage", "%.0f", STATIC),
    Row("input.current", "UPS.PowerConverter.Input.[1].Current", "%.2f"),
    Row("input.L1.current", "UPS.PowerConverter.Input.[1].Phase.[1].Current", "%.1f"),
    Row("input.L2.current", "UPS.PowerConverter.Input.[1].Phase.[2].Current", "%.1f"),
    Row("input.L3.current", "UPS.PowerConverter.Input.[1].Phase.[3].Current", "%.1f"),
    Row("input.current.nominal", "UPS.Flow.[1].ConfigCurrent", "%.2f", STATIC),
    Row("input.frequency", "UPS.PowerConverter.Input.[1].Frequency", "%.1f"),
    Row("input.frequency.nominal", "UPS.Flow.[1].ConfigFrequency", "%.0f", STATIC),
    Row("input.transfer.low", "UPS.PowerConverter.Output.LowVoltageTransfer", "%.0f", RW | STRING | SEMI_STATIC, length=5),
    Row("input.transfer.eco.low", "UPS.PowerConverter.Output.LowVoltageEcoTransfer", "%.0f", RW | STRING | SEMI_STATIC, length=5),
    Row("input.transfer.bypass.low", "UPS.PowerConverter.Output.LowVoltageBypassTransfer", "%.0f", RW | STRING | SEMI_STATIC, length=5),
    Row("input.transfer.boost.low", "UPS.PowerConverter.Output.LowVoltageBoostTransfer", "%.0f", RW | STRING | SEMI_STATIC, length=5),
    Row("input.transfer.boost.high", "UPS.PowerConverter.Output.HighVoltageBoostTransfer", "%.0f", RW | STRING | SEMI_STATIC, length=5),
    Row("input.transfer.trim.low", "UPS.PowerConverter.Output.LowVoltageBuckTransfer", "%.0f", RW | STRING | SEMI_STATIC, length=5),
    Row("input.transfer.high", "UPS.PowerConverter.Output.HighVoltageTransfer", "%.0f", RW | STRING | SEMI_STATIC, length=5),
    Row("input.transfer.eco.high", "UPS.PowerConverter.Output.HighVoltageEcoTransfer", "%.0f", RW | STRING | SEMI_STATIC, length=5),
    Row("input.transfer.bypass.high", "UPS.PowerConverter.Output.HighVoltageBypassTransfer", "%.0f", RW | STRING | SEMI_STATIC, length=5),
    Row("input.transfer.frequency.bypass.range", "UPS.PowerConverter.Output.FrequencyRangeBypassTransfer", "%.0f", RW | STRING | SEMI_STATIC, length=5),
    Row("input.transfer.frequency.eco.range", "UPS.PowerConverter.Output.FrequencyRangeEcoTransfer", "%.0f", RW | STRING | SEMI_STATIC, length=5),
    Row("input.transfer.hysteresis", "UPS.PowerConverter.Output.HysteresisVoltageTransfer", "%.0f", RW | STRING | SEMI_STATIC, length=5),
    Row("input.transfer.bypass.forced", "UPS.PowerConverter.Input.[2].ForcedTransferEnable", "%.0f", RW | STRING | SEMI_STATIC, EATON_ENABLE_DISABLE_INFO, length=8),
    Row("input.transfer.bypass.overload", "UPS.PowerConverter.Input.[2].OverloadTransferEnable", "%.0f", RW | STRING | SEMI_STATIC, EATON_ENABLE_DISABLE_INFO, length=8),
    Row("input.transfer.bypass.outlimits", "UPS.PowerConverter.Input.[2].OutOfToleranceTransferEnable", "%.0f", RW | STRING | SEMI_STATIC, EATON_ENABLE_DISABLE_INFO, length=8),
    Row("input.transfer.trim.high", "UPS.PowerConverter.Output.HighVoltageBuckTransfer", "%.0f", RW | STRING | SEMI_STATIC, length=5),
    Row("input.sensitivity", "UPS.PowerConverter.Output.SensitivityMode", "%s", RW | STRING | SEMI_STATIC, MGE_SENSITIVITY_INFO, length=10),
    Row("input.voltage.extended", "UPS.PowerConverter.Output.ExtendedVoltageMode", "%s", RW | STRING | SEMI_STATIC, YES_NO_INFO, length=5),
    Row("input.frequency.extended", "UPS.PowerConverter.Output.ExtendedFrequencyMode", "%s", RW | STRING | SEMI_STATIC, YES_NO_INFO, length=5),
    # bypass (PowerConverter.Input.[2])
    Row("input.bypass.voltage", "UPS.PowerConverter.Input.[2].Voltage", "%.1f", QUICK),
    Row("input.bypass.L1-N.voltage", "UPS.PowerConverter.Input.[2].Phase.[1].Voltage", "%.1f"),
    Row("input.bypass.L2-N.voltage", "UPS.PowerConverter.Input.[2].Phase.[2].Voltage", "%.1f"),
    Row("input.bypass.L3-N.voltage", "UPS.PowerConverter.Input.[2].Phase.[3].Voltage", "%.1f"),
    Row("input.bypass.L1-L2.voltage", "UPS.PowerConverter.Input.[2].Phase.[12].Voltage", "%.1f"),
    Row("input.bypass.L2-L3.voltage", "UPS.PowerConverter.Input.[2].Phase.[23].Voltage", "%.1f"),
    Row("input.bypass.L3-L1.voltage", "UPS.PowerConverter.Input.[2].Phase.[31].Voltage", "%.1f"),
    Row("input.bypass.voltage.nominal", "UPS.Flow.[2].ConfigVoltage", "%.0f", STATIC),
    Row("input.bypass.current", "UPS.PowerConverter.Input.[2].Current", "%.2f"),
    Row("input.bypass.L1.current", "UPS.PowerConverter.Input.[2].Phase.[1].Current", "%.1f"),
    Row("input.bypass.L2.current", "UPS.PowerConverter.Input.[2].Phase.[2].Current", "%.1f"),
    Row("input.bypass.L3.current", "UPS.PowerConverter.Input.[2].Phase.[3].Current", "%.1f"),
    Row("input.bypass.current.nominal", "UPS.Flow.[2].ConfigCurrent", "%.2f", STATIC),
    Row("input.bypass.frequency", "UPS.PowerConverter.Input.[2].Frequency", "%.1f", QUICK),
    Row("input.bypass.frequency.nominal", "UPS.Flow.[2].ConfigFrequency", "%.0f", STATIC),
    Row("input.bypass.switch.on", "UPS.PowerConverter.Input.[2].SwitchOnControl", "%.0f", RW | STRING | QUICK, EATON_INPUT_BYPASS_MODE_ON_INFO, length=8),
    Row("input.bypass.switch.off", "UPS.PowerConverter.Input.[2].SwitchOffControl", "%.0f", RW | STRING | QUICK, EATON_INPUT_BYPASS_MODE_OFF_INFO, length=12),
    Row("input.bypass.switchable", "UPS.PowerConverter.Input.[2].Switchable", "%.0f", RW | STRING | SEMI_STATIC, EATON_ENABLE_DISABLE_INFO, length=8),
    # output (ratings under Flow.[4])
    Row("output.voltage", "UPS.PowerConverter.Output.Voltage", "%.1f"),
    Row("output.L1-N.voltage", "UPS.PowerConverter.Output.Phase.[1].Voltage", "%.1f"),
    Row("output.L2-N.voltage", "UPS.PowerConverter.Output.Phase.[2].Voltage", "%.1f"),
    Row("output.L3-N.voltage", "UPS.PowerConverter.Output.Phase.[3].Voltage", "%.1f"),
    Row("output.L1-L2.voltage", "UPS.PowerConverter.Output.Phase.[12].Voltage", "%.1f"),
    Row("output.L2-L3.voltage", "UPS.PowerConverter.Output.Phase.[23].Voltage", "%.1f"),
    Row("output.L3-L1.voltage", "UPS.PowerConverter.Output.Phase.[31].Voltage", "%.1f"),
    Row("output.voltage.nominal", "UPS.Flow.[4].ConfigVoltage", "%.0f", RW | STRING | SEMI_STATIC | ENUM, NOMINAL_OUTPUT_VOLTAGE_INFO, length=3),
    Row("output.current", "UPS.PowerConverter.Output.Current", "%.2f"),
    Row("output.L1.current", "UPS.PowerConverter.Output.Phase.[1].Current", "%.1f"),
    Row("output.L2.current", "UPS.PowerConverter.Output.Phase.[2].Current", "%.1f"),
    Row("output.L3.current", "UPS.PowerConverter.Output.Phase.[3].Current", "%.1f"),
    Row("output.current.nominal", "UPS.Flow.[4].ConfigCurrent", "%.2f"),
    Row("output.frequency", "UPS.PowerConverter.Output.Frequency", "%.1f"),
    Row("output.frequency.nominal", "UPS.Flow.[4].ConfigFrequency", "%.0f", STATIC),
    Row("output.powerfactor", "UPS.PowerConverter.Output.PowerFactor", "%s", NONE, MGE_POWERFACTOR_CONVERSION),
    # outlets: [1] is the main outlet, [2]..[4] the PowerShare groups 1..3
    Row("outlet.id", "UPS.OutletSystem.Outlet.[1].OutletID", "%.0f", STATIC),
    Row("outlet.desc", "UPS.OutletSystem.Outlet.[1].OutletID", "Main Outlet", RW | STRING | ABSENT, length=20),
    Row("outlet.switchable", "UPS.OutletSystem.Outlet.[1].PresentStatus.Switchable", "%s", STATIC, YES_NO_INFO),
    Row("outlet.power", "UPS.OutletSystem.Outlet.[1].ConfigApparentPower", "%s", RW | STRING | SEMI_STATIC | ENUM, PEGASUS_THRESHOLD_INFO, length=6),
    Row("outlet.power", "UPS.OutletSystem.Outlet.[1].ApparentPower", "%.0f"),
    Row("outlet.realpower", "UPS.OutletSystem.Outlet.[1].ActivePower", "%.0f"),
    Row("outlet.current", "UPS.OutletSystem.Outlet.[1].Current", "%.2f"),
    Row("outlet.powerfactor", "UPS.OutletSystem.Outlet.[1].PowerFactor", "%.2f"),
    Row("outlet.1.id", "UPS.OutletSystem.Outlet.[2].OutletID", "%.0f", STATIC),
    Row("outlet.1.desc", "UPS.OutletSystem.Outlet.[2].OutletID", "PowerShare Outlet 1", RW | STRING | ABSENT, length=20),
    Row("outlet.1.switchable", "UPS.OutletSystem.Outlet.[2].PresentStatus.Switchable", "%s", STATIC, YES_NO_INFO),
    Row("outlet.1.status", "UPS.OutletSystem.Outlet.[2].PresentStatus.SwitchOn/Off", "%s", NONE, ON_OFF_INFO),
    Row("outlet.1.protect.status", "UPS.OutletSystem.Outlet.[2].Status", "%s", NONE, EATON_OUTLET_PROTECTION_STATUS_INFO),
    Row("outlet.1.designator", "UPS.OutletSystem.Outlet.[2].iDesignator", None, STATIC, STRINGID_CONVERSION),
    Row("outlet.1.status", "UPS.PowerSummary.PresentStatus.ACPresent", "%s", NONE, ON_OFF_INFO),
    Row("outlet.1.autoswitch.charge.low", "UPS.OutletSystem.Outlet.[2].RemainingCapacityLimit", "%.0f", RW | STRING | SEMI_STATIC, length=3),
    Row("outlet.1.delay.shutdown", "UPS.OutletSystem.Outlet.[2].ShutdownTimer", "%.0f", RW | STRING | SEMI_STATIC, length=5),
    Row("outlet.1.delay.start", "UPS.OutletSystem.Outlet.[2].StartupTimer", "%.0f", RW | STRING | SEMI_STATIC, length=5),
    Row("outlet.1.power", "UPS.OutletSystem.Outlet.[2].ApparentPower", "%.0f"),
    Row("outlet.1.realpower", "UPS.OutletSystem.Outlet.[2].ActivePower", "%.0f"),
    Row("outlet.1.current", "UPS.OutletSystem.Outlet.[2].Current", "%.2f"),
    Row("outlet.1.powerfactor", "UPS.OutletSystem.Outlet.[2].PowerFactor", "%.2f"),
    Row("outlet.1.ecocontrol", "UPS.OutletSystem.Outlet.[2].ECOControl", "%s", SEMI_STATIC, OUTLET_ECO_YES_NO_INFO),
    Row("outlet.2.id", "UPS.OutletSystem.Outlet.[3].OutletID", "%.0f", STATIC),
    Row("outlet.2.desc", "UPS.OutletSystem.Outlet.[3].OutletID", "PowerShare Outlet 2", RW | STRING | ABSENT, length=20),
    Row("outlet.2.switchable", "UPS.OutletSystem.Outlet.[3].PresentStatus.Switchable", "%s", RW | STRING | SEMI_STATIC, PEGASUS_YES_NO_INFO, length=3),
    Row("outlet.2.switchable", "UPS.OutletSystem.Outlet.[3].PresentStatus.Switchable", "%s", NONE, YES_NO_INFO),
    Row("outlet.2.status", "UPS.OutletSystem.Outlet.[3].PresentStatus.SwitchOn/Off", "%s", NONE, ON_OFF_INFO),
    Row("outlet.2.protect.status", "UPS.OutletSystem.Outlet.[3].Status", "%s", NONE, EATON_OUTLET_PROTECTION_STATUS_INFO),
    Row("outlet.2.autoswitch.charge.low", "UPS.OutletSystem.Outlet.[3].RemainingCapacityLimit", "%.0f", RW | STRING | SEMI_STATIC, length=3),
    Row("outlet.2.delay.shutdown", "UPS.OutletSystem.Outlet.[3].ShutdownTimer", "%.0f", RW | STRING | SEMI_STATIC, length=5),
    Row("outlet.2.delay.start", "UPS.OutletSystem.Outlet.[3].StartupTimer", "%.0f", RW | STRING | SEMI_STATIC, length=5),
    Row("outlet.2.power", "UPS.OutletSystem.Outlet.[3].ApparentPower", "%.0f"),
    Row("outlet.2.realpower", "UPS.OutletSystem.Outlet.[3].ActivePower", "%.0f"),
    Row("outlet.2.current", "UPS.OutletSystem.Outlet.[3].Current", "%.2f"),
    Row("outlet.2.powerfactor", "UPS.OutletSystem.Outlet.[3].PowerFactor", "%.2f"),
    Row("outlet.2.ecocontrol", "UPS.OutletSystem.Outlet.[3].ECOControl", "%s", SEMI_STATIC, OUTLET_ECO_YES_NO_INFO),
    Row("outlet.3.id", "UPS.OutletSystem.Outlet.[4].OutletID", "%.0f", STATIC),
    # NUT names group 3 "PowerShare Outlet 2" too; kept as NUT publishes it
    Row("outlet.3.desc", "UPS.OutletSystem.Outlet.[4].OutletID", "PowerShare Outlet 2", RW | STRING | ABSENT, length=20),
    Row("outlet.3.switchable", "UPS.OutletSystem.Outlet.[4].PresentStatus.Switchable", "%s", RW | STRING | SEMI_STATIC, PEGASUS_YES_NO_INFO, length=3),
    Row("outlet.3.switchable", "UPS.OutletSystem.Outlet.[4].PresentStatus.Switchable", "%s", NONE, YES_NO_INFO),
    Row("outlet.3.status", "UPS.OutletSystem.Outlet.[4].PresentStatus.SwitchOn/Off", "%s", NONE, ON_OFF_INFO),
    Row("outlet.3.protect.status", "UPS.OutletSystem.Outlet.[4].Status", "%s", NONE, EATON_OUTLET_PROTECTION_STATUS_INFO),
    Row("outlet.3.autoswitch.charge.low", "UPS.OutletSystem.Outlet.[4].RemainingCapacityLimit", "%.0f", RW | STRING | SEMI_STATIC, length=3),
    Row("outlet.3.delay.shutdown", "UPS.OutletSystem.Outlet.[4].ShutdownTimer", "%.0f", RW | STRING | SEMI_STATIC, length=5),
    Row("outlet.3.delay.start", "UPS.OutletSystem.Outlet.[4].StartupTimer", "%.0f", RW | STRING | SEMI_STATIC, length=5),
    Row("outlet.3.power", "UPS.OutletSystem.Outlet.[4].ApparentPower", "%.0f"),
    Row("outlet.3.realpower", "UPS.OutletSystem.Outlet.[4].ActivePower", "%.0f"),
    Row("outlet.3.current", "UPS.OutletSystem.Outlet.[4].Current", "%.2f"),
    Row("outlet.3.powerfactor", "UPS.OutletSystem.Outlet.[4].PowerFactor", "%.2f"),
    Row("outlet.3.ecocontrol", "UPS.OutletSystem.Outlet.[4].ECOControl", "%s", SEMI_STATIC, OUTLET_ECO_YES_NO_INFO),
    # instant commands
    Row("test.battery.start.quick", "UPS.BatterySystem.Battery.Test", "1", CMD),
    Row("test.battery.start.deep", "UPS.BatterySystem.Battery.Test", "2", CMD),
    Row("test.battery.stop", "UPS.BatterySystem.Battery.Test", "3", CMD),
    Row("load.off.delay", "UPS.PowerSummary.DelayBeforeShutdown", OFFDELAY, CMD),
    Row("load.on.delay", "UPS.PowerSummary.DelayBeforeStartup", ONDELAY, CMD),
    Row("shutdown.stop", "UPS.PowerSummary.DelayBeforeShutdown", "-1", CMD),
    Row("shutdown.reboot", "UPS.PowerSummary.DelayBeforeReboot", "10", CMD),
    Row("beeper.off", "UPS.PowerSummary.AudibleAlarmControl", "1", CMD),
    Row("beeper.on", "UPS.PowerSummary.AudibleAlarmControl", "2", CMD),
    Row("beeper.mute", "UPS.BatterySystem.Battery.AudibleAlarmControl", "3", CMD),
    Row("beeper.mute", "UPS.PowerSummary.AudibleAlarmControl", "3", CMD),
    Row("beeper.disable", "UPS.BatterySystem.Battery.AudibleAlarmControl", "1", CMD),
    Row("beeper.disable", "UPS.PowerSummary.AudibleAlarmControl", "1", CMD),
    Row("beeper.enable", "UPS.BatterySystem.Battery.AudibleAlarmControl", "2", CMD),
    Row("beeper.enable", "UPS.PowerSummary.AudibleAlarmControl", "2", CMD),
    Row("beeper.disable", "UPS.AudibleAlarmControl", "1", CMD),
    Row("beeper.enable", "UPS.AudibleAlarmControl", "2", CMD),
    Row("outlet.1.load.off", "UPS.OutletSystem.Outlet.[2].DelayBeforeShutdown", "0", CMD),
    Row("outlet.1.load.on", "UPS.OutletSystem.Outlet.[2].DelayBeforeStartup", "0", CMD),
    Row("outlet.2.load.off", "UPS.OutletSystem.Outlet.[3].DelayBeforeShutdown", "0", CMD),
    Row("outlet.2.load.on", "UPS.OutletSystem.Outlet.[3].DelayBeforeStartup", "0", CMD),
    Row("outlet.3.load.off", "UPS.OutletSystem.Outlet.[4].DelayBeforeShutdown", "0", CMD),
    Row("outlet.3.load.on", "UPS.OutletSystem.Outlet.[4].DelayBeforeStartup", "0", CMD),
    # ECO (high efficiency) and ESS modes, bypass
    Row("experimental.ecomode.stop", "UPS.PowerConverter.Input.[5].Switchable", "0", CMD),
    Row("experimental.ecomode.start", "UPS.PowerConverter.Input.[5].Switchable", "1", CMD),
    Row("experimental.essmode.start", "UPS.PowerConverter.Input.[5].Switchable", "2", CMD),
    Row("experimental.essmode.stop", "UPS.PowerConverter.Input.[5].Switchable", "0", CMD),
    Row("experimental.bypass.ecomode.start", "UPS.PowerConverter.Input.[5].Switchable", "1", CMD, EATON_INPUT_ECO_MODE_AUTO_ON_OFF_INFO),
    Row("experimental.bypass.ecomode.stop", "UPS.PowerConverter.Input.[5].Switchable", "0", CMD, EATON_INPUT_ECO_MODE_AUTO_ON_OFF_INFO),
    Row("bypass.start", "UPS.PowerConverter.Input.[2].SwitchOnControl", "1", CMD),
    Row("bypass.stop", "UPS.PowerConverter.Input.[2].SwitchOffControl", "1", CMD),
    # last: its conversion reads bypass and nominal values read above
    Row("input.eco.switchable", "UPS.PowerConverter.Input.[5].Switchable", "%.0f", RW | STRING | QUICK, EATON_INPUT_ECO_MODE_ON_OFF_INFO, length=8),
)

# --- identity ----------------------------------------------------------------------------


def _string_at(ctx: Context, path: str) -> str:
    """The USB string a string-index usage points to, or ``""`` (NUT's HIDGetItemString)."""
    index = ctx.value(path)
    if index is None or int(index) <= 0:
        return ""
    return ctx.string(int(index)) or ""


def mge_format_model(device: DeviceInfo, ctx: Context) -> str | None:
    """``ups.model`` from iProduct and iModel via the model table; sets the family.

    Dell (047c) products carry a finished name. Otherwise iModel comes from the
    string at ``UPS.PowerSummary.iModel``, or else from the output VA rating
    (``UPS.Flow.[4].ConfigApparentPower``); without either, iProduct stays.
    """
    if device.vendor_id == DELL_VENDOR:
        return device.product
    product = device.product if device.product is not None else "unknown"
    model = _string_at(ctx, "UPS.PowerSummary.iModel")
    if not model:
        va = ctx.value("UPS.Flow.[4].ConfigApparentPower")
        if va is not None:
            model = "%i" % int(va)
    if not model:
        return device.product
    name, kind = model_name(product, model)
    if kind is not None:
        ctx.state["mge.type"] = kind
    return name


def mge_format_mfr(device: DeviceInfo, ctx: Context) -> str | None:
    return device.manufacturer if device.manufacturer is not None else "Eaton"


# --- claim ----------------------------------------------------------------------------------

DEVICES = (
    UsbId(EATON_VENDOR, 0x0001, "various models"),
    UsbId(EATON_VENDOR, 0xFFFF, "various models"),
    UsbId(DELL_VENDOR, 0xFFFF, "Dell, various models"),
    UsbId(POWERWARE_VENDOR, 0x0004, "Powerware PW 9140"),
    UsbId(HP_VENDOR, 0x1FE5, "HP R/T3000"),
    UsbId(HP_VENDOR, 0x1FE6, "HP R/T3000"),
    UsbId(HP_VENDOR, 0x1FE7, "HP, various models"),
    UsbId(HP_VENDOR, 0x1FE8, "HP, various models"),
    UsbId(AEG_VENDOR, 0xFFFF, "AEG PROTECT B / NAS"),
    UsbId(PHOENIXTEC_VENDOR, 0xFFFF, "AEG PROTECT NAS only (else liebert)"),
    UsbId(IBM_VENDOR, 0x0001, "IBM 6000 VA LCD 4U Rack, 5396-1Kx"),
    UsbId(KSTAR_VENDOR, 0x0001, "MasterPower MF-UPS650VA (KSTAR)"),
)


def _mentions(text: str | None, word: str) -> bool:
    return text is not None and word in text


def mge_claim(sub: Subdriver, device: DeviceInfo, options: Options) -> Claim | None:
    """NUT's mge claim: the id table, with vendor-specific conditions.

    Phoenixtec (06da) only when a string says "AEG" (else liebert takes it); the
    KSTAR id only when the vendor string says "KSTAR"; unknown HP/Dell/Eaton
    products only with the ``productid`` option. Eaton units with bcdDevice 0x0202
    keep their report descriptor at index 1 (``usb_hid_desc_index``).
    """
    support, _ = support_of(sub.devices, device)
    if support is Support.NOT:
        return None
    vid = device.vendor_id
    if vid == PHOENIXTEC_VENDOR:
        if _mentions(device.manufacturer, "AEG") or _mentions(device.product, "AEG"):
            return Claim()
        return None
    if vid == KSTAR_VENDOR:
        return Claim() if _mentions(device.manufacturer, "KSTAR") else None
    if support is Support.POSSIBLY and "productid" not in options:
        return None
    tweaks: dict[str, str] = {}
    if vid == EATON_VENDOR and device.bcd_device == 0x0202:
        tweaks["usb_hid_desc_index"] = "1"
    return Claim(tweaks=tweaks)


SUBDRIVER = Subdriver(
    name="MGE HID",
    version="1.59",
    usages=USAGES,
    hid2nut=HID2NUT,
    devices=DEVICES,
    claim=mge_claim,
    format_model=mge_format_model,
    format_mfr=mge_format_mfr,
)
