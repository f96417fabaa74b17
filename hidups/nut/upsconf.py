"""``ups.conf``: NUT's grammar, and the merged option set for one UPS.

:func:`parse_ups_conf` reads the file with NUT's word rules (:mod:`hidups.nut.protocol`)
into global directives and ``[sections]``; it checks the grammar of every line but the
option names only of the global part (the other sections may belong to other drivers).
:func:`resolve_options` merges, for the UPS being driven, the global directives, its
section and then ``-x`` arguments, checks every name against :mod:`hidups.nut.options`
and splits ``default.X`` / ``override.X`` out.

Where NUT silently ignores a line (``key value`` without ``=``, a section header with
spaces, ``desc = two words``) or misreads it (``pollonly = no`` turns pollonly on), this
module raises :class:`ConfigError` with the file and line instead.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from hidups.errors import ConfigError
from hidups.nut.dstate import check_name
from hidups.nut.options import (
    VARIABLE_PREFIXES,
    Kind,
    Option,
    Scope,
    check_value,
    find_option,
)
from hidups.nut.protocol import WordParser

PROGNAME = "hidups"


@dataclass(frozen=True)
class Setting:
    """One ``key = value`` (value None for a bare flag) and where it was written."""

    key: str
    value: str | None
    source: str
    line: int | None

    @property
    def where(self) -> str:
        return self.source if self.line is None else f"{self.source}:{self.line}"


@dataclass
class UpsConf:
    source: str
    globals: list[Setting] = field(default_factory=list)
    sections: dict[str, list[Setting]] = field(default_factory=dict)
    section_lines: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def section(self, name: str) -> list[Setting] | None:
        return self.sections.get(name)


def _bad_chars(text: str) -> Iterator[tuple[int, str]]:
    for number, line in enumerate(text.splitlines(), 1):
        for ch in line:
            if ch != "\t" and not " " <= ch <= "\x7f":
                yield number, ch
                break


def parse_ups_conf(text: str, source: str) -> UpsConf:
    """Parse ups.conf ``text``; ``source`` (the file name) appears in every error."""
    conf = UpsConf(source)
    for number, ch in _bad_chars(text):
        conf.warnings.append(
            f"{source}:{number}: character {ch!r} is not ASCII; NUT drops it, so do we"
        )
    parser = WordParser()
    lines = parser.feed(text) + parser.finish()
    current: list[Setting] | None = None
    for line in lines:
        if line.error:
            raise ConfigError(line.error, source=source, line=line.line)
        words = line.words
        first = words[0]
        if first.startswith("["):
            current = _section(conf, words, source, line.line)
            continue
        setting = _setting(words, source, line.line)
        if current is None:
            _check_global(setting)
            conf.globals.append(setting)
        else:
            current.append(setting)
    return conf


def _section(conf: UpsConf, words: list[str], source: str, line: int) -> list[Setting]:
    header = words[0]
    if len(words) != 1 or not header.endswith("]") or len(header) < 3:
        raise ConfigError(
            f"bad section header {' '.join(words)!r}: write [name], without spaces",
            source=source, line=line,
        )
    name = header[1:-1]
    if name in conf.sections:
        conf.warnings.append(
            f"{source}:{line}: section [{name}] repeats the one at line "
            f"{conf.section_lines[name]}; NUT merges them, later keys win"
        )
        return conf.sections[name]
    conf.section_lines[name] = line
    return conf.sections.setdefault(name, [])


def _setting(words: list[str], source: str, line: int) -> Setting:
    if len(words) == 1:
        if words[0] == "=":
            raise ConfigError("a line with only '='", source=source, line=line)
        return Setting(words[0], None, source, line)
    if len(words) >= 2 and words[1] == "=":
        if words[0] == "=":
            raise ConfigError("missing option name before '='", source=source, line=line)
        if len(words) == 2:
            raise ConfigError(
                f"{words[0]} = needs a value (use \"\" for an empty one)",
                source=source, line=line, option=words[0],
            )
        if len(words) > 3:
            raise ConfigError(
                f"{words[0]}: value {' '.join(words[2:])!r} is several words; quote it "
                f"(NUT would keep only {words[2]!r})",
                source=source, line=line, option=words[0],
            )
        return Setting(words[0], words[2], source, line)
    raise ConfigError(
        f"cannot read {' '.join(words)!r}: expected 'name = value' or a bare flag "
        "(NUT ignores such a line)",
        source=source, line=line, option=words[0],
    )


def _check_global(setting: Setting) -> None:
    option = find_option(setting.key)
    if option is None:
        raise ConfigError(
            f"unknown global directive {setting.key!r} (before the first [section])",
            source=setting.source, line=setting.line, option=setting.key,
        )
    if option.scope is Scope.SECTION:
        raise ConfigError(
            f"{option.name} belongs in a UPS's [section], not before the first one",
            source=setting.source, line=setting.line, option=setting.key,
        )
    _check_setting(option, setting)


def _check_setting(option: Option, setting: Setting) -> None:
    if option.kind is Kind.FLAG and setting.value is not None:
        raise ConfigError(
            f"{option.name} is a flag: write it alone, without '= {setting.value}' "
            "(NUT would turn it on whatever the value)",
            source=setting.source, line=setting.line, option=option.name,
        )
    if option.kind is Kind.VALUE:
        if setting.value is None:
            raise ConfigError(
                f"{option.name} needs a value: {option.name} = <value>",
                source=setting.source, line=setting.line, option=option.name,
            )
        problem = check_value(option, setting.value)
        if problem:
            raise ConfigError(
                f"{option.name} = {setting.value!r}: {option.name} {problem}",
                source=setting.source, line=setting.line, option=option.name,
            )


# --- the merged options for one UPS -------------------------------------------------


@dataclass
class DriverOptions:
    """Everything configured for the UPS being driven, merged and checked.

    ``values`` maps canonical option names to values, a set flag to ``""`` (the
    ``Mapping[str, str]`` subdrivers and the engine receive); ``defaults`` and
    ``overrides`` hold ``default.X`` / ``override.X`` by variable name; ``where`` holds
    the setting (file and line, or ``-x``) that last set each option, default and
    override.
    """

    ups: str
    values: dict[str, str] = field(default_factory=dict)
    defaults: dict[str, str] = field(default_factory=dict)
    overrides: dict[str, str] = field(default_factory=dict)
    where: dict[str, Setting] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def get(self, name: str, default: str | None = None) -> str | None:
        value = self.values.get(name)
        if value is not None:
            return value
        option = find_option(name)
        if default is None and option is not None:
            return option.default
        return default

    def flag(self, name: str) -> bool:
        return name in self.values

    def get_int(self, name: str) -> int:
        value = self.get(name)
        if value is None:
            raise KeyError(f"option {name} has no value and no default")
        return int(value, 10)

    @property
    def pollinterval(self) -> int:
        return self.get_int("pollinterval")

    def as_mapping(self) -> Mapping[str, str]:
        return dict(self.values)


def apply_setting(options: DriverOptions, setting: Setting, *, scope: Scope) -> None:
    """Check one setting against the table and fold it into ``options``."""
    key = setting.key
    lowered = key.lower()
    for prefix in VARIABLE_PREFIXES:
        if lowered.startswith(prefix):
            variable = key[len(prefix):]
            if setting.value is None:
                raise ConfigError(
                    f"{key} needs a value", source=setting.source, line=setting.line, option=key
                )
            try:
                check_name(variable)
            except ValueError:
                raise ConfigError(
                    f"{key}: {variable!r} is not a NUT variable name",
                    source=setting.source, line=setting.line, option=key,
                ) from None
            target = options.defaults if prefix == "default." else options.overrides
            target[variable] = setting.value
            options.where[key] = setting
            return
    option = find_option(key)
    if option is None:
        what = "flag" if setting.value is None else "option"
        raise ConfigError(
            f"{key!r} is not a valid hidups {what}; run 'hidups -h' for the list",
            source=setting.source, line=setting.line, option=key,
        )
    if option.scope not in (scope, Scope.BOTH):
        raise ConfigError(
            f"{option.name} is a global directive: put it before the first [section]",
            source=setting.source, line=setting.line, option=key,
        )
    _check_setting(option, setting)
    options.values[option.name] = "" if setting.value is None else setting.value
    options.where[option.name] = setting
    if option.name == "sddelay":
        options.warnings.append(f"{setting.where}: sddelay is obsolete and ignored")


def check_driver_name(options: DriverOptions, progname: str) -> None:
    """NUT refuses to run a section written for another driver."""
    driver = options.values.get("driver")
    if driver is not None and driver != progname:
        setting = options.where["driver"]
        raise ConfigError(
            f"UPS [{options.ups}] is for driver {driver}, but this is {progname}",
            source=setting.source, line=setting.line, option="driver",
        )


# --- reloading (SIGHUP, driver.reload*) ------------------------------------------------


@dataclass
class ReloadPlan:
    """What changed between the running options and a fresh read of the configuration.

    ``live``: changed options that can be applied while running (pollinterval,
    synchronous, sdcommands, debug_min, allow_killpower, and keys only other NUT
    programs read); ``restart``: changed options that need a new driver process (as
    NUT's ``reload-or-exit`` exits and ``reload-or-error`` fails for them).
    """

    options: DriverOptions
    live: list[str] = field(default_factory=list)
    restart: list[str] = field(default_factory=list)

    @property
    def needs_restart(self) -> bool:
        return bool(self.restart)


def plan_reload(old: DriverOptions, new: DriverOptions) -> ReloadPlan:
    plan = ReloadPlan(new)
    for name in sorted(set(old.values) | set(new.values)):
        if old.values.get(name) == new.values.get(name):
            continue
        option = find_option(name)
        (plan.live if option is not None and option.reloadable else plan.restart).append(name)
    for prefix, before, after in (("default.", old.defaults, new.defaults),
                                  ("override.", old.overrides, new.overrides)):
        for variable in sorted(set(before) | set(after)):
            if before.get(variable) != after.get(variable):
                plan.restart.append(prefix + variable)
    return plan
