"""A toy second device protocol drives the driver core end to end, with no HID code.

The proof that a protocol other than HID (Q* next) plugs into the core: a few rows
served from a dict go through the real socket server (NUT's driver protocol), the
status commit, a command, stale when the device goes away, and reconnect.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from hidups.device import DeviceInfo
from hidups.driver.core import Driver
from hidups.driver.protocol import Action, Publisher, StatusReport, WalkMode, WalkOutcome
from hidups.driver.settings import Settings
from hidups.errors import CommandError, CommandStatus, DeviceGone, DeviceNotFound
from hidups.nut.client import DriverClient
from hidups.nut.dstate import DState
from hidups.nut.server import DriverServer


class ToyUps:
    """The 'device': a dict of readings, a power switch and a plug."""

    def __init__(self) -> None:
        self.readings = {"battery.charge": "100", "input.voltage": "230.0", "online": "1"}
        self.plugged = True
        self.sent: list[tuple[str, str]] = []


class ToySession:
    """A :class:`hidups.driver.protocol.Session` over :class:`ToyUps`."""

    def __init__(self, ups: ToyUps, user_options: Mapping[str, str]) -> None:
        self.ups = ups
        self.closed = False
        self._out: Publisher | None = None
        self.options: Mapping[str, str] = {}
        self.settings = Settings()
        self.configure(user_options)

    @property
    def device(self) -> DeviceInfo:
        return DeviceInfo(vendor_id=0x1234, product_id=0x5678, manufacturer="Toy",
                          product="Toy UPS", serial="T1")

    @property
    def version_data(self) -> str:
        return "toy 1.0"

    def configure(self, user_options: Mapping[str, str]) -> Mapping[str, str]:
        self.options = {"pollonly": "", **user_options}
        self.settings = Settings.from_options(self.options)
        return self.options

    def _read(self) -> None:
        if not self.ups.plugged:
            raise DeviceGone("toy unplugged")
        assert self._out is not None
        for name in ("battery.charge", "input.voltage"):
            self._out.publish(name, self.ups.readings[name])

    def start(self, publisher: Publisher, *, first: bool) -> WalkOutcome:
        self._out = publisher
        publisher.publish("ups.mfr", "Toy")
        self._read()
        publisher.add_cmd("beeper.toggle")
        return WalkOutcome()

    def walk(self, mode: WalkMode, *, data_changed: bool) -> WalkOutcome:
        self._read()
        return WalkOutcome()

    def status(self, mode: WalkMode | None) -> StatusReport:
        words = ["OL"] if self.ups.readings["online"] == "1" else ["OB", "DISCHRG"]
        return StatusReport(words, [] if mode is WalkMode.FULL else None)

    def has_command(self, name: str) -> bool:
        return name == "beeper.toggle"

    def plan_command(self, name: str, param: str | None) -> Action:
        if not self.has_command(name):
            raise CommandError(CommandStatus.UNKNOWN, name)
        return Action(name, param or "")

    def plan_setvar(self, name: str, value: str) -> Action:
        raise CommandError(CommandStatus.UNKNOWN, name)

    def execute(self, action: Action) -> bool:
        self.ups.sent.append((action.name, action.value))
        return True

    def killpower(self) -> bool | None:
        return None  # the core's order

    def start_events(self, on_event: Callable[[Any, bytes], None],
                     on_error: Callable[[Any, Exception], None]) -> None:
        pass

    def read_event_once(self) -> bytes | None:
        return None

    def apply_event(self, data: bytes) -> None:
        pass

    def events_silent(self) -> bool:
        return False

    def close(self) -> None:
        self.closed = True


class ToyProtocol:
    def __init__(self, ups: ToyUps) -> None:
        self.ups = ups
        self.opened = 0

    def open(self, options: Mapping[str, str], *, user_options: Mapping[str, str],
             previous: ToySession | None) -> ToySession:
        if not self.ups.plugged:
            raise DeviceNotFound("no toy UPS")
        self.opened += 1
        return ToySession(self.ups, user_options)

    def reconnect_options(self, options: Mapping[str, str],
                          device: DeviceInfo | None) -> list[dict[str, str]]:
        return [dict(options)]


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Driver[ToySession], ToyUps, DriverClient, Clock]]:
    ups, clock, store = ToyUps(), Clock(), DState()
    driver: Driver[ToySession] = Driver({}, store, ToyProtocol(ups), upsname="toy", clock=clock)
    driver.start()
    driver.update()
    path = str(tmp_path / "toy.sock")
    server = DriverServer(path, store, driver.commands)
    server.start()
    client = DriverClient(path)
    try:
        yield driver, ups, client, clock
    finally:
        client.close()
        server.stop()
        driver.close()


def values(client: DriverClient) -> dict[str, str]:
    return {words[1]: words[2] for words in client.dump() if words[0] == "SETINFO"}


def test_rows_and_status_reach_a_socket_client(
        served: tuple[Driver[ToySession], ToyUps, DriverClient, Clock]) -> None:
    driver, ups, client, clock = served
    seen = values(client)
    assert seen["battery.charge"] == "100"
    assert seen["ups.status"] == "OL"
    assert seen["driver.version.data"] == "toy 1.0"
    ups.readings.update({"online": "0", "battery.charge": "97"})
    clock.now += 2
    driver.update()
    seen = values(client)
    assert seen["ups.status"] == "OB DISCHRG"
    assert seen["battery.charge"] == "97"


def test_a_command_reaches_the_device(
        served: tuple[Driver[ToySession], ToyUps, DriverClient, Clock]) -> None:
    _, ups, client, _ = served
    assert client.instcmd("beeper.toggle") == CommandStatus.HANDLED
    assert ups.sent == [("beeper.toggle", "")]
    assert client.instcmd("load.off") == CommandStatus.INVALID  # no timers to compose it
    assert ups.sent == [("beeper.toggle", "")]


def test_stale_then_reconnect_without_a_restart(
        served: tuple[Driver[ToySession], ToyUps, DriverClient, Clock]) -> None:
    driver, ups, client, clock = served
    first = driver.session
    ups.plugged = False
    clock.now += 2
    driver.update()
    assert isinstance(driver.store, DState) and driver.store.is_stale
    assert first is not None and first.closed
    ups.plugged = True
    clock.now += 60
    driver.update()
    assert not driver.store.is_stale
    assert driver.session is not None and driver.session is not first
    assert values(client)["driver.reconnect_count"] == "1"


def test_no_hid_module_is_imported() -> None:
    """Run in a fresh interpreter: the core and the toy need nothing from hidups.hid."""
    probe = (
        "import sys\n"
        "import hidups.driver.core, hidups.driver.commands, hidups.nut.server\n"
        "bad = sorted(m for m in sys.modules if m.startswith(('hidups.hid.', 'hidups.hid2nut',"
        " 'hidups.subdrivers', 'hidups.descriptor', 'hidups.codec')))\n"
        "print(bad)\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]", out.stdout

