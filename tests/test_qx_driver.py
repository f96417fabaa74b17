"""The hidups driver process against NUT 2.8.5's and 2.8.0's nutdrv_qx, on the same
upsemu Q* device.

Every upsemu example Q* device (one or more per USB bridge: every bridge runs here) and
every shared Q* capture (through ``qx2ups.py``) is run by NUT's nutdrv_qx in dump mode
and by ``python -m hidups -s ups -x port=auto -x vendorid=... -x productid=... -d 1``.
Against NUT 2.8.5, the reference, every variable must be equal but those that name the
driver itself (``qx_driver_util.explain_285``); against 2.8.0, except the differences
``qx_driver_util.explain`` lists with their reason. Where NUT refuses a device, hidups
must refuse it too.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import qx_driver_util as qd
from conftest import require, require_nut, require_nut285, require_shared
from upsemu_util import try_build_upsemu

EXAMPLES = qd.example_devices()
CAPTURES = qd.qx_captures()

#: (NUT version, device) → the protocol NUT gives it that hidups does not build: NUT's
#: choice is checked, and hidups must drive it otherwise or refuse it clearly. Empty:
#: all 20 of NUT 2.8.5's protocols are built (the mechanism stays for a NUT release
#: that adds one).
NOT_BUILT: dict[tuple[str, str], str] = {}


@pytest.fixture(scope="module")
def library() -> Path:
    require_nut()
    require_nut285()
    require_shared()
    require(Path("/lib/nut/nutdrv_qx").exists(), "Debian's nutdrv_qx is not installed")
    lib, why = try_build_upsemu()
    require(lib is not None, f"upsemu cannot be built: {why}")
    assert lib is not None
    return lib


def check_against(version: str, name: str, nut: qd.Run, ours: qd.Run,
                  record_property: Any) -> None:
    if nut.rc != 0:
        assert "Device not supported" in nut.output, nut.output
        assert ours.rc != 0 and not ours.variables, ours.output
        assert "not supported" in ours.output, ours.output
        return
    subdriver = nut.variables["driver.version.data"].split()[0]
    if (version, name) in NOT_BUILT:
        assert subdriver == NOT_BUILT[version, name]
        return
    assert ours.rc == 0, ours.output
    protocol = subdriver.lower()
    mine = ours.variables["driver.version.data"].split()[0].lower()
    # NUT 2.8.0 has no innovatae: the plain Q1 units it gives to q1, 2.8.5 gives to it
    assert mine == (protocol if version == "2.8.5" else qd.PICKED_285.get(protocol, protocol))
    cmp = (qd.compare_285(nut.variables, ours.variables) if version == "2.8.5"
           else qd.compare(nut.variables, ours.variables, protocol))
    record_property(f"match {version}", f"{len(cmp.matched)}/{cmp.compared}")
    record_property(f"explained {version}", cmp.explained)
    assert cmp.bad == [], (f"{name} vs NUT {version}: hidups matches "
                           f"{len(cmp.matched)}/{cmp.compared}")
    # the core of the comparison is there: status, a measurement, the IDs NUT publishes
    for key in ("ups.status", "input.voltage", "ups.vendorid", "ups.productid"):
        assert key in cmp.matched, key
    assert len(cmp.matched) >= 18


def check_same(name: str, device: Path, library: Path, record_property: Any) -> None:
    options = {**qd.device_ids(device), **qd.DEVICE_OPTIONS.get(name, {})}
    ours = qd.run_hidups(device, library, options)
    if all(key in NOT_BUILT for key in (("2.8.5", name), ("2.8.0", name))):
        assert ours.rc != 0 and "not supported" in ours.output, ours.output
    for version in ("2.8.5", "2.8.0"):
        nut = qd.run_nut(device, library, options, version=version)
        check_against(version, name, nut, ours, record_property)


@pytest.mark.nut
@pytest.mark.upsemu
@pytest.mark.parametrize("device", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_device_matches_nut(library: Path, device: Path, record_property: Any) -> None:
    check_same(device.stem, device, library, record_property)


@pytest.mark.nut
@pytest.mark.upsemu
@pytest.mark.parametrize("capture", CAPTURES, ids=[p.stem for p in CAPTURES])
def test_capture_matches_nut(library: Path, capture: Path, record_property: Any) -> None:
    check_same(capture.stem, qd.capture_device(capture), library, record_property)


def test_every_bridge_has_an_example_device() -> None:
    """Evidence 3: every nutdrv_qx USB bridge runs through the driver here."""
    require_shared()
    import re

    from hidups.transport.qx_match import BRIDGES

    bridges = {m.group(1) for p in EXAMPLES
               if (m := re.search(r"^qx_bridge:\s*(\S+)", p.read_text(), re.M))}
    # gtec came after NUT 2.8.0 and upsemu has no device for it (it frames as ippon;
    # test_qx_bridge_upsemu drives it on an ippon-type device)
    assert bridges == set(BRIDGES) - {"gtec"}, sorted(bridges)


def test_explained_differences_are_narrow() -> None:
    """The known-difference rules excuse only what they name."""
    assert qd.explain("battery.voltage", "22.70", "22.7", "q1") is not None
    assert qd.explain("battery.voltage", "22.70", "22.8", "q1") is None
    assert qd.explain("device.mfr", "A", "B", "q1") is None
    assert qd.explain("device.mfr", "A", "B", "megatec") is not None
    assert qd.explain("driver.state", None, "quiet", "q1") is not None
    assert qd.explain("driver.state", "x", "quiet", "q1") is None
    assert qd.explain("ups.vendorid", "0665", None, "megatec") is None


@pytest.mark.nut
@pytest.mark.upsemu
def test_protocol_option_reaches_the_q_library(library: Path) -> None:
    """nutdrv_qx's own options are ups.conf options of hidups too: protocol=ablerex (which
    NUT 2.8.0 runs on this device) runs it; an unknown protocol is refused clearly."""
    device = qd.DEVICES_DIR / "ablerex-ablerex.ups"
    options = {**qd.device_ids(device), "protocol": "ablerex"}
    nut = qd.run_nut(device, library, options)
    assert nut.rc == 0 and nut.variables["driver.version.data"].startswith("Ablerex")
    ours = qd.run_hidups(device, library, options)
    assert ours.rc == 0 and ours.variables["driver.parameter.protocol"] == "ablerex"
    assert ours.variables["driver.version.data"].startswith("Ablerex")
    bad = qd.run_hidups(device, library, {**options, "protocol": "nosuch"})
    assert bad.rc != 0 and not bad.variables
    assert "protocol='nosuch'" in bad.output and "unknown Q* protocol" in bad.output
    ours = qd.run_hidups(device, library, {**options, "protocol": "megatec"})
    assert ours.rc == 0 and ours.variables["driver.parameter.protocol"] == "megatec"
    assert ours.variables["driver.version.data"].startswith("Megatec")


def test_a_lost_bridge_is_device_gone_as_in_nutdrv_qx() -> None:
    """NO_DEVICE, ACCESS, IO, NOT_FOUND: reconnect (qx_command); a timeout does not."""
    from hidups.errors import DeviceGone, Disconnected, ProtocolError, TransportTimeout
    from hidups.qx.device import link_lost_is_gone

    def raised(exc: Exception) -> type[BaseException]:
        try:
            with link_lost_is_gone():
                raise exc
        except BaseException as out:  # the type is what is checked
            return type(out)
        raise AssertionError("nothing raised")

    io = ProtocolError("bus error")
    io.libusb_error = "LIBUSB_ERROR_IO"
    pipe = ProtocolError("stall")
    pipe.libusb_error = "LIBUSB_ERROR_PIPE"
    assert raised(Disconnected("gone")) is DeviceGone
    assert raised(io) is DeviceGone
    assert raised(pipe) is ProtocolError
    assert raised(TransportTimeout("slow")) is TransportTimeout


@pytest.mark.nut
@pytest.mark.upsemu
def test_default_variables_reach_the_q_tables_as_in_nut(library: Path) -> None:
    """nutdrv_qx reads ``default.battery.packs`` back (dstate) to scale the battery
    voltage of a unit that reports one pack; hidups' driver process must too (it gave
    the unscaled 218.4 when only the published tree saw the default)."""
    device = Path(__file__).parent / "data" / "qx" / "q6-3phase.ups"
    options = {**qd.device_ids(device), "protocol": "q6",
               "battery_voltage_reports_one_pack": "", "default.battery.packs": "2"}
    nut = qd.run_nut(device, library, options, version="2.8.5")
    ours = qd.run_hidups(device, library, options)
    assert nut.rc == 0 and ours.rc == 0, ours.output
    assert ours.variables["battery.voltage"] == nut.variables["battery.voltage"] == "436.80"
    assert ours.variables["battery.packs"] == nut.variables["battery.packs"] == "2"
