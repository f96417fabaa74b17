"""Usage names are data: tables mapping names to 32-bit usages (``page << 16 | id``).

The standard tables (Power Device page 0x84, Battery System page 0x85, and whatever
other pages UPS descriptors use) live in this package; vendor tables are defined by
subdrivers. Look-ups by name are case-insensitive, as NUT's ``string_to_path`` is.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

from hidups.usages import battery_system, power_device


class UsageTable(Mapping[str, int]):
    """An ordered name → usage table with the reverse look-up.

    When several names share a usage, :meth:`name` gives the first one defined.
    ``chain`` tables are consulted after this one (a vendor table chains to the
    standard one, so vendor names win, as in NUT's ``utab``).
    """

    __slots__ = ("_by_code", "_by_lower", "_names", "chain")

    def __init__(self, names: Mapping[str, int] | Iterable[tuple[str, int]] = (),
                 chain: UsageTable | None = None) -> None:
        pairs = names.items() if isinstance(names, Mapping) else names
        self._names: dict[str, int] = {}
        self._by_lower: dict[str, int] = {}
        self._by_code: dict[int, str] = {}
        for name, code in pairs:
            self._names.setdefault(name, code)
            self._by_lower.setdefault(name.lower(), code)
            self._by_code.setdefault(code, name)
        self.chain = chain

    def __getitem__(self, name: str) -> int:
        return self._names[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)

    def code(self, name: str) -> int | None:
        """The usage for ``name`` (case-insensitive), or ``None``."""
        code = self._by_lower.get(name.lower())
        if code is None and self.chain is not None:
            return self.chain.code(name)
        return code

    def name(self, code: int) -> str | None:
        """The name for ``code``, or ``None`` when no table in the chain knows it."""
        name = self._by_code.get(code)
        if name is None and self.chain is not None:
            return self.chain.name(code)
        return name

    def chained(self, chain: UsageTable | None) -> UsageTable:
        """A copy of this table that falls back to ``chain``."""
        return UsageTable(self._names, chain=chain)


# --- the standard tables ------------------------------------------------------------


def _paged(page: int, rows: Iterable[tuple[str, int]]) -> list[tuple[str, int]]:
    """Rows of ``(name, usage id)`` on one page as ``(name, 32-bit usage)``."""
    return [(name, (page << 16) | usage_id) for name, usage_id in rows]


def _standard_rows(with_spec_only: bool) -> list[tuple[str, int]]:
    rows = (_paged(power_device.PAGE, power_device.POWER_DEVICE_NUT)
            + _paged(battery_system.PAGE, battery_system.BATTERY_SYSTEM_NUT))
    if with_spec_only:
        rows += (_paged(power_device.PAGE, power_device.POWER_DEVICE_SPEC_ONLY)
                 + _paged(battery_system.PAGE, battery_system.BATTERY_SYSTEM_SPEC_ONLY))
    return rows


#: Exactly NUT's ``hid_usage_lkp`` (pages 0x84 and 0x85): what NUT's ``Path:`` lines use.
NUT_STANDARD = UsageTable(_standard_rows(with_spec_only=False))

#: NUT's names plus the specification's names NUT lacks (NUT's spelling wins when
#: both name a usage). Vendor tables chain to this one.
STANDARD = UsageTable(_standard_rows(with_spec_only=True))
