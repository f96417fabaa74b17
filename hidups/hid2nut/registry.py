"""Which subdrivers exist, in which order they are asked, and which one takes a device.

Built-in subdrivers are asked in NUT's order (``subdriver_list[]`` in usbhid-ups.c):
explore, mge, apc, arduino, belkin, cps, delta_ups, ecoflow, ever, idowell, legrand,
liebert, openups, powercom, powervar, salicru, tripplite. The first whose claim says
yes wins. ``generic`` comes last and is only offered a device no one else claims,
and only when its report descriptor uses the Power Device page (NUT would refuse
such a device; see docs/differences.md).

Built-in modules are imported lazily and tolerantly: a module that does not exist
(yet) is skipped with a debug log line, so a partial tree still works.

User subdrivers are ``*.py`` files in user directories (the ``subdriver_path``
option, ``$HIDUPS_SUBDRIVER_PATH``, ``~/.config/hidups/subdrivers``), each defining
``SUBDRIVER`` or ``SUBDRIVERS``. They are asked before the built-ins, and every time
one takes the place of a built-in the log says so.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import os
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from types import ModuleType
from typing import NamedTuple

from hidups.descriptor.model import ReportDescriptor, ReportType
from hidups.descriptor.paths import find_field, parse_path
from hidups.device import DeviceInfo
from hidups.errors import ConfigError, DescriptorError, DeviceNotFound
from hidups.hid2nut.subdriver import Claim, Options, Subdriver, Support, support_of
from hidups.hid2nut.table import Row
from hidups.usages import STANDARD, UsageTable

log = logging.getLogger(__name__)

#: NUT's subdriver order, after the explore stub (which is defined here).
NUT_ORDER: tuple[str, ...] = (
    "mge",
    "apc",
    "arduino",
    "belkin",
    "cps",
    "delta_ups",
    "ecoflow",
    "ever",
    "idowell",
    "legrand",
    "liebert",
    "openups",
    "powercom",
    "powervar",
    "salicru",
    "tripplite",
)
GENERIC_MODULE = "generic"
BUILTIN_PACKAGE = "hidups.subdrivers"

POWER_DEVICE_PAGE = 0x84

SUBDRIVER_PATH_ENV = "HIDUPS_SUBDRIVER_PATH"
SUBDRIVER_PATH_OPTION = "subdriver_path"


def default_user_dir() -> Path:
    """``$XDG_CONFIG_HOME/hidups/subdrivers`` (``~/.config/hidups/subdrivers``)."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "hidups" / "subdrivers"


# --- the explore stub ---------------------------------------------------------------------


def claim_if_exploring(sub: Subdriver, device: DeviceInfo, options: Options) -> Claim | None:
    """NUT's explore subdriver takes any device when the ``explore`` flag is set."""
    return Claim() if "explore" in options else None


#: An empty table that takes any device under ``explore`` (first in NUT's list);
#: the ``explore`` tool does the dumping.
EXPLORE = Subdriver(
    name="EXPLORE HID",
    version="0.2",
    usages=UsageTable(()),
    hid2nut=(),
    claim=claim_if_exploring,
)


# --- loading ----------------------------------------------------------------------------------


def _subdrivers_of(module: ModuleType, where: str) -> list[Subdriver]:
    """The ``SUBDRIVER``/``SUBDRIVERS`` a module defines, checked."""
    found: list[object] = []
    if hasattr(module, "SUBDRIVER"):
        found.append(module.SUBDRIVER)
    if hasattr(module, "SUBDRIVERS"):
        many = module.SUBDRIVERS
        if not isinstance(many, (tuple, list)):
            raise ConfigError("SUBDRIVERS must be a tuple of Subdriver", source=where)
        found.extend(many)
    if not found:
        raise ConfigError("defines neither SUBDRIVER nor SUBDRIVERS", source=where)
    for item in found:
        if not isinstance(item, Subdriver):
            raise ConfigError(
                f"SUBDRIVER(S) must be hidups Subdriver values, not {type(item).__name__}",
                source=where,
            )
    return [item for item in found if isinstance(item, Subdriver)]


def load_builtin(name: str) -> list[Subdriver]:
    """A built-in module's subdrivers; ``[]`` (logged) when the module is missing or broken."""
    qualified = f"{BUILTIN_PACKAGE}.{name}"
    try:
        module = importlib.import_module(qualified)
    except ModuleNotFoundError as exc:
        if exc.name == qualified:
            log.debug("built-in subdriver module %s is not there (yet); skipped", name)
        else:
            log.warning("built-in subdriver %s skipped: %s", name, exc)
        return []
    except Exception as exc:  # a broken sibling must not take the driver down
        log.warning("built-in subdriver %s failed to import, skipped: %s", name, exc)
        return []
    try:
        return _subdrivers_of(module, qualified)
    except ConfigError as exc:
        log.warning("built-in subdriver %s skipped: %s", name, exc)
        return []


def builtin_subdrivers() -> list[Subdriver]:
    """explore, NUT's vendor subdrivers in NUT's order, then generic."""
    subs = [EXPLORE]
    for name in NUT_ORDER:
        subs.extend(load_builtin(name))
    subs.extend(load_builtin(GENERIC_MODULE))
    return subs


def load_user_file(path: Path) -> list[Subdriver]:
    """Import one user ``.py`` file; any error becomes a :class:`ConfigError` naming it."""
    module_name = f"hidups_user_subdriver_{abs(hash(str(path.resolve())))}_{path.stem}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise ConfigError("cannot be imported as a Python module", source=str(path))
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except SyntaxError as exc:
        sys.modules.pop(module_name, None)
        raise ConfigError(f"syntax error: {exc.msg}", source=str(path), line=exc.lineno) from exc
    except Exception as exc:
        sys.modules.pop(module_name, None)
        line = _error_line(exc, path)
        raise ConfigError(
            f"failed to load: {type(exc).__name__}: {exc}", source=str(path), line=line
        ) from exc
    return _subdrivers_of(module, str(path))


def _error_line(exc: BaseException, path: Path) -> int | None:
    """The line of ``path`` where ``exc`` was raised, if the traceback passes there."""
    tb = exc.__traceback__
    line = None
    while tb is not None:
        if Path(tb.tb_frame.f_code.co_filename) == path:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def user_dirs(options: Mapping[str, str] | None = None) -> list[Path]:
    """Where user subdrivers are looked for, most specific first (existing dirs only)."""
    candidates: list[Path] = []
    for source in (
        (options or {}).get(SUBDRIVER_PATH_OPTION),
        os.environ.get(SUBDRIVER_PATH_ENV),
    ):
        if source:
            candidates.extend(Path(p).expanduser() for p in source.split(os.pathsep) if p)
    candidates.append(default_user_dir())
    seen: set[Path] = set()
    dirs: list[Path] = []
    for directory in candidates:
        try:  # an unreadable parent makes even exists() fail: warn, and go on without
            key = directory.resolve() if directory.exists() else directory
            is_dir = directory.is_dir()
        except OSError as exc:
            _unreadable(directory, exc)
            continue
        if key in seen:
            continue
        seen.add(key)
        if is_dir:
            dirs.append(directory)
        elif directory != default_user_dir():
            log.warning("subdriver directory %s does not exist", directory)
    return dirs


def _unreadable(directory: Path, exc: OSError) -> None:
    log.warning("subdriver directory %s cannot be read (%s); going on without the "
                "subdrivers in it", directory, exc.strerror or exc)


def user_subdrivers(options: Mapping[str, str] | None = None) -> list[tuple[Subdriver, Path]]:
    """Every user subdriver with the file that defined it, in directory then name order."""
    found: list[tuple[Subdriver, Path]] = []
    for directory in user_dirs(options):
        try:  # not glob(): it skips an unreadable directory without a word
            names = sorted(entry.name for entry in os.scandir(directory))
        except OSError as exc:
            _unreadable(directory, exc)
            continue
        for name in names:
            path = directory / name
            if name.startswith("_") or not name.endswith(".py") or not path.is_file():
                continue
            found.extend((sub, path) for sub in load_user_file(path))
    return found


def _same_name(a: Subdriver, b: Subdriver) -> bool:
    return a.name.casefold() == b.name.casefold()


def all_subdrivers(options: Mapping[str, str] | None = None) -> list[Subdriver]:
    """User subdrivers first, then explore, NUT's vendor subdrivers, generic last.

    A user subdriver with a built-in's name replaces that built-in (logged).
    """
    builtins = builtin_subdrivers()
    users = user_subdrivers(options)
    for sub, path in users:
        for builtin in builtins:
            if _same_name(sub, builtin):
                log.warning(
                    "user subdriver %r from %s overrides built-in %r",
                    sub.full_name,
                    path,
                    builtin.full_name,
                )
    user_list = [sub for sub, _ in users]
    kept = [b for b in builtins if not any(_same_name(u, b) for u in user_list)]
    return user_list + kept


# --- the ``subdriver`` option -------------------------------------------------------------


def _fullmatch(pattern: str, text: str) -> bool:
    try:
        return re.fullmatch(pattern, text, re.IGNORECASE) is not None
    except re.error:
        return False


def _appends_dot_star(pattern: str) -> bool:
    """NUT adds ``.*`` unless the pattern's last two characters are ``.`` and ``*``-ish.

    Its test is ``len < 3 || (p[len-2] != '.' && p[len-1] != '*')``: kept as is.
    """
    return len(pattern) < 3 or (pattern[-2] != "." and pattern[-1] != "*")


def find_by_name(pattern: str, subdrivers: Sequence[Subdriver] | None = None) -> Subdriver | None:
    """NUT's ``subdriver`` option: the exact name (``"APC HID 0.101"``), else the
    first whose name the pattern matches case-insensitively as a whole, else the
    same with ``.*`` appended (so ``apc``, ``mge``, ``belkin`` work).
    """
    subs = list(subdrivers) if subdrivers is not None else all_subdrivers()
    for sub in subs:
        if sub.full_name == pattern:
            return sub
    for sub in subs:
        if _fullmatch(pattern, sub.full_name):
            return sub
    if _appends_dot_star(pattern):
        for sub in subs:
            if _fullmatch(pattern + ".*", sub.full_name):
                return sub
    return None


# --- selection ----------------------------------------------------------------------------


class _Choice(NamedTuple):
    subdriver: Subdriver
    claim: Claim


class Selection(_Choice):
    """The chosen subdriver and its claim (unpacks as a pair), with ``reason`` for logs."""

    reason: str = ""


def _selection(sub: Subdriver, claim: Claim, reason: str) -> Selection:
    chosen = Selection(sub, claim)
    chosen.reason = reason
    log.info("using subdriver %s: %s", sub.full_name, reason)
    return chosen


def _as_descriptor(descriptor: ReportDescriptor | bytes | None) -> ReportDescriptor | None:
    if descriptor is None or isinstance(descriptor, ReportDescriptor):
        return descriptor
    try:
        return ReportDescriptor.from_bytes(descriptor)
    except DescriptorError as exc:
        log.warning("report descriptor unreadable, no generic fallback: %s", exc)
        return None


def _vendor_hint(subs: Iterable[Subdriver], device: DeviceInfo) -> str:
    """Name the subdrivers that know the vendor id but not the product id."""
    knowing = [
        sub.full_name
        for sub in subs
        if sub.devices and support_of(sub.devices, device)[0] is Support.POSSIBLY
    ]
    if not knowing:
        return ""
    return (
        f"; {', '.join(knowing)} know vendor {device.vendor_id:04x}: set "
        f"productid={device.product_id:04x} to use it (and report the device)"
    )


def select_subdriver(
    device: DeviceInfo,
    options: Mapping[str, str],
    descriptor: ReportDescriptor | bytes | None = None,
) -> Selection:
    """The subdriver for ``device``, as NUT picks it, plus the generic fallback.

    The ``subdriver`` option forces one (a :class:`ConfigError` when nothing matches
    it, or when ``vendorid``/``productid`` are missing, as NUT insists). Otherwise
    the first claim wins; user subdrivers are asked first. With ``explore`` set
    (which needs ``vendorid``) the empty explore table takes the device. When no
    one claims, a descriptor using the Power Device page gets ``generic``; else
    :class:`DeviceNotFound`.
    """
    subs = all_subdrivers(options)
    builtins = builtin_subdrivers()
    wanted = options.get("subdriver")
    if wanted is not None:
        sub = find_by_name(wanted, subs)
        if sub is None:
            names = ", ".join(s.full_name for s in subs)
            raise ConfigError(
                f"requested subdriver {wanted!r} matches none of: {names}", option="subdriver"
            )
        if "vendorid" not in options or "productid" not in options:
            raise ConfigError(
                "when specifying a subdriver, 'vendorid' and 'productid' are mandatory",
                option="subdriver",
            )
        forced = sub.claims(device, options) or Claim()
        return _selection(sub, forced, f"forced by subdriver={wanted!r}")
    if "explore" in options and "vendorid" not in options:
        raise ConfigError("must specify \"vendorid\" when using \"explore\"", option="explore")

    generic = next((s for s in subs if s.name == "Generic HID"), None)
    for sub in subs:
        if sub is generic:
            continue
        claim = sub.claims(device, options)
        if claim is None:
            continue
        if not any(sub is b for b in builtins):
            _log_user_override(sub, device, options, builtins)
            return _selection(sub, claim, "user subdriver claims it")
        return _selection(sub, claim, f"claims {device.vidpid}")

    desc = _as_descriptor(descriptor)
    hint = _vendor_hint(subs, device)
    if generic is not None and desc is not None and generic_fits(generic, desc):
        if hint:
            log.warning("generic table used for %s%s", device.vidpid, hint)
        return _selection(
            generic, Claim(), f"no subdriver claims {device.vidpid}; Power Device page present"
        )
    why = "" if desc is None else "; no standard Power Device data either"
    raise DeviceNotFound(
        f"no subdriver claims USB device {device.vidpid} "
        f"({device.manufacturer or '?'} / {device.product or '?'}){why}{hint}"
    )


def _uses_power_device_page(desc: ReportDescriptor) -> bool:
    """Any collection or field on page 0x84 (the Power Device page)."""
    if any(c.usage >> 16 == POWER_DEVICE_PAGE for c in desc.collections):
        return True
    return any(node >> 16 == POWER_DEVICE_PAGE for f in desc.fields for node in f.path)


def resolving_rows(sub: Subdriver, desc: ReportDescriptor) -> list[Row]:
    """The rows of ``sub`` whose path names a field of ``desc`` (Feature, else Input)."""
    usages = sub.usages.chained(STANDARD)
    found: list[Row] = []
    for row in sub.hid2nut:
        if row.path is None:
            continue
        try:
            nodes = parse_path(row.path, usages)
        except ConfigError:
            continue
        if any(find_field(desc, nodes, kind) for kind in (ReportType.FEATURE, ReportType.INPUT)):
            found.append(row)
    return found


def generic_fits(generic: Subdriver, desc: ReportDescriptor) -> bool:
    """Power Device page present, and the generic table finds a charge or a status bit."""
    if not _uses_power_device_page(desc):
        return False
    return any(
        row.is_status or row.name == "battery.charge" for row in resolving_rows(generic, desc)
    )


def _log_user_override(
    sub: Subdriver, device: DeviceInfo, options: Options, builtins: Sequence[Subdriver]
) -> None:
    """Say which built-in a user subdriver displaces for this device, if any."""
    for builtin in builtins:
        if builtin.name == "Generic HID":
            continue
        if builtin.claims(device, options) is not None:
            log.warning(
                "user subdriver %s overrides built-in %s for %s",
                sub.full_name,
                builtin.full_name,
                device.vidpid,
            )
            return


def select(device: DeviceInfo, options: Mapping[str, str]) -> Subdriver:
    """:func:`select_subdriver` shaped as the engine's ``Selector`` (no descriptor)."""
    return select_subdriver(device, options).subdriver
