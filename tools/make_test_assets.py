#!/usr/bin/python3
"""Writes DigitInfer's test and example assets, deterministically (fixed seeds, no network).

    /usr/bin/python3 tools/make_test_assets.py

  tests/data/images/   digits (also noise, gradients) in every format x mode the library reads, some
                       written by hand (tools/format_corpus.py, tools/encoders.py); named
                       <intended digit>-<mode>[-<variant>]-<w>x<h>.<ext>, "x" when no digit is meant
  tests/data/unsupported/, bad/  what Pillow reads but the library refuses; broken files and models
  examples/images/     digit-7.png (251x248 RGBA, hand-drawn 7) and digit-2.png (28x28 L)
  tests/data/models/   variants of the default model and a tiny 32x32-input model. Their TorchScript
                       debug records hold this file's path and line numbers: keep make_bad() and below in place.
Needs models/convnet.state_dict.pth (tools/train.py). Glyphs use Debian's fonts-dejavu-core; another
FreeType or font version may change pixels: the outputs are committed, golden.json made from them.
"""
import io
import json
import os
import struct
import sys
import zipfile
import zlib
from pathlib import Path

import numpy as np
import torch
from torch import nn
import torch.nn.functional as F
from PIL import Image, ImageDraw, ImageFont

sys.path.insert(0, str(Path(__file__).resolve().parent))
from convnet import ConvNet  # noqa: E402
from export_model import DEFAULT_METADATA, METADATA_FILE  # noqa: E402
import reference  # noqa: E402
import format_corpus  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
IMAGES = ROOT / "tests/data/images"
EXAMPLES = ROOT / "examples/images"
BAD = ROOT / "tests/data/bad"
MODELS = ROOT / "tests/data/models"
FONTS = Path("/usr/share/fonts/truetype/dejavu")
SCALE = 8  # digits are drawn on a (28*SCALE)^2 canvas, then resized down


# ---------------------------------------------------------------- drawing digits

def _center_on_canvas(glyph, angle):
    """MNIST layout: rotate, fit in a 20x20 box (aspect kept), centre of mass at the middle of 28x28."""
    glyph = glyph.rotate(angle, resample=Image.BICUBIC)
    glyph = glyph.crop(glyph.getbbox())
    box = 20 * SCALE
    k = box / max(glyph.size)
    glyph = glyph.resize((max(1, round(glyph.width * k)), max(1, round(glyph.height * k))), Image.LANCZOS)
    a = np.asarray(glyph, dtype=np.float64)
    ys, xs = np.indices(a.shape)
    cy, cx = (ys * a).sum() / a.sum(), (xs * a).sum() / a.sum()
    canvas = Image.new("L", (28 * SCALE, 28 * SCALE), 0)
    canvas.paste(glyph, (round(14 * SCALE - cx), round(14 * SCALE - cy)))
    return canvas


def font_digit(digit, font="DejaVuSans-Bold.ttf", angle=0.0):
    """A typeset digit, white on black, MNIST layout, on the big canvas."""
    img = Image.new("L", (400, 400), 0)
    ImageDraw.Draw(img).text((200, 200), str(digit), fill=255, anchor="mm",
                             font=ImageFont.truetype(str(FONTS / font), 240))
    return _center_on_canvas(img, angle)


STROKES = {  # hand-drawn-looking paths, unit square, y down
    1: [[(0.47, 0.18), (0.56, 0.10), (0.55, 0.50), (0.54, 0.90)]],
    2: [[(0.22, 0.30), (0.30, 0.17), (0.47, 0.10), (0.64, 0.14), (0.73, 0.27), (0.69, 0.43),
         (0.53, 0.61), (0.36, 0.76), (0.22, 0.89), (0.45, 0.87), (0.80, 0.88)]],
    7: [[(0.20, 0.16), (0.50, 0.14), (0.80, 0.12), (0.70, 0.34), (0.58, 0.56), (0.49, 0.76), (0.44, 0.90)],
        [(0.40, 0.50), (0.76, 0.49)]],
}


def hand_digit(digit, width=0.11, angle=0.0):
    """A digit drawn with round-capped strokes (width relative to the unit square), MNIST layout."""
    n = 400
    img = Image.new("L", (n, n), 0)
    d = ImageDraw.Draw(img)
    w = round(width * n)
    for path in STROKES[digit]:
        pts = [(x * n, y * n) for x, y in path]
        d.line(pts, fill=255, width=w, joint="curve")
        for x, y in (pts[0], pts[-1]):
            d.ellipse((x - w / 2, y - w / 2, x + w / 2, y + w / 2), fill=255)
    return _center_on_canvas(img, angle)


def sized(canvas, size):
    """The big canvas resized (stretched if non-square) to the final (w, h)."""
    return canvas.resize(size, Image.LANCZOS)


def noisy(img, seed, sigma=18.0):
    rng = np.random.default_rng(seed)
    a = np.asarray(img, dtype=np.float64)
    a = a + rng.normal(0, sigma, a.shape)
    return Image.fromarray(np.clip(np.rint(a), 0, 255).astype(np.uint8), img.mode)


def colorize(mask, fg, bg):
    return Image.composite(Image.new("RGB", mask.size, fg), Image.new("RGB", mask.size, bg), mask)


def ramp(size, lo=40, hi=255):
    """An alpha channel growing left to right."""
    row = np.linspace(lo, hi, size[0]).round().astype(np.uint8)
    return Image.fromarray(np.tile(row, (size[1], 1)), "L")


def with_alpha(img, alpha):
    out = img.convert("RGBA" if img.mode == "RGB" else "LA")
    out.putalpha(alpha)
    return out


def palette(rgb, colors=16):
    return rgb.quantize(colors=colors, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)


def bilevel(mask):
    return mask.point(lambda v: 255 if v >= 128 else 0).convert("1", dither=Image.Dither.NONE)


def make_images():
    IMAGES.mkdir(parents=True, exist_ok=True)
    for old in IMAGES.iterdir():
        old.unlink()

    def save(name, img, **kw):
        img.save(IMAGES / name, **kw)

    S28, S100, S2729, S251 = (28, 28), (100, 100), (27, 29), (251, 248)
    d = {k: font_digit(k) for k in range(10)}
    # PNG, every mode
    save("0-L-28x28.png", sized(d[0], S28))
    save("1-L-rot-28x28.png", sized(hand_digit(1, angle=-12), S28))
    save("2-L-noise-28x28.png", noisy(sized(font_digit(2, "DejaVuSerif-Bold.ttf", 7), S28), seed=2))
    save("3-LA-28x28.png", with_alpha(sized(d[3], S28), ramp(S28)))
    save("4-RGB-rot-100x100.png", colorize(sized(font_digit(4, angle=8), S100), (255, 230, 60), (10, 20, 70)))
    save("5-RGBA-251x248.png", with_alpha(colorize(sized(d[5], S251), (230, 240, 255), (0, 0, 0)), ramp(S251)))
    save("6-RGBA-alpha0-28x28.png", with_alpha(colorize(sized(d[6], S28), (255, 255, 255), (0, 0, 0)), Image.new("L", S28, 0)))
    save("7-P-28x28.png", palette(colorize(sized(hand_digit(7), S28), (120, 255, 160), (30, 0, 20))))
    save("8-P4bit-100x100.png", palette(colorize(sized(d[8], S100), (250, 200, 200), (0, 0, 40))), bits=4)
    p9 = palette(colorize(sized(font_digit(9, "DejaVuSerif.ttf"), S2729), (255, 255, 255), (0, 0, 0)))
    save("9-Ptrns-27x29.png", p9, transparency=p9.getpixel((0, 0)))
    save("0-1bit-28x28.png", bilevel(sized(font_digit(0, "DejaVuSans.ttf"), S28)))
    save("1-RGB-640x480.png", colorize(sized(font_digit(1, "DejaVuSansMono-Bold.ttf"), (640, 480)), (255, 255, 240), (5, 5, 5)))
    save("2-RGB-300x60.png", colorize(sized(hand_digit(2), (300, 60)), (200, 255, 255), (0, 10, 0)))
    gray16 = np.asarray(sized(font_digit(3, "DejaVuSans.ttf"), S28), dtype=np.uint16) * 257
    save("3-I16-28x28.png", Image.fromarray(gray16, "I;16"))  # 16-bit gray; Pillow clamps I -> L at 255
    save("x-L-dark3-100x100.png", Image.eval(sized(d[3], S100), lambda v: 255 - v))  # dark 3 on light
    black_stroke = Image.merge("RGBA", [Image.new("L", S100, 0)] * 3 + [sized(d[4], S100)])
    save("x-RGBA-blackstroke-100x100.png", black_stroke)  # ink only in alpha: gray is all black
    save("x-L-1x1.png", Image.new("L", (1, 1), 200))
    save("x-RGB-5x7.png", colorize(sized(d[5], (5, 7)), (255, 200, 255), (0, 0, 0)))
    # BMP
    save("4-L-27x29.bmp", sized(d[4], S2729))
    save("5-1bit-28x28.bmp", bilevel(sized(d[5], S28)))
    save("6-RGB-100x100.bmp", noisy(colorize(sized(d[6], S100), (255, 255, 255), (20, 20, 20)), seed=6))
    save("7-RGBA-bgrx-28x28.bmp", with_alpha(colorize(sized(d[7], S28), (255, 255, 255), (0, 0, 0)), ramp(S28)))
    save("8-P-28x28.bmp", palette(colorize(sized(font_digit(8, "DejaVuSerif-Bold.ttf"), S28), (255, 160, 0), (0, 0, 0))))
    # GIF
    save("9-P-100x100.gif", palette(colorize(sized(d[9], S100), (200, 200, 255), (0, 0, 0)), 32))
    g0 = palette(colorize(sized(d[0], S28), (255, 255, 255), (0, 0, 0)))
    save("0-Ptrns-28x28.gif", g0, transparency=g0.getpixel((0, 0)))  # transparent index is black
    g1 = palette(colorize(sized(hand_digit(7, 0.09), S28), (255, 255, 255), (60, 60, 60)))
    save("7-Ptrns-gray-28x28.gif", g1, transparency=g1.getpixel((0, 0)))  # transparent index is gray 60
    save("2-Pgray-28x28.gif", sized(hand_digit(2), S28))
    # PGM / PPM (binary P5 / P6)
    save("3-L-28x28.pgm", sized(d[3], S28))
    save("4-RGB-27x29.ppm", colorize(sized(font_digit(4, "DejaVuSans.ttf"), S2729), (255, 255, 0), (0, 0, 60)))
    # TGA: bottom-up (Pillow's default) and top-down, raw and RLE
    save("5-L-28x28.tga", sized(font_digit(5, "DejaVuSans.ttf"), S28))
    save("6-RGB-rle-100x100.tga", colorize(sized(font_digit(6, angle=-6), S100), (255, 255, 255), (40, 0, 0)), compression="tga_rle")
    save("7-RGBA-topdown-28x28.tga", with_alpha(colorize(sized(hand_digit(7), S28), (255, 255, 255), (0, 0, 0)), ramp(S28)), orientation=1)
    save("8-P-28x28.tga", palette(colorize(sized(d[8], S28), (255, 255, 255), (0, 0, 0))))
    # JPEG, baseline
    save("9-L-28x28.jpg", sized(d[9], S28), quality=92)
    save("0-RGB-100x100.jpg", colorize(sized(font_digit(0, "DejaVuSerif.ttf"), S100), (255, 240, 200), (0, 0, 30)), quality=90)
    format_corpus.make(sys.modules[__name__], save)  # the other formats and modes; unsupported/


def make_examples():
    EXAMPLES.mkdir(parents=True, exist_ok=True)
    seven = sized(hand_digit(7), (251, 248)).convert("RGB").convert("RGBA")  # opaque
    seven.save(EXAMPLES / "digit-7.png")
    sized(hand_digit(2), (28, 28)).save(EXAMPLES / "digit-2.png")
    model, meta = reference.load_model(ROOT / "models/convnet.traced.pt")
    for name, want in (("digit-7.png", 7), ("digit-2.png", 2)):
        with Image.open(EXAMPLES / name) as img:
            got = reference.predict(model, meta, img)["digit"]
        if got != want:
            raise SystemExit(f"examples/images/{name}: the default model says {got}, not {want}")


# ---------------------------------------------------------------- bad files

def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def make_bad():
    BAD.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(1234)
    buf = io.BytesIO()
    sized(font_digit(3), (100, 100)).save(buf, "PNG")
    png = buf.getvalue()
    buf = io.BytesIO()
    colorize(sized(font_digit(3), (100, 100)), (255, 255, 255), (0, 0, 0)).save(buf, "JPEG", quality=90)
    jpeg = buf.getvalue()
    ihdr_28 = png_chunk(b"IHDR", struct.pack(">IIBBBBB", 28, 28, 8, 0, 0, 0, 0))
    files = {
        "empty.png": b"",
        "truncated.png": png[:len(png) // 2],
        "truncated.jpg": jpeg[:len(jpeg) // 2],
        "corrupt.png": PNG_SIGNATURE + ihdr_28 + rng.bytes(300),
        "not-an-image.txt": b"This is a text file, not an image.\n",
        # IHDR says 100000x100000 8-bit gray (CRC valid); one tiny IDAT; a decoder must refuse before allocating.
        "huge-dims.png": PNG_SIGNATURE
        + png_chunk(b"IHDR", struct.pack(">IIBBBBB", 100000, 100000, 8, 0, 0, 0, 0))
        + png_chunk(b"IDAT", zlib.compress(bytes(100001)))
        + png_chunk(b"IEND", b""),
        # BITMAPINFOHEADER claims width 0, height 28, 24 bpp, followed by a little pixel data.
        "zero-width.bmp": b"BM" + struct.pack("<IHHI", 14 + 40 + 96, 0, 0, 54)
        + struct.pack("<IiiHHIIiiII", 40, 0, 28, 1, 24, 0, 96, 2835, 2835, 0, 0) + bytes(96),
        "random.bin": rng.bytes(4096),
        "garbage.pt": rng.bytes(4096),
    }
    for name, data in files.items():
        (BAD / name).write_bytes(data)
    with zipfile.ZipFile(BAD / "not-torchscript.pt", "w") as z:
        z.writestr(zipfile.ZipInfo("archive/readme.txt", (1980, 1, 1, 0, 0, 0)),
                   "A zip archive, but not a TorchScript module.\n")
    make_bad_models()


class WrongOutput(nn.Module):
    """[N,1,28,28] -> [N,10,2]."""
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(784, 20)

    def forward(self, x):
        return F.log_softmax(self.fc(torch.flatten(x, 1)), dim=1).reshape(-1, 10, 2)


class FlatOutput(nn.Module):
    """[N,1,28,28] -> [N]."""
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(784, 1)

    def forward(self, x):
        return self.fc(torch.flatten(x, 1))[:, 0]


class ThreeChannel(nn.Module):
    """Accepts only [N,3,28,28]."""
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, 2)
        self.fc = nn.Linear(4 * 13 * 13, 10)

    def forward(self, x):
        return F.log_softmax(self.fc(torch.flatten(F.relu(self.conv(x)), 1)), dim=1)


def make_bad_models():
    torch.manual_seed(7)
    save_model(WrongOutput(), BAD / "wrong-output.pt", trace=(1, 1, 28, 28))
    save_model(FlatOutput(), BAD / "wrong-output-flat.pt", trace=(1, 1, 28, 28))
    save_model(ThreeChannel(), BAD / "wrong-input.pt", trace=(1, 3, 28, 28))


# ---------------------------------------------------------------- model variants

class ConvNetLogits(ConvNet):
    """The reference ConvNet without its final log_softmax: returns raw fc2 logits."""
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu(self.conv1(x))
        x = F.relu(self.conv2(x))
        x = F.max_pool2d(x, 2)
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        return self.fc2(x)


class Tiny32(nn.Module):
    """A small [N,1,32,32] -> [N,10] log-probabilities model (random weights)."""
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3, 2)
        self.fc = nn.Linear(4 * 15 * 15, 10)

    def forward(self, x):
        return F.log_softmax(self.fc(torch.flatten(F.relu(self.conv(x)), 1)), dim=1)


def save_model(model, path, trace=None, meta=None):
    """Saves model as TorchScript: traced with an all-ones input of shape `trace`, else scripted."""
    model = model.eval()
    ts = torch.jit.trace(model, torch.ones(*trace)) if trace else torch.jit.script(model)
    extra = {METADATA_FILE: json.dumps(meta, indent=2, sort_keys=True)} if meta else {}
    torch.jit.save(ts, str(path), _extra_files=extra)


def metadata(**changes):
    meta = json.loads(json.dumps(DEFAULT_METADATA))
    meta.update(changes)
    return meta


def make_models():
    MODELS.mkdir(parents=True, exist_ok=True)
    state = torch.load(ROOT / "models/convnet.state_dict.pth")
    convnet, logits = ConvNet(), ConvNetLogits()
    convnet.load_state_dict(state)
    logits.load_state_dict(state)
    shape = (1, 1, 28, 28)
    save_model(logits, MODELS / "convnet-logits.scripted.pt")
    save_model(logits, MODELS / "convnet-logits-declared.traced.pt", shape, metadata(output="logits"))
    save_model(convnet, MODELS / "convnet-mnist-norm.traced.pt", shape, metadata(mean=[0.1307], std=[0.3081]))
    save_model(convnet, MODELS / "convnet-nometa.traced.pt", shape)
    torch.manual_seed(32)
    save_model(Tiny32(), MODELS / "tiny-32x32.traced.pt", (1, 1, 32, 32),
               metadata(name="tiny-32x32", input={"channels": 1, "height": 32, "width": 32}))


def main():
    if os.environ.get("PYTHONHASHSEED") != "0":
        # torch.jit.script writes module constants in set order, which follows string hashing.
        os.execve(sys.executable, [sys.executable] + sys.argv, {**os.environ, "PYTHONHASHSEED": "0"})
    torch.set_num_threads(1)
    make_images()
    make_examples()
    make_bad()
    make_models()
    for d in (IMAGES, format_corpus.UNSUPPORTED, EXAMPLES, BAD, MODELS):
        files = sorted(d.iterdir())
        print(f"{d.relative_to(ROOT)}: {len(files)} files, {sum(f.stat().st_size for f in files)} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
