"""Write a subdriver module for an unknown device from the usage paths it exposes.

This is hidups' counterpart of NUT's ``gen-usbhid-subdriver.sh``, with one difference
that matters to users: a path that a built-in subdriver already maps gets the NUT
variable (or status bit, or command) that subdriver maps it to, with its format,
flags and conversion. Those are learned from the built-in tables when the generator
runs (:func:`learn_rows`), never from a hand-kept list, so the generator improves
with every table. Paths nobody maps become ``unmapped.<path>`` rows, as NUT's script
does, for the user to rename.

Usages without a name in the standard tables (8-hex-digit nodes in a NUT dump) get
dummy names ``<NAME>1``, ``<NAME>2``... in a vendor :class:`UsageTable`, numbered as
NUT's script numbers them. Steps: read the paths (:func:`descriptor_paths`,
:func:`dump_paths`), decide rows (:func:`plan_subdriver`), write (:func:`render_module`).
"""

from __future__ import annotations

import keyword
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from hidups.descriptor.model import Field, UsagePath, is_index_node
from hidups.descriptor.paths import format_node, format_path, parse_path
from hidups.device import DeviceInfo
from hidups.errors import ConfigError
from hidups.hid2nut import lookups as shared_lookups
from hidups.hid2nut.subdriver import Claim, Subdriver
from hidups.hid2nut.table import ALARM, BOOL, OFFDELAY, ONDELAY, Flag, Row
from hidups.usages import UsageTable

_HEX_NODE = re.compile(r"^[0-9a-fA-F]{8}$")

#: Where the generator looks for importable look-up objects first.
SHARED_LOOKUP_MODULE = "hidups.hid2nut.lookups"
#: The built-in subdriver modules (``subdrivers/`` installed under this name).
BUILTIN_PACKAGE = "hidups.subdrivers"
#: Name prefix of rows for paths no table maps (NUT's script writes the same).
UNMAPPED_PREFIX = "unmapped."
#: Subdriver hooks a generated module takes over from a built-in one that claims the
#: device (its descriptor fix-ups and string formatting change published values).
HOOKS = ("format_model", "format_mfr", "format_serial", "fix_report_desc")
#: Variables the driver publishes from the identity hooks (and copies to device.*):
#: only the subdriver whose hooks the module uses may map them.
IDENTITY_NAMES = frozenset({"ups.mfr", "ups.model", "ups.serial", "device.mfr",
                            "device.model", "device.serial", "ups.vendorid", "ups.productid"})
#: Subdrivers that take devices nobody else claims: never "the claimer". The generic
#: table ranks right after the claimer: it is the vendor-neutral reading of a path.
GENERIC_NAME = "Generic HID"
FALLBACKS = (GENERIC_NAME, "EXPLORE HID")


# --- the dump's paths -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DumpPath:
    """One usage path of the device, as the dump spelled it and as numbers."""

    text: str
    nodes: UsagePath


def parse_dump_path(text: str, names: UsageTable) -> UsagePath | None:
    """A NUT-spelled path → nodes; ``None`` when a node is a name no table knows
    (the dump came from a subdriver whose vendor names we do not have)."""
    try:
        nodes = parse_path(text.strip(), names)
    except ConfigError:
        return None
    return nodes or None


def dump_paths(texts: Iterable[str], names: UsageTable) -> tuple[list[DumpPath], list[str]]:
    """Unique paths in first-seen order, and the texts that could not be read."""
    seen: set[UsagePath] = set()
    out: list[DumpPath] = []
    bad: list[str] = []
    for text in texts:
        nodes = parse_dump_path(text, names)
        if nodes is None:
            bad.append(text)
            continue
        if nodes not in seen:
            seen.add(nodes)
            out.append(DumpPath(text.strip(), nodes))
    return out, bad


def descriptor_paths(fields: Iterable[Field], names: UsageTable) -> list[DumpPath]:
    """Unique element paths of a parsed descriptor, spelled with ``names`` (NUT's
    table, for the dump): exact nodes, even where a name is ambiguous."""
    seen: set[UsagePath] = set()
    out: list[DumpPath] = []
    for fld in fields:
        if fld.path not in seen:
            seen.add(fld.path)
            out.append(DumpPath(format_path(fld.path, names), fld.path))
    return out


def known_names(standard: UsageTable, subdrivers: Sequence[Subdriver]) -> UsageTable:
    """Standard names, then every built-in vendor name (to read dumps made with them)."""
    pairs: list[tuple[str, int]] = []
    for sub in subdrivers:
        pairs.extend(sub.usages.items())
    return UsageTable(pairs, chain=standard)


# --- vendor usage names ---------------------------------------------------------------


def vendor_usages(paths: Sequence[DumpPath], standard: UsageTable,
                  prefix: str) -> dict[int, str]:
    """code → name for every usage the standard tables cannot name.

    A usage the dump spelled by name (a vendor name NUT knew) keeps it; a usage the
    dump spelled in hex, or by an ambiguous standard name, gets ``<PREFIX><n>``,
    numbered in ascending order of usage, as NUT's script numbers them (it sorts the
    unique hex tokens), so both tools give the same names for the same dump.
    """
    spelled: dict[int, str] = {}
    dummies: set[int] = set()
    for dump in paths:
        parts = [p for p in dump.text.split(".") if p]
        for part, node in zip(parts, dump.nodes, strict=True):
            if is_index_node(node) or spells_back(node, standard):
                continue
            if _HEX_NODE.match(part) or standard.code(part) is not None:
                dummies.add(node)
            else:
                spelled.setdefault(node, part)
    names = {node: f"{prefix}{n}" for n, node in enumerate(sorted(dummies - set(spelled)), 1)}
    names.update(spelled)
    return names


def spells_back(node: int, standard: UsageTable) -> bool:
    """True when the standard name of ``node`` reads back as ``node``.

    Not always so: NUT's table calls both 0x00840000 and 0x00850000 "Undefined".
    """
    name = standard.name(node)
    return name is not None and standard.code(name) == node


def spell_path(nodes: UsagePath, standard: UsageTable, vendor: Mapping[int, str]) -> str:
    """Nodes → path text using the standard names and the generated vendor names."""
    return ".".join(vendor[node] if node in vendor else format_node(node, standard)
                    for node in nodes)


# --- what the built-in subdrivers know ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LearnedRow:
    """A built-in row, with where it came from (its table order decides precedence)."""

    subdriver: str  # full name, "APC HID 0.101"
    rank: int  # position of the subdriver in the registry
    index: int  # position of the row in its table
    row: Row


def learn_rows(subdrivers: Sequence[Subdriver],
               standard: UsageTable) -> dict[UsagePath, list[LearnedRow]]:
    """Every path-bearing row of every subdriver, keyed by its numeric path."""
    learned: dict[UsagePath, list[LearnedRow]] = {}
    for rank, sub in enumerate(subdrivers):
        names = sub.usages.chained(standard)
        for index, row in enumerate(sub.hid2nut):
            if row.path is None or row.name.startswith(UNMAPPED_PREFIX):
                continue
            nodes = parse_dump_path(row.path, names)
            if nodes is None:
                continue
            learned.setdefault(nodes, []).append(LearnedRow(sub.full_name, rank, index, row))
    return learned


# --- the generated table ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PlannedRow:
    """A row of the generated table and why it is there."""

    row: Row
    source: str | None  # subdriver it was learned from; None for unmapped rows
    order: tuple[int, int]  # (subdriver preference, row index) for learned rows


@dataclass(slots=True)
class Plan:
    """Everything the generated module holds, before it is written out."""

    name: str
    vendor_id: int
    product_id: int
    comment: str
    vendor_names: dict[int, str]
    rows: list[PlannedRow] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)  # dump paths we could not parse
    unimportable: list[str] = field(default_factory=list)  # learned rows left out, why
    #: The built-in subdriver that claims the device (if one does), and what is taken
    #: from it: hook name → (module, attribute), its option defaults, its claim tweaks.
    claimer_name: str | None = None
    hooks: dict[str, tuple[str, str]] = field(default_factory=dict)
    defaults: dict[str, str] = field(default_factory=dict)
    tweaks: dict[str, str] = field(default_factory=dict)  # the claim's option tweaks

    @property
    def mapped(self) -> list[PlannedRow]:
        return [r for r in self.rows if r.source is not None]

    @property
    def unmapped(self) -> list[PlannedRow]:
        return [r for r in self.rows if r.source is None]


def preference(subdrivers: Sequence[Subdriver], device: DeviceInfo,
               paths: Sequence[DumpPath],
               learned: Mapping[UsagePath, list[LearnedRow]]) -> list[str]:
    """Subdriver full names, best teacher first.

    The one that claims the device (when it is among ``subdrivers``) comes first; then
    the generic table (the vendor-neutral meaning of standard paths); then those that
    map most of the device's paths; ties keep registry order.
    """
    coverage: dict[str, int] = {sub.full_name: 0 for sub in subdrivers}
    for dump in paths:
        for teacher in {lr.subdriver for lr in learned.get(dump.nodes, ())}:
            coverage[teacher] += 1
    order = {sub.full_name: i for i, sub in enumerate(subdrivers)}
    claimer = {sub.full_name for sub in subdrivers
               if sub.name not in FALLBACKS and sub.claims(device, {}) is not None}
    neutral = {sub.full_name for sub in subdrivers if sub.name == GENERIC_NAME}
    return sorted(coverage, key=lambda n: (n not in claimer, n not in neutral, -coverage[n],
                                           order[n]))


def plan_subdriver(
    *,
    name: str,
    device: DeviceInfo,
    paths: Sequence[DumpPath],
    standard: UsageTable,
    subdrivers: Sequence[Subdriver],
    comment: str = "",
    importable: Importables | None = None,
    unreadable: Sequence[str] = (),
) -> Plan:
    """Decide the generated subdriver's usages and rows (nothing is written here).

    ``paths`` come from :func:`descriptor_paths` or :func:`dump_paths`; ``unreadable``
    are the dump's paths that could not be read (reported in the module).
    """
    bad = list(unreadable)
    vendor = vendor_usages(paths, standard, vendor_prefix(name))
    learned = learn_rows(subdrivers, standard)
    rank = {n: i for i, n in enumerate(preference(subdrivers, device, paths, learned))}
    lookups = importable if importable is not None else Importables.scan()
    plan = Plan(name, device.vendor_id, device.product_id, comment, vendor, unreadable=bad)
    claimer = find_claimer(subdrivers, device)
    if claimer is not None:
        take_hooks(plan, claimer[0], lookups)
        plan.tweaks = dict(claimer[1].tweaks)
    taught: list[tuple[DumpPath, str, LearnedRow]] = []
    for dump in paths:
        text = spell_path(dump.nodes, standard, vendor)
        taught += [(dump, text, lr) for lr in teach(learned.get(dump.nodes, []), rank)]
    taught.sort(key=lambda item: (rank[item[2].subdriver], item[2].index))
    covered: set[UsagePath] = set()
    for dump, text, lr in taught:
        if keep_learned(lr, plan, lookups, text):
            row = Row(lr.row.name, text, lr.row.fmt, lr.row.flags, lr.row.lookup,
                      lr.row.length)
            plan.rows.append(PlannedRow(row, lr.subdriver, (rank[lr.subdriver], lr.index)))
            covered.add(dump.nodes)
    for dump in paths:
        if dump.nodes not in covered:
            text = spell_path(dump.nodes, standard, vendor)
            row = Row(f"{UNMAPPED_PREFIX}{text.lower()}", text, "%.0f")
            plan.rows.append(PlannedRow(row, None, (len(rank), 0)))
    return plan


def find_claimer(subdrivers: Sequence[Subdriver], device: DeviceInfo
                 ) -> tuple[Subdriver, Claim] | None:
    """The first built-in that claims the device by itself (fallbacks do not count)."""
    for sub in subdrivers:
        claim = None if sub.name in FALLBACKS else sub.claims(device, {})
        if claim is not None:
            return sub, claim
    return None


def take_hooks(plan: Plan, sub: Subdriver, importables: Importables) -> None:
    """Reuse the hooks of the built-in subdriver that claims the device, so that the
    generated one publishes the same values (fixed-up limits, model strings)."""
    defaults = Subdriver(name="", version="", usages=UsageTable(), hid2nut=())
    for hook in HOOKS:
        fn = getattr(sub, hook)
        if fn is getattr(defaults, hook):
            continue
        ref = importables.reference(fn)
        if ref is None:
            plan.unimportable.append(f"{hook} of {sub.full_name} is not importable")
            continue
        plan.hooks[hook] = ref
    plan.defaults = dict(sub.defaults)
    plan.claimer_name = sub.full_name


def teach(candidates: Sequence[LearnedRow], rank: Mapping[str, int]) -> list[LearnedRow]:
    """The rows of the best-ranked subdriver among those that map one path."""
    if not candidates:
        return []
    teacher = min(candidates, key=lambda lr: rank[lr.subdriver]).subdriver
    return [lr for lr in candidates if lr.subdriver == teacher]


def keep_learned(lr: LearnedRow, plan: Plan, lookups: Importables, text: str) -> bool:
    """Whether a learned row can go into the module; notes the reason when not.

    A variable name a better-ranked teacher already maps (to another path) is not
    taken again from a second teacher: the second meaning is that vendor's quirk.
    Status and alarm rows are exempt; many rows feed them by design. But when a
    built-in claims the device, only its own status and alarm rows are taken: a status
    bit it does not read changes ``ups.status`` (NUT 2.8.0 drops CHRG once a
    FullyCharged row reports 1, and Liebert's table has none), so another teacher's
    status rows would make the generated driver disagree with the vendor's.
    """
    if lr.row.lookup is not None and lookups.reference(lr.row.lookup) is None:
        plan.unimportable.append(f"{lr.row.name} ({text}): conversion {lr.row.lookup!r} "
                                 f"of {lr.subdriver} is not importable")
        return False
    if lr.row.name in (BOOL, ALARM):
        if plan.claimer_name is not None and lr.subdriver != plan.claimer_name:
            plan.unimportable.append(f"{lr.row.name} ({text}) of {lr.subdriver}: status rows "
                                     f"come from the claiming {plan.claimer_name} only")
            return False
        return True
    if lr.row.name in IDENTITY_NAMES and lr.subdriver != plan.claimer_name:
        return False  # the driver publishes these through the hooks
    for planned in plan.rows:
        if planned.row.name == lr.row.name and planned.source != lr.subdriver:
            return False
    return True


# --- importable objects ------------------------------------------------------------------


class Importables:
    """Where a look-up or hook function can be imported from: (module, name), by identity.

    The generated module may only import public hidups modules, so a conversion is
    usable only when some public module holds it under a public name.
    """

    def __init__(self, modules: Mapping[str, object]) -> None:
        self._where: dict[int, tuple[str, str]] = {}
        for module_name, module in modules.items():
            for attr, value in vars(module).items():
                if not attr.startswith("_"):
                    self._where.setdefault(id(value), (module_name, attr))

    @classmethod
    def scan(cls) -> Importables:
        """The shared look-ups first, then every imported built-in subdriver module."""
        modules: dict[str, object] = {SHARED_LOOKUP_MODULE: shared_lookups}
        for module_name in sorted(sys.modules):
            if module_name.startswith(BUILTIN_PACKAGE + "."):
                modules[module_name] = sys.modules[module_name]
        return cls(modules)

    def reference(self, obj: object) -> tuple[str, str] | None:
        return self._where.get(id(obj))


# --- writing the module -------------------------------------------------------------------

#: Flag names as ``hidups.hid2nut.table`` exports them, in definition order.
_FLAG_NAMES = [f for f in Flag if f.value and f.name is not None]


def flags_source(flags: Flag) -> str:
    names = [f.name for f in _FLAG_NAMES if f in flags and f.name]
    return " | ".join(names) if names else "NONE"


def vendor_prefix(name: str) -> str:
    """The dummy-name prefix: the subdriver name in capitals, identifier-safe."""
    prefix = re.sub(r"[^A-Za-z0-9_]", "", name).upper() or "VENDOR"
    return prefix if not prefix[0].isdigit() else "V" + prefix


def module_name_for(name: str) -> str:
    """A file/module name for the subdriver: ``My UPS`` → ``my_ups``."""
    stem = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_") or "generated"
    if stem[0].isdigit() or keyword.iskeyword(stem):
        stem = "ups_" + stem
    return stem


def quoted(value: str | None) -> str:
    """A Python literal for a string, in double quotes as the built-in tables write it."""
    if value is None:
        return "None"
    if '"' in value or "\\" in value or not value.isprintable():
        return repr(value)
    return f'"{value}"'


def dict_source(values: Mapping[str, str]) -> str:
    """A dict literal of strings."""
    return "{" + ", ".join(f"{quoted(k)}: {quoted(v)}" for k, v in values.items()) + "}"


#: Rows whose default is NUT's DEFAULT_ONDELAY / DEFAULT_OFFDELAY, spelt by name.
DELAY_DEFAULTS = {
    ("ups.delay.start", ONDELAY): "ONDELAY",
    ("load.on.delay", ONDELAY): "ONDELAY",
    ("ups.delay.shutdown", OFFDELAY): "OFFDELAY",
    ("load.off.delay", OFFDELAY): "OFFDELAY",
}


def fmt_source(row: Row) -> str:
    """A row's ``fmt``, as the built-in tables spell it (the delay defaults by name)."""
    return DELAY_DEFAULTS.get((row.name, row.fmt or ""), quoted(row.fmt))


def row_source(row: Row, lookups: Importables) -> str:
    """One ``Row(...)`` line; trailing defaults are left out, as in the built-in tables."""
    name = "BOOL" if row.name == BOOL else quoted(row.name)
    args = [name, quoted(row.path), fmt_source(row)]
    extra = [flags_source(row.flags)]
    if row.lookup is not None or row.length:
        ref = lookups.reference(row.lookup) if row.lookup is not None else None
        extra.append(ref[1] if ref else "None")
    if row.length:
        extra.append(f"length={row.length}")
    if extra != ["NONE"]:
        args += extra
    return f"    Row({', '.join(args)}),"


def render_module(plan: Plan, *, source: str = "",
                  lookups: Importables | None = None) -> str:
    """The subdriver module's text: declarative, one row per line, public imports only."""
    lookups = lookups if lookups is not None else Importables.scan()
    imports: dict[str, set[str]] = {}
    table_names = {"Row"}
    for planned in plan.rows:
        if planned.row.flags or planned.row.lookup is not None or planned.row.length:
            table_names |= set(flags_source(planned.row.flags).split(" | "))
        if planned.row.name == BOOL:
            table_names.add("BOOL")
        if fmt_source(planned.row) in ("ONDELAY", "OFFDELAY"):
            table_names.add(fmt_source(planned.row))
        if planned.row.lookup is not None:
            ref = lookups.reference(planned.row.lookup)
            if ref is not None:
                imports.setdefault(ref[0], set()).add(ref[1])
    for module, attr in plan.hooks.values():
        imports.setdefault(module, set()).add(attr)
    imports.setdefault("hidups.hid2nut.subdriver", set()).update({"Subdriver", "UsbId"})
    imports.setdefault("hidups.hid2nut.table", set()).update(table_names)
    imports.setdefault("hidups.usages", set()).add("UsageTable")

    out: list[str] = [
        "# ruff: noqa: E501  (hid2nut rows stay one per line, so they can be grepped)",
        f'"""{plan.name} HID subdriver, generated by ``hidups gen-subdriver``.',
        "",
        f"Device: {plan.vendor_id:04x}:{plan.product_id:04x} {plan.comment}".rstrip(),
    ]
    if source:
        out.append(f"From: {source}")
    out += [
        "",
        "Rows whose name is a NUT variable were learned from the built-in subdriver",
        "named above them. ``unmapped.*`` rows are usages no built-in table maps: rename",
        "them to NUT variable names (docs/nut-names) or delete them. The dummy usage names",
        f"{vendor_prefix(plan.name)}1, ... stand for vendor usages; give them real names if known.",
        "Put this file in ~/.config/hidups/subdrivers/ (or a directory named by",
        "$HIDUPS_SUBDRIVER_PATH or -x subdriver_path=) and restart the driver.",
        '"""',
        "",
        "from __future__ import annotations",
        "",
    ]
    # ruff's isort sees hidups.subdrivers (installed from subdrivers/) as third-party.
    groups = ([m for m in sorted(imports) if m.startswith(BUILTIN_PACKAGE + ".")],
              [m for m in sorted(imports) if not m.startswith(BUILTIN_PACKAGE + ".")])
    for group in groups:
        for module in group:
            out += import_lines(module, sorted(imports[module], key=_name_order))
        if group:
            out.append("")
    if plan.vendor_names:
        out += ["USAGES = UsageTable(", "    ("]
        for code, vname in plan.vendor_names.items():
            out.append(f"        ({quoted(vname)}, 0x{code:08X}),")
        out += ["    )", ")", ""]
    else:
        out += ["USAGES = UsageTable(())", ""]
    out += [
        "DEVICES = (",
        f"    UsbId(0x{plan.vendor_id:04X}, 0x{plan.product_id:04X}, {quoted(plan.comment)}"
        + (f", tweaks={dict_source(plan.tweaks)}" if plan.tweaks else "") + "),",
        ")",
        "",
        "HID2NUT: tuple[Row, ...] = (",
    ]
    current: str | None = "-"
    for planned in plan.rows:
        if planned.source != current:
            current = planned.source
            out.append(f"    # learned from {current}" if current
                       else "    # not mapped by any built-in subdriver")
        out.append(row_source(planned.row, lookups))
    for note in plan.unimportable:
        out.append(f"    # left out: {note}")
    out += [
        ")",
        "",
        "SUBDRIVER = Subdriver(",
        f"    name={quoted(plan.name + ' HID')},",
        '    version="0.1",',
        "    usages=USAGES,",
        "    hid2nut=HID2NUT,",
        "    devices=DEVICES,",
    ]
    if plan.claimer_name and (plan.hooks or plan.defaults):
        out.append(f"    # hooks and option defaults of {plan.claimer_name}, which claims "
                   "this device")
    for hook, (_, attr) in plan.hooks.items():
        out.append(f"    {hook}={attr},")
    if plan.defaults:
        out.append(f"    defaults={dict_source(plan.defaults)},")
    out += [")", ""]
    return "\n".join(out)


def _name_order(name: str) -> tuple[int, str]:
    """isort's order inside one import: CONSTANTS, then Classes, then functions."""
    if name.upper() == name:
        return (0, name.lower())
    return (1, name.lower()) if name[0].isupper() else (2, name.lower())


def import_lines(module: str, names: Sequence[str]) -> list[str]:
    """``from module import ...``, wrapped one name per line when it would be long."""
    line = f"from {module} import {', '.join(names)}"
    if len(line) <= 100:
        return [line]
    return [f"from {module} import ("] + [f"    {n}," for n in names] + [")"]
