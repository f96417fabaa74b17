"""End to end with NUT's real upsd, upsc, upscmd, upsrw and aionut (Home Assistant's
client) on loopback, against our DriverServer fed with a real capture's variables."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import SHARED_CAPTURES, require_nut, require_shared
from nut_util import ADMIN, ADMIN_PASSWORD, Upsd, stack_version, start_upsd, wait_until
from shared_captures import shared_capture

from hidups.nut.cmdline import parse_command_line, resolve_options
from hidups.nut.dstate import DState
from hidups.nut.publish import apply_overrides, copy_device_identity, publish_core
from hidups.nut.server import DriverServer
from hidups.nut.upsconf import parse_ups_conf

pytestmark = pytest.mark.nut

CAPTURE = SHARED_CAPTURES / "apc-back-ups-cs500-nutddl.json"
UPS_CONF = """\
[cap]
    driver = hidups
    port = auto
    vendorid = 051d
    pollfreq = 15
    desc = "capture one"
    override.battery.charge.low = 25
"""
MAXAGE = 6

#: upsd's TRACKING answers for the driver's status codes (docs/net-protocol.txt names
#: the answers; upsd 2.8.5's tracking_get maps 4, conversion failed, to INVALID-ARGUMENT
#: like 2, where Debian's 2.8.0 answered "ERR UNKNOWN").
NUT_RESULT = {0: "SUCCESS", 1: "ERR UNKNOWN", 2: "ERR INVALID-ARGUMENT", 3: "ERR FAILED",
              4: "ERR INVALID-ARGUMENT"}


def nut_result(status: int) -> str:
    """The TRACKING answer of the upsd in use (2.8.5, or 2.8.0 when asked for)."""
    if status == 4 and stack_version() == "2.8.0":
        return "ERR UNKNOWN"
    return NUT_RESULT[status]


class RecordingHandler:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str, str | None]] = []
        self.status = 0

    def instcmd(self, name: str, param: str | None) -> int:
        self.calls.append(("instcmd", name, param))
        return self.status

    def setvar(self, name: str, value: str) -> int:
        self.calls.append(("setvar", name, value))
        return self.status


@dataclass
class Stack:
    upsd: Upsd
    dstate: DState
    handler: RecordingHandler
    server: DriverServer
    killed: list[str]


def capture_variables() -> dict[str, str]:
    upsc: dict[str, str] = shared_capture(CAPTURE)["upsc"]
    return {k: v for k, v in upsc.items() if not k.startswith("driver.")}


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    require_nut()
    require_shared()
    root = Path(tempfile.mkdtemp(prefix="hidups-upsd-"))
    (root / "state").mkdir()
    options = resolve_options(parse_command_line(["-a", "cap"]),
                              parse_ups_conf(UPS_CONF, "ups.conf"))
    d = DState()
    publish_core(d, options, version_internal="0.1")
    for name, value in capture_variables().items():
        if not name.startswith("device."):
            d.set(name, value)
    copy_device_identity(d)
    apply_overrides(d, options)
    d.set("ups.delay.shutdown", "20")
    d.set_flags("ups.delay.shutdown", "RW", "STRING")
    d.set_aux("ups.delay.shutdown", 10)
    d.set("input.sensitivity", "normal")
    d.add_enum("input.sensitivity", "low")
    d.add_enum("input.sensitivity", "normal")
    d.set_flags("input.sensitivity", "RW")
    for cmd in ("test.battery.start.quick", "load.off", "beeper.disable"):
        d.add_cmd(cmd)
    d.data_ok()
    handler = RecordingHandler()
    server = DriverServer(str(root / "state" / "hidups-cap"), d, handler)
    killed: list[str] = []
    def killpower() -> int:
        killed.append("killpower")
        return 0

    server.on_killpower = killpower
    server.start()
    upsd = start_upsd(UPS_CONF, root=root, maxage=MAXAGE)
    try:
        upsd.wait_for_vars("cap")
        yield Stack(upsd, d, handler, server, killed)
    finally:
        upsd.stop()
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


def test_upsc_shows_exactly_our_variables(stack: Stack) -> None:
    shown = stack.upsd.upsc_vars("cap")
    assert shown == {name: stack.dstate.get(name) for name in stack.dstate.names()}
    for name, value in capture_variables().items():
        if name != "battery.charge.low":
            assert shown[name] == value, name
    assert shown["battery.charge.low"] == "25"  # override.
    assert shown["device.mfr"] == shown["ups.mfr"]
    assert shown["driver.name"] == "hidups"
    assert shown["driver.parameter.pollfreq"] == "15"
    assert shown["driver.parameter.vendorid"] == "051d"
    assert "driver.parameter.desc" not in shown  # NUT's core keeps desc for upsd


def test_live_updates_reach_upsc_with_awkward_values(stack: Stack) -> None:
    value = 'say "hi" \\ #2'  # NUT 2.8.0 would send this unescaped and upsd would mangle it
    stack.dstate.set("ups.id", value)
    stack.dstate.set("battery.charge", "42")
    try:
        assert wait_until(lambda: stack.upsd.upsc("cap", "ups.id").stdout == value + "\n", 5)
        assert stack.upsd.upsc("cap", "battery.charge").stdout == "42\n"
    finally:
        stack.dstate.set("battery.charge", "100")
        stack.dstate.delete("ups.id")
    assert wait_until(lambda: stack.upsd.upsc("cap", "ups.id").returncode != 0, 5)


def test_stale_and_ok_edges_reach_upsc(stack: Stack) -> None:
    stack.dstate.data_stale()
    try:
        assert wait_until(lambda: "Data stale" in stack.upsd.upsc("cap").stderr, 5)
    finally:
        stack.dstate.data_ok()
    assert wait_until(lambda: stack.upsd.upsc("cap").returncode == 0, 5)


@pytest.mark.parametrize("status", [0, 1, 2, 3, 4])
def test_upscmd_tracking_result_maps_as_nut_does(stack: Stack, status: int) -> None:
    stack.handler.status = status
    stack.handler.calls.clear()
    try:
        result = stack.upsd.upscmd("cap", "test.battery.start.quick")
        with_param = stack.upsd.upscmd("cap", "load.off", "5")
    finally:
        stack.handler.status = 0
    assert nut_result(status) in result.stdout + result.stderr
    assert nut_result(status) in with_param.stdout + with_param.stderr
    assert stack.handler.calls == [("instcmd", "test.battery.start.quick", None),
                                   ("instcmd", "load.off", "5")]


@pytest.mark.parametrize("status", [0, 1, 2, 3, 4])
def test_upsrw_tracking_result_maps_as_nut_does(stack: Stack, status: int) -> None:
    stack.handler.status = status
    stack.handler.calls.clear()
    try:
        result = stack.upsd.upsrw("cap", "ups.delay.shutdown", "a b\"c")
        enum = stack.upsd.upsrw("cap", "input.sensitivity", "low")
    finally:
        stack.handler.status = 0
    assert nut_result(status) in result.stdout + result.stderr
    assert nut_result(status) in enum.stdout + enum.stderr
    assert stack.handler.calls == [("setvar", "ups.delay.shutdown", 'a b"c'),
                                   ("setvar", "input.sensitivity", "low")]


def test_upsd_checks_before_forwarding(stack: Stack) -> None:
    """upsd refuses, itself, what the driver did not declare: nothing reaches us."""
    stack.handler.calls.clear()
    not_listed = stack.upsd.upscmd("cap", "shutdown.stayoff")
    not_in_enum = stack.upsd.upsrw("cap", "input.sensitivity", "extreme")
    too_long = stack.upsd.upsrw("cap", "ups.delay.shutdown", "x" * 11)
    read_only = stack.upsd.upsrw("cap", "battery.charge", "5")
    assert "CMD-NOT-SUPPORTED" in not_listed.stderr
    assert "INVALID-VALUE" in not_in_enum.stderr
    assert "TOO-LONG" in too_long.stderr
    assert "READONLY" in read_only.stderr
    assert stack.handler.calls == []


def test_killpower_through_upsd_needs_allow_killpower(stack: Stack) -> None:
    stack.handler.calls.clear()
    listed = stack.upsd.run("upscmd", "-l", stack.upsd.address("cap")).stdout
    assert "driver.killpower" in listed and "driver.reload" in listed
    refused = stack.upsd.upscmd("cap", "driver.killpower")
    assert "ERR INVALID-ARGUMENT" in refused.stderr and stack.killed == []
    allowed = stack.upsd.upsrw("cap", "driver.flag.allow_killpower", "1")
    assert "SUCCESS" in allowed.stderr + allowed.stdout
    done = stack.upsd.upscmd("cap", "driver.killpower")
    assert "SUCCESS" in done.stderr and stack.killed == ["killpower"]
    stack.upsd.upsrw("cap", "driver.flag.allow_killpower", "0")
    assert stack.dstate.get("driver.flag.allow_killpower") == "0"
    assert stack.handler.calls == []  # the driver core answered, not the engine


@pytest.mark.slow
def test_upsd_pings_and_data_stays_fresh_without_updates(stack: Stack) -> None:
    """upsd PINGs a quiet driver after MAXAGE/3; without PONGs it would go stale."""
    time.sleep(MAXAGE + 2)
    result = stack.upsd.upsc("cap", "ups.status")
    assert result.returncode == 0 and result.stdout == "OL\n", result.stderr


def test_aionut_home_assistant_client(stack: Stack) -> None:
    aionut = pytest.importorskip("aionut")

    async def session() -> tuple[object, object, object, object]:
        client = aionut.AIONUTClient(host="127.0.0.1", port=stack.upsd.port,
                                     username=ADMIN, password=ADMIN_PASSWORD)
        try:
            upses = await client.list_ups()
            variables = await client.list_vars("cap")
            commands = await client.list_commands("cap")
            ran = await client.run_command("cap", "beeper.disable")
        finally:
            client.shutdown()
        return upses, variables, commands, ran

    stack.handler.calls.clear()
    upses, variables, commands, _ = asyncio.run(session())
    assert upses == {"cap": "capture one"}
    assert variables == stack.upsd.upsc_vars("cap")
    assert commands == set(stack.dstate.commands())
    assert stack.handler.calls == [("instcmd", "beeper.disable", None)]
