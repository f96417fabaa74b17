"""Which USB device a driver takes: NUT's matching options, with NUT's semantics.

NUT (drivers/usb-common.c, common/common.c ``match_regex``) compiles each option as a
POSIX extended regular expression, case-insensitive, and accepts a device only when
the expression matches the *whole* value after leading and trailing blanks, tabs and
newlines are trimmed. A string the device does not have matches as ``""``. Numbers
are matched as text: vendorid/productid as ``%04x``, bus/device/busport as ``%03d``.

Python's ``re`` is not POSIX ERE; :func:`ere_to_python` translates the differences
that matter (docs/differences.md lists them too):

* bracket expressions: a backslash is an ordinary character inside ``[...]``, a ``]``
  right after ``[`` or ``[^`` is literal, ``[:alpha:]``-style classes expand;
* an escape ERE does not define (``\\d``, ``\\n``...) is an error: glibc accepts it
  but it then matches nothing, which is never what the user meant; GNU's ``\\<``/``\\>``
  word boundaries become lookarounds;
* ``.`` matches a newline as well (no REG_NEWLINE);
* a ``*``, ``+``, ``?`` or ``{n}`` with nothing to repeat (at the start, after ``(``
  or ``|``) is an error, as glibc's regcomp says, so ``(?`` never starts a Python
  extension;
* stacked repetitions (``a*+``, ``a+?``) repeat the repetition, as in GNU, instead of
  being Python's possessive or lazy forms;
* whole-value matching uses ``fullmatch``; POSIX leftmost-longest matching accepts
  exactly the same values when the match must span the whole string.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from hidups.device import DeviceInfo
from hidups.errors import ConfigError

#: Characters NUT trims from both ends of a value before matching.
TRIMMED = " \t\n"

#: POSIX character classes → Python set contents.
POSIX_CLASSES: dict[str, str] = {
    "alpha": "a-zA-Z",
    "digit": "0-9",
    "alnum": "a-zA-Z0-9",
    "upper": "A-Z",
    "lower": "a-z",
    "space": r" \t\n\r\f\v",
    "blank": r" \t",
    "punct": r"!-/:-@\[-`{-~",
    "print": r" -~",
    "graph": r"!-~",
    "cntrl": r"\x00-\x1f\x7f",
    "xdigit": "0-9A-Fa-f",
}

#: GNU escapes that keep a meaning in ERE, and their Python spelling.
GNU_ESCAPES: dict[str, str] = {
    "w": r"\w", "W": r"\W", "s": r"\s", "S": r"\S", "b": r"\b", "B": r"\B",
    "<": r"\b(?=\w)", ">": r"\b(?<=\w)", "`": r"\A", "'": r"\Z",
}

#: One row per matching option: (option, how the device value is formatted).
MATCH_FIELDS: tuple[tuple[str, str], ...] = (
    ("vendorid", "vendor ID as %04x"),
    ("productid", "product ID as %04x"),
    ("vendor", "iManufacturer string"),
    ("product", "iProduct string"),
    ("serial", "iSerialNumber string"),
    ("bus", "bus number as %03d"),
    ("device", "device address as %03d"),
    ("busport", "port number on the parent hub as %03d"),
    ("port_path", "physical port chain, e.g. 1-4.2 (hidups addition)"),
)

#: Options matched against USB strings (unknown until the device is opened).
STRING_OPTIONS = frozenset({"vendor", "product", "serial"})

_SET_SPECIALS = set("\\[]^-&~|")


def _bracket(pattern: str, start: int) -> tuple[str, int]:
    """Translate the bracket expression at ``pattern[start] == '['``; (text, next index)."""
    i = start + 1
    out = "["
    if i < len(pattern) and pattern[i] == "^":
        out += "^"
        i += 1
    first = True
    while i < len(pattern):
        c = pattern[i]
        if c == "]" and not first:
            return out + "]", i + 1
        first = False
        if c == "[" and i + 1 < len(pattern) and pattern[i + 1] in ":.=":
            kind = pattern[i + 1]
            end = pattern.find(kind + "]", i + 2)
            if end < 0:
                raise ValueError(f"unterminated [{kind} in bracket expression")
            name = pattern[i + 2:end]
            if kind == ":":
                if name not in POSIX_CLASSES:
                    raise ValueError(f"unknown character class [:{name}:]")
                out += POSIX_CLASSES[name]
            else:
                out += "".join("\\" + ch if ch in _SET_SPECIALS else ch for ch in name)
            i = end + 2
            continue
        if c == "-" and out[-1] not in "[^" and i + 1 < len(pattern) and pattern[i + 1] != "]":
            out += "-"
        elif c in _SET_SPECIALS:
            out += "\\" + c
        else:
            out += c
        i += 1
    raise ValueError("unterminated bracket expression [")


_INTERVAL = re.compile(r"\{(\d*)(,(\d*))?\}")
#: Escaped characters that are ordinary characters in ERE (``\.`` is a dot).
_LITERAL_ESCAPES = set("^.[]$()|*+?{}\\/-,_:;'\"<>=!@#%&~` \t\n\r\v\f")


def ere_to_python(pattern: str) -> str:
    """A Python ``re`` pattern accepting what POSIX/GNU ERE ``pattern`` accepts.

    Raises ValueError where glibc's regcomp fails (a repetition with nothing to repeat,
    a malformed interval) and for escapes ERE leaves undefined (``\\d``: glibc
    compiles it to something that matches no character at all).
    """
    out: list[str] = []
    groups: list[int] = []  # index in ``out`` where each open group starts
    atom = -1  # index in ``out`` where the last atom starts (-1: nothing to repeat)
    quantified = False  # the last atom already carries a repetition
    i = 0

    def repeat(op: str) -> None:
        nonlocal quantified
        if atom < 0:
            raise ValueError(f"{op!r} at offset {i} has nothing to repeat")
        if quantified:  # GNU repeats the repetition; Python would read a*+ as possessive
            out[atom:] = ["(?:" + "".join(out[atom:]) + ")"]
        out.append(op)
        quantified = True

    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            if i + 1 >= len(pattern):
                raise ValueError("trailing backslash")
            nxt = pattern[i + 1]
            if nxt in GNU_ESCAPES:
                token = GNU_ESCAPES[nxt]
            elif nxt.isdigit() and nxt != "0":
                token = "\\" + nxt  # back-reference (GNU extension)
            elif nxt in _LITERAL_ESCAPES:
                token = re.escape(nxt)
            else:
                raise ValueError(f"\\{nxt} at offset {i} is not defined in POSIX ERE")
            atom, quantified = (len(out), False) if nxt not in "<>`'bB" else (-1, False)
            out.append(token)
            i += 2
        elif c == "[":
            atom, quantified = len(out), False
            text, i = _bracket(pattern, i)
            out.append(text)
        elif c in "*+?":
            repeat(c)
            i += 1
        elif c == "{":
            m = _INTERVAL.match(pattern, i)
            if m is None or (not m.group(1) and m.group(2) is None):
                raise ValueError(f"malformed interval at offset {i}")
            low = m.group(1) or "0"
            high = m.group(3) if m.group(2) is not None else low
            repeat("{" + low + "," + (high or "") + "}")
            i = m.end()
        elif c == "(":
            groups.append(len(out))
            out.append("(")
            atom = -1
            i += 1
        elif c == ")" and groups:
            atom, quantified = groups.pop(), False
            out.append(")")
            i += 1
        elif c == ")":  # glibc reads an unmatched ) as an ordinary character
            atom, quantified = len(out), False
            out.append("\\)")
            i += 1
        elif c in "|^$":
            out.append(c)
            atom = -1
            i += 1
        else:
            atom, quantified = len(out), False
            out.append(re.escape(c) if c in "#&~- " else c)
            i += 1
    if groups:
        raise ValueError("unmatched (")
    return "".join(out)


def compile_ere(pattern: str, option: str = "regex") -> re.Pattern[str]:
    """Compile as NUT does (REG_EXTENDED | REG_ICASE); ConfigError names the option."""
    try:
        return re.compile(ere_to_python(pattern), re.IGNORECASE | re.DOTALL)
    except (ValueError, re.error) as exc:
        raise ConfigError(f"invalid regular expression {pattern!r}: {exc}",
                          option=option) from None


def trim(value: str | None) -> str:
    """NUT's view of a device string for matching: None → "", blanks trimmed."""
    return "" if value is None else value.strip(TRIMMED)


def busport(info: DeviceInfo) -> int:
    """The device's port number on its parent hub (last element of the port path)."""
    tail = re.split(r"[-.]", info.port_path)[-1] if info.port_path else ""
    return int(tail) if tail.isdigit() and "-" in info.port_path else 0


def _numeric(value: int) -> str:
    # NUT leaves Device/BusPort NULL for 0 ("not available"); NULL matches as "".
    return f"{value:03d}" if value > 0 else ""


#: option → how to turn a DeviceInfo into the text the option's regex sees.
FIELD_VALUES: dict[str, Callable[[DeviceInfo], str]] = {
    "vendorid": lambda d: f"{d.vendor_id:04x}",
    "productid": lambda d: f"{d.product_id:04x}",
    "vendor": lambda d: trim(d.manufacturer),
    "product": lambda d: trim(d.product),
    "serial": lambda d: trim(d.serial),
    "bus": lambda d: f"{d.bus:03d}",
    "device": lambda d: _numeric(d.address),
    "busport": lambda d: _numeric(busport(d)),
    "port_path": lambda d: d.port_path,
}


@dataclass(frozen=True)
class DeviceMatcher:
    """The matching options of one ups.conf section, compiled."""

    patterns: tuple[tuple[str, str, re.Pattern[str]], ...] = ()  # (option, text, compiled)

    @classmethod
    def from_options(cls, options: Mapping[str, str]) -> DeviceMatcher:
        compiled = []
        for option, _ in MATCH_FIELDS:
            text = options.get(option)
            if text is not None:
                compiled.append((option, text, compile_ere(text, option)))
        return cls(tuple(compiled))

    def mismatch(self, info: DeviceInfo, *, without_strings: bool = False) -> str | None:
        """Why ``info`` does not match (first failing option), or None when it does.

        ``without_strings`` skips vendor/product/serial: for a device that could not be
        opened, whose strings are unknown.
        """
        for option, text, pattern in self.patterns:
            if without_strings and option in STRING_OPTIONS:
                continue
            value = FIELD_VALUES[option](info)
            if pattern.fullmatch(value) is None:
                return f"{option} {value!r} does not match {text!r}"
        return None

    def matches(self, info: DeviceInfo) -> bool:
        return self.mismatch(info) is None

    def __bool__(self) -> bool:
        return bool(self.patterns)


def same_device(expected: DeviceInfo, found: DeviceInfo) -> bool:
    """NUT's exact matcher used on reconnect: same IDs and the same three strings."""
    return (expected.vendor_id == found.vendor_id
            and expected.product_id == found.product_id
            and expected.manufacturer == found.manufacturer
            and expected.product == found.product
            and expected.serial == found.serial)


def allow_duplicates(options: Mapping[str, str]) -> bool:
    """NUT's ``allow_duplicates`` flag (a flag is present with value "")."""
    return "allow_duplicates" in options

