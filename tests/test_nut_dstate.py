"""The variable store: NUT's dump order and escaping, broadcast-on-change, staleness.

The reference is NUT itself: Debian's ``dummy-ups`` serves a real capture's ``upsc``
section on a real NUT driver socket; replaying its DUMPALL into our DState must give
back the identical dump, line for line.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from conftest import SHARED_CAPTURES, require_nut, require_shared
from nut_util import dev_file_text, dummy_ups_running
from shared_captures import shared_capture

from hidups.nut.client import DriverClient
from hidups.nut.dstate import DState
from hidups.nut.protocol import quote

CAPTURE = SHARED_CAPTURES / "apc-back-ups-cs500-nutddl.json"


def capture_vars(path: Path = CAPTURE) -> dict[str, str]:
    require_shared()
    upsc: dict[str, str] = shared_capture(path)["upsc"]
    return upsc


def replay(lines: list[list[str]]) -> DState:
    """Feed a driver's DUMPALL (as words) into a fresh DState."""
    d = DState()
    for words in lines:
        verb, args = words[0], words[1:]
        if verb == "SETINFO":
            d.set(args[0], args[1])
        elif verb == "SETAUX":
            d.set_aux(args[0], int(args[1]))
        elif verb == "SETFLAGS":
            d.set_flags(args[0], *args[1:])
        elif verb == "ADDENUM":
            d.add_enum(args[0], args[1])
        elif verb == "ADDRANGE":
            d.add_range(args[0], int(args[1]), int(args[2]))
        elif verb == "ADDCMD":
            d.add_cmd(args[0])
        elif verb == "DATAOK":
            d.data_ok()
    return d


def raw_dump(sock: Path) -> list[str]:
    with DriverClient(str(sock)) as client:
        client.send("DUMPALL")
        data = b""
        deadline = time.monotonic() + 5
        while not data.endswith(b"DUMPDONE\n") and time.monotonic() < deadline:
            data += client.sock.recv(65536)
    return data.decode("latin-1").splitlines()


@pytest.mark.nut
def test_dump_is_identical_to_nut_dummy_ups_for_a_real_capture() -> None:
    require_nut()
    variables = capture_vars()
    variables["ups.id"] = 'quote " back \\ hash # end'  # NUT escapes these three
    with dummy_ups_running(dev_file_text(variables)) as sock:
        with DriverClient(str(sock)) as client:
            nut_words = client.dump()
        nut_lines = raw_dump(sock)
    ours = replay(nut_words)
    assert ours.dump() == nut_lines
    assert 'SETINFO ups.id "quote \\" back \\\\ hash \\# end"' in nut_lines
    for name, value in capture_vars().items():
        if not name.startswith("driver."):  # dummy-ups publishes its own
            assert ours.get(name) == value


@pytest.mark.nut
def test_nut_sends_live_setinfo_unescaped_and_we_escape_it() -> None:
    """NUT 2.8.0 quirk (docs/differences.md): live SETINFO carries the raw value."""
    require_nut()
    dev = 'ups.id: start\nTIMER 1\nups.id: "a \\" b \\\\ c"\nTIMER 1\n'
    with (
        dummy_ups_running(dev, mode="dummy-loop", interval=1) as sock,
        DriverClient(str(sock), timeout=10) as client,
    ):
        raw = b""
        deadline = time.monotonic() + 8
        while b'SETINFO ups.id "a ' not in raw and time.monotonic() < deadline:
            raw += client.sock.recv(4096)
    assert b'SETINFO ups.id "a " b \\ c"\n' in raw  # broken quoting on NUT's wire
    lines: list[str] = []
    d = DState()
    d.set("ups.id", "start")
    d.subscribe(lines.append)
    d.set("ups.id", 'a " b \\ c')
    assert lines == ['SETINFO ups.id "a \\" b \\\\ c"']


def test_names_are_sorted_case_insensitively_like_strcasecmp() -> None:
    d = DState()
    for name in ("ups.status", "Battery.charge", "battery.Charge.low", "battery_x", "device.type"):
        d.set(name, "1")
    assert d.names() == [
        "Battery.charge", "battery.Charge.low", "battery_x", "device.type", "ups.status"
    ]
    assert d.get("BATTERY.CHARGE") == "1"


def test_broadcasts_only_on_change_and_in_protocol_form() -> None:
    d = DState()
    lines: list[str] = []
    unsubscribe = d.subscribe(lines.append)
    d.set("ups.status", "OL")
    d.set("ups.status", "OL")
    d.set("ups.status", "OB")
    d.set_flags("ups.status", "RW", "STRING")
    d.set_flags("ups.status", "STRING", "RW")
    d.set_aux("ups.status", 32)
    d.set_aux("ups.status", 32)
    d.add_enum("ups.status", "OL")
    d.add_enum("ups.status", "OL")
    d.add_cmd("load.off")
    d.add_cmd("LOAD.OFF")
    d.data_stale()  # already stale at start: no edge
    d.data_ok()
    d.data_ok()
    d.data_stale()
    d.del_enum("ups.status", "OL")
    d.del_cmd("load.off")
    d.delete("ups.status")
    d.delete("ups.status")
    unsubscribe()
    d.set("x", "1")
    assert lines == [
        'SETINFO ups.status "OL"',
        'SETINFO ups.status "OB"',
        "SETFLAGS ups.status RW STRING",
        "SETAUX ups.status 32",
        'ADDENUM ups.status "OL"',
        "ADDCMD load.off",
        "DATAOK",
        "DATASTALE",
        'DELENUM ups.status "OL"',
        "DELCMD load.off",
        "DELINFO ups.status",
    ]


def test_dump_order_matches_sock_protocol() -> None:
    """DATASTALE first when stale; per variable SETINFO, ADDENUM, ADDRANGE, SETAUX,
    SETFLAGS; then ADDCMDs sorted; DATAOK when fresh; DUMPDONE."""
    d = DState()
    d.add_cmd("test.battery.start")
    d.add_cmd("beeper.disable")
    d.set("ups.delay.shutdown", "20")
    d.add_range("ups.delay.shutdown", 0, 600)
    d.set_flags("ups.delay.shutdown", "RW", "NUMBER")
    d.set("input.sensitivity", "normal")
    d.add_enum("input.sensitivity", "low")
    d.add_enum("input.sensitivity", "normal")
    d.set_aux("input.sensitivity", 10)
    d.set_flags("input.sensitivity", "STRING", "RW")
    stale = d.dump()
    assert stale[0] == "DATASTALE" and "DATAOK" not in stale
    d.data_ok()
    assert d.dump() == [
        'SETINFO input.sensitivity "normal"',
        'ADDENUM input.sensitivity "low"',
        'ADDENUM input.sensitivity "normal"',
        "SETAUX input.sensitivity 10",
        "SETFLAGS input.sensitivity RW STRING",
        'SETINFO ups.delay.shutdown "20"',
        "ADDRANGE ups.delay.shutdown 0 600",
        "SETFLAGS ups.delay.shutdown RW NUMBER",
        "ADDCMD beeper.disable",
        "ADDCMD test.battery.start",
        "DATAOK",
        "DUMPDONE",
    ]
    assert d.dump_value("ups.delay.shutdown")[-2:] == ["DATAOK", "DUMPDONE"]
    assert d.dump_value("nope") == ["DATAOK", "DUMPDONE"]


def test_add_range_sets_number_as_nut_does() -> None:
    d = DState()
    d.set("x", "1")
    d.add_range("x", 1, 5)
    var = d.variable("x")
    assert var is not None and var.flags == {"NUMBER"}


def test_immutable_freezes_value_and_flags_and_is_never_sent() -> None:
    d = DState()
    d.set("battery.charge.low", "30")
    d.set_flags("battery.charge.low", "IMMUTABLE")
    d.set("battery.charge.low", "10")
    d.set_flags("battery.charge.low", "RW", "NUMBER")
    assert d.get("battery.charge.low") == "30"
    assert "SETFLAGS" not in " ".join(d.dump())


def test_values_are_truncated_to_nuts_255_characters() -> None:
    d = DState()
    d.set("ups.id", "x" * 300)
    assert d.get("ups.id") == "x" * 255


def test_bad_names_and_flags_are_refused() -> None:
    d = DState()
    with pytest.raises(ValueError):
        d.set("two words", "1")
    d.set("x", "1")
    with pytest.raises(ValueError):
        d.set_flags("x", "WRITABLE")


def test_upsc_lines_for_a_real_capture() -> None:
    variables = capture_vars()
    d = DState()
    for name, value in reversed(list(variables.items())):
        d.set(name, value)
    assert d.upsc_lines() == [f"{k}: {v}" for k, v in variables.items()]
    assert quote(variables["ups.firmware"]) == '" 6.5.I"'
