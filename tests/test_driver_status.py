"""ups.status / ups.alarm synthesis against NUT's answers (usbhid-ups.c ups_status_set,
process_boolean_info, ups_alarm_set; dstate.c status_commit) of NUT 2.8.5, the reference.

Where 2.8.0 answered otherwise, the test says so; the differential's ``nut280`` rows in
docs/differences.md hold the same differences on the emulated devices."""

from __future__ import annotations

import pytest

from hidups.device import DeviceInfo
from hidups.driver.status import (
    StatusBits,
    StatusOptions,
    StatusSynthesizer,
    alarm_texts,
    charge_trend,
    commit_status,
    lbrb_default_delay,
)
from hidups.hid2nut import lookups


def nothing(name: str) -> str | None:
    """A dstate with no variables."""
    return None


def bits_of(*tokens: str) -> StatusBits:
    bits = StatusBits()
    for t in tokens:
        bits.apply(t)
    return bits


def status(tokens: tuple[str, ...], values: dict[str, str] | None = None,
           options: StatusOptions | None = None, alarm: bool = False) -> str:
    vals = values or {}
    synth = StatusSynthesizer(options or StatusOptions())
    syn = synth.synthesize(bits_of(*tokens), vals.get, 0.0)
    return commit_status(syn.tokens, vals.get, ignorelb=(options or StatusOptions()).ignorelb,
                         alarm_active=alarm)


# (status tokens from BOOL rows, battery.charge, NUT's ups.status)
NUT_ANSWERS = [
    (("online",), None, "OL"),
    (("offline",), None, "OB"),
    (("offline", "dischrg"), None, "OB DISCHRG"),
    (("online", "chrg"), "50", "OL CHRG"),
    # no power bit at all: nothing about power; discharging alone means on battery
    ((), None, ""),
    (("dischrg",), None, "OB DISCHRG"),
    # online cleared by the device (Belkin/Liebert's AC-failure bit gives "!online"):
    # 2.8.0 says OB; 2.8.5 publishes no power word there, hiding a power failure
    # (deliberate difference, docs/differences.md, liebert-gxt4 row)
    (("!online",), None, "OB"),
    (("online", "!online", "lowbatt"), None, "OB LB"),
    # OL+DISCHRG without options: OL, and DISCHRG still shown
    (("online", "dischrg"), "90", "OL DISCHRG"),
    # depleted hides DISCHRG
    (("offline", "dischrg", "depleted"), None, "OB"),
    # LB from any of three bits
    (("offline", "lowbatt"), None, "OB LB"),
    (("offline", "timelimitexp"), None, "OB LB"),
    (("offline", "shutdownimm"), None, "OB LB"),
    # full order of 2.8.5: CAL OL DISCHRG CHRG LB OVER RB TRIM BOOST BYPASS OFF
    # (2.8.0 put CAL last)
    (("online", "dischrg", "chrg", "notfullycharged", "lowbatt", "overload", "replacebatt",
      "trim", "boost", "bypassauto", "off", "cal"), "50",
     "CAL OL DISCHRG CHRG LB OVER RB TRIM BOOST BYPASS OFF"),
    (("offline", "cal"), None, "CAL OB"),
    # 2.8.5: a missing battery is RB as well as an alarm (2.8.0: the alarm only)
    (("online", "nobattery"), None, "OL RB"),
    (("online", "bypassman"), None, "OL BYPASS"),
]


@pytest.mark.parametrize(("tokens", "charge", "expected"), NUT_ANSWERS)
def test_status_words_match_nut(tokens: tuple[str, ...], charge: str | None,
                                expected: str) -> None:
    values = {"battery.charge": charge} if charge is not None else {}
    assert status(tokens, values) == expected


def test_online_and_offline_clear_each_other() -> None:
    bits = bits_of("offline", "online")
    assert "offline" not in bits and "online" in bits
    bits.apply("offline")
    assert "online" not in bits
    bits = bits_of("fullycharged", "notfullycharged")
    assert "fullycharged" not in bits


def test_bits_persist_until_their_own_token_clears_them() -> None:
    bits = bits_of("online", "chrg")
    bits.apply("!dischrg")
    assert "chrg" in bits
    bits.apply("!chrg")
    assert "chrg" not in bits


def test_tables_from_lookups_drive_the_bits() -> None:
    """The shared status tables: ACPresent 0 -> offline -> OB; BatteryPresent 0 -> RB."""
    bits = StatusBits()
    ctx = None  # Table look-ups ignore the context
    for table, raw in ((lookups.ONLINE_INFO, 0), (lookups.NOBATTERY_INFO, 0),
                       (lookups.OFF_INFO, 1), (lookups.REPLACEBATT_INFO, 1)):
        token = table.to_nut(raw, ctx)  # type: ignore[arg-type]
        assert token is not None
        bits.apply(token)
    syn = StatusSynthesizer().synthesize(bits, nothing, 0.0)
    assert syn.tokens == ["OB", "RB"]
    assert alarm_texts(bits) == ["Replace battery!", "No battery installed!"]


def test_chrg_rule_of_nut_2_8_5() -> None:
    # the device's word first: fully charged never CHRG, not fully charged always
    assert status(("online", "chrg", "fullycharged"), {"battery.charge": "90"}) == "OL"
    assert status(("online", "chrg", "notfullycharged"), {"battery.charge": "100"}) == "OL CHRG"
    # neither said: only 0 < battery.charge < 100 (2.8.0 said CHRG in all four)
    assert status(("online", "chrg"), {"battery.charge": "100"}) == "OL"
    assert status(("online", "chrg"), {"battery.charge": "0"}) == "OL"
    assert status(("online", "chrg"), {"battery.charge": "99"}) == "OL CHRG"
    assert status(("online", "chrg"), {}) == "OL"
    # "!fullycharged" alone clears the word without saying "not fully charged"
    assert status(("online", "chrg", "fullycharged", "!fullycharged"),
                  {"battery.charge": "100"}) == "OL"
    # fullycharged and notfullycharged replace each other
    bits = bits_of("online", "chrg", "fullycharged", "notfullycharged")
    assert StatusSynthesizer().synthesize(bits, nothing, 0).tokens == ["OL", "CHRG"]


def test_onlinedischarge_options() -> None:
    ob = StatusOptions(onlinedischarge_onbattery=True)
    assert status(("online", "dischrg"), {"battery.charge": "80"}, ob) == "OB DISCHRG"
    cal = StatusOptions(onlinedischarge_calibration=True)
    # NUT: with only the calibration flag no OL is emitted; CAL comes first
    assert status(("online", "dischrg"), {"battery.charge": "80"}, cal) == "CAL DISCHRG"
    both = StatusOptions(onlinedischarge_onbattery=True, onlinedischarge_calibration=True)
    assert status(("online", "dischrg"), {}, both) == "CAL OB DISCHRG"


def test_options_parsing_and_alias() -> None:
    dev = DeviceInfo(0x0764, 0x0501, "CPS", "UT850EG")
    assert StatusOptions.from_options({"onlinedischarge": ""}, dev).onlinedischarge_onbattery
    opts = StatusOptions.from_options(
        {"onlinedischarge_log_throttle_hovercharge": "500", "lbrb_log_delay_sec": "-4"}, dev)
    assert opts.log_throttle_hovercharge == 100  # out of 1..100: default
    assert opts.lbrb_delay == 3  # negative: NUT's 3 s


def test_online_discharge_warning_is_throttled(caplog: pytest.LogCaptureFixture) -> None:
    synth = StatusSynthesizer(StatusOptions(log_throttle_sec=30))
    bits = bits_of("online", "dischrg")
    values = {"battery.charge": "80"}
    with caplog.at_level("WARNING"):
        synth.synthesize(bits, values.get, 0.0)
        synth.synthesize(bits, values.get, 1.0)  # same charge, 1 s later: quiet
        values["battery.charge"] = "79"
        synth.synthesize(bits, values.get, 2.0)  # charge moved below 100: log
    warnings = [r for r in caplog.records if "online and discharging" in r.message]
    assert len(warnings) == 2


def test_lbrb_delay_while_calibrating() -> None:
    opts = StatusOptions(lbrb_delay=3)
    synth = StatusSynthesizer(opts)
    bits = bits_of("online", "cal", "lowbatt", "replacebatt")
    words = [synth.synthesize(bits, nothing, t).tokens for t in (0.0, 2.0, 3.5)]
    assert "LB" not in words[0] and "LB" not in words[1]
    assert "LB" in words[2]
    assert "RB" not in words[0] and "RB" in words[2]
    # not online: a real power failure is never delayed
    synth2 = StatusSynthesizer(opts)
    assert "LB" in synth2.synthesize(bits_of("offline", "cal", "lowbatt"), nothing, 0.0).tokens
    # not calibrating and no lbrb_log_delay_without_calibrating: not delayed
    synth3 = StatusSynthesizer(opts)
    assert "LB" in synth3.synthesize(bits_of("online", "lowbatt"), nothing, 0.0).tokens
    synth4 = StatusSynthesizer(StatusOptions(lbrb_delay=3, lbrb_without_calibrating=True))
    assert "LB" not in synth4.synthesize(bits_of("online", "lowbatt"), nothing, 0.0).tokens


def test_lbrb_automatic_default_for_flapping_apc_models() -> None:
    apc = "American Power Conversion"
    assert lbrb_default_delay(DeviceInfo(0x051D, 2, apc, "Back-UPS BX1600MI")) == 3  # " BX"
    assert lbrb_default_delay(DeviceInfo(0x051D, 2, "APC", "BX1600MI")) == 3
    assert lbrb_default_delay(DeviceInfo(0x051D, 2, apc, "BK650M2-CH")) == 3
    assert lbrb_default_delay(DeviceInfo(0x051D, 2, "APC", "Back-UPS CS 500")) == 0
    assert lbrb_default_delay(DeviceInfo(0x0764, 2, "CPS", "BX1600MI")) == 0


def test_ignorelb() -> None:
    ig = StatusOptions(ignorelb=True)
    # device LB dropped; charge above the driver's threshold
    vals = {"battery.charge": "50", "battery.charge.low": "20"}
    assert status(("offline", "lowbatt"), vals, ig) == "OB"
    # our threshold reached: LB appended at the end
    vals = {"battery.charge": "10", "battery.charge.low": "20"}
    assert status(("offline", "overload"), vals, ig) == "OB OVER LB"
    vals = {"battery.runtime": "100", "battery.runtime.low": "120"}
    assert status(("offline",), vals, ig) == "OB LB"


def test_alarm_prefix_and_texts() -> None:
    assert status(("online",), alarm=True) == "ALARM OL"
    assert status((), alarm=True) == "ALARM"
    bits = bits_of("replacebatt", "overheat", "bypassman", "shutdownimm")
    assert alarm_texts(bits) == ["Replace battery!", "Shutdown imminent!",
                                 "Temperature too high!", "Manual bypass mode!"]


def test_transfer_reason_from_range_bits() -> None:
    synth = StatusSynthesizer()
    assert synth.synthesize(bits_of("vrange"), nothing, 0).transfer_reason == \
        "input voltage out of range"
    assert synth.synthesize(bits_of("frange"), nothing, 0).transfer_reason == \
        "input frequency out of range"
    assert synth.synthesize(bits_of(), nothing, 0).transfer_reason is None


def test_charge_trend_rule_of_nut_master() -> None:
    assert charge_trend(["OL"], 50, 51) == "CHRG"
    assert charge_trend(["OB"], 50, 49) == "DISCHRG"
    assert charge_trend(["OL", "DISCHRG"], 50, 51) == "CHRG"
    assert charge_trend(["OL", "CHRG"], 50, 49) == "DISCHRG"
    assert charge_trend(["OL", "CHRG"], 50, 51) is None
    assert charge_trend(["OL"], 99, 100) is None  # at 100 % nothing is inferred
    assert charge_trend(["OL"], None, 50) is None


def test_unknown_tokens_are_ignored() -> None:
    bits = StatusBits()
    assert not bits.apply("normal")  # eco_mode_info's 0
    assert bits.bits == set()
