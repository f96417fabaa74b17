"""``hidups list`` names the nutdrv_qx bridge a Q* device sits behind (from NUT's table)."""

from __future__ import annotations

from hidups.tools import list_devices

from hidups.device import DeviceInfo
from hidups.transport.base import DeviceSurvey


def survey(vid: int, pid: int, manufacturer: str | None = None,
           product: str | None = None) -> DeviceSurvey:
    return DeviceSurvey(info=DeviceInfo(vid, pid, manufacturer, product), interfaces=[0],
                        looks_like_ups=False)


def test_voltronic_cypress_bridge_is_named() -> None:
    text = list_devices.format_survey(survey(0x0665, 0x5161))
    assert "Q* USB-serial bridge 'cypress'" in text
    assert list_devices._as_json(survey(0x0665, 0x5161))["qx_bridge"] == "cypress"


def test_ambiguous_ids_follow_the_strings_as_nut() -> None:
    # 0001:0000 is split by strings in nutdrv_qx's table: MEC/MEC0003 is fabula, a bare
    # device falls through to krauler (the first row with no strings)
    assert "'fabula'" in list_devices.format_survey(survey(0x0001, 0x0000, "MEC", "MEC0003"))
    assert "'krauler'" in list_devices.format_survey(survey(0x0001, 0x0000))
    assert "'phoenixtec'" in list_devices.format_survey(
        survey(0x06DA, 0x0002, "Phoenixtec Power", "USB Cable (V2.00)"))


def test_hid_ups_and_ch340_get_no_bridge() -> None:
    apc = list_devices.format_survey(survey(0x051D, 0x0002))
    assert "Q*" not in apc
    assert list_devices._as_json(survey(0x051D, 0x0002))["qx_bridge"] is None
    ch340 = list_devices.format_survey(survey(0x1A86, 0x7523))
    assert "No subdriver selected" in ch340 and "bridge '" not in ch340
