"""The second half of the test corpus: every image format x mode the library reads, including the
variants Pillow cannot write (made with tools/encoders.py or libturbojpeg), and tests/data/unsupported
(files Pillow reads and the library refuses). Called by tools/make_test_assets.py, whose drawing
helpers it uses (passed in as `a`); names follow <intended digit>-<mode>[-<variant>]-<w>x<h>.<ext>.
"""
import io
import struct
from pathlib import Path

import numpy as np
from PIL import Image

import encoders

UNSUPPORTED = Path(__file__).resolve().parent.parent / "tests/data/unsupported"


def make(a, save):
    """Writes the images through `save(name, image, **options)` (Pillow) or as bytes, then tests/data/unsupported."""
    make_more_images(a, save, lambda name, data: (a.IMAGES / name).write_bytes(data))
    make_unsupported(a)


def levels(mask, bits):
    """An L image's values scaled to 0 .. 2**bits - 1 (rounded)."""
    top = (1 << bits) - 1
    return ((np.asarray(mask, np.uint32) * top + 127) // 255).astype(np.uint16)


def indexed(a, rgb, colors=16):
    """(indices, palette as [(r, g, b)]) of an RGB image quantized to at most `colors` colours."""
    p = a.palette(rgb, colors)
    n = int(np.asarray(p).max()) + 1
    flat = p.getpalette()[:3 * n]
    return np.asarray(p), [tuple(flat[i:i + 3]) for i in range(0, len(flat), 3)]


def uniform_noise(size, channels, seed):
    """Uniform random samples: (h, w) when channels == 1, else (h, w, channels)."""
    shape = (size[1], size[0]) + ((channels,) if channels > 1 else ())
    return np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8)


def gradient_rgb(size):
    """Red grows to the right, green downwards, blue along the diagonal."""
    w, h = size
    y, x = np.mgrid[0:h, 0:w]
    r = x * 255 // max(w - 1, 1)
    g = y * 255 // max(h - 1, 1)
    b = (x + y) * 255 // max(w + h - 2, 1)
    return Image.fromarray(np.stack([r, g, b], -1).astype(np.uint8), "RGB")


def with_low_bytes(samples8, seed):
    """8-bit samples widened to 16 bits with random low bytes: a decoder that rounds instead of
    taking the high byte, or the other way round, gets some pixels wrong."""
    low = np.random.default_rng(seed).integers(0, 256, np.shape(samples8), dtype=np.uint16)
    return (np.asarray(samples8, np.uint16) << 8) | low


def turbojpeg(samples, pixel_format, subsampling, quality=90):
    """Compresses with libturbojpeg (through ctypes): the JPEG variants Pillow cannot write.
    pixel_format "RGB" or "CMYK" (TurboJPEG writes CMYK input as a YCCK JPEG, Adobe marker
    included); subsampling "440" or "411" or any other TJSAMP suffix."""
    import ctypes
    tj = ctypes.CDLL("libturbojpeg.so.0")
    tj.tjInitCompress.restype = ctypes.c_void_p
    tj.tjCompress2.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int, ctypes.c_int, ctypes.c_int,
                               ctypes.c_int, ctypes.POINTER(ctypes.c_void_p), ctypes.POINTER(ctypes.c_ulong),
                               ctypes.c_int, ctypes.c_int, ctypes.c_int]
    tj.tjFree.argtypes = [ctypes.c_void_p]
    tj.tjDestroy.argtypes = [ctypes.c_void_p]
    formats, sampling = {"RGB": 0, "CMYK": 11}, {"444": 0, "422": 1, "420": 2, "440": 4, "411": 5}
    src = np.ascontiguousarray(samples, np.uint8)
    handle = tj.tjInitCompress()
    buf, size = ctypes.c_void_p(), ctypes.c_ulong(0)
    rc = tj.tjCompress2(handle, src.ctypes.data, src.shape[1], 0, src.shape[0], formats[pixel_format],
                        ctypes.byref(buf), ctypes.byref(size), sampling[subsampling], quality, 0)
    try:
        if rc != 0:
            raise RuntimeError("tjCompress2 failed")
        return ctypes.string_at(buf, size.value)
    finally:
        tj.tjFree(buf)
        tj.tjDestroy(handle)


def make_more_images(a, save, write):
    """The corpus's second half: every format x mode the library claims, including what Pillow cannot write."""
    S28, S100, S2729, S57 = (28, 28), (100, 100), (27, 29), (5, 7)
    m = {k: a.sized(a.font_digit(k), S28) for k in range(10)}  # 28x28 masks
    m2729 = {k: a.sized(a.font_digit(k, "DejaVuSans.ttf"), S2729) for k in range(10)}
    m100 = {k: a.sized(a.hand_digit(k) if k in a.STROKES else a.font_digit(k, "DejaVuSerif-Bold.ttf"), S100) for k in range(10)}
    navy, cream = (10, 20, 70), (255, 240, 200)

    # PNG through Pillow
    save("1-L-27x29.png", m2729[1])
    rgb5 = a.colorize(m[5], (250, 250, 250), (40, 0, 40))
    p5 = a.palette(rgb5, 8)
    save("5-Ptrnsalpha-28x28.png", p5, transparency=bytes(range(0, 256, 32)))  # tRNS: 8 alpha levels
    save("6-P1bit-28x28.png", a.palette(a.colorize(m[6], (255, 220, 0), (0, 40, 120)), 2), bits=1)
    save("7-P2bit-28x28.png", a.palette(a.colorize(m[7], (200, 255, 200), (60, 0, 0)), 4), bits=2)
    save("8-Ltrns-28x28.png", m[8], transparency=0)  # tRNS colour key on gray
    save("9-RGBtrns-28x28.png", a.colorize(m[9], cream, navy), transparency=navy)  # tRNS colour key on RGB
    save("x-I16-low-28x28.png", Image.fromarray((np.asarray(m[3], np.uint16) * 3), "I;16"))  # 0..765: clamping shows
    save("x-RGBA-noise-28x28.png", Image.fromarray(uniform_noise(S28, 4, 11), "RGBA"))
    save("x-RGB-gradient-100x100.png", gradient_rgb(S100))
    save("x-LA-noise-5x7.png", Image.fromarray(uniform_noise(S57, 2, 12), "LA"))
    # PNG written by hand: bit depths and layouts Pillow cannot write; every filter type
    write("0-L2bit-28x28.png", encoders.png(levels(m[0], 2), 0, 2))
    write("1-L4bit-27x29.png", encoders.png(levels(m2729[1], 4), 0, 4))
    write("2-LA16-28x28.png", encoders.png(np.stack([with_low_bytes(m[2], 21), with_low_bytes(np.asarray(a.ramp(S28)), 22)], -1), 4, 16))
    write("3-RGB16-28x28.png", encoders.png(with_low_bytes(a.colorize(m[3], cream, navy), 31), 2, 16))
    rgba4 = np.asarray(a.with_alpha(a.colorize(m2729[4], (255, 255, 255), (0, 30, 0)), a.ramp(S2729)))
    write("4-RGBA16-27x29.png", encoders.png(with_low_bytes(rgba4, 41), 6, 16))
    write("5-I16trns-28x28.png", encoders.png(np.asarray(m[5], np.uint16) * 2, 0, 16, trns=struct.pack(">H", 0)))
    write("6-L-adam7-28x28.png", encoders.png(np.asarray(m[6]), 0, 8, interlace=True))
    write("7-RGB-adam7-27x29.png", encoders.png(np.asarray(a.colorize(m2729[7], cream, navy)), 2, 8, interlace=True))
    rgba8 = np.asarray(a.with_alpha(a.colorize(m100[8], (240, 255, 255), (30, 0, 0)), a.ramp(S100)))
    write("8-RGBA-adam7-100x100.png", encoders.png(rgba8, 6, 8, interlace=True))
    idx9, pal9 = indexed(a, a.colorize(m[9], (255, 200, 255), (0, 0, 50)), 16)
    write("9-P4bit-adam7-28x28.png", encoders.png(idx9, 3, 4, palette=pal9, interlace=True,
                                                  trns=bytes([0] + [255] * (len(pal9) - 1))))
    write("0-1bit-adam7-27x29.png", encoders.png(levels(m2729[0], 1), 0, 1, interlace=True))
    write("1-I16-adam7-28x28.png", encoders.png(np.asarray(m[1], np.uint16) * 2, 0, 16, interlace=True))
    write("2-LA-adam7-28x28.png", encoders.png(np.asarray(a.with_alpha(m[2], a.ramp(S28))), 4, 8, interlace=True))
    write("x-L-adam7-5x7.png", encoders.png(uniform_noise(S57, 1, 13), 0, 8, interlace=True))
    write("x-RGB-adam7-1x1.png", encoders.png(np.array([[[200, 100, 50]]], np.uint8), 2, 8, interlace=True))
    write("x-RGB16-adam7-3x2.png", encoders.png(with_low_bytes(uniform_noise((3, 2), 3, 14), 15), 2, 16, interlace=True))
    apng = [a.colorize(m[k], (255, 255, 255), (0, 0, 0)) for k in (4, 7, 1)]  # frame 0 is what counts
    apng[0].save(a.IMAGES / "4-RGB-apng-28x28.png", save_all=True, append_images=apng[1:], default_image=True)
    write("3-L-chunks-28x28.png", encoders.png(np.asarray(m[3]), 0, 8, idat_size=64, chunks=[
        (b"gAMA", struct.pack(">I", 100000)), (b"sRGB", b"\0"), (b"tEXt", b"Comment\0gamma and sRGB are ignored")]))
    # BMP through Pillow
    save("9-RGB-5x7.bmp", a.colorize(a.sized(a.font_digit(9), S57), cream, navy))  # rows padded to 4 bytes
    save("x-L-1x1.bmp", Image.new("L", (1, 1), 77))
    # BMP written by hand
    idx0, pal0 = indexed(a, a.colorize(m[0], (255, 255, 120), (0, 0, 90)), 16)
    write("0-P4bit-28x28.bmp", encoders.bmp(28, 28, 4, idx0, pal0))
    idx1 = levels(m2729[1], 4)
    write("1-P4bitgray-27x29.bmp", encoders.bmp(27, 29, 4, idx1, [(v * 17,) * 3 for v in range(16)]))
    write("2-P1bit-28x28.bmp", encoders.bmp(28, 28, 1, levels(m[2], 1), [(0, 0, 128), (255, 255, 0)]))
    idx3, pal3 = indexed(a, a.colorize(m2729[3], cream, (50, 10, 10)), 40)
    write("3-P-topdown-27x29.bmp", encoders.bmp(27, 29, 8, idx3, pal3, top_down=True))
    rgba4b = np.asarray(a.with_alpha(a.colorize(m[4], (255, 255, 255), (0, 0, 0)), a.ramp(S28)))
    write("4-RGBA-bitfields-28x28.bmp", encoders.bmp(28, 28, 32, rgba4b, header=124,
                                                     masks=(0xFF0000, 0xFF00, 0xFF, 0xFF000000)))
    rgb5b = np.asarray(a.colorize(m[5], (255, 255, 255), (0, 60, 0))).astype(np.uint16)
    write("5-RGB555-28x28.bmp", encoders.bmp(28, 28, 16, (rgb5b[..., 0] >> 3) << 10 | (rgb5b[..., 1] >> 3) << 5 | rgb5b[..., 2] >> 3))
    rgb6b = np.asarray(a.colorize(m[6], (255, 255, 255), (60, 0, 30))).astype(np.uint16)
    write("6-RGB565-28x28.bmp", encoders.bmp(28, 28, 16, (rgb6b[..., 0] >> 3) << 11 | (rgb6b[..., 1] >> 2) << 5 | rgb6b[..., 2] >> 3,
                                             masks=(0xF800, 0x7E0, 0x1F)))
    write("7-RGB-topdown-100x100.bmp", encoders.bmp(100, 100, 24, np.asarray(a.colorize(m100[7], cream, navy)), top_down=True))
    write("8-RGB-v4-28x28.bmp", encoders.bmp(28, 28, 24, np.asarray(a.colorize(m[8], (255, 255, 255), (90, 0, 0))), header=108))
    # GIF through Pillow (interlaced when both sides reach 16 pixels, as Pillow writes them)
    frames = [a.palette(a.colorize(m[k], (255, 255, 255), (20, 20, 60)), 16) for k in (3, 8, 1)]
    frames[0].save(a.IMAGES / "3-P-anim-28x28.gif", save_all=True, append_images=frames[1:], duration=100, loop=0)
    save("x-P-1x1.gif", a.palette(Image.new("RGB", (1, 1), (30, 200, 90)), 2))
    save("x-P-5x7.gif", a.palette(a.colorize(a.sized(a.font_digit(4), S57), cream, navy), 8))
    # GIF written by hand: first frames that do not cover the screen, local palettes
    idx6, pal6 = indexed(a, a.colorize(a.sized(a.font_digit(6), (20, 22)), (255, 255, 255), (0, 0, 0)), 8)
    pal6 = [(120, 120, 120)] + pal6  # index 0 (what Pillow paints where the frame is not) is gray
    write("6-P-partial-28x28.gif", encoders.gif(28, 28, [dict(indices=idx6 + 1, left=4, top=3)], pal6, background=1))
    idx7, pal7 = indexed(a, a.colorize(a.sized(a.hand_digit(7), (22, 24)), (255, 255, 255), (0, 0, 0)), 8)
    pal7 = [(0, 0, 0)] + pal7 + [(90, 90, 90)]  # transparent index: gray 90, background index 1
    t7 = len(pal7) - 1
    idx7 = np.where(idx7 == idx7[0, 0], t7, idx7 + 1)
    write("7-Ptrns-partial-28x28.gif", encoders.gif(28, 28, [dict(indices=idx7, left=3, top=2, transparency=t7)], pal7, background=1))
    idx8, pal8 = indexed(a, a.colorize(m[8], (255, 230, 200), (0, 40, 0)), 16)
    write("8-P-local-28x28.gif", encoders.gif(28, 28, [dict(indices=idx8, palette=pal8, transparency=int(idx8[0, 0]))],
                                              [(255, 0, 0), (0, 0, 255)]))
    idx9g, pal9g = indexed(a, a.colorize(m2729[9], cream, navy), 8)
    write("9-P-interlaced-27x29.gif", encoders.gif(27, 29, [dict(indices=idx9g, interlace=True)], pal9g))
    # PGM / PPM
    write("5-I16-28x28.pgm", encoders.pnm(np.asarray(m[5], np.uint16) * 2, "P5", 65535))  # Pillow: mode I
    save("x-L-1x1.pgm", Image.new("L", (1, 1), 180))
    write("6-L-maxval15-28x28.pgm", encoders.pnm(levels(m[6], 4), "P5", 15))
    write("7-L-maxval1000-28x28.pgm", encoders.pnm(np.asarray(m[7], np.uint16) * 1000 // 255, "P5", 1000))
    write("8-RGB16-28x28.ppm", encoders.pnm(with_low_bytes(a.colorize(m[8], cream, navy), 81), "P6", 65535))
    write("9-RGB-maxval100-27x29.ppm", encoders.pnm(np.asarray(a.colorize(m2729[9], cream, navy), np.uint16) * 100 // 255, "P6", 100))
    write("x-L-maxval10-11x3.pgm", encoders.pnm(np.tile(np.arange(11, dtype=np.uint16), (3, 1)), "P5", 10))  # ties
    write("x-L-comment-5x7.pgm", encoders.pnm(uniform_noise(S57, 1, 15), "P5", 255, comment="a comment in the header"))
    # TGA through Pillow
    save("9-L-rle-27x29.tga", m2729[9], compression="tga_rle")
    save("0-LA-28x28.tga", a.with_alpha(m[0], a.ramp(S28)))
    save("1-P-rle-28x28.tga", a.palette(a.colorize(a.sized(a.hand_digit(1), S28), (255, 255, 255), (0, 0, 80))), compression="tga_rle")
    save("2-RGBA-rle-28x28.tga", a.with_alpha(a.colorize(m[2], cream, navy), a.ramp(S28)), compression="tga_rle")
    save("3-RGB-27x29.tga", a.colorize(m2729[3], (255, 255, 0), (0, 0, 0)))
    save("x-RGB-1x1.tga", Image.new("RGB", (1, 1), (10, 250, 10)))
    # TGA written by hand
    rgb4t = np.asarray(a.colorize(m[4], (255, 255, 255), (0, 0, 120))).astype(np.uint16)
    write("4-RGB16-28x28.tga", encoders.tga(0x8000 | (rgb4t[..., 0] >> 3) << 10 | (rgb4t[..., 1] >> 3) << 5 | rgb4t[..., 2] >> 3, "RGB", 16))
    write("5-RGB-rtl-28x28.tga", encoders.tga(np.asarray(a.colorize(m[5], cream, navy)), "RGB", 24, right_to_left=True))
    buf = io.BytesIO()
    a.palette(a.colorize(m[6], (255, 255, 255), (0, 50, 50))).save(buf, "TGA", compression="tga_rle")
    rtl = bytearray(buf.getvalue())
    rtl[17] |= 0x10  # Pillow's RLE file, with the descriptor's right-to-left bit set
    write("x-P-rle-rtl-28x28.tga", bytes(rtl))  # a mirrored 6
    idx7t, pal7t = indexed(a, a.colorize(m[7], (255, 255, 255), (80, 0, 80)), 16)
    write("7-P-map16-28x28.tga", encoders.tga(idx7t, "P", 8, palette=pal7t, palette_depth=16))
    # JPEG through Pillow (libjpeg-turbo, as the library)
    save("1-RGB-444-28x28.jpg", a.colorize(m[1], cream, navy), quality=90, subsampling=0)
    save("2-RGB-422-100x100.jpg", a.colorize(m100[2], (255, 255, 255), (70, 0, 0)), quality=85, subsampling=1)
    save("3-RGB-420-27x29.jpg", a.colorize(m2729[3], (200, 255, 255), (0, 0, 0)), quality=90, subsampling=2)
    save("x-RGB-422-5x7.jpg", a.colorize(a.sized(a.font_digit(5), S57), cream, navy), quality=95, subsampling=1)
    save("x-RGB-420-5x7.jpg", Image.fromarray(uniform_noise(S57, 3, 16), "RGB"), quality=95, subsampling=2)
    save("5-RGB-progressive-100x100.jpg", a.colorize(m100[5], (255, 230, 255), (0, 30, 30)), quality=88, progressive=True)
    save("6-L-progressive-27x29.jpg", m2729[6], quality=92, progressive=True)
    save("7-CMYK-28x28.jpg", a.colorize(m[7], cream, navy).convert("CMYK"), quality=92)  # Adobe, inverted
    save("8-CMYK-progressive-100x100.jpg", a.colorize(m100[8], (255, 255, 255), (0, 0, 90)).convert("CMYK"), quality=85, progressive=True)
    save("x-RGB-1x1.jpg", Image.new("RGB", (1, 1), (200, 30, 90)), quality=90)
    save("x-RGB-noise-100x100.jpg", Image.fromarray(uniform_noise(S100, 3, 17), "RGB"), quality=75)
    save("9-RGB-420-640x480.jpg", a.colorize(a.sized(a.font_digit(9, "DejaVuSans.ttf"), (640, 480)), (255, 255, 255), (0, 0, 0)), quality=80)
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90 CW to display. Pillow does not apply it; neither does the library.
    save("0-RGB-exif6-100x100.jpg", a.colorize(m100[0], cream, navy), quality=90, exif=exif.tobytes())
    # JPEG written by libturbojpeg: YCCK, 4:4:0 and 4:1:1
    cmyk = 255 - np.asarray(a.colorize(m[2], cream, navy).convert("CMYK"))  # Adobe-style inverted ink
    write("2-CMYK-ycck-28x28.jpg", turbojpeg(cmyk, "CMYK", "444"))
    write("4-RGB-440-28x28.jpg", turbojpeg(np.asarray(a.colorize(m[4], cream, navy)), "RGB", "440"))
    # BMP layouts stb_image did not read (since the own decoder, bmp.cpp and bmp_rle.cpp, as Pillow reads them)
    idx3, pal3 = indexed(a, a.colorize(m[3], (255, 255, 255), (0, 0, 90)), 16)
    write("3-P-rle8-28x28.bmp", encoders.bmp(28, 28, 8, idx3, pal3, rle=True))
    write("3-P-rle4-28x28.bmp", encoders.bmp(28, 28, 4, idx3, pal3, rle=True))
    write("3-RGB-gap-28x28.bmp", encoders.bmp(28, 28, 24, np.asarray(a.colorize(m[3], (255, 255, 0), (0, 0, 0))), gap=4))
    write("3-RGB-os2-28x28.bmp", encoders.bmp(28, 28, 24, np.asarray(a.colorize(m[3], (0, 255, 255), (0, 0, 0))), header=64))
    write("1-RGB-411-27x29.jpg", turbojpeg(np.asarray(a.colorize(m2729[1], (255, 255, 255), (50, 0, 0))), "RGB", "411"))


def make_unsupported(a):
    """Files Pillow 9.4 opens but the library refuses (stb_image does not read them): see docs/preprocessing.md."""
    UNSUPPORTED.mkdir(parents=True, exist_ok=True)
    for old in UNSUPPORTED.iterdir():
        old.unlink()
    mask = a.sized(a.font_digit(3), (28, 28))
    bits = levels(mask, 1)
    idx, pal = indexed(a, a.colorize(mask, (255, 255, 255), (0, 0, 90)), 16)
    files = {
        "3-L-plain-28x28.pgm": encoders.pnm(np.asarray(mask), "P2", 255),
        "3-RGB-plain-28x28.ppm": encoders.pnm(np.asarray(a.colorize(mask, (255, 255, 255), (0, 0, 90))), "P3", 255),
        "3-1bit-plain-28x28.pbm": encoders.pnm(1 - bits, "P1"),
        "3-1bit-28x28.pbm": encoders.pnm(1 - bits, "P4"),
        # the first frame reaches past the 24x24 screen: Pillow enlarges the image to 28x28
        "3-P-overscreen-24x24.gif": encoders.gif(24, 24, [dict(indices=idx)], pal),
        "3-1bit-28x28.tga": encoders.tga(bits, "L", 1),
    }
    for name, data in files.items():
        (UNSUPPORTED / name).write_bytes(data)
