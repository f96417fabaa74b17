"""nutdrv_qx's ups.conf options as one typed object, with NUT's names and defaults.

Why: NUT reads options lazily (``getval``/``testvar``) and dies late on bad ones; parsing
them once up front gives errors that name the option and the value at fault.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from hidups.errors import ConfigError

DEFAULT_ONDELAY = "180"
DEFAULT_OFFDELAY = "30"
DEFAULT_POLLFREQ = 30
DEFAULT_CHARGETIME = 43200
DEFAULT_IDLELOAD = 0.1

FLAGS = ("novendor", "norating", "nooutstats", "ignoresab", "stayoff",
         "battery_voltage_reports_one_pack")


def _truthy_flag(options: Mapping[str, str], name: str) -> bool:
    """A NUT VAR_FLAG is set by its mere presence (``testvar``)."""
    return name in options


def _number(options: Mapping[str, str], name: str) -> float | None:
    text = options.get(name)
    if text is None:
        return None
    try:
        return float(text.strip())
    except ValueError:
        raise ConfigError(f"{name}={text!r}: not a number", option=name) from None


@dataclass(frozen=True)
class RuntimeCal:
    """``runtimecal=runtime_high,load_high,runtime_low,load_low`` (seconds, percent)."""

    runtime_high: float
    load_high: float
    runtime_low: float
    load_low: float


def parse_runtimecal(text: str) -> RuntimeCal:
    """Parse and range-check ``runtimecal`` as ``qx_initbattery`` does."""
    parts = [part.strip() for part in text.split(",")]
    if len(parts) < 4:
        raise ConfigError(f"runtimecal={text!r}: insufficient parameters (need 4)",
                          option="runtimecal")
    try:
        rh, lh, rl, ll = (float(part) for part in parts[:4])
    except ValueError:
        raise ConfigError(f"runtimecal={text!r}: not numbers", option="runtimecal") from None
    if rl < rh or rh <= 0:
        raise ConfigError(f"runtimecal={text!r}: parameter out of range (runtime)",
                          option="runtimecal")
    if lh > 100 or ll > lh or ll <= 0:
        raise ConfigError(f"runtimecal={text!r}: parameter out of range (load)",
                          option="runtimecal")
    return RuntimeCal(rh, lh, rl, ll)


@dataclass(frozen=True)
class QxSettings:
    """Options nutdrv_qx reads; ``ondelay``/``offdelay`` stay strings as NUT setvars them.

    ``raw`` keeps every option: subdrivers read their own (bestups' pins_shutdown_mode).
    """

    protocol: str | None = None
    novendor: bool = False
    norating: bool = False
    nooutstats: bool = False
    ignoresab: bool = False
    stayoff: bool = False
    ondelay: str | None = None
    offdelay: str | None = None
    pollfreq: int = DEFAULT_POLLFREQ
    runtimecal: RuntimeCal | None = None
    chargetime: int | None = None
    idleload: float | None = None
    battery_voltage_reports_one_pack: bool = False
    overrides: Mapping[str, str] = field(default_factory=dict)
    defaults: Mapping[str, str] = field(default_factory=dict)
    raw: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_options(cls, options: Mapping[str, str]) -> QxSettings:
        """Build from ups.conf/``-x`` options; unknown keys belong to other layers."""
        for name in ("ondelay", "offdelay"):
            text = options.get(name)
            if text is not None and not text.strip().lstrip("-").isdigit():
                raise ConfigError(f"{name}={text!r}: not an integer number of seconds",
                                  option=name)
        pollfreq = _number(options, "pollfreq")
        if pollfreq is not None and pollfreq <= 0:
            raise ConfigError(f"pollfreq={options['pollfreq']!r}: must be positive",
                              option="pollfreq")
        chargetime = _number(options, "chargetime")
        if chargetime is not None and int(chargetime) <= 0:
            raise ConfigError(f"chargetime={options['chargetime']!r}: out of range [1..s]",
                              option="chargetime")
        idleload = _number(options, "idleload")
        if idleload is not None and not 0 < idleload / 100 <= 1:
            raise ConfigError(f"idleload={options['idleload']!r}: out of range [0..100]",
                              option="idleload")
        cal = options.get("runtimecal")
        protocol = options.get("protocol")
        return cls(
            protocol=protocol.strip() if protocol else None,
            novendor=_truthy_flag(options, "novendor"),
            norating=_truthy_flag(options, "norating"),
            nooutstats=_truthy_flag(options, "nooutstats"),
            ignoresab=_truthy_flag(options, "ignoresab"),
            stayoff=_truthy_flag(options, "stayoff"),
            ondelay=options.get("ondelay"),
            offdelay=options.get("offdelay"),
            pollfreq=int(pollfreq) if pollfreq is not None else DEFAULT_POLLFREQ,
            runtimecal=parse_runtimecal(cal) if cal is not None else None,
            chargetime=int(chargetime) if chargetime is not None else None,
            idleload=idleload,
            battery_voltage_reports_one_pack=_truthy_flag(
                options, "battery_voltage_reports_one_pack"),
            overrides={k[len("override."):]: v for k, v in options.items()
                       if k.startswith("override.")},
            defaults={k[len("default."):]: v for k, v in options.items()
                      if k.startswith("default.")},
            raw=dict(options),
        )
