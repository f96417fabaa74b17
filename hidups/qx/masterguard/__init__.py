"""NUT 2.8.5's ``masterguard`` protocol: Masterguard A (1-phase) and E (3-phase) series.

Why: these units speak their own Q* dialect (``WH``, ``Q3``, slave-addressed ``...,XX``
commands); the claim reads the identity (series, model, power, slave address, output
voltages) without publishing it, as NUT does, so the init walk publishes those rows with
their rw flags, and it hands the subdriver's globals to the session in ``claim_state``.
"""

from __future__ import annotations

from hidups.qx.cstr import strtol
from hidups.qx.engine import Engine
from hidups.qx.items import QxFlag, QxProtocol
from hidups.qx.masterguard.commands import strtol_whole
from hidups.qx.masterguard.convert import set_rw
from hidups.qx.masterguard.table import TABLE

#: what the claim must read, each through its own row's preprocess
MANDATORY = ("experimental.series", "device.model", "ups.power.nominal", "ups.id",
             "experimental.output_voltages")

#: command words each series implements; rows with other commands are skipped
COMMANDS_A = ("Q", "Q1", "Q3", "T", "TL", "S", "C", "CT", "WH", "M", "N", "O", "DECO", "DRC",
              "SRC", "FLT", "FCLR", "G", "SS", "GS", "MSO", "PNV", "FOFF", "FON", "TUD", "GBS",
              "SSN", "GSN")
COMMANDS_E = ("Q", "Q1", "Q3", "PSR", "T", "TL", "S", "C", "CT", "WH", "DRC", "SRC", "FLT",
              "FCLR", "SS", "GS", "MSO", "PNV", "FOFF", "FON", "TUD", "GBS", "SSN", "GSN", "BUS",
              "V", "INVDC", "BUSP", "BUSN")


def _implemented(command: str, words: tuple[str, ...]) -> bool:
    """A listed word followed by anything but a capital (``Q`` takes ``Q3``, ``S`` not
    ``SS``)."""
    for word in words:
        if command.startswith(word):
            after = command[len(word):len(word) + 1]
            if not ("A" <= after <= "Z" and after):
                return True
    return False


def claim(engine: Engine) -> bool:
    """``masterguard_claim``: slave_address (if set) must match; the mandatory rows must
    answer and convert; unimplemented commands are skipped; MSO gives PNV's enum."""
    wanted = engine.settings.raw.get("slave_address")
    number: int | None = -1
    if wanted is not None:
        number = strtol_whole(wanted)
        if wanted == "" or number is None or not 0 <= number <= 99:
            return False
    for name in MANDATORY:
        index = engine.find(name, QxFlag.NONE, QxFlag.SETVAR)
        if index is None:
            return False
        item = engine.protocol.table[index]
        result = engine.process(item)
        if not result.ok or item.preprocess is None:
            return False
        if item.preprocess(engine, item, result.value) is None:
            return False
    if wanted is not None and number != strtol(str(engine.state.get("slaveaddr", ""))):
        return False
    series = engine.state.get("series")
    words = COMMANDS_A if series == "A" else COMMANDS_E if series == "E" else None
    if words is None:
        return False
    for index, item in enumerate(engine.protocol.table):
        if item.command and not _implemented(item.command, words):
            engine.skip.add(index)
    return engine.find("output.voltage.nominal", QxFlag.ENUM, QxFlag.SETVAR) is not None


def initups(engine: Engine) -> None:
    """Restore the run-time ``info_rw`` the claim left (NUT keeps them in globals)."""
    if "outvolts" in engine.state:
        set_rw(engine, "output.voltage.nominal", QxFlag.ENUM, engine.state["outvolts"])
    if "batpacks" in engine.state:
        set_rw(engine, "battery.packs", QxFlag.RANGE, engine.state["batpacks"])


MASTERGUARD = QxProtocol(name="masterguard", version="Masterguard 0.05", table=TABLE,
                         claim=claim, initups=initups, accepted=None, rejected=None)
