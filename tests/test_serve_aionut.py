"""aionut, Home Assistant's NUT client, against ``hidups serve`` and against NUT 2.8.5's
own upsd serving ``hidups -a`` on the same replayed capture: the UPS list with its
description, the variables, the commands, and a logged-in command give the same
answers through both servers (issue 14, evidence 1)."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from conftest import PROJECT_CAPTURES, ROOT, require, require_nut
from nut_util import ADMIN, ADMIN_PASSWORD, free_port, hidups_under_upsd, wait_until

BK650 = PROJECT_CAPTURES / "apc-bk650m2-ch.json"
DESC = "replayed BK650M2"


async def survey(port: int) -> dict[str, Any]:
    """What Home Assistant reads at set-up, and a command as the admin."""
    from aionut import AIONUTClient

    reader = AIONUTClient("127.0.0.1", port, None, None, timeout=10)
    admin = AIONUTClient("127.0.0.1", port, ADMIN, ADMIN_PASSWORD, timeout=10)
    try:
        seen: dict[str, Any] = {
            "ups": await reader.list_ups(),
            "vars": await reader.list_vars("ups"),
            "commands": await reader.list_commands("ups"),
            "description": await reader.description("ups"),
        }
        await admin.run_command("ups", "beeper.disable")
        for _ in range(50):  # the driver applies it, then the next walk publishes it
            after = await reader.list_vars("ups")
            if after.get("ups.beeper.status") == "disabled":
                break
            await asyncio.sleep(0.2)
        seen["after"] = after.get("ups.beeper.status")
        return seen
    finally:
        reader.shutdown()
        admin.shutdown()


@contextmanager
def hidups_serve(tmp_path: Path) -> Iterator[int]:
    """``hidups serve`` on the capture, with upsd.users holding the same admin."""
    (tmp_path / "ups.conf").write_text(
        f"[ups]\n    driver = hidups\n    port = replay:{BK650}\n    pollinterval = 1\n"
        f'    desc = "{DESC}"\n')
    (tmp_path / "upsd.users").write_text(
        f"[{ADMIN}]\n    password = {ADMIN_PASSWORD}\n    actions = SET\n"
        "    instcmds = ALL\n")
    port = free_port()
    log = tmp_path / "serve.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "hidups", "serve", "-F", "--upsconf",
             str(tmp_path / "ups.conf"), "--users", str(tmp_path / "upsd.users"),
             "--listen", f"127.0.0.1:{port}"],
            env={"PATH": "/usr/bin:/bin", "NUT_CONFPATH": str(tmp_path),
                 "NUT_STATEPATH": str(tmp_path), "PYTHONPATH": str(ROOT)},
            stdout=out, stderr=subprocess.STDOUT)
    try:
        def up() -> bool:
            try:
                return bool(asyncio.run(listed(port)))
            except Exception:
                return False
        assert wait_until(up, timeout=30, step=0.3), log.read_text()
        yield port
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


async def listed(port: int) -> dict[str, str]:
    from aionut import AIONUTClient

    client = AIONUTClient("127.0.0.1", port, None, None, timeout=3)
    try:
        return dict(await client.list_vars("ups"))
    finally:
        client.shutdown()


@pytest.mark.nut
@pytest.mark.slow
def test_home_assistants_client_sees_the_same_through_serve_and_upsd(tmp_path: Path) -> None:
    require_nut()
    require(BK650.exists(), f"{BK650} is missing")
    pytest.importorskip("aionut")
    with hidups_under_upsd(BK650, f'    desc = "{DESC}"\n') as upsd:
        nut = asyncio.run(survey(upsd.port))
    with hidups_serve(tmp_path) as port:
        ours = asyncio.run(survey(port))
    assert ours["ups"] == nut["ups"] == {"ups": DESC}
    assert ours["description"] == nut["description"] == DESC
    assert ours["commands"] == nut["commands"]
    assert {"beeper.disable", "load.off.delay"} <= set(ours["commands"])
    assert ours["vars"] == nut["vars"]
    assert ours["vars"]["ups.model"] == "BK650M2-CH"
    # the command reached the replayed device through either server
    assert ours["after"] == nut["after"] == "disabled"
