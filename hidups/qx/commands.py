"""nutdrv_qx's ``instcmd``, ``setvar`` and ``upsdrv_shutdown`` on an Engine.

Why: the bytes a command sends and the status it returns (HANDLED, INVALID, FAILED,
CONVERSION_FAILED...) must be NUT's, including its fallbacks (``load.off`` via
``load.off.delay``) and its checks made before anything is sent.
"""

from __future__ import annotations

from hidups.qx.cstr import is_numeric, strtol
from hidups.qx.engine import Engine, Processed
from hidups.qx.items import CommandStatus, QxFlag

MAXTRIES = 3
S = CommandStatus


def _answer_status(engine: Engine, result: Processed, failed: CommandStatus) -> CommandStatus:
    """Map a command's answer to NUT's status.

    NUT's code means a refused command (``(NAK``) to give CONVERSION_FAILED, but the
    log call before its errno test clobbers errno: real NUT 2.8.0 and 2.8.5 answer
    FAILED (checked on upsemu with a device answering ``N``), so hidups does too.
    """
    if not result.ok:
        return failed
    if result.value:
        accepted = engine.protocol.accepted
        if accepted is not None and result.value.lower() == accepted.lower():
            engine.data_has_changed = True
            return S.HANDLED
        return failed
    engine.data_has_changed = True
    return S.HANDLED


def instcmd(engine: Engine, name: str, extra: str | None) -> CommandStatus:
    """NUT's ``instcmd`` for Q* devices."""
    lname = name.lower()
    if lname == "beeper.off":
        return instcmd(engine, "beeper.disable", None)
    if lname == "beeper.on":
        return instcmd(engine, "beeper.enable", None)
    index = engine.find(name, QxFlag.CMD, QxFlag.SKIP)
    if index is None:
        return _fallback(engine, lname)
    item = engine.protocol.table[index]
    value = extra if extra is not None else (item.dfl or "")
    if item.preprocess is not None:
        prepared = item.preprocess(engine, item, value)
        if prepared is None:
            return S.FAILED
        value = prepared
    else:
        value = ""
    result = engine.process(item, value or None)
    return _answer_status(engine, result, S.FAILED)


def _fallback(engine: Engine, lname: str) -> CommandStatus:
    """Commands a protocol lacks but NUT builds from ``load.{on,off}.delay``."""
    if lname == "load.on":
        return instcmd(engine, "load.on.delay", "0")
    if lname == "load.off":
        return instcmd(engine, "load.off.delay", "0")
    if lname in ("shutdown.return", "shutdown.stayoff"):
        if engine.getinfo("ups.start.auto") is not None:
            auto = "yes" if lname == "shutdown.return" else "no"
            if setvar(engine, "ups.start.auto", auto) is not S.HANDLED:
                return S.FAILED
        ondelay = engine.getinfo("ups.delay.start") if lname == "shutdown.return" else "-1"
        status = instcmd(engine, "load.on.delay", ondelay)
        if status is not S.HANDLED:
            return status
        return instcmd(engine, "load.off.delay", engine.getinfo("ups.delay.shutdown"))
    return S.INVALID


def _range_ok(engine: Engine, name: str, value: str) -> bool | None:
    """Value within one of the published ranges; None when none is published."""
    info = engine.rw.get(name)
    if info is None or not info.range:
        return None
    number = strtol(value)
    return any(low <= number <= high for low, high in info.range)


def _nonut_range_ok(values: tuple[str, ...], value: str) -> bool:
    """A ups.conf-only variable's value within one of its table ranges."""
    number = strtol(value)
    return any(strtol(low) <= number <= strtol(high)
               for low, high in zip(values[0::2], values[1::2], strict=False))


def setvar(engine: Engine, name: str, value: str | None) -> CommandStatus:
    """NUT's ``setvar`` for Q* devices (ranges/enums/lengths checked before sending).

    For a QX_FLAG_NONUT row (a ups.conf-only setting) ``value`` is ignored: the
    option of that name is sent, if the user set it.
    """
    index = engine.find(name, QxFlag.SETVAR, QxFlag.SKIP)
    if index is None:
        return S.UNKNOWN
    item = engine.protocol.table[index]
    nonut = bool(item.flags & QxFlag.NONUT)
    if nonut:
        if item.name not in engine.settings.raw:
            return S.HANDLED
        value = engine.settings.raw[item.name]
    else:
        if not value:
            return S.UNKNOWN
        current = engine.getinfo(item.name)
        if current is not None and current.lower() == value.lower():
            return S.HANDLED
    info = engine.rw.get(item.name)
    if item.flags & QxFlag.RANGE:
        if not is_numeric(value):
            return S.UNKNOWN
        if nonut:
            if not value or not _nonut_range_ok(engine.rw_of(item), value):
                return S.UNKNOWN
        elif not _range_ok(engine, item.name, value):
            return S.UNKNOWN
    elif item.flags & QxFlag.ENUM:
        choices = list(engine.rw_of(item)) if nonut else (info.enum if info else [])
        if not value or value.lower() not in (choice.lower() for choice in choices):
            return S.UNKNOWN
    elif info is not None and info.length is not None and len(value) > info.length:
        return S.UNKNOWN
    if item.preprocess is not None:
        prepared = item.preprocess(engine, item, value)
        if prepared is None:
            return S.UNKNOWN
        value = prepared
    if item.flags & QxFlag.ABSENT:
        engine.setinfo(item.name, value)
        return S.HANDLED
    if item.preprocess is None:
        value = ""
    result = engine.process(item, value or None)
    return _answer_status(engine, result, S.UNKNOWN)


def killpower(engine: Engine) -> bool:
    """``upsdrv_shutdown``: delays from ondelay/offdelay, shutdown.stop, then shut down."""
    settings = engine.settings
    for name, text in (("ups.delay.start", settings.ondelay),
                       ("ups.delay.shutdown", settings.offdelay)):
        index = engine.find(name, QxFlag.NONE, QxFlag.SKIP)
        if index is None:
            return False
        item = engine.protocol.table[index]
        engine.values[item.name] = item.dfl or ""
        engine.set_var(item)
        if text is not None and setvar(engine, item.name, text) is not S.HANDLED:
            return False
    if engine.find("shutdown.stop", QxFlag.CMD, QxFlag.SKIP) is not None:
        for _ in range(MAXTRIES):
            if instcmd(engine, "shutdown.stop", None) is S.HANDLED:
                break
    command = "shutdown.stayoff" if settings.stayoff else "shutdown.return"
    return any(instcmd(engine, command, None) is S.HANDLED for _ in range(MAXTRIES))
