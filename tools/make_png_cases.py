#!/usr/bin/python3
"""PNG files that pin down Pillow 9.4's decisions, written byte by byte (zlib + struct, no Pillow).

    /usr/bin/python3 tools/make_png_cases.py              # small cases -> tests/data/pillow-corpus/png/
    /usr/bin/python3 tools/make_png_cases.py --bombs DIR  # the large decode-budget inputs -> DIR

The small cases (each under 80 KB, committed) are odd chunk layouts, palettes, CRCs and zlib streams;
tools/pillow_corpus.py --write records what Pillow makes of each (accepted with its 28x28, or
refused) and tests/test_pillow_corpus.cpp holds the library to it. The bombs (written at test
time, tests/test_decode_budgets_png.cpp; timed by bench/decode_budgets/measure.py png) are files whose
cost must stay bounded by the image they describe:
  idat-zeros-1gib.png      28x28 gray whose zlib stream goes on with 1 GiB of zeros after the image
  idat-zeros-2gib.png      the same with 2 GiB
  rgba16-13376.png         13376x13376 16-bit RGBA (178,917,376 pixels, just under the limit), black
  tall-1bit-178956970.png  1x178,956,970 1-bit gray (exactly the pixel limit), black
"""
import argparse
import struct
import sys
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tests/data/pillow-corpus/png"
# Cases that inflate 64 MiB of text each: kept apart so that the fuzzers' seed folder (png/,
# tests/fuzz/png_differential_replay.cmake) does not spend its time on them.
OUT_SLOW = ROOT / "tests/data/pillow-corpus/png-text-memory"
SLOW = {"anc-ztxt-text-memory-64mib.png", "anc-ztxt-text-memory-over-64mib.png"}
SIGNATURE = b"\x89PNG\r\n\x1a\n"


def chunk(ctype, data=b"", crc=None):
    """One chunk; `crc` overrides the right checksum."""
    if crc is None:
        crc = zlib.crc32(data, zlib.crc32(ctype))
    return struct.pack(">I", len(data)) + ctype + data + struct.pack(">I", crc & 0xFFFFFFFF)


def ihdr(width, height, depth=8, color=0, interlace=0, compression=0, filtering=0):
    return chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, depth, color, compression, filtering, interlace))


def png(*chunks, end=True):
    return SIGNATURE + b"".join(chunks) + (chunk(b"IEND") if end else b"")


def rows(width, height, pixel):
    """Unfiltered scanlines (filter byte 0) of pixel(x, y) -> bytes."""
    return b"".join(b"\0" + b"".join(pixel(x, y) for x in range(width)) for y in range(height))


def digit_gray(x, y):
    """A recognisable 28x28 stroke on black."""
    return bytes([230 if abs(x - 14) < 3 or abs(y - 6) < 2 else 0])


GRAY28 = rows(28, 28, digit_gray)
INDEX28 = rows(28, 28, lambda x, y: bytes([(x * 9 + y) % 256]))  # every index, most past a short PLTE


def plte(n, offset=0):
    """n entries of a colourful palette."""
    return chunk(b"PLTE", b"".join(bytes([(i * 40 + offset) % 256, (i * 90) % 256, (255 - i * 30) % 256])
                                   for i in range(n)))


def actl(frames):
    return chunk(b"acTL", struct.pack(">II", frames, 0))


def fctl(sequence, width=28, height=28, x=0, y=0):
    return chunk(b"fcTL", struct.pack(">IIIIIHHBB", sequence, width, height, x, y, 1, 10, 0, 0))


def fdat(sequence, data):
    return chunk(b"fdAT", struct.pack(">I", sequence) + data)


def cut_before_last_row(stream, row_bytes):
    """The longest prefix of a zlib stream that inflates to all of its rows at once but not
    when zlib is asked for one row per call and called only while input is left (ZipDecode)."""
    full = len(zlib.decompressobj().decompress(stream))
    for cut in range(1, 16):
        z, data, out = zlib.decompressobj(), stream[:-cut], 0
        while data:
            out += len(z.decompress(data, row_bytes - out % row_bytes))
            data = z.unconsumed_tail
        if len(zlib.decompressobj().decompress(stream[:-cut])) == full and out < full:
            return stream[:-cut]
    raise SystemExit("no such cut")


def ztxt(key, text, method=0):
    return chunk(b"zTXt", key + b"\0" + bytes([method]) + zlib.compress(text, 9))


def itxt(key, text, compressed=1, lang=b"en", translated=b""):
    value = zlib.compress(text, 9) if compressed else text
    return chunk(b"iTXt", key + b"\0" + bytes([compressed, 0]) + lang + b"\0" + translated + b"\0" + value)


def small_cases():
    z = zlib.compress(GRAY28, 9)
    zi = zlib.compress(INDEX28, 9)
    head = ihdr(28, 28)
    pal = ihdr(28, 28, 8, 3)
    half = len(z) // 2
    no_adler = z[:-4]
    bad_adler = z[:-4] + bytes(b ^ 0x55 for b in z[-4:])
    # The image's 812 bytes, then more data in the same zlib stream (Pillow stops at the image).
    longer = zlib.compress(GRAY28 + bytes(4000), 9)
    # A stream whose final block ends after 20 whole rows (Pillow keeps the rest black).
    short_rows = zlib.compress(GRAY28[:20 * 29], 9)
    short_mid = zlib.compress(GRAY28[:20 * 29 + 7], 9)
    frame10x8 = zlib.compress(rows(10, 8, lambda x, y: bytes([200 - 9 * x - 3 * y])))
    zrgb = zlib.compress(rows(28, 28, lambda x, y: bytes([x * 9, y * 9, 100])))
    zrgba = zlib.compress(rows(28, 28, lambda x, y: bytes([x * 9, y * 9, 100, 255])))
    cases = {
        # Palettes
        "plte-short-index-past-end.png": png(pal, plte(4), chunk(b"IDAT", zi)),
        "plte-missing.png": png(pal, chunk(b"IDAT", zi)),
        "plte-after-idat.png": png(pal, plte(256), chunk(b"IDAT", zi), plte(256, 100)),
        "plte-second-shorter.png": png(pal, plte(256), plte(5, 100), chunk(b"IDAT", zi)),
        "plte-before-ihdr.png": png(chunk(b"PLTE", bytes(range(12))), pal, chunk(b"IDAT", zi)),
        "plte-not-multiple-of-3.png": png(pal, chunk(b"PLTE", bytes(range(7 * 3 + 2))), chunk(b"IDAT", zi)),
        "plte-too-long.png": png(pal, chunk(b"PLTE", bytes(range(256)) * 4), chunk(b"IDAT", zi)),
        "plte-in-gray.png": png(head, plte(16), chunk(b"IDAT", z)),
        "plte-4bit-short.png": png(ihdr(28, 28, 4, 3), plte(3),
                                   chunk(b"IDAT", zlib.compress(rows(14, 28, lambda x, y: bytes([(x * 17 + y) % 256]))))),
        # IHDR
        "ihdr-after-idat.png": png(head, chunk(b"IDAT", z), ihdr(1, 1)),
        "ihdr-twice-before-idat.png": png(ihdr(1, 1), head, chunk(b"IDAT", z)),
        "ihdr-bad-crc.png": png(chunk(b"IHDR", struct.pack(">IIBBBBB", 28, 28, 8, 0, 0, 0, 0), crc=1),
                                chunk(b"IDAT", z)),
        "ihdr-long.png": png(chunk(b"IHDR", struct.pack(">IIBBBBB", 28, 28, 8, 0, 0, 0, 0) + b"\0"), chunk(b"IDAT", z)),
        "ihdr-short.png": png(chunk(b"IHDR", struct.pack(">IIBBBB", 28, 28, 8, 0, 0, 0)), chunk(b"IDAT", z)),
        "ihdr-compression-1.png": png(ihdr(28, 28, compression=1), chunk(b"IDAT", z)),
        "ihdr-filter-method-1.png": png(ihdr(28, 28, filtering=1), chunk(b"IDAT", z)),
        "ihdr-interlace-2.png": png(ihdr(28, 28, interlace=2), chunk(b"IDAT", z)),
        "ihdr-bad-depth.png": png(ihdr(28, 28, depth=3), chunk(b"IDAT", z)),
        "ihdr-short-after-idat.png": png(head, chunk(b"IDAT", z), chunk(b"IHDR", b"\0" * 5)),
        # CRCs and chunk types
        "crc-bad-plte.png": png(pal, chunk(b"PLTE", bytes(range(12)), crc=7), chunk(b"IDAT", zi)),
        "crc-bad-text-before-idat.png": png(head, chunk(b"tEXt", b"k\0v", crc=7), chunk(b"IDAT", z)),
        "crc-bad-idat.png": png(head, chunk(b"IDAT", z, crc=7)),
        "crc-bad-after-idat.png": png(head, chunk(b"IDAT", z), chunk(b"tEXt", b"k\0v", crc=7)),
        "crc-bad-iend.png": png(head, chunk(b"IDAT", z), chunk(b"IEND", crc=7), end=False),
        "type-invalid-byte.png": png(head, chunk(b"a#cd", b"xyz"), chunk(b"IDAT", z)),
        "type-digits.png": png(head, chunk(b"ab1_", b"xyz"), chunk(b"IDAT", z)),
        "type-unknown-critical.png": png(head, chunk(b"ABCD", b"xyz"), chunk(b"IDAT", z)),
        "type-invalid-after-idat.png": png(head, chunk(b"IDAT", z), chunk(b"\xff\xfe\x00\x01", b"xyz")),
        "iend-missing.png": png(head, chunk(b"IDAT", z), end=False),
        "iend-cut.png": png(head, chunk(b"IDAT", z), end=False) + b"\0\0\0\0IE",
        "trailing-garbage.png": png(head, chunk(b"IDAT", z)) + b"garbage" * 10,
        # IDAT layout
        "idat-split-three.png": png(head, chunk(b"IDAT", z[:5]), chunk(b"IDAT", b""), chunk(b"IDAT", z[5:])),
        "idat-split-by-text.png": png(head, chunk(b"IDAT", z[:half]), chunk(b"tEXt", b"k\0v"), chunk(b"IDAT", z[half:])),
        "idat-second-image-after.png": png(head, chunk(b"IDAT", z), chunk(b"tEXt", b"k\0v"), chunk(b"IDAT", z)),
        "idat-missing.png": png(head),
        "idat-cut-in-chunk.png": png(head, chunk(b"IDAT", z))[:8 + 25 + 8 + half],
        # zlib streams
        "zlib-no-adler.png": png(head, chunk(b"IDAT", no_adler)),
        "zlib-bad-adler.png": png(head, chunk(b"IDAT", bad_adler)),
        "zlib-data-after-image.png": png(head, chunk(b"IDAT", longer)),
        "zlib-garbage-after-stream.png": png(head, chunk(b"IDAT", z + b"\xff" * 16)),
        "zlib-ends-at-row.png": png(head, chunk(b"IDAT", short_rows)),
        "zlib-ends-mid-row.png": png(head, chunk(b"IDAT", short_mid)),
        "zlib-bad-header.png": png(head, chunk(b"IDAT", b"\x78\x9d" + z[2:])),
        "zlib-raw-deflate.png": png(head, chunk(b"IDAT", z[2:-4])),
        "zlib-corrupt-mid.png": png(head, chunk(b"IDAT", z[:half] + b"\xff\xff\xff" + z[half + 3:])),
        "filter-type-5.png": png(head, chunk(b"IDAT", zlib.compress(b"\x05" + GRAY28[1:]))),
        # APNG: after the image, an animated file's next fcTL ends what Pillow reads; a short acTL is refused.
        "apng-cut-in-second-fctl.png": png(head, actl(2), chunk(b"IDAT", z), fctl(1), end=False)[:-20],
        "apng-cut-in-fdat.png": png(head, actl(2), chunk(b"IDAT", z), fctl(1), chunk(b"fdAT", b"\0\0\0\2" + z),
                                    end=False)[:-30],
        "apng-one-frame-fctl-first-cut-after.png": png(head, actl(1), fctl(0), chunk(b"IDAT", z), fctl(1),
                                                       end=False)[:-20],
        "apng-actl-short.png": png(head, chunk(b"acTL", b"\0\0\0\2"), chunk(b"IDAT", z)),
        "apng-actl-short-after-idat.png": png(head, chunk(b"IDAT", z), chunk(b"acTL", b"\0\0\0\2")),
        "apng-fctl-first-sequence-1.png": png(head, actl(1), fctl(1), chunk(b"IDAT", z)),
        "apng-fctl-frame-outside.png": png(head, actl(1), fctl(0, 20, 20, 10, 0), chunk(b"IDAT", z)),
        "apng-fctl-short.png": png(head, actl(1), chunk(b"fcTL", bytes(25)), chunk(b"IDAT", z)),
        "apng-fctl-before-ihdr.png": png(fctl(0, 0, 0), head, chunk(b"IDAT", z)),
        # The image data fills the fcTL's frame (Pillow's bbox); 0 wide at x 0 means the whole image.
        "apng-fctl-smaller-frame.png": png(head, actl(1), fctl(0, 10, 8, 3, 4), chunk(b"IDAT", frame10x8)),
        "fctl-smaller-frame-without-actl.png": png(head, fctl(0, 10, 8, 3, 4), chunk(b"IDAT", frame10x8)),
        "apng-fctl-empty-frame-at-0.png": png(head, actl(1), fctl(0, 0, 0, 0, 0), chunk(b"IDAT", z)),
        "apng-fctl-empty-frame-at-2.png": png(head, actl(1), fctl(0, 0, 5, 2, 0), chunk(b"IDAT", z)),
        "fctl-after-idat-bad-sequence.png": png(head, chunk(b"IDAT", z), fctl(5)),
        # fdAT before any IDAT starts the image data; after an IDAT, fdAT and DDAT continue it.
        "apng-fdat-first.png": png(head, actl(1), fctl(0), fdat(1, z)),
        "apng-fdat-without-fctl.png": png(head, actl(1), fdat(0, z)),
        "idat-continued-by-fdat.png": png(head, fctl(0), chunk(b"IDAT", z[:half]), fdat(1, z[half:])),
        "idat-continued-by-fdat-bad-sequence.png": png(head, fctl(0), chunk(b"IDAT", z[:half]), fdat(7, z[half:])),
        "idat-continued-by-ddat.png": png(head, chunk(b"IDAT", z[:half]), chunk(b"DDAT", z[half:])),
        "zlib-cut-before-last-row.png": png(head, chunk(b"IDAT", cut_before_last_row(z, 29))),
        # Ancillary chunks, as Pillow's handlers read them (before and after the image data).
        "anc-trns-short-gray.png": png(head, chunk(b"tRNS", b"\1"), chunk(b"IDAT", z)),
        "anc-trns-short-rgb.png": png(ihdr(28, 28, 8, 2), chunk(b"tRNS", b"\0\1\0\2"), chunk(b"IDAT", zrgb)),
        "anc-trns-empty-palette.png": png(pal, plte(256), chunk(b"tRNS", b""), chunk(b"IDAT", zi)),
        "anc-trns-short-rgba.png": png(ihdr(28, 28, 8, 6), chunk(b"tRNS", b"\1"), chunk(b"IDAT", zrgba)),
        "anc-gama-short.png": png(head, chunk(b"gAMA", b"\0\1\2"), chunk(b"IDAT", z)),
        "anc-chrm-30-bytes.png": png(head, chunk(b"cHRM", bytes(30)), chunk(b"IDAT", z)),
        "anc-chrm-16-bytes.png": png(head, chunk(b"cHRM", bytes(16)), chunk(b"IDAT", z)),
        "anc-srgb-empty.png": png(head, chunk(b"sRGB"), chunk(b"IDAT", z)),
        "anc-phys-short.png": png(head, chunk(b"pHYs", bytes(8)), chunk(b"IDAT", z)),
        "anc-phys-short-after-idat.png": png(head, chunk(b"IDAT", z), chunk(b"pHYs", bytes(8))),
        "anc-gama-short-after-apng-frame.png": png(head, actl(2), chunk(b"IDAT", z), fctl(0),
                                                   chunk(b"gAMA", b"\0")),
        "anc-iccp-method-byte-1.png": png(head, chunk(b"iCCP", b"icc\0\1" + zlib.compress(bytes(100))), chunk(b"IDAT", z)),
        "anc-iccp-no-nul-last-byte-1.png": png(head, chunk(b"iCCP", b"icc\1"), chunk(b"IDAT", z)),
        "anc-iccp-empty.png": png(head, chunk(b"iCCP"), chunk(b"IDAT", z)),
        "anc-iccp-over-1mib.png": png(head, chunk(b"iCCP", b"icc\0\0" + zlib.compress(bytes(1 << 20 | 1), 9)), chunk(b"IDAT", z)),
        "anc-iccp-exactly-1mib.png": png(head, chunk(b"iCCP", b"icc\0\0" + zlib.compress(bytes(1 << 20), 9)), chunk(b"IDAT", z)),
        "anc-iccp-corrupt-zlib.png": png(head, chunk(b"iCCP", b"icc\0\0\xff\xff\xff"), chunk(b"IDAT", z)),
        "anc-ztxt-method-1.png": png(head, ztxt(b"k", b"text", method=1), chunk(b"IDAT", z)),
        "anc-ztxt-over-1mib.png": png(head, ztxt(b"k", bytes(1 << 20 | 1)), chunk(b"IDAT", z)),
        "anc-ztxt-over-1mib-after-idat.png": png(head, chunk(b"IDAT", z), ztxt(b"k", bytes(1 << 20 | 1))),
        "anc-ztxt-text-memory-over-64mib.png": png(head, *[ztxt(b"k%d" % i, bytes(1 << 20)) for i in range(65)],
                                                   chunk(b"IDAT", z)),
        "anc-ztxt-text-memory-64mib.png": png(head, *[ztxt(b"k%d" % i, bytes(1 << 20)) for i in range(64)],
                                              chunk(b"IDAT", z)),
        "anc-itxt-over-1mib.png": png(head, itxt(b"k", bytes(1 << 20 | 1)), chunk(b"IDAT", z)),
        "anc-itxt-over-1mib-bad-utf8-lang.png": png(head, itxt(b"k", bytes(1 << 20 | 1), lang=b"\xff"), chunk(b"IDAT", z)),
        "anc-itxt-method-1-over-1mib.png": png(head, chunk(b"iTXt", b"k\0\1\1en\0\0" + zlib.compress(bytes(1 << 21))),
                                               chunk(b"IDAT", z)),
        # A tall 1-bit image: the resize's reduction factor is 71,429 (Pillow's weights are tiny integers).
        "tall-1bit-1x2000000.png": png(ihdr(1, 2000000, 1, 0), chunk(b"IDAT", zlib.compress(
            b"".join(b"\0\x80" if (y // 40000) % 3 else b"\0\0" for y in range(2000000)), 9))),
        "wide-1bit-200000x1.png": png(ihdr(200000, 1, 1, 0), chunk(b"IDAT", zlib.compress(
            b"\0" + b"".join(b"\xff" if (x // 1000) % 2 else b"\x0f" for x in range(25000)), 9))),
    }
    return cases


def zeros_stream(count, prefix=b""):
    """A zlib stream of `prefix` then `count` zero bytes, compressed piece by piece."""
    c = zlib.compressobj(9)
    parts = [c.compress(prefix)]
    piece = bytes(1 << 24)
    while count:
        n = min(count, len(piece))
        parts.append(c.compress(piece[:n]))
        count -= n
    parts.append(c.flush())
    return b"".join(parts)


def idat_chunks(stream, size=1 << 20):
    return b"".join(chunk(b"IDAT", stream[i:i + size]) for i in range(0, len(stream), size))


def bombs():
    """name -> a function writing it (they are large: made one at a time)."""
    def zeros_after(gib):
        return lambda: png(ihdr(28, 28), idat_chunks(zeros_stream(gib << 30, GRAY28)))
    side, tall = 13376, 178956970
    return {
        "idat-zeros-1gib.png": zeros_after(1),
        "idat-zeros-2gib.png": zeros_after(2),
        "rgba16-13376.png": lambda: png(ihdr(side, side, 16, 6), idat_chunks(zeros_stream(side * (1 + side * 8)))),
        "tall-1bit-178956970.png": lambda: png(ihdr(1, tall, 1, 0), idat_chunks(zeros_stream(tall * 2))),
    }


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--bombs", metavar="DIR", help="write the large inputs into DIR instead")
    p.add_argument("--only", nargs="*", help="with --bombs: just these names")
    a = p.parse_args()
    if a.bombs:
        out = Path(a.bombs)
        out.mkdir(parents=True, exist_ok=True)
        for name, make in bombs().items():
            if a.only and name not in a.only:
                continue
            path = out / name
            if not path.exists():  # deterministic: an existing file is already right
                part = path.with_suffix(".part")
                part.write_bytes(make())
                part.rename(path)
            print(path)
        return 0
    for d in (OUT, OUT_SLOW):
        d.mkdir(parents=True, exist_ok=True)
    for name, data in small_cases().items():
        if len(data) >= 80 * 1024:
            raise SystemExit(f"{name}: {len(data)} bytes; corpus files stay under 80 KB")
        ((OUT_SLOW if name in SLOW else OUT) / name).write_bytes(data)
    print(f"wrote {len(small_cases())} files to {OUT.relative_to(ROOT)} and {OUT_SLOW.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
