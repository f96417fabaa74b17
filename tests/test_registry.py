"""The subdriver registry: NUT's order, the ``subdriver`` option, claims on the real
captures, the generic fallback, and user subdrivers loaded from files."""

from __future__ import annotations

import importlib
import logging
import pkgutil
import re
from pathlib import Path

import pytest
from conftest import require_shared
from shared_captures import shared_capture, shared_capture_files
from subdrivers_testlib import descriptor_of, device_of

from hidups.device import DeviceInfo
from hidups.errors import ConfigError, DeviceNotFound
from hidups.hid2nut import registry
from hidups.hid2nut.registry import (
    all_subdrivers,
    builtin_subdrivers,
    find_by_name,
    select,
    select_subdriver,
)

#: Subdriver names in NUT's subdriver_list[] order (usbhid-ups.c).
NUT_NAMES = (
    "EXPLORE HID", "MGE HID", "APC HID", "Arduino HID", "Belkin/Liebert HID", "CyberPower HID",
    "Delta UPS HID", "EcoFlow HID", "Ever HID", "iDowell HID", "Legrand HID",
    "Phoenixtec/Liebert HID", "openUPS HID", "PowerCOM HID", "Powervar HID", "Salicru HID",
    "TrippLite HID",
)


#: Modules of subdrivers/ that hold no subdriver of their own (helpers of one that does).
HELPER_MODULES = frozenset({"mge_models"})


def _builtin_modules() -> list[str]:
    package = importlib.import_module(registry.BUILTIN_PACKAGE)
    return sorted(info.name for info in pkgutil.iter_modules(package.__path__))


@pytest.mark.parametrize("module", _builtin_modules())
def test_every_builtin_module_imports_and_is_registered(module: str,
                                                        caplog: pytest.LogCaptureFixture
                                                        ) -> None:
    """A built-in that fails to import fails here: the registry only logs it and goes
    on (a broken module must not take the driver down), so nothing else would."""
    imported = importlib.import_module(f"{registry.BUILTIN_PACKAGE}.{module}")
    if module in HELPER_MODULES:
        assert not hasattr(imported, "SUBDRIVER") and not hasattr(imported, "SUBDRIVERS")
        return
    assert module in (*registry.NUT_ORDER, registry.GENERIC_MODULE)
    with caplog.at_level(logging.DEBUG, logger=registry.__name__):
        loaded = registry.load_builtin(module)
    assert loaded, caplog.text
    assert all(sub in builtin_subdrivers() for sub in loaded)


def test_every_registered_module_exists() -> None:
    assert set(registry.NUT_ORDER) | {registry.GENERIC_MODULE} <= set(_builtin_modules())
    assert [s.name for s in builtin_subdrivers()] == [*NUT_NAMES, "Generic HID"]


@pytest.fixture(autouse=True)
def _no_real_user_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the developer's own ~/.config/hidups/subdrivers out of these tests."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv(registry.SUBDRIVER_PATH_ENV, raising=False)


def test_builtins_follow_nut_order_with_generic_last() -> None:
    names = [sub.name for sub in builtin_subdrivers()]
    assert names[0] == "EXPLORE HID"
    assert names[-1] == "Generic HID"
    nut_present = [n for n in names if n in NUT_NAMES]
    assert nut_present == [n for n in NUT_NAMES if n in nut_present]
    assert {"MGE HID", "APC HID", "Belkin/Liebert HID"} <= set(names)


def test_missing_module_is_skipped(monkeypatch: pytest.MonkeyPatch,
                                   caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(registry, "NUT_ORDER", ("mge", "not_written_yet", "apc"))
    with caplog.at_level(logging.DEBUG, logger="hidups.hid2nut.registry"):
        names = [sub.name for sub in builtin_subdrivers()]
    assert names == ["EXPLORE HID", "MGE HID", "APC HID", "Generic HID"]
    assert "not_written_yet" in caplog.text


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("APC HID 0.101", "APC HID"),  # exact
        ("apc", "APC HID"),  # ".*" appended
        ("APC HID", "APC HID"),
        ("mge", "MGE HID"),
        ("belkin", "Belkin/Liebert HID"),
        (".*liebert.*", "Belkin/Liebert HID"),  # whole-string regex, first in NUT order
        ("phoenix", "Phoenixtec/Liebert HID"),
        ("cyber", "CyberPower HID"),
        ("tripplite", "TrippLite HID"),
        ("cps", None),  # NUT's man page: the name must match, not the module
        ("(", None),  # not a regex: no match, no crash
        ("apc*", None),  # ends in "*": NUT adds no ".*", and "apc*" matches no whole name
    ],
)
def test_find_by_name_follows_nut(pattern: str, expected: str | None) -> None:
    found = find_by_name(pattern)
    if expected is None:
        assert found is None
        return
    assert found is not None and found.name == expected


def _nut_name(recorded: str | None) -> str | None:
    """The subdriver name a capture records (``apc-hid ("APC HID")``, ``APC HID 0.100``)."""
    if not recorded or recorded.startswith("none"):
        return None
    quoted = re.search(r'"([^"]+?)(?: \d[\d.]*)?"', recorded)
    if quoted:
        return quoted.group(1)
    if recorded.startswith("arduino-hid"):
        return "Arduino HID"
    return re.sub(r" \d[\d.]*$", "", recorded)


DESCRIPTOR_CAPTURES = [
    p for p in shared_capture_files() if shared_capture(p.name).get("descriptor_hex")
]


@pytest.mark.parametrize("path", DESCRIPTOR_CAPTURES, ids=lambda p: p.stem)
def test_selection_matches_nut_on_captures(path: Path) -> None:
    """The subdriver NUT used (or would use, by its tables) is the one we pick."""
    require_shared()
    data = shared_capture(path.name)
    expected = _nut_name(data["nut_subdriver"])
    device = device_of(data)
    if expected is None:
        try:
            chosen = select_subdriver(device, {}, descriptor_of(data))
        except DeviceNotFound:
            return
        assert chosen.subdriver.name == "Generic HID"
        return
    chosen = select_subdriver(device, {}, descriptor_of(data))
    assert chosen.subdriver.name == expected
    sub, claim = chosen  # unpacks as (Subdriver, Claim)
    assert sub is chosen.subdriver and claim is chosen.claim
    assert select(device, {}) is sub


def test_claim_tweaks_come_with_the_selection() -> None:
    chosen = select_subdriver(DeviceInfo(0x051D, 0x0003), {})
    assert chosen.subdriver.name == "APC HID"
    assert dict(chosen.claim.tweaks) == {"pollonly": ""}
    assert "051d:0003" in chosen.reason


def test_forced_subdriver() -> None:
    device = DeviceInfo(0x0463, 0xFFFF)
    chosen = select_subdriver(device, {"subdriver": "apc", "vendorid": "0463",
                                       "productid": "ffff"})
    assert chosen.subdriver.name == "APC HID"
    assert "forced" in chosen.reason
    with pytest.raises(ConfigError, match="mandatory") as info:
        select_subdriver(device, {"subdriver": "apc"})
    assert info.value.option == "subdriver"
    with pytest.raises(ConfigError, match="nosuch"):
        select_subdriver(device, {"subdriver": "nosuch", "vendorid": "0463",
                                  "productid": "ffff"})


def test_explore_flag() -> None:
    device = DeviceInfo(0x1234, 0x5678)
    chosen = select_subdriver(device, {"explore": "", "vendorid": "1234"})
    assert chosen.subdriver is registry.EXPLORE
    assert chosen.subdriver.hid2nut == ()
    with pytest.raises(ConfigError, match="vendorid"):
        select_subdriver(device, {"explore": ""})


def test_unclaimed_device_without_pdc_data() -> None:
    """NSYS (VID 0001, nut#754): no NUT subdriver, top collection on page 0x86."""
    require_shared()
    data = shared_capture("nsys-mec0003-nut754.json")
    with pytest.raises(DeviceNotFound, match="0001:0000"):
        select_subdriver(device_of(data), {}, descriptor_of(data))
    with pytest.raises(DeviceNotFound):
        select_subdriver(device_of(data), {})  # no descriptor: no generic either


def test_known_vendor_unknown_product_falls_to_generic_with_a_hint(
        caplog: pytest.LogCaptureFixture) -> None:
    require_shared()
    data = shared_capture("apc-back-ups-es-850g2-nut1304.json")
    device = DeviceInfo(0x051D, 0x0099, "APC", "Back-UPS future")
    with caplog.at_level(logging.WARNING):
        chosen = select_subdriver(device, {}, descriptor_of(data).raw)
    assert chosen.subdriver.name == "Generic HID"
    assert "productid=0099" in caplog.text
    assert select_subdriver(device, {"productid": "0099"}).subdriver.name == "APC HID"


# --- user subdrivers -----------------------------------------------------------------------

USER_APC = '''
from hidups.hid2nut.subdriver import Subdriver, UsbId
from hidups.hid2nut.table import Row
from hidups.usages import UsageTable

SUBDRIVER = Subdriver(
    name="APC HID",
    version="9.9-local",
    usages=UsageTable(()),
    hid2nut=(Row("battery.charge", "UPS.PowerSummary.RemainingCapacity"),),
    devices=(UsbId(0x051D, 0x0002),),
)
'''

USER_EATON = '''
from hidups.hid2nut.subdriver import Subdriver, UsbId
from hidups.usages import UsageTable

SUBDRIVERS = (
    Subdriver(name="My Eaton", version="1", usages=UsageTable(()), hid2nut=(),
              devices=(UsbId(0x0463, 0xFFFF),)),
)
'''


def test_user_subdriver_replaces_builtin_of_same_name(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    (tmp_path / "my_apc.py").write_text(USER_APC)
    options = {"subdriver_path": str(tmp_path)}
    with caplog.at_level(logging.WARNING):
        subs = all_subdrivers(options)
    apcs = [s for s in subs if s.name == "APC HID"]
    assert [s.version for s in apcs] == ["9.9-local"]
    assert subs[0] is apcs[0]  # user subdrivers are asked first
    assert "overrides built-in 'APC HID 0.101'" in caplog.text
    chosen = select_subdriver(DeviceInfo(0x051D, 0x0002), options)
    assert chosen.subdriver.version == "9.9-local"


def test_user_subdriver_overriding_a_claim_is_logged(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    (tmp_path / "eaton.py").write_text(USER_EATON)
    (tmp_path / "_helpers.py").write_text("raise RuntimeError('never imported')\n")
    monkeypatch.setenv(registry.SUBDRIVER_PATH_ENV, str(tmp_path))
    with caplog.at_level(logging.WARNING):
        chosen = select_subdriver(DeviceInfo(0x0463, 0xFFFF), {})
    assert chosen.subdriver.name == "My Eaton"
    assert "overrides built-in MGE HID 1.59 for 0463:ffff" in caplog.text


def test_default_user_dir_is_read(tmp_path: Path) -> None:
    target = tmp_path / "config" / "hidups" / "subdrivers"
    target.mkdir(parents=True)
    (target / "eaton.py").write_text(USER_EATON)
    assert registry.default_user_dir() == target
    assert all_subdrivers()[0].name == "My Eaton"


def test_broken_user_files_name_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("x = 1\ny = (\n")
    with pytest.raises(ConfigError) as info:
        all_subdrivers({"subdriver_path": str(tmp_path)})
    assert info.value.source == str(bad)
    assert info.value.line is not None
    bad.write_text("x = 1\nraise ValueError('oops')\n")
    with pytest.raises(ConfigError, match="oops") as info:
        all_subdrivers({"subdriver_path": str(tmp_path)})
    assert info.value.line == 2
    bad.write_text("NOTHING = 1\n")
    with pytest.raises(ConfigError, match="neither SUBDRIVER nor SUBDRIVERS"):
        all_subdrivers({"subdriver_path": str(tmp_path)})
    bad.write_text("SUBDRIVER = 'apc'\n")
    with pytest.raises(ConfigError, match="Subdriver values"):
        all_subdrivers({"subdriver_path": str(tmp_path)})
