"""Run NUT's real ``upsd`` rootless on loopback, and its clients against it.

``upsd`` is an external measuring instrument here, NUT 2.8.5's (the reference: the
Debian sid build nut_sid.sh unpacks, run through its wrappers) whenever it is unpacked;
without it, Debian 12's 2.8.0 in ``/lib/nut`` outside CI, and an error in CI
(``HIDUPS_REQUIRE_NUT=1``). ``HIDUPS_NUT_STACK=2.8.0`` asks for 2.8.0 explicitly. It is
started in the foreground with a throw-away ``NUT_CONFPATH``/``NUT_STATEPATH``, a free
TCP port on 127.0.0.1, and ``upsd.users`` holding an admin (``actions = SET``,
``instcmds = ALL``) and a upsmon user. Drivers (ours, or NUT's) put their sockets in
:attr:`Upsd.state`; upsd connects to ``<driver>-<ups>`` there, as in production.

Reused by the engine's integration tests::

    with upsd_running(ups_conf_text) as upsd:
        ...start a driver with env=upsd.env...
        upsd.wait_for_vars("myups")
        upsd.upsc("myups")
"""

from __future__ import annotations

import contextlib
import getpass
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path


def stack_version() -> str:
    """The NUT version whose upsd and clients the end-to-end tests use (see above)."""
    from conftest import nut285_root

    wanted = os.environ.get("HIDUPS_NUT_STACK")
    if wanted == "2.8.0":
        return "2.8.0"
    if nut285_root() is not None:
        return "2.8.5"
    if wanted == "2.8.5" or os.environ.get("HIDUPS_REQUIRE_NUT") == "1":
        raise RuntimeError("NUT 2.8.5 is not unpacked (run .ci/run or upsemu's nut_sid.sh "
                           "with NUT_OUT=~/.cache/hidups/nut-2.8.5)")
    return "2.8.0"


def nut_program(name: str) -> str:
    """Path of a NUT program (upsd, upsc, upscmd, upsrw, upsmon) of :func:`stack_version`."""
    from conftest import nut285_bin

    if stack_version() == "2.8.5":
        return str(nut285_bin(name))
    if name in ("upsd", "upsmon"):
        return f"/lib/nut/{name}"  # /sbin/upsmon is Debian's wrapper needing nut.conf MODE
    return name  # the clients are on PATH (nut-client)
ADMIN, ADMIN_PASSWORD = "admin", "adminpass"
MONITOR, MONITOR_PASSWORD = "monuser", "monpass"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_until(predicate: Callable[[], bool], timeout: float = 10.0, step: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


@dataclass
class Upsd:
    """A running upsd and the paths and credentials to use it."""

    root: Path
    port: int
    proc: subprocess.Popen[bytes] | None = None
    log_path: Path = field(init=False)

    def __post_init__(self) -> None:
        self.log_path = self.root / "upsd.log"

    @property
    def conf(self) -> Path:
        return self.root / "conf"

    @property
    def state(self) -> Path:
        return self.root / "state"

    @property
    def env(self) -> dict[str, str]:
        """Environment for upsd, drivers and clients: NUT_CONFPATH / NUT_STATEPATH."""
        env = dict(os.environ)
        env.update(
            NUT_CONFPATH=str(self.conf),
            NUT_STATEPATH=str(self.state),
            NUT_ALTPIDPATH=str(self.state),
        )
        return env

    def address(self, ups: str) -> str:
        return f"{ups}@127.0.0.1:{self.port}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    # --- clients -----------------------------------------------------------------------

    def run(self, *argv: str, timeout: float = 10.0) -> subprocess.CompletedProcess[str]:
        """A NUT client of the stack's version (``upsc``, ``upscmd``, ``upsrw``...)."""
        program = nut_program(argv[0]) if argv[0] in ("upsc", "upscmd", "upsrw") else argv[0]
        return subprocess.run(
            [program, *argv[1:]], capture_output=True, text=True, timeout=timeout, env=self.env
        )

    def upsc(self, ups: str, var: str | None = None) -> subprocess.CompletedProcess[str]:
        argv = ["upsc", self.address(ups)] + ([var] if var else [])
        return self.run(*argv)

    def upsc_vars(self, ups: str) -> dict[str, str]:
        """``upsc``'s ``name: value`` lines as a dict (empty if upsc failed)."""
        result = self.upsc(ups)
        if result.returncode != 0:
            return {}
        out = {}
        for line in result.stdout.splitlines():
            name, sep, value = line.partition(": ")
            if sep:
                out[name] = value
        return out

    def upscmd(self, ups: str, command: str, param: str | None = None,
               wait: bool = True) -> subprocess.CompletedProcess[str]:
        argv = ["upscmd", "-u", ADMIN, "-p", ADMIN_PASSWORD]
        argv += ["-w"] if wait else []
        argv += [self.address(ups), command] + ([param] if param is not None else [])
        return self.run(*argv, timeout=20)

    def upsrw(self, ups: str, var: str, value: str,
              wait: bool = True) -> subprocess.CompletedProcess[str]:
        argv = ["upsrw", "-u", ADMIN, "-p", ADMIN_PASSWORD]
        argv += ["-w"] if wait else []
        argv += ["-s", f"{var}={value}", self.address(ups)]
        return self.run(*argv, timeout=20)

    def wait_for_vars(self, ups: str, timeout: float = 15.0) -> dict[str, str]:
        """Wait until upsc shows variables for ``ups`` (upsd connected and dumped)."""
        found: dict[str, str] = {}

        def ready() -> bool:
            nonlocal found
            found = self.upsc_vars(ups)
            return bool(found)

        if not wait_until(ready, timeout, step=0.2):
            raise TimeoutError(f"upsc shows nothing for {ups}; upsd log:\n{self.log()}")
        return found

    # --- life cycle --------------------------------------------------------------------

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self.proc = None


def write_config(upsd: Upsd, ups_conf: str, *, maxage: int = 15) -> None:
    upsd.conf.mkdir(parents=True, exist_ok=True)
    upsd.state.mkdir(parents=True, exist_ok=True)
    os.chmod(upsd.state, 0o770)
    (upsd.conf / "ups.conf").write_text(ups_conf)
    (upsd.conf / "upsd.conf").write_text(f"LISTEN 127.0.0.1 {upsd.port}\nMAXAGE {maxage}\n")
    (upsd.conf / "upsd.users").write_text(
        f"[{ADMIN}]\n    password = {ADMIN_PASSWORD}\n    actions = SET\n"
        f"    instcmds = ALL\n\n"
        f"[{MONITOR}]\n    password = {MONITOR_PASSWORD}\n    upsmon primary\n"
    )
    for name in ("ups.conf", "upsd.conf", "upsd.users"):
        os.chmod(upsd.conf / name, 0o600)


def start_upsd(ups_conf: str, *, root: Path | None = None, maxage: int = 15,
               timeout: float = 10.0) -> Upsd:
    """Write the configuration and start upsd; returns once its TCP port accepts."""
    root = Path(tempfile.mkdtemp(prefix="hidups-upsd-")) if root is None else root
    upsd = Upsd(root, free_port())
    write_config(upsd, ups_conf, maxage=maxage)
    log = open(upsd.log_path, "wb")  # noqa: SIM115 - closed when upsd exits
    upsd.proc = subprocess.Popen(
        [nut_program("upsd"), "-F", "-u", getpass.getuser()],
        stdout=log, stderr=subprocess.STDOUT, env=upsd.env,
    )
    log.close()

    def listening() -> bool:
        if upsd.proc is not None and upsd.proc.poll() is not None:
            raise RuntimeError(f"upsd exited early:\n{upsd.log()}")
        with contextlib.suppress(OSError), socket.create_connection(
            ("127.0.0.1", upsd.port), timeout=0.2
        ):
            return True
        return False

    if not wait_until(listening, timeout):
        upsd.stop()
        raise TimeoutError(f"upsd did not listen on {upsd.port}:\n{upsd.log()}")
    return upsd


@contextlib.contextmanager
def upsd_running(ups_conf: str, *, maxage: int = 15, keep: bool = False) -> Iterator[Upsd]:
    """``start_upsd`` as a context manager; removes the directory afterwards."""
    upsd = start_upsd(ups_conf, maxage=maxage)
    try:
        yield upsd
    finally:
        upsd.stop()
        if not keep:
            shutil.rmtree(upsd.root, ignore_errors=True)


@contextlib.contextmanager
def hidups_under_upsd(capture: Path, extra: str = "") -> Iterator[Upsd]:
    """upsd serving ``hidups -a ups -F`` on the replayed ``capture`` (ups.conf lines in
    ``extra`` are added to the section); the driver must exit cleanly on SIGTERM."""
    import sys

    conf = (f"[ups]\n    driver = hidups\n    port = replay:{capture}\n"
            f"    pollinterval = 1\n{extra}")
    with upsd_running(conf) as upsd:
        with open(upsd.root / "driver.log", "wb") as log:
            driver = subprocess.Popen([sys.executable, "-m", "hidups", "-a", "ups", "-F"],
                                      env=upsd.env, stdout=log, stderr=subprocess.STDOUT)
        try:
            upsd.wait_for_vars("ups")
            yield upsd
        finally:
            driver.terminate()
            driver.wait(timeout=10)
            assert driver.returncode == 0, (upsd.root / "driver.log").read_text()


# --- NUT's dummy-ups: a real NUT driver socket to compare ours with ---------------------

DUMMY_UPS = "/lib/nut/dummy-ups"


def dev_file_text(variables: dict[str, str]) -> str:
    """A dummy-ups ``.dev`` file setting ``variables`` (values quoted and escaped)."""
    lines = []
    for name, value in variables.items():
        escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("#", "\\#")
        lines.append(f'{name}: "{escaped}"')
    return "\n".join(lines) + "\n"


@contextlib.contextmanager
def dummy_ups_running(dev_text: str, *, mode: str = "dummy-once",
                      interval: int = 2) -> Iterator[Path]:
    """Run NUT's dummy-ups on a ``.dev`` file; yields the path of its driver socket."""
    root = Path(tempfile.mkdtemp(prefix="hidups-dummy-"))
    (root / "state").mkdir()
    dev = root / "ups.dev"
    dev.write_text(dev_text)
    env = dict(os.environ, NUT_STATEPATH=str(root / "state"),
               NUT_ALTPIDPATH=str(root / "state"))
    log = open(root / "driver.log", "wb")  # noqa: SIM115 - closed right after Popen
    proc = subprocess.Popen(
        [DUMMY_UPS, "-s", "ref", "-x", f"port={dev}", "-x", f"mode={mode}",
         "-i", str(interval), "-F", "-u", getpass.getuser()],
        stdout=log, stderr=subprocess.STDOUT, env=env,
    )
    log.close()
    sock = root / "state" / "dummy-ups-ref"
    try:
        if not wait_until(sock.exists, 10):
            raise TimeoutError((root / "driver.log").read_text(errors="replace"))
        yield sock
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
        shutil.rmtree(root, ignore_errors=True)
