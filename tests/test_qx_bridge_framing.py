"""The bridge framings against a scripted libusb: NUT's corner cases, byte for byte.

upsemu covers the ordinary conversation of every bridge (test_qx_bridge_upsemu.py);
these tests drive the paths a well-behaved emulated UPS never takes: retries, stale
buffers, odd counts, NUL bytes, shutdown index arithmetic, hunnox's lock-step, and
the link's own error handling. Expected values are worked out from NUT 2.8.5's
nutdrv_qx.c.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from typing import Any

import pytest

from hidups.device import DeviceInfo
from hidups.errors import Disconnected, ProtocolError, TransportError, TransportTimeout
from hidups.transport import qx_framing as fr
from hidups.transport import qx_strings as st
from hidups.transport.qx_link import as_query
from hidups.transport.qx_match import BRIDGES, qx_usb_ids
from hidups.transport.qx_usb import FRAMINGS, QxUsbLink

LANGS = bytes([4, 3, 0x09, 0x04])


def sd(text: str) -> bytes:
    """A string descriptor."""
    data = text.encode("utf-16-le")
    return bytes([len(data) + 2, 3]) + data


def stall() -> ProtocolError:
    error = ProtocolError("stall (LIBUSB_ERROR_PIPE)")
    error.libusb_error = "LIBUSB_ERROR_PIPE"  # type: ignore[attr-defined]
    return error


Result = bytes | int | TransportError


class FakeIo:
    """Scripted answers per kind of transfer; an empty interrupt queue times out."""

    def __init__(self, ins: Sequence[Result] | None = None,
                 intr: Sequence[Result] | None = None,
                 endpoints: list[tuple[int, int, int]] | None = None) -> None:
        self.ins: deque[Result] = deque(ins or [])
        self.intr: deque[Result] = deque(intr or [])
        self.outs: deque[Result] = deque()
        self.eps = endpoints
        self.calls: list[tuple[Any, ...]] = []  # (kind, request fields..., data)

    @staticmethod
    def _give(result: Result) -> Result:
        if isinstance(result, TransportError):
            raise result
        return result

    def control_out(self, request_type: int, request: int, value: int, index: int,
                    data: bytes, timeout_ms: int) -> int:
        self.calls.append(("out", request_type, request, value, index, data, timeout_ms))
        result = self._give(self.outs.popleft()) if self.outs else len(data)
        assert isinstance(result, int)
        return result

    def control_in(self, request_type: int, request: int, value: int, index: int,
                   length: int, timeout_ms: int) -> bytes:
        self.calls.append(("in", request_type, request, value, index, length, timeout_ms))
        result = self._give(self.ins.popleft())
        assert isinstance(result, bytes)
        return result[:length]

    def interrupt_read(self, endpoint: int, length: int, timeout_ms: int) -> bytes:
        self.calls.append(("intr", endpoint, length, timeout_ms))
        if not self.intr:
            raise TransportTimeout("timed out (LIBUSB_ERROR_TIMEOUT)")
        result = self._give(self.intr.popleft())
        assert isinstance(result, bytes)
        return result[:length]

    def interrupt_write(self, endpoint: int, data: bytes, timeout_ms: int) -> int:
        self.calls.append(("write", endpoint, data, timeout_ms))
        return len(data)

    def clear_halt(self, endpoint: int) -> None:
        self.calls.append(("halt", endpoint))

    def endpoints(self) -> list[tuple[int, int, int]] | None:
        return self.eps


def state(io: FakeIo, **kw: object) -> fr.QxState:
    slept: list[float] = []
    return fr.QxState(io=io, sleep=slept.append, **kw)  # type: ignore[arg-type]


# --- string bridges ---------------------------------------------------------------------


@pytest.mark.parametrize(("cmd", "index"), [
    (b"S.5R0000\r", 0x10), (b"S.5\r", 0x18), (b"S.3R0000\r", 0x10), (b"S.7R0000\r", 0x30),
    (b"S.75R0000\r", 0x40), (b"S01R0001\r", 0x68), (b"S02\r", 0x78), (b"S10\r", 0xF8),
    (b"S20R0000\r", 0xF0), (b"S 1R 2\r", 0x68), (b"Sx\r", 0), (b"T\r", 0),
])
def test_fabula_shutdown_index(cmd: bytes, index: int) -> None:
    assert st.shutdown_index(cmd) == index


def test_fabula_reads_the_computed_string_and_no_ack_is_no_answer() -> None:
    io = FakeIo(ins=[LANGS, sd("UPS No Ack")])
    assert st.fabula(state(io), b"S01R0001\r") == b""
    assert io.calls[1][3] == 0x0368  # string index 0x68
    assert st.fabula(state(FakeIo()), b"QGS\r") == b"QGS\r"  # echoed, nothing sent


def test_krauler_retries_no_ack_ten_times_then_gives_up() -> None:
    io = FakeIo(ins=[LANGS, sd("UPS No Ack")] * 10)
    assert st.krauler(state(io), b"T\r") == b""
    assert len(io.calls) == 20 and all(c[3] == 0x0304 for c in io.calls[1::2])


def test_krauler_with_langid_fix_replaces_the_first_byte_and_retries_bad_sizes() -> None:
    corrupt = bytes([0x20]) + sd("(215.0")[1:]  # length byte disagrees with the transfer
    io = FakeIo(ins=[corrupt, sd("x215.0 195.0")])
    assert st.krauler(state(io, langid_fix=0x0409), b"Q1\r") == b"(215.0 195.0\r"
    assert [c[4:6] for c in io.calls] == [(0x0409, 511)] * 2


def test_krauler_matches_like_strncmp_over_the_command_length() -> None:
    assert st.strncmp_equal(b"Q", b"Q1\r", 1)  # NUT sends string 3 for a bare "Q"
    assert not st.strncmp_equal(b"Q\r", b"Q1\r", 2)
    assert st.strncmp_equal(b"CT\r", b"CT\r", 3)


def test_string_ascii_conversion_and_broken_language_list() -> None:
    io = FakeIo(ins=[LANGS, sd("a\u00e9\u4e2db")])
    assert st.get_string_ascii(state(io), 3, 511) == b"a??b"
    with pytest.raises(ProtocolError, match="LIBUSB_ERROR_IO"):
        st.get_string_ascii(state(FakeIo(ins=[b"\x02\x03"])), 3, 511)


def test_snr_needs_langid_and_wakes_the_unit_first() -> None:
    with pytest.raises(ProtocolError, match="langid_fix"):
        st.snr(state(FakeIo()), b"Q1\r")
    io = FakeIo(ins=[sd("#230.0 000 024.0 50.0\r")])
    assert st.snr(state(io, langid_fix=0x0409), b"F\r") == b"#230.0 000 024.0 50.0\r"
    assert io.calls[0] == ("intr", 0x81, 102, 1000)
    assert io.calls[1][3:6] == (0x030D, 0x0409, 102)
    assert st.snr(state(FakeIo(), langid_fix=1), b"M\r") == b"M\r"


def test_hunnox_lockstep_sequence() -> None:
    io = FakeIo(ins=[LANGS, LANGS, stall(), LANGS, sd("x"),  # Q1 after step 0
                     LANGS, sd("y"),  # F
                     sd("q"), LANGS, sd("z"),  # I
                     sd("i"), LANGS, sd("w")])  # Q1
    s = state(io)
    for cmd in (b"Q1\r", b"F\r", b"I\r", b"Q1\r"):
        st.hunnox(s, cmd)
    strings = [(c[3] & 0xFF, c[5]) for c in io.calls if c[0] == "in" and c[3] != 0x0300]
    assert strings == [(1, 1026), (3, 255),  # step 0: 0, 0, 1 (the 0s hidden), then Q1
                       (0x0D, 255),  # step 1 asks F itself: no extra read
                       (0x03, 102), (0x0C, 255),  # step 2: Q1 first
                       (0x0C, 102), (0x03, 255)]  # step 3: I first
    assert s.hunnox_step == 1
    quiet = state(FakeIo(ins=[LANGS, sd("a")] * 4 + [LANGS, LANGS, LANGS]), novendor=True)
    quiet.hunnox_step = 3
    st.hunnox(quiet, b"Q1\r")
    assert [c[3] for c in quiet.io.calls] == [0x0300, 0x0303]  # type: ignore[attr-defined]


# --- report bridges ----------------------------------------------------------------------


def test_cypress_chunks_and_padding() -> None:
    io = FakeIo(intr=[b"(215.0 1", b"95.0\r\0\0\0"])
    assert fr.cypress(state(io), b"Q1\r") == b"(215.0 195.0\r\0\0\0"
    assert io.calls[0] == ("out", 0x21, 0x09, 0x200, 0, b"Q1\r\0\0\0\0\0", 5000)
    long = FakeIo(intr=[b"\r"])
    fr.cypress(state(long), b"S.5R0000\r")
    assert [c[5] for c in long.calls[:2]] == [b"S.5R0000", b"\r\0\0\0\0\0\0\0"]


def test_sgs_counts_and_the_missing_cr() -> None:
    io = FakeIo(intr=[b"\x03(21xxxx", b"\x09.0 1234", b"\xfe......"])
    assert fr.sgs(state(io), b"Q1\r") == b"(21.0 1234\r"  # 9 → 7; 0xfe → 0; CR added
    assert io.calls[0][5] == b"\x03Q1\r\0\0\0\0"
    assert io.calls[-1] == ("intr", 0x81, 8, 1000)  # read until the timeout


def test_ippon_reads_into_the_command_buffer() -> None:
    assert fr.ippon(state(FakeIo(intr=[b"AB"])), b"QGS\r") == b"ABS\r"  # NUT's stale bytes
    assert fr.ippon(state(FakeIo(intr=[b"ABC"])), b"Q1\r") == b"ABC\r"  # CR added
    io = FakeIo(intr=[b"#230.0\r" + b"\0" * 57])
    assert fr.ippon(state(io), b"F\r") == b"#230.0\r"
    assert io.calls[0][1:5] == (0x21, 0x09, 0x0002, 0) and io.calls[1][2] == 64


def test_phoenix_drains_until_a_read_fails_and_clears_a_stall() -> None:
    io = FakeIo(intr=[b"junk", b"", stall(), b"(1\r"])
    assert fr.phoenix(state(io), b"Q1\r") == b"(1\r"
    assert [c[0] for c in io.calls] == ["intr", "intr", "intr", "halt", "out", "intr"]


@pytest.mark.parametrize(("cmd", "silent"), [
    (b"M\r", True), (b"MSO\r", False), (b"T04\r", True), (b"TL\r", True), (b"QGS\r", False),
    (b"SS\r", True), (b"FCLR\r", True), (b"Q1\r", False),
])
def test_phoenixtec_commands_without_answer(cmd: bytes, silent: bool) -> None:
    io = FakeIo(intr=[b"(1", b".0\r"])
    answer = fr.phoenixtec(state(io), cmd)
    assert io.calls[0] == ("out", 0x42, 0x0D, 0, 0, cmd, 1000)
    assert answer == (b"" if silent else b"(1.0\r")
    if not silent:
        assert [c[2] for c in io.calls[1:]] == [511, 509]  # what is left of the buffer


@pytest.mark.parametrize(("cmd", "packet"), [
    (b"Q1\r", "80060303513100 2f"), (b"I\r", "8006020349000027"),
    (b"S05R0010\r", "8006040353303500"), (b"QPI\r", "8006040351504900"),
])
def test_fuji_packets(cmd: bytes, packet: str) -> None:
    io = FakeIo(intr=[b"(1\r\0\0\0\0\0"])
    assert fr.fuji(state(io), cmd) == b"(1\r"
    assert io.calls[0] == ("write", 0x02, bytes.fromhex(packet.replace(" ", "")), 5000)


def test_fuji_echoes_what_does_not_fit() -> None:
    io = FakeIo()
    assert fr.fuji(state(io), b"S05R0000\r") == b"S05R0000\r" and io.calls == []


def test_ablerex_retries_lengths_and_q5() -> None:
    io = FakeIo(ins=[b"(21\r" + b"\0" * 43] * 3)
    s = state(io)
    assert fr.ablerex(s, b"Q1\r") == b""  # 4 bytes is not Q1's 47: three tries
    assert [c[0] for c in io.calls] == ["out", "in"] * 3
    assert io.calls[0][5][:6] == bytes.fromhex("05000351310d") and len(io.calls[0][5]) == 47
    assert fr.ablerex(state(FakeIo(ins=[b"(2\r"])), b"Q5\r") == b"(" + b"\0" * 21
    assert fr.ablerex(state(FakeIo(ins=[b"\rxx"])), b"QS\r") == b""  # CR at 0: length 0


def armac_report(data: bytes, toggle: int = 0) -> bytes:
    return bytes([0x80 | toggle | len(data)]) + data.ljust(5, b"\0")


def test_armac_control_path() -> None:
    io = FakeIo(intr=[TransportTimeout("drained"), armac_report(b"(215."),
                      armac_report(b"0\r", 0x40)])
    assert fr.armac(state(io), b"Q1\r") == b"(215.0\r"
    assert io.calls[0] == ("intr", 0x81, 6, 100)  # the drain, which timed out
    assert io.calls[1][5] == b"\xa3Q1\r"
    assert fr.armac(state(FakeIo()), b"QGS\r") == b"QGS\r"


def test_armac_nul_bytes() -> None:
    assert fr.armac(state(FakeIo(intr=[b"\x0a", armac_report(b"\0abc")])), b"Q1\r") == b""
    status = b"(" + b"1" * 37
    reports = [armac_report(status[i:i + 5]) for i in range(0, 38, 5)]
    io = FakeIo(intr=[b"\x0a", *reports, armac_report(b"\0\r")])
    assert fr.armac(state(io), b"Q1\r") == status + b"0\r"  # NUL in the status bits


def test_armac_interrupt_units_and_too_much_data() -> None:
    eps = [(0x82, 3, 64), (0x02, 3, 64)]
    io = FakeIo(intr=[bytes([0x83]) + b"(1\r" + b"\0" * 60], endpoints=eps)
    assert fr.armac(state(io), b"F\r") == b"(1\r"
    assert io.calls[0] == ("write", 0x02, b"\xa2F\r", 5000)
    assert io.calls[1] == ("intr", 0x82, 64, 1000)
    endless = FakeIo(intr=[b"\x0a"] + [armac_report(b"xxxxx")] * 200)
    with pytest.raises(ProtocolError, match="too much data"):
        fr.armac(state(endless), b"Q1\r")


def test_gtec_sends_the_c_string_and_reads_128() -> None:
    io = FakeIo(intr=[b"(1\r" + b"\0" * 61])
    assert fr.gtec(state(io), b"Q1\r\0junk") == b"(1\r" + b"\0" * 61
    assert io.calls[0][3] == 0x02 and io.calls[0][5] == b"Q1\r\0\0\0\0\0"
    assert len(io.calls) == 2 and io.calls[1][2] == 128


# --- the link -------------------------------------------------------------------------------


def test_link_clears_a_stall_and_refuses_after_close() -> None:
    io = FakeIo()
    io.outs.append(stall())
    link = QxUsbLink(None, io, DeviceInfo(0x0665, 0x5161), "cypress", {})
    with pytest.raises(ProtocolError):
        link.command(b"Q1\r")
    assert io.calls[-1] == ("halt", 0x81)
    with pytest.raises(TypeError):
        link.command("Q1\r")  # type: ignore[arg-type]
    assert as_query(link)(b"Q1\r") is None  # silence: NUT's "no reply"
    link.close()
    with pytest.raises(Disconnected, match="closed"):
        link.command(b"Q1\r")


def test_timeout_option_sets_the_answer_reads() -> None:
    io = FakeIo(intr=[b"(1\r"])
    link = QxUsbLink(None, io, DeviceInfo(0x0665, 0x5161), "cypress", {})
    link.command(b"Q1\r", timeout=0.25)
    assert io.calls[-1] == ("intr", 0x81, 8, 250)


def test_every_bridge_has_a_framing_and_the_table_names_known_bridges() -> None:
    assert set(FRAMINGS) == set(BRIDGES) and len(BRIDGES) == 13
    rows = qx_usb_ids()
    assert len(rows) == 21
    assert {r.bridge for r in rows} - {None} <= set(BRIDGES)
    assert [r.vidpid for r in rows if r.bridge is None] == ["1a86:7523"]
