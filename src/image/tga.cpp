// TGA, decoded as Pillow 9.4 decodes it (TgaImagePlugin, libImaging's raw
// and TgaRleDecode.c decoders), including its decisions:
// - the colour map is read only at 16, 24 or 32 bits an entry (2, 3, 4 bytes);
//   at any other depth it is not skipped, and the pixels start right after
//   the image ID; the palette is zeros for the indices below its first entry,
//   Pillow's gray ramp past its end, and more than 256 entries are refused;
// - RLE packets: a run may not cross the end of a row (Pillow: "buffer
//   overrun"), a literal may; every packet must be there whole, and the image
//   ends at its last row (what follows, such as the footer, is not read);
// - the data running out before the last row is "image file is truncated".
#include <algorithm>
#include <array>
#include <cstring>
#include <string>

#include "common/failure.hpp"
#include "image/formats.hpp"

namespace digitinfer::core {
namespace {

[[noreturn]] void tga_failure(const std::string &what) { fail(DI_ERR_DECODE, "cannot decode TGA: " + what); }

// Pillow's BGR;15 / BGR;5 unpacker: 5-bit channels, blue in the low bits, scaled by 255 / 31.
void unpack_bgr15(const uint8_t *in, uint8_t *rgb) {
    const unsigned v = unsigned(in[0]) | unsigned(in[1]) << 8;
    rgb[0] = uint8_t(((v >> 10) & 31) * 255 / 31);
    rgb[1] = uint8_t(((v >> 5) & 31) * 255 / 31);
    rgb[2] = uint8_t((v & 31) * 255 / 31);
}

struct Layout {
    int channels = 0;           // of the Image: 1 L, 2 LA, 3 RGB (and P, through the palette), 4 RGBA
    std::size_t bytes = 0;      // per pixel in the file
    bool palette = false;       // P: one index a pixel
    std::array<uint8_t, 3 * 256> colors{};  // P's palette as RGB
};

// TgaImageFile._open's checks and MODES: what the file holds, or a refusal.
Layout read_layout(const uint8_t *d, std::size_t size, std::size_t &pos) {
    const int map_type = d[1], type = d[2], depth = d[16];
    if (map_type > 1 || le16(d + 12) == 0 || le16(d + 14) == 0 ||
        (depth != 1 && depth != 8 && depth != 16 && depth != 24 && depth != 32))
        // TGA has no signature, so it is what decode_image tries last: bytes failing even its
        // header checks are of no format we read (Pillow: "cannot identify image file").
        fail(DI_ERR_DECODE, "cannot decode image: unknown format (not PNG, JPEG, GIF, BMP, PNM or TGA)");
    if (type != 1 && type != 2 && type != 3 && type != 9 && type != 10 && type != 11) tga_failure("unknown TGA mode");
    Layout l;
    const int kind = type & 7;
    if (kind == 3 && depth == 8) l.channels = 1;
    else if (kind == 3 && depth == 16) l.channels = 2;
    else if (kind == 2 && (depth == 16 || depth == 24)) l.channels = 3;
    else if (kind == 2 && depth == 32) l.channels = 4;
    else if (kind == 1 && depth == 8) l.channels = 3, l.palette = true;
    else tga_failure(depth == 1 ? "1-bit images are not supported" : "cannot load this image (no decoder for it)");
    l.bytes = std::size_t(depth) / 8;
    pos = std::min(size, 18 + std::size_t(d[0]));  // and the image ID
    for (std::size_t i = 0; i < 256; ++i) std::memset(&l.colors[3 * i], int(i), 3);  // Pillow's default palette
    const std::size_t map_depth = d[7], entry_bytes = map_depth / 8;
    if (map_type != 1 || (map_depth != 16 && map_depth != 24 && map_depth != 32)) return l;
    if (!l.palette) tga_failure("a colour map on an image that is not colour-mapped");
    if (map_depth == 32) tga_failure("32-bit colour maps are not supported");
    const std::size_t first = le16(d + 3), stored = std::min(size - pos, entry_bytes * le16(d + 5));
    if (first + stored / entry_bytes > 256) tga_failure("invalid palette size");
    std::fill(l.colors.begin(), l.colors.begin() + 3 * std::min<std::size_t>(first, 256), uint8_t(0));
    for (std::size_t i = 0; i < stored / entry_bytes; ++i) {
        const uint8_t *e = d + pos + entry_bytes * i;
        uint8_t *rgb = &l.colors[3 * (first + i)];
        if (entry_bytes == 2) {
            unpack_bgr15(e, rgb);
        } else {
            rgb[0] = e[2];
            rgb[1] = e[1];
            rgb[2] = e[0];
        }
    }
    pos += stored;
    return l;
}

// One row of file pixels -> Image samples.
void unpack_row(const Layout &l, const uint8_t *in, std::size_t width, uint8_t *out) {
    for (std::size_t x = 0; x < width; ++x, in += l.bytes) {
        uint8_t *px = out + x * std::size_t(l.channels);
        if (l.palette) {
            std::memcpy(px, &l.colors[3 * std::size_t(in[0])], 3);
        } else if (l.channels <= 2) {
            std::memcpy(px, in, l.bytes);  // L, LA
        } else if (l.bytes == 2) {
            unpack_bgr15(in, px);
        } else {
            px[0] = in[2];
            px[1] = in[1];
            px[2] = in[0];
            if (l.channels == 4) px[3] = in[3];
        }
    }
}

[[noreturn]] void truncated() { tga_failure("file truncated (image data missing)"); }

// TgaRleDecode.c: the packets, expanded into `rows` (width * height pixels of `bytes`).
void expand_rle(const uint8_t *d, std::size_t size, std::size_t pos, std::size_t row_bytes, std::size_t height,
                std::size_t bytes, std::vector<uint8_t> &rows) {
    std::size_t x = 0, y = 0;  // in bytes within the row, and rows done
    while (y < height) {
        if (pos >= size) truncated();
        const uint8_t head = d[pos];
        const std::size_t n = bytes * (std::size_t(head & 0x7F) + 1);
        if (head & 0x80) {  // a run: one pixel, repeated
            if (size - pos < 1 + bytes) truncated();
            if (x + n > row_bytes) tga_failure("buffer overrun (a run crosses the end of a row)");
            for (std::size_t i = 0; i < n; i += bytes) std::memcpy(&rows[y * row_bytes + x + i], d + pos + 1, bytes);
            pos += 1 + bytes;
            x += n;
        } else {  // a literal: may go on into the next rows
            if (size - pos < 1 + n) truncated();
            const uint8_t *src = d + pos + 1;
            pos += 1 + n;
            for (std::size_t left = n; left > 0 && y < height;) {
                const std::size_t k = std::min(left, row_bytes - x);
                std::memcpy(&rows[y * row_bytes + x], src, k);
                src += k;
                left -= k;
                x += k;
                if (x == row_bytes) x = 0, ++y;
            }
            continue;
        }
        if (x == row_bytes) x = 0, ++y;
    }
}

}  // namespace

Image decode_tga(const uint8_t *data, std::size_t size, std::size_t max_pixels) {
    if (size < 18) tga_failure("file truncated in its header");
    const std::size_t w = le16(data + 12), h = le16(data + 14);
    std::size_t pos = 0;
    const Layout l = read_layout(data, size, pos);
    if (w * h > max_pixels)
        tga_failure("dimensions " + std::to_string(w) + "x" + std::to_string(h) + " are out of range (limit " +
                    std::to_string(max_pixels) + " pixels)");
    const std::size_t row_bytes = w * l.bytes;
    std::vector<uint8_t> rows;
    const uint8_t *file_rows = data + pos;  // the rows as stored, in file order
    if (data[2] & 8) {
        rows.resize(row_bytes * h);
        expand_rle(data, size, pos, row_bytes, h, l.bytes, rows);
        file_rows = rows.data();
    } else if (size - pos < row_bytes * h) {
        truncated();
    }
    Image img{int(w), int(h), l.channels, std::vector<uint8_t>(w * h * std::size_t(l.channels))};
    const bool top_down = data[17] & 0x20, right_to_left = data[17] & 0x10;
    const std::size_t out_row = w * std::size_t(l.channels), n = std::size_t(l.channels);
    for (std::size_t y = 0; y < h; ++y) {
        uint8_t *out = &img.pixels[(top_down ? y : h - 1 - y) * out_row];
        unpack_row(l, file_rows + y * row_bytes, w, out);
        if (right_to_left)  // Pillow's load_end: FLIP_LEFT_RIGHT
            for (uint8_t *a = out, *b = out + out_row - n; a < b; a += n, b -= n) std::swap_ranges(a, a + n, b);
    }
    return img;
}

}  // namespace digitinfer::core
