#include "decode.hpp"

#include <algorithm>
#include <climits>
#include <cmath>
#include <memory>
#include <string>

#include "failure.hpp"

#define STB_IMAGE_IMPLEMENTATION
#define STB_IMAGE_STATIC
#define STBI_NO_STDIO
#define STBI_FAILURE_USERMSG  // "Corrupt GIF" rather than "outofdata"
#define STBI_ONLY_BMP
#define STBI_ONLY_GIF
#define STBI_ONLY_PNM
#define STBI_ONLY_TGA
#define STBI_MAX_DIMENSIONS (1 << 20)
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wsign-compare"
#endif
#include <stb/stb_image.h>
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

namespace digitinfer {
namespace {

struct StbFree {
    void operator()(void *p) const { stbi_image_free(p); }
};

[[noreturn]] void decode_failure(const char *what) {
    fail(DI_ERR_DECODE, std::string("cannot decode image: ") + (what && *what ? what : "corrupt data"));
}

// What stb_image tests first decides the format: BMP, GIF, PNM, and TGA (no signature) last.
bool looks_like_bmp(const uint8_t *data, std::size_t size) { return size >= 2 && data[0] == 'B' && data[1] == 'M'; }
bool looks_like_pnm(const uint8_t *data, std::size_t size) {
    return size >= 2 && data[0] == 'P' && (data[1] == '5' || data[1] == '6');
}

uint32_t le32(const uint8_t *p) { return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24; }

uint32_t le16(const uint8_t *p) { return uint32_t(p[0]) | uint32_t(p[1]) << 8; }

// stb_image reads the missing pixel data of a BMP or TGA as zeros: a 54-byte file could claim
// 16384 x 16384 pixels, cost seconds and gigabytes, and decode as a black image where Pillow
// says "image file is truncated". These are the fewest bytes a w x h file of the header's
// layout can have (never more than stb_image or Pillow reads), or 0 when not known.
std::size_t bmp_min_size(const uint8_t *data, std::size_t size, std::size_t w, std::size_t h) {
    if (size < 34) return 0;
    const uint32_t offset = le32(data + 10), header = le32(data + 14);
    const std::size_t bpp = header == 12 ? le16(data + 24) : le16(data + 28);
    // RLE (1, 2) is refused anyway. Any other value may reach the raw reader: stb_image reads the
    // field as an int and takes negative ones for BI_RGB.
    if (header != 12 && (le32(data + 30) == 1 || le32(data + 30) == 2)) return 0;
    if (bpp != 1 && bpp != 4 && bpp != 8 && bpp != 16 && bpp != 24 && bpp != 32) return 0;
    const std::size_t stride = (w * bpp + 31) / 32 * 4;  // rows padded to 4 bytes (not needed after the last)
    return std::size_t(offset) + stride * (h - 1) + (w * bpp + 7) / 8;
}

std::size_t tga_min_size(const uint8_t *data, std::size_t size, std::size_t w, std::size_t h) {
    if (size < 18) return 0;
    const int type = data[2];
    const std::size_t bytes = (std::size_t(data[16]) + 7) / 8;  // per pixel (or palette index)
    std::size_t header = 18 + std::size_t(data[0]);               // and the image ID
    if ((type == 1 || type == 9) && data[1] == 1) header += le16(data + 5) * std::size_t(data[7] / 8);
    if (type == 1 || type == 2 || type == 3) return header + w * h * bytes;
    if (type == 9 || type == 10 || type == 11) return header + (w * h + 127) / 128 * (1 + bytes);  // RLE packets
    return 0;
}

// 16-bit BMPs: stb_image widens 5- and 6-bit channels by bit replication ((v << 3) | (v >> 2));
// Pillow's BGR;15 and BGR;16 unpackers compute v * 255 / 31 and v * 255 / 63 (up to 1 apart).
// Pillow reads the 5-5-5 layout (BI_RGB, or those bitfields) and 5-6-5 bitfields, and no other.
void pillow_bmp16_channels(const uint8_t *data, std::size_t size, Image &img) {
    if (size < 34 || le32(data + 14) < 40 || (data[28] | data[29] << 8) != 16 || img.channels < 3) return;
    const uint32_t compression = le32(data + 30);
    int green_bits = 0;
    if (compression == 0) {
        green_bits = 5;
    } else if (compression == 3 && size >= 66) {  // masks right after the 40-byte header, or inside a longer one
        const uint32_t r = le32(data + 54), g = le32(data + 58), b = le32(data + 62);
        green_bits = r == 0x7C00 && g == 0x3E0 && b == 0x1F ? 5 : r == 0xF800 && g == 0x7E0 && b == 0x1F ? 6 : 0;
    }
    if (!green_bits) return;
    const std::size_t n = std::size_t(img.channels);
    for (std::size_t i = 0; i < img.pixels.size(); ++i) {
        if (i % n == 3) continue;  // alpha, which convert("L") ignores
        const int bits = i % n == 1 ? green_bits : 5;
        img.pixels[i] = uint8_t((img.pixels[i] >> (8 - bits)) * 255 / ((1 << bits) - 1));
    }
}

// Pillow mirrors a TGA whose image descriptor has the right-to-left bit; stb_image ignores that bit.
void pillow_tga_orientation(const uint8_t *data, std::size_t size, Image &img) {
    if (size < 18 || !(data[17] & 0x10)) return;
    const std::size_t row = std::size_t(img.width) * std::size_t(img.channels), n = std::size_t(img.channels);
    for (std::size_t y = 0; y < std::size_t(img.height); ++y)
        for (std::size_t a = y * row, b = a + row - n; a < b; a += n, b -= n)
            std::swap_ranges(&img.pixels[a], &img.pixels[a] + n, &img.pixels[b]);
}

struct PnmHeader {
    long fields[3] = {0, 0, 0};  // width, height, maxval; saturated at kPnmFieldMax
    std::size_t samples = 0;     // offset of the first sample
};
constexpr long kPnmFieldMax = 1000000000;

// Header: magic, width, height, maxval; whitespace and '#' comments between them;
// then one whitespace byte (which both stb_image and Pillow consume) before the samples.
PnmHeader parse_pnm_header(const uint8_t *data, std::size_t size) {
    auto space = [](uint8_t c) { return c == ' ' || (c >= '\t' && c <= '\r'); };
    auto digit = [](uint8_t c) { return c >= '0' && c <= '9'; };
    PnmHeader header;
    std::size_t pos = 2;
    for (long &field : header.fields) {
        while (pos < size && (space(data[pos]) || data[pos] == '#')) {
            if (data[pos] == '#')
                while (pos < size && data[pos] != '\n' && data[pos] != '\r') ++pos;
            else
                ++pos;
        }
        if (pos >= size || !digit(data[pos])) decode_failure("bad PNM header");
        while (pos < size && digit(data[pos])) field = std::min(kPnmFieldMax, field * 10 + (data[pos++] - '0'));
    }
    header.samples = pos + 1;
    return header;
}

// Binary PGM/PPM (P5/P6) as Pillow's PPM plugin reads them; stb_image 2.27 neither scales
// samples by maxval nor converts 16-bit samples from the file's big-endian order.
//   maxval 255:              the samples;
//   P5, maxval 65535:        mode I (raw I;16B), which convert("L") clamps to 255;
//   P5, other maxval > 255:  mode I = min(65535, round(v / maxval * 65535)), clamped likewise;
//   otherwise:               min(255, round(v / maxval * 255)).
// round() is Python's (half to even) on the same double operations: std::nearbyint.
Image decode_pnm(const uint8_t *data, std::size_t size, int width, int height) {
    const PnmHeader header = parse_pnm_header(data, size);
    const long *fields = header.fields;
    const std::size_t pos = header.samples;
    const long maxval = fields[2];
    const int channels = data[1] == '6' ? 3 : 1;
    if (fields[0] != width || fields[1] != height || maxval < 1 || maxval > 65535) decode_failure("bad PNM header");
    const std::size_t count = std::size_t(width) * std::size_t(height) * std::size_t(channels);
    const std::size_t bytes = maxval > 255 ? 2 : 1;
    if (pos > size || (size - pos) / bytes < count) decode_failure("PNM file truncated");
    Image img{width, height, channels, std::vector<uint8_t>(count)};
    const uint8_t *in = data + pos;
    const bool mode_i = channels == 1 && maxval > 255;
    const double out_max = mode_i ? 65535.0 : 255.0;
    for (std::size_t i = 0; i < count; ++i) {
        const long v = bytes == 2 ? long(in[2 * i]) << 8 | in[2 * i + 1] : long(in[i]);
        const double scaled = maxval == 255 || (mode_i && maxval == 65535)
                                  ? double(v)
                                  : std::min(out_max, std::nearbyint(double(v) / double(maxval) * out_max));
        img.pixels[i] = uint8_t(std::min(scaled, 255.0));
    }
    return img;
}

}  // namespace

Image decode_image(const uint8_t *data, std::size_t size) {
    if (size == 0) fail(DI_ERR_DECODE, "cannot decode image: no bytes");
    if (looks_like_jpeg(data, size)) return decode_jpeg(data, size);
    if (has_png_signature(data, size)) return decode_png(data, size);
    if (size > std::size_t(INT_MAX)) fail(DI_ERR_DECODE, "cannot decode image: file larger than 2 GiB");
    // stb_image 2.27 reads PNM header numbers into an int without an overflow check
    // (undefined behaviour on a long digit string): it only sees headers we checked first.
    if (looks_like_pnm(data, size)) {
        const PnmHeader header = parse_pnm_header(data, size);
        if (header.fields[0] > long(kMaxImagePixels) || header.fields[1] > long(kMaxImagePixels) ||
            header.fields[2] > 65535)
            decode_failure("PNM header numbers out of range");
    }
    const int len = int(size);
    int w = 0, h = 0, n = 0;
    if (!stbi_info_from_memory(data, len, &w, &h, &n)) decode_failure(stbi_failure_reason());
    // stb_image's info reports a top-down BMP's height as negative (its loader takes the absolute value).
    if (looks_like_bmp(data, size) && h < 0 && h > INT_MIN) h = -h;
    if (w <= 0 || h <= 0 || std::size_t(w) * std::size_t(h) > kMaxImagePixels)
        fail(DI_ERR_DECODE, "cannot decode image: dimensions " + std::to_string(w) + "x" + std::to_string(h) +
                                " are out of range");
    const bool bmp = looks_like_bmp(data, size), gif = looks_like_gif(data, size);
    if (looks_like_pnm(data, size)) return decode_pnm(data, size, w, h);
    const std::size_t need = bmp ? bmp_min_size(data, size, std::size_t(w), std::size_t(h))
                             : gif ? 0 : tga_min_size(data, size, std::size_t(w), std::size_t(h));
    if (need > size)
        fail(DI_ERR_DECODE, "cannot decode image: file truncated (" + std::to_string(size) + " bytes, a " +
                                std::to_string(w) + "x" + std::to_string(h) + " image needs " +
                                std::to_string(need) + ")");
    std::unique_ptr<stbi_uc, StbFree> px(stbi_load_from_memory(data, len, &w, &h, &n, 0));
    if (!px) decode_failure(stbi_failure_reason());
    Image img{w, h, n, {}};
    img.pixels.assign(px.get(), px.get() + std::size_t(w) * std::size_t(h) * std::size_t(n));
    if (gif) restore_gif_transparent_color(data, size, img);
    if (bmp) pillow_bmp16_channels(data, size, img);
    if (!bmp && !gif) pillow_tga_orientation(data, size, img);  // TGA: the only format left
    return img;
}

}  // namespace digitinfer
