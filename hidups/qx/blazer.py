"""What NUT's Megatec-family subdrivers share (``nutdrv_qx_blazer-common.c``).

Why: megatec, megatec/old, mustek, q1, zinto and mecer read the same Q1 status bits
and format shutdown delays the same way; one copy keeps them identical.
"""

from __future__ import annotations

from hidups.qx.cstr import strtod, strtol
from hidups.qx.engine import Engine
from hidups.qx.items import Item

ONDELAY_RANGE = ("0", "599940")
OFFDELAY_RANGE = ("12", "600")


def multiply_battvolt(engine: Engine, item: Item, value: str) -> str | None:
    """``qx_multiply_battvolt``: the raw text, times ``battery.packs`` when asked."""
    engine.one_pack_considered = True
    if not engine.one_pack or engine.packs < 2:
        return value
    try:
        number = float(value.split()[0]) if value.split() else None
    except ValueError:
        number = None
    if number is None:
        return None
    return "%.2f" % (number * engine.packs)


def _bypass_word(engine: Engine) -> str | None:
    """Bit 40: TRIM, BYPASS or BOOST from output/input voltage (None = implausible)."""
    return bypass_word(strtod(engine.getinfo("input.voltage")),
                       strtod(engine.getinfo("output.voltage")))


def bypass_word(vi: float, vo: float) -> str | None:
    """What bit 40 means for these input and output voltages (None: implausible)."""
    if vo < 0.5 * vi:
        return None
    if vo < 0.95 * vi:
        return "TRIM"
    if vo < 1.05 * vi:
        return "BYPASS"
    if vo < 1.5 * vi:
        return "BOOST"
    return None


# Q1 bit position -> (text when '1', text when '0').
_STATUS_BITS: dict[int, tuple[str, str]] = {
    38: ("!OL", "OL"),
    39: ("LB", "!LB"),
    41: ("UPS selftest failed!", ""),
    42: ("offline / line interactive", "online"),
    43: ("CAL", "!CAL"),
    44: ("FSD", "!FSD"),
    45: ("enabled", "disabled"),
}


def process_status_bits(engine: Engine, item: Item, value: str) -> str | None:
    """``blazer_process_status_bits``: one '0'/'1' of the Q1 flag word -> NUT text."""
    if len(value) == 0 or value[0] not in "01" or (len(value) > 1 and value[1] in "01"):
        return None
    bit = value[0] == "1"
    if item.start == 40:
        return _bypass_word(engine) if bit else ""
    texts = _STATUS_BITS.get(item.start)
    if texts is None:
        return None
    return texts[0] if bit else texts[1]


def process_setvar(engine: Engine, item: Item, value: str) -> str | None:
    """``blazer_process_setvar``: round delays down to what the UPS can time."""
    if not value:
        return None
    delay = strtol(value)
    if delay < 0:
        return None
    if item.name.lower() == "ups.delay.start":
        return str(delay - delay % 60)
    if item.name.lower() == "ups.delay.shutdown":
        return str(delay - (delay % 6 if delay < 60 else delay % 60))
    return None


def offdelay_text(offdelay: int) -> str:
    """Megatec's shutdown delay: ``.N`` tenths of a minute below 60 s, else ``MM``."""
    return f".{offdelay // 6}" if offdelay < 60 else "%02d" % (offdelay // 60)


def _c_div(a: int, b: int) -> int:
    """C integer division (truncates toward zero)."""
    return int(a / b)


def process_command(engine: Engine, item: Item, value: str) -> str | None:
    """``blazer_process_command``: fill S/T commands from the delays or the argument."""
    name = item.name.lower()
    command = item.command or ""
    if name == "shutdown.return":
        offdelay = strtol(engine.getinfo("ups.delay.shutdown"))
        ondelay = _c_div(strtol(engine.getinfo("ups.delay.start")), 60)
        if offdelay < 0:
            return None
        text = offdelay_text(offdelay)
        if ondelay > 0:
            text += "R%04d" % ondelay
        return command.replace("%s", text, 1)
    if name == "shutdown.stayoff":
        offdelay = strtol(engine.getinfo("ups.delay.shutdown"))
        if offdelay < 0:
            return None
        return command.replace("%s", offdelay_text(offdelay), 1)
    if name == "test.battery.start":
        delay = strtol(value) if value else 600
        if delay < 60 or delay > 5940:
            return None
        minutes = delay // 60
        if "%02d" in command:
            return command.replace("%02d", "%02d" % minutes, 1)
        if "%d" in command:
            return command.replace("%d", "%d" % minutes, 1)
        return command
    return None


def _claim_item(engine: Engine, name: str) -> bool:
    """Query one item and publish it, as the claims do."""
    index = engine.find(name)
    if index is None:
        return False
    item = engine.protocol.table[index]
    result = engine.process(item)
    return result.ok and engine.infoval_set(item, result.value) == 1


def claim(engine: Engine) -> bool:
    """``blazer_claim``: input.voltage answers, and (unless novendor) ups.firmware too."""
    if not _claim_item(engine, "input.voltage"):
        return False
    if engine.settings.novendor:
        return True
    if not _claim_item(engine, "ups.firmware"):
        engine.delinfo("input.voltage")
        return False
    return True


def claim_light(engine: Engine) -> bool:
    """``blazer_claim_light``: input.voltage answers."""
    return _claim_item(engine, "input.voltage")


def initups(engine: Engine) -> None:
    """``blazer_initups``: norating/novendor/ignoresab disable their rows."""
    settings = engine.settings
    for index, item in enumerate(engine.protocol.table):
        command = (item.command or "").lower()
        if not item.command:
            continue
        if settings.norating and command == "f\r":
            engine.skip.add(index)
        if settings.novendor and command in ("i\r", "fw?\r"):
            engine.skip.add(index)
        if settings.ignoresab and _is_sab(item):
            engine.skip.add(index)


def initups_light(engine: Engine) -> None:
    """``blazer_initups_light``: only ignoresab."""
    if not engine.settings.ignoresab:
        return
    for index, item in enumerate(engine.protocol.table):
        if _is_sab(item):
            engine.skip.add(index)
            return


def _is_sab(item: Item) -> bool:
    """The 'Shutdown Active' bit row (ups.status at 44)."""
    return item.name.lower() == "ups.status" and item.start == 44 and item.end == 44

