"""NUT's matching options: POSIX ERE, case-insensitive, whole value after trimming.

NUT's answer is computed here by the same C calls NUT makes (common/common.c
``match_regex``: glibc ``regcomp(REG_EXTENDED | REG_ICASE)``, ``regexec``, then "the
match must span the whole trimmed string"), through ctypes, and compared with ours on
a table of cases. The expected booleans are also written out, so the table says what
NUT does even where glibc is absent.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

import pytest

from hidups.device import DeviceInfo
from hidups.errors import ConfigError
from hidups.transport.matching import DeviceMatcher, compile_ere, same_device, trim

REG_EXTENDED, REG_ICASE = 1, 2


class _RegMatch(ctypes.Structure):
    _fields_ = [("rm_so", ctypes.c_int), ("rm_eo", ctypes.c_int)]


def _libc() -> ctypes.CDLL | None:
    if not sys.platform.startswith("linux"):
        return None
    name = ctypes.util.find_library("c")
    return ctypes.CDLL(name) if name else None


LIBC = _libc()


def nut_match_regex(pattern: str, value: str | None) -> bool | None:
    """NUT's match_regex through glibc (None when the pattern does not compile)."""
    assert LIBC is not None
    preg = ctypes.create_string_buffer(256)  # regex_t is 64 bytes on glibc x86_64
    if LIBC.regcomp(preg, pattern.encode("latin-1"), REG_EXTENDED | REG_ICASE) != 0:
        return None
    try:
        text = (value or "").strip(" \t\n").encode("latin-1")
        match = _RegMatch()
        if LIBC.regexec(preg, text, 1, ctypes.byref(match), 0) != 0:
            return False
        return bool(match.rm_so == 0 and match.rm_eo == len(text))
    finally:
        LIBC.regfree(preg)


# (pattern, value, NUT's answer: True/False, or None when regcomp rejects the pattern)
CASES: list[tuple[str, str | None, bool | None]] = [
    ("051d", "051d", True),
    ("051D", "051d", True),  # REG_ICASE
    ("51d", "051d", False),  # whole value, not a substring
    ("05", "051d", False),
    ("^051d$", "051d", True),
    ("051d|0764", "0764", True),
    ("0(5|7)[0-9a-f]+", "0764", True),
    ("apc", "American Power Conversion", False),
    ("american.*", "American Power Conversion", True),
    ("American Power Conversion", "  American Power Conversion \t\n", True),  # trimmed
    ("American Power Conversion ", "American Power Conversion ", False),  # value trimmed
    ("", None, True),  # a missing string matches as ""
    (".*", None, True),
    (".", None, False),
    ("x?", "", True),
    ("Back-UPS.*", "Back-UPS ES 700G FW:871.O4 .I USB FW:O4", True),
    ("back-ups [[:alpha:]]+ [[:digit:]]+g.*", "Back-UPS ES 700G FW:871.O4", True),
    ("[[:upper:]]{3}", "cps", True),  # classes fold case under REG_ICASE as well
    (r"a\.b", "a.b", True),
    (r"a\.b", "axb", False),
    (r"[\]x", "\\x", True),  # backslash is literal inside brackets: [\] then x
    (r"[\]x", "x", False),
    (r"[]a]", "]", True),  # ] first in a bracket is literal
    ("[^0-9]+", "abc", True),
    (r"\d+", "123", None),  # \d is not ERE (glibc matches nothing; we refuse it)
    (r"\n", "n", None),
    (r"\.", ".", True),
    (r"\/", "/", True),
    ("a{2,3}", "aaa", True),
    ("a{2,3}", "aaaa", False),
    ("(ab)+", "ababab", True),
    ("a|ab", "ab", True),  # leftmost-longest vs leftmost-first: same whole-value answer
    ("(a|ab)(c|bcd)", "abcd", True),
    ("00[0-9]", "001", True),
    ("1", "001", False),
    ("*a", "*a", None),  # nothing to repeat
    ("a|?", "?", None),
    ("(*a)", "*a", None),
    ("a{x}", "a{x}", None),  # malformed intervals
    ("a{1,2", "a", None),
    ("a{,2}", "aa", True),
    ("a{1}{2}", "aa", True),  # stacked repetitions repeat each other
    ("a**", "aaa", True),
    ("a+?", "aaa", True),  # not Python's lazy: (a+)? matches the whole value
    ("x*+", "xxx", True),  # not Python's possessive
    ("(a)\\1", "aa", True),  # back-reference
    ("[[.-.]]", "-", True),
    ("[z-a]", "b", None),
    ("a)", "a)", True),  # an unmatched ) is an ordinary character
    ("(a", "a", None),
    (r"\<ups\>", "ups", True),
    ("eaton|mge.*", "MGE UPS SYSTEMS", True),
]


@pytest.mark.parametrize("pattern,value,expected", CASES)
def test_match_like_nut(pattern: str, value: str | None, expected: bool | None) -> None:
    if LIBC is not None and expected is not None:
        assert nut_match_regex(pattern, value) is expected
    if expected is None:
        with pytest.raises(ConfigError):
            compile_ere(pattern)
        return
    assert (compile_ere(pattern).fullmatch(trim(value)) is not None) is expected


@pytest.mark.parametrize("pattern", [p for p, _, e in CASES if e is None and "\\" not in p])
def test_patterns_glibc_rejects_are_rejected(pattern: str) -> None:
    if LIBC is None:
        pytest.skip("no glibc here")
    assert nut_match_regex(pattern, "") is None


def test_invalid_regex_names_the_option() -> None:
    with pytest.raises(ConfigError) as err:
        DeviceMatcher.from_options({"product": "Back-UPS ("})
    assert err.value.option == "product"
    with pytest.raises(ConfigError):
        DeviceMatcher.from_options({"vendor": "[[:nope:]]"})


APC = DeviceInfo(0x051D, 0x0002, "American Power Conversion", "Back-UPS ES 700G", None,
                 bus=1, address=5, port_path="1-4.2")


@pytest.mark.parametrize("options,expected", [
    ({}, True),
    ({"vendorid": "051D"}, True),
    ({"vendorid": "51d"}, False),
    ({"productid": "000[0-3]"}, True),
    ({"vendor": "american power conversion"}, True),
    ({"product": "Back-UPS"}, False),
    ({"serial": ""}, True),  # no serial → ""
    ({"serial": ".+"}, False),
    ({"bus": "001"}, True),
    ({"bus": "1"}, False),
    ({"device": "005"}, True),
    ({"busport": "002"}, True),
    ({"busport": "004"}, False),
    ({"port_path": "1-4\\.2"}, True),
    ({"port_path": "1-4"}, False),
])
def test_device_matcher_fields(options: dict[str, str], expected: bool) -> None:
    assert DeviceMatcher.from_options(options).matches(APC) is expected


def test_mismatch_says_which_option() -> None:
    why = DeviceMatcher.from_options({"vendorid": "0764"}).mismatch(APC)
    assert why is not None and "vendorid" in why and "051d" in why


def test_exact_reconnect_matcher() -> None:
    assert same_device(APC, APC)
    assert not same_device(APC, DeviceInfo(0x051D, 0x0002, "American Power Conversion",
                                           "Back-UPS ES 700G", "X"))


def test_python_escaped_strings_match_themselves() -> None:
    """The driver narrows reconnects with ``re.escape(string)``; that must stay exact."""
    import json
    import re

    from shared_captures import shared_capture_files

    values = {"Back-UPS 500 FW: 6.5.I USB FW: c1", "Smart-UPS X 750  FW:COM 03.8 / UPS 03.8",
              "a\tb (c) [d] {e} $f^ |g| *h+ ?i #j &k ~l"}
    for path in shared_capture_files():
        doc = json.loads(path.read_text())
        values.update(v for v in (doc.get("manufacturer"), doc.get("product")) if v)
    for value in values:
        assert compile_ere(re.escape(value.strip())).fullmatch(trim(value)), value
        if LIBC is not None and "\t" not in value:
            assert nut_match_regex(re.escape(value.strip()), value), value
