"""Exploring a Q* device asks only query commands, records them, and names the claimer."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hidups.capture.qx_capture import QxCaptureReplay, dumps_qx_capture, loads_qx_capture
from hidups.qx.explore import explore_qx, known_protocols, load_qx_capture_file, query_commands
from hidups.qx.registry import detect
from hidups.qx.replay import CaptureQuery

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
    sent = [c.decode().rstrip("\r") for c in device.sent]
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
