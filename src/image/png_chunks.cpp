#include "image/png_chunks.hpp"

#include <zlib.h>

#include <algorithm>
#include <memory>

#include "common/failure.hpp"

namespace digitinfer::core::png {

void bad_png(const std::string &what) { fail(DI_ERR_DECODE, "cannot decode PNG: " + what); }

namespace {

// Pillow's _MODES: the (bit depth, colour type) pairs it opens.
bool known_mode(int depth, int color) {
    switch (color) {
        case 0: return depth == 1 || depth == 2 || depth == 4 || depth == 8 || depth == 16;
        case 3: return depth == 1 || depth == 2 || depth == 4 || depth == 8;
        case 2: case 4: case 6: return depth == 8 || depth == 16;
        default: return false;
    }
}

constexpr std::size_t kMaxTextChunk = std::size_t(1) << 20;       // Pillow's MAX_TEXT_CHUNK
constexpr std::size_t kMaxTextMemory = 64 * kMaxTextChunk;        // Pillow's MAX_TEXT_MEMORY
// Ours: Pillow inflates up to 1 MiB per iCCP chunk without a total; a few hundred bytes of
// chunk would buy a megabyte of work each. Past this total the file is refused.
constexpr std::size_t kMaxMetadataInflated = 2 * kMaxTextMemory;

const uint8_t *find_nul(const uint8_t *begin, const uint8_t *end) { return std::find(begin, end, uint8_t(0)); }

// Code points of strictly valid UTF-8 (Python's "strict" decoder), or nullopt.
std::optional<std::size_t> utf8_length(const uint8_t *p, const uint8_t *end) {
    std::size_t count = 0;
    while (p < end) {
        const uint8_t c = *p++;
        ++count;
        if (c < 0x80) continue;
        int more;
        uint8_t lo = 0x80, hi = 0xBF;  // the allowed range of the second byte
        if (c >= 0xC2 && c <= 0xDF) more = 1;
        else if (c >= 0xE0 && c <= 0xEF) more = 2, lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
        else if (c >= 0xF0 && c <= 0xF4) more = 3, lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
        else return std::nullopt;
        if (end - p < more || *p < lo || *p > hi) return std::nullopt;
        for (int i = 1; i < more; ++i)
            if (p[i] < 0x80 || p[i] > 0xBF) return std::nullopt;
        p += more;
    }
    return count;
}

}  // namespace

void Stream::handle(const uint8_t *type, const uint8_t *body, uint32_t length) {
    if (is(type, "IHDR")) return ihdr(body, length);
    if (is(type, "IDAT")) return void(image_data_seen_ = true);
    if (is(type, "PLTE")) {
        if (have_mode_ && header_.color == 3) plte_ = body, plte_length_ = length;
        return;
    }
    if (is(type, "tRNS")) return transparency(length);
    // struct.unpack on too few bytes (gAMA, cHRM: a whole number of 32-bit values), or Pillow's own length checks.
    if (is(type, "gAMA") && length < 4) bad_png("truncated gAMA chunk");
    if (is(type, "cHRM") && length % 4 != 0) bad_png("cHRM chunk of " + std::to_string(length) + " bytes");
    if (is(type, "sRGB") && length < 1) bad_png("truncated sRGB chunk");
    if (is(type, "pHYs") && length < 9) bad_png("truncated pHYs chunk");
    if (is(type, "tEXt")) return text(body, length);
    if (is(type, "zTXt")) return compressed_text(body, length);
    if (is(type, "iTXt")) return international_text(body, length);
    if (is(type, "iCCP")) return icc_profile(body, length);
    if (is(type, "acTL")) {  // a frame count of 1 to 2^31 counts, a second acTL cancels the first
        if (length < 8) bad_png("APNG contains truncated acTL chunk");
        const uint32_t n = be32(body);
        if (animation_control_seen_) frames_.reset();
        else if (n != 0 && n <= 0x80000000u) frames_ = n;
        animation_control_seen_ = true;
        return;
    }
    if (is(type, "fcTL")) return frame_control(body, length);
    if (is(type, "fdAT")) return frame_data(body, length);
}

void Stream::ihdr(const uint8_t *body, uint32_t length) {
    if (length < 13) bad_png("IHDR is shorter than 13 bytes");
    header_.width = be32(body);
    header_.height = be32(body + 4);
    if (known_mode(body[8], body[9])) {  // else Pillow keeps the mode it had
        header_.depth = body[8];
        header_.color = body[9];
        have_mode_ = true;
    }
    if (body[12]) header_.interlaced = true;  // any nonzero method, and never reset
    if (body[11]) bad_png("unknown filter method " + std::to_string(body[11]));
}

// Pillow reads one 16-bit value in modes 1, L and I, three in RGB (struct.error when short).
void Stream::transparency(uint32_t length) const {
    if (!have_mode_) return;
    const uint32_t need = header_.color == 0 ? 2 : header_.color == 2 ? 6 : 0;
    if (length < need) bad_png("tRNS chunk of " + std::to_string(length) + " bytes in a mode that needs " +
                               std::to_string(need));
}

void Stream::frame_control(const uint8_t *body, uint32_t length) {
    if (length < 26) bad_png("APNG contains truncated fcTL chunk");
    const uint32_t seq = be32(body);
    if (sequence_ ? uint64_t(*sequence_) + 1 != seq : seq != 0) bad_png("APNG contains frame sequence errors");
    sequence_ = seq;
    const uint64_t x0 = be32(body + 12), y0 = be32(body + 16);
    const uint64_t x1 = x0 + be32(body + 4), y1 = y0 + be32(body + 8);
    if (x1 > header_.width || y1 > header_.height) bad_png("APNG contains invalid frames");
    frame_ = Frame{uint32_t(x0), uint32_t(y0), uint32_t(x1), uint32_t(y1)};
    if (!image_data_seen_) frame_control_before_image_ = true;
}

void Stream::frame_data(const uint8_t *body, uint32_t length) {
    if (length < 4) bad_png("APNG contains truncated fdAT chunk");
    const uint32_t seq = be32(body);
    if (!sequence_ || uint64_t(*sequence_) + 1 != seq) bad_png("APNG contains frame sequence errors");
    sequence_ = seq;
    image_data_seen_ = true;
}

// Where the image data goes (Pillow's tile): the last fcTL's frame before the data, else all of it.
// A frame that starts and ends at x = 0 means the whole image to Pillow's decoder (decode.c).
Stream::Frame Stream::data_frame() const {
    if (!frame_ || (frame_->x0 == 0 && frame_->x1 == 0)) return Frame{0, 0, header_.width, header_.height};
    if (frame_->x1 <= frame_->x0 || frame_->y1 <= frame_->y0) bad_png("tile cannot extend outside image");
    return *frame_;
}

void Stream::add_text(std::size_t characters) {
    text_memory_ += characters;
    if (text_memory_ > kMaxTextMemory) bad_png("too much memory used in text chunks");
}

void Stream::text(const uint8_t *body, uint32_t length) {
    const uint8_t *end = body + length, *nul = find_nul(body, end);
    if (nul != body && nul != end) add_text(std::size_t(end - nul - 1));  // a key, and a value after it
}

void Stream::compressed_text(const uint8_t *body, uint32_t length) {
    const uint8_t *end = body + length, *nul = find_nul(body, end);
    if (nul == end || nul + 1 == end) return;  // no value: method 0, nothing inflated
    if (nul[1] != 0) bad_png("unknown compression method " + std::to_string(nul[1]) + " in zTXt chunk");
    const std::optional<std::size_t> n = inflate_metadata(nul + 2, std::size_t(end - nul - 2), "zTXt");
    if (nul != body) add_text(n.value_or(0));  // Latin-1: one character per byte
}

// Pillow inflates a compressed value first (refusing one over 1 MiB), then keeps the text only
// when the language, the translated key and the value are all valid UTF-8.
void Stream::international_text(const uint8_t *body, uint32_t length) {
    const uint8_t *end = body + length, *key_end = find_nul(body, end);
    if (end - key_end < 3) return;  // no NUL, or fewer than the two flag bytes after it
    const uint8_t compressed = key_end[1], method = key_end[2];
    const uint8_t *lang = key_end + 3, *lang_end = find_nul(lang, end);
    if (lang_end == end) return;
    const uint8_t *translated = lang_end + 1, *translated_end = find_nul(translated, end);
    if (translated_end == end) return;
    const uint8_t *value = translated_end + 1, *value_end = end;
    if (compressed != 0) {
        if (method != 0) return;
        const std::optional<std::size_t> n = inflate_metadata(value, std::size_t(end - value), "iTXt");
        if (!n) return;
        value = scratch_.get();
        value_end = value + *n;
    }
    if (!utf8_length(lang, lang_end) || !utf8_length(translated, translated_end)) return;
    if (const std::optional<std::size_t> characters = utf8_length(value, value_end)) add_text(*characters);
}

void Stream::icc_profile(const uint8_t *body, uint32_t length) {
    if (length == 0) bad_png("empty iCCP chunk");  // s[-1] on an empty string
    const uint8_t *end = body + length, *nul = find_nul(body, end);
    // Pillow reads the method at the NUL itself (so 0), or without a NUL at index -1: the last
    // byte, with the profile from byte 1.
    const uint8_t method = nul == end ? end[-1] : *nul;
    if (method != 0) bad_png("unknown compression method " + std::to_string(method) + " in iCCP chunk");
    const uint8_t *profile = nul == end ? body + 1 : std::min(nul + 2, end);
    inflate_metadata(profile, std::size_t(end - profile), "iCCP");
}

std::optional<std::size_t> Stream::inflate_metadata(const uint8_t *data, std::size_t size, const char *chunk) {
    if (!scratch_) scratch_.reset(new uint8_t[kMaxTextChunk]);
    z_stream z{};
    if (inflateInit(&z) != Z_OK) fail(DI_ERR_OUT_OF_MEMORY, "cannot allocate an inflater");
    z.next_in = const_cast<Bytef *>(data);
    z.avail_in = uInt(size);  // a chunk is under 4 GiB
    z.next_out = scratch_.get();
    z.avail_out = uInt(kMaxTextChunk);
    const int status = inflate(&z, Z_SYNC_FLUSH);
    const std::size_t produced = kMaxTextChunk - z.avail_out, left = z.avail_in;
    inflateEnd(&z);
    if (status != Z_OK && status != Z_STREAM_END && status != Z_BUF_ERROR) return std::nullopt;
    // Python's decompress(data, max_length) keeps what the limit left unread: Pillow refuses that.
    if (status != Z_STREAM_END && left > 0) bad_png(std::string("decompressed data too large in ") + chunk + " chunk");
    metadata_inflated_ += produced;
    if (metadata_inflated_ > kMaxMetadataInflated)
        bad_png("more than " + std::to_string(kMaxMetadataInflated >> 20) + " MiB of compressed metadata");
    return produced;
}

}  // namespace digitinfer::core::png
