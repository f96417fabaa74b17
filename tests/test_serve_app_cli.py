"""``hidups serve`` as a user runs it: ups.conf with two replayed UPSes, NUT's own
``upsc`` over the NUT network protocol, ``/metrics`` from the same process, SIGHUP
adding a UPS, SIGTERM exiting 0. Needs the network server (hidups.serve.netserver)."""

from __future__ import annotations

import importlib.util
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from conftest import PROJECT_CAPTURES, ROOT, require_nut
from nut_util import free_port, wait_until
from prometheus_client.parser import text_string_to_metric_families

from hidups.serve.metrics import metric_name, numeric

CS500 = PROJECT_CAPTURES / "apc-back-ups-cs500.json"
CPS = PROJECT_CAPTURES / "cyberpower-cp1500pfclcd.json"


def upsc(target: str) -> dict[str, str]:
    out = subprocess.run(["upsc", target], capture_output=True, text=True, timeout=10)
    if out.returncode != 0:
        return {}
    pairs = (line.split(": ", 1) for line in out.stdout.splitlines() if ": " in line)
    return dict(pairs)  # type: ignore[arg-type]


def metrics(port: int) -> dict[tuple[str, str], float]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as reply:
        text = reply.read().decode()
    return {(s.name, s.labels["ups"]): s.value
            for f in text_string_to_metric_families(text) for s in f.samples
            if "ups" in s.labels and "flag" not in s.labels}


@pytest.mark.nut
@pytest.mark.slow
def test_serve_command_line_with_upsc_and_metrics(tmp_path: Path) -> None:
    require_nut()
    assert importlib.util.find_spec("hidups.serve.netserver") is not None, \
        "hidups.serve.netserver (the network server, branch srvnet) is not merged yet"
    conf = tmp_path / "ups.conf"
    section = "[{name}]\n    driver = hidups\n    port = replay:{capture}\n    desc = \"{desc}\"\n"
    conf.write_text("pollinterval = 1\n" + section.format(name="rack", capture=CPS, desc="Rack"))
    nut_port, metrics_port = free_port(), free_port()
    log = tmp_path / "serve.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "hidups", "serve", "-F", "--upsconf", str(conf),
             "--listen", f"127.0.0.1:{nut_port}", "--metrics", f"127.0.0.1:{metrics_port}"],
            env={"PATH": "/usr/bin:/bin", "NUT_CONFPATH": str(tmp_path),
                 "PYTHONPATH": str(ROOT)},
            stdout=out, stderr=subprocess.STDOUT)
    try:
        assert wait_until(lambda: upsc(f"rack@127.0.0.1:{nut_port}").get("ups.mfr") == "CPS",
                          20), log.read_text()
        listed = subprocess.run(["upsc", "-l", f"127.0.0.1:{nut_port}"], capture_output=True,
                                text=True, timeout=10)
        assert listed.stdout.split() == ["rack"]
        variables = upsc(f"rack@127.0.0.1:{nut_port}")
        scraped = metrics(metrics_port)
        compared = 0
        for name, text in variables.items():
            number = numeric(text)
            if number is not None and not name.startswith("driver."):
                assert scraped[(metric_name(name), "rack")] == number, name
                compared += 1
        assert compared >= 10

        # SIGHUP: a second section appears, the first keeps running
        conf.write_text(conf.read_text() + section.format(name="desk", capture=CS500,
                                                          desc="Desk"))
        proc.send_signal(signal.SIGHUP)
        assert wait_until(lambda: upsc(f"desk@127.0.0.1:{nut_port}").get("ups.mfr")
                          == "American Power Conversion", 20), log.read_text()
        listed = subprocess.run(["upsc", "-l", f"127.0.0.1:{nut_port}"], capture_output=True,
                                text=True, timeout=10)
        assert sorted(listed.stdout.split()) == ["desk", "rack"]
        time.sleep(1.2)
        assert metrics(metrics_port)[("hidups_driver_stale", "desk")] == 0.0
    finally:
        proc.send_signal(signal.SIGTERM)
        status = proc.wait(timeout=20)
    assert status == 0, log.read_text()


def test_bad_addresses_are_named() -> None:
    result = subprocess.run([sys.executable, "-m", "hidups", "serve", "--metrics", "nowhere"],
                            capture_output=True, text=True, timeout=30, cwd=ROOT)
    assert result.returncode == 1
    assert "--metrics 'nowhere': expected HOST:PORT" in result.stderr
