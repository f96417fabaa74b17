# ruff: noqa: E501  (hid2nut rows stay one per line, so they can be grepped)
"""EVER (VID 2e51, and ST Micro's 0483:a113): Sinline/Powerline and similar units.

Behaviour follows NUT's ever-hid 0.10. The vendor collection ``EVER1`` and its 103
vendor usages (page 0xff00) carry firmware versions, statistics, controls and a
network card's settings; only their numbers are known, so they are named
``EVER1``...``EVER104`` as in NUT. A few values (MAC and IP addresses, packet
counters, work mode, message and alarm words) are whole reports rather than one
field; those functions read the report's bytes through ``ctx.report`` when the
driver offers it, and publish nothing otherwise.
"""

from __future__ import annotations

from hidups.device import DeviceInfo
from hidups.hid2nut.lookups import (
    AWAITINGPOWER_INFO,
    BOOST_INFO,
    CHARGING_INFO,
    COMMFAULT_INFO,
    DISCHARGING_INFO,
    KELVIN_CELSIUS_CONVERSION,
    LOWBATT_INFO,
    NOBATTERY_INFO,
    ONLINE_INFO,
    OVERHEAT_INFO,
    OVERLOAD_INFO,
    REPLACEBATT_INFO,
    SHUTDOWNIMM_INFO,
    TRIM_INFO,
    YES_NO_INFO,
)
from hidups.hid2nut.subdriver import Subdriver, UsbId
from hidups.hid2nut.table import (
    ABSENT,
    BOOL,
    CMD,
    NONE,
    NUMBER,
    OFFDELAY,
    QUICK,
    RW,
    STRING,
    Context,
    Convert,
    Row,
)
from hidups.usages import UsageTable

EVER_VENDOR = 0x2E51
STMICRO_VENDOR = 0x0483

#: Runs of consecutive vendor usage codes, in name order: (first code, count).
#: EVER2 is 0xff000000; EVER1 (the collection) is usage 0.
_EVER_CODE_RUNS = (
    (0xFF000000, 10),  # EVER2..EVER11
    (0xFF000010, 20),  # EVER12..EVER31
    (0xFF000030, 17),  # EVER32..EVER48
    (0xFF000050, 5),  # EVER49..EVER53
    (0xFF000060, 5),  # EVER54..EVER58
    (0xFF000066, 38),  # EVER59..EVER96
    (0xFF000090, 8),  # EVER97..EVER104
)


def _ever_names() -> list[tuple[str, int]]:
    names = [("EVER1", 0x00000000)]
    for first, count in _EVER_CODE_RUNS:
        for offset in range(count):
            names.append((f"EVER{len(names) + 1}", first + offset))
    return names


USAGES = UsageTable(_ever_names())

DEVICES = (
    UsbId(STMICRO_VENDOR, 0xA113, "EVER under ST Micro's VID"),
    UsbId(EVER_VENDOR, 0xFFFF),
    UsbId(EVER_VENDOR, 0x0000),
)

# --- conversions ----------------------------------------------------------------------

_REVISION_LETTERS = "0ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def hardware_to_nut(value: float, ctx: Context) -> str | None:
    """``0xLLNN`` → ``rev.<letter>v<NN>`` (letter 0 = "0", 1..26 = A..Z)."""
    word = int(value)
    letter_index = (word & 0xFF00) >> 8
    letter = (_REVISION_LETTERS[letter_index] if letter_index < len(_REVISION_LETTERS)
              else str(letter_index))
    return "rev.%sv%02u" % (letter, word & 0xFF)


def version_to_nut(value: float, ctx: Context) -> str | None:
    """``0xMmBB`` → ``v<M>.<m>b<BB>`` (major and minor as hex digits)."""
    word = int(value)
    return "v%X.%Xb%02d" % ((word & 0xF000) >> 12, (word & 0x0F00) >> 8, word & 0xFF)


def _payload(ctx: Context, report_id: int) -> bytes | None:
    """The report's bytes after its id byte, when the driver gives raw reports."""
    data = ctx.report(report_id)
    if data is None:
        return None
    return bytes(data)[1:]


def _word(payload: bytes) -> int:
    return int.from_bytes(payload[:2].ljust(2, b"\0"), "little")


MAC_REPORT = 210
WORKMODE_REPORT = 74
MESSAGES_REPORT = 75
ALARMS_REPORT = 76


def mac_address_to_nut(value: float, ctx: Context) -> str | None:
    payload = _payload(ctx, MAC_REPORT)
    return None if payload is None else ":".join("%02x" % b for b in payload)


def _ip_address(report_id: int) -> Convert:
    """Dotted quad from a whole report (NUT used one rotating function for four)."""

    def to_nut(value: float, ctx: Context) -> str | None:
        payload = _payload(ctx, report_id)
        return None if payload is None else ".".join(str(b) for b in payload)

    return Convert(f"ever_ip_address_{report_id}", to_nut)


def _packet_counter(report_id: int) -> Convert:
    """A signed 32-bit little-endian counter from a whole report."""

    def to_nut(value: float, ctx: Context) -> str | None:
        payload = _payload(ctx, report_id)
        if payload is None:
            return None
        if len(payload) < 4:
            return ""
        return "%d" % int.from_bytes(payload[:4], "little", signed=True)

    return Convert(f"ever_packets_{report_id}", to_nut)


WORKMODES = {2: "STOP", 4: "ONLINE", 8: "ONBATTERY", 16: "WATCH", 32: "WAITING",
             64: "EMERGENCY"}


def workmode_to_nut(value: float, ctx: Context) -> str | None:
    payload = _payload(ctx, WORKMODE_REPORT)
    if not payload:
        return None
    return WORKMODES.get(payload[0], "UNKNOWN")


def output_off_to_nut(value: float, ctx: Context) -> str | None:
    """OFF unless the work mode is ONLINE (4) or ONBATTERY (8)."""
    payload = _payload(ctx, WORKMODE_REPORT)
    if not payload:
        return None
    return "!off" if payload[0] in (4, 8) else "off"


#: Message word bits → words, in output order; two bits share OVERHEAT.
MESSAGE_BITS = (
    (0x0004, "BOOST"),
    (0x0008, "BUCK"),
    (0x0010, "BOOST_BLOCKED"),
    (0x0020, "BUCK_BLOCKED"),
    (0x0040, "CHARGING"),
    (0x0080, "FAN_ON"),
    (0x0100, "EPO_BLOCKED"),
    (0x0200, "NEED_REPLACMENT"),
    (0x0C00, "OVERHEAT"),
    (0x1000, "WAITING_FOR_MIN_CHARGE"),
    (0x2000, "MAINS_OUT_OF_RANGE"),
)
ALARM_BITS = (
    (0x0001, "OVERLOAD"),
    (0x0002, "SHORT-CIRCUIT"),
    (0x000C, "OVERHEAT"),
    (0x0010, "EPO"),
    (0x0020, "INERNAL_ERROR"),
    (0x0040, "REVERSE_POWER_SUPPLY"),
    (0x0080, "NO_INETERNAL_COMM"),
    (0x0100, "CRITICAL_BATT_VOLTAGE"),
)


def _words(bits: tuple[tuple[int, str], ...], word: int) -> str:
    return " ".join(text for mask, text in bits if word & mask)


def messages_to_nut(value: float, ctx: Context) -> str | None:
    payload = _payload(ctx, MESSAGES_REPORT)
    return None if payload is None else _words(MESSAGE_BITS, _word(payload))


def alarms_to_nut(value: float, ctx: Context) -> str | None:
    payload = _payload(ctx, ALARMS_REPORT)
    return None if payload is None else _words(ALARM_BITS, _word(payload))


EVER_FORMAT_HARDWARE = Convert("ever_format_hardware", hardware_to_nut)
EVER_FORMAT_VERSION = Convert("ever_format_version", version_to_nut)
EVER_MAC_ADDRESS = Convert("ever_mac_address", mac_address_to_nut)
EVER_WORKMODE = Convert("ever_workmode", workmode_to_nut)
EVER_MESSAGES = Convert("ever_messages", messages_to_nut)
EVER_ALARMS = Convert("ever_alarms", alarms_to_nut)
EVER_ON_OFF_INFO = Convert("ever_on_off_info", output_off_to_nut)
EVER_IP_DESTINATION = _ip_address(211)
EVER_IP_ADDRESS = _ip_address(230)
EVER_IP_NETMASK = _ip_address(231)
EVER_IP_GATEWAY = _ip_address(232)
EVER_PACKETS_SENT = _packet_counter(215)
EVER_PACKETS_RECEIVED = _packet_counter(216)
EVER_PACKETS_SENT_ERRORS = _packet_counter(217)
EVER_PACKETS_RECEIVED_ERRORS = _packet_counter(218)

# --- hid2nut --------------------------------------------------------------------------

HID2NUT: tuple[Row, ...] = (
    # identity and collection ids
    Row("experimental.battery.batteryid", "UPS.BatterySystem.Battery.BatteryID", "%.0f"),
    Row("experimental.battery.systemid", "UPS.BatterySystem.BatterySystemID", "%.0f"),
    Row("experimental.battery.chargerid", "UPS.BatterySystem.Charger.ChargerID", "%.0f"),
    Row("experimental.battery.input_flowid", "UPS.BatterySystem.Input.FlowID", "%.0f"),
    Row("experimental.battery.input_id", "UPS.BatterySystem.Input.InputID", "%.0f"),
    Row("experimental.battery.output_flowid", "UPS.BatterySystem.Output.FlowID", "%.0f"),
    Row("experimental.battery.output_id", "UPS.BatterySystem.Output.OutputID", "%.0f"),
    # the EVER1 vendor collection
    Row("experimental.id.firmware_version_inverter", "UPS.EVER1.EVER13", "%s", NONE, EVER_FORMAT_VERSION),
    Row("experimental.id.firmware_version_interfaces", "UPS.EVER1.EVER14", "%s", NONE, EVER_FORMAT_VERSION),
    Row("experimental.id.hardware_version", "UPS.EVER1.EVER15", "%s", NONE, EVER_FORMAT_HARDWARE),
    Row("experimental.id.protocol_version_inverter", "UPS.EVER1.EVER16", "%s", NONE, EVER_FORMAT_VERSION),
    Row("experimental.id.protocol_version_interfaces", "UPS.EVER1.EVER17", "%s", NONE, EVER_FORMAT_VERSION),
    Row("ups.temperature", "UPS.EVER1.EVER42", "%s", NONE, KELVIN_CELSIUS_CONVERSION),
    Row("battery.temperature", "UPS.EVER1.EVER43", "%s", NONE, KELVIN_CELSIUS_CONVERSION),
    Row("output.powerfactor", "UPS.EVER1.EVER44", "%.0f"),
    Row("experimental.control.ups_on", "UPS.EVER1.EVER45.EVER46", "%.0f", RW | NUMBER),
    Row("experimental.control.clear_fault", "UPS.EVER1.EVER45.EVER47", "%.0f", RW | NUMBER),
    Row("experimental.control.clear_battery_fault", "UPS.EVER1.EVER45.EVER48", "%.0f", RW | NUMBER),
    Row("experimental.control.epo_blocked", "UPS.EVER1.EVER49.EVER50", "%.0f", RW | NUMBER),
    Row("experimental.control.green_mode", "UPS.EVER1.EVER49.EVER51", "%.0f", RW | NUMBER),
    Row("experimental.control.button_sound", "UPS.EVER1.EVER49.EVER52", "%.0f", RW | NUMBER),
    Row("experimental.control.audible_alarm", "UPS.EVER1.EVER49.EVER53", "%.0f", RW | NUMBER),
    Row("output.voltage", "UPS.EVER1.EVER54", "%.0f", RW | STRING, length=3),
    Row("experimental.config.overload_clearance_threshold", "UPS.EVER1.EVER59", "%.0f", RW | STRING, length=2),
    Row("experimental.config.stb_charge", "UPS.EVER1.EVER60", "%.0f", RW | STRING, length=2),
    Row("battery.packs.external", "UPS.EVER1.EVER61", "%.0f", RW | STRING, length=1),
    Row("experimental.statistics.mains_loss_counter", "UPS.EVER1.EVER62", "%.0f"),
    Row("experimental.statistics.lowering_AVR_trigger_counter", "UPS.EVER1.EVER63", "%.0f"),
    Row("experimental.statistics.rising_AVR_trigger_counter", "UPS.EVER1.EVER64", "%.0f"),
    Row("experimental.statistics.overload_counter", "UPS.EVER1.EVER65", "%.0f"),
    Row("experimental.statistics.short_circuit_counter", "UPS.EVER1.EVER66", "%.0f"),
    Row("experimental.statistics.discharge_counter", "UPS.EVER1.EVER67", "%.0f"),
    Row("experimental.statistics.overheat_counter", "UPS.EVER1.EVER68", "%.0f"),
    Row("experimental.statistics.mains_operation_time", "UPS.EVER1.EVER69", "%.0f"),
    Row("experimental.statistics.autonomous_operation_time", "UPS.EVER1.EVER70", "%.0f"),
    Row("experimental.statistics.overload_operation_time", "UPS.EVER1.EVER71", "%.0f"),
    # network card: whole-report values
    Row("experimental.networkcard.mac_address", "UPS.EVER1.EVER72", "%s", NONE, EVER_MAC_ADDRESS),
    Row("experimental.networkcard.notification_destination_ip", "UPS.EVER1.EVER73", "%s", NONE, EVER_IP_DESTINATION),
    Row("experimental.networkcard.send_packets", "UPS.EVER1.EVER77", "%s", NONE, EVER_PACKETS_SENT),
    Row("experimental.networkcard.received_packets", "UPS.EVER1.EVER78", "%s", NONE, EVER_PACKETS_RECEIVED),
    Row("experimental.networkcard.send_packets_err", "UPS.EVER1.EVER79", "%s", NONE, EVER_PACKETS_SENT_ERRORS),
    Row("experimental.networkcard.received_packets_err", "UPS.EVER1.EVER80", "%s", NONE, EVER_PACKETS_RECEIVED_ERRORS),
    Row("experimental.networkcard.config_dhcp_enabled", "UPS.EVER1.EVER85.EVER86", "%.0f"),
    Row("experimental.networkcard.config_ethernet_enabled", "UPS.EVER1.EVER85.EVER87", "%.0f"),
    Row("experimental.networkcard.config_http_enabled", "UPS.EVER1.EVER85.EVER88", "%.0f"),
    Row("experimental.networkcard.config_snmp_enabled", "UPS.EVER1.EVER85.EVER89", "%.0f"),
    Row("experimental.networkcard.config_snmp_trap_enabled", "UPS.EVER1.EVER85.EVER90", "%.0f"),
    Row("experimental.networkcard.config_readonly", "UPS.EVER1.EVER85.EVER91", "%.0f"),
    Row("experimental.networkcard.config_restart_eth", "UPS.EVER1.EVER85.EVER96", "%.0f"),
    Row("experimental.networkcard.ip_address", "UPS.EVER1.EVER93", "%s", NONE, EVER_IP_ADDRESS),
    Row("experimental.networkcard.network_mask", "UPS.EVER1.EVER94", "%s", NONE, EVER_IP_NETMASK),
    Row("experimental.networkcard.default_gateway", "UPS.EVER1.EVER95", "%s", NONE, EVER_IP_GATEWAY),
    # standard Power Device paths
    Row("ups.realpower.nominal", "UPS.Flow.ConfigActivePower", "%.0f"),
    Row("ups.power.nominal", "UPS.Flow.ConfigApparentPower", "%.0f"),
    Row("output.frequency.nominal", "UPS.Flow.ConfigFrequency", "%.0f"),
    Row("output.voltage.nominal", "UPS.Flow.ConfigVoltage", "%.0f"),
    Row("experimental.ups.flow_id", "UPS.Flow.FlowID", "%.0f"),
    Row("outlet.1.id", "UPS.OutletSystem.Outlet.OutletID", "%.0f"),
    Row("experimental.outlet.1.present", "UPS.OutletSystem.Outlet.PresentStatus.Present", "%.0f", NONE, YES_NO_INFO),
    Row("outlet.1.switchable", "UPS.OutletSystem.Outlet.PresentStatus.Switchable", "%.0f", NONE, YES_NO_INFO),
    Row("outlet.1.status", "UPS.OutletSystem.Outlet.PresentStatus.SwitchOn/Off", "%.0f"),
    Row("experimental.outlet.1.undefined", "UPS.OutletSystem.Outlet.PresentStatus.Undefined", "%.0f"),
    Row("experimental.outlet.1.system_id", "UPS.OutletSystem.OutletSystemID", "%.0f"),
    Row("experimental.outlet.1.switch_off_control", "UPS.OutletSystem.Outlet.SwitchOffControl", "%.0f", RW | NUMBER),
    Row("experimental.outlet.1.switch_on_control", "UPS.OutletSystem.Outlet.SwitchOnControl", "%.0f", RW | NUMBER),
    Row("experimental.powerconverter.input_flow_id", "UPS.PowerConverter.Input.FlowID", "%.0f"),
    Row("input.frequency", "UPS.PowerConverter.Input.Frequency", "%.0f"),
    Row("experimental.powerconverter.input_id", "UPS.PowerConverter.Input.InputID", "%.0f"),
    Row("input.voltage", "UPS.PowerConverter.Input.Voltage", "%.0f"),
    Row("ups.realpower", "UPS.PowerConverter.Output.ActivePower", "%.0f"),
    Row("ups.power", "UPS.PowerConverter.Output.ApparentPower", "%.0f"),
    Row("output.current", "UPS.PowerConverter.Output.Current", "%.0f"),
    Row("experimental.powerconverter.output_flowid", "UPS.PowerConverter.Output.FlowID", "%.0f"),
    Row("output.frequency", "UPS.PowerConverter.Output.Frequency", "%.0f"),
    Row("experimental.powerconverter.output_id", "UPS.PowerConverter.Output.OutputID", "%.0f"),
    Row("ups.load", "UPS.PowerConverter.Output.PercentLoad", "%.0f"),
    Row("output.voltage", "UPS.PowerConverter.Output.Voltage", "%.0f"),
    Row("experimental.powerconverter.powerconverterid", "UPS.PowerConverter.PowerConverterID", "%.0f"),
    Row("experimental.powersummary.capacity_granularity_1", "UPS.PowerSummary.CapacityGranularity1", "%.0f"),
    Row("experimental.powersummary.capacity_granularity_2", "UPS.PowerSummary.CapacityGranularity2", "%.0f"),
    Row("experimental.powersummary.capacity_mode", "UPS.PowerSummary.CapacityMode", "%.0f"),
    Row("ups.delay.shutdown", "UPS.PowerSummary.DelayBeforeShutdown", OFFDELAY, RW | STRING | ABSENT, length=10),
    Row("battery.capacity", "UPS.PowerSummary.DesignCapacity", "%.0f"),
    Row("experimental.powersummary.flow_id", "UPS.PowerSummary.FlowID", "%.0f"),
    Row("battery.capacity", "UPS.PowerSummary.FullChargeCapacity", "%.0f"),
    Row("battery.type", "UPS.PowerSummary.iDeviceChemistry", "%.0f"),
    Row("ups.load", "UPS.PowerSummary.PercentLoad", "%.0f"),
    Row("experimental.powersummary.rechargeable", "UPS.PowerSummary.Rechargeable", "%.0f"),
    Row("battery.charge", "UPS.PowerSummary.RemainingCapacity", "%.0f"),
    Row("battery.runtime.low", "UPS.PowerSummary.RemainingTimeLimit", "%.0f", RW | NUMBER),
    Row("battery.runtime", "UPS.PowerSummary.RunTimeToEmpty", "%.0f"),
    Row("battery.voltage", "UPS.PowerSummary.Voltage", "%.0f"),
    Row("ups.timer.shutdown", "UPS.PowerSummary.DelayBeforeShutdown", "%.0f", QUICK),
    # status bits
    Row(BOOL, "UPS.PowerSummary.PresentStatus.ACPresent", None, QUICK, ONLINE_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.AwaitingPower", None, QUICK, AWAITINGPOWER_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.BatteryPresent", None, NONE, NOBATTERY_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.CommunicationLost", None, NONE, COMMFAULT_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.Discharging", None, QUICK, DISCHARGING_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.NeedReplacement", None, NONE, REPLACEBATT_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.Overload", None, QUICK, OVERLOAD_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.OverTemperature", None, NONE, OVERHEAT_INFO),
    Row(BOOL, "UPS.PowerSummary.PresentStatus.ShutdownImminent", None, NONE, SHUTDOWNIMM_INFO),
    # status bits in the vendor collection
    Row(BOOL, "UPS.EVER1.EVER18.EVER19", None, NONE, OVERLOAD_INFO),
    Row(BOOL, "UPS.EVER1.EVER18.EVER20", None, NONE, LOWBATT_INFO),
    Row(BOOL, "UPS.EVER1.EVER18.EVER21", None, NONE, BOOST_INFO),
    Row(BOOL, "UPS.EVER1.EVER18.EVER22", None, NONE, TRIM_INFO),
    Row(BOOL, "UPS.EVER1.EVER18.EVER25", None, NONE, CHARGING_INFO),
    Row(BOOL, "UPS.EVER1.EVER18.EVER28", None, NONE, REPLACEBATT_INFO),
    Row(BOOL, "UPS.EVER1.EVER32.EVER33", None, NONE, OVERLOAD_INFO),
    Row(BOOL, "UPS.EVER1.EVER32.EVER40", "%.0f", NONE, COMMFAULT_INFO),
    Row(BOOL, "UPS.EVER1.EVER97.EVER102", "%s", NONE, EVER_ON_OFF_INFO),
    Row("experimental.status.workmode", "UPS.EVER1.EVER97.EVER98", "%s", NONE, EVER_WORKMODE),
    Row("experimental.status.messages", "UPS.EVER1.EVER18.EVER28", None, NONE, EVER_MESSAGES),
    Row("experimental.status.alarms", "UPS.EVER1.EVER32.EVER33", None, NONE, EVER_ALARMS),
    # instant commands
    Row("load.off.delay", "UPS.PowerSummary.DelayBeforeShutdown", OFFDELAY, CMD),
    Row("shutdown.return", "UPS.PowerSummary.DelayBeforeShutdown", OFFDELAY, CMD),
)


def format_mfr(device: DeviceInfo, ctx: Context) -> str | None:
    return device.manufacturer if device.manufacturer is not None else "Ever"


SUBDRIVER = Subdriver(
    name="Ever HID",
    version="0.10",
    usages=USAGES,
    hid2nut=HID2NUT,
    devices=DEVICES,
    format_mfr=format_mfr,
)
