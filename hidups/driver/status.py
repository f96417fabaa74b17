"""``ups.status`` and ``ups.alarm`` synthesis from the status bits BOOL rows feed.

BOOL rows turn HID bits into tokens (``"online"``, ``"!dischrg"``); each token sets or
clears one persistent bit (NUT's ``process_boolean_info``). Once per update the bits
become NUT status words in NUT's fixed order (``ups_status_set``), then the dstate
layer's last touches apply (``status_commit``: ``ignorelb``, the ``ALARM`` prefix).

Which NUT we follow: NUT 2.8.5 (the reference the differential tests hold us to):
CAL first (a calibration looks like OB, so upsmon learns first that it is a drill);
CHRG only when the device says it is not fully charged, or says neither "fully" nor
"not fully charged" and 0 < battery.charge < 100; RB for "replace battery" and for
"no battery present". The OL/OB decision is 2.8.5's (OB when the device says offline,
or says nothing about power while discharging; no power word when it says nothing),
with one deliberate difference: a device that only clears its online bit (Belkin/
Liebert AC failure, whose 2.8.5 table maps that to no token at all) gets OB, because
2.8.5's empty ups.status there hides a real power failure from upsmon. The opt-in
options (``onlinedischarge_calibration``, ``lbrb_log_delay_*``, the warning throttle)
change nothing unless set. NUT 2.8.0's differences are rows in docs/differences.md.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from hidups.device import DeviceInfo
from hidups.numbers import c_atoi, number_option

log = logging.getLogger(__name__)

#: Every status bit a BOOL row can set, named as NUT's ``status_info`` table names them.
STATUS_BITS: frozenset[str] = frozenset(
    (
        "online", "offline", "dischrg", "chrg", "lowbatt", "overload", "replacebatt",
        "shutdownimm", "trim", "boost", "bypassauto", "bypassman", "ecomode", "essmode",
        "off", "cal", "overheat", "commfault", "depleted", "timelimitexp", "fullycharged",
        "notfullycharged", "awaitingpower", "fanfail", "nobattery", "battvoltlo",
        "battvolthi", "chargerfail", "vrange", "frange",
    )
)

#: Setting one of these clears its partner (a device reports only one of the pair).
EXCLUSIVE_PAIRS: Mapping[str, str] = {
    "online": "offline",
    "offline": "online",
    "fullycharged": "notfullycharged",
    "notfullycharged": "fullycharged",
}

#: ``ups.alarm`` texts for status bits, in NUT's order (``ups_alarm_set``).
ALARM_TEXTS: tuple[tuple[str, str], ...] = (
    ("replacebatt", "Replace battery!"),
    ("shutdownimm", "Shutdown imminent!"),
    ("fanfail", "Fan failure!"),
    ("nobattery", "No battery installed!"),
    ("battvoltlo", "Battery voltage too low!"),
    ("battvolthi", "Battery voltage too high!"),
    ("chargerfail", "Battery charger fail!"),
    ("overheat", "Temperature too high!"),
    ("commfault", "Internal UPS fault!"),
    ("awaitingpower", "Awaiting power!"),
    ("bypassauto", "Automatic bypass mode!"),
    ("bypassman", "Manual bypass mode!"),
)

#: APC models whose firmware flaps LB/RB during self-calibration (NUT issues #2347,
#: #2565, #2944, #3006); for them ``lbrb_log_delay_sec`` defaults to 3 s. NUT's rule
#: (usbhid-ups.c ``upsdrv_initups``, for any subdriver): the product string names
#: the series at its start or after a space ("BX1600MI", "Back-UPS BX1600MI"), ends
#: with the suffix, and is longer than the shortest such name (BXnnnMI: 7,
#: BVKnnnM2: 8, BKnnnM2-CH: 10 characters). Case and spaces count, as in C.
LBRB_FLAPPING_APC_MODELS = re.compile(
    r"(?=.{7,}$)(?:.* )?BX.*MI"
    r"|(?=.{8,}$)(?:.* )?BVK.*M2"
    r"|(?=.{10,}$)(?:.* )?BK.*M2[-_]CH",
    re.DOTALL,
)
LBRB_DEFAULT_DELAY = 3.0


class StatusBits:
    """The persistent bit set behind ``ups.status``: each bit changes only by its token."""

    def __init__(self) -> None:
        self.bits: set[str] = set()
        #: every bit some token has set or cleared: what the device reports at all
        self.reported: set[str] = set()

    def apply(self, token: str) -> bool:
        """Apply ``"x"`` (set) or ``"!x"`` (clear). Unknown tokens are ignored (False)."""
        clear = token.startswith("!")
        name = (token[1:] if clear else token).lower()
        if name not in STATUS_BITS:
            log.debug("status token %r is not a known status bit", token)
            return False
        self.reported.add(name)
        if not clear and name in EXCLUSIVE_PAIRS:
            self.bits.discard(EXCLUSIVE_PAIRS[name])
        if clear:
            self.bits.discard(name)
        else:
            self.bits.add(name)
        return True

    def __contains__(self, name: object) -> bool:
        return name in self.bits


def lbrb_default_delay(device: DeviceInfo) -> float:
    """NUT's automatic ``lbrb_log_delay_sec`` for APC models known to flap LB/RB.

    The one place hidups decides it, as NUT decides it in the driver core: the
    vendor string is exactly "APC" or "American Power Conversion" (no trimming).
    """
    if device.manufacturer not in ("APC", "American Power Conversion"):
        return 0.0
    if LBRB_FLAPPING_APC_MODELS.fullmatch(device.product or ""):
        return LBRB_DEFAULT_DELAY
    return 0.0


@dataclass(slots=True)
class StatusOptions:
    """The driver options that change status synthesis."""

    onlinedischarge_onbattery: bool = False
    onlinedischarge_calibration: bool = False
    #: -2 = "decide later" (NUT: 30 s when battery.charge is not served), <0 never repeat
    log_throttle_sec: float = -2.0
    log_throttle_hovercharge: int = 100
    lbrb_delay: float = 0.0
    lbrb_without_calibrating: bool = False
    ignorelb: bool = False

    @classmethod
    def from_options(cls, options: Mapping[str, str], device: DeviceInfo) -> StatusOptions:
        """Read the options as NUT's ``upsdrv_initups`` does; a value that is not a number
        is a ConfigError naming the option (NUT silently takes 0 or the default)."""
        throttle = number_option(options, "onlinedischarge_log_throttle_sec", -2.0)
        hover = int(number_option(options, "onlinedischarge_log_throttle_hovercharge", 100))
        if not 1 <= hover <= 100:
            hover = 100
        if "lbrb_log_delay_sec" in options:
            delay = number_option(options, "lbrb_log_delay_sec", LBRB_DEFAULT_DELAY)
            if delay < 0:
                delay = LBRB_DEFAULT_DELAY
        else:
            delay = lbrb_default_delay(device)
        return cls(
            onlinedischarge_onbattery=(
                "onlinedischarge_onbattery" in options or "onlinedischarge" in options
            ),
            onlinedischarge_calibration="onlinedischarge_calibration" in options,
            log_throttle_sec=throttle,
            log_throttle_hovercharge=hover,
            lbrb_delay=delay,
            lbrb_without_calibrating="lbrb_log_delay_without_calibrating" in options,
            ignorelb="ignorelb" in options,
        )


@dataclass(slots=True)
class Synthesis:
    """One update's result: the words for ``ups.status`` and the side variables."""

    tokens: list[str]
    transfer_reason: str | None
    buzzwords: list[str]


def _charge(get: Callable[[str], str | None]) -> int:
    """battery.charge as NUT's ``atoi`` reads it (0 when absent or not a number)."""
    text = get("battery.charge")
    if text is None:
        return 0
    m = re.match(r"\s*[-+]?\d+", text)
    return int(m.group()) if m else 0


@dataclass(slots=True)
class StatusSynthesizer:
    """Turns status bits into status words; keeps the timers NUT keeps between updates."""

    options: StatusOptions = field(default_factory=StatusOptions)
    upsname: str = "ups"
    lb_since: float | None = None
    rb_since: float | None = None
    od_logged_at: float = 0.0
    od_logged_charge: int = -1

    def synthesize(
        self, bits: StatusBits, get: Callable[[str], str | None], now: float
    ) -> Synthesis:
        """NUT's ``ups_status_set``: the status words in NUT 2.8.5's order."""
        opts = self.options
        words: list[str] = []

        def add(word: str) -> None:
            if word not in words:
                words.append(word)

        if "cal" in bits:
            add("CAL")  # 2.8.5 reports a calibration before any power word

        if "vrange" in bits:
            reason: str | None = "input voltage out of range"
        elif "frange" in bits:
            reason = "input frequency out of range"
        else:
            reason = None

        if "dischrg" not in bits:
            self.od_logged_at = 0.0
            self.od_logged_charge = -1

        online = "online" in bits
        discharging = "dischrg" in bits
        calibrating = "cal" in bits
        if "offline" in bits:
            add("OB")
        if not online:
            # OB when the device says it is off mains or is discharging (2.8.5); also
            # when it only cleared its online bit (Belkin/Liebert AC failure), where
            # 2.8.5 publishes no power word at all (deliberate, docs/differences.md).
            if discharging or "online" in bits.reported:
                add("OB")
        elif discharging:
            if opts.onlinedischarge_calibration:
                calibrating = True
                add("CAL")  # 2.8.5: before OB/OL, like the device's own CAL
            if opts.onlinedischarge_onbattery:
                add("OB")
            if not opts.onlinedischarge_onbattery and not opts.onlinedischarge_calibration:
                add("OL")
                if "cal" not in bits:
                    self._warn_online_discharge(get, now)
        else:
            add("OL")

        if discharging and "depleted" not in bits:
            add("DISCHRG")
        if "chrg" in bits and charging_reported(bits, get):
            add("CHRG")

        low = bool(bits.bits & {"lowbatt", "timelimitexp", "shutdownimm"})
        if low:
            if self._delay_expired("lb", online, calibrating, now):
                add("LB")
        else:
            self.lb_since = None
        if "overload" in bits:
            add("OVER")
        if "replacebatt" in bits or "nobattery" in bits:
            if self._delay_expired("rb", online, calibrating, now):
                add("RB")
        else:
            self.rb_since = None
        if "trim" in bits:
            add("TRIM")
        if "boost" in bits:
            add("BOOST")
        if bits.bits & {"bypassauto", "bypassman"}:
            add("BYPASS")
        buzz = [w for bit, w in (("ecomode", "vendor:default:ECO"),
                                 ("essmode", "vendor:default:ESS")) if bit in bits]
        if "off" in bits:
            add("OFF")
        return Synthesis(words, reason, buzz)

    def _delay_expired(self, which: str, online: bool, calibrating: bool, now: float) -> bool:
        """LB/RB debounce (``lbrb_log_delay_sec``): only while online and calibrating."""
        opts = self.options
        if which == "rb" and self.lb_since is None and opts.lbrb_delay >= 1:
            # NUT: once LB is gone, a calibration has ended; RB is not held back.
            return True
        if (
            opts.lbrb_delay < 1
            or (not calibrating and not opts.lbrb_without_calibrating)
            or not online
        ):
            return True
        since = self.lb_since if which == "lb" else self.rb_since
        if since is None:
            if which == "lb":
                self.lb_since = now
            else:
                self.rb_since = now
            return False
        return now - since > opts.lbrb_delay

    def _warn_online_discharge(self, get: Callable[[str], str | None], now: float) -> None:
        """The throttled OL+DISCHRG warning (``onlinedischarge_log_throttle_*``)."""
        opts = self.options
        should = False
        charge = 0
        if get("battery.charge") is not None:
            charge = _charge(get)
            if (
                charge > 0
                and charge != self.od_logged_charge
                and charge < opts.log_throttle_hovercharge
            ):
                should = True
        elif opts.log_throttle_sec == -2:
            opts.log_throttle_sec = 30
        if (
            self.od_logged_at > 0
            and opts.log_throttle_sec >= 0
            and now - self.od_logged_at >= opts.log_throttle_sec
        ):
            should = True
        if self.od_logged_at == 0 and get("battery.charge") is None:
            should = True  # first report when nothing else can trigger it
        if not should:
            return
        self.od_logged_at = now
        if charge > 0:
            self.od_logged_charge = charge
        log.warning(
            "UPS [%s] reports online and discharging at once. Is it calibrating "
            "(option onlinedischarge_calibration)? Some models (CyberPower UT) say so "
            "when on battery (option onlinedischarge_onbattery).",
            self.upsname,
        )


def charging_reported(bits: StatusBits, get: Callable[[str], str | None]) -> bool:
    """2.8.5's CHRG condition, given the charging bit: trust "not fully charged"; a
    device saying neither that nor "fully charged" must show 0 < battery.charge < 100
    (many set Charging while floating at 100 %)."""
    if "notfullycharged" in bits:
        return True
    if "fullycharged" in bits:
        return False
    return get("battery.charge") is not None and 0 < _charge(get) < 100


def alarm_texts(bits: StatusBits) -> list[str]:
    """The ``ups.alarm`` texts the status bits imply, in NUT's order."""
    return [text for bit, text in ALARM_TEXTS if bit in bits]


def _optional_atoi(text: str | None) -> int | None:
    return None if text is None else c_atoi(text)


def ignorelb_low(get: Callable[[str], str | None]) -> bool:
    """``ignorelb``: low battery by the driver's own thresholds (charge, then runtime)."""
    for value, limit in (("battery.charge", "battery.charge.low"),
                         ("battery.runtime", "battery.runtime.low")):
        v, lim = _optional_atoi(get(value)), _optional_atoi(get(limit))
        if v is not None and lim is not None and v < lim:
            return True
    return False


def charge_trend(
    words: list[str], previous: float | None, current: float | None
) -> str | None:
    """NUT master's charge-trend token, or ``None``.

    When battery.charge (< 100) moved since the last loop: without CHRG/DISCHRG the
    direction is added; against a contradicting CHRG/DISCHRG the observed direction
    is added too. Off by default (NUT 2.8.0 has no such rule; docs/differences.md).
    """
    if previous is None or current is None or not 0 <= current < 100 or previous < 0:
        return None
    if current == previous:
        return None
    rising = current > previous
    has_d, has_c = "DISCHRG" in words, "CHRG" in words
    if not has_d and not has_c:
        return "CHRG" if rising else "DISCHRG"
    if rising and has_d:
        return "CHRG"
    if not rising and has_c:
        return "DISCHRG"
    return None


def commit_status(
    words: list[str],
    get: Callable[[str], str | None],
    *,
    ignorelb: bool,
    alarm_active: bool,
    trend: str | None = None,
) -> str:
    """NUT's ``status_commit``: the final ``ups.status`` text."""
    final = list(words)
    if ignorelb:
        final = [w for w in final if w != "LB"]
        if ignorelb_low(get):
            final.append("LB")
    if trend is not None and trend not in final:
        final.append(trend)
    text = " ".join(final)
    if alarm_active:
        return f"ALARM {text}" if text else "ALARM"
    return text
