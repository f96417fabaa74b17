"""NUT 2.8.5's Q* protocols in its autodetection order, and ``detect``.

Why: nutdrv_qx tries its subdrivers in a fixed order (Q1 last, as the fallback), each up
to three times; matching that order is what makes hidups pick NUT's protocol.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from hidups.errors import ConfigError, ProtocolError
from hidups.qx.ablerex import ABLEREX
from hidups.qx.bestups import BESTUPS
from hidups.qx.engine import Engine
from hidups.qx.gtec import GTEC
from hidups.qx.hunnox import HUNNOX
from hidups.qx.innovart31 import INNOVART31
from hidups.qx.innovart33 import INNOVART33
from hidups.qx.innovatae import INNOVATAE
from hidups.qx.items import Query, QxProtocol
from hidups.qx.masterguard import MASTERGUARD
from hidups.qx.mecer import MECER
from hidups.qx.megatec import MEGATEC, MEGATEC_OLD, MUSTEK, Q1, ZINTO
from hidups.qx.q2 import Q2
from hidups.qx.q6 import Q6
from hidups.qx.settings import QxSettings
from hidups.qx.voltronic import VOLTRONIC
from hidups.qx.voltronic_axpert import VOLTRONIC_AXPERT
from hidups.qx.voltronic_qs import VOLTRONIC_QS, VOLTRONIC_QS_HEX

MAXTRIES = 3

# nutdrv_qx.c's subdriver_list[] (NUT 2.8.5); None = not built in hidups yet.
ORDER: tuple[str, ...] = (
    "voltronic", "voltronic-axpert", "voltronic-qs", "voltronic-qs-hex", "mustek",
    "megatec/old", "bestups", "mecer", "megatec", "zinto", "masterguard", "hunnox",
    "ablerex", "innovart31", "innovart33", "innovatae", "q2", "q6", "gtec", "q1",
)

PROTOCOLS: dict[str, QxProtocol | None] = {name: None for name in ORDER}
PROTOCOLS.update({p.name: p for p in (VOLTRONIC_QS, VOLTRONIC_QS_HEX, MUSTEK, MEGATEC_OLD,
                                       BESTUPS, MECER, MEGATEC, ZINTO, Q1)})
PROTOCOLS.update({p.name: p for p in (Q2, Q6)})
PROTOCOLS.update({p.name: p for p in (MASTERGUARD,)})
PROTOCOLS.update({p.name: p for p in (INNOVART31, INNOVART33, INNOVATAE)})
PROTOCOLS.update({p.name: p for p in (VOLTRONIC_AXPERT,)})
PROTOCOLS.update({p.name: p for p in (HUNNOX, ABLEREX, GTEC)})
PROTOCOLS.update({p.name: p for p in (VOLTRONIC,)})


def register(protocol: QxProtocol) -> None:
    """Slot a newly built protocol into its place in ``ORDER``."""
    if protocol.name not in PROTOCOLS:
        raise ConfigError(f"protocol {protocol.name!r} is not in NUT's subdriver list",
                          option="protocol")
    PROTOCOLS[protocol.name] = protocol


def lookup(name: str) -> QxProtocol:
    """The protocol ``protocol=name`` selects (case-insensitive, as NUT compares)."""
    key = name.strip().lower()
    if key not in PROTOCOLS:
        raise ConfigError(f"protocol={name!r}: unknown Q* protocol (NUT knows: "
                          f"{', '.join(ORDER)})", option="protocol")
    protocol = PROTOCOLS[key]
    if protocol is None:
        raise ConfigError(f"protocol={name!r}: this Q* protocol is not implemented in "
                          "hidups yet", option="protocol")
    return protocol


def detect(query: Query, options: Mapping[str, str]) -> QxProtocol:
    """``subdriver_matcher``: the first protocol whose claim succeeds (or ``protocol=``).

    Protocols not built yet are passed over in autodetection. The returned protocol
    carries the variables its claim published and the rows it disabled.
    """
    settings = QxSettings.from_options(options)
    if settings.protocol is not None:
        candidates = [lookup(settings.protocol)]
    else:
        candidates = [p for name in ORDER if (p := PROTOCOLS[name]) is not None]
    values: dict[str, str] = {}
    for protocol in candidates:
        for _ in range(MAXTRIES):
            engine = Engine(replace(protocol, claimed=values), query, settings)
            claimed = protocol.claim(engine)
            values = {k: v for k, v in engine.values.items()
                      if k not in settings.overrides and k not in settings.defaults}
            if claimed:
                return replace(protocol, claimed=values, claim_skips=frozenset(engine.skip),
                               claim_unskips=frozenset(engine.unskipped),
                               claim_state=dict(engine.state))
    tried = ", ".join(p.name for p in candidates)
    raise ProtocolError(f"Q* device not supported: no protocol claimed it (tried {tried})")
