"""``hidups explore``: device → capture → replay round trip on the upsemu emulator, the
NUT-compatible dump, ``--from``, ``--redact`` and stall recording.

pyusb keeps the first libusb it loads, so everything that talks to the emulator runs
in a child process (tests/upsemu_util.py).
"""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, SHARED_CAPTURES, nut_source_file, require, require_shared
from shared_captures import shared_capture
from upsemu_util import device_file, try_build_upsemu, upsemu_env

from hidups.capture import Capture, dumps_capture, load_capture, save_capture
from hidups.descriptor.model import ReportType
from hidups.device import DeviceInfo
from hidups.hid import explore
from hidups.hid.analysis import analysis_report

#: Captures whose raw reports are complete GET_REPORT answers, with NUT's Path lines.
ROUND_TRIP = ["apc-back-ups-cs500-nutddl.json", "apc-bk650m2-ch-nutddl.json",
              "eaton-3s-700-nut2887.json", "cyberpower-cp1500pfclcd-nut2642.json",
              "tripplite-4003-nut1268.json"]
#: nut-ddl dumps made by NUT 2.8.0 itself, in NUT's order: explore must print them back.
NUT_DUMPS = ["apc-back-ups-cs500-nutddl.json", "apc-bk650m2-ch-nutddl.json"]


def hidups(args: list[str], env: dict[str, str] | None = None,
           timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "hidups", *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout)


def explore_emulated(shared: Path, out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    lib, why = try_build_upsemu()
    require(lib is not None, f"upsemu unavailable: {why}")
    env = upsemu_env(device_file(shared), lib)
    vid = shared_capture(shared)["vendorid"]
    result = hidups(["explore", "-o", str(out), "-x", f"vendorid={vid}", *extra], env)
    assert result.returncode == 0, result.stderr
    return result


def value_blind(line: str) -> str:
    return re.sub(r", Value: .*$", "", line)


@pytest.mark.upsemu
@pytest.mark.slow
@pytest.mark.parametrize("name", ROUND_TRIP)
def test_round_trip_device_capture_replay(name: str, tmp_path: Path) -> None:
    require_shared()
    shared = SHARED_CAPTURES / name
    original = load_capture(shared)
    first = tmp_path / "explored.json"
    run = explore_emulated(shared, first, "--listen", "0.2")
    explored = load_capture(first)

    # What the device served is what the corpus recorded.
    assert explored.descriptor == original.descriptor
    assert (explored.device.vendor_id, explored.device.product_id) == \
        (original.device.vendor_id, original.device.product_id)
    served = {(r.report_type, r.report_id): r.data for r in explored.reports}
    checked = 0
    for record in original.reports:
        if record.kind.value == "get":
            assert served[(ReportType.FEATURE, record.report_id)] == record.data
            checked += 1
    assert checked == sum(1 for r in original.reports if r.kind.value == "get")
    for index in (explored.usb.imanufacturer, explored.usb.iproduct, explored.usb.iserial):
        assert index and index in explored.strings
    assert explored.strings[explored.usb.iproduct] == explored.device.product

    # NUT's identity block, as gen-usbhid-subdriver.sh reads it.
    lines = run.stdout.splitlines()
    assert f"- VendorID: {explored.device.vendor_id:04x}" in lines
    assert f"- ProductID: {explored.device.product_id:04x}" in lines

    # Replaying the capture gives the same descriptor, strings and report bytes.
    second = tmp_path / "replayed.json"
    again = hidups(["explore", "-o", str(second), "-x", f"port=replay:{first}"])
    assert again.returncode == 0, again.stderr
    replayed = load_capture(second)
    assert replayed.descriptor == explored.descriptor
    assert replayed.strings == explored.strings
    assert replayed.device == explored.device
    assert [(r.report_type, r.report_id, r.data) for r in replayed.reports] == \
        [(r.report_type, r.report_id, r.data) for r in explored.reports]

    # describe on the capture equals describe on the original (where the original has
    # a report's bytes; elsewhere the original has no Value to compare).
    def describe(path: Path) -> list[str]:
        result = hidups(["describe", "--subdriver", "explore", str(path)])
        assert result.returncode == 0, result.stderr
        return result.stdout.splitlines()

    before, after = describe(shared), describe(first)
    assert len(before) == len(after)
    for old, new in zip(before, after, strict=True):
        assert (old == new) if "Value:" in old else (old == value_blind(new))


@pytest.mark.upsemu
@pytest.mark.parametrize("name", NUT_DUMPS)
def test_path_lines_are_nuts(name: str, tmp_path: Path) -> None:
    """On the emulated device, explore prints exactly the Path lines NUT printed."""
    require_shared()
    shared = SHARED_CAPTURES / name
    run = explore_emulated(shared, tmp_path / "x.json")
    ours = [line for line in run.stdout.splitlines() if line.startswith("Path: ")]
    assert ours == shared_capture(shared)["path_lines"]


def test_from_capture_says_which_subdriver_and_what_it_maps() -> None:
    require_shared()
    path = SHARED_CAPTURES / "apc-bk650m2-ch-nutddl.json"
    out = io.StringIO()
    capture = load_capture(str(path))
    out.write("\n".join(analysis_report(capture, {})) + "\n")
    text = out.getvalue()
    assert "- VendorID: 051d" in text and "- ProductID: 0002" in text
    assert "Subdriver: APC HID" in text
    mapped = int(re.search(r"Mapped paths: (\d+)", text).group(1))  # type: ignore[union-attr]
    unmapped = int(re.search(r"Unmapped paths: (\d+)", text).group(1))  # type: ignore[union-attr]
    distinct = {value_blind(line).split(", Type:")[0]
                for line in text.splitlines() if line.startswith("Path: ")}
    assert mapped + unmapped == len(distinct)
    assert "  UPS.PowerSummary.RemainingCapacity -> battery.charge" in text


def test_cli_from_capture_writes_our_format(tmp_path: Path) -> None:
    require_shared()
    out = tmp_path / "converted.json"
    result = hidups(["explore", "--from", str(SHARED_CAPTURES / "eaton-3s-700-nut2887.json"),
                     "-o", str(out), "--no-paths"])
    assert result.returncode == 0, result.stderr
    assert "Path: " not in result.stdout and "Subdriver: MGE HID" in result.stdout
    assert json.loads(out.read_text())["format"] == "hidups-capture"


def test_short_descriptor_device_is_explained() -> None:
    require_shared()
    result = hidups(["explore", "--from",
                     str(SHARED_CAPTURES / "unknown-5131-2007-nut3227.json")])
    assert result.returncode == 0, result.stderr
    assert "short (183 bytes" in result.stdout
    assert "nutdrv_qx" in result.stdout and "vendorid = 5131" in result.stdout


def test_megatec_bridge_gets_no_subdriver_talk(tmp_path: Path) -> None:
    """0665:5161 with its real 27-byte descriptor (see test_explore_serial_over_hid)."""
    raw = bytes.fromhex("06 00 ff 09 01 a1 01 09 02 15 00 26 ff 00 75 08"
                        " 95 08 81 82 09 02 95 08 91 82 c0")
    path = tmp_path / "megatec.json"
    save_capture(Capture(device=DeviceInfo(0x0665, 0x5161), descriptor=raw, source="test"),
                 path)
    result = hidups(["explore", "--from", str(path)])
    assert result.returncode == 0, result.stderr
    assert "cannot drive" in result.stdout and "subdriver = cypress" in result.stdout
    assert "Subdriver:" not in result.stdout


@pytest.mark.upsemu
def test_redact_removes_every_serial(tmp_path: Path) -> None:
    """The emulated CS 500 has serial EMU0001 (device string, iSerialNumber usage)."""
    require_shared()
    shared = SHARED_CAPTURES / "apc-back-ups-cs500-nutddl.json"
    plain = tmp_path / "plain.json"
    explore_emulated(shared, plain)
    serial = load_capture(plain).device.serial
    assert serial and serial in plain.read_text()
    redacted_path = tmp_path / "redacted.json"
    result = hidups(["explore", "--from", str(plain), "--redact", "-o", str(redacted_path)])
    assert result.returncode == 0, result.stderr
    text = redacted_path.read_text()
    assert serial not in text and serial not in result.stdout
    redacted = load_capture(redacted_path)
    assert redacted.device.serial == explore.REDACTED
    assert redacted.strings[redacted.usb.iserial] == explore.REDACTED
    assert redacted.reports == load_capture(plain).reports  # report bytes untouched


def test_redact_follows_iserialnumber_usage() -> None:
    """A serial string reached only through the iSerialNumber usage is replaced too."""
    require_shared()
    capture = load_capture(SHARED_CAPTURES / "apc-back-ups-cs500-nutddl.json")
    # The CS 500's iSerialNumber usage holds 2 (its Path line says Value: 2).
    capture.strings = {1: "Back-UPS 500", 2: "SECRET123", 3: "APC", 4: "PbAc"}
    capture.usb.iserial = 0
    redacted = explore.redact(capture)
    assert redacted.strings == {1: "Back-UPS 500", 2: explore.REDACTED, 3: "APC", 4: "PbAc"}
    assert "SECRET123" not in dumps_capture(redacted)


def test_stalled_reports_are_recorded(tmp_path: Path) -> None:
    """A report the device stalls on is recorded as such, and exploring goes on."""
    require_shared()
    from hidups.transport import open_transport

    capture = load_capture(SHARED_CAPTURES / "apc-back-ups-cs500-nutddl.json")
    capture.reports = [r for r in capture.reports if r.report_id != 0x0C]
    path = tmp_path / "partial.json"
    save_capture(capture, path)
    transport = open_transport({"port": f"replay:{path}"})
    try:
        explored = explore.capture_transport(transport)
    finally:
        transport.close()
    stalls = explored.meta["stalls"]
    assert {"type": "feature", "id": 0x0C} in [{k: s[k] for k in ("type", "id")}
                                               for s in stalls]
    assert any(r.report_id == 0x0D for r in explored.reports)


def test_explore_in_driver_mode(tmp_path: Path) -> None:
    """What the driver calls for ``-x explore``: dump, save, analyse, return 0."""
    require_shared()
    from hidups.transport import open_transport

    source = tmp_path / "source.json"
    save_capture(load_capture(SHARED_CAPTURES / "apc-back-ups-cs500-nutddl.json"), source)
    out_file = tmp_path / "dump.json"
    options = {"port": f"replay:{source}", "explore": "", "vendorid": "051d",
               "explore_output": str(out_file)}
    transport = open_transport(options)
    out = io.StringIO()
    try:
        assert explore.explore_in_driver(transport, options, out=out) == 0
    finally:
        transport.close()
    assert "Subdriver: APC HID" in out.getvalue()  # not the empty explore table
    assert load_capture(out_file).descriptor == load_capture(source).descriptor


NUT_GEN_SCRIPT = "scripts/subdriver/gen-usbhid-subdriver.sh"


@pytest.mark.nut_source
def test_nuts_own_generator_reads_our_dump(tmp_path: Path) -> None:
    """NUT's gen-usbhid-subdriver.sh (run from a NUT source tree, as a measuring
    instrument) understands explore's output: the VID:PID and one row per path.
    Opt-in (HIDUPS_NUT_SOURCE): the script ships only in NUT's source tarball."""
    require_shared()
    script = nut_source_file(NUT_GEN_SCRIPT)
    result = hidups(["explore", "--from", str(SHARED_CAPTURES / "apc-bk650m2-ch-nutddl.json")])
    assert result.returncode == 0, result.stderr
    paths = {line.split(",", 1)[0][len("Path: "):]
             for line in result.stdout.splitlines() if line.startswith("Path: ")}
    gen = subprocess.run(["sh", str(script), "-n", "acme"], input=result.stdout,
                         cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert gen.returncode == 0, gen.stderr
    source = (tmp_path / "acme-hid.c").read_text()
    assert "#define ACME_VENDORID\t0x051d" in source
    assert "USB_DEVICE(ACME_VENDORID, 0x0002)" in source
    assert source.count('{ "unmapped.') == len(paths)


@pytest.mark.upsemu
@pytest.mark.slow
def test_listen_records_interrupt_reports(tmp_path: Path) -> None:
    """Interrupt-IN reports sent during ``--listen`` are captured in order, and a replay
    of the capture sends them again."""
    require_shared()
    lib, why = try_build_upsemu()
    require(lib is not None, f"upsemu unavailable: {why}")
    shared = SHARED_CAPTURES / "apc-back-ups-cs500-nutddl.json"
    device = tmp_path / "cs500.ups"
    # Input report 0x06 of the CS 500: Charging, Discharging, APCStatusFlag (its Path lines).
    sent = ["06 00 01 10", "06 01 00 08"]
    device.write_text(device_file(shared).read_text()
                      + "".join(f"interrupt: {data}\n" for data in sent))
    first = tmp_path / "listened.json"
    result = hidups(["explore", "-o", str(first), "-x", "vendorid=051d", "--listen", "0.5"],
                    upsemu_env(device, lib))
    assert result.returncode == 0, result.stderr
    got = [r.data.hex(" ") for r in load_capture(first).interrupts]
    assert got == sent
    second = tmp_path / "relistened.json"
    again = hidups(["explore", "-o", str(second), "-x", f"port=replay:{first}",
                    "--listen", "0.5"])
    assert again.returncode == 0, again.stderr
    assert [r.data.hex(" ") for r in load_capture(second).interrupts] == sent
