"""NUT's parseconf word grammar, as docs/config-notes.txt and common/parseconf.c define it."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hidups.nut.protocol import ARG_LIMIT, WORD_LIMIT, WordParser, escape, quote, split_line


@pytest.mark.parametrize(
    ("line", "words"),
    [
        # '=' is a word of its own, with or without spaces around it
        ("port=auto", ["port", "=", "auto"]),
        ("port = auto", ["port", "=", "auto"]),
        ("port =auto", ["port", "=", "auto"]),
        ("port= auto", ["port", "=", "auto"]),
        # quotes keep spaces; an empty quoted string is a word
        ('desc = "Rack UPS"', ["desc", "=", "Rack UPS"]),
        ('desc = ""', ["desc", "=", ""]),
        # backslash escapes \, " and # (and anything else)
        (r'desc = "a \"b\" \\ \# c"', ["desc", "=", 'a "b" \\ # c']),
        (r"serial = my\#1ups", ["serial", "=", "my#1ups"]),
        (r"a\ b", ["a b"]),
        # '#' outside quotes starts a comment, even inside a word (config-notes.txt)
        ("serial = my#1ups", ["serial", "=", "my"]),
        ("  nolock   # trailing comment", ["nolock"]),
        ("# only a comment", []),
        # tabs and carriage returns separate words
        ("\tport\t=\tauto\r", ["port", "=", "auto"]),
        # the protocol's own lines
        ('SET ups.delay.shutdown "30" TRACKING 1bd3', ["SET", "ups.delay.shutdown", "30",
                                                       "TRACKING", "1bd3"]),
    ],
)
def test_words(line: str, words: list[str]) -> None:
    assert split_line(line) == words


def test_quote_spans_lines_and_backslash_joins_lines() -> None:
    parser = WordParser()
    lines = parser.feed('desc = "two\nlines"\nport = \\\nauto\nnext\n')
    assert [(ln.words, ln.line) for ln in lines] == [
        (["desc", "=", "twolines"], 1),  # the newline inside quotes is dropped, as NUT does
        (["port", "=", "auto"], 3),
        (["next"], 5),
    ]


def test_unescaped_hash_in_quotes_is_an_error_and_the_next_line_still_parses() -> None:
    lines = WordParser().feed('desc = "a#b"\nport = auto\n')
    assert lines[0].error is not None and "#" in lines[0].error
    assert lines[1].words == ["port", "=", "auto"] and lines[1].error is None


def test_last_line_without_newline_is_kept() -> None:
    parser = WordParser()
    assert parser.feed("nolock") == []
    assert [ln.words for ln in parser.finish()] == [["nolock"]]


def test_unterminated_quote_at_end_is_an_error() -> None:
    parser = WordParser()
    parser.feed('desc = "open')
    (line,) = parser.finish()
    assert line.error is not None and "quote" in line.error


def test_nut_limits_words_and_word_length() -> None:
    words = split_line(" ".join(f"w{i}" for i in range(40)))
    assert len(words) == ARG_LIMIT and words[-1] == f"w{ARG_LIMIT - 1}"
    (long_word,) = split_line("x" * 2000)
    assert long_word == "x" * WORD_LIMIT


def test_control_and_non_ascii_characters_are_dropped_from_words() -> None:
    assert split_line('"a\x01b\x7fc\xe9d"') == ["ab\x7fcd"]


def test_overlong_line_is_discarded_up_to_its_newline_fed_in_pieces() -> None:
    parser = WordParser(max_line=1000)
    out = parser.feed("GARBAGE" * 100)
    for _ in range(50):
        out += parser.feed("y" * 20_000)
    out += parser.feed("tail\nPING\n")
    assert len(out) == 2
    assert out[0].error is not None and "longer" in out[0].error
    assert out[1].words == ["PING"] and out[1].error is None


def test_incremental_feeding_gives_the_same_lines() -> None:
    text = 'SETINFO ups.mfr "A \\"q\\" \\#1"\nPING\nINSTCMD load.off TRACKING 12\n'
    whole = WordParser().feed(text)
    parser = WordParser()
    pieces = []
    for ch in text:
        pieces += parser.feed(ch)
    assert [ln.words for ln in pieces] == [ln.words for ln in whole]
    assert whole[0].words == ["SETINFO", "ups.mfr", 'A "q" #1']


def test_escape_is_nuts_pconf_encode() -> None:
    # PCONF_ESCAPE in common/parseconf.c: backslash, double quote, hash
    assert escape('a\\b"c#d e') == 'a\\\\b\\"c\\#d e'
    assert quote("x y") == '"x y"'


@given(st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E)))
def test_quote_then_parse_round_trips(value: str) -> None:
    value = value[:WORD_LIMIT]
    assert split_line(f"SETINFO x {quote(value)}") == ["SETINFO", "x", value]


def test_newline_in_a_value_cannot_split_a_protocol_line() -> None:
    value = quote("two\nlines")
    assert split_line(f"SETINFO x {value}") == ["SETINFO", "x", "twolines"]
