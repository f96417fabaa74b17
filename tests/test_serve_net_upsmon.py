"""NUT's real upsmon (primary) watching a UPS through our network server.

The served data tree goes on battery, then low battery; upsmon must notify ONBATT
and LOWBATT, set FSD through the server (``FSD ups``, which then shows in
``ups.status``), notify SHUTDOWN and run its SHUTDOWNCMD, a script that only writes a
file. Run twice: in plain text, and with ``FORCESSL 1`` so that upsmon (an NSS build)
upgrades with STARTTLS to our stdlib-ssl server. upsmon is Debian's 2.8.0 (see
``upsmon_util``: a root test runs it as NUT's user, who cannot read 2.8.5's prefix).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from conftest import require, require_nut
from nut_util import wait_until
from serve_net_util import USERS_TEXT, LineClient, Recorder
from upsmon_util import (
    UPSMON,
    hand_over,
    notify_script,
    process,
    read_notifications,
    upsmon_conf,
    upsmon_home,
)

from hidups.nut.dstate import DState
from hidups.serve.model import ServedUps
from hidups.serve.netserver import NetServer, TlsSettings
from hidups.serve.users import Users


@pytest.mark.xdist_group("upsmon")  # one upsmon at a time: Debian's writes /run/nut/upsmon.pid
@pytest.mark.nut
@pytest.mark.slow
@pytest.mark.parametrize("tls", [False, True], ids=["plain", "starttls"])
def test_upsmon_primary_shuts_down_on_low_battery(tls: bool) -> None:
    require_nut()
    require(Path(UPSMON).exists(), f"{UPSMON} is missing (nut-client)")
    require(not tls or shutil.which("openssl") is not None, "openssl is not installed")
    dstate = DState()
    for name, value in (("battery.charge", "100"), ("ups.status", "OL"),
                        ("device.mfr", "Test"), ("ups.mfr", "Test")):
        dstate.set(name, value)
    dstate.data_ok()
    ups = ServedUps("ups", "served by hidups", dstate, Recorder())
    # not pytest's tmp_path: upsmon runs as NUT's user, who cannot pass its 0700 parent
    root = Path(tempfile.mkdtemp(prefix="hidups-netmon-"))
    try:
        _run(root, dstate, ups, _certificate(root) if tls else None)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _certificate(root: Path) -> TlsSettings:
    key, cert = root / "key.pem", root / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                    str(key), "-out", str(cert), "-days", "2", "-subj", "/CN=localhost"],
                   check=True, capture_output=True, timeout=60)
    return TlsSettings(cert, key)


def _run(tmp_path: Path, dstate: DState, ups: ServedUps, tls: TlsSettings | None) -> None:
    with NetServer({"ups": ups}, Users.from_text(USERS_TEXT), [("127.0.0.1", 0)],
                   tls) as server:
        host, port = server.addresses[0]
        home, env, run_as = upsmon_home(tmp_path)
        notes, shutdown_flag = home / "notify.log", home / "shutdown.flag"
        notify_script(home / "notify.sh", notes)
        (home / "upsmon.conf").write_text(upsmon_conf(
            f"ups@{host}:{port}", "monuser", "monpass", home / "notify.sh", shutdown_flag,
            home / "killpower") + ("FORCESSL 1\nCERTVERIFY 0\n" if tls else ""))
        hand_over(home, run_as)
        with process([UPSMON, "-F"], env, home / "upsmon.log", run_as):
            logged_in = wait_until(lambda: _numlogins(server.addresses[0]) == 1, timeout=15)
            over_tls = [s.tls for s in server.protocol._sessions() if s.loginups == "ups"]
            dstate.set("ups.status", "OB DISCHRG")
            dstate.set("battery.charge", "40")
            onbatt = wait_until(lambda: _seen(notes, "ONBATT"), timeout=15)
            dstate.set("ups.status", "OB DISCHRG LB")
            dstate.set("battery.charge", "5")
            shut = wait_until(shutdown_flag.exists, timeout=30)
            wait_until(lambda: _seen(notes, "SHUTDOWN") and _seen(notes, "LOWBATT"), timeout=10)
            with LineClient(server.addresses[0]) as client:
                status = client.ask("GET VAR ups ups.status")
            fsd = "ups" in server.protocol.fsd
        log_text = "\n".join(
            f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}"
            for p in (notes, home / "upsmon.log") if p.exists())
    names = [name for _, name in read_notifications(notes)]
    assert logged_in, log_text
    assert onbatt, log_text
    assert shut, log_text
    assert shutdown_flag.read_text() == "shutdown\n"
    assert fsd and status == ['VAR ups ups.status "FSD OB DISCHRG LB"'], (status, log_text)
    assert names.index("ONBATT") < names.index("LOWBATT") < names.index("SHUTDOWN"), names
    assert over_tls == [tls is not None], log_text
    if tls is not None:  # NUT's own client (an NSS build) did the handshake
        assert "SSL handshake done successfully" in log_text, log_text


def _numlogins(address: tuple[str, int]) -> int:
    with LineClient(address) as client:
        answer = client.ask("GET NUMLOGINS ups")[0]
    return int(answer.split()[-1]) if answer.startswith("NUMLOGINS") else -1


def _seen(notes: Path, name: str) -> bool:
    return any(n == name for _, n in read_notifications(notes))

