"""nutdrv_qx's battery guesstimation: charge from voltage, runtime from ``runtimecal``.

Why: most Q* UPSes report only a battery voltage; NUT derives ``battery.charge`` (and
with ``runtimecal`` a ``battery.runtime``) from it, and upsmon acts on those values.
"""

from __future__ import annotations

import math

from hidups.errors import ConfigError
from hidups.qx.cstr import cfmt, is_numeric, strtod
from hidups.qx.engine import Engine
from hidups.qx.settings import DEFAULT_CHARGETIME, DEFAULT_IDLELOAD

PACKS = (120, 100, 80, 60, 48, 36, 30, 24, 18, 12, 8, 6, 4, 3, 2, 1, 0.5)


class Battery:
    """The ``batt``/``load`` globals of nutdrv_qx for one device."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.volt_act = -1.0
        self.volt_high = -1.0
        self.volt_low = -1.0
        self.volt_nom = -1.0
        self.runt_nom = -1.0
        self.runt_est = -1.0
        self.runt_exp = 0.0
        self.chrg_time = float(DEFAULT_CHARGETIME)
        self.load_act = 0.0
        self.load_low = DEFAULT_IDLELOAD
        self.load_eff = 1.0
        self.lastpoll = 0.0

    def charge_from_voltage(self) -> bool:
        """``qx_battery``: False when there is no battery.voltage."""
        engine = self.engine
        val = engine.getinfo("battery.voltage")
        if val is None:
            return False
        self.volt_act = strtod(val)
        if not engine.one_pack_considered:
            self.volt_act *= engine.packs
        if engine.charge_act == -1 and self.volt_low > 0 and self.volt_high > self.volt_low:
            charge = 100 * (self.volt_act - self.volt_low) / (self.volt_high - self.volt_low)
            engine.charge_act = min(max(charge, 0.0), 100.0)
            engine.setinfo("battery.charge", cfmt("%.0f", engine.charge_act))
        return True

    def effective_load(self) -> bool:
        """``qx_load``: False when there is no ups.load."""
        val = self.engine.getinfo("ups.load")
        if val is None:
            return False
        self.load_act = strtod(val)
        self.load_eff = max(math.pow(self.load_act / 100, self.runt_exp), self.load_low)
        return True

    def init(self) -> None:
        """``qx_initbattery``, run once after the init walk."""
        engine = self.engine
        settings = engine.settings
        for name, attr in (("battery.voltage.high", "volt_high"),
                           ("battery.voltage.low", "volt_low"),
                           ("battery.voltage.nominal", "volt_nom")):
            val = engine.getinfo(name)
            if val is not None:
                setattr(self, attr, strtod(val))
        if self.volt_nom != -1 and (self.volt_low == -1 or self.volt_high == -1):
            self.volt_low = 104 * self.volt_nom / 120
            self.volt_high = 130 * self.volt_nom / 120
            engine.setinfo("battery.voltage.low", cfmt("%.2f", self.volt_low))
            engine.setinfo("battery.voltage.high", cfmt("%.2f", self.volt_high))
        packs_known = False
        val = engine.getinfo("battery.packs")
        if val is not None and is_numeric(val):
            engine.packs = strtod(val)
            packs_known = True
        if engine.one_pack and engine.one_pack_considered:
            val = engine.getinfo("battery.voltage")
            if val is not None and packs_known and engine.packs > 1:
                engine.setinfo("battery.voltage", cfmt("%.2f", strtod(val) * engine.packs))
        if engine.getinfo("battery.charge") is not None and \
                engine.getinfo("battery.runtime") is not None:
            return
        if not packs_known and self.charge_from_voltage() and self.volt_nom != -1:
            for packs in PACKS:
                if packs * self.volt_act > 1.25 * self.volt_nom:
                    continue
                if packs * self.volt_act >= 0.8 * self.volt_nom:
                    engine.packs = float(packs)
                break
        self.charge_from_voltage()
        cal = settings.runtimecal
        if cal is None:
            return
        self.lastpoll = engine.clock()
        self.runt_exp = math.log(cal.runtime_low / cal.runtime_high) / \
            math.log(cal.load_high / cal.load_low)
        self.runt_nom = cal.runtime_high * math.pow(cal.load_high / 100, self.runt_exp)
        val = engine.getinfo("battery.charge")
        if val is None and self.volt_nom != -1:
            self.volt_low = self.volt_nom
            self.volt_high = 1.15 * self.volt_nom
            if not self.charge_from_voltage():
                raise ConfigError("runtimecal: initial battery charge undetermined",
                                  option="runtimecal")
            val = engine.getinfo("battery.charge")
        if val is None:
            raise ConfigError("runtimecal: initial battery charge undetermined",
                              option="runtimecal")
        self.runt_est = self.runt_nom * strtod(val) / 100
        if settings.chargetime is not None:
            self.chrg_time = float(settings.chargetime)
        if settings.idleload is not None:
            self.load_low = settings.idleload / 100

    def update(self) -> None:
        """The tail of a full ``qx_ups_walk``: refresh the guessed charge/runtime."""
        engine = self.engine
        if engine.settings.runtimecal is None:
            self.charge_from_voltage()
            return
        now = engine.clock()
        elapsed = now - self.lastpoll
        if "OL" in engine.status:
            self.runt_est = min(self.runt_est + self.runt_nom * elapsed / self.chrg_time,
                                self.runt_nom)
        else:
            self.runt_est = max(self.runt_est - self.load_eff * elapsed, 0.0)
        val = engine.getinfo("battery.voltage")
        if val is not None:
            self.volt_act = strtod(val)
            if not engine.one_pack_considered:
                self.volt_act *= engine.packs
            if self.volt_act > 0 and self.volt_low > 0 and self.volt_high > self.volt_low:
                by_voltage = (self.volt_act - self.volt_low) / (self.volt_high - self.volt_low)
                by_voltage = min(max(by_voltage, 0.0), 1.0)
                if by_voltage < self.runt_est / self.runt_nom:
                    self.runt_est = by_voltage * self.runt_nom
        if engine.charge_act == -1:
            engine.setinfo("battery.charge", cfmt("%.0f", 100 * self.runt_est / self.runt_nom))
        if engine.runtime_act == -1 and self.effective_load():
            engine.setinfo("battery.runtime", cfmt("%.0f", self.runt_est / self.load_eff))
        self.lastpoll = now
