// libFuzzer target: our PNG decoder (decode_png, which reads PNG as Pillow 9.4 does) against
// libpng 1.6, the reference implementation.
//
//  - Both accept: the images must be identical, pixel for pixel, in our output mode. libpng is
//    asked for raw samples (gray below 8 bits expanded, palette indices unpacked, Adam7 handled);
//    they are mapped to Pillow's modes here: 16-bit colour keeps the high byte, 16-bit gray
//    clamps to 255 (mode I -> L), palette indices go through Pillow's palette (a gray ramp whose
//    first entries PLTE sets).
//  - Only one accepts: the input must show one of the documented differences between Pillow's
//    reading and libpng's (kDifferences below), found by a cheap scan of the input's chunks.
//    When ours accepts and libpng stopped part-way, the rows libpng finished must match too.
//  - Anything else aborts with a message saying which decoder said what: a bug to fix in
//    src/image/png.cpp (or a new documented difference, when Pillow does the same).
//
// libpng is told to ignore CRCs (Pillow ignores those of IDAT and after it; the scan knows which
// ones Pillow checks), to treat benign errors as warnings, to allow any size (our decoder has
// the pixel limit) and to inflate with zlib's 32 KiB window whatever the header says (as Pillow's
// inflateInit does). png_read_end is not called: Pillow does not look past the image either,
// apart from what the scan calls trailing_refused. Inputs with a chunk before the first IDAT
// that runs past the end of the file are not given to libpng (it would allocate the claimed
// length, up to 2 GiB, first); both decoders refuse them.
//
// The custom mutator repairs chunk CRCs on most mutants, so that the fuzzer reaches the image
// data instead of stopping at a checksum. DIGITINFER_PNGDIFF_STATS=1 prints at exit how often
// each outcome was seen.
#include <png.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "common/failure.hpp"
#include "image/formats.hpp"
#include "image/image.hpp"

namespace {

using digitinfer::core::Image;

// Big enough for interesting geometry (Adam7 passes, long rows), small enough for ~1000 exec/s.
constexpr std::size_t kMaxPixels = std::size_t(1) << 18;

uint32_t be32(const uint8_t *p) { return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3]; }

int out_channels(int color) { return color == 0 ? 1 : color == 4 ? 2 : color == 6 ? 4 : 3; }

// ----------------------------------------------------------------------------- libpng's decode
struct Reference {
    bool ok = false;
    std::string refusal;  // libpng's error message
    uint32_t width = 0, height = 0;
    int depth = 0, color = 0, interlace = 0;
    uint32_t rows_done = 0;  // rows of a non-interlaced image finished before an error
    std::size_t row_bytes = 0;
    std::vector<uint8_t> raw;  // libpng's rows, row_bytes apart
    std::vector<png_bytep> row_pointers;
    std::array<uint8_t, 256 * 3> palette{};  // Pillow's: gray ramp, then PLTE's entries
    // The input, read through png_set_read_fn.
    const uint8_t *data = nullptr;
    std::size_t size = 0, pos = 0;
};

void on_error(png_structp png, png_const_charp message) {
    static_cast<Reference *>(png_get_error_ptr(png))->refusal = message;
    png_longjmp(png, 1);
}
void on_warning(png_structp, png_const_charp) {}

void on_read(png_structp png, png_bytep out, png_size_t n) {
    auto *r = static_cast<Reference *>(png_get_io_ptr(png));
    if (n > r->size - r->pos) png_error(png, "read past the end of the file");
    std::memcpy(out, r->data + r->pos, n);
    r->pos += n;
}

void on_row(png_structp png, png_uint_32 row, int pass) {
    auto *r = static_cast<Reference *>(png_get_io_ptr(png));
    if (pass == 0 && r->interlace == 0) r->rows_done = row;
}

// Does a chunk before the first IDAT claim more bytes than the file has left? libpng would
// allocate the claimed length (up to 2 GiB) before finding that out; both decoders refuse it.
bool header_chunk_past_eof(const uint8_t *data, std::size_t size) {
    for (std::size_t pos = 8; size - pos >= 8;) {
        const uint32_t length = be32(data + pos);
        if (std::memcmp(data + pos + 4, "IDAT", 4) == 0) return false;
        if (length > size - pos - 8) return true;
        pos += 8 + std::size_t(length);
        if (size - pos < 4) return false;
        pos += 4;
    }
    return false;
}

// Everything libpng touches lives in *r, not in this function's locals: longjmp comes back here.
void read_with_libpng(Reference *r) {
    if (header_chunk_past_eof(r->data, r->size)) return void(r->refusal = "(not run) a chunk past the end of the file");
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, r, on_error, on_warning);
    png_infop info = png_create_info_struct(png);
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_read_struct(&png, &info, nullptr);
        return;
    }
    png_set_read_fn(png, r, on_read);
    png_set_read_status_fn(png, on_row);
    png_set_crc_action(png, PNG_CRC_QUIET_USE, PNG_CRC_QUIET_USE);
    png_set_benign_errors(png, 1);
    png_set_user_limits(png, 0x7fffffff, 0x7fffffff);
    png_set_option(png, PNG_MAXIMUM_INFLATE_WINDOW, PNG_OPTION_ON);
    png_read_info(png, info);
    png_get_IHDR(png, info, &r->width, &r->height, &r->depth, &r->color, &r->interlace, nullptr, nullptr);
    if (uint64_t(r->width) * r->height > kMaxPixels) png_error(png, "more pixels than the harness's limit");
    png_colorp plte = nullptr;
    int entries = 0;
    for (int i = 0; i < 256; ++i) r->palette[3 * i] = r->palette[3 * i + 1] = r->palette[3 * i + 2] = uint8_t(i);
    if (r->color == PNG_COLOR_TYPE_PALETTE && png_get_PLTE(png, info, &plte, &entries))
        for (int i = 0; i < entries; ++i) {
            r->palette[3 * i] = plte[i].red;
            r->palette[3 * i + 1] = plte[i].green;
            r->palette[3 * i + 2] = plte[i].blue;
        }
    if (r->color == PNG_COLOR_TYPE_GRAY && r->depth < 8) png_set_expand_gray_1_2_4_to_8(png);
    if (r->depth < 8) png_set_packing(png);  // palette indices, one a byte
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
    r->row_bytes = png_get_rowbytes(png, info);
    r->raw.assign(r->row_bytes * r->height, 0);
    r->row_pointers.resize(r->height);
    for (uint32_t y = 0; y < r->height; ++y) r->row_pointers[y] = r->raw.data() + y * r->row_bytes;
    png_read_image(png, r->row_pointers.data());
    r->rows_done = r->height;
    r->ok = true;
    png_destroy_read_struct(&png, &info, nullptr);
}

// libpng's first `rows` rows in our output mode (Pillow's mode, 8 bits a channel).
std::vector<uint8_t> in_pillow_mode(const Reference &r, uint32_t rows) {
    const int ch = out_channels(r.color);
    std::vector<uint8_t> out(std::size_t(r.width) * rows * std::size_t(ch));
    uint8_t *o = out.data();
    for (uint32_t y = 0; y < rows; ++y) {
        const uint8_t *s = r.raw.data() + y * r.row_bytes;
        for (uint32_t x = 0; x < r.width; ++x) {
            if (r.color == PNG_COLOR_TYPE_PALETTE) {
                std::memcpy(o, &r.palette[3 * std::size_t(s[x])], 3);
                o += 3;
            } else if (r.depth == 16 && r.color == PNG_COLOR_TYPE_GRAY) {
                *o++ = s[2 * x] ? 255 : s[2 * x + 1];  // mode I, clamped by convert("L")
            } else {
                const int bytes = r.depth == 16 ? 2 : 1;
                for (int k = 0; k < ch; ++k) *o++ = s[(std::size_t(x) * ch + k) * bytes];  // high byte
            }
        }
    }
    return out;
}

// ------------------------------------------------ the input's chunks, for the documented differences
struct Scan {
    bool bad_crc_before_idat = false;   // Pillow checks every CRC before the image data
    bool odd_ihdr = false;              // IHDR not first, repeated, length != 13, compression != 0, interlace >= 2
    bool odd_plte = false;              // PLTE missing, repeated, empty, not whole entries, in a gray image
    bool unknown_critical = false;      // a critical chunk libpng does not know (Pillow skips it)
    bool type_digit_or_underscore = false;  // Pillow's \w accepts them, libpng wants letters
    bool stream_not_exact = false;      // the IDATs' zlib stream is not exactly the image, then its end
    bool idat_cut_by_eof = false;       // the file ends inside an IDAT (its data or its CRC)
    bool trailing_refused = false;      // from the first IDAT on: a chunk past EOF, a short IHDR (Pillow's load_end)
    bool short_actl = false;            // an acTL shorter than 8 bytes (Pillow's chunk_acTL raises)
    bool handled_chunk = false;         // a chunk whose Pillow handler checks its contents (png_chunks.cpp)
    bool apng_data = false;             // an fcTL before the image data (its frame), an fdAT or a DDAT
};

bool letters_only(const uint8_t *t) {
    for (int i = 0; i < 4; ++i)
        if (!((t[i] >= 'A' && t[i] <= 'Z') || (t[i] >= 'a' && t[i] <= 'z'))) return false;
    return true;
}
bool word_chars(const uint8_t *t) {
    for (int i = 0; i < 4; ++i)
        if (!((t[i] >= 'A' && t[i] <= 'Z') || (t[i] >= 'a' && t[i] <= 'z') || (t[i] >= '0' && t[i] <= '9') || t[i] == '_'))
            return false;
    return true;
}
bool is(const uint8_t *t, const char *name) { return std::memcmp(t, name, 4) == 0; }

// Scanline bytes of the image the first IHDR describes (0 if it cannot be computed).
uint64_t image_bytes(const uint8_t *ihdr) {
    const uint64_t w = be32(ihdr), h = be32(ihdr + 4);
    const int depth = ihdr[8], color = ihdr[9];
    const int samples = color == 0 || color == 3 ? 1 : color == 2 ? 3 : color == 4 ? 2 : color == 6 ? 4 : 0;
    if (!samples || w * h > kMaxPixels) return 0;
    auto bytes = [&](uint64_t pw, uint64_t ph) { return pw && ph ? ph * (1 + (pw * samples * depth + 7) / 8) : 0; };
    if (!ihdr[12]) return bytes(w, h);
    static const int adam7[7][4] = {{0, 0, 8, 8}, {4, 0, 8, 8}, {0, 4, 4, 8}, {2, 0, 4, 4}, {0, 2, 2, 4}, {1, 0, 2, 2}, {0, 1, 1, 2}};
    uint64_t total = 0;
    for (const auto &p : adam7)
        total += bytes(w > uint64_t(p[0]) ? (w - p[0] + p[2] - 1) / p[2] : 0, h > uint64_t(p[1]) ? (h - p[1] + p[3] - 1) / p[3] : 0);
    return total;
}

// Does the zlib stream of `idat` inflate to exactly `expected` bytes and end there, with nothing after it?
bool exact_stream(const std::vector<uint8_t> &idat, uint64_t expected) {
    z_stream z{};
    if (inflateInit(&z) != Z_OK) return false;
    z.next_in = const_cast<Bytef *>(idat.data());
    z.avail_in = uInt(idat.size());
    std::vector<uint8_t> sink(65536);
    uint64_t produced = 0;
    int status = Z_OK;
    while (status == Z_OK && produced <= expected) {
        z.next_out = sink.data();
        z.avail_out = uInt(sink.size());
        status = inflate(&z, Z_NO_FLUSH);
        produced += sink.size() - z.avail_out;
        if (status == Z_OK && z.avail_out == sink.size() && z.avail_in == 0) break;  // wants more input
    }
    const bool exact = status == Z_STREAM_END && produced == expected && z.avail_in == 0;
    inflateEnd(&z);
    return exact;
}

Scan scan(const uint8_t *data, std::size_t size) {
    Scan s;
    const uint8_t *ihdr = nullptr;
    int ihdr_count = 0, plte_count = 0, color = -1;
    bool first = true, in_image = false, after_image = false;
    std::vector<uint8_t> idat;
    std::size_t pos = 8;
    for (; size >= 8 && size - pos >= 8; first = false) {
        const uint32_t length = be32(data + pos);
        const uint8_t *type = data + pos + 4, *body = data + pos + 8;
        if (!word_chars(type)) break;
        if (!letters_only(type)) s.type_digit_or_underscore = true;
        const bool past_eof = length > size - pos - 8;
        const bool idat_chunk = is(type, "IDAT");
        if (idat_chunk && !after_image) {
            in_image = true;
            if (size - pos - 8 < 4 || length > size - pos - 12) s.idat_cut_by_eof = true;
            if (past_eof) s.trailing_refused = true;  // refused by Pillow when the image ended before it
            idat.insert(idat.end(), body, body + (past_eof ? size - pos - 8 : length));
        } else if (in_image) {
            in_image = false;
            after_image = true;
        }
        if (after_image) {
            if (is(type, "IEND")) break;
            if (past_eof || (is(type, "IHDR") && (length < 13 || body[11] != 0))) s.trailing_refused = true;
        } else if (!in_image) {
            if (is(type, "IEND")) break;
            if (is(type, "IHDR")) {
                if (!first || ++ihdr_count > 1 || length != 13) s.odd_ihdr = true;
                if (!past_eof && length >= 13) {
                    if (body[10] != 0 || body[12] > 1) s.odd_ihdr = true;
                    if (!ihdr) ihdr = body, color = body[9];
                }
            } else if (is(type, "PLTE")) {
                if (++plte_count > 1 || length == 0 || length % 3 || color == 0 || color == 4 || !ihdr) s.odd_plte = true;
            } else if (!(type[0] & 0x20) && !is(type, "IDAT")) {
                s.unknown_critical = true;
            }
            if (first && !is(type, "IHDR")) s.odd_ihdr = true;
            if (!past_eof && size - pos - 8 - length >= 4 &&
                crc32(crc32(0L, type, 4), body, length) != be32(body + length))
                s.bad_crc_before_idat = true;
        }
        if (is(type, "acTL") && length < 8 && !past_eof) s.short_actl = true;
        for (const char *t : {"tRNS", "gAMA", "cHRM", "sRGB", "pHYs", "iCCP", "tEXt", "zTXt", "iTXt", "fcTL", "fdAT"})
            if (is(type, t)) s.handled_chunk = true;
        if ((is(type, "fcTL") && !in_image && !after_image) || is(type, "fdAT") || is(type, "DDAT")) s.apng_data = true;
        if (past_eof) break;
        pos += 12 + std::size_t(length);
        if (pos > size) break;
    }
    if (color == 3 && plte_count == 0) s.odd_plte = true;
    const uint64_t expected = ihdr ? image_bytes(ihdr) : 0;
    if (!idat.empty() && expected && !exact_stream(idat, expected)) s.stream_not_exact = true;
    return s;
}

// ---------------------------------------------------------------- the documented differences
enum class Accepts { ours, libpng };
struct Difference {
    Accepts who;           // the decoder that accepts
    bool Scan::*feature;   // what the input shows
    const char *why;       // Pillow's behaviour
    unsigned long seen = 0;
};
Difference kDifferences[] = {
    {Accepts::ours, &Scan::stream_not_exact,
     "the zlib stream is not exactly the image: Pillow stops at the image's last byte (no Adler-32 "
     "or stream end needed, data after it ignored) and leaves rows black when it ends on a row boundary"},
    {Accepts::ours, &Scan::idat_cut_by_eof,
     "the file ends inside an IDAT (its data or CRC) after the image is complete: Pillow reads what is there"},
    {Accepts::ours, &Scan::odd_ihdr,
     "IHDR not first, repeated (the last wins), not 13 bytes, compression byte != 0 or interlace byte >= 2 "
     "(Adam7): Pillow accepts"},
    {Accepts::ours, &Scan::odd_plte,
     "PLTE missing, repeated (the last wins), empty, not whole entries or in a gray image: Pillow accepts "
     "(gray ramp for missing entries)"},
    {Accepts::ours, &Scan::unknown_critical, "an unknown critical chunk: Pillow skips it, libpng refuses"},
    {Accepts::ours, &Scan::type_digit_or_underscore, "a chunk type with digits or '_': Pillow's \\w takes them"},
    {Accepts::libpng, &Scan::bad_crc_before_idat, "a bad CRC before the image data: Pillow refuses (libpng told to ignore CRCs)"},
    {Accepts::libpng, &Scan::trailing_refused,
     "after the image is complete, a chunk (another IDAT too) running past the end of the file, or a bad "
     "IHDR: Pillow's load_end refuses; libpng does not read on"},
    {Accepts::libpng, &Scan::short_actl, "an acTL shorter than 8 bytes: Pillow refuses (\"APNG contains truncated "
     "acTL chunk\"); libpng ignores the chunk"},
    {Accepts::libpng, &Scan::handled_chunk,
     "a chunk Pillow's handler refuses (short tRNS/gAMA/sRGB/pHYs, cHRM not whole values, iCCP/zTXt "
     "method or over 1 MiB inflated, text over 64 MiB, fcTL/fdAT sequence or frame): libpng warns and skips it"},
    {Accepts::libpng, &Scan::stream_not_exact,
     "the stream is cut before its end: Pillow's ZipDecode asks zlib for a row per call only while input is "
     "left, and loses the rows zlib could still give without input; libpng finishes them"},
    {Accepts::ours, &Scan::apng_data,
     "APNG data: an fdAT starts or continues the image data, a DDAT continues it (Pillow's load_read)"},
};

unsigned long g_both_ok = 0, g_both_refused = 0;

void print_stats() {
    std::fprintf(stderr, "fuzz_png_differential: both accept %lu, both refuse %lu\n", g_both_ok, g_both_refused);
    for (const Difference &d : kDifferences)
        std::fprintf(stderr, "  %-6s only, %lu: %s\n", d.who == Accepts::ours ? "ours" : "libpng", d.seen, d.why);
}

[[noreturn]] void bug(const std::string &what) {
    std::fprintf(stderr, "fuzz_png_differential: %s\n", what.c_str());
    std::abort();
}

void explain(Accepts who, const Scan &s, const std::string &ours, const std::string &libpng) {
    for (Difference &d : kDifferences)
        if (d.who == who && s.*d.feature) return void(++d.seen);
    bug(who == Accepts::ours ? "ours accepts, libpng refuses (\"" + libpng + "\"), no documented reason"
                             : "libpng accepts, ours refuses (\"" + ours + "\"), no documented reason");
}

void compare(const Image &img, const Reference &r, uint32_t rows, const char *what) {
    if (uint32_t(img.width) != r.width || uint32_t(img.height) != r.height || img.channels != out_channels(r.color)) {
        if (rows == r.height)
            bug(std::string(what) + ": ours " + std::to_string(img.width) + "x" + std::to_string(img.height) + "x" +
                std::to_string(img.channels) + ", libpng " + std::to_string(r.width) + "x" + std::to_string(r.height) +
                "x" + std::to_string(out_channels(r.color)));
        return;  // a partial decode of another header (repeated IHDR): nothing to compare
    }
    const std::vector<uint8_t> expected = in_pillow_mode(r, rows);
    const auto diff = std::mismatch(expected.begin(), expected.end(), img.pixels.begin());
    if (diff.first != expected.end()) {
        const std::size_t i = std::size_t(diff.first - expected.begin()), row = std::size_t(r.width) * img.channels;
        bug(std::string(what) + ": pixels differ at row " + std::to_string(i / row) + ", byte " +
            std::to_string(i % row) + ": ours " + std::to_string(*diff.second) + ", libpng " +
            std::to_string(*diff.first) + " (depth " + std::to_string(r.depth) + ", colour type " +
            std::to_string(r.color) + ", interlace " + std::to_string(r.interlace) + ")");
    }
}

// Rewrites every whole chunk's CRC.
void repair_crcs(uint8_t *data, std::size_t size) {
    for (std::size_t pos = 8; size >= 8 && size - pos >= 12;) {
        const uint32_t length = be32(data + pos);
        if (length > size - pos - 12) return;
        const uLong crc = crc32(0L, data + pos + 4, 4 + length);
        const uint8_t bytes[4] = {uint8_t(crc >> 24), uint8_t(crc >> 16), uint8_t(crc >> 8), uint8_t(crc)};
        std::memcpy(data + pos + 8 + length, bytes, 4);
        pos += 12 + std::size_t(length);
    }
}

}  // namespace

// libFuzzer's; weak, so that the replay programs (no libFuzzer, never mutating) link without it.
extern "C" __attribute__((weak)) size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);

extern "C" size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed) {
    size = LLVMFuzzerMutate(data, size, max_size);
    if (seed % 8 != 0) repair_crcs(data, size);  // 1 in 8 keeps its broken CRCs
    return size;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, std::size_t size) {
    static const bool stats = [] {
        const char *env = std::getenv("DIGITINFER_PNGDIFF_STATS");
        if (env && *env == '1') std::atexit(print_stats);
        return true;
    }();
    (void)stats;
    if (!digitinfer::core::has_png_signature(data, size)) return 0;
    Image img;
    bool ours_ok = true;
    std::string ours_refusal;
    try {
        img = digitinfer::core::decode_png(data, size, kMaxPixels);
    } catch (const digitinfer::core::Failure &f) {
        ours_ok = false;
        ours_refusal = f.what();
    }
    Reference r;
    r.data = data;
    r.size = size;
    read_with_libpng(&r);
    // Pillow decodes the image data into the frame of an fcTL before it, libpng into the whole image.
    const bool comparable = !ours_ok || !scan(data, size).apng_data;
    if (ours_ok && r.ok) {
        ++g_both_ok;
        if (comparable) compare(img, r, r.height, "both accept");
    } else if (!ours_ok && !r.ok) {
        ++g_both_refused;
    } else {
        explain(ours_ok ? Accepts::ours : Accepts::libpng, scan(data, size), ours_refusal, r.refusal);
        if (ours_ok && r.rows_done > 0 && comparable) compare(img, r, r.rows_done, "rows libpng finished before refusing");
    }
    return 0;
}
