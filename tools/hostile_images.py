#!/usr/bin/python3
"""Hostile JPEG, GIF, BMP and TGA files: the findings of issue 11, each as a small file.

    /usr/bin/python3 tools/hostile_images.py --corpus          # the small ones -> tests/data/pillow-corpus/
    /usr/bin/python3 tools/hostile_images.py --bombs DIR       # the large-work ones -> DIR (test time)
    /usr/bin/python3 tools/hostile_images.py --bombs DIR --list  # their names, one a line

Every file is made from the committed test images (tests/data/images) by cutting or patching bytes,
deterministically. The corpus files get Pillow's decision from tools/pillow_corpus.py --write.
The bombs are cheap to store but expensive to decode (seconds and gigabytes before the limits):
tests/CMakeLists.txt writes them into the build directory and checks the library refuses or bounds
them; bench/decode_budgets/measure.py formats measures them.
"""
import argparse
import struct
import sys
from pathlib import Path

from encoders import pack_lzw_codes  # tools/, next to this file

ROOT = Path(__file__).resolve().parent.parent
IMAGES = ROOT / "tests/data/images"
CORPUS = ROOT / "tests/data/pillow-corpus"


def image(name):
    return (IMAGES / name).read_bytes()


# ---------------------------------------------------------------- JPEG

def jpeg_scan_start(data):
    """Offset of the first byte of entropy-coded data after the first SOS."""
    sos = data.index(b"\xff\xda")
    return sos + 2 + struct.unpack(">H", data[sos + 2:sos + 4])[0]


def jpeg_marker_in_scan(data, marker):
    """A marker (0xFF, marker) put in the middle of the first scan's data."""
    start, end = jpeg_scan_start(data), data.rindex(b"\xff\xd9")
    mid = (start + end) // 2
    return data[:mid] + bytes([0xFF, marker]) + data[mid:]


def jpeg_many_scans(width, height, scans, base="6-L-progressive-27x29.jpg"):
    """A progressive JPEG of width x height (gray, or base's components) whose every scan is its first
    one's header without data: ~10 bytes a scan, yet libjpeg walks every block of the image in each
    (Pillow accepts it)."""
    data = image(base)
    sof = data.index(b"\xff\xc2")
    data = data[:sof + 5] + struct.pack(">HH", height, width) + data[sof + 9:]
    start = jpeg_scan_start(data)
    sos = data.index(b"\xff\xda")
    header, first_scan = data[:sos], data[sos:start]  # the DC scan's SOS segment (its tables come before)
    return header + first_scan * scans + b"\xff\xd9"


# ---------------------------------------------------------------- GIF

def gif_image_data(data):
    """(offset of the LZW minimum code size byte, offset just past the first frame's sub-blocks)."""
    pos = 13 + (3 * (2 << (data[10] & 7)) if data[10] & 0x80 else 0)
    while data[pos] == 0x21:  # extensions
        pos += 2
        while data[pos]:
            pos += 1 + data[pos]
        pos += 1
    assert data[pos] == 0x2C, "no image descriptor"
    flags = data[pos + 9]
    pos += 10 + (3 * (2 << (flags & 7)) if flags & 0x80 else 0)
    start = pos
    pos += 1
    while data[pos]:
        pos += 1 + data[pos]
    return start, pos + 1


def gif_cut_lzw(data, keep):
    """The first frame's LZW data cut after `keep` bytes of it, and the file ends there."""
    start, _ = gif_image_data(data)
    return data[:start + 2 + keep]


def gif_early_terminator(data, keep):
    """The first sub-block shortened to `keep` bytes and terminated: the frame's data ends early."""
    start, _ = gif_image_data(data)
    return data[:start + 1] + bytes([keep]) + data[start + 2:start + 2 + keep] + b"\x00\x3b"


def gif_large_screen(side):
    """A 1x1 frame on a side x side logical screen (Pillow decodes the whole screen)."""
    screen = b"GIF89a" + struct.pack("<HH", side, side) + b"\x80\x00\x00" + b"\x00\x00\x00\xff\xff\xff"
    frame = b"\x2c" + struct.pack("<HHHH", 0, 0, 1, 1) + b"\x00" + b"\x02\x02\x44\x01\x00"
    return screen + frame + b"\x3b"


def gif_lzw(indices, bits=8):
    """LZW data that never grows the table: a clear code before every few literals (any
    decoder reads it). Returns the code stream as sub-blocks, with the terminator."""
    clear, size = 1 << bits, bits + 1
    per_clear = (1 << size) - clear - 3  # literals before the table would need a wider code
    codes = []
    for i, v in enumerate(indices):
        if i % per_clear == 0:
            codes.append(clear)
        codes.append(v)
    codes.append(clear + 1)
    return pack_lzw_codes(codes, size)


def gif_file(screen, frame, data, global_palette=None, local_palette=None, transparent=None, extensions=b"",
             bits=8, interlace=False, version=b"GIF89a"):
    """A GIF: screen (w, h), frame (left, top, w, h), LZW `data` (sub-blocks), palettes as RGB bytes."""
    def palette_flags(p):
        return 0x80 | ((len(p) // 3).bit_length() - 2) if p else 0
    out = version + struct.pack("<HH", *screen) + bytes([palette_flags(global_palette), 0, 0])
    out += global_palette or b""
    if transparent is not None:
        out += b"\x21\xf9\x04\x01\x00\x00" + bytes([transparent]) + b"\x00"
    out += extensions + b"\x2c" + struct.pack("<HHHH", *frame)
    out += bytes([palette_flags(local_palette) | (0x40 if interlace else 0)]) + (local_palette or b"")
    return out + bytes([bits]) + data + b"\x3b"


def colours(n):
    """n distinct, non-gray palette entries."""
    return b"".join(bytes([(37 * i + 11) % 256, (91 * i + 50) % 256, (53 * i + 200) % 256]) for i in range(n))


# ---------------------------------------------------------------- BMP

def bmp_header_only(width, height, bpp, compression=0):
    """A BITMAPINFOHEADER file of 54 bytes that claims width x height pixels of bpp bits."""
    info = struct.pack("<IiiHHIIiiII", 40, width, height, 1, bpp, compression, 0, 2835, 2835, 0, 0)
    return b"BM" + struct.pack("<IHHI", 14 + len(info), 0, 0, 14 + len(info)) + info


def bmp_v4_header_only(width, height, bpp, compression=3, masks=(0xFF0000, 0xFF00, 0xFF, 0xFF000000)):
    """A BITMAPV4HEADER file of 122 bytes with colour masks, claiming width x height pixels."""
    info = struct.pack("<IiiHHIIiiII", 108, width, height, 1, bpp, compression, 0, 2835, 2835, 0, 0)
    info += struct.pack("<4I", *masks) + b"sRGB" + bytes(48)
    return b"BM" + struct.pack("<IHHI", 14 + len(info), 0, 0, 14 + len(info)) + info


def bmp_short_palette(width, height, entries):
    """An 8-bit BMP with a palette of `entries` colours and pixel indices up to 255: past the
    palette Pillow shows its gray ramp (stb_image read an uninitialized table there)."""
    stride = (width + 3) // 4 * 4
    pixels = b"".join(bytes((x * 9 + y * 7) % 256 for x in range(width)) + bytes(stride - width) for y in range(height))
    palette = b"".join(c[2:3] + c[1:2] + c[0:1] + b"\0" for c in (colours(entries)[3 * i:3 * i + 3] for i in range(entries)))
    info = struct.pack("<IiiHHIIiiII", 40, width, -height, 1, 8, 0, len(pixels), 2835, 2835, entries, 0)
    offset = 14 + len(info) + len(palette)
    return b"BM" + struct.pack("<IHHI", offset + len(pixels), 0, 0, offset) + info + palette + pixels


def bmp_with_compression(data, compression):
    return data[:30] + struct.pack("<I", compression) + data[34:]


def bmp_patch(data, at, fmt, value):
    """`data` with the field at byte `at` (struct format `fmt`) set to `value`."""
    return data[:at] + struct.pack(fmt, value) + data[at + struct.calcsize(fmt):]


def bgrx(rgb):
    """Palette entries as a BMP stores them: RGB bytes -> B, G, R, 0."""
    return b"".join(rgb[i + 2:i + 3] + rgb[i + 1:i + 2] + rgb[i:i + 1] + b"\0" for i in range(0, len(rgb), 3))


def gray_entries(n, padding=4):
    return b"".join(bytes([i % 256] * 3) + bytes(padding - 3) for i in range(n))


def bmp_file(width, height, bits, pixels, palette=b"", compression=0, colors=0, offset=None, planes=1, gap=b"",
             tail=b""):
    """A BITMAPINFOHEADER BMP from its fields as given (height: the signed field): headers, palette,
    `gap`, pixels (or RLE codes), `tail`. offset None: the pixels' real offset."""
    info = struct.pack("<IiiHHIIiiII", 40, width, height, planes, bits, compression, len(pixels), 2835, 2835,
                       colors, 0)
    at = 14 + len(info) + len(palette) + len(gap)
    body = info + palette + gap + pixels + tail
    return b"BM" + struct.pack("<IHHI", 14 + len(body), 0, 0, at if offset is None else offset) + body


def bmp_os2(width, height, bits, pixels, palette=b"", offset=None):
    """An OS/2 1.x BMP: a 12-byte header (16-bit sizes), 3-byte palette entries."""
    info = struct.pack("<IHHHH", 12, width, height, 1, bits)
    at = 14 + len(info) + len(palette)
    return b"BM" + struct.pack("<IHHI", at + len(pixels), 0, 0, at if offset is None else offset) + info + palette + pixels


def bmp_rle(codes, width=8, height=4, rle4=False, palette=None, **fields):
    """An RLE8 (or RLE4) BMP of width x height whose pixel data is `codes`, 16 colours by default."""
    palette = bgrx(colours(16)) if palette is None else palette
    return bmp_file(width, height, 4 if rle4 else 8, bytes(codes), palette, 2 if rle4 else 1, len(palette) // 4,
                    **fields)


def rows8(width, height, bits=8):
    """Raw rows (bottom-up) of `bits`-bit samples (x + 3y) % 2**bits, padded to 4 bytes."""
    out = b""
    for y in range(height):
        v = [(x + 3 * y) % (1 << bits) for x in range(width)]
        row = bytes(v) if bits == 8 else bytes(v[i] << 4 | (v[i + 1] if i + 1 < width else 0) for i in range(0, width, 2)) \
            if bits == 4 else bytes(sum((v[i + k] & 1) << (7 - k) for k in range(8) if i + k < width) for i in range(0, width, 8))
        out += row + bytes(-len(row) % 4)
    return out


def bmp_reencoded(name, **options):
    """A committed test image written again by tools/encoders.py's bmp (RLE, a gap, an OS/2 2.x header):
    a palette image with its first 16 colours, 8 or 4 bits (options["bits"]), else 24-bit RGB."""
    import numpy as np
    from PIL import Image
    import encoders
    with Image.open(IMAGES / name) as im:
        w, h = im.size
        if im.mode == "P":
            rgb = im.getpalette()[:48]
            return encoders.bmp(w, h, options.pop("bits"), np.asarray(im), [tuple(rgb[i:i + 3]) for i in range(0, 48, 3)],
                                **options)
        return encoders.bmp(w, h, 24, np.asarray(im.convert("RGB")), **options)


def bmp_cases():
    """{name: bytes}: BMP fields Pillow 9.4 reads otherwise than stb_image did (planes, colours used,
    the height's sign, the pixel offset, RLE, OS/2 headers, gaps), each once."""
    p8, rgb, p4, p1 = image("8-P-28x28.bmp"), image("9-RGB-5x7.bmp"), image("0-P4bit-28x28.bmp"), image("2-P1bit-28x28.bmp")
    f = {}
    f["planes-0.bmp"] = bmp_patch(p8, 26, "<H", 0)
    f["planes-7-rgb.bmp"] = bmp_patch(rgb, 26, "<H", 7)
    for n in (0, 1, 16, 255, 257, 65536, 65537):
        f[f"8bit-colors-used-{n}.bmp"] = bmp_patch(p8, 46, "<I", n)
    f["4bit-colors-used-0.bmp"] = bmp_patch(p4, 46, "<I", 0)
    f["4bit-colors-used-2.bmp"] = bmp_patch(p4, 46, "<I", 2)
    f["4bit-colors-used-256.bmp"] = bmp_patch(p4, 46, "<I", 256)
    f["1bit-colors-used-256.bmp"] = bmp_patch(p1, 46, "<I", 256)
    f["4bit-colors-used-300-gray.bmp"] = bmp_file(8, 2, 4, rows8(8, 2, 4), gray_entries(300), colors=300)
    f["8bit-colors-used-300-cut-to-256.bmp"] = bmp_file(2, 1, 8, b"\x05\x06\0\0", bgrx(colours(256)) + b"\1\2\3",
                                                        colors=300, offset=54 + 1024 - 1)
    bw = bytes([0, 0, 0, 0, 255, 255, 255, 0])
    f["8bit-black-white-colors-2.bmp"] = bmp_file(9, 3, 8, rows8(9, 3), bw, colors=2)
    f["4bit-black-white-colors-2.bmp"] = bmp_file(9, 3, 4, rows8(9, 3, 4), bw, colors=2)
    f["8bit-white-black-colors-2.bmp"] = bmp_file(9, 3, 8, rows8(9, 3), bw[4:] + bw[:4], colors=2)
    f["4bit-gray-ramp-16.bmp"] = bmp_file(9, 3, 4, rows8(9, 3, 4), gray_entries(16))
    f["4bit-gray-ramp-16-width-1.bmp"] = bmp_file(1, 3, 4, rows8(1, 3, 4), gray_entries(16))
    f["1bit-gray-ramp-256-width-4.bmp"] = bmp_file(4, 3, 1, rows8(4, 3, 1), gray_entries(256), colors=256)
    f["1bit-gray-ramp-256-width-5.bmp"] = bmp_file(5, 3, 1, rows8(5, 3, 1), gray_entries(256), colors=256)
    f["8bit-gray-ramp-wraps-at-256.bmp"] = bmp_file(3, 2, 8, rows8(3, 2), gray_entries(260), colors=260)
    f["8bit-palette-empty.bmp"] = bmp_file(3, 2, 8, b"", b"", colors=4, tail=rows8(3, 2), offset=54)
    f["8bit-palette-cut.bmp"] = p8[:54 + 500]
    f["2bit.bmp"] = bmp_file(8, 2, 2, bytes(8), bgrx(colours(4)))
    for at in (0, 1, 20, 54, 60, 1077, 1079, 5000):
        f[f"8bit-offset-{at}.bmp"] = bmp_patch(p8, 10, "<I", at)
    for at in (0, 30, 53, 55):
        f[f"rgb-offset-{at}.bmp"] = bmp_patch(rgb, 10, "<I", at)
    f["8bit-gap-6.bmp"] = bmp_file(5, 3, 8, rows8(5, 3), bgrx(colours(16)), gap=bytes(range(6)))
    f["rgb-gap-4.bmp"] = bmp_reencoded("8-RGB-v4-28x28.bmp", gap=4)
    for h in (-1, -6, -7, -8, 0x7FFFFFFF, -0x1000000, -0x1000001, 0x80000007 - 2 ** 32):
        f[f"rgb-height-{h & 0xFFFFFFFF:#x}.bmp"] = bmp_patch(rgb, 22, "<i", h)
    topdown = image("3-P-topdown-27x29.bmp")
    for h in (-28, -27, -1):
        f[f"8bit-topdown-height{h}.bmp"] = bmp_patch(topdown, 22, "<i", h)
    f["rgb-last-row-padding-missing.bmp"] = rgb[:-1]
    f["rgb-last-row-cut.bmp"] = rgb[:-2]
    f["rgb-width-0.bmp"] = bmp_patch(rgb, 18, "<i", 0)
    f["bitfields-40-masks-cut.bmp"] = image("6-RGB565-28x28.bmp")[:60]
    bgra = bytes([10, 20, 30, 40, 200, 100, 50, 0, 1, 2, 3, 4, 255, 0, 128, 9])
    for masks in ((0xFF0000, 0xFF00, 0xFF, 0), (0xFF000000, 0xFF0000, 0xFF00, 0), (0xFF000000, 0xFF0000, 0xFF00, 0xFF),
                  (0xFF, 0xFF00, 0xFF0000, 0xFF000000), (0xFF0000, 0xFF00, 0xFF, 0xFF000000), (0, 0, 0, 0),
                  (0xFF, 0xFF00, 0xFF0000, 0)):
        v4 = bmp_v4_header_only(2, 2, 32, 3, masks)
        f["32bit-masks-" + "-".join(f"{m:x}" for m in masks) + ".bmp"] = bmp_patch(v4, 2, "<I", len(v4) + 16) + bgra
    f["16bit-565-64-byte-header.bmp"] = (bmp_patch(image("6-RGB565-28x28.bmp")[:54], 14, "<I", 64)
                                         + image("6-RGB565-28x28.bmp")[54:66] + bytes(12)
                                         + image("6-RGB565-28x28.bmp")[66:])
    f["16bit-565-64-byte-header.bmp"] = bmp_patch(f["16bit-565-64-byte-header.bmp"], 10, "<I", 78)
    # OS/2: a 12-byte header; a 64-byte (2.x) one
    f["os2-12-8bit.bmp"] = bmp_os2(5, 3, 8, rows8(5, 3), colours(256))
    f["os2-12-8bit-offset-26.bmp"] = bmp_os2(5, 3, 8, rows8(5, 3) + bytes(range(256)), colours(256), offset=26)
    f["os2-12-4bit.bmp"] = bmp_os2(9, 2, 4, rows8(9, 2, 4), colours(16))
    f["os2-12-1bit-black-white.bmp"] = bmp_os2(9, 2, 1, rows8(9, 2, 1), bytes([0, 0, 0, 255, 255, 255]))
    f["os2-12-24bit.bmp"] = bmp_os2(5, 7, 24, rgb[54:])
    f["os2-12-24bit-cut.bmp"] = bmp_os2(5, 7, 24, rgb[54:])[:-20]
    f["os2-12-header-cut.bmp"] = bmp_os2(5, 7, 24, rgb[54:])[:20]
    f["os2-64-rgb.bmp"] = bmp_reencoded("8-RGB-v4-28x28.bmp", header=64)
    os2 = bmp_patch(bmp_file(5, 3, 8, bytes(24) + rows8(5, 3), bgrx(colours(16)), colors=16), 14, "<I", 64)
    f["os2-64-8bit.bmp"] = bmp_patch(os2, 10, "<I", 14 + 64 + 64)
    # RLE: the files Pillow reads; escapes, runs and their quirks (8 x 4 unless said)
    f["rle8-28x28.bmp"] = bmp_reencoded("0-P4bit-28x28.bmp", bits=8, rle=True)
    f["rle4-28x28.bmp"] = bmp_reencoded("0-P4bit-28x28.bmp", bits=4, rle=True)
    rows = [8, 1, 0, 0, 8, 2, 0, 0, 8, 3, 0, 0, 8, 4]
    f["rle8-rows-eol.bmp"] = bmp_rle(rows)
    f["rle8-rows-eol-eof.bmp"] = bmp_rle(rows + [0, 0, 0, 1])
    f["rle8-runs-without-eol.bmp"] = bmp_rle([8, 1, 8, 2, 0, 0, 8, 3, 0, 0, 8, 4, 0, 0, 8, 5])
    f["rle8-run-past-row.bmp"] = bmp_rle([5, 1, 9, 2, 0, 0, 8, 3, 0, 0, 8, 4, 0, 0, 8, 5])
    f["rle8-eof-early.bmp"] = bmp_rle([8, 1, 0, 0, 8, 2, 0, 1])
    f["rle8-codes-end-early.bmp"] = bmp_rle([8, 1, 0, 0, 8, 2])
    f["rle8-cut-in-pair.bmp"] = bmp_rle([8, 1, 0, 0, 8, 2, 0, 0, 8, 3, 0, 0, 8])
    f["rle8-delta.bmp"] = bmp_rle([2, 5, 0, 2, 9, 9, 3, 1, 8, 7, 0, 0, 8, 6])
    f["rle8-delta-to-end.bmp"] = bmp_rle([2, 5, 0, 2, 9, 9, 0, 4])
    f["rle8-delta-cut-after-2.bmp"] = bmp_rle([2, 5, 0, 2, 9, 9])
    f["rle8-delta-cut-after-3.bmp"] = bmp_rle([2, 5, 0, 2, 9, 9, 3])
    f["rle8-delta-cut-after-1.bmp"] = bmp_rle([2, 5, 0, 2, 9])
    f["rle8-eol-at-row-end.bmp"] = bmp_rle([8, 1, 0, 0, 0, 0, 8, 2, 0, 0, 8, 3, 0, 0, 8, 4])
    f["rle8-absolute-odd.bmp"] = bmp_rle([0, 3, 1, 2, 3, 0, 5, 4] + rows[2:])
    f["rle8-absolute-even.bmp"] = bmp_rle([0, 4, 1, 2, 3, 4, 4, 5] + rows[2:])
    f["rle8-absolute-crosses-row.bmp"] = bmp_rle([0, 11, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0, 3, 12, 0, 0] + rows[8:])
    f["rle8-absolute-odd-offset-odd.bmp"] = bmp_rle([0, 0, 3, 1, 2, 3, 5, 4] + rows[2:], gap=b"\0", offset=54 + 64 + 2)
    f["rle8-absolute-cut.bmp"] = bmp_rle([8, 1, 0, 0, 0, 9, 1, 2, 3])
    f["rle8-absolute-2.bmp"] = bmp_rle([0, 2, 1, 2] + [6, 3, 0, 0] + rows[4:])
    f["rle8-top-down.bmp"] = bmp_rle(rows, height=-4)
    f["rle8-offset-0.bmp"] = bmp_rle(rows, offset=0)
    f["rle8-indices-past-palette.bmp"] = bmp_rle([8, 200, 0, 0, 8, 17, 0, 0, 8, 255, 0, 0, 8, 16])
    f["rle8-gray-palette.bmp"] = bmp_rle(rows, palette=gray_entries(16))
    f["rle8-black-white-palette.bmp"] = bmp_rle([8, 1, 0, 0, 8, 0, 0, 0, 8, 1, 0, 0, 8, 0], palette=bw)
    f["rle8-24bit.bmp"] = bmp_file(8, 4, 24, bytes(rows), compression=1)
    f["rle8-1bit-file.bmp"] = bmp_file(8, 4, 1, bytes(rows), bgrx(colours(2)), compression=1)
    f["rle8-header-only.bmp"] = bmp_rle([])
    f["rle8-codes-past-end.bmp"] = bmp_rle(rows + [8, 9, 0, 0, 8, 9, 0, 1])
    f["rle4-rows-eol.bmp"] = bmp_rle([8, 0x12, 0, 0, 8, 0x34, 0, 0, 8, 0x56, 0, 0, 7, 0x78], rle4=True)
    f["rle4-absolute-odd.bmp"] = bmp_rle([0, 5, 0x12, 0x34, 0x56, 0, 3, 0x77, 0, 0, 8, 0x9A, 0, 0, 8, 0xBC, 0, 0, 8, 0xDE],
                                         rle4=True)
    f["rle4-absolute-3.bmp"] = bmp_rle([0, 3, 0x12, 0x30, 5, 0x45, 0, 0, 8, 0x9A, 0, 0, 8, 0xBC, 0, 0, 8, 0xDE], rle4=True)
    f["rle4-on-8bit-file.bmp"] = bmp_file(8, 2, 8, bytes([8, 0x12, 0, 0, 8, 0x34]), bgrx(colours(16)), 2, 16)
    f["rle4-delta.bmp"] = bmp_rle([3, 0x12, 0, 2, 0, 0, 2, 1, 0, 0, 8, 0x56, 0, 0, 8, 0x78], rle4=True)
    return {f"bmp/{k}": v for k, v in f.items()}


# ---------------------------------------------------------------- TGA

def tga_colour_map_15(width=4, height=4, entries=16, cut=0):
    """A colour-mapped TGA with a 15-bit colour map (2 bytes an entry), `cut` bytes short of it."""
    header = struct.pack("<BBBHHBHHHHBB", 0, 1, 1, 0, entries, 15, 0, 0, width, height, 8, 0x20)
    palette = b"".join(struct.pack("<H", (i * 2 % 32) << 10 | (i % 32) << 5 | (31 - i % 32)) for i in range(entries))
    pixels = bytes(i % entries for i in range(width * height))
    whole = header + palette + pixels
    return whole if not cut else header + palette[:len(palette) - cut]


def tga_file(width, height, kind, depth, body, cmap=(0, 0, 0, 0), flags=0x20, image_id=b""):
    """A TGA: cmap = (colour map type, first entry, entries, bits an entry); body = map + pixels."""
    return struct.pack("<BBBHHBHHHHBB", len(image_id), cmap[0], kind, cmap[1], cmap[2], cmap[3], 0, 0,
                       width, height, depth, flags) + image_id + body


L8, P8, RLE_L8 = 3, 1, 11
# name: (width, height, image type, bits a pixel, body, colour map, descriptor)
TGA_CASES = {
    "rle-run-crosses-row": (4, 2, RLE_L8, 8, bytes([0x87, 100]), (0, 0, 0, 0), 0x20),
    "rle-run-then-run-crossing": (4, 2, RLE_L8, 8, bytes([0x82, 10, 0x84, 200]), (0, 0, 0, 0), 0x20),
    "rle-literal-crosses-rows": (4, 3, RLE_L8, 8, bytes([5, 1, 2, 3, 4, 5, 6, 0x81, 7, 0x83, 8]), (0, 0, 0, 0), 0),
    "rle-literal-past-image": (4, 2, RLE_L8, 8, bytes([9]) + bytes(range(1, 11)), (0, 0, 0, 0), 0x20),
    "rle-literal-past-image-cut": (4, 2, RLE_L8, 8, bytes([9]) + bytes(range(1, 9)), (0, 0, 0, 0), 0x20),
    "rle-run-cut": (4, 2, 10, 24, bytes([0x83, 1, 2, 3, 0x83, 4, 5]), (0, 0, 0, 0), 0x20),
    "rle-la": (2, 1, RLE_L8, 16, bytes([0x81, 10, 0]), (0, 0, 0, 0), 0x20),
    "palette-257-entries": (3, 1, P8, 8, bytes(3 * 257) + bytes([0, 1, 2]), (1, 0, 257, 24), 0x20),
    "palette-first-200-entries-100": (3, 1, P8, 8, bytes([50] * 300) + bytes([0, 199, 210]), (1, 200, 100, 24), 0x20),
    "palette-first-entry-2": (4, 1, P8, 8, bytes([0, 0, 255, 255, 255, 255]) + bytes([0, 2, 3, 9]), (1, 2, 2, 24), 0x20),
    "palette-index-past-end": (3, 1, P8, 8, bytes([0, 0, 0, 255, 255, 255]) + bytes([0, 1, 200]), (1, 0, 2, 24), 0x20),
    "palette-32-bit": (3, 1, P8, 8, bytes([0, 0, 255, 7, 255, 0, 0, 7]) + bytes([0, 1, 2]), (1, 0, 2, 32), 0x20),
    "palette-8-bit-not-read": (3, 1, P8, 8, bytes([9, 10]) + bytes([0, 1, 2]), (1, 0, 2, 8), 0x20),
    "palette-16-bit": (3, 1, P8, 8, struct.pack("<3H", 0x7C00, 0x03E0, 0x801F) + bytes([0, 1, 2]), (1, 0, 3, 16), 0x20),
    "palette-none-for-P": (3, 1, P8, 8, bytes([0, 1, 2]), (0, 0, 0, 0), 0x20),
    "palette-on-rgb": (1, 1, 2, 24, bytes(6) + bytes([10, 20, 30]), (1, 0, 2, 24), 0x20),
    "palette-15-bit-on-gray": (3, 1, L8, 8, bytes([5, 6, 7, 8]), (1, 0, 2, 15), 0x20),
    "colour-map-type-2": (1, 1, L8, 8, bytes([5]), (2, 0, 0, 0), 0x20),
    "P-16-bit-indices": (2, 1, P8, 16, bytes(4), (1, 0, 2, 24), 0x20),
    "rgb-8-bit": (2, 1, 2, 8, bytes(2), (0, 0, 0, 0), 0x20),
    "gray-24-bit": (2, 1, L8, 24, bytes(6), (0, 0, 0, 0), 0x20),
    "rgb-16-bit": (2, 1, 2, 16, b"\x1f\x00\xe0\x03", (0, 0, 0, 0), 0x20),
    "rgba-32-bit": (2, 1, 2, 32, bytes([0, 0, 255, 0, 9, 99, 199, 255]), (0, 0, 0, 0), 0x20),
    "bottom-up-right-to-left": (2, 2, L8, 8, bytes([1, 2, 3, 4]), (0, 0, 0, 0), 0x10),
    "type-4": (2, 1, 4, 8, bytes(2), (0, 0, 0, 0), 0x20),
    "width-0": (0, 1, L8, 8, bytes(2), (0, 0, 0, 0), 0x20),
    # Bytes 0-3 are 00 00 02 00, CUR's signature; Pillow's CUR reader gives up (the 256 entries its
    # count, bytes 4-5, announces are not there) and the TGA reader reads it. (With fewer entries, the
    # CUR or ICO reader may read it instead: docs/preprocessing.md.)
    "cur-signature-count-256": (4, 4, 2, 24, bytes(48), (0, 0, 1, 0), 0x20),
}


def tga_rle_cut(data, missing):
    """An RLE TGA without its last `missing` bytes (its packets no longer cover the image)."""
    return data[:len(data) - missing]


# ---------------------------------------------------------------- the lists

def corpus_files():
    """{path below tests/data/pillow-corpus: bytes}: the small findings."""
    baseline, progressive = image("0-RGB-100x100.jpg"), image("5-RGB-progressive-100x100.jpg")
    files = {}
    for name, marker in [("dht", 0xC4), ("dqt", 0xDB), ("soi", 0xD8), ("sof", 0xC0), ("sos", 0xDA),
                         ("app1", 0xE1), ("com", 0xFE), ("rst3", 0xD3), ("eoi", 0xD9)]:
        files[f"jpeg/marker-{name}-in-scan.jpg"] = jpeg_marker_in_scan(baseline, marker)
    files["jpeg/progressive-cut-in-third-scan.jpg"] = progressive[:len(progressive) * 2 // 5]
    files["jpeg/baseline-cut-in-scan.jpg"] = baseline[:len(baseline) // 2]
    files["jpeg/baseline-without-eoi.jpg"] = baseline[:-2]
    files["jpeg/progressive-without-eoi.jpg"] = progressive[:-2]
    files["jpeg/progressive-60-empty-scans.jpg"] = jpeg_many_scans(64, 64, 60)

    for src in ("0-Ptrns-28x28.gif", "9-P-interlaced-27x29.gif", "6-P-partial-28x28.gif"):
        data, stem = image(src), src.rsplit(".", 1)[0]
        start, end = gif_image_data(data)
        files[f"gif/{stem}-lzw-cut-half.gif"] = gif_cut_lzw(data, (end - start) // 2)
        files[f"gif/{stem}-lzw-cut-before-terminator.gif"] = data[:end - 1]
        files[f"gif/{stem}-without-trailer.gif"] = data[:end]
        files[f"gif/{stem}-early-terminator.gif"] = gif_early_terminator(data, min(40, data[start + 1]))
    files["gif/screen-300x300-frame-1x1.gif"] = gif_large_screen(300)
    ramp = list(range(64))
    files["gif/index-past-palette.gif"] = gif_file((8, 8), (0, 0, 8, 8), gif_lzw([i * 4 for i in ramp]), colours(2))
    files["gif/no-palette.gif"] = gif_file((8, 8), (0, 0, 8, 8), gif_lzw([i * 4 for i in ramp]))
    gray = b"".join(bytes([i, i, i]) for i in range(256))
    files["gif/gray-ramp-palette.gif"] = gif_file((8, 8), (0, 0, 8, 8), gif_lzw([i * 4 for i in ramp]), gray)
    # Not here: a gray-ramp local palette over a coloured global one. Pillow 9.4 then loads mode "L"
    # over a "P" core image, and convert("L") gives a "P" copy that resize() samples NEAREST, on the
    # indices: docs/preprocessing.md lists it among the known differences.
    files["gif/transparent-partial-frame.gif"] = gif_file((8, 8), (2, 3, 4, 4), gif_lzw([i % 4 for i in range(16)]),
                                                          colours(4), transparent=3)
    files["gif/local-palette-partial-frame.gif"] = gif_file((8, 8), (1, 1, 5, 5), gif_lzw([i % 8 for i in range(25)]),
                                                            colours(4), local_palette=colours(8)[::-1])
    files["gif/interlaced-5-rows.gif"] = gif_file((3, 5), (0, 0, 3, 5), gif_lzw(list(range(15))), colours(16),
                                                  interlace=True)
    files["gif/gif87a.gif"] = gif_file((4, 4), (0, 0, 4, 4), gif_lzw(list(range(16))), colours(16), version=b"GIF87a")
    files["gif/version-gif88a.gif"] = gif_file((4, 4), (0, 0, 4, 4), gif_lzw(list(range(16))), colours(16),
                                               version=b"GIF88a")
    files["gif/code-size-13.gif"] = gif_file((4, 4), (0, 0, 4, 4), gif_lzw(list(range(16))), colours(16), bits=13)
    files["gif/code-size-2.gif"] = gif_file((4, 4), (0, 0, 4, 4), gif_lzw([i % 4 for i in range(16)], 2),
                                            colours(4), bits=2)
    files["gif/code-size-1.gif"] = gif_file((4, 4), (0, 0, 4, 4), gif_lzw([i % 2 for i in range(16)], 1),
                                            colours(2), bits=1)
    files["gif/code-beyond-table.gif"] = gif_file((4, 4), (0, 0, 4, 4), pack_lzw_codes([256, 1, 2, 300] + [3] * 14, 9),
                                                  colours(16))
    files["gif/first-code-not-literal.gif"] = gif_file((4, 4), (0, 0, 4, 4), pack_lzw_codes([256, 258, 1] + [3] * 14, 9),
                                                       colours(16))
    files["gif/repeated-strings.gif"] = gif_file((4, 4), (0, 0, 4, 4),
                                                 pack_lzw_codes([256, 1, 258, 259, 260, 261, 5, 257], 9), colours(16))
    files["gif/end-code-early-then-more.gif"] = gif_file(
        (4, 4), (0, 0, 4, 4), pack_lzw_codes([256, 1, 2, 3, 257, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0, 257], 9),
        colours(16))
    files["gif/frame-0x0.gif"] = gif_file((4, 4), (0, 0, 0, 0), gif_lzw([]), colours(16))
    files["gif/screen-0x4.gif"] = gif_file((0, 4), (0, 0, 0, 4), gif_lzw([]), colours(16))
    files["gif/graphic-control-short.gif"] = gif_file((4, 4), (0, 0, 4, 4), gif_lzw(list(range(16))), colours(16),
                                                      extensions=b"\x21\xf9\x02\x01\x00\x00")
    files["gif/netscape-without-data.gif"] = gif_file((4, 4), (0, 0, 4, 4), gif_lzw(list(range(16))), colours(16),
                                                      extensions=b"\x21\xff\x0bNETSCAPE2.0\x00")
    files["gif/comment-and-junk-bytes.gif"] = gif_file((4, 4), (0, 0, 4, 4), gif_lzw(list(range(16))), colours(16),
                                                       extensions=b"\x21\xfe\x03abc\x02de\x00\x00\x42")
    files["gif/data-after-last-pixel.gif"] = gif_file((4, 4), (0, 0, 4, 4), pack_lzw_codes([256] + list(range(16)) + [7] * 40,
                                                                                    9), colours(16))

    for bpp in (0, 2, 3, 7, 48, 64):
        files[f"bmp/header-only-{bpp}bpp.bmp"] = bmp_header_only(28, 28, bpp)
    for compression in (4, 5, 6, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF):
        files[f"bmp/compression-{compression:#x}.bmp"] = bmp_with_compression(image("9-RGB-5x7.bmp"), compression)
    files["bmp/header-only-24bpp-28x28.bmp"] = bmp_header_only(28, 28, 24)
    files["bmp/v4-header-only-64bpp-bitfields.bmp"] = bmp_v4_header_only(28, 28, 64)
    files["bmp/v4-64bpp-bitfields-compression-2pow31.bmp"] = bmp_v4_header_only(28, 28, 64, 0x80000000)
    base = image("9-RGB-5x7.bmp")
    files["bmp/header-size-56.bmp"] = base[:14] + struct.pack("<I", 56) + base[18:]
    files["bmp/header-size-52.bmp"] = base[:14] + struct.pack("<I", 52) + base[18:]
    bitfields = image("4-RGBA-bitfields-28x28.bmp")
    files["bmp/bitfields-unlisted-masks.bmp"] = bitfields[:54] + struct.pack("<III", 0xFF00, 0xFF0000, 0xFF) + bitfields[66:]
    files["bmp/8bit-cut-in-pixels.bmp"] = image("8-P-28x28.bmp")[:-100]
    files["bmp/8bit-palette-40-indices-past-it.bmp"] = bmp_short_palette(27, 29, 40)
    files.update(bmp_cases())

    for name, (w, h, kind, depth, body, cmap, flags) in TGA_CASES.items():
        files[f"tga/{name}.tga"] = tga_file(w, h, kind, depth, body, cmap, flags)
    files["tga/map15-whole.tga"] = tga_colour_map_15()
    files["tga/map15-cut-short.tga"] = tga_colour_map_15(cut=7)
    rle = image("1-P-rle-28x28.tga")
    for missing in (1, 2, 30, 300):
        files[f"tga/P-rle-missing-{missing}.tga"] = tga_rle_cut(rle, missing)
    rle = image("2-RGBA-rle-28x28.tga")
    files["tga/RGBA-rle-missing-3.tga"] = tga_rle_cut(rle, 3)
    files["tga/RGB-raw-missing-1.tga"] = image("3-RGB-27x29.tga")[:-1]
    return files


def bomb_files():
    """{name: bytes}: small files whose decode, unbounded, costs seconds and gigabytes."""
    return {
        "jpeg-progressive-2000-scans-13376x13376.jpg": jpeg_many_scans(13376, 13376, 2000),
        "jpeg-progressive-20000-scans-1024x1024.jpg": jpeg_many_scans(1024, 1024, 20000),
        "jpeg-progressive-100-scans-13376x13376.jpg": jpeg_many_scans(13376, 13376, 100),
        "jpeg-progressive-100-scans-13376x13376-rgb.jpg": jpeg_many_scans(13376, 13376, 100,
                                                                          "5-RGB-progressive-100x100.jpg"),
        "gif-screen-13377x13377.gif": gif_large_screen(13377),
        "bmp-header-only-24bpp-13376x13376.bmp": bmp_header_only(13376, 13376, 24),
        "bmp-v4-header-only-64bpp-compression-2pow31-13376x13376.bmp": bmp_v4_header_only(13376, 13376, 64,
                                                                                          0x80000000),
    }


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--corpus", action="store_true", help="write the small files into tests/data/pillow-corpus")
    p.add_argument("--bombs", metavar="DIR", help="write the large-work files into DIR")
    p.add_argument("--list", action="store_true", help="with --bombs: print their names only")
    a = p.parse_args()
    if a.corpus:
        for name, data in corpus_files().items():
            (CORPUS / name).parent.mkdir(parents=True, exist_ok=True)
            (CORPUS / name).write_bytes(data)
    if a.bombs:
        for name, data in bomb_files().items():
            if a.list:
                print(name)
                continue
            Path(a.bombs).mkdir(parents=True, exist_ok=True)
            (Path(a.bombs) / name).write_bytes(data)
    if not (a.corpus or a.bombs):
        p.error("say --corpus or --bombs DIR")
    return 0


if __name__ == "__main__":
    sys.exit(main())
