"""Exploring a Q* device asks only query commands, records them, and names the claimer."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import UPSEMU_DIR, require
from upsemu_util import run_python, try_build_upsemu, upsemu_env

from hidups.capture.qx_capture import QxCaptureReplay, dumps_qx_capture, loads_qx_capture
from hidups.qx.explore import explore_qx, known_protocols, load_qx_capture_file, query_commands
from hidups.qx.registry import detect
from hidups.qx.replay import CaptureQuery, DeviceFileQuery

QX_DIR = Path("/work/shared/captures/qx")
ACTIONS = {"Q", "T", "TL", "C", "CT", "S00R0000", "T10"}


def test_only_query_commands_are_asked() -> None:
    commands = query_commands(known_protocols())
    assert {"Q1", "I", "F", "QS", "M", "D", "ID", "QPI", "FW?"} <= set(commands)
    assert not ACTIONS & set(commands)
    assert not any("%" in c or c.startswith("S") for c in commands)


@pytest.mark.parametrize(("name", "protocol"), [
    ("synthetic-bestups-testing", "bestups"), ("vultech-gs-1kvas-rk-nut2151", "megatec"),
    ("visench-c1k-nut2395", "mecer"), ("voltpolska-micro-ups-3000-nut3263", "voltronic-qs")])
def test_explore_records_a_replayable_capture(name: str, protocol: str) -> None:

    doc = json.loads((QX_DIR / f"{name}.json").read_text(encoding="utf-8"))
    device = CaptureQuery(doc, name)
    shared = load_qx_capture_file(str(QX_DIR / f"{name}.json"))
    assert shared is not None
    result = explore_qx(device, shared.info, bridge="cypress")
    sent = [c.decode("latin-1").rstrip("\r") for c in device.sent]
    assert not ACTIONS & set(sent)
    assert result.protocol == protocol == detect(CaptureQuery(doc, name), {}).name
    assert protocol in result.why
    again = loads_qx_capture(dumps_qx_capture(result.capture))
    assert again.protocol == protocol and again.bridge == "cypress"
    assert detect(QxCaptureReplay(again.exchanges), {}).name == protocol


def test_explore_command_on_a_q_capture(tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    from hidups.cli import main
    out = tmp_path / "explored.json"
    assert main(["explore", "--from", str(QX_DIR / "vultech-gs-1kvas-rk-nut2151.json"),
                 "-o", str(out)]) == 0
    text = capsys.readouterr().out
    assert "protocol: megatec:" in text and "'Q1' -> " in text
    assert loads_qx_capture(out.read_text(encoding="utf-8")).protocol == "megatec"


@pytest.mark.parametrize("name", ["megatec-cypress", "zinto-phoenix", "megatec-armac"])
def test_explore_a_live_upsemu_bridge(name: str, tmp_path: Path) -> None:
    """``hidups explore --qx`` on an emulated bridge: only queries on the wire, a capture
    that replays to the protocol the device file's own answers give."""
    library, why = try_build_upsemu()
    require(library is not None, why)
    device = UPSEMU_DIR / "devices" / f"{name}.ups"
    out = tmp_path / "live.json"
    env = upsemu_env(device, library, UPSEMU_INTR_WAIT_MS="50")
    run = run_python("import sys; from hidups.cli import main; sys.exit(main(["
                     f"'explore', '--qx', '-x', 'port=auto', '-o', {str(out)!r}]))", env,
                     timeout=240)
    assert run.returncode == 0, run.stderr
    expected = detect(DeviceFileQuery(device.read_text(), device.name), {}).name
    assert f"protocol: {expected}:" in run.stdout
    capture = loads_qx_capture(out.read_text(encoding="utf-8"))
    assert capture.protocol == expected and capture.bridge == name.split("-")[1]
    assert not ACTIONS & {ex.command for ex in capture.exchanges}
