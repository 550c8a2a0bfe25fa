"""Minimal, hand-written image encoders for the test corpus: the variants Pillow cannot write.

Used only by tools/format_corpus.py (for tools/make_test_assets.py); each function returns the
file's bytes. They write what the format specifications allow, not what is common: Pillow 9.4
cannot write interlaced or 2/4-bit grayscale or 16-bit colour PNGs, 4/16-bit or bitfield BMPs,
GIFs whose first frame does not cover the screen, 16-bit or right-to-left TGAs, PNM with a maxval
other than 255 and 65535, or the plain (ASCII) PNM variants, so those test files are made here.

    png(samples, color_type, depth, palette=None, trns=None, interlace=False, chunks=(), idat_size=None)
    bmp(width, height, bits, data, palette=None, top_down=False, masks=None, header=40, rle=False, gap=0)
    gif(width, height, frames, palette=None, background=0)
    tga(samples, kind, depth, palette=None, palette_depth=24, top_down=False, right_to_left=False)
    pnm(samples, magic, maxval=255, comment=None)

Pixels are numpy arrays, row-major, top row first: (h, w) for gray and palette indices,
(h, w, channels) otherwise.
"""
import struct
import zlib

import numpy as np

# ---------------------------------------------------------------- PNG

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PNG_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}
ADAM7 = ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2))


def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _png_rows(samples, depth):
    """Serialized scanlines (without filter bytes) of an (h, w[, c]) array."""
    a = np.asarray(samples)
    h, w = a.shape[:2]
    flat = a.reshape(h, -1)
    if depth == 16:
        return [row.astype(">u2").tobytes() for row in flat]
    if depth == 8:
        return [row.astype(np.uint8).tobytes() for row in flat]
    per_byte = 8 // depth
    rows = []
    for row in flat.astype(np.uint8):
        padded = np.zeros(-(-len(row) // per_byte) * per_byte, np.uint8)
        padded[:len(row)] = row
        groups = padded.reshape(-1, per_byte)
        packed = np.zeros(len(groups), np.uint32)
        for i in range(per_byte):
            packed = (packed << depth) | groups[:, i]
        rows.append(packed.astype(np.uint8).tobytes())
    return rows


def _paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else (b if pb <= pc else c)


def _png_filter(rows, bpp, first_filter):
    """Filters each scanline, cycling through the five filter types (so decoders meet them all)."""
    out = bytearray()
    prev = bytes(len(rows[0])) if rows else b""
    for i, row in enumerate(rows):
        ftype = (first_filter + i) % 5
        line = bytearray(len(row))
        for x, v in enumerate(row):
            a = row[x - bpp] if x >= bpp else 0
            b = prev[x]
            c = prev[x - bpp] if x >= bpp else 0
            pred = (0, a, b, (a + b) // 2, _paeth(a, b, c))[ftype]
            line[x] = (v - pred) & 0xFF
        out += bytes([ftype]) + line
        prev = row
    return bytes(out)


def png(samples, color_type, depth, palette=None, trns=None, interlace=False, chunks=(), idat_size=None):
    """A PNG of `samples`; `palette` is [(r, g, b)], `trns` the raw tRNS payload,
    `chunks` extra (kind, data) chunks written before IDAT, `idat_size` splits the data."""
    a = np.asarray(samples)
    h, w = a.shape[:2]
    bpp = max(1, PNG_CHANNELS[color_type] * depth // 8)
    if interlace:
        raw = b""
        for p, (x0, y0, dx, dy) in enumerate(ADAM7):
            sub = a[y0::dy, x0::dx]
            if sub.shape[0] and sub.shape[1]:  # an empty pass has no scanlines at all
                raw += _png_filter(_png_rows(sub, depth), bpp, p)
    else:
        raw = _png_filter(_png_rows(a, depth), bpp, 0)
    data = zlib.compress(raw, 9)
    out = PNG_SIGNATURE + png_chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, depth, color_type, 0, 0, int(interlace)))
    for kind, payload in chunks:
        out += png_chunk(kind, payload)
    if palette is not None:
        out += png_chunk(b"PLTE", bytes(v for rgb in palette for v in rgb))
    if trns is not None:
        out += png_chunk(b"tRNS", trns)
    step = idat_size or len(data) or 1
    for i in range(0, max(len(data), 1), step):
        out += png_chunk(b"IDAT", data[i:i + step])
    return out + png_chunk(b"IEND", b"")


# ---------------------------------------------------------------- BMP

def _rle8(rows):
    out = bytearray()
    for row in rows:
        i = 0
        while i < len(row):
            j = i
            while j < len(row) and j - i < 255 and row[j] == row[i]:
                j += 1
            out += bytes([j - i, row[i]])
            i = j
        out += b"\0\0"  # end of line
    return bytes(out + b"\0\1")  # end of bitmap


def _rle4(rows):
    out = bytearray()
    for row in rows:
        i = 0
        while i < len(row):
            j = i
            while j < len(row) and j - i < 255 and row[j] == row[i]:
                j += 1
            out += bytes([j - i, (row[i] << 4) | row[i]])
            i = j
        out += b"\0\0"
    return bytes(out + b"\0\1")


def bmp(width, height, bits, data, palette=None, top_down=False, masks=None, header=40, rle=False, gap=0):
    """A Windows BMP. `data`: palette indices (bits <= 8), packed uint16 values (bits 16),
    RGB (bits 24) or RGBA (bits 32) samples, top row first. `masks` (r, g, b[, a]) write
    BI_BITFIELDS, in the header for a V4/V5 header (108/124), else after a 40-byte one; header 64
    writes an OS/2 2.x header.
    `rle` writes RLE8 (bits 8) or RLE4 (bits 4); `gap` puts that many bytes between the headers
    (and palette) and the pixels, where the file header's pixel offset says they are."""
    a = np.asarray(data)
    rows = [a[y] for y in (range(height) if top_down else reversed(range(height)))]
    if rle:
        compression = 1 if bits == 8 else 2
        pixels = (_rle8 if bits == 8 else _rle4)([list(map(int, r)) for r in rows])
    else:
        compression = 3 if masks else 0
        stride = ((width * bits + 31) // 32) * 4
        pixels = b""
        for r in rows:
            if bits <= 8:
                line = bytes(_png_rows(r[np.newaxis, :], bits)[0]) if bits < 8 else r.astype(np.uint8).tobytes()
            elif bits == 16:
                line = r.astype("<u2").tobytes()
            elif bits == 24:
                line = r[:, ::-1].astype(np.uint8).tobytes()  # BGR
            else:  # 32: pack through the masks (BGRA when none)
                m = masks or (0xFF0000, 0xFF00, 0xFF, 0xFF000000)
                v = np.zeros(len(r), np.uint64)
                for ch, mask in enumerate(m):
                    if mask:
                        shift = (mask & -mask).bit_length() - 1
                        v |= (r[:, ch].astype(np.uint64) << np.uint64(shift)) & np.uint64(mask)
                line = v.astype("<u4").tobytes()
            pixels += line + bytes(stride - len(line))
    colors = len(palette) if palette is not None else 0
    pal = b"".join(bytes((b, g, r, 0)) for r, g, b in (palette or []))
    info = struct.pack("<IiiHHIIiiII", header, width, -height if top_down else height, 1, bits, compression,
                       len(pixels), 2835, 2835, colors, 0)
    extra = b""
    if header == 64:  # OS/2 2.x: the 40 bytes above, then 24 bytes of OS/2 fields (zero: defaults)
        extra = bytes(24)
    elif header > 40:  # V4/V5: masks, colour space "sRGB", endpoints, gamma [, intent, profile, reserved]
        m = tuple(masks or ())
        extra = struct.pack("<IIIII", *(m + (0,) * (4 - len(m))), 0x73524742) + bytes(36 + 12)
        if header == 124:
            extra += struct.pack("<IIII", 4, 0, 0, 0)
    elif masks:
        extra = struct.pack("<" + "I" * len(masks), *masks)
    offset = 14 + len(info) + len(extra) + len(pal) + gap
    return b"BM" + struct.pack("<IHHI", offset + len(pixels), 0, 0, offset) + info + extra + pal + bytes(gap) + pixels


# ---------------------------------------------------------------- GIF

def _lzw_uncompressed(indices, min_code_size):
    """GIF LZW data that uses only literal codes, with a clear code before the code width would grow:
    valid for every decoder, trivially correct, and small enough for tiny images."""
    clear, end = 1 << min_code_size, (1 << min_code_size) + 1
    width = min_code_size + 1
    codes = []
    for i, v in enumerate(indices):
        if i % (clear - 2) == 0:
            codes.append(clear)
        codes.append(int(v))
    codes.append(end)
    return bytes([min_code_size]) + pack_lzw_codes(codes, width)


def pack_lzw_codes(codes, width):
    """GIF LZW codes of `width` bits, LSB first, in sub-blocks of up to 255 bytes, then the terminator."""
    acc = nbits = 0
    out = bytearray()
    for c in codes:
        acc |= c << nbits
        nbits += width
        while nbits >= 8:
            out.append(acc & 0xFF)
            acc >>= 8
            nbits -= 8
    if nbits:
        out.append(acc & 0xFF)
    blocks = b"".join(bytes([len(out[i:i + 255])]) + out[i:i + 255] for i in range(0, len(out), 255))
    return blocks + b"\0"


def _gif_palette(colors):
    bits = max(1, (len(colors) - 1).bit_length())
    table = bytes(v for rgb in colors for v in rgb) + bytes(3 * ((1 << bits) - len(colors)))
    return bits, table


def gif(width, height, frames, palette=None, background=0):
    """A GIF89a. Each frame is a dict: indices (h, w), left=0, top=0, palette=None (local),
    transparency=None, disposal=0, interlace=False."""
    out = bytearray(b"GIF89a")
    flags = 0
    table = b""
    if palette is not None:
        bits, table = _gif_palette(palette)
        flags = 0x80 | ((bits - 1) << 4) | (bits - 1)
    out += struct.pack("<HHBBB", width, height, flags, background, 0) + table
    if len(frames) > 1:
        out += b"!\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00"
    for f in frames:
        idx = np.asarray(f["indices"])
        h, w = idx.shape
        trns = f.get("transparency")
        gce_flags = (f.get("disposal", 0) << 2) | (1 if trns is not None else 0)
        out += b"!\xf9\x04" + struct.pack("<BHB", gce_flags, 10, trns or 0) + b"\0"
        local = f.get("palette")
        lflags, ltable = 0, b""
        if local is not None:
            lbits, ltable = _gif_palette(local)
            lflags = 0x80 | (lbits - 1)
        rows = list(range(h))
        if f.get("interlace"):
            lflags |= 0x40
            rows = list(range(0, h, 8)) + list(range(4, h, 8)) + list(range(2, h, 4)) + list(range(1, h, 2))
        out += b"," + struct.pack("<HHHHB", f.get("left", 0), f.get("top", 0), w, h, lflags) + ltable
        used = max(len(local) if local is not None else len(palette), 2)
        out += _lzw_uncompressed(idx[rows].reshape(-1), max(2, (used - 1).bit_length()))
    return bytes(out + b";")


# ---------------------------------------------------------------- TGA

def tga(samples, kind, depth, palette=None, palette_depth=24, top_down=False, right_to_left=False):
    """An uncompressed Targa. kind: "L" (type 3; depth 8, or 1 for bilevel 0/1 samples), "P" (type 1,
    8-bit indices), "RGB" (type 2; depth 16 takes packed 1-5-5-5 uint16 values, 24 RGB samples,
    32 RGBA samples)."""
    a = np.asarray(samples)
    h, w = a.shape[:2]
    image_type = {"L": 3, "P": 1, "RGB": 2}[kind]
    if not top_down:
        a = a[::-1]
    if right_to_left:
        a = a[:, ::-1]
    if kind == "L" and depth == 1:  # bilevel, 8 pixels a byte, rows padded to bytes
        data = b"".join(_png_rows(row[np.newaxis, :], 1)[0] for row in a)
    elif kind == "RGB" and depth == 16:
        data = a.astype("<u2").tobytes()
    elif kind == "RGB":
        data = a[..., [2, 1, 0, 3][:a.shape[2]]].astype(np.uint8).tobytes()
    else:
        data = a.astype(np.uint8).tobytes()
    cmap = b""
    if palette is not None:
        if palette_depth == 16:
            cmap = b"".join(struct.pack("<H", 0x8000 | (r >> 3) << 10 | (g >> 3) << 5 | b >> 3) for r, g, b, *_ in palette)
        elif palette_depth == 24:
            cmap = b"".join(bytes((b, g, r)) for r, g, b, *_ in palette)
        else:
            cmap = b"".join(bytes((b, g, r, (x[0] if x else 255))) for r, g, b, *x in palette)
    alpha_bits = 8 if depth == 32 else (1 if depth == 16 else 0)
    descriptor = alpha_bits | (0x20 if top_down else 0) | (0x10 if right_to_left else 0)
    header = struct.pack("<BBBHHBHHHHBB", 0, int(palette is not None), image_type, 0,
                         len(palette) if palette is not None else 0, palette_depth if palette is not None else 0,
                         0, 0, w, h, depth, descriptor)
    return header + cmap + data


# ---------------------------------------------------------------- PNM

def pnm(samples, magic, maxval=255, comment=None):
    """Netpbm: P1/P4 (bits, 1 = black), P2/P5 (gray), P3/P6 (RGB); 16-bit samples when maxval > 255."""
    a = np.asarray(samples)
    h, w = a.shape[:2]
    head = magic.encode() + b"\n" + (b"# " + comment.encode() + b"\n" if comment else b"") + f"{w} {h}\n".encode()
    if magic not in ("P1", "P4"):
        head += f"{maxval}\n".encode()
    if magic == "P4":
        return head + b"".join(_png_rows(a[y][np.newaxis, :], 1)[0] for y in range(h))
    if magic in ("P1", "P2", "P3"):
        lines = [" ".join(str(int(v)) for v in row) for row in a.reshape(h, -1)]
        return head + "\n".join(lines).encode() + b"\n"
    return head + a.astype(">u2" if maxval > 255 else np.uint8).tobytes()
