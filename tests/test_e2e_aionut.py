"""aionut (the client library of Home Assistant's NUT integration) against NUT's real upsd
serving hidups on a replayed capture.

Home Assistant lists the UPSes, their variables and their commands, and runs commands;
each must give what NUT's own clients (upsc, upscmd -l) give, and a command or a write
must change the replayed device, seen back through aionut.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import pytest
from conftest import PROJECT_CAPTURES, require, require_nut
from nut_util import hidups_under_upsd, wait_until

BK650 = PROJECT_CAPTURES / "apc-bk650m2-ch.json"
T = TypeVar("T")


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


@pytest.mark.nut
def test_aionut_lists_what_upsc_shows() -> None:
    require_nut()
    require(BK650.exists(), f"{BK650} is missing")
    pytest.importorskip("aionut")
    with hidups_under_upsd(BK650, '    desc = "replayed BK650M2"\n') as upsd:
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

    with hidups_under_upsd(BK650, '    desc = "replayed BK650M2"\n') as upsd:
        assert aionut_var(upsd, "ups.beeper.status") == "disabled"

        async def beeper_on(client: Any) -> str:
            reply: str = await client.run_command("ups", "beeper.enable")
            return reply

        assert with_client(upsd, beeper_on, admin=True) == "OK"
        # the command writes the device's AudibleAlarmControl; the next walk reads it back
        assert wait_until(lambda: aionut_var(upsd, "ups.beeper.status") == "enabled",
                          timeout=8.0, step=0.25), \
            upsd.upsc_vars("ups")

        async def arm_shutdown(client: Any) -> str:
            reply: str = await client.run_command("ups", "load.off.delay", "45")
            return reply

        assert with_client(upsd, arm_shutdown, admin=True) == "OK"
        assert wait_until(lambda: aionut_var(upsd, "ups.timer.shutdown") == "45",
                          timeout=8.0, step=0.25)

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
