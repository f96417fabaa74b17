#!/usr/bin/env python3
"""Fuzz the report-descriptor parser outside pytest, for as many inputs as you like.

    python scripts/fuzz_descriptor.py --count 100000 [--seed 1] [--captures DIR]

Every input must parse to a ReportDescriptor or raise DescriptorError; anything else
is a bug and is printed with the input's hex (exit status 1). Inputs: a third random
bytes or random well-formed item sequences, two thirds corpus descriptors mutated
(bit flips, byte changes, insertions, deletions, truncation, splices of other
descriptors, or new data in a few items with the item structure kept). Prints a
summary: inputs, parsed, rejected, by error kind, time.
"""

from __future__ import annotations

import argparse
import collections
import json
import random
import sys
import time
import traceback
from pathlib import Path

from hidups.descriptor import ReportDescriptor
from hidups.descriptor.items import encode_item, encode_long_item, tokenize
from hidups.errors import DescriptorError

DEFAULT_CAPTURES = Path(__file__).resolve().parents[1].parent / "shared" / "captures"


def load_corpus(directory: Path) -> list[bytes]:
    corpus = []
    for path in sorted(directory.glob("*.json")):
        hex_text = json.loads(path.read_text()).get("descriptor_hex")
        if hex_text:
            corpus.append(bytes.fromhex(hex_text))
    return corpus


def random_items(rng: random.Random) -> bytes:
    out = bytearray()
    for _ in range(rng.randrange(120)):
        if rng.random() < 0.02:
            out += encode_long_item(rng.randrange(256), rng.randbytes(rng.randrange(8)))
        else:
            prefix = rng.choice([p for p in (rng.randrange(256),) if p != 0xFE] or [0x09])
            value = rng.choice([rng.randrange(256), rng.randrange(1 << 32), 0, 0xFF, 0x80])
            out += encode_item(prefix, value)
    return bytes(out)


def mutate_values(rng: random.Random, corpus: list[bytes]) -> bytes:
    """Keep the item structure, change the data of a few items (parses more often)."""
    items = tokenize(rng.choice(corpus))
    out = bytearray()
    chosen = {rng.randrange(len(items)) for _ in range(rng.randint(1, 6))}
    for index, item in enumerate(items):
        if item.is_long:
            out += encode_long_item(item.value, item.long_data or b"")
            continue
        value = item.value
        if index in chosen:
            value = rng.choice([0, 1, 0x7F, 0x80, 0xFF, rng.randrange(1 << 32), value ^ 1])
        out += encode_item(item.prefix, value)
    return bytes(out)


def mutate(rng: random.Random, corpus: list[bytes]) -> bytes:
    if rng.random() < 0.3:
        return mutate_values(rng, corpus)
    raw = bytearray(rng.choice(corpus))
    for _ in range(rng.randint(1, 8)):
        if not raw:
            break
        at = rng.randrange(len(raw))
        action = rng.randrange(6)
        if action == 0:
            raw[at] ^= 1 << rng.randrange(8)
        elif action == 1:
            raw[at] = rng.randrange(256)
        elif action == 2:
            raw[at:at] = rng.randbytes(rng.randint(1, 5))
        elif action == 3:
            del raw[at:at + rng.randint(1, 5)]
        elif action == 4:
            del raw[at:]
        else:
            other = rng.choice(corpus)
            start = rng.randrange(len(other))
            raw[at:at] = other[start:start + rng.randint(1, 40)]
    return bytes(raw)


def generate(rng: random.Random, corpus: list[bytes]) -> bytes:
    pick = rng.random()
    if pick < 0.15 or not corpus:
        return rng.randbytes(rng.randrange(600))
    if pick < 0.33:
        return random_items(rng)
    return mutate(rng, corpus)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--captures", type=Path, default=DEFAULT_CAPTURES)
    args = parser.parse_args(argv)

    rng = random.Random(args.seed)
    corpus = load_corpus(args.captures) if args.captures.is_dir() else []
    kinds: collections.Counter[str] = collections.Counter()
    parsed = failures = 0
    started = time.perf_counter()
    for _ in range(args.count):
        raw = generate(rng, corpus)
        try:
            ReportDescriptor.from_bytes(raw)
            parsed += 1
        except DescriptorError as error:
            kinds[error.problem.split(" ")[0] if error.problem else "?"] += 1
        except Exception:  # the bug this tool exists to find
            failures += 1
            print(f"UNEXPECTED on {raw.hex(' ')}", file=sys.stderr)
            traceback.print_exc()
    elapsed = time.perf_counter() - started
    print(f"inputs: {args.count}  parsed: {parsed}  DescriptorError: {sum(kinds.values())}  "
          f"other exceptions: {failures}  corpus: {len(corpus)}  seed: {args.seed}  "
          f"time: {elapsed:.1f} s")
    for kind, number in kinds.most_common(12):
        print(f"  {number:7d}  {kind} ...")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
