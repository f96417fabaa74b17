"""One ``serve`` process, three UPSes with their own names: two replayed captures and
one emulated USB UPS (upsemu, through real pyusb and libusb calls). The replay that
unplugs goes stale, then the emulated one (a STALL on every report, injected by
rewriting its device file); the others stay fresh all along, read over ``/metrics``.
SIGTERM ends the process cleanly."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from conftest import PROJECT_CAPTURES, SHARED_CAPTURES, require, require_shared
from nut_util import free_port
from prometheus_client.parser import text_string_to_metric_families
from serve_app_util import unplugging_copy
from upsemu_util import device_file, try_build_upsemu, upsemu_env

CS500 = PROJECT_CAPTURES / "apc-back-ups-cs500.json"
CPS = PROJECT_CAPTURES / "cyberpower-cp1500pfclcd.json"
EATON = SHARED_CAPTURES / "eaton-3s-700-nut2887.json"

SERVE = """
import logging, sys
from hidups.serve.app import ServeConfig, serve
logging.basicConfig(level=logging.INFO, format="%(asctime)s %(threadName)s %(message)s")
sys.exit(serve(ServeConfig(upsconf=sys.argv[1], metrics=("127.0.0.1", int(sys.argv[2]))),
               None))
"""


def scrape(port: int) -> dict[tuple[str, str], float]:
    """(metric sample name, ups) → value, for the per-UPS samples."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as reply:
            text = reply.read().decode()
    except (urllib.error.URLError, ConnectionError):
        return {}
    out = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if "ups" in sample.labels and "flag" not in sample.labels:
                out[(sample.name, sample.labels["ups"])] = sample.value
    return out


def wait_metrics(port: int, predicate: object, timeout: float) -> dict[tuple[str, str], float]:
    assert callable(predicate)
    deadline = time.monotonic() + timeout
    seen: dict[tuple[str, str], float] = {}
    while time.monotonic() < deadline:
        seen = scrape(port)
        if seen and predicate(seen):
            return seen
        time.sleep(0.2)
    raise AssertionError(f"timed out; last scrape: {sorted(seen.items())}")


def stale(m: dict[tuple[str, str], float], ups: str) -> float | None:
    return m.get(("hidups_driver_stale", ups))


@pytest.mark.upsemu
@pytest.mark.slow
def test_three_upses_in_one_process_stale_independently(tmp_path: Path) -> None:
    require_shared()
    lib, why = try_build_upsemu()
    require(lib is not None, f"upsemu cannot be built: {why}")
    device = tmp_path / "eaton.ups"
    shutil.copy(device_file(EATON), device)
    conf = tmp_path / "ups.conf"
    conf.write_text(
        "pollinterval = 1\n"
        "[emu]\n    driver = hidups\n    port = auto\n    vendorid = 0463\n"
        f"[rack]\n    driver = hidups\n    port = replay:{CPS}\n"
        f"[desk]\n    driver = hidups\n    port = replay:{unplugging_copy(tmp_path, CS500, 6.0)}\n"
        "[elsewhere]\n    driver = usbhid-ups\n    port = auto\n")
    port = free_port()
    log = tmp_path / "serve.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-c", SERVE, str(conf), str(port)],
                                env=upsemu_env(device, lib), stdout=out,
                                stderr=subprocess.STDOUT)
    try:
        names = ("emu", "rack", "desk")
        m = wait_metrics(port, lambda m: all(stale(m, n) == 0.0 for n in names), 20)
        assert stale(m, "elsewhere") is None  # not a hidups section
        assert m[("network_ups_tools_ups_load", "emu")] >= 0
        assert m[("hidups_driver_walk_transfers", "emu")] > 0
        assert m[("network_ups_tools_battery_charge", "rack")] == 100.0

        m = wait_metrics(port, lambda m: stale(m, "desk") == 1.0, 15)
        assert stale(m, "emu") == stale(m, "rack") == 0.0
        before = {n: m[("hidups_driver_updates_total", n)] for n in ("emu", "rack")}
        m = wait_metrics(port, lambda m: all(
            m[("hidups_driver_updates_total", n)] >= before[n] + 2 for n in before), 10)
        assert stale(m, "desk") == 1.0 and stale(m, "emu") == stale(m, "rack") == 0.0

        # upsemu re-reads its file when it changes: every report now STALLs
        device.write_text(device.read_text() + "\nfault_stall: all\n")
        m = wait_metrics(port, lambda m: stale(m, "emu") == 1.0, 15)
        assert stale(m, "rack") == 0.0
        assert m[("hidups_driver_last_good_read_age_seconds", "rack")] < 2.5
        rack = m[("hidups_driver_updates_total", "rack")]
        m = wait_metrics(port, lambda m: m[("hidups_driver_updates_total", "rack")] >= rack + 2,
                         10)
        assert stale(m, "rack") == 0.0 and stale(m, "emu") == 1.0
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            status = proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise AssertionError("serve did not stop on SIGTERM:\n" + log.read_text()) from None
    assert status == 0, log.read_text()
    text = log.read_text()
    assert "[emu] driving" in text and "[rack] driving" in text, text
