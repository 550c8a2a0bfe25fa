"""Writes tests/data/sha256_vectors.txt: SHA-256 digests computed by Python's
hashlib, for tests/cache/test_sha256.cpp to check src/common/sha256.cpp against.

    make_sha256_vectors.py [--check]

One vector per line, "<input> <hexdigest>", where <input> is one of
    hex:<bytes in hex>      the bytes themselves ("hex:" is the empty input)
    pattern:<n>             n bytes, byte i = (i * 31 + (i >> 8) + 7) mod 256
    repeat:<n>:<hex byte>   n copies of one byte
so that the C++ test rebuilds every input from its line. The lengths straddle
the 55/56/64-byte padding boundaries and span one to thousands of blocks.
With --check, exits 1 if the committed file differs from what hashlib gives.
Standard library only.
"""
import argparse
import hashlib
import pathlib
import sys

OUT = pathlib.Path(__file__).resolve().parents[1] / "data" / "sha256_vectors.txt"

TEXTS = [
    b"",
    b"abc",
    b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
    b"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
    b"The quick brown fox jumps over the lazy dog",
    bytes(range(256)),
]
PATTERN_LENGTHS = [1, 2, 31, 32, 54, 55, 56, 57, 63, 64, 65, 111, 112, 119, 120, 127, 128, 129, 191, 192, 1000,
                   4096 + 17, 65536, 1 << 20]
REPEATS = [(1_000_000, 0x61), (1000, 0x00), (777, 0xFF)]


def pattern(n):
    return bytes((i * 31 + (i >> 8) + 7) & 0xFF for i in range(n))


def vectors():
    lines = [f"hex:{t.hex()} {hashlib.sha256(t).hexdigest()}" for t in TEXTS]
    lines += [f"pattern:{n} {hashlib.sha256(pattern(n)).hexdigest()}" for n in PATTERN_LENGTHS]
    lines += [f"repeat:{n}:{b:02x} {hashlib.sha256(bytes([b]) * n).hexdigest()}" for n, b in REPEATS]
    return "\n".join(lines) + "\n"


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--check", action="store_true", help="compare with the committed file instead of writing it")
    args = p.parse_args()
    text = vectors()
    if args.check:
        if not OUT.exists() or OUT.read_text() != text:
            sys.exit(f"{OUT} is not what hashlib gives: run {pathlib.Path(__file__).name} to regenerate it")
        print(f"{OUT}: {text.count(chr(10))} vectors, current")
        return
    OUT.write_text(text)
    print(f"wrote {OUT}: {text.count(chr(10))} vectors")


if __name__ == "__main__":
    main()
