"""The protocol layer without sockets: upsd.users grammar and rights, each write refused
for each reason upsd has, stale data, ranges, tracking, descriptions, line squeezing.
Answers are upsd 2.8.5's (``server/net*.c``); the transcript test checks them live."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from serve_net_util import USERS_TEXT, Recorder

from hidups.errors import ConfigError
from hidups.nut.dstate import DState
from hidups.nut.protocol import WordParser, split_line
from hidups.serve.cmdvartab import UNAVAILABLE, Descriptions
from hidups.serve.model import ServedUps
from hidups.serve.netproto import NetProtocol, Session, atoi
from hidups.serve.netserver import squeeze
from hidups.serve.users import Users


def make(stale: bool = False, recorder: Recorder | None = None) -> tuple[NetProtocol, DState,
                                                                         Recorder]:
    dstate = DState()
    dstate.set("ups.status", "OL")
    dstate.set("ups.mfr", 'Say "hi" \\ #1')
    dstate.set("ups.delay.shutdown", "20")
    dstate.set_flags("ups.delay.shutdown", "RW", "STRING")
    dstate.set_aux("ups.delay.shutdown", 3)
    dstate.set("input.transfer.low", "160")
    dstate.set_flags("input.transfer.low", "RW")
    dstate.add_range("input.transfer.low", 150, 170)
    dstate.add_range("input.transfer.low", 180, 190)
    dstate.set("input.sensitivity", "low")
    dstate.set_flags("input.sensitivity", "RW")
    dstate.add_enum("input.sensitivity", "low")
    dstate.add_enum("input.sensitivity", "high")
    dstate.add_cmd("load.off")
    dstate.add_cmd("beeper.enable")
    if not stale:
        dstate.data_ok()
    recorder = recorder or Recorder()
    ups = ServedUps("ups", "", dstate, recorder)
    proto = NetProtocol({"ups": ups}, Users.from_text(USERS_TEXT),
                        descriptions=Descriptions({"ups.status": "UPS status"},
                                                  {"load.off": "Turn off the load"}))
    return proto, dstate, recorder


def ask(proto: NetProtocol, session: Session, line: str) -> list[str]:
    return proto.handle(session, split_line(line)).lines


def logged(user: str, password: str) -> Session:
    return Session("127.0.0.1", username=user, password=password)


# --- upsd.users ----------------------------------------------------------------------

def test_users_grammar_as_upsd_reads_it() -> None:
    users = Users.from_text(
        "password = orphan  # before any section: ignored\n"
        "[a]\n  password = pa\n  actions = SET\n  actions = fsd\n  instcmds = ALL\n"
        "[b]\n  password=pb\n  password = second\n  upsmon master\n"
        "[c]\n  password = \"p c\"\n  upsmon = slave\n  instcmds = load.off beeper.enable\n"
        "[a]\n  password = other\n"
        "[d]\n  actions = SET\n",
        "test.users")
    assert len(users) == 4
    assert users.check_action("a", "pa", "SET") and users.check_action("a", "pa", "FSD")
    assert not users.check_action("a", "pa", "LOGIN")
    assert users.check_instcmd("a", "pa", "anything.at.all")
    assert not users.check_action("a", "other", "SET")  # the duplicate section is ignored
    assert users.check_action("b", "pb", "MASTER") and users.check_action("b", "pb", "LOGIN")
    assert users.check_action("b", "pb", "fsd") and not users.check_action("b", "second", "FSD")
    assert users.check_action("c", "p c", "LOGIN") and not users.check_action("c", "p c", "FSD")
    assert users.check_instcmd("c", "p c", "LOAD.OFF")
    assert not users.check_instcmd("c", "p c", "shutdown.return")
    assert not users.check_action("d", "", "SET")  # no password: no right at all
    assert not users.check_action(None, None, "SET")


def test_users_file_errors_name_the_file_and_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"bad\.users:3: parse error"):
        Users.from_text('[a]\n  password = x\n  actions = "SET # oops"\n', "bad.users")
    with pytest.raises(ConfigError, match=r"bad\.users:1: empty user name"):
        Users.from_text("[]\n", "bad.users")
    missing = tmp_path / "upsd.users"
    with pytest.raises(ConfigError, match=str(missing)):
        Users.from_file(missing)
    missing.write_text(USERS_TEXT)
    assert Users.from_file(missing).check_action("admin", "adminpass", "SET")


# --- refusals ------------------------------------------------------------------------

WRITES = ("SET VAR ups ups.delay.shutdown 30", "INSTCMD ups load.off", "FSD ups",
          "LOGIN ups", "PRIMARY ups")


@pytest.mark.parametrize("request_line", WRITES)
def test_each_write_is_refused_without_login(request_line: str) -> None:
    proto, _, recorder = make()
    assert ask(proto, Session("x"), request_line) == ["ERR USERNAME-REQUIRED"]
    assert ask(proto, Session("x", username="admin"), request_line) == [
        "ERR PASSWORD-REQUIRED"]
    assert ask(proto, logged("admin", "wrong"), request_line) == ["ERR ACCESS-DENIED"]
    assert ask(proto, logged("nobody", "adminpass"), request_line) == ["ERR ACCESS-DENIED"]
    assert ask(proto, logged("watcher", "watchpass"),
               request_line) == (["OK"] if request_line == "LOGIN ups"
                                 else ["ERR ACCESS-DENIED"])
    unknown = request_line.replace(" ups", " nope", 1)
    assert ask(proto, logged("admin", "adminpass"), unknown) == ["ERR UNKNOWN-UPS"]
    proto.close()
    assert recorder.calls == []
    assert proto.fsd == set()


def test_stale_data_refuses_what_upsd_refuses() -> None:
    proto, _, recorder = make(stale=True)
    admin, mon = logged("admin", "adminpass"), logged("monuser", "monpass")
    for line in ("GET VAR ups ups.status", "GET TYPE ups ups.status", "GET DESC ups x",
                 "GET CMDDESC ups load.off", "GET NUMLOGINS ups", "LIST VAR ups",
                 "LIST RW ups", "LIST CMD ups", "LIST ENUM ups input.sensitivity",
                 "LIST RANGE ups input.transfer.low"):
        assert ask(proto, Session("x"), line) == ["ERR DATA-STALE"], line
    assert ask(proto, admin, "SET VAR ups ups.delay.shutdown 30") == ["ERR DATA-STALE"]
    assert ask(proto, admin, "INSTCMD ups load.off") == ["ERR DATA-STALE"]
    # as upsd: these do not look at the data
    assert ask(proto, Session("x"), "GET UPSDESC ups") == ['UPSDESC ups "Unavailable"']
    assert ask(proto, Session("x"), "LIST UPS") == [
        "BEGIN LIST UPS", 'UPS ups "Description unavailable"', "END LIST UPS"]
    assert ask(proto, Session("x"), "GET VAR ups server.version") == [
        'VAR ups server.version "2.8.5"']
    assert ask(proto, mon, "LOGIN ups") == ["OK"]
    assert ask(proto, mon, "FSD ups") == ["OK FSD-SET"]
    proto.close()
    assert recorder.calls == []


def test_string_enum_and_range_checks_before_the_driver() -> None:
    proto, _, recorder = make()
    admin = logged("admin", "adminpass")
    assert ask(proto, admin, "SET VAR ups ups.delay.shutdown 1234") == ["ERR TOO-LONG"]
    assert ask(proto, admin, "SET VAR ups ups.mfr x") == ["ERR READONLY"]
    assert ask(proto, admin, "SET VAR ups input.sensitivity LOW") == ["ERR INVALID-VALUE"]
    assert ask(proto, admin, "SET VAR ups input.transfer.low 171") == ["ERR INVALID-VALUE"]
    assert ask(proto, admin, "SET VAR ups input.transfer.low abc") == ["ERR INVALID-VALUE"]
    assert ask(proto, admin, "SET VAR ups input.transfer.low 185V") == ["OK"]
    assert ask(proto, admin, "SET VAR ups input.sensitivity high") == ["OK"]
    assert ask(proto, admin, 'SET VAR ups ups.delay.shutdown "30"') == ["OK"]
    assert ask(proto, Session("x"), "LIST RANGE ups input.transfer.low") == [
        "BEGIN LIST RANGE ups input.transfer.low",
        'RANGE ups input.transfer.low "150" "170"', 'RANGE ups input.transfer.low "180" "190"',
        "END LIST RANGE ups input.transfer.low"]
    assert ask(proto, Session("x"), "GET TYPE ups input.transfer.low") == [
        "TYPE ups input.transfer.low RW RANGE NUMBER"]
    assert ask(proto, Session("x"), "GET TYPE ups input.sensitivity") == [
        "TYPE ups input.sensitivity RW ENUM NUMBER"]
    assert ask(proto, Session("x"), "GET TYPE ups ups.delay.shutdown") == [
        "TYPE ups ups.delay.shutdown RW STRING:3"]
    proto.close()
    assert recorder.calls == [("SET", "input.transfer.low", "185V"),
                              ("SET", "input.sensitivity", "high"),
                              ("SET", "ups.delay.shutdown", "30")]
    assert [atoi(t) for t in (" 12x", "-3", "+4", "x1", "")] == [12, -3, 4, 0, 0]


def test_values_are_escaped_and_fsd_prefixes_the_status() -> None:
    proto, _, _ = make()
    assert ask(proto, Session("x"), "GET VAR ups ups.mfr") == [
        'VAR ups ups.mfr "Say \\"hi\\" \\\\ \\#1"']
    assert ask(proto, logged("monuser", "monpass"), "FSD ups") == ["OK FSD-SET"]
    assert ask(proto, Session("x"), "GET VAR ups ups.status") == [
        'VAR ups ups.status "FSD OL"']
    assert 'VAR ups ups.status "FSD OL"' in ask(proto, Session("x"), "LIST VAR ups")
    proto.close()


def test_tracking_follows_the_driver_result() -> None:
    proto, _, recorder = make(recorder=Recorder(delay=0.3))
    admin = logged("admin", "adminpass")
    assert ask(proto, admin, "SET TRACKING ON") == ["OK"]
    answer = ask(proto, admin, "INSTCMD ups load.off")[0]
    ident = answer.split()[-1]
    assert answer.startswith("OK TRACKING ") and ident == ident.upper() and len(ident) == 36
    assert ask(proto, admin, f"GET TRACKING {ident}") == ["PENDING"]
    time.sleep(0.6)
    assert ask(proto, admin, f"GET TRACKING {ident.lower()}") == ["SUCCESS"]
    recorder.status, recorder.delay = 2, 0.0
    ident = ask(proto, admin, "INSTCMD ups load.off 5")[0].split()[-1]
    time.sleep(0.2)
    assert ask(proto, admin, f"GET TRACKING {ident}") == ["ERR INVALID-ARGUMENT"]
    assert ask(proto, admin, "GET TRACKING 0000") == ["ERR UNKNOWN"]
    proto.close()
    assert recorder.calls[-1] == ("INSTCMD", "load.off", "5")


def test_numlogins_and_clients_count_sessions() -> None:
    dstate = DState()
    dstate.set("ups.status", "OL")
    dstate.data_ok()
    sessions = [Session("10.0.0.1"), Session("::1")]
    proto = NetProtocol(lambda: {"ups": ServedUps("UPS", "d", dstate, Recorder())},
                        Users.from_text(USERS_TEXT), descriptions=Descriptions(),
                        sessions=lambda: sessions)
    for session in sessions:
        session.username, session.password = "monuser", "monpass"
        assert ask(proto, session, "LOGIN ups") == ["OK"]
    assert ask(proto, sessions[0], "LOGIN ups") == ["ERR ALREADY-LOGGED-IN"]
    assert ask(proto, Session("x"), "GET NUMLOGINS ups") == ["NUMLOGINS ups 2"]
    assert ask(proto, Session("x"), "LIST CLIENT Ups") == [
        "BEGIN LIST CLIENT Ups", "CLIENT UPS 10.0.0.1", "CLIENT UPS ::1", "END LIST CLIENT Ups"]
    assert ask(proto, Session("x"), "LOGOUT") == ["OK Goodbye"]
    assert proto.handle(Session("x"), ["LOGOUT"]).close
    proto.close()


def test_descriptions_from_cmdvartab(tmp_path: Path) -> None:
    table = tmp_path / "cmdvartab"
    table.write_text('VARDESC ups.status "UPS status"\nCMDDESC load.off "Turn off"\n'
                     'VARDESC ups.status "Newer"\nJUNK x\n# comment\n')
    found = Descriptions.load([tmp_path / "missing", table])
    assert found.variable("UPS.STATUS") == "Newer"
    assert found.variable("upstream.ups.status") == "Newer"
    assert found.command("load.off") == "Turn off"
    assert found.command("load.on") == UNAVAILABLE
    empty = Descriptions.load([tmp_path / "missing"])
    assert empty.variable("ups.status") == UNAVAILABLE
    proto, _, _ = make()
    assert ask(proto, Session("x"), "GET DESC ups ups.status") == [
        'DESC ups ups.status "UPS status"']
    assert ask(proto, Session("x"), "GET CMDDESC ups beeper.enable") == [
        'CMDDESC ups beeper.enable "Description unavailable"']
    proto.close()


def test_squeeze_keeps_the_words_nut_would_parse() -> None:
    for line in ("GET VAR ups " + "A" * 100_000 + " tail\n",
                 'SET VAR ups x "' + "B" * 5000 + " " * 3000 + 'C"\n',
                 "LIST" + " " * 50_000 + "UPS\n"):
        plain, squeezed = WordParser(max_line=1 << 30), WordParser()
        assert [w.words for w in plain.feed(line)] == [w.words for w in squeezed.feed(
            squeeze(line))]
        assert len(squeeze(line)) < 10_000


def test_upsd_conf_listen_maxconn_certfile(tmp_path: Path) -> None:
    from hidups.serve.netconf import DEFAULT_LISTEN, UpsdConf

    conf = UpsdConf.from_text("# upsd.conf\nLISTEN 127.0.0.1 3493\nlisten ::1\nMAXAGE 15\n"
                              "MAXCONN 64\nCERTFILE /etc/nut/upsd.pem\n")
    assert conf.listen == [("127.0.0.1", 3493), ("::1", 3493)]
    assert conf.maxconn == 64 and conf.certfile == "/etc/nut/upsd.pem"
    tls = conf.tls()
    assert tls is not None and str(tls.certfile) == "/etc/nut/upsd.pem"
    assert UpsdConf.from_text("").listen_or_default() == list(DEFAULT_LISTEN)
    with pytest.raises(ConfigError, match=r"x\.conf:2: MAXCONN: 'lots'"):
        UpsdConf.from_text("LISTEN 0.0.0.0\nMAXCONN lots\n", "x.conf")
    with pytest.raises(ConfigError, match=r"x\.conf:1: LISTEN: '99999'"):
        UpsdConf.from_text("LISTEN 0.0.0.0 99999\n", "x.conf")
    with pytest.raises(ConfigError, match=r"x\.conf:1: LISTEN takes"):
        UpsdConf.from_text("LISTEN\n", "x.conf")
    with pytest.raises(ConfigError, match=r"upsd\.conf"):
        UpsdConf.from_file(tmp_path / "upsd.conf")


def test_requests_after_close_fail_as_upsd_when_the_driver_is_gone() -> None:
    proto, _, recorder = make()
    proto.close()
    admin = logged("admin", "adminpass")
    assert ask(proto, admin, "INSTCMD ups load.off") == ["ERR INSTCMD-FAILED"]
    assert ask(proto, admin, "SET VAR ups ups.delay.shutdown 30") == ["ERR SET-FAILED"]
    assert recorder.calls == []


def test_ups_lines_narrow_a_users_rights_to_named_upses() -> None:
    """The hidups extension: ``ups = ...``; without it rights are global, as upsd's."""
    users_text = USERS_TEXT + (
        "[rack]\n  password = rp\n  actions = SET\n  instcmds = ALL\n  upsmon primary\n"
        "  ups = Left\n  ups = middle\n")
    upses = {}
    recorder = Recorder()
    for name in ("left", "middle", "right"):
        dstate = DState()
        dstate.set("ups.delay.shutdown", "20")
        dstate.set_flags("ups.delay.shutdown", "RW", "STRING")
        dstate.set_aux("ups.delay.shutdown", 10)
        dstate.add_cmd("load.off")
        dstate.data_ok()
        upses[name] = ServedUps(name, "", dstate, recorder)
    proto = NetProtocol(upses, Users.from_text(users_text), descriptions=Descriptions())
    rack, admin = logged("rack", "rp"), logged("admin", "adminpass")
    for ups, answer in (("left", "OK"), ("MIDDLE", "OK"), ("right", "ERR ACCESS-DENIED")):
        assert ask(proto, rack, f"SET VAR {ups} ups.delay.shutdown 30") == [answer]
        assert ask(proto, rack, f"INSTCMD {ups} load.off") == [answer]
        assert ask(proto, rack, f"PRIMARY {ups}")[0] == (
            "OK PRIMARY-GRANTED" if answer == "OK" else answer)
        assert ask(proto, rack, f"FSD {ups}")[0] == ("OK FSD-SET" if answer == "OK" else answer)
        assert ask(proto, admin, f"INSTCMD {ups} load.off") == ["OK"]  # global, as in NUT
    assert ask(proto, rack, "LOGIN right") == ["ERR ACCESS-DENIED"]
    assert ask(proto, rack, "LOGIN left") == ["OK"]
    proto.close()
    assert proto.fsd == {"left", "middle"}
    assert len(recorder.calls) == 2 * 2 + 3
