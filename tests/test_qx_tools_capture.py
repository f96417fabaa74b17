"""The hidups Q* capture: shared ``captures/qx/*.json`` convert to it, and it replays."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hidups.capture.qx_capture import (
    QxCaptureReplay,
    dumps_qx_capture,
    loads_qx_capture,
)
from hidups.cli import main
from hidups.errors import CaptureError, HidupsError
from hidups.qx.device import replay_query
from hidups.qx.explore import load_qx_capture_file
from hidups.qx.registry import detect
from hidups.qx.replay import CaptureQuery, command_of

QX_DIR = Path(__file__).resolve().parents[2] / "shared" / "captures" / "qx"
if not QX_DIR.is_dir():
    QX_DIR = Path("/work/shared/captures/qx")
SHARED = sorted(QX_DIR.glob("*.json"))


def test_the_shared_corpus_is_there() -> None:
    assert len(SHARED) >= 9


@pytest.mark.parametrize("path", SHARED, ids=lambda p: p.stem)
def test_convert_then_replay_answers_as_the_shared_capture(
        path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "ours.json"
    assert main(["convert", str(path), "-o", str(out)]) == 0
    ours = loads_qx_capture(out.read_text(encoding="utf-8"), str(out))
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert f"{ours.info.vendor_id:04x}" == (doc.get("vendorid") or "0000")
    assert ours.info.product == doc.get("product")
    # a round trip through the text keeps every byte
    assert loads_qx_capture(dumps_qx_capture(ours)) == ours
    shared = CaptureQuery(doc, path.name)
    query, info = replay_query(str(out))
    assert info == ours.info
    commands = {c for ex in doc["exchanges"] if (c := command_of(ex["send"])) is not None}
    for command in [*sorted(commands), "QGS", "M", "XYZZY"]:
        assert query(command.encode() + b"\r") == shared(command.encode() + b"\r"), command
    # the driver core claims it with the same protocol as from the shared file
    try:
        expected: str | None = detect(CaptureQuery(doc, path.name), {}).name
    except HidupsError:
        expected = None
    try:
        got: str | None = detect(replay_query(str(out))[0], {}).name
    except HidupsError:
        got = None
    assert got == expected


@pytest.mark.parametrize(("name", "protocol"), [
    ("synthetic-bestups-testing", "bestups"), ("visench-c1k-nut2395", "mecer"),
    ("vultech-gs-1kvas-rk-nut2151", "megatec"), ("voltpolska-micro-ups-3000-nut3263",
                                                 "voltronic-qs"),
    # NUT 2.8.5 tries innovatae (claim: Q1 alone) before q1: it takes this unit (seen)
    ("abb-powervalue-11rt-1kva-g2-nut1279", "innovatae")])
def test_our_capture_is_claimed_by_the_expected_protocol(tmp_path: Path, name: str,
                                                         protocol: str) -> None:
    """Pinned: the library's claims on these files (not NUT's logs: those lack it)."""
    out = tmp_path / "c.json"
    assert main(["convert", str(QX_DIR / f"{name}.json"), "-o", str(out)]) == 0
    assert detect(replay_query(str(out))[0], {}).name == protocol


def test_string_descriptor_reads_become_their_commands() -> None:
    ours = load_qx_capture_file(str(QX_DIR / "mec0003-unknown-pyusb-nut2795.json"))
    assert ours is not None
    assert [ex.command for ex in ours.exchanges] == ["Q1"]  # index 3; langid read dropped
    assert ours.exchanges[0].answer is not None and ours.exchanges[0].answer.endswith(b"\r")


def test_no_answer_replays_as_a_timeout() -> None:
    text = dumps_qx_capture(loads_qx_capture(json.dumps({
        "format": "hidups-qx-capture", "version": 1,
        "device": {"vendorid": "0665", "productid": "5161"},
        "exchanges": [{"command": "Q1", "answer": None},
                      {"command": "I", "answer": "28 4e 41 4b 0d"}]})))
    replay = QxCaptureReplay(loads_qx_capture(text).exchanges)
    assert replay(b"Q1\r") is None
    assert replay(b"F\r") == b"(NAK\r"  # the device NAKs: unknown commands get NAK


@pytest.mark.parametrize(("doc", "field"), [
    ({"version": 2}, "version"),
    ({"version": 1, "device": {"vendorid": "xyz", "productid": "0"}}, "device.vendorid"),
    ({"version": 1, "device": {"vendorid": "1", "productid": "0"},
      "exchanges": [{"command": "Q1", "answer": "zz"}]}, "exchanges[0].answer"),
    ({"version": 1, "device": {"vendorid": "1", "productid": "0"},
      "exchanges": [{"answer": None}]}, "exchanges[0]"),
])
def test_malformed_capture_names_the_field(doc: dict[str, object], field: str) -> None:
    with pytest.raises(CaptureError) as err:
        loads_qx_capture(json.dumps({"format": "hidups-qx-capture", **doc}), "bad.json")
    assert field in str(err.value) and "bad.json" in str(err.value)
