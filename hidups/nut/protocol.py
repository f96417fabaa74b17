"""NUT's word grammar (``parseconf``): one tokenizer for ups.conf and the driver socket.

NUT reads its configuration files and the driver socket with the same small state
machine, so both sides of the socket and every config file agree on quoting. The rules,
as NUT applies them:

- words are separated by whitespace; ``"double quotes"`` keep spaces inside one word
  and may span lines;
- a backslash makes the next character literal (``\\"``, ``\\#``, ``\\\\``); a
  backslash before a newline joins the two lines;
- ``#`` outside quotes starts a comment that runs to the end of the line; an
  unescaped ``#`` inside quotes is an error;
- ``=`` is a word of its own, so ``key=value`` and ``key = value`` give the same three
  words;
- characters below 0x20 or above 0x7f are dropped from words; a word keeps at most
  512 characters and a line at most 32 words (the rest is dropped silently).

:class:`WordParser` is incremental (the socket feeds it whatever ``recv`` returns) and
bounded: a logical line longer than ``max_line`` characters is discarded up to its
newline and reported as an error instead of being buffered.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import Enum, auto

#: NUT's default parser limits (``PCONF_DEFAULT_ARG_LIMIT`` / ``..._WORDLEN_LIMIT``).
ARG_LIMIT = 32
WORD_LIMIT = 512
#: Longest logical line we buffer before giving up on it (far above 32 x 512).
MAX_LINE = 64 * 1024
#: NUT truncates every value it stores to this many characters (``ST_MAX_VALUE_LEN``-1).
MAX_VALUE_LEN = 255

_ESCAPED = '\\"#'
_PLAIN_WORD = re.compile(r'[^\s"\\#=]+')
#: A line the state machine would only split on blanks: printable ASCII, tabs and
#: carriage returns, no quote, backslash, ``#`` or ``=``.
_PLAIN_LINE = re.compile(r'[\t\r !$-<>-\[\]-\x7f]*')


class _State(Enum):
    WORD_START = auto()
    COMMENT = auto()
    QUOTED = auto()
    QUOTED_LITERAL = auto()
    WORD = auto()
    WORD_LITERAL = auto()
    SKIP_LINE = auto()  # after an error or an overlong line: drop to the newline


@dataclass
class Line:
    """One logical line: its words, the physical line it started on, and any error."""

    words: list[str]
    line: int
    error: str | None = None


@dataclass
class WordParser:
    """Incremental parseconf tokenizer; :meth:`feed` returns the lines it completed."""

    arg_limit: int = ARG_LIMIT
    word_limit: int = WORD_LIMIT
    max_line: int = MAX_LINE
    _state: _State = _State.WORD_START
    _words: list[str] = field(default_factory=list)
    _word: list[str] = field(default_factory=list)
    _line_no: int = 1
    _start_line: int = 1
    _line_len: int = 0
    _error: str | None = None

    def feed(self, text: str) -> list[Line]:
        out: list[Line] = []
        i, n = 0, len(text)
        while i < n:
            if self._state is _State.SKIP_LINE:
                nl = text.find("\n", i)
                if nl < 0:
                    return out
                i = nl
            elif self._at_line_start():
                # Fast paths (same results as the state machine, without stepping each
                # character in Python): a whole plain line, or a line already too long.
                nl = text.find("\n", i)
                end = n if nl < 0 else nl
                if end - i > self.max_line:
                    self._line_len = end - i
                    self._fail(f"line longer than {self.max_line} characters")
                    i = end
                    continue
                if nl >= 0 and _PLAIN_LINE.fullmatch(text, i, nl):
                    words = [w[: self.word_limit] for w in text[i:nl].split()]
                    if words:
                        out.append(Line(words[: self.arg_limit], self._start_line))
                    self._line_no += 1
                    self._start_line = self._line_no
                    i = nl + 1
                    continue
            ch = text[i]
            i += 1
            self._line_len += 1
            if self._line_len > self.max_line and self._state is not _State.SKIP_LINE:
                self._fail(f"line longer than {self.max_line} characters")
                if ch != "\n":
                    continue
            self._step(ch, out)
            if ch == "\n":
                self._line_no += 1
        return out

    def finish(self) -> list[Line]:
        """End of input: complete a last line that has no newline."""
        out: list[Line] = []
        if self._state in (_State.QUOTED, _State.QUOTED_LITERAL):
            self._fail("unterminated quote at end of input")
        if self._state is _State.SKIP_LINE:
            self._emit(out)
            return out
        if self._word or self._state in (_State.WORD, _State.WORD_LITERAL):
            self._end_word()
        if self._words:
            self._emit(out)
        return out

    def _at_line_start(self) -> bool:
        return (
            self._state is _State.WORD_START and not self._words and not self._word
            and self._error is None and self._line_len == 0
        )

    # --- the state machine ------------------------------------------------------

    def _step(self, ch: str, out: list[Line]) -> None:
        state = self._state
        if state is _State.WORD_START:
            self._word_start(ch, out)
        elif state is _State.COMMENT or state is _State.SKIP_LINE:
            if ch == "\n":
                self._emit(out)
        elif state is _State.QUOTED:
            if ch == '"':
                self._end_word()
                self._state = _State.WORD_START
            elif ch == "\\":
                self._state = _State.QUOTED_LITERAL
            elif ch == "#":
                self._fail("unescaped # inside quotes")
            else:
                self._add(ch)
        elif state is _State.QUOTED_LITERAL:
            if ch != "\n":
                self._add(ch)
            self._state = _State.QUOTED
        elif state is _State.WORD:
            if ch == "#":
                self._end_word()
                self._state = _State.COMMENT
            elif ch == "\n":
                self._end_word()
                self._emit(out)
            elif ch.isspace():
                self._end_word()
                self._state = _State.WORD_START
            elif ch == "=":
                self._end_word()
                self._word_start(ch, out)
            elif ch == "\\":
                self._state = _State.WORD_LITERAL
            else:
                self._add(ch)
        elif state is _State.WORD_LITERAL:
            if ch != "\n":
                self._add(ch)
            self._state = _State.WORD

    def _word_start(self, ch: str, out: list[Line]) -> None:
        if ch == "\n":
            self._emit(out)
        elif ch == "#":
            self._state = _State.COMMENT
        elif ch.isspace():
            self._state = _State.WORD_START
        elif ch == "\\":
            self._state = _State.WORD_LITERAL
        elif ch == '"':
            self._state = _State.QUOTED
        elif ch == "=":
            self._add(ch)
            self._end_word()
            self._state = _State.WORD_START
        else:
            self._add(ch)
            self._state = _State.WORD

    def _add(self, ch: str) -> None:
        if not " " <= ch <= "\x7f":
            return
        if len(self._word) < self.word_limit:
            self._word.append(ch)

    def _end_word(self) -> None:
        if len(self._words) < self.arg_limit:
            self._words.append("".join(self._word))
        self._word = []

    def _fail(self, message: str) -> None:
        if self._error is None:
            self._error = message
        self._state = _State.SKIP_LINE
        self._word = []

    def _emit(self, out: list[Line]) -> None:
        if self._words or self._error:
            out.append(Line(self._words, self._start_line, self._error))
        self._words = []
        self._word = []
        self._error = None
        self._state = _State.WORD_START
        self._line_len = 0
        self._start_line = self._line_no + 1


def split_line(text: str) -> list[str]:
    """The words of one line (for tests and small callers); errors raise ValueError."""
    parser = WordParser()
    lines = parser.feed(text.rstrip("\n") + "\n")
    words: list[str] = []
    for line in lines:
        if line.error:
            raise ValueError(line.error)
        words.extend(line.words)
    return words


def escape(value: str) -> str:
    """NUT's ``pconf_encode``: backslash before ``\\``, ``"`` and ``#``.

    Unlike NUT, control characters (newline included) are dropped: the reader would
    drop them anyway, except a newline, which would cut the protocol line in two.
    """
    out: list[str] = []
    for ch in value:
        if ch < " ":
            continue
        if ch in _ESCAPED:
            out.append("\\")
        out.append(ch)
    return "".join(out)


def quote(value: str) -> str:
    """A value as one quoted, escaped word: ``"..."``."""
    return f'"{escape(value)}"'


def word(value: str) -> str:
    """A word sent bare when it needs no quoting (names, ids), quoted otherwise."""
    if value and _PLAIN_WORD.fullmatch(value):
        return value
    return quote(value)
