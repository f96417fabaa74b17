"""Q* bridge matching, faults and odd answers on upsemu, and the link's locking.

Matching follows nutdrv_qx 2.8.5: NUT's regex options first, then ``subdriver=`` or
the ``qx_usb_id`` row the device's IDs and strings select. Faults are upsemu's
(``fault_*`` keys); each must surface as the hidups exception NUT's libusb code maps
to. Answers a bridge mangles are returned as bytes for the protocol layer to judge.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT
from qx_bridge_util import DEVICES, drive
from upsemu_util import upsemu_env

from hidups.errors import ConfigError
from hidups.transport.qx_match import bridge_for, forced_bridge, parse_langid_fix
from hidups.transport.qx_usb import open_qx_usb

pytestmark = pytest.mark.upsemu


def variant(tmp_path: Path, name: str, edits: dict[str, str | None],
            extra: str = "") -> Path:
    """A copy of device ``name`` with ``key: value`` lines replaced (None: removed)."""
    text = (DEVICES / f"{name}.ups").read_text(encoding="latin-1")
    for key, value in edits.items():
        pattern = re.compile(rf"^{re.escape(key)}:.*$", re.MULTILINE)
        assert pattern.search(text), key
        line = "" if value is None else f"{key}: {value}"
        text = pattern.sub(line.replace("\\", r"\\"), text)
    path = tmp_path / f"{name}.ups"
    path.write_text(text + extra, encoding="latin-1")
    return path


def _open_error(out: dict[str, object]) -> tuple[str, str]:
    error = out.get("open_error")
    assert isinstance(error, list), out
    return error[0], error[1]


# --- matching ---------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "edits", "bridge"), [
    ("megatec-phoenixtec", {}, "phoenixtec"),
    ("megatec-phoenixtec", {"manufacturer": "Online"}, "cypress"),  # Yunto row
    ("megatec-fabula", {}, "fabula"),
    ("megatec-fabula", {"manufacturer": "Hunnox"}, "hunnox"),
    ("megatec-fabula", {"manufacturer": "MEC", "product": "MEC0004"}, "krauler"),
    ("megatec-fuji", {"product": "atcl for ups"}, "fuji"),  # strcasecmp
    ("megatec-fuji", {"product": "ATCL FOR UPS2"}, "krauler"),  # whole string
])
def test_auto_choice_follows_nuts_table(emulator: Path, tmp_path: Path, name: str,
                                        edits: dict[str, str | None], bridge: str) -> None:
    out = drive(emulator, variant(tmp_path, name, edits), {}, [])
    assert out.get("bridge") == bridge, out


def test_subdriver_forces_the_framing(emulator: Path) -> None:
    device = DEVICES / "megatec-cypress.ups"
    options = {"subdriver": "PHOENIX", "vendorid": "0665", "productid": "5161"}
    out = drive(emulator, device, options, [b"Q1\r"])
    assert out["bridge"] == "phoenix"
    assert out["answers"] == [["ok", (b"(215.0 195.0 230.0 014 49.0 22.7 30.0 00000000\r\0")
                               .hex()]]


def test_a_device_that_is_not_a_bridge_is_refused_with_the_reason(emulator: Path
                                                                   ) -> None:
    kind, message = _open_error(drive(emulator, DEVICES / "apc-backups-es.ups", {}, []))
    assert kind == "DeviceNotFound"
    assert "051d:0002 (American Power Conversion/Back-UPS ES 700G" in message
    assert "not a USB-serial bridge nutdrv_qx knows" in message


def test_a_known_maker_with_an_unknown_product_is_refused(emulator: Path,
                                                          tmp_path: Path) -> None:
    device = variant(tmp_path, "megatec-cypress", {"pid": "5162"})
    kind, message = _open_error(drive(emulator, device, {}, []))
    assert kind == "DeviceNotFound"
    assert "0665:5162" in message and "not in nutdrv_qx's table" in message


def test_regex_options_filter_first(emulator: Path) -> None:
    kind, message = _open_error(drive(emulator, DEVICES / "megatec-cypress.ups",
                                      {"vendorid": "0001"}, []))
    assert kind == "DeviceNotFound"
    assert "vendorid '0665' does not match '0001'" in message
    out = drive(emulator, DEVICES / "megatec-cypress.ups", {"product": "usb TO serial"}, [])
    assert out["bridge"] == "cypress"


@pytest.mark.parametrize(("options", "words"), [
    ({"subdriver": "cypress"}, "'vendorid' and 'productid' are mandatory"),
    ({"subdriver": "cypres", "vendorid": "0665", "productid": "5161"}, "'cypres' not found"),
    ({"subdriver": "snr", "vendorid": "0001", "productid": "0000"}, "needs langid_fix"),
    ({"langid_fix": "0409"}, "not a 0x-prefixed hexadecimal"),
    ({"langid_fix": "0x1ffff"}, "above 0xffff"),
])
def test_bad_options_fail_before_any_device_access(options: dict[str, str],
                                                   words: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(words)):
        open_qx_usb(options, usb_backend=object())


def test_option_parsers() -> None:
    assert parse_langid_fix({"langid_fix": "0x0409"}) == 0x409
    assert parse_langid_fix({"langid_fix": "0X4"}) == 4  # NUT skips two characters
    assert parse_langid_fix({}) is None
    assert forced_bridge({"subdriver": "Armac", "vendorid": "1", "productid": "2"}) == "armac"
    assert forced_bridge({}) is None


# --- faults -------------------------------------------------------------------------------

FAULTS = [
    ("megatec-cypress", "fault_stall: 0\n", "ProtocolError", "LIBUSB_ERROR_PIPE"),
    ("megatec-cypress", "fault_timeout: from 5\nfault_wait_ms: 50\n", "TransportTimeout",
     "LIBUSB_ERROR_TIMEOUT"),
    ("megatec-cypress", "fault_io: from 5\n", "ProtocolError", "LIBUSB_ERROR_IO"),
    ("megatec-cypress", "fault_mute_after: 4\nfault_wait_ms: 50\n", "TransportTimeout",
     "LIBUSB_ERROR_TIMEOUT"),
    ("megatec-krauler", "fault_io: from 1\n", "ProtocolError", "LIBUSB_ERROR_IO"),
    ("megatec-sgs", "fault_stall: all\n", "ProtocolError", "LIBUSB_ERROR_PIPE"),
    ("ablerex-ablerex", "fault_stall: 5\n", "ProtocolError", "LIBUSB_ERROR_PIPE"),
    ("megatec-phoenixtec", "fault_timeout: from 5\nfault_wait_ms: 50\n", "TransportTimeout",
     "LIBUSB_ERROR_TIMEOUT"),
]


@pytest.mark.parametrize(("name", "fault", "kind", "code"), FAULTS,
                         ids=[f"{n}-{f.split(':')[0]}" for n, f, _, _ in FAULTS])
def test_faults_surface_as_hidups_errors(emulator: Path, tmp_path: Path, name: str,
                                         fault: str, kind: str, code: str) -> None:
    out = drive(emulator, variant(tmp_path, name, {}, "\n" + fault), {}, [b"Q1\r"])
    answers = out["answers"]
    assert isinstance(answers, list)
    [[got, message, libusb_error]] = answers
    assert (got, libusb_error) == (kind, code), message
    assert message


def test_a_device_that_goes_away_is_disconnected_then_found_again(
        emulator: Path, tmp_path: Path) -> None:
    device = variant(tmp_path, "megatec-cypress", {},
                     "\nfault_gone_after: 4\nfault_gone_ms: 300\n")
    out = drive(emulator, device, {}, [b"Q1\r", b"F\r"], reopen=[b"Q1\r"])
    answers = out["answers"]
    assert isinstance(answers, list)
    assert [a[0] for a in answers] == ["Disconnected", "Disconnected"]
    assert answers[0][2] == "LIBUSB_ERROR_NO_DEVICE"
    assert out["reopened_bridge"] == "cypress"
    reopened = out["reopened"]
    assert isinstance(reopened, list)
    assert bytes.fromhex(reopened[0][1]).startswith(b"(215.0 195.0")


@pytest.mark.parametrize(("name", "answer", "expected"), [
    ("megatec-sgs", '"(21"', b"(21\r"),  # NUT adds the missing CR
    ("megatec-krauler", '"(21"', b"(21\r"),
    ("megatec-fabula", '"(21"', b"(21\r"),
    ("megatec-cypress", r'"\x01gar\xffbage\r"', b"\x01gar\xffbage\r\0\0\0\0\0\0"),
    ("megatec-fuji", r'"(21 \x7f\r"', b"(21 \x7f\r"),
    ("megatec-armac", '"(2"', b"(2"),  # count 0 ends the answer, CR or not
    ("megatec-krauler", r'"x\xe9y\r"', b"(?y\r"),  # ASCII only, first byte replaced
])
def test_odd_answers_come_back_as_bytes(emulator: Path, tmp_path: Path, name: str,
                                        answer: str, expected: bytes) -> None:
    device = variant(tmp_path, name, {"qx Q1": answer})
    out = drive(emulator, device, {}, [b"Q1\r"])
    assert out["answers"] == [["ok", expected.hex()]]


def test_an_answer_without_cr_times_out_on_cypress(emulator: Path,
                                                   tmp_path: Path) -> None:
    device = variant(tmp_path, "megatec-cypress", {"qx Q1": '"(21"'})
    answers = drive(emulator, device, {}, [b"Q1\r"])["answers"]
    assert isinstance(answers, list)
    [[kind, *_]] = answers
    assert kind == "TransportTimeout"  # NUT reads until a CR or an error


# --- one command at a time ------------------------------------------------------------------

THREADS = r"""
import json, sys, threading, time
from hidups.transport.qx_usb import open_qx_usb
link = open_qx_usb({})
want = {b"Q1\r": b"(215.0 195.0 230.0 014 49.0 22.7 30.0 00000000\r",
        b"F\r": b"#230.0 000 024.0 50.0\r", b"I\r": b"#NOT_A_LIVE_UPS  TESTING    TESTING   \r"}
bad = []
def worker(cmd):
    for _ in range(15):
        got = link.command(cmd).rstrip(b"\0")
        if got != want[cmd]:
            bad.append([cmd.hex(), got.hex()])
threads = [threading.Thread(target=worker, args=(c,)) for c in want for _ in range(2)]
for t in threads: t.start()
for t in threads: t.join()
# close() while a silent command waits its read timeout (300 ms in the emulator)
events = []
def slow():
    try:
        link.command(b"T\r")
    except Exception as exc:
        events.append(["command", type(exc).__name__, time.monotonic()])
t = threading.Thread(target=slow)
t.start()
time.sleep(0.1)
link.close()
events.append(["closed", "", time.monotonic()])
t.join()
try:
    link.command(b"Q1\r")
except Exception as exc:
    events.append(["after", type(exc).__name__, 0])
print(json.dumps({"bad": bad, "events": events}))
"""


def test_commands_do_not_interleave_and_close_waits(emulator: Path) -> None:
    env = upsemu_env(DEVICES / "megatec-cypress.ups", emulator, UPSEMU_INTR_WAIT_MS="300")
    result = subprocess.run([sys.executable, "-c", THREADS], env=env, capture_output=True,
                            text=True, timeout=120, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["bad"] == []
    events = out["events"]
    assert [e[:2] for e in events] == [["command", "TransportTimeout"], ["closed", ""],
                                       ["after", "Disconnected"]]
    assert events[0][2] <= events[1][2]  # close waited for the command in progress


def test_table_rows() -> None:
    from hidups.device import DeviceInfo

    assert bridge_for(DeviceInfo(0x0665, 0x5161)) == ("cypress", "")
    assert bridge_for(DeviceInfo(0x0001, 0x0000, product="MEC0003"))[0] == "hunnox"
    bridge, why = bridge_for(DeviceInfo(0x1A86, 0x7523))
    assert bridge is None and "No subdriver selected" in why
