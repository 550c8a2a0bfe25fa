// BMP, decoded as Pillow 9.4 decodes it (BmpImagePlugin._bitmap, its raw
// decoder and unpackers), straight to 8-bit gray as convert("L") gives it:
// - headers of 12 (OS/2 1.x: 16-bit sizes, 3-byte palette entries), 40, 64,
//   108 and 124 bytes; the planes, data size and resolution fields are read
//   by no one; the image is top-down only when the height's high byte is
//   0xFF (its height then 2^32 - the field), whatever else the field says;
// - the colours used field, 0 meaning 2^bits, is the palette's size; the
//   palette is read right after the headers (not before the pixel offset);
//   a pixel offset right after the headers means after the palette (4 bytes
//   an entry, even for OS/2), and an offset of 0 where the reading stopped;
// - a palette of black and white (2 colours) is mode "1" and a gray ramp is
//   "L", and then the pixels are unpacked at 1 and 8 bits, whatever the
//   file's bit depth (its rows keep their stride): a wider unpacker than the
//   stride is Pillow's "codec configuration error";
// - RLE8 and RLE4 (bmp_rle.cpp) for "P" and "L" images only;
// - the data running out before the last row is "image file is truncated".
#include "image/bmp.hpp"

#include <algorithm>
#include <string>
#include <vector>

#include "common/failure.hpp"
#include "image/formats.hpp"
#include "image/grayscale.hpp"

namespace digitinfer::core {

void bmp_failure(const std::string &what) { fail(DI_ERR_DECODE, "cannot decode BMP: " + what); }

namespace {

constexpr std::size_t kMaxPaletteColors = 65536;  // Pillow: "Unsupported BMP Palette size" past it

// BI_BITFIELDS: Pillow's SUPPORTED masks and the rawmode (MASK_MODES) each reads as.
void read_bitfields(BmpLayout &l, uint32_t r, uint32_t g, uint32_t b, uint32_t a) {
    const auto is = [&](uint32_t rr, uint32_t gg, uint32_t bb) { return r == rr && g == gg && b == bb; };
    const auto bytes = [&](int red, int green, int blue) { l.red = red, l.green = green, l.blue = blue; };
    if (l.file_bits == 32 && is(0xFF0000, 0xFF00, 0xFF) && (a == 0 || a == 0xFF000000)) bytes(2, 1, 0);  // BGRX, BGRA
    else if (l.file_bits == 32 && is(0xFF000000, 0xFF0000, 0xFF00) && (a == 0 || a == 0xFF)) bytes(3, 2, 1);  // XBGR, ABGR
    else if (l.file_bits == 32 && is(0xFF, 0xFF00, 0xFF0000) && a == 0xFF000000) bytes(0, 1, 2);  // RGBA
    else if (l.file_bits == 32 && !r && !g && !b && !a) bytes(2, 1, 0);  // BGRA
    else if (l.file_bits == 24 && is(0xFF0000, 0xFF00, 0xFF)) bytes(2, 1, 0);  // BGR
    else if (l.file_bits == 16 && is(0xF800, 0x7E0, 0x1F)) l.green_bits = 6;  // BGR;16
    else if (!(l.file_bits == 16 && is(0x7C00, 0x3E0, 0x1F))) bmp_failure("unsupported BMP bitfields layout");
}

// The palette after the headers at `pos`: mode "1", "L" or "P" and each sample's gray value.
// Returns where Pillow's reading stopped (its fp.tell()).
std::size_t read_palette(BmpLayout &l, const uint8_t *d, std::size_t size, std::size_t pos, std::size_t colors,
                         std::size_t padding) {
    if (colors == 0 || colors > kMaxPaletteColors)
        bmp_failure("unsupported BMP palette size (" + std::to_string(colors) + ")");
    const std::size_t stored = std::min(padding * colors, size - pos);  // a short read, not an error
    const uint8_t *p = d + pos;
    bool grayscale = true;  // every entry (val, val, val): 0 and 255 for 2 colours, else its index (mod 256)
    for (std::size_t i = 0; i < colors && grayscale; ++i) {
        const uint8_t val = colors == 2 ? uint8_t(i * 255) : uint8_t(i);
        grayscale = i * padding + 3 <= stored && p[i * padding] == val && p[i * padding + 1] == val &&
                    p[i * padding + 2] == val;
    }
    for (std::size_t i = 0; i < 256; ++i) l.gray[i] = uint8_t(i);  // "L"; Pillow's ramp past a palette
    if (grayscale && colors == 2) {
        l.mode = '1';
        l.pixel_bits = 1;
        l.gray[1] = 255;
    } else if (grayscale) {
        l.mode = 'L';
        l.pixel_bits = 8;
    } else {
        l.mode = 'P';
        l.pixel_bits = l.file_bits;
        const std::size_t entries = stored / padding;  // putpalette: whole entries only
        if (entries > 256) bmp_failure("invalid palette size (" + std::to_string(entries) + " colours)");
        Image rgb{int(entries), 1, 3, std::vector<uint8_t>(3 * entries)};
        for (std::size_t i = 0; i < entries; ++i)  // BGRX or BGR
            for (std::size_t c = 0; c < 3; ++c) rgb.pixels[3 * i + c] = p[i * padding + 2 - c];
        const GrayImage gray = to_grayscale(std::move(rgb));
        std::copy(gray.pixels.begin(), gray.pixels.end(), l.gray.begin());
    }
    return pos + stored;
}

// BmpImageFile._open and _bitmap, in their order, and Image.open's size check (here before anything
// is allocated: Pillow's own cap is the default max_pixels).
BmpLayout read_layout(const uint8_t *d, std::size_t size, std::size_t max_pixels) {
    if (size < 18) bmp_failure("file truncated in its header");
    std::size_t offset = le32(d + 10);
    const std::size_t header = le32(d + 14);
    if (header != 12 && header != 40 && header != 64 && header != 108 && header != 124)
        bmp_failure("unsupported BMP header type (" + std::to_string(header) + ")");
    if (size < 14 + header) bmp_failure("file truncated in its header");
    BmpLayout l;
    std::size_t pos = 14 + header, colors = 0, padding = 4, compression = 0;
    if (header == 12) {
        l.width = le16(d + 18);
        l.height = le16(d + 20);
        l.file_bits = le16(d + 24);
        padding = 3;
    } else {
        l.top_down = d[25] == 0xFF;
        l.width = le32(d + 18);
        l.height = l.top_down ? (uint64_t(1) << 32) - le32(d + 22) : le32(d + 22);
        l.file_bits = le16(d + 28);
        compression = le32(d + 30);
        colors = le32(d + 46);
        if (compression == 3) {
            if (header == 40) {  // the masks follow the header, and are read from the file
                if (size < pos + 12) bmp_failure("file truncated in its bitfield masks");
                pos += 12;
            }
            read_bitfields(l, le32(d + 54), le32(d + 58), le32(d + 62), header == 40 ? 0 : le32(d + 66));
        }
    }
    if (l.file_bits <= 8) {
        if (colors == 0) colors = std::size_t(1) << l.file_bits;
        if (offset == 14 + header) offset += 4 * colors;
    }
    if (l.file_bits != 1 && l.file_bits != 4 && l.file_bits != 8 && l.file_bits != 16 && l.file_bits != 24 &&
        l.file_bits != 32)
        bmp_failure("unsupported BMP pixel depth (" + std::to_string(l.file_bits) + ")");
    if (compression == 1 || compression == 2) l.rle = compression == 1 ? 8 : 4;
    else if (compression > 3) bmp_failure("unsupported BMP compression (" + std::to_string(compression) + ")");
    if (l.width == 0 || l.height == 0 || l.width > max_pixels / l.height)
        bmp_failure("dimensions " + std::to_string(l.width) + "x" + std::to_string(l.height) +
                    " are out of range (limit " + std::to_string(max_pixels) + " pixels)");
    if (l.file_bits <= 8) {
        pos = read_palette(l, d, size, pos, colors, padding);
    } else {
        l.mode = 'R';
        l.pixel_bits = l.file_bits;
    }
    l.offset = offset ? offset : pos;
    return l;
}

[[noreturn]] void truncated() { bmp_failure("file truncated (image data missing)"); }

// One row of the raw decoder: the unpacker's samples -> gray. `rgb` is scratch for 3 a pixel.
void gray_row_of(const BmpLayout &l, const uint8_t *in, uint8_t *out, std::vector<uint8_t> &rgb) {
    const std::size_t w = l.width;
    if (l.pixel_bits <= 8) {  // "1", "P;1", "P;4", "L", "P": samples from the high bits of each byte
        const std::size_t per_byte = 8 / l.pixel_bits, mask = (1u << l.pixel_bits) - 1;
        for (std::size_t x = 0; x < w; ++x) {
            const std::size_t shift = 8 - l.pixel_bits * (x % per_byte + 1);
            out[x] = l.gray[(in[x / per_byte] >> shift) & mask];
        }
        return;
    }
    for (std::size_t x = 0; x < w; ++x) {
        uint8_t *px = &rgb[3 * x];
        if (l.pixel_bits == 16) {  // BGR;15 and BGR;16: v * 255 / 31 (or 63), not bit replication
            const unsigned v = le16(in + 2 * x), g = unsigned(l.green_bits), gmax = (1u << g) - 1;
            px[0] = uint8_t(((v >> (5 + g)) & 31) * 255 / 31);
            px[1] = uint8_t(((v >> 5) & gmax) * 255 / gmax);
            px[2] = uint8_t((v & 31) * 255 / 31);
        } else {  // BGR, BGRX, XBGR, ABGR, RGBA, BGRA: alpha is not used by convert("L")
            const uint8_t *s = in + x * (l.pixel_bits / 8);
            px[0] = s[l.red];
            px[1] = s[l.green];
            px[2] = s[l.blue];
        }
    }
    gray_row(rgb.data(), w, 3, out);
}

// Pillow's raw decoder: rows of `stride` bytes (padded to 4) from the offset, the last one without
// its padding, bottom row first unless top-down.
void decode_raw(const uint8_t *d, std::size_t size, const BmpLayout &l, GrayImage &img) {
    const std::size_t w = l.width, h = l.height;
    const std::size_t stride = ((w * l.file_bits + 31) >> 3) & ~std::size_t(3);
    const std::size_t row_bytes = (w * l.pixel_bits + 7) / 8;
    if (l.offset >= size) truncated();
    if (stride < row_bytes) bmp_failure("codec configuration error (a row of mode " + std::string(1, l.mode) +
                                        " is longer than the file's rows)");
    const std::size_t avail = size - l.offset;
    if (avail < row_bytes || (avail - row_bytes) / stride < h - 1) truncated();
    std::vector<uint8_t> rgb(l.pixel_bits > 8 ? 3 * w : 0);
    for (std::size_t y = 0; y < h; ++y) {
        uint8_t *out = &img.pixels[(l.top_down ? y : h - 1 - y) * w];
        gray_row_of(l, d + l.offset + y * stride, out, rgb);
    }
}

}  // namespace

bool looks_like_bmp(const uint8_t *data, std::size_t size) { return size >= 2 && data[0] == 'B' && data[1] == 'M'; }

GrayImage decode_bmp(const uint8_t *data, std::size_t size, std::size_t max_pixels) {
    const BmpLayout l = read_layout(data, size, max_pixels);
    GrayImage img{int(l.width), int(l.height), {}};
    if (l.rle) {
        // Pillow's set_as_raw reads the codes' bytes as "L" or "P"; no unpacker from them to "1" or RGB.
        if (l.mode != 'L' && l.mode != 'P') bmp_failure("RLE compression of a mode " + std::string(1, l.mode) + " image");
        decode_bmp_rle(data, size, l, img);
        return img;
    }
    img.pixels.resize(l.width * l.height);
    decode_raw(data, size, l, img);
    return img;
}

}  // namespace digitinfer::core
