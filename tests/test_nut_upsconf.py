"""ups.conf with NUT's grammar, the options table, the command line, option merging."""

from __future__ import annotations

import getpass
import os
import re
import subprocess
from pathlib import Path

import pytest
from conftest import nut285_bin, require_nut, require_nut285

from hidups.errors import ConfigError
from hidups.nut.cmdline import (
    Foreground,
    load_options,
    parse_command_line,
    resolve_options,
    usage,
)
from hidups.nut.options import OPTIONS, Kind, Scope, find_option, list_lines
from hidups.nut.protocol import split_line
from hidups.nut.upsconf import parse_ups_conf, plan_reload

# A ups.conf in the forms found in the wild: NUT's sample file, Debian installs,
# Home Assistant add-on output, forum posts.
REAL_WORLD = r"""
# global directives first
maxretry = 3
retrydelay=10
pollinterval = 5
user = nut
LIBUSB_DEBUG = 0
nowait

[rack]
	driver = hidups        # tab-indented, trailing comment
	port = auto
	desc = "Rack UPS, room \#2 \"main\""
	vendorid = 051d
	productid = "000[23]"
	serial = "AS0\ 9"
	pollfreq=15
	pollonly
	override.battery.charge.low = 30
	default.battery.runtime.low=120
	sdorder = -1
	LIBUSB_DEBUG = 3

[other]
	driver = snmp-ups
	port = 10.0.0.2
	community = public       # not ours: not checked
	mibs = auto

[desk]
	driver = hidups
	port = auto
	vendor = "American Power\
 Conversion"
"""


def conf(text: str = REAL_WORLD):  # type: ignore[no-untyped-def]
    return parse_ups_conf(text, "ups.conf")


def resolve(argv: list[str], text: str = REAL_WORLD):  # type: ignore[no-untyped-def]
    return resolve_options(parse_command_line(argv), conf(text))


def test_real_world_file_parses_to_nuts_values() -> None:
    c = conf()
    assert [(s.key, s.value) for s in c.globals] == [
        ("maxretry", "3"), ("retrydelay", "10"), ("pollinterval", "5"), ("user", "nut"),
        ("LIBUSB_DEBUG", "0"), ("nowait", None),
    ]
    assert list(c.sections) == ["rack", "other", "desk"]
    rack = {s.key: s.value for s in c.sections["rack"]}
    assert rack["desc"] == 'Rack UPS, room #2 "main"'
    assert rack["productid"] == "000[23]"
    assert rack["serial"] == "AS0 9"
    assert rack["pollonly"] is None
    desk = {s.key: s.value for s in c.sections["desk"]}
    assert desk["vendor"] == "American Power Conversion"
    assert c.sections["rack"][0].line == 11


def test_resolve_merges_global_section_and_x_in_that_order() -> None:
    opts = resolve(["-a", "rack", "-x", "pollfreq=20", "-x", "override.ups.id=x y"])
    assert opts.values["pollfreq"] == "20" and opts.where["pollfreq"].where == "-x"
    assert opts.values["LIBUSB_DEBUG"] == "3" and opts.where["LIBUSB_DEBUG"].where == "ups.conf:22"
    assert opts.values["maxretry"] == "3"
    assert opts.pollinterval == 5
    assert opts.flag("pollonly") and opts.values["pollonly"] == ""
    assert opts.overrides == {"battery.charge.low": "30", "ups.id": "x y"}
    assert opts.defaults == {"battery.runtime.low": "120"}
    assert opts.get("offdelay") == "20"  # the table's default


def test_command_line_i_u_g_win() -> None:
    opts = resolve(["-a", "rack", "-i", "7", "-u", "root", "-g", "dialout"])
    assert (opts.pollinterval, opts.values["user"], opts.values["group"]) == (7, "root", "dialout")


def test_standalone_reads_no_file() -> None:
    opts = resolve_options(parse_command_line(["-s", "x", "-x", "port=auto", "-x", "nolock"]),
                           None)
    assert opts.values == {"port": "auto", "nolock": ""}


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("[rack]\n  driver = hidups\n  port = auto\n  pollfrek = 30\n", 4, "pollfrek"),
        ("[rack]\n  driver = hidups\n  port auto\n", 3, "port auto"),
        ("[rack]\n  driver = hidups\n  port = auto\n  desc = Rack UPS\n", 4, "quote it"),
        ("[rack]\n  driver = hidups\n  port = auto\n  pollonly = no\n", 4, "is a flag"),
        ("[rack]\n  driver = hidups\n  port = auto\n  vendorid\n", 4, "needs a value"),
        ("[rack]\n  driver = hidups\n  port = auto\n  pollinterval = 0\n", 4, "positive"),
        ("[rack]\n  driver = hidups\n  port = auto\n  synchronous = maybe\n", 4, "yes, no"),
        ("[rack]\n  driver = hidups\n  port = auto\n  vendorid = 05(1d\n", 4, "regular"),
        ("[rack]\n  driver = hidups\n  port = auto\n  usb_hid_ep_in = 0xZZ\n", 4, "hex"),
        ("[rack]\n  driver = hidups\n  port = auto\n  desc = \"a#b\"\n", 4, "#"),
        ("[rack]\n  driver = hidups\n  port = auto\n  chroot = /x\n", 4, "chroot is a global"),
        ("[rack]\n  driver = hidups\n  port = auto\n  override.two words = 1\n", 4, "override"),
        ("[rack]\n  driver = usbhid-ups\n  port = auto\n", 2, "driver usbhid-ups"),
        ("pollintervall = 2\n[rack]\n  driver = hidups\n  port = auto\n", 1, "pollintervall"),
        ("port = auto\n[rack]\n  driver = hidups\n", 1, "port belongs in a UPS's [section]"),
        ("[ rack ]\n  driver = hidups\n", 1, "section header"),
        ("[rack]\n  driver = hidups\n  port = \n", 3, "needs a value"),
    ],
)
def test_errors_name_the_line_and_the_problem(text: str, line: int, words: str) -> None:
    with pytest.raises(ConfigError) as info:
        resolve(["-a", "rack"], text)
    err = info.value
    assert err.line == line, str(err)
    assert err.source == "ups.conf"
    assert words in str(err)
    assert str(err).startswith(f"ups.conf:{line}: ")


def test_other_sections_are_not_checked_against_our_options() -> None:
    assert resolve(["-a", "rack"]).ups == "rack"  # [other] has snmp-ups keys


def test_missing_section_and_missing_port() -> None:
    with pytest.raises(ConfigError, match=r"\[nope\] not found"):
        resolve(["-a", "nope"])
    with pytest.raises(ConfigError, match="no port"):
        resolve(["-a", "x"], "[x]\n driver = hidups\n")


def test_unknown_x_option_is_an_error_naming_it() -> None:
    with pytest.raises(ConfigError) as info:
        resolve(["-a", "rack", "-x", "offdelya=5"])
    assert info.value.option == "offdelya" and info.value.source == "-x"


def test_option_names_are_case_insensitive_as_in_nut_storeval() -> None:
    opts = resolve(["-a", "rack", "-x", "VendorID=0764"])
    assert opts.values["vendorid"] == "0764"


def test_non_ascii_is_dropped_with_a_warning() -> None:
    c = conf("[x]\n driver = hidups\n port = auto\n desc = \"B\u00fcro\"\n")
    assert {s.key: s.value for s in c.sections["x"]}["desc"] == "Bro"
    assert c.warnings and "ups.conf:4" in c.warnings[0]


# --- the command line -----------------------------------------------------------------


def test_upsdrvctl_argv_forms() -> None:
    # upsdrvctl: [driver, -D..., -B|-F|-FF, -a ups, (-r chroot), (-u user)]
    args = parse_command_line(["-DD", "-FF", "-a", "rack", "-r", "/srv", "-u", "nut"])
    assert (args.ups, args.debug, args.foreground) == ("rack", 2, Foreground.FOREGROUND_PIDFILE)
    assert (args.chroot, args.user) == ("/srv", "nut")
    assert args.runs_in_foreground and args.writes_pid_file
    args = parse_command_line(["-a", "rack", "-k"])
    assert args.killpower and not args.writes_pid_file
    args = parse_command_line(["-a", "rack", "-D", "-B"])
    assert not args.runs_in_foreground and args.writes_pid_file
    args = parse_command_line(["-a", "rack", "-d", "2"])
    assert args.dump_loops == 2 and args.runs_in_foreground and not args.writes_pid_file
    args = parse_command_line(["-a", "rack"])
    assert not args.runs_in_foreground


def test_control_and_informational_options() -> None:
    assert parse_command_line(["-a", "rack", "-c", "reload"]).control == "reload"
    args = parse_command_line(["-c", "exit", "-P", "123"])
    assert (args.control, args.control_pid, args.ups) == ("exit", 123, None)
    assert parse_command_line(["-V"]).version
    assert parse_command_line(["-h"]).help


@pytest.mark.parametrize(
    "argv",
    [[], ["-a"], ["-a", "rack", "extra"], ["-a", "rack", "-c", "restart"],
     ["-a", "rack", "-d", "x"], ["-a", "rack", "-i", "0"], ["-a", "a", "-s", "b"],
     ["-a", "rack", "-Z"], ["-a", "rack", "-x", "=3"]],
)
def test_bad_command_lines(argv: list[str]) -> None:
    with pytest.raises(ConfigError, match="Try -h"):
        parse_command_line(argv)


def test_help_lists_every_option_with_its_meaning() -> None:
    text = usage()
    for option in OPTIONS:
        assert re.search(rf"^    {re.escape(option.name)}\b.*{re.escape(option.meaning)}",
                         text, re.M), option.name
    for letter in "asVLDdFBqhkcPirugx":
        assert re.search(rf"^  -{letter}\b", text, re.M), letter


def test_L_lists_flags_and_values_as_nut_does() -> None:
    lines = list_lines()
    assert 'FLAG pollonly "do not use the interrupt pipe, only poll"' in lines
    assert any(line.startswith("VALUE vendorid ") for line in lines)


# --- the table against NUT's sources ----------------------------------------------------


#: ``usbhid-ups -h``'s option lines: ``name=<value>`` (a value) or ``name`` (a flag);
#: 2.8.5 prints the name first, 2.8.0 ends the line with ``: -x name[=<value>]``
_HELP_OPTION = (re.compile(r"^\s+([A-Za-z0-9_.]+)(=<value>)?\s*\t"),
                re.compile(r" : -x ([A-Za-z0-9_.]+)(=<value>)?$"))


def nut_registered_options(binary: str) -> dict[str, Kind]:
    """The options NUT's driver registers (addvar), as its own ``-h`` lists them."""
    result = subprocess.run([binary, "-h"], capture_output=True, text=True, timeout=30)
    text = result.stdout + result.stderr
    section = text[text.index("Acceptable values for -x or ups.conf"):]
    section = section.split("Acceptable values for 'subdriver'")[0]
    out: dict[str, Kind] = {}
    for line in section.splitlines():
        match = _HELP_OPTION[0].match(line) or _HELP_OPTION[1].search(line)
        if match:
            out[match[1]] = Kind.VALUE if match[2] else Kind.FLAG
    return out


@pytest.mark.parametrize("version", ["2.8.5", "2.8.0"])
def test_table_has_every_option_nut_registers_with_the_same_kind(version: str) -> None:
    """Every option NUT's usbhid-ups binary lists in ``-h`` is in our table, as a flag
    or a value like NUT's (2.8.5 is the reference; 2.8.0's list must fit too)."""
    if version == "2.8.5":
        require_nut285()
        binary = str(nut285_bin("usbhid-ups"))
    else:
        require_nut()
        binary = "/lib/nut/usbhid-ups"
    registered = nut_registered_options(binary)
    assert {"pollfreq", "pollonly", "vendorid", "explore"} <= set(registered)
    wrong = {}
    for name, kind in registered.items():
        if name == "winhid":
            continue  # 2.8.5: "WIN32 only"; a Linux driver has no such backend
        option = find_option(name)
        if option is None or option.kind is not kind:
            wrong[name] = (kind, option.kind if option else None)
        else:
            assert option.scope in (Scope.SECTION, Scope.BOTH), name
    assert not wrong, f"NUT {version} option kinds (NUT's, ours): {wrong}"


# --- reading the file and reloading -----------------------------------------------------


def test_load_options_reads_nut_confpath(tmp_path: Path) -> None:
    (tmp_path / "ups.conf").write_text(REAL_WORLD)
    opts = load_options(parse_command_line(["-a", "desk"]), {"NUT_CONFPATH": str(tmp_path)})
    assert opts.values["vendor"] == "American Power Conversion"
    assert opts.where["vendor"].where == f"{tmp_path / 'ups.conf'}:33"
    with pytest.raises(ConfigError, match=r"cannot read ups\.conf"):
        load_options(parse_command_line(["-a", "desk"]), {"NUT_CONFPATH": str(tmp_path / "no")})


def test_plan_reload_separates_live_changes_from_restart_ones() -> None:
    old = resolve(["-a", "rack"])
    edited = (REAL_WORLD.replace("pollfreq=15", "pollfreq=20")
              .replace("sdorder = -1", "sdorder = 2")
              .replace("pollinterval = 5", "pollinterval = 3")
              .replace("override.battery.charge.low = 30", "override.battery.charge.low = 35"))
    plan = plan_reload(old, resolve(["-a", "rack"], edited))
    assert plan.live == ["pollinterval", "sdorder"]
    assert plan.restart == ["pollfreq", "override.battery.charge.low"]
    assert plan.needs_restart
    assert not plan_reload(old, resolve(["-a", "rack"])).needs_restart


# --- against NUT's own ups.conf reader -----------------------------------------------------

TRICKY = r"""pollinterval = 1
[ref]
	driver = dummy-ups
	port = {dev}
	mode=dummy-once
	override.ups.id = "a \"b\" \\ \# c"
	override.ups.contacts = my\ thing
	override.battery.charge.low=7
	default.ups.location = "two\
lines"
	default.ups.test.result = "open
quote"   # comment
	override.device.description = x#comment
	override.device.contact = \#hash
	override.ups.firmware = ""
"""


@pytest.mark.nut
def test_tricky_ups_conf_reads_as_nut_reads_it(tmp_path: Path) -> None:
    """NUT's dummy-ups reads the same file (-a ref -d 1 prints what it stored)."""
    require_nut()
    (tmp_path / "ups.dev").write_text("ups.status: OL\n")
    text = TRICKY.format(dev=tmp_path / "ups.dev")
    (tmp_path / "ups.conf").write_text(text)
    (tmp_path / "state").mkdir()
    env = dict(os.environ, NUT_CONFPATH=str(tmp_path), NUT_STATEPATH=str(tmp_path / "state"))
    result = subprocess.run(["/lib/nut/dummy-ups", "-a", "ref", "-d", "1", "-u",
                             getpass.getuser()], capture_output=True, text=True, env=env,
                            timeout=30)
    assert result.returncode == 0, result.stderr
    nut: dict[str, str] = {}
    for line in result.stdout.splitlines():
        name, sep, value = line.partition(": ")
        if sep:  # -d prints the escaped wire form; unescape it as a client would
            nut[name] = split_line(f'"{value}"')[0] if value else ""
    ours = {s.key: s.value for s in conf(text).sections["ref"]}
    for key, value in ours.items():
        prefix, _, variable = key.partition(".")
        if prefix in ("override", "default"):
            assert nut.get(variable) == value, key
    assert nut["driver.parameter.port"] == ours["port"]
    assert nut["driver.parameter.mode"] == ours["mode"]
    assert ours["override.ups.id"] == 'a "b" \\ # c'
    assert ours["default.ups.location"] == "twolines"
    assert ours["override.device.description"] == "x"
