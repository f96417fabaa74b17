"""Eaton/MGE model names: (iProduct, iModel) → family type and display name.

NUT's ``mge_model_names`` as data. The family (``type``) gates what the subdriver
believes of a device: offline models (type < ``MGE_DEFAULT``) get no 200/208 V
output choices, only some families report battery voltages under PowerSummary,
and only "Pegasus" models (Protection Station, Ellipse ECO, non-EU 3S) have the
ECO outlet controls. A ``None`` name means "``<iProduct> <iModel>``".
"""

from __future__ import annotations

from typing import NamedTuple

# Family codes (NUT's models_type_t); the high byte is the family, the low byte
# the model within it.
MGE_DEFAULT_OFFLINE = 0x000
MGE_PEGASUS = 0x100
MGE_3S = 0x110
MGE_DEFAULT = 0x200  # line-interactive and online models (the default)
MGE_EVOLUTION = 0x300
MGE_EVOLUTION_650 = 0x301
MGE_EVOLUTION_850 = 0x302
MGE_EVOLUTION_1150 = 0x303
MGE_EVOLUTION_S_1250 = 0x304
MGE_EVOLUTION_1550 = 0x305
MGE_EVOLUTION_S_1750 = 0x306
MGE_EVOLUTION_2000 = 0x307
MGE_EVOLUTION_S_2500 = 0x308
MGE_EVOLUTION_S_3000 = 0x309
MGE_PULSAR_M = 0x400
MGE_PULSAR_M_2200 = 0x401
MGE_PULSAR_M_3000 = 0x402
MGE_PULSAR_M_3000_XL = 0x403
EATON_5P = 0x500  # 5P, 5PX, 5SC, and 5S sold as "Ellipse PRO"
EATON_9E = 0x900  # 9E, 9SX, 9PX


def family(model_type: int) -> int:
    """The family part of a model type (NUT compares ``type & 0xFF00``)."""
    return model_type & 0xFF00


class ModelName(NamedTuple):
    """One row: exact iProduct and iModel strings, family type, display name."""

    product: str
    model: str
    type: int
    name: str | None


MODEL_NAMES: tuple[ModelName, ...] = (
    # Ellipse, Ellipse Premium, Ellipse "Pro", Ellipse MAX, Protection Center
    ModelName("ELLIPSE", "300", MGE_DEFAULT_OFFLINE, "ellipse 300"),
    ModelName("ELLIPSE", "500", MGE_DEFAULT_OFFLINE, "ellipse 500"),
    ModelName("ELLIPSE", "650", MGE_DEFAULT_OFFLINE, "ellipse 650"),
    ModelName("ELLIPSE", "800", MGE_DEFAULT_OFFLINE, "ellipse 800"),
    ModelName("ELLIPSE", "1200", MGE_DEFAULT_OFFLINE, "ellipse 1200"),
    ModelName("ellipse", "PR500", MGE_DEFAULT_OFFLINE, "ellipse premium 500"),
    ModelName("ellipse", "PR650", MGE_DEFAULT_OFFLINE, "ellipse premium 650"),
    ModelName("ellipse", "PR800", MGE_DEFAULT_OFFLINE, "ellipse premium 800"),
    ModelName("ellipse", "PR1200", MGE_DEFAULT_OFFLINE, "ellipse premium 1200"),
    ModelName("ELLIPSE", "600", MGE_DEFAULT_OFFLINE, "Ellipse 600"),
    ModelName("ELLIPSE", "750", MGE_DEFAULT_OFFLINE, "Ellipse 750"),
    ModelName("ELLIPSE", "1000", MGE_DEFAULT_OFFLINE, "Ellipse 1000"),
    ModelName("ELLIPSE", "1500", MGE_DEFAULT_OFFLINE, "Ellipse 1500"),
    ModelName("Ellipse MAX", "600", MGE_DEFAULT_OFFLINE, None),
    ModelName("Ellipse MAX", "850", MGE_DEFAULT_OFFLINE, None),
    ModelName("Ellipse MAX", "1100", MGE_DEFAULT_OFFLINE, None),
    ModelName("Ellipse MAX", "1500", MGE_DEFAULT_OFFLINE, None),
    ModelName("PROTECTIONCENTER", "420", MGE_DEFAULT_OFFLINE, "Protection Center 420"),
    ModelName("PROTECTIONCENTER", "500", MGE_DEFAULT_OFFLINE, "Protection Center 500"),
    ModelName("PROTECTIONCENTER", "675", MGE_DEFAULT_OFFLINE, "Protection Center 675"),
    # Protection Station and Ellipse ECO: ECO outlet control ("Pegasus")
    ModelName("Protection Station", "500", MGE_PEGASUS, None),
    ModelName("Protection Station", "650", MGE_PEGASUS, None),
    ModelName("Protection Station", "800", MGE_PEGASUS, None),
    ModelName("Ellipse ECO", "650", MGE_PEGASUS, None),
    ModelName("Ellipse ECO", "800", MGE_PEGASUS, None),
    ModelName("Ellipse ECO", "1200", MGE_PEGASUS, None),
    ModelName("Ellipse ECO", "1600", MGE_PEGASUS, None),
    # 3S: the 700 (EU/AUS) and 750 (US) have ECO control outside Europe
    ModelName("3S", "450", MGE_DEFAULT_OFFLINE, None),
    ModelName("3S", "550", MGE_DEFAULT_OFFLINE, None),
    ModelName("3S", "700", MGE_3S, None),
    ModelName("3S", "750", MGE_3S, None),
    # Pulsar Evolution, then the newer Evolution models
    ModelName("Evolution", "500", MGE_DEFAULT, "Pulsar Evolution 500"),
    ModelName("Evolution", "800", MGE_DEFAULT, "Pulsar Evolution 800"),
    ModelName("Evolution", "1100", MGE_DEFAULT, "Pulsar Evolution 1100"),
    ModelName("Evolution", "1500", MGE_DEFAULT, "Pulsar Evolution 1500"),
    ModelName("Evolution", "2200", MGE_DEFAULT, "Pulsar Evolution 2200"),
    ModelName("Evolution", "3000", MGE_DEFAULT, "Pulsar Evolution 3000"),
    ModelName("Evolution", "3000XL", MGE_DEFAULT, "Pulsar Evolution 3000 XL"),
    ModelName("Evolution", "650", MGE_EVOLUTION_650, None),
    ModelName("Evolution", "850", MGE_EVOLUTION_850, None),
    ModelName("Evolution", "1150", MGE_EVOLUTION_1150, None),
    ModelName("Evolution", "S 1250", MGE_EVOLUTION_S_1250, None),
    ModelName("Evolution", "1550", MGE_EVOLUTION_1550, None),
    ModelName("Evolution", "S 1750", MGE_EVOLUTION_S_1750, None),
    ModelName("Evolution", "2000", MGE_EVOLUTION_2000, None),
    ModelName("Evolution", "S 2500", MGE_EVOLUTION_S_2500, None),
    ModelName("Evolution", "S 3000", MGE_EVOLUTION_S_3000, None),
    # Eaton 5P / 5PX / 5SC; the 5S reports itself as "Ellipse PRO" with a trailing space
    ModelName("Eaton 5P", "650", EATON_5P, "5P 650"),
    ModelName("Eaton 5P", "850", EATON_5P, "5P 850"),
    ModelName("Eaton 5P", "1150", EATON_5P, "5P 1150"),
    ModelName("Eaton 5P", "1550", EATON_5P, "5P 1550"),
    ModelName("Eaton 5PX", "1500", EATON_5P, None),
    ModelName("Eaton 5PX", "2200", EATON_5P, None),
    ModelName("Eaton 5PX", "3000", EATON_5P, None),
    ModelName("Eaton 5SC", "500", EATON_5P, None),
    ModelName("Eaton 5SC", "750", EATON_5P, None),
    ModelName("Eaton 5SC", "1000", EATON_5P, None),
    ModelName("Eaton 5SC", "1500", EATON_5P, None),
    ModelName("Eaton 5SC", "2200", EATON_5P, None),
    ModelName("Eaton 5SC", "3000", EATON_5P, None),
    ModelName("Ellipse PRO", "1200 ", EATON_5P, "Eaton 5S1200"),
    ModelName("Ellipse PRO", "1500 ", EATON_5P, "Eaton 5S1500"),
    ModelName("Ellipse PRO", "1600 ", EATON_5P, "Eaton 5S1600"),
    # Eaton 9E; "unknown" rows cover a 9E whose USB strings could not be read
    ModelName("Eaton 9E", "1000", EATON_9E, "9E1000"),
    ModelName("Eaton 9E", "1000i", EATON_9E, "9E1000i"),
    ModelName("Eaton 9E", "1000iau", EATON_9E, "9E1000iau"),
    ModelName("Eaton 9E", "1000ir", EATON_9E, "9E1000ir"),
    ModelName("Eaton 9E", "2000", EATON_9E, "9E2000"),
    ModelName("Eaton 9E", "2000i", EATON_9E, "9E2000i"),
    ModelName("Eaton 9E", "2000iau", EATON_9E, "9E2000iau"),
    ModelName("Eaton 9E", "2000ir", EATON_9E, "9E2000ir"),
    ModelName("Eaton 9E", "3000", EATON_9E, "9E3000"),
    ModelName("Eaton 9E", "3000i", EATON_9E, "9E3000i"),
    ModelName("Eaton 9E", "3000iau", EATON_9E, "9E3000iau"),
    ModelName("Eaton 9E", "3000ir", EATON_9E, "9E3000ir"),
    ModelName("Eaton 9E", "3000ixl", EATON_9E, "9E3000ixl"),
    ModelName("Eaton 9E", "3000ixlau", EATON_9E, "9E3000ixlau"),
    ModelName("unknown", "1000", EATON_9E, "9E1000i (presumed)"),
    ModelName("unknown", "2000", EATON_9E, "9E2000i (presumed)"),
    ModelName("unknown", "3000", EATON_9E, "9E3000i (presumed)"),
    # Eaton 9SX and 9PX
    ModelName("Eaton 9SX", "700i", EATON_9E, "9SX700i"),
    ModelName("Eaton 9SX", "1000i", EATON_9E, "9SX1000i"),
    ModelName("Eaton 9SX", "1000im", EATON_9E, "9SX1000im"),
    ModelName("Eaton 9SX", "1500i", EATON_9E, "9SX1500i"),
    ModelName("Eaton 9SX", "2000i", EATON_9E, "9SX2000i"),
    ModelName("Eaton 9SX", "3000i", EATON_9E, "9SX3000i"),
    ModelName("Eaton 9SX", "3000im", EATON_9E, "9SX3000im"),
    ModelName("Eaton 9SX", "1000ir", EATON_9E, "9SX1000ir"),
    ModelName("Eaton 9SX", "1500ir", EATON_9E, "9SX1500ir"),
    ModelName("Eaton 9SX", "2000ir", EATON_9E, "9SX2000ir"),
    ModelName("Eaton 9SX", "3000ir", EATON_9E, "9SX3000ir"),
    ModelName("Eaton 9PX", "1000irt2u", EATON_9E, "9px1000irt2u"),
    ModelName("Eaton 9PX", "1500irt2u", EATON_9E, "9px1500irt2u"),
    ModelName("Eaton 9PX", "1500irtm", EATON_9E, "9px1500irtm"),
    ModelName("Eaton 9PX", "2200irt2u", EATON_9E, "9px2200irt2u"),
    ModelName("Eaton 9PX", "2200irt3u", EATON_9E, "9px2200irt3u"),
    ModelName("Eaton 9PX", "3000irt2u", EATON_9E, "9px3000irt2u"),
    ModelName("Eaton 9PX", "3000irt3u", EATON_9E, "9px3000irt3u"),
    ModelName("Eaton 9PX", "3000irtm", EATON_9E, "9px3000irtm"),
    # Pulsar M and its Eaton EX names, Pulsar MX, NOVA AVR, EXtreme C, Comet EX RT, Galaxy 3000
    ModelName("PULSAR M", "2200", MGE_PULSAR_M_2200, None),
    ModelName("PULSAR M", "3000", MGE_PULSAR_M_3000, None),
    ModelName("PULSAR M", "3000 XL", MGE_PULSAR_M_3000_XL, None),
    ModelName("EX", "2200", MGE_PULSAR_M_2200, None),
    ModelName("EX", "3000", MGE_PULSAR_M_3000, None),
    ModelName("EX", "3000 XL", MGE_PULSAR_M_3000, None),
    ModelName("PULSAR", "MX4000", MGE_DEFAULT, "Pulsar MX 4000 RT"),
    ModelName("PULSAR", "MX5000", MGE_DEFAULT, "Pulsar MX 5000 RT"),
    ModelName("NOVA AVR", "500", MGE_DEFAULT, "Nova 500 AVR"),
    ModelName("NOVA AVR", "600", MGE_DEFAULT, "Nova 600 AVR"),
    ModelName("NOVA AVR", "625", MGE_DEFAULT, "Nova 625 AVR"),
    ModelName("NOVA AVR", "1100", MGE_DEFAULT, "Nova 1100 AVR"),
    ModelName("NOVA AVR", "1250", MGE_DEFAULT, "Nova 1250 AVR"),
    ModelName("EXtreme", "700C", MGE_DEFAULT, "Pulsar EXtreme 700C"),
    ModelName("EXtreme", "1000C", MGE_DEFAULT, "Pulsar EXtreme 1000C"),
    ModelName("EXtreme", "1500C", MGE_DEFAULT, "Pulsar EXtreme 1500C"),
    ModelName("EXtreme", "1500CCLA", MGE_DEFAULT, "Pulsar EXtreme 1500C CLA"),
    ModelName("EXtreme", "2200C", MGE_DEFAULT, "Pulsar EXtreme 2200C"),
    ModelName("EXtreme", "3200C", MGE_DEFAULT, "Pulsar EXtreme 3200C"),
    ModelName("EX", "700RT", MGE_DEFAULT, "Pulsar EX 700 RT"),
    ModelName("EX", "1000RT", MGE_DEFAULT, "Pulsar EX 1000 RT"),
    ModelName("EX", "1500RT", MGE_DEFAULT, "Pulsar EX 1500 RT"),
    ModelName("EX", "2200RT", MGE_DEFAULT, "Pulsar EX 2200 RT"),
    ModelName("EX", "3200RT", MGE_DEFAULT, "Pulsar EX 3200 RT"),
    ModelName("EX", "5RT31", MGE_DEFAULT, "EX 5 RT 3:1"),
    ModelName("EX", "7RT31", MGE_DEFAULT, "EX 7 RT 3:1"),
    ModelName("EX", "11RT31", MGE_DEFAULT, "EX 11 RT 3:1"),
    ModelName("EX", "5RT", MGE_DEFAULT, "EX 5 RT"),
    ModelName("EX", "7RT", MGE_DEFAULT, "EX 7 RT"),
    ModelName("EX", "11RT", MGE_DEFAULT, "EX 11 RT"),
    ModelName("GALAXY", "3000_10", MGE_DEFAULT, "Galaxy 3000 10 kVA"),
    ModelName("GALAXY", "3000_15", MGE_DEFAULT, "Galaxy 3000 15 kVA"),
    ModelName("GALAXY", "3000_20", MGE_DEFAULT, "Galaxy 3000 20 kVA"),
    ModelName("GALAXY", "3000_30", MGE_DEFAULT, "Galaxy 3000 30 kVA"),
)


def lookup_model(product: str, model: str) -> ModelName | None:
    """The row whose iProduct and iModel equal ``product`` and ``model`` exactly."""
    for row in MODEL_NAMES:
        if row.product == product and row.model == model:
            return row
    return None


def model_name(product: str, model: str) -> tuple[str, int | None]:
    """(display name, family type or ``None`` when no row matched)."""
    row = lookup_model(product, model)
    if row is None:
        return f"{product} {model}", None
    return (row.name if row.name is not None else f"{product} {model}"), row.type
