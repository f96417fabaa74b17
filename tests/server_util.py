"""A recording command handler and a capture's dstate, for the driver-socket tests."""

from __future__ import annotations

from conftest import SHARED_CAPTURES, require_shared
from shared_captures import shared_capture

from hidups.nut.dstate import DState

CAPTURE = SHARED_CAPTURES / "apc-back-ups-cs500-nutddl.json"


class RecordingHandler:
    """The engine's side: records calls, answers with a configured status."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, str | None]] = []
        self.status: dict[str, int] = {}

    def instcmd(self, name: str, param: str | None) -> int:
        self.calls.append(("instcmd", name, param))
        return self.status.get(name, 0)

    def setvar(self, name: str, value: str) -> int:
        self.calls.append(("setvar", name, value))
        if name == "boom":
            raise RuntimeError("device unplugged")
        return self.status.get(name, 0)


def capture_dstate() -> DState:
    require_shared()
    d = DState()
    for name, value in shared_capture(CAPTURE)["upsc"].items():
        d.set(name, value)
    d.set("ups.delay.shutdown", "20")
    d.set_flags("ups.delay.shutdown", "RW", "STRING")
    d.set_aux("ups.delay.shutdown", 10)
    d.add_cmd("test.battery.start.quick")
    d.add_cmd("load.off")
    d.data_ok()
    return d
