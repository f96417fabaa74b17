"""The hidups driver process on a serial Q* UPS, against NUT 2.8.0's serial nutdrv_qx.

A thread on the master side of a pseudo-terminal answers as a real RS-232 UPS did (a
shared capture's answers, echo for anything else: ``test_qx_serial.PtyUps``). NUT's
``nutdrv_qx -d 1`` and ``python -m hidups -s ups -x port=/dev/pts/N -d 1`` each run on
it; the variables must be equal (``qx_driver_util.explain`` lists what may differ) and
the commands each driver sent the UPS the same.
"""

from __future__ import annotations

import getpass
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest
import qx_driver_util as qd
from conftest import ROOT, SHARED_CAPTURES, require, require_nut, require_shared
from pty_ups import HAVE_PYSERIAL, PtyUps

NUTDRV_QX = Path("/lib/nut/nutdrv_qx")
#: Shared captures played on the pty (q1, voltronic-qs and bestups claim them there).
SERIAL = ["visench-c1k-nut2395", "voltpolska-micro-ups-3000-nut3263",
          "abb-powervalue-11rt-1kva-g2-nut1279", "synthetic-voltronic-qs-testing",
          "synthetic-bestups-testing", "vultech-ups1400va-lfp-nut2219"]


def answers(stem: str) -> dict[bytes, bytes]:
    """command → the capture's last answer (its exact bytes, or its text and a CR)."""
    out: dict[bytes, bytes] = {}
    doc = json.loads((SHARED_CAPTURES / "qx" / f"{stem}.json").read_text())
    for exchange in doc["exchanges"]:
        if "answer_hex" in exchange:
            out[exchange["send"].encode()] = bytes.fromhex(exchange["answer_hex"])
        elif exchange.get("answer"):
            out[exchange["send"].encode()] = exchange["answer"].encode("latin-1") + b"\r"
    return out


def common_suffix(a: list[bytes], b: list[bytes]) -> int:
    n = 0
    while n < min(len(a), len(b)) and a[-1 - n] == b[-1 - n]:
        n += 1
    return n


def nut_serial(port: str) -> qd.Run:
    with tempfile.TemporaryDirectory(prefix="hidups-qxser.") as tmp:
        Path(tmp, "ups.conf").write_text(
            f"[ups]\n\tdriver = nutdrv_qx\n\tport = {port}\n\tpollinterval = 2\n")
        env = dict(os.environ, NUT_CONFPATH=tmp, NUT_STATEPATH=tmp, NUT_ALTPIDPATH=tmp)
        res = subprocess.run([str(NUTDRV_QX), "-a", "ups", "-u", getpass.getuser(), "-d", "1"],
                             env=env, capture_output=True, timeout=240)
    out = res.stdout.decode("latin-1")
    return qd.Run(res.returncode, qd.parse(out), out + res.stderr.decode("latin-1"))


def hidups_serial(port: str) -> qd.Run:
    with tempfile.TemporaryDirectory(prefix="hidups-qxser.") as tmp:
        env = dict(os.environ, NUT_CONFPATH=tmp, NUT_STATEPATH=tmp, NUT_ALTPIDPATH=tmp)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
        res = subprocess.run([sys.executable, "-m", "hidups", "-s", "ups", "-x", f"port={port}",
                              "-x", "pollinterval=2", "-d", "1"],
                             env=env, capture_output=True, timeout=240, cwd=ROOT)
    out = res.stdout.decode("latin-1")
    return qd.Run(res.returncode, qd.parse(out), out + res.stderr.decode("latin-1"))


@pytest.mark.nut
@pytest.mark.slow
@pytest.mark.parametrize("stem", SERIAL)
def test_serial_driver_matches_nut(stem: str, record_property: Any) -> None:
    require_nut()
    require_shared()
    require(NUTDRV_QX.exists(), "Debian's nutdrv_qx is not installed")
    require(HAVE_PYSERIAL, "pyserial (in the test extra) is not installed")
    ups = PtyUps(answers(stem))
    try:
        nut = nut_serial(ups.path)
        nut_sent = list(ups.received)
        ups.received.clear()
        ours = hidups_serial(ups.path)
        our_sent = list(ups.received)
    finally:
        ups.close()
    assert nut.rc == 0, nut.output[-2000:]
    assert ours.rc == 0, ours.output[-2000:]
    protocol = nut.variables["driver.version.data"].split()[0].lower()
    assert ours.variables["driver.version.data"].split()[0].lower() == protocol
    assert ours.variables["driver.parameter.port"] == ups.path
    cmp = qd.compare(nut.variables, ours.variables, protocol)
    record_property("match", f"{len(cmp.matched)}/{cmp.compared}")
    assert cmp.bad == [], f"{stem}: hidups matches {len(cmp.matched)}/{cmp.compared}"
    assert {"ups.status", "input.voltage"} <= set(cmp.matched)
    assert "ups.vendorid" not in ours.variables  # a serial port has no USB IDs (NUT too)
    assert len(cmp.matched) >= 15
    # the same conversation: detection, init and one update loop
    # The same conversation once the protocol is chosen (init and the update loop).
    # Before that, detection differs by NUT version: 2.8.0 probes Voltronic (QGS) first,
    # which hidups does not build, and claims in 2.8.0's order (hidups: 2.8.5's).
    tail = common_suffix(nut_sent, our_sent)
    print(f"\n{stem}: {protocol} {len(cmp.matched)}/{cmp.compared}; NUT sent "
          f"{len(nut_sent)} commands, hidups {len(our_sent)}, the last {tail} the same")
    # Q4 is gtec's claim: a 2.8.5 protocol (hidups probes it before q1), not in 2.8.0
    assert set(our_sent) - {b"Q4"} <= set(nut_sent), (nut_sent, our_sent)
    assert tail >= 5, (nut_sent, our_sent)
