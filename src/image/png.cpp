// PNG through libdeflate (several times faster than zlib-based inflaters on
// whole buffers) with our own unfiltering, in Pillow's modes:
//   gray 1/2/4/8 bit  -> L, low depths scaled to 0..255 (Pillow's L;1/L;2/L;4 unpackers)
//   gray 16 bit       -> Pillow mode I, which convert("L") clamps to [0, 255]
//   RGB, RGBA, gray+alpha 16 bit -> the high byte of each sample (Pillow's ;16B unpackers)
//   palette           -> RGB through PLTE (indices past its end are black)
// Alpha is kept (the grayscale stage ignores it). Adam7 interlacing is supported.
#include <libdeflate.h>
#if defined(__x86_64__)
#include <emmintrin.h>  // SSE2: part of every x86-64 CPU
#define DIGITINFER_PNG_SSE2 1
#endif

#include <algorithm>
#include <array>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "common/failure.hpp"
#include "image/formats.hpp"

namespace digitinfer::core {
namespace {

[[noreturn]] void bad_png(const std::string &what) { fail(DI_ERR_DECODE, "cannot decode PNG: " + what); }

uint32_t be32(const uint8_t *p) { return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3]; }

struct Header {
    uint32_t width = 0, height = 0;
    int depth = 0, color = 0;
    bool interlaced = false;
    int samples() const { return color == 0 || color == 3 ? 1 : color == 2 ? 3 : color == 4 ? 2 : 4; }
    // Bytes per complete pixel for filtering (at least 1), and per row of `w` pixels.
    std::size_t filter_bpp() const { return std::max<std::size_t>(1, std::size_t(samples() * depth) / 8); }
    std::size_t row_bytes(uint32_t w) const { return (std::size_t(w) * std::size_t(samples() * depth) + 7) / 8; }
    int out_channels() const { return color == 3 ? 3 : samples(); }
};

struct Chunks {
    Header header;
    std::array<uint8_t, 256 * 3> palette{};  // unset entries stay black
    std::vector<uint8_t> idat;
};

Header parse_header(const uint8_t *p, uint32_t length, std::size_t max_pixels) {
    if (length != 13) bad_png("bad IHDR");
    Header h{be32(p), be32(p + 4), p[8], p[9], p[12] == 1};
    if (h.width == 0 || h.height == 0 || uint64_t(h.width) * h.height > max_pixels)
        bad_png("dimensions " + std::to_string(h.width) + "x" + std::to_string(h.height) +
                " are out of range (limit " + std::to_string(max_pixels) + " pixels)");
    const int d = h.depth;
    const bool ok = (h.color == 0 && (d == 1 || d == 2 || d == 4 || d == 8 || d == 16)) ||
                    (h.color == 3 && (d == 1 || d == 2 || d == 4 || d == 8)) ||
                    ((h.color == 2 || h.color == 4 || h.color == 6) && (d == 8 || d == 16));
    if (!ok || p[10] != 0 || p[11] != 0 || p[12] > 1) bad_png("unsupported IHDR combination");
    return h;
}

Chunks read_chunks(const uint8_t *data, std::size_t size, std::size_t max_pixels) {
    Chunks c;
    std::size_t pos = 8;
    bool have_header = false, ended = false;
    while (!ended) {
        if (size - pos < 12) bad_png("truncated");
        const uint32_t length = be32(data + pos);
        const uint8_t *type = data + pos + 4, *body = data + pos + 8;
        if (length > size - pos - 12) bad_png("truncated chunk");
        if (!have_header && std::memcmp(type, "IHDR", 4) != 0) bad_png("IHDR is not first");
        if (std::memcmp(type, "IHDR", 4) == 0) {
            c.header = parse_header(body, length, max_pixels);
            have_header = true;
        } else if (std::memcmp(type, "PLTE", 4) == 0) {
            if (length % 3 != 0 || length > c.palette.size()) bad_png("bad PLTE");
            std::memcpy(c.palette.data(), body, length);
        } else if (std::memcmp(type, "IDAT", 4) == 0) {
            c.idat.insert(c.idat.end(), body, body + length);
        } else if (std::memcmp(type, "IEND", 4) == 0) {
            ended = true;
        } else if (!(type[0] & 0x20)) {
            bad_png("unknown critical chunk");
        }
        pos += 12 + std::size_t(length);
    }
    if (c.idat.empty()) bad_png("no image data");
    return c;
}

uint8_t paeth(int a, int b, int c) {
    const int pa = std::abs(b - c), pb = std::abs(a - c), pc = std::abs(a + b - 2 * c);
    return uint8_t(pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
}

#if defined(DIGITINFER_PNG_SSE2)
// The Paeth filter for one row, a pixel (up to 8 bytes) at a time in 16-bit
// SSE2 lanes, branch-free: the serial dependency runs per pixel, not per byte.
// Bit-identical to the scalar loop in unfilter(), which every other CPU runs.
template <std::size_t bpp>  // a constant, so that the 1-8 byte copies compile to single moves
void unpaeth_sse2(uint8_t *__restrict row, const uint8_t *__restrict prior, std::size_t n) {
    const __m128i zero = _mm_setzero_si128();
    auto load = [&](const uint8_t *p) {
        uint64_t v = 0;
        std::memcpy(&v, p, bpp);
        return _mm_unpacklo_epi8(_mm_cvtsi64_si128(int64_t(v)), zero);
    };
    auto abs16 = [&](__m128i x) { return _mm_max_epi16(x, _mm_sub_epi16(zero, x)); };
    auto select = [](__m128i mask, __m128i yes, __m128i no) {
        return _mm_or_si128(_mm_and_si128(mask, yes), _mm_andnot_si128(mask, no));
    };
    __m128i a = zero, c = zero;  // left and upper-left pixels
    for (std::size_t i = 0; i < n; i += bpp) {
        const __m128i b = load(prior + i);
        const __m128i pa = abs16(_mm_sub_epi16(b, c)), pb = abs16(_mm_sub_epi16(a, c));
        const __m128i pc = abs16(_mm_add_epi16(_mm_sub_epi16(b, c), _mm_sub_epi16(a, c)));
        const __m128i smallest = _mm_min_epi16(pc, _mm_min_epi16(pa, pb));
        const __m128i nearest =
            select(_mm_cmpeq_epi16(pa, smallest), a, select(_mm_cmpeq_epi16(pb, smallest), b, c));
        a = _mm_and_si128(_mm_add_epi16(load(row + i), nearest), _mm_set1_epi16(0xFF));
        const uint64_t out = uint64_t(_mm_cvtsi128_si64(_mm_packus_epi16(a, zero)));
        std::memcpy(row + i, &out, bpp);
        c = b;
    }
}
#endif  // DIGITINFER_PNG_SSE2

// Undoes the filter of one row in place; `prior` is the previous unfiltered row
// or zeros. The first `bpp` bytes, which have no left neighbour, are done apart
// so that the main loops have no branches.
void unfilter(uint8_t filter, uint8_t *__restrict row, const uint8_t *__restrict prior, std::size_t n,
              std::size_t bpp) {
    const std::size_t head = std::min(bpp, n);
    switch (filter) {
        case 0: return;
        case 1:
            for (std::size_t i = bpp; i < n; ++i) row[i] = uint8_t(row[i] + row[i - bpp]);
            return;
        case 2:
            for (std::size_t i = 0; i < n; ++i) row[i] = uint8_t(row[i] + prior[i]);
            return;
        case 3:
            for (std::size_t i = 0; i < head; ++i) row[i] = uint8_t(row[i] + prior[i] / 2);
            for (std::size_t i = bpp; i < n; ++i) row[i] = uint8_t(row[i] + (row[i - bpp] + prior[i]) / 2);
            return;
        case 4:
#if defined(DIGITINFER_PNG_SSE2)
            switch (bpp) {
                case 2: return unpaeth_sse2<2>(row, prior, n);
                case 3: return unpaeth_sse2<3>(row, prior, n);
                case 4: return unpaeth_sse2<4>(row, prior, n);
                case 6: return unpaeth_sse2<6>(row, prior, n);
                case 8: return unpaeth_sse2<8>(row, prior, n);
            }
#endif
            // Every bpp (and on CPUs other than x86-64 the only path): exact integer math.
            for (std::size_t i = 0; i < head; ++i) row[i] = uint8_t(row[i] + prior[i]);  // paeth(0, b, 0) = b
            for (std::size_t i = bpp; i < n; ++i) row[i] = uint8_t(row[i] + paeth(row[i - bpp], prior[i], prior[i - bpp]));
            return;
        default: bad_png("bad filter type " + std::to_string(filter));
    }
}

// Unpacks `w` pixels of an unfiltered row into 8-bit channels, `step` pixels apart in `out`.
void unpack(const Chunks &c, const uint8_t *row, uint32_t w, uint8_t *out, std::size_t step) {
    const Header &h = c.header;
    const int ch = h.out_channels();
    const std::size_t stride = step * std::size_t(ch);
    if (h.depth < 8) {
        const int per_byte = 8 / h.depth, mask = (1 << h.depth) - 1, scale = 255 / mask;
        for (uint32_t x = 0; x < w; ++x, out += stride) {
            const int shift = 8 - h.depth * (1 + int(x % uint32_t(per_byte)));
            const int v = (row[x / uint32_t(per_byte)] >> shift) & mask;
            if (h.color == 3) std::memcpy(out, &c.palette[std::size_t(v) * 3], 3);
            else out[0] = uint8_t(v * scale);
        }
    } else if (h.color == 3) {
        for (uint32_t x = 0; x < w; ++x, out += stride) std::memcpy(out, &c.palette[std::size_t(row[x]) * 3], 3);
    } else if (h.depth == 8) {
        if (step == 1) return void(std::memcpy(out, row, std::size_t(w) * std::size_t(ch)));
        for (uint32_t x = 0; x < w; ++x, out += stride, row += ch) std::memcpy(out, row, std::size_t(ch));
    } else if (h.color == 0) {  // 16-bit gray: Pillow's I -> L clamps
        for (uint32_t x = 0; x < w; ++x, out += stride, row += 2) out[0] = row[0] ? 255 : row[1];
    } else {  // 16-bit colour: high bytes
        for (uint32_t x = 0; x < w; ++x, out += stride)
            for (int k = 0; k < ch; ++k, row += 2) out[k] = row[0];
    }
}

struct Pass {
    uint32_t x0, y0, dx, dy;
};
constexpr Pass kWhole{0, 0, 1, 1};
constexpr Pass kAdam7[7] = {{0, 0, 8, 8}, {4, 0, 8, 8}, {0, 4, 4, 8}, {2, 0, 4, 4}, {0, 2, 2, 4}, {1, 0, 2, 2}, {0, 1, 1, 2}};

uint32_t pass_size(uint32_t full, uint32_t start, uint32_t step) { return full > start ? (full - start + step - 1) / step : 0; }

libdeflate_decompressor *inflater() {
    struct Free {
        void operator()(libdeflate_decompressor *d) const { libdeflate_free_decompressor(d); }
    };
    thread_local std::unique_ptr<libdeflate_decompressor, Free> d(libdeflate_alloc_decompressor());
    if (!d) fail(DI_ERR_OUT_OF_MEMORY, "cannot allocate an inflater");
    return d.get();
}

}  // namespace

bool has_png_signature(const uint8_t *data, std::size_t size) {
    static const uint8_t signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    return size >= 8 && std::equal(signature, signature + 8, data);
}

Image decode_png(const uint8_t *data, std::size_t size, std::size_t max_pixels) {
    const Chunks c = read_chunks(data, size, max_pixels);
    const Header &h = c.header;
    const Pass *passes = h.interlaced ? kAdam7 : &kWhole;
    const int pass_count = h.interlaced ? 7 : 1;
    std::size_t raw_size = 0;
    for (int p = 0; p < pass_count; ++p) {
        const uint32_t pw = pass_size(h.width, passes[p].x0, passes[p].dx);
        const uint32_t ph = pass_size(h.height, passes[p].y0, passes[p].dy);
        if (pw && ph) raw_size += std::size_t(ph) * (1 + h.row_bytes(pw));
    }
    // Deflate expands at most ~1032:1: a larger claim cannot be real, so refuse it before allocating.
    if (raw_size / 1032 > c.idat.size() + 64) bad_png("truncated image data");
    // The inflated rows go to a buffer this thread keeps for the next image, unless the
    // image is large: a hostile 2 MB file must not pin gigabytes on every preprocessing thread.
    constexpr std::size_t kKeptBytes = std::size_t(64) << 20;
    thread_local std::vector<uint8_t> kept;  // reused: no page faults or zeroing per image
    std::unique_ptr<uint8_t[]> large;        // freed on return; not zeroed, so only the
                                             // pages inflated into are ever touched
    const std::size_t most = (c.idat.size() + 64) * 1032;  // what the stream can inflate to at most
    std::size_t capacity = raw_size, got = 0;
    uint8_t *raw = nullptr;
    libdeflate_result r;
    for (;;) {
        if (capacity <= kKeptBytes) {
            if (kept.size() < capacity) kept.resize(capacity);
            raw = kept.data();
        } else {
            large.reset(new uint8_t[capacity]);
            raw = large.get();
        }
        r = libdeflate_zlib_decompress(inflater(), c.idat.data(), c.idat.size(), raw, capacity, &got);
        // Data past the image's end, which Pillow ignores: libdeflate stops short of the end of
        // the buffer and reports no size, so inflate it all into a larger one (rare).
        if (r != LIBDEFLATE_INSUFFICIENT_SPACE || capacity >= most) break;
        capacity = std::min(most, capacity * 2);
    }
    // Pillow stops once the image is complete, ignoring extra data; it refuses short data.
    if (r != LIBDEFLATE_SUCCESS || got < raw_size)
        bad_png(r == LIBDEFLATE_BAD_DATA ? "corrupt image data" : "truncated image data");

    Image img{int(h.width), int(h.height), h.out_channels(), {}};
    img.pixels.resize(std::size_t(h.width) * h.height * std::size_t(img.channels));
    std::vector<uint8_t> zeros(h.row_bytes(h.width));
    uint8_t *in = raw;
    for (int p = 0; p < pass_count; ++p) {
        const Pass &pass = passes[p];
        const uint32_t pw = pass_size(h.width, pass.x0, pass.dx), ph = pass_size(h.height, pass.y0, pass.dy);
        if (!pw || !ph) continue;
        const std::size_t n = h.row_bytes(pw);
        const uint8_t *prior = zeros.data();
        for (uint32_t y = 0; y < ph; ++y, in += 1 + n) {
            unfilter(in[0], in + 1, prior, n, h.filter_bpp());
            prior = in + 1;
            const std::size_t first = (std::size_t(pass.y0 + y * pass.dy) * h.width + pass.x0) * std::size_t(img.channels);
            unpack(c, in + 1, pw, &img.pixels[first], pass.dx);
        }
    }
    return img;
}

}  // namespace digitinfer::core
