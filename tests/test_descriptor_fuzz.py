"""Fuzzing the parser: whatever the bytes, the result is a descriptor or a DescriptorError.

Inputs are random bytes, random item sequences (well-formed items with any prefix and
data), and corpus descriptors with bytes flipped, inserted, deleted, cut or spliced.
``scripts/fuzz_descriptor.py`` runs the same property for 100,000+ inputs outside pytest.
Four strategies x 500 examples = 2,000 inputs per run.
"""

from __future__ import annotations

from conftest import SHARED_CAPTURES
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shared_captures import shared_capture, shared_capture_files

from hidups.descriptor import ReportDescriptor
from hidups.descriptor.items import encode_item, encode_long_item, tokenize
from hidups.descriptor.parser import MAX_REPORT_BYTES
from hidups.errors import DescriptorError


def _corpus() -> list[bytes]:
    found = []
    if SHARED_CAPTURES.is_dir():
        for path in shared_capture_files():
            hex_text = shared_capture(path).get("descriptor_hex")
            if hex_text:
                found.append(bytes.fromhex(hex_text))
    # A small built-in descriptor keeps the mutation tests meaningful without the corpus.
    found.append(bytes.fromhex(
        "05 84 09 04 a1 01 09 24 a1 00 85 01 75 08 95 01 15 00 26 ff 00 05 85 09 66 b1 02 "
        "09 02 a1 02 75 01 95 02 25 01 09 44 09 45 81 02 95 06 81 01 c0 c0 c0"))
    return found


CORPUS = _corpus()

FUZZ = settings(max_examples=500, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def check(raw: bytes) -> None:
    """The property: a parsed descriptor that is self-consistent, or DescriptorError."""
    try:
        desc = ReportDescriptor.from_bytes(raw)
    except DescriptorError as error:
        assert 0 <= error.offset <= len(raw)
        return
    for key, report in desc.reports.items():
        assert key == (report.report_type, report.report_id)
        assert report.byte_length <= MAX_REPORT_BYTES
    for field in desc.fields:
        report = desc.reports[(field.report_type, field.report_id)]
        assert field.usage != 0
        assert field.offset >= 0 and field.offset + field.size <= report.bit_length
    assert len(desc.fields) <= len(raw)  # every stored element used up one Usage item


@FUZZ
@given(st.binary(max_size=600))
def test_random_bytes(raw: bytes) -> None:
    check(raw)


_ITEM = st.one_of(
    st.tuples(st.integers(0, 0xFF).filter(lambda p: p != 0xFE), st.integers(0, 0xFFFFFFFF))
    .map(lambda t: encode_item(*t)),
    st.tuples(st.integers(0, 0xFF), st.binary(max_size=8)).map(lambda t: encode_long_item(*t)),
)


@FUZZ
@given(st.lists(_ITEM, max_size=120))
def test_random_item_sequences(items: list[bytes]) -> None:
    check(b"".join(items))


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    raw = bytearray(draw(st.sampled_from(CORPUS)))
    for _ in range(draw(st.integers(1, 8))):
        if not raw:
            break
        at = draw(st.integers(0, len(raw) - 1))
        action = draw(st.sampled_from(["flip", "set", "insert", "delete", "cut", "splice"]))
        if action == "flip":
            raw[at] ^= 1 << draw(st.integers(0, 7))
        elif action == "set":
            raw[at] = draw(st.integers(0, 0xFF))
        elif action == "insert":
            raw[at:at] = draw(st.binary(min_size=1, max_size=5))
        elif action == "delete":
            del raw[at:at + draw(st.integers(1, 5))]
        elif action == "cut":
            del raw[at:]
        else:
            other = draw(st.sampled_from(CORPUS))
            start = draw(st.integers(0, len(other) - 1))
            raw[at:at] = other[start:start + draw(st.integers(1, 40))]
    return bytes(raw)


@FUZZ
@given(mutated())
def test_mutated_corpus_descriptors(raw: bytes) -> None:
    check(raw)


@st.composite
def value_mutated(draw: st.DrawFn) -> bytes:
    """Same items, new data in some: most of these parse, so they reach deep states."""
    items = tokenize(draw(st.sampled_from(CORPUS)))
    changes = dict(draw(st.lists(st.tuples(st.integers(0, len(items) - 1),
                                           st.integers(0, 0xFFFFFFFF)), max_size=6)))
    out = b""
    for index, item in enumerate(items):
        if item.is_long:
            out += encode_long_item(item.value, item.long_data or b"")
        else:
            out += encode_item(item.prefix, changes.get(index, item.value))
    return out


@FUZZ
@given(value_mutated())
def test_corpus_descriptors_with_new_item_data(raw: bytes) -> None:
    check(raw)
