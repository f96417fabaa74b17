"""NUT's ``mecer`` protocol: the Megatec table plus Voltronic's ``QPI`` and ``(ACK``/``(NAK``.

Why: Mecer (Voltronic P98) units answer commands with ``(ACK``/``(NAK``, accept 12-second
battery tests and report their protocol in ``QPI``; the claim tells them from plain Q1.
"""

from __future__ import annotations

from hidups.qx import blazer
from hidups.qx.engine import Engine
from hidups.qx.items import Item, QxFlag, QxProtocol, StFlag, row
from hidups.qx.megatec import CMD, RATING_ROWS, command_rows, status_rows, vendor_rows


def p98_protocol(engine: Engine, item: Item, value: str) -> str | None:
    """``voltronic_p98_protocol``: only ``PI98`` is supported."""
    if value.lower() != "pi98":
        return None
    return "Voltronic Power P98"


def process_test_battery(engine: Engine, item: Item, value: str) -> str | None:
    """``mecer_process_test_battery``: ``T.N`` below a minute (P98 only), else ``TMM``."""
    protocol = engine.getinfo("ups.firmware.aux")
    low = 12 if protocol is not None and protocol.lower() == "voltronic power p98" else 60
    if not value.isdigit() and value:
        return None
    seconds = int(value) if value else 600
    if seconds < low or seconds > 5940:
        return None
    text = f".{seconds // 6}" if seconds < 60 else "%02d" % (seconds // 60)
    return (item.command or "").replace("%s", text, 1)


def claim(engine: Engine) -> bool:
    """``mecer_claim``: Q1 answers, and QPI says PI98 or is refused with ``(NAK``."""
    index = engine.find("input.voltage")
    if index is None:
        return False
    item = engine.protocol.table[index]
    result = engine.process(item)
    if not result.ok or engine.infoval_set(item, result.value) != 1:
        return False
    index = engine.find("ups.firmware.aux")
    if index is None:
        engine.delinfo("input.voltage")
        return False
    item = engine.protocol.table[index]
    result = engine.process(item)
    if not result.ok:
        if not result.answer or result.answer.lower() != "(nak\r":
            engine.delinfo("input.voltage")
            return False
        engine.skip.add(index)
    elif engine.infoval_set(item, result.value) != 1:
        engine.delinfo("input.voltage")
        return False
    return True


TEST_ROW = row("test.battery.start", StFlag.NONE, None, "T%s\r", 5, "(", 1, 3, None, CMD,
               process_test_battery)

MECER = QxProtocol(
    name="mecer", version="Mecer 0.09",
    table=(row("ups.firmware.aux", StFlag.NONE, None, "QPI\r", 6, "(", 1, 4, "%s",
               QxFlag.STATIC, p98_protocol),
           *status_rows("Q1\r"), *RATING_ROWS, *vendor_rows("I\r"),
           *command_rows(5, "(", 1, 3, test=TEST_ROW)),
    claim=claim, initups=blazer.initups, accepted="ACK", rejected="(NAK\r")
