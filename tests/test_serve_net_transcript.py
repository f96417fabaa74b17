"""Transcript comparison: the same requests to NUT 2.8.5's upsd and to our server.

upsd serves ``hidups -a ups`` replaying a real capture through its driver socket; our
server serves the same data tree (the driver's DUMPALL, what upsd holds) with its
commands forwarded to the same driver socket. Every request of :data:`TRANSCRIPT` is
sent to both, on the same sequence of connections, and the answers are compared line
by line. The only differences allowed are :data:`EXPECTED_DIFFERENCES` (upsd's version
string against ours); tracking ids are random and compared as ``<uuid>``. Debian's NUT
2.8.0 is the second column: it also differs where 2.8.5 changed (:data:`CHANGED_SINCE_280`).
:data:`STALE_TRANSCRIPT` compares the answers while the data is stale.
"""

from __future__ import annotations

import os
import re
import signal
import time
from pathlib import Path

import pytest
from conftest import SHARED_CAPTURES, require_nut, require_nut285, require_shared
from nut_util import hidups_under_upsd
from serve_net_util import USERS_TEXT, DriverForward, LineClient, dstate_from_dump

from hidups.nut.client import DriverClient
from hidups.serve.model import ServedUps
from hidups.serve.netserver import NetServer
from hidups.serve.users import Users

pytestmark = pytest.mark.nut


CAPTURE = SHARED_CAPTURES / "cyberpower-cp1500pfclcd-nut2642.json"
DESC = 'Rack \\"A\\" UPS'

#: One list of requests per connection, in order.
TRANSCRIPT: list[list[str]] = [
    [  # anonymous: everything that needs no login, and the refusals
        "VER", "NETVER", "PROTVER", "HELP", "HELP me", "VER 1", "BOGUS", "bogus thing",
        "LIST UPS", "list ups", "LIST VAR ups", "LIST VAR UPS", "LIST VAR nope", "LIST RW ups",
        "LIST CMD ups", "LIST CMD nope", "LIST ENUM ups input.sensitivity",
        "LIST ENUM ups nope.var", "LIST ENUM nope input.sensitivity",
        "LIST RANGE ups input.transfer.low", "LIST RANGE ups nope.var", "LIST CLIENT ups",
        "LIST CLIENT nope", "LIST", "LIST VAR", "LIST ENUM ups", "LIST FOO ups x",
        "GET VAR ups ups.status", "GET VAR ups battery.charge", 'GET VAR ups "ups.status"',
        "get var ups UPS.STATUS", "GET VAR UPS ups.status", "GET VAR ups nope.var",
        "GET VAR nope ups.status", "GET VAR ups server.nope", "GET VAR ups server.version",
        "GET VAR nope server.version", "GET VAR ups server.info", "GET VAR ups ups.mfr extra",
        "GET TYPE ups input.sensitivity", "GET TYPE ups battery.charge",
        "GET TYPE ups ups.delay.shutdown", "GET TYPE ups driver.debug",
        "GET TYPE ups nope.var", "GET TYPE nope battery.charge",
        "GET DESC ups battery.charge", "GET DESC ups nope.var", "GET DESC nope battery.charge",
        "GET DESC ups upstream.battery.charge",
        "GET CMDDESC ups test.battery.start.quick", "GET CMDDESC ups nope.cmd",
        "GET CMDDESC nope test.battery.start.quick",
        "GET UPSDESC ups", "GET UPSDESC nope", "GET NUMLOGINS ups", "GET NUMLOGINS nope",
        "GET NUMATTACH ups", "GET TRACKING", "GET TRACKING 1234", "GET", "GET VAR ups",
        "GET FOO ups x",
        "SET VAR ups ups.delay.shutdown 60", "SET TRACKING ON", "INSTCMD ups beeper.mute",
        "LOGIN ups", "FSD ups", "PRIMARY ups", "MASTER ups", "STARTTLS",
        "PASSWORD early", "SET VAR ups ups.delay.shutdown 60", "LOGIN ups",
        "USERNAME admin", "USERNAME again", "USERNAME a b", "PASSWORD again",
        "SET VAR ups ups.delay.shutdown 60", "INSTCMD ups test.battery.stop", "LOGIN ups",
        "GET VAR ups ups.status\r", "GET\tVAR  ups\t ups.status",
        "GET VAR ups " + "A" * 1_000_000, "B" * 1_000_000,
        "GET VAR ups ups.status " + "x " * 500_000, "LIST VAR ups " + "y" * 600,
        "LOGOUT extra", "LOGOUT",
    ],
    [  # admin: SET and every INSTCMD, no LOGIN/FSD/PRIMARY
        "USERNAME admin", "PASSWORD adminpass",
        "SET VAR ups ups.delay.shutdown 60", "set var ups ups.delay.shutdown 60",
        "SET VAR ups ups.delay.shutdown 12345678901", "SET VAR ups ups.delay.shutdown \"\"",
        "SET VAR ups battery.charge 5", "SET VAR ups nope.var 1", "SET VAR nope x 1",
        "SET VAR ups input.sensitivity high", "SET VAR ups", "SET VAR ups ups.delay.shutdown",
        "SET FOO ups x y", "SET TRACKING maybe", "SET TRACKING", "SET TRACKING ON",
        "GET TRACKING", "SET VAR ups ups.delay.start 120", "GET TRACKING nope-id",
        "SET TRACKING OFF", "GET TRACKING", "GET TRACKING nope-id",
        "INSTCMD ups test.battery.stop", "INSTCMD ups TEST.BATTERY.STOP",
        "INSTCMD ups nope.cmd", "INSTCMD nope test.battery.stop", "INSTCMD ups",
        "INSTCMD ups test.battery.stop 1 2",
        "LOGIN ups", "FSD ups", "PRIMARY ups", "MASTER ups", "LOGOUT",
    ],
    [  # wrong password: every right refused
        "USERNAME admin", "PASSWORD wrong", "SET VAR ups ups.delay.shutdown 60",
        "INSTCMD ups test.battery.stop", "LOGIN ups", "FSD ups", "LOGOUT",
    ],
    [  # an unknown user
        "USERNAME ghost", "PASSWORD adminpass", "SET VAR ups ups.delay.shutdown 60",
        "INSTCMD ups test.battery.stop", "LOGIN ups", "LOGOUT",
    ],
    [  # operator: SET and FSD, one command
        "USERNAME operator", "PASSWORD oppass", "INSTCMD ups test.battery.stop",
        "INSTCMD ups test.battery.start.quick x", "SET VAR ups ups.delay.shutdown 60",
        "LOGIN ups", "PRIMARY ups", "LOGOUT",
    ],
    [  # secondary upsmon: LOGIN only
        "USERNAME watcher", "PASSWORD watchpass", "LOGIN ups", "GET NUMLOGINS ups",
        "PRIMARY ups", "FSD ups", "SET VAR ups ups.delay.shutdown 60", "LOGOUT",
    ],
    [  # primary upsmon: LOGIN, PRIMARY/MASTER, FSD (last: FSD stays set in upsd)
        "USERNAME monuser", "PASSWORD monpass", "LOGIN nope", "LOGIN", "LOGIN ups",
        "LOGIN ups", "GET NUMLOGINS ups", "LIST CLIENT ups", "PRIMARY ups",
        "MASTER ups", "PRIMARY", "PRIMARY nope", "SET VAR ups ups.delay.shutdown 60",
        "INSTCMD ups test.battery.stop", "FSD nope", "FSD", "FSD ups",
        "GET VAR ups ups.status", "LIST VAR ups", "LOGOUT",
    ],
]

#: Requests whose answers differ on purpose (docs/serve-protocol.md), with the reason.
EXPECTED_DIFFERENCES = {
    "VER": "our version line names hidups next to the upsd version we follow",
    "GET VAR ups server.info": "the same version line as VER",
}
#: NUT 2.8.0 (the second column) differs from 2.8.5, which we follow, in these answers.
CHANGED_SINCE_280 = {
    "HELP": "2.8.5 lists PROTVER",
    "GET VAR ups server.version": "2.8.0 is 2.8.0",
    "GET VAR nope server.version": "2.8.0 is 2.8.0",
    "GET DESC ups upstream.battery.charge": "2.8.5 strips 'upstream.' to find a description",
}
_UUID = re.compile(r"[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}")


def run_transcript(address: tuple[str, int],
                   transcript: list[list[str]] | None = None) -> list[tuple[str, list[str]]]:
    answers: list[tuple[str, list[str]]] = []
    for requests in TRANSCRIPT if transcript is None else transcript:
        with LineClient(address) as client:
            for request in requests:
                reply = [_UUID.sub("<uuid>", line) for line in client.ask(request)]
                answers.append((request, reply))
                if request == "SET VAR ups ups.delay.start 120":
                    time.sleep(0.5)  # let the tracked command finish before the next GET
            assert client.closed(), "LOGOUT must close the connection"
    return answers


def compare(ours: list[tuple[str, list[str]]], theirs: list[tuple[str, list[str]]],
            expected: dict[str, str]) -> tuple[int, list[str]]:
    """(answer lines equal, differences) between two transcripts."""
    equal, differences = 0, []
    for (request, mine), (_, nut) in zip(ours, theirs, strict=True):
        if request in expected:
            assert mine != nut, f"{request}: expected a difference, got the same answer"
            continue
        if mine == nut:
            equal += len(mine)
        else:
            differences.append(f"{request[:80]!r}: upsd {nut} / ours {mine}")
    return equal, differences


@pytest.mark.parametrize("stack", ["2.8.5", "2.8.0"])
def test_transcript_matches_upsd(stack: str, monkeypatch: pytest.MonkeyPatch) -> None:
    require_nut()
    if stack == "2.8.5":
        require_nut285()
    require_shared()
    monkeypatch.setenv("HIDUPS_NUT_STACK", stack)
    expected = dict(EXPECTED_DIFFERENCES)
    if stack == "2.8.0":
        expected.update(CHANGED_SINCE_280)
    extra = f'    desc = "{DESC}"\n'
    with hidups_under_upsd(CAPTURE, extra) as upsd:
        users_path = upsd.conf / "upsd.users"
        users_path.write_text(USERS_TEXT)
        os.chmod(users_path, 0o600)
        assert upsd.proc is not None
        upsd.proc.send_signal(signal.SIGHUP)  # reload upsd.users
        time.sleep(1.0)
        socket_path = str(upsd.state / "hidups-ups")
        with DriverClient(socket_path) as driver:
            dstate = dstate_from_dump(driver.dump())
        served = ServedUps("ups", 'Rack "A" UPS', dstate, DriverForward(socket_path))
        with NetServer({"ups": served}, Users.from_text(USERS_TEXT),
                       [("127.0.0.1", 0)]) as server:
            theirs = run_transcript(("127.0.0.1", upsd.port))
            ours = run_transcript(server.addresses[0])
    equal, differences = compare(ours, theirs, expected)
    report = Path(os.environ.get("HIDUPS_TRANSCRIPT_REPORT", "/dev/null") + f".{stack}")
    if not str(report).startswith("/dev/null"):
        report.write_text("\n".join(f"{r[:80]!r} -> {a}" for r, a in theirs) + "\n")
    assert not differences, "\n".join(differences)
    print(f"upsd {stack}: {len(theirs)} requests, {equal} answer lines equal, "
          f"{len(expected)} expected differences")
    assert equal > 150


#: Sent while the data is stale: upsd's driver is stopped (SIGSTOP) until it stops
#: answering upsd's PINGs for MAXAGE; our tree is marked stale.
STALE_TRANSCRIPT: list[list[str]] = [
    ["GET VAR ups ups.status", "GET TYPE ups ups.status", "GET DESC ups ups.status",
     "GET CMDDESC ups test.battery.stop", "GET NUMLOGINS ups", "GET UPSDESC ups",
     "GET VAR ups server.version", "LIST UPS", "LIST VAR ups", "LIST RW ups", "LIST CMD ups",
     "LIST ENUM ups input.sensitivity", "LIST RANGE ups input.transfer.low",
     "LIST CLIENT ups", "GET VAR nope ups.status", "LOGOUT"],
    ["USERNAME admin", "PASSWORD adminpass", "SET VAR ups ups.delay.shutdown 60",
     "SET VAR ups nope.var 1", "INSTCMD ups test.battery.stop", "INSTCMD ups nope.cmd",
     "INSTCMD nope x", "LOGOUT"],
    ["USERNAME monuser", "PASSWORD monpass", "LOGIN ups", "PRIMARY ups", "GET NUMLOGINS ups",
     "FSD ups", "GET VAR ups ups.status", "LOGOUT"],
]


def test_stale_transcript_matches_upsd_285() -> None:
    require_nut()
    require_nut285()
    require_shared()
    import subprocess
    import sys

    from nut_util import upsd_running, wait_until

    conf = (f"[ups]\n    driver = hidups\n    port = replay:{CAPTURE}\n"
            "    pollinterval = 1\n")
    with upsd_running(conf, maxage=3) as upsd:
        users_path = upsd.conf / "upsd.users"
        users_path.write_text(USERS_TEXT)
        os.chmod(users_path, 0o600)
        with open(upsd.root / "driver.log", "wb") as log:
            driver = subprocess.Popen([sys.executable, "-m", "hidups", "-a", "ups", "-F"],
                                      env=upsd.env, stdout=log, stderr=subprocess.STDOUT)
        try:
            assert upsd.proc is not None
            upsd.proc.send_signal(signal.SIGHUP)  # reload upsd.users
            upsd.wait_for_vars("ups")
            socket_path = str(upsd.state / "hidups-ups")
            with DriverClient(socket_path) as client:
                dstate = dstate_from_dump(client.dump())
            driver.send_signal(signal.SIGSTOP)
            assert wait_until(lambda: "stale" in upsd.upsc("ups").stderr.lower(), timeout=20,
                              step=0.5), upsd.log()
            dstate.data_stale()
            served = ServedUps("ups", "", dstate, DriverForward(socket_path))
            with NetServer({"ups": served}, Users.from_text(USERS_TEXT),
                           [("127.0.0.1", 0)]) as server:
                theirs = run_transcript(("127.0.0.1", upsd.port), STALE_TRANSCRIPT)
                ours = run_transcript(server.addresses[0], STALE_TRANSCRIPT)
        finally:
            driver.send_signal(signal.SIGCONT)
            driver.terminate()
            driver.wait(timeout=10)
    equal, differences = compare(ours, theirs, {})
    assert not differences, "\n".join(differences)
    assert sum(1 for _, answer in theirs if answer == ["ERR DATA-STALE"]) >= 12
    print(f"stale upsd 2.8.5: {len(theirs)} requests, {equal} answer lines equal")
