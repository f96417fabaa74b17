"""aionut (the client library of Home Assistant's NUT integration) against NUT's real upsd
serving hidups on a replayed capture.

Home Assistant lists the UPSes, their variables and their commands, and runs commands;
each must give what NUT's own clients (upsc, upscmd -l) give, and a command or a write
must change the replayed device, seen back through aionut.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import pytest
from conftest import PROJECT_CAPTURES, require, require_nut

BK650 = PROJECT_CAPTURES / "apc-bk650m2-ch.json"
T = TypeVar("T")


@contextmanager
def served(capture: Path) -> Iterator[Any]:
    """upsd with hidups (``-F``) on ``capture`` as UPS ``ups``; yields nut_util's Upsd."""
    from nut_util import upsd_running

    conf = (f"[ups]\n    driver = hidups\n    port = replay:{capture}\n"
            "    desc = \"replayed BK650M2\"\n    pollinterval = 1\n")
    with upsd_running(conf) as upsd:
        with open(upsd.root / "driver.log", "wb") as log:
            driver = subprocess.Popen([sys.executable, "-m", "hidups", "-a", "ups", "-F"],
                                      env=upsd.env, stdout=log, stderr=subprocess.STDOUT)
        try:
            upsd.wait_for_vars("ups")
            yield upsd
        finally:
            driver.terminate()
            driver.wait(timeout=10)


def with_client(upsd: Any, work: Callable[[Any], Awaitable[T]], admin: bool = False) -> T:
    """Run ``work(client)`` on a fresh aionut client (logged in as upsd's admin if asked)."""
    from aionut import AIONUTClient
    from nut_util import ADMIN, ADMIN_PASSWORD

    async def run() -> T:
        client = AIONUTClient("127.0.0.1", upsd.port, ADMIN if admin else None,
                              ADMIN_PASSWORD if admin else None, timeout=10)
        try:
            return await work(client)
        finally:
            client.shutdown()

    return asyncio.run(run())


def upscmd_list(upsd: Any) -> set[str]:
    """The command names ``upscmd -l`` prints."""
    result = upsd.run("upscmd", "-l", upsd.address("ups"))
    assert result.returncode == 0, result.stderr
    return {line.split(" - ", 1)[0] for line in result.stdout.splitlines() if " - " in line}


def aionut_var(upsd: Any, name: str) -> str | None:
    async def read(client: Any) -> str | None:
        values: dict[str, str] = await client.list_vars("ups")
        return values.get(name)

    return with_client(upsd, read)


def eventually(check: Callable[[], bool], timeout: float = 8.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.25)
    return check()


@pytest.mark.nut
def test_aionut_lists_what_upsc_shows() -> None:
    require_nut()
    require(BK650.exists(), f"{BK650} is missing")
    pytest.importorskip("aionut")
    with served(BK650) as upsd:
        async def survey(client: Any) -> tuple[dict[str, str], dict[str, str], set[str]]:
            return (await client.list_ups(), await client.list_vars("ups"),
                    await client.list_commands("ups"))

        ups_list, variables, commands = with_client(upsd, survey)
        assert ups_list == {"ups": "replayed BK650M2"}
        assert variables == upsd.upsc_vars("ups")
        assert variables["ups.status"] == "OL DISCHRG"  # NUT's upsc in the capture says so
        assert variables["ups.model"] == "BK650M2-CH"
        assert commands == upscmd_list(upsd)
        assert {"beeper.enable", "beeper.disable", "load.off.delay"} <= commands


@pytest.mark.nut
def test_aionut_command_and_write_change_the_replayed_device() -> None:
    require_nut()
    require(BK650.exists(), f"{BK650} is missing")
    pytest.importorskip("aionut")
    from aionut import NUTCommandError

    with served(BK650) as upsd:
        assert aionut_var(upsd, "ups.beeper.status") == "disabled"

        async def beeper_on(client: Any) -> str:
            reply: str = await client.run_command("ups", "beeper.enable")
            return reply

        assert with_client(upsd, beeper_on, admin=True) == "OK"
        # the command writes the device's AudibleAlarmControl; the next walk reads it back
        assert eventually(lambda: aionut_var(upsd, "ups.beeper.status") == "enabled"), \
            upsd.upsc_vars("ups")

        async def arm_shutdown(client: Any) -> str:
            reply: str = await client.run_command("ups", "load.off.delay", "45")
            return reply

        assert with_client(upsd, arm_shutdown, admin=True) == "OK"
        assert eventually(lambda: aionut_var(upsd, "ups.timer.shutdown") == "45")

        async def unknown(client: Any) -> str:
            reply: str = await client.run_command("ups", "no.such.command")
            return reply

        with pytest.raises(NUTCommandError, match="CMD-NOT-SUPPORTED"):
            with_client(upsd, unknown, admin=True)

        # aionut has no SET VAR; NUT's upsrw writes, aionut reads back
        result = upsd.upsrw("ups", "battery.runtime.low", "240")
        assert result.returncode == 0 and "SUCCESS" in result.stderr, result.stderr
        assert aionut_var(upsd, "battery.runtime.low") == "240"
        assert upsd.upsc("ups", "battery.runtime.low").stdout.strip() == "240"
