// BMP: the size check stb_image lacks, and Pillow's 16-bit channel widening.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "common/failure.hpp"
#include "image/formats.hpp"

namespace digitinfer::core {
namespace {

[[noreturn]] void bmp_failure(const std::string &what) { fail(DI_ERR_DECODE, "cannot decode BMP: " + what); }

}  // namespace

bool looks_like_bmp(const uint8_t *data, std::size_t size) { return size >= 2 && data[0] == 'B' && data[1] == 'M'; }

// Pillow's BmpImagePlugin refuses what it has no unpacker for; stb_image reads some of it (a
// compression of 2^31 or more as BI_RGB, any bit depth), and would decode what Pillow refuses.
void check_bmp_header(const uint8_t *data, std::size_t size) {
    if (size < 18) bmp_failure("file truncated in its header");
    const uint32_t header = le32(data + 14);
    if (header == 12) return;  // OS/2: refused later, as not supported
    if (header != 40 && header != 64 && header != 108 && header != 124)
        bmp_failure("unsupported BMP header type (" + std::to_string(header) + ")");
    if (size < 14 + std::size_t(header)) bmp_failure("file truncated in its header");
    const uint32_t bits = le16(data + 28), compression = le32(data + 30);
    if (bits != 1 && bits != 4 && bits != 8 && bits != 16 && bits != 24 && bits != 32)
        bmp_failure("unsupported BMP pixel depth (" + std::to_string(bits) + ")");
    if (compression > 3) bmp_failure("unsupported BMP compression (" + std::to_string(compression) + ")");
    if (compression != 3) return;
    // BI_BITFIELDS: the masks inside a longer header, else right after the 40-byte one.
    if (size < 54 + 12) bmp_failure("file truncated in its bitfield masks");
    const uint32_t r = le32(data + 54), g = le32(data + 58), b = le32(data + 62);
    const uint32_t a = header >= 56 ? le32(data + 66) : 0;
    const bool supported =
        bits == 32 ? (r == 0xFF0000 && g == 0xFF00 && b == 0xFF && (a == 0 || a == 0xFF000000)) ||
                         (r == 0xFF000000 && g == 0xFF0000 && b == 0xFF00 && (a == 0 || a == 0xFF)) ||
                         (r == 0xFF && g == 0xFF00 && b == 0xFF0000 && a == 0xFF000000) || (!r && !g && !b && !a)
        : bits == 24 ? r == 0xFF0000 && g == 0xFF00 && b == 0xFF
        : bits == 16 ? (r == 0xF800 && g == 0x7E0 && b == 0x1F) || (r == 0x7C00 && g == 0x3E0 && b == 0x1F)
                     : false;
    if (!supported) bmp_failure("unsupported BMP bitfields layout");
}

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

// stb_image reads a palette BMP's colours into an uninitialized 256-entry table, as many as fit
// between the header and the pixel data: a pixel whose index is past them got whatever the
// stack held (different bytes from one call to the next: found by fuzz_decode comparing two
// decodes), and with a pixel offset inside the header it read no colour at all. Pillow's
// palette is a gray ramp past the file's entries. Returns the bytes stb_image should read: a
// copy with that ramp inserted after the file's entries and the pixel offset moved past it, or
// empty for the file itself (not a palette BMP). A palette BMP whose pixel offset leaves no room
// for one colour is refused (Pillow reads some of those, e.g. offset 0 as "after the palette":
// an own BMP decoder would follow it).
std::vector<uint8_t> bmp_for_stb(const uint8_t *data, std::size_t size) {
    if (size < 34) return {};
    const uint32_t offset = le32(data + 10), header = le32(data + 14), bits = le16(data + 28);
    if (header < 40 || bits >= 16) return {};
    if (offset < 14 + header + 4) bmp_failure("the pixel data offset (" + std::to_string(offset) + ") leaves no room for a palette");
    const std::size_t entries = (offset - 14 - header) / 4;  // stb_image's psize
    if (entries >= 256) return {};
    const std::size_t at = 14 + header + entries * 4;
    if (at > size) return {};
    std::vector<uint8_t> out(data, data + at);
    for (std::size_t i = entries; i < 256; ++i) out.insert(out.end(), {uint8_t(i), uint8_t(i), uint8_t(i), 0});
    out.insert(out.end(), data + at, data + size);
    const uint32_t moved = offset + uint32_t((256 - entries) * 4);
    for (int k = 0; k < 4; ++k) out[10 + std::size_t(k)] = uint8_t(moved >> (8 * k));
    return out;
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

}  // namespace digitinfer::core
