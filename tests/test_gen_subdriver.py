"""``hidups gen-subdriver``: generated modules load through the registry's user-directory
loader and map the device as the built-in subdrivers do.

Data: every shared capture with a report descriptor, the Path-line-only captures, and
NUT ``-DDD`` debug logs (tests/test_gen_subdriver_nutlog.py makes real ones).
"""

from __future__ import annotations

import ast
import logging
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import (
    SHARED_CAPTURES,
    nut_source_file,
    require,
    require_nut285,
    require_shared,
)
from shared_captures import shared_capture_files
from subdrivers_testlib import resolved

from hidups.capture import Capture, load_capture
from hidups.capture.nut_dump import skipped_by_nut
from hidups.descriptor.model import ReportDescriptor, ReportType
from hidups.descriptor.paths import find_field, parse_path
from hidups.errors import DeviceNotFound
from hidups.hid.analysis import generate_module
from hidups.hid2nut import generate, registry
from hidups.hid2nut.subdriver import Subdriver
from hidups.hid2nut.table import BOOL
from hidups.usages import STANDARD


def _captures_with_descriptor() -> list[Path]:
    return [p for p in shared_capture_files() if load_capture(p).descriptor is not None]


def _driver_choice(capture: Capture) -> Subdriver | None:
    """The subdriver the driver would use for the device (generic when no one claims)."""
    try:
        return registry.select_subdriver(capture.device, {}, capture.descriptor).subdriver
    except DeviceNotFound:
        return None


def _write_and_load(capture: Capture, directory: Path, name: str,
                    exclude: tuple[str, ...] = ()) -> tuple[Subdriver, str, Path]:
    text, _ = generate_module(capture, name=name, exclude=exclude)
    path = directory / f"{generate.module_name_for(name)}.py"
    path.write_text(text)
    subs = registry.load_user_file(path)
    assert len(subs) == 1
    return subs[0], text, path


def nut285_outcome(path: Path) -> str:
    """What NUT 2.8.5's usbhid-ups does with the capture on upsemu (ok, refused, error)."""
    require_nut285()
    from differential_util import runner
    from upsemu_util import device_file, try_build_upsemu

    library, why = try_build_upsemu()
    require(library is not None, f"upsemu cannot be built: {why}")
    assert library is not None
    outcome: str = runner.run_nut(device_file(path, "mid"), "d1", library, "2.8.5").outcome
    return outcome


@pytest.mark.parametrize("path", _captures_with_descriptor(), ids=lambda p: p.stem)
def test_generated_matches_claiming_subdriver(path: Path, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """Every variable, command and status bit the driver's subdriver resolves on this
    descriptor, the generated table resolves to the same field, format, conversion
    and flags (evidence step 2, at descriptor level)."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))  # no user subdrivers
    monkeypatch.delenv(registry.SUBDRIVER_PATH_ENV, raising=False)
    capture = load_capture(path)
    assert capture.descriptor is not None
    desc = ReportDescriptor.from_bytes(capture.descriptor)
    generated, _, _ = _write_and_load(capture, tmp_path, "Gen")
    real = _driver_choice(capture)
    if real is None:
        # nothing to compare with: then NUT 2.8.5 (the reference) must refuse it too
        assert nut285_outcome(path) == "refused", capture.device.vidpid
        return
    real_vars, real_status = resolved(real, desc)
    gen_vars, gen_status = resolved(generated, desc)
    assert real_vars, "the claiming subdriver resolves nothing: test would be empty"
    for name, expected in real_vars.items():
        assert gen_vars.get(name) == expected, name
    assert real_status <= gen_status


@pytest.mark.parametrize("path", _captures_with_descriptor(), ids=lambda p: p.stem)
def test_every_generated_row_resolves(path: Path, tmp_path: Path) -> None:
    """One row per distinct path of the device (those NUT's dump shows), each
    resolving on its descriptor."""
    capture = load_capture(path)
    assert capture.descriptor is not None
    desc = ReportDescriptor.from_bytes(capture.descriptor)
    generated, _, _ = _write_and_load(capture, tmp_path, "Gen")
    usages = generated.usages.chained(STANDARD)
    distinct = {f.path for f in desc.fields if not skipped_by_nut(f, capture.device)}
    covered = set()
    for row in generated.hid2nut:
        assert row.path is not None
        nodes = parse_path(row.path, usages)
        assert any(f.path == nodes for f in desc.fields), row.path
        covered.add(nodes)
        assert not re.search(r"(^|\.)[0-9a-f]{8}(\.|$)", row.path), "hex left in a path"
    assert covered == distinct
    for row in generated.hid2nut:  # NUT's look-up, in some report type (Output-only too)
        assert row.path is not None
        nodes = parse_path(row.path, usages)
        assert any(find_field(desc, nodes, t) is not None for t in ReportType), row.path


def test_vendor_usages_are_dummy_names_for_hex_nodes(tmp_path: Path) -> None:
    """As NUT's script: unknown usages get <NAME>1, <NAME>2... in ascending order."""
    require_shared()
    capture = load_capture(SHARED_CAPTURES / "apc-back-ups-cs500-nutddl.json")
    generated, _, _ = _write_and_load(capture, tmp_path, "Acme")
    hex_nodes: set[int] = set()
    for line in capture.nut["path_lines"]:
        for token in line.split(",", 1)[0].removeprefix("Path: ").split("."):
            if re.fullmatch(r"[0-9a-f]{8}", token):
                hex_nodes.add(int(token, 16))
    assert hex_nodes, "the CS 500 dump has APC vendor usages"
    names = list(generated.usages.items())
    assert [code for _, code in names] == sorted(hex_nodes)
    assert [name for name, _ in names] == [f"ACME{i}" for i in range(1, len(hex_nodes) + 1)]


def test_paths_nobody_maps_become_unmapped_rows(tmp_path: Path) -> None:
    """With every teacher excluded, every row is ``unmapped.<lowercased path>``."""
    require_shared()
    capture = load_capture(SHARED_CAPTURES / "eaton-3s-700-nut2887.json")
    every = tuple(sub.name for sub in registry.builtin_subdrivers())
    generated, _, _ = _write_and_load(capture, tmp_path, "Bare", exclude=every)
    assert generated.hid2nut
    for row in generated.hid2nut:
        assert row.path is not None
        assert row.name == f"unmapped.{row.path.lower()}"
        assert row.fmt == "%.0f" and not row.flags


def test_vendor_excluded_still_learns_standard_paths(tmp_path: Path) -> None:
    """The scenario of an unknown vendor: APC's table excluded, the standard Power
    Device paths of an APC unit still map as the other tables map them."""
    require_shared()
    capture = load_capture(SHARED_CAPTURES / "apc-bk650m2-ch-nutddl.json")
    generated, text, _ = _write_and_load(capture, tmp_path, "Other", exclude=("APC HID",))
    assert "APC HID" not in text
    by_path = {row.path: row.name for row in generated.hid2nut}
    assert by_path["UPS.PowerSummary.RemainingCapacity"] == "battery.charge"
    assert by_path["UPS.PowerSummary.RunTimeToEmpty"] == "battery.runtime"
    status = {row.path for row in generated.hid2nut if row.name == BOOL}
    assert "UPS.PowerSummary.PresentStatus.ACPresent" in status


def test_generated_module_is_readable_and_imports_only_hidups(tmp_path: Path) -> None:
    require_shared()
    capture = load_capture(SHARED_CAPTURES / "eaton-3s-700-nut2887.json")
    _, text, _ = _write_and_load(capture, tmp_path, "Readable")
    tree = ast.parse(text)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            pytest.fail(f"plain import in generated module: {ast.dump(node)}")
        if isinstance(node, ast.ImportFrom):
            assert node.module is not None
            assert node.module == "__future__" or node.module.startswith("hidups."), node.module
    lines = text.splitlines()
    start = lines.index("HID2NUT: tuple[Row, ...] = (")
    end = lines.index(")", start)
    for line in lines[start + 1:end]:
        assert line.startswith(("    Row(", "    # ")), line
        if line.startswith("    Row("):
            assert line.endswith("),")
            ast.parse(line.strip().rstrip(","))  # each row is a complete expression
    ruff = shutil.which("ruff")
    require(ruff is not None, "ruff is not installed")
    assert ruff is not None
    # Checked as if it were a module of the project (same rules as the built-ins).
    result = subprocess.run([ruff, "check", "--stdin-filename", "subdrivers/readable.py", "-"],
                            input=text, capture_output=True, text=True,
                            cwd=Path(__file__).resolve().parents[1], timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_user_directory_loading_and_override_log(tmp_path: Path,
                                                 caplog: pytest.LogCaptureFixture,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Generated module in a user directory: picked up without reinstalling, asked
    before the built-ins, and the log says it displaced APC's."""
    require_shared()
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv(registry.SUBDRIVER_PATH_ENV, raising=False)
    capture = load_capture(SHARED_CAPTURES / "apc-back-ups-cs500-nutddl.json")
    user_dir = tmp_path / "mine"
    user_dir.mkdir()
    generated, _, _ = _write_and_load(capture, user_dir, "Mine")
    options = {registry.SUBDRIVER_PATH_OPTION: str(user_dir)}
    names = [sub.full_name for sub in registry.all_subdrivers(options)]
    assert names[0] == generated.full_name == "Mine HID 0.1"
    with caplog.at_level(logging.INFO, logger="hidups.hid2nut.registry"):
        chosen = registry.select_subdriver(capture.device, options, capture.descriptor)
    assert chosen.subdriver.full_name == "Mine HID 0.1"
    assert "overrides built-in APC HID" in caplog.text
    forced = registry.select_subdriver(
        capture.device, {**options, "subdriver": "Mine HID", "vendorid": "051d",
                         "productid": "0002"})
    assert forced.subdriver.full_name == "Mine HID 0.1"
    monkeypatch.setenv(registry.SUBDRIVER_PATH_ENV, str(user_dir))
    assert registry.all_subdrivers({})[0].full_name == "Mine HID 0.1"


@pytest.mark.parametrize("name", ["ippon-smart-power-pro-ii-1200-nutddl.json",
                                  "powerwalker-vi2200sh-nutddl.json"])
def test_path_lines_only_captures(name: str, tmp_path: Path) -> None:
    """Captures with NUT's Path lines but no descriptor (nut-ddl). INDEX.md: their Path
    tuples all match the descriptor of powerwalker-vi-1200-shl-nut1270.json, so the
    generated rows must resolve there, to the (type, id, offset, size) NUT printed."""
    require_shared()
    capture = load_capture(SHARED_CAPTURES / name)
    assert capture.descriptor is None and capture.nut.get("path_lines")
    generated, _, _ = _write_and_load(capture, tmp_path, "Pw")
    sibling = load_capture(SHARED_CAPTURES / "powerwalker-vi-1200-shl-nut1270.json")
    assert sibling.descriptor is not None
    desc = ReportDescriptor.from_bytes(sibling.descriptor)
    usages = generated.usages.chained(STANDARD)
    printed: dict[object, set[tuple[str, int, int, int]]] = {}
    for line in capture.nut["path_lines"]:
        m = re.match(r"Path: ([^,]+), Type: (\w+), ReportID: 0x([0-9a-f]+), Offset: (\d+), "
                     r"Size: (\d+)", line)
        assert m, line
        nodes = parse_path(m.group(1), STANDARD)
        printed.setdefault(nodes, set()).add(
            (m.group(2), int(m.group(3), 16), int(m.group(4)), int(m.group(5))))
    assert {parse_path(str(row.path), usages) for row in generated.hid2nut} == set(printed)
    for row in generated.hid2nut:
        assert row.path is not None
        nodes = parse_path(row.path, usages)
        fields = {(f.report_type.nut_name, f.report_id, f.offset, f.size)
                  for f in desc.fields if f.path == nodes}
        assert printed[nodes] <= fields, row.path


def test_serial_over_hid_dump_is_refused(tmp_path: Path) -> None:
    """A Megatec bridge (no Power Device usage) gets an explanation, not a module."""
    from hidups.device import DeviceInfo
    from hidups.errors import ConfigError

    raw = bytes.fromhex("06 00 ff 09 01 a1 01 09 02 15 00 26 ff 00 75 08"
                        " 95 08 81 82 09 02 95 08 91 82 c0")  # 0665:5161, see test_explore_*
    capture = Capture(device=DeviceInfo(0x0665, 0x5161), descriptor=raw, source="test")
    with pytest.raises(ConfigError, match=r"nutdrv_qx|serial"):
        generate_module(capture, name="Megatec")


def test_cli_writes_into_directory(tmp_path: Path) -> None:
    require_shared()
    from hidups.cli import main

    out = tmp_path / "subs"
    status = main(["gen-subdriver", str(SHARED_CAPTURES / "tripplite-4003-nut1268.json"),
                   "--name", "My Tripp", "-o", str(out) + "/"])
    assert status == 0
    written = out / "my_tripp.py"
    assert written.exists()
    subs = registry.load_user_file(written)
    assert subs[0].devices[0].vendor_id == 0x09AE and subs[0].devices[0].product_id == 0x4003
    assert subs[0].full_name == "My Tripp HID 0.1"


NUT_GEN_SCRIPT = "scripts/subdriver/gen-usbhid-subdriver.sh"


@pytest.mark.nut_source
@pytest.mark.parametrize("name", ["apc-back-ups-cs500-nutddl.json",
                                  "eaton-3s-700-nut2887.json",
                                  "tripplite-4003-nut1268.json"])
def test_unmapped_only_equals_nuts_script(name: str, tmp_path: Path) -> None:
    """``--unmapped-only`` on a dump gives NUT's gen-usbhid-subdriver.sh's vendor names
    and ``unmapped.*`` rows (NUT's script run from a NUT source tree, as an instrument)."""
    require_shared()
    script = nut_source_file(NUT_GEN_SCRIPT)
    from hidups.cli import main

    dump = tmp_path / "dump.txt"
    result = subprocess.run(  # explore --from prints the NUT-compatible dump
        [sys.executable, "-m", "hidups", "explore", "--from", str(SHARED_CAPTURES / name)],
        capture_output=True, text=True, timeout=120, cwd=Path(__file__).resolve().parents[1])
    assert result.returncode == 0, result.stderr
    dump.write_text(result.stdout)
    nut = subprocess.run(["bash", str(script), "-n", "acme"], input=result.stdout,
                         cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert nut.returncode == 0, nut.stderr
    source = (tmp_path / "acme-hid.c").read_text()
    nut_names = dict(re.findall(r'\{ "(ACME\d+)",\s+0x([0-9a-f]{8}) \}', source))
    nut_rows = set(re.findall(r'\{ "(unmapped\.[^"]+)", 0, 0, "([^"]+)"', source))

    # The same printed dump, fed to our generator.
    out_dir = tmp_path / "ours"
    assert main(["gen-subdriver", str(dump), "--name", "acme", "--unmapped-only",
                 "-o", f"{out_dir}/"]) == 0
    generated = registry.load_user_file(out_dir / "acme.py")[0]
    ours_names = {vname: f"{code:08x}" for vname, code in generated.usages.items()}
    ours_rows = {(row.name, row.path) for row in generated.hid2nut}
    assert ours_names == nut_names
    assert ours_rows == nut_rows
