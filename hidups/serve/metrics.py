"""``/metrics``: every served UPS's data tree and its driver's own figures, for Prometheus.

Names follow DRuggeri's ``nut_exporter`` (the most deployed NUT exporter, with a
Grafana dashboard): a numeric NUT variable ``battery.charge`` is the gauge
``network_ups_tools_battery_charge{ups="..."}``, ``ups.status`` is
``network_ups_tools_ups_status{ups,flag}`` 0/1 and ``device.*`` are the labels of
``network_ups_tools_device_info``, so existing dashboards and alerts work unchanged.
What only a driver knows is under ``hidups_driver_*``. The collector reads the data
trees at scrape time: no copy to keep in step, and a scrape sees one moment per UPS.
"""

from __future__ import annotations

import math
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, start_wsgi_server
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    InfoMetricFamily,
    Metric,
)
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector

from hidups.serve.model import ServedUps

PREFIX = "network_ups_tools_"
#: ``ups.status`` flags always exported (0 when absent), as nut_exporter's default set;
#: any other flag the UPS shows is exported too, while present.
STATUS_FLAGS = ("OL", "OB", "LB", "HB", "RB", "CHRG", "DISCHRG", "BYPASS", "CAL", "OFF",
                "OVER", "TRIM", "BOOST", "FSD", "ALARM")
#: Variables exported as labels or by their own metric, never as a gauge.
NOT_GAUGES = ("ups.status",)
#: The labels of ``network_ups_tools_device_info`` (``device.mfr`` → ``mfr``).
DEVICE_LABELS = ("mfr", "model", "serial", "type", "description", "contact", "location")
DRIVER_INFO = {"name": "driver.name", "version": "driver.version",
               "version_internal": "driver.version.internal",
               "version_data": "driver.version.data", "state": "driver.state"}

_NUMBER = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")
_NOT_NAME = re.compile(r"[^a-zA-Z0-9_]")

UpsSource = Callable[[], Mapping[str, ServedUps]]


def metric_name(variable: str) -> str:
    """``battery.charge`` → ``network_ups_tools_battery_charge``."""
    return PREFIX + _NOT_NAME.sub("_", variable)


def numeric(value: str) -> float | None:
    """A NUT value as a number, if it is one (``"230.0"``, ``" 100"``; not ``"OL"``)."""
    text = value.strip()
    if not _NUMBER.fullmatch(text):
        return None
    number = float(text)
    return number if math.isfinite(number) else None


class FleetCollector(Collector):
    """Builds every family from the served UPSes at each scrape."""

    def __init__(self, upses: UpsSource, clock: Callable[[], float] = time.monotonic) -> None:
        self.upses = upses
        self.clock = clock

    def collect(self) -> Iterator[Metric]:
        served = self.upses()
        yield from self._variables(served)
        yield from self._status(served)
        yield from self._device(served)
        yield from self._driver(served)

    @staticmethod
    def _values(ups: ServedUps) -> dict[str, str]:
        with ups.dstate.atomic():
            return {name: value for name in ups.dstate.names()
                    if (value := ups.dstate.get(name)) is not None}

    def _variables(self, served: Mapping[str, ServedUps]) -> Iterator[Metric]:
        families: dict[str, GaugeMetricFamily] = {}
        for name, ups in sorted(served.items()):
            for variable, value in sorted(self._values(ups).items()):
                number = numeric(value)
                if number is None or variable in NOT_GAUGES:
                    continue
                metric = metric_name(variable)
                family = families.get(metric)
                if family is None:
                    family = GaugeMetricFamily(metric, f"NUT variable {variable}",
                                               labels=["ups"])
                    families[metric] = family
                family.add_metric([name], number)
        yield from families.values()

    def _status(self, served: Mapping[str, ServedUps]) -> Iterator[Metric]:
        family = GaugeMetricFamily(PREFIX + "ups_status",
                                   "ups.status flags: 1 when the flag is shown",
                                   labels=["ups", "flag"])
        for name, ups in sorted(served.items()):
            status = ups.dstate.get("ups.status")
            if status is None:
                continue
            shown = status.split()
            for flag in (*STATUS_FLAGS, *[f for f in shown if f not in STATUS_FLAGS]):
                family.add_metric([name, flag], 1.0 if flag in shown else 0.0)
        yield family

    def _device(self, served: Mapping[str, ServedUps]) -> Iterator[Metric]:
        family = GaugeMetricFamily(PREFIX + "device_info",
                                   "device.* variables as labels (always 1)",
                                   labels=["ups", *DEVICE_LABELS])
        for name, ups in sorted(served.items()):
            get = ups.dstate.get
            family.add_metric([name, *(get(f"device.{k}") or "" for k in DEVICE_LABELS)], 1.0)
        yield family

    def _driver(self, served: Mapping[str, ServedUps]) -> Iterator[Metric]:
        now = self.clock()
        labels = ["ups"]
        stale = GaugeMetricFamily("hidups_driver_stale",
                                  "1 while the driver's data is stale (DATASTALE)", labels=labels)
        updates = CounterMetricFamily("hidups_driver_updates",
                                      "update loops completed", labels=labels)
        transfers = CounterMetricFamily("hidups_driver_transfers",
                                        "USB transfers asked of the device", labels=labels)
        errors = CounterMetricFamily("hidups_driver_transfer_errors",
                                     "transfers that timed out or failed", labels=labels)
        walk = GaugeMetricFamily("hidups_driver_walk_transfers",
                                 "transfers in the last update", labels=labels)
        walk_errors = GaugeMetricFamily("hidups_driver_walk_transfer_errors",
                                        "failed transfers in the last update", labels=labels)
        reconnects = CounterMetricFamily("hidups_driver_reconnects",
                                         "reconnections to the device", labels=labels)
        changes = CounterMetricFamily("hidups_driver_status_changes",
                                      "ups.status changes published", labels=labels)
        age = GaugeMetricFamily("hidups_driver_last_good_read_age_seconds",
                                "seconds since the last update that read fresh data",
                                labels=labels)
        latency = GaugeMetricFamily(
            "hidups_driver_status_latency_seconds",
            "last ups.status change seen by a walk: seconds from the update's start "
            "to its publication", labels=labels)
        info = InfoMetricFamily("hidups_driver", "the driver behind each UPS",
                                labels=["ups", *DRIVER_INFO])
        for name, ups in sorted(served.items()):
            figures = ups.figures()
            stale.add_metric([name], 1.0 if ups.dstate.is_stale else 0.0)
            updates.add_metric([name], figures.walks)
            reconnects.add_metric([name], figures.reconnects)
            changes.add_metric([name], figures.status_changes)
            if figures.walk_transfers is not None:
                transfers.add_metric([name], figures.transfers)
                errors.add_metric([name], figures.transfer_errors)
                walk.add_metric([name], figures.walk_transfers)
                walk_errors.add_metric([name], figures.walk_transfer_errors or 0)
            if figures.last_good_read is not None:
                age.add_metric([name], max(0.0, now - figures.last_good_read))
            if figures.status_latency is not None:
                latency.add_metric([name], figures.status_latency)
            info.add_metric([name, *(ups.dstate.get(v) or "" for v in DRIVER_INFO.values())],
                            {})
        yield from (stale, updates, transfers, errors, walk, walk_errors, reconnects,
                    changes, age, latency, info)


class MetricsServer:
    """The HTTP endpoint (any path answers; ``/metrics`` by convention), on its own
    thread so a slow scraper never touches the drivers or the NUT server."""

    def __init__(self, upses: UpsSource, host: str = "127.0.0.1", port: int = 9199,
                 *, process: bool = True) -> None:
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(FleetCollector(upses))
        if process:  # process_resident_memory_bytes and friends, for the load bench
            ProcessCollector(registry=self.registry)
        self.host, self.port = host, port
        self._server: WSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def address(self) -> tuple[str, int]:
        """The bound (host, port): the real port when 0 was asked."""
        if self._server is None:
            raise RuntimeError("the metrics server is not running")
        host, port = self._server.server_address[:2]
        return str(host), int(port)

    def start(self) -> None:
        self._server, self._thread = start_wsgi_server(self.port, self.host, self.registry)

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(5.0)
        self._server = self._thread = None
