"""``/metrics`` over HTTP, parsed with prometheus_client's own parser: every numeric
variable equals the data tree's (and, through NUT's real upsd, upsc's), status flags
are 0/1, and the driver's figures (stale, updates, transfers, last good read, info)."""

from __future__ import annotations

import time
import urllib.request
from pathlib import Path

import pytest
from conftest import PROJECT_CAPTURES, require_nut
from nut_util import hidups_under_upsd
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample
from serve_app_util import spec, unplugging_copy, wait_for

from hidups.serve.fleet import Fleet
from hidups.serve.metrics import STATUS_FLAGS, MetricsServer, metric_name, numeric

CS500 = PROJECT_CAPTURES / "apc-back-ups-cs500.json"
CPS = PROJECT_CAPTURES / "cyberpower-cp1500pfclcd.json"


def scrape(server: MetricsServer) -> dict[str, list[Sample]]:
    host, port = server.address
    with urllib.request.urlopen(f"http://{host}:{port}/metrics", timeout=10) as reply:
        assert reply.status == 200
        text = reply.read().decode()
    return {family.name: family.samples for family in text_string_to_metric_families(text)}


def by_ups(samples: list[Sample], ups: str) -> list[Sample]:
    return [s for s in samples if s.labels.get("ups") == ups]


def value(families: dict[str, list[Sample]], family: str, ups: str,
          sample: str | None = None) -> float:
    found = [s.value for s in by_ups(families[family], ups)
             if sample is None or s.name == sample]
    assert len(found) == 1, (family, ups, found)
    return found[0]


def test_numbers_parse_as_nut_writes_them() -> None:
    assert numeric("230.0") == 230.0
    assert numeric(" 100") == 100.0
    assert numeric("-5") == -5.0
    assert numeric("1e3") == 1000.0
    for text in ("OL", "", "1.2.3", "nan", "inf", "0x10", "12 V"):
        assert numeric(text) is None, text
    assert metric_name("battery.charge") == "network_ups_tools_battery_charge"
    assert metric_name("ups.delay.shutdown") == "network_ups_tools_ups_delay_shutdown"


def test_metrics_equal_the_data_trees(tmp_path: Path) -> None:
    gone = unplugging_copy(tmp_path, CS500, at=3.0)
    fleet = Fleet([spec("rack", CPS), spec("desk", gone)])
    server = MetricsServer(fleet.served, "127.0.0.1", 0)
    fleet.start()
    server.start()
    try:
        served = fleet.served()
        assert wait_for(lambda: all(not u.dstate.is_stale and u.figures().walks >= 1
                                    for u in served.values()), 10)
        families = scrape(server)
        for name, ups in served.items():
            tree = ups.dstate
            compared = 0
            for variable in tree.names():
                number = numeric(tree.get(variable) or "")
                if number is None:
                    continue
                family = metric_name(variable)
                assert value(families, family, name) == number, variable
                compared += 1
            assert compared >= 10, (name, compared)
            shown = (tree.get("ups.status") or "").split()
            flags = {s.labels["flag"]: s.value
                     for s in by_ups(families["network_ups_tools_ups_status"], name)}
            assert set(STATUS_FLAGS) <= set(flags)
            assert {f for f, v in flags.items() if v == 1.0} == set(shown)
            device = by_ups(families["network_ups_tools_device_info"], name)
            assert device[0].labels["model"] == (tree.get("device.model") or "")
            assert device[0].labels["mfr"] == tree.get("device.mfr") != ""
            assert value(families, "hidups_driver_stale", name) == 0.0
            info = by_ups(families["hidups_driver_info"], name)[0]
            assert info.name == "hidups_driver_info"
            assert info.labels["version_data"] == tree.get("driver.version.data")
            assert info.labels["version_internal"] == tree.get("driver.version.internal")
            assert value(families, "hidups_driver_transfers", name,
                         "hidups_driver_transfers_total") >= 1
            assert value(families, "hidups_driver_transfer_errors", name,
                         "hidups_driver_transfer_errors_total") == 0
            assert value(families, "hidups_driver_last_good_read_age_seconds", name) < 3
        assert value(families, "network_ups_tools_battery_charge", "rack") == 100.0
        rack = by_ups(families["network_ups_tools_device_info"], "rack")[0]
        assert rack.labels["mfr"] == "CPS"
        assert "process_resident_memory_bytes" in families

        # the desk UPS unplugs: stale, its last good read ages, the rack's does not
        assert wait_for(lambda: served["desk"].dstate.is_stale, 10)
        time.sleep(1.5)
        families = scrape(server)
        assert value(families, "hidups_driver_stale", "desk") == 1.0
        assert value(families, "hidups_driver_stale", "rack") == 0.0
        assert value(families, "hidups_driver_last_good_read_age_seconds", "desk") > 1.0
        assert value(families, "hidups_driver_last_good_read_age_seconds", "rack") < 2.5
        updates = value(families, "hidups_driver_updates", "rack",
                        "hidups_driver_updates_total")
        assert updates >= 3
    finally:
        server.stop()
        fleet.stop()


@pytest.mark.nut
def test_metrics_equal_upsc_through_nut_upsd() -> None:
    """The same capture under NUT's upsd (hidups -a + upsd + upsc) and under serve."""
    require_nut()
    fleet = Fleet([spec("ups", CPS)])
    server = MetricsServer(fleet.served, "127.0.0.1", 0, process=False)
    fleet.start()
    server.start()
    try:
        with hidups_under_upsd(CPS) as upsd:
            upsc = upsd.wait_for_vars("ups")
        assert wait_for(lambda: fleet.served()["ups"].figures().walks >= 1, 10)
        families = scrape(server)
        compared = 0
        for variable, text in upsc.items():
            number = numeric(text)
            if number is None or variable.startswith("driver."):
                continue  # driver.* name the process (pid, parameters), not the UPS
            assert value(families, metric_name(variable), "ups") == number, variable
            compared += 1
        assert compared >= 15
        flags = {s.labels["flag"] for s in by_ups(families["network_ups_tools_ups_status"],
                                                   "ups") if s.value == 1.0}
        assert flags == set(upsc["ups.status"].split())
    finally:
        server.stop()
        fleet.stop()
