// PNG, read as Pillow 9.4 reads it (PngImagePlugin.py, ImageFile.load, ZipDecode.c),
// in Pillow's modes:
//   gray 1/2/4/8 bit  -> L, low depths scaled to 0..255 (Pillow's 1/L;2/L;4 unpackers)
//   gray 16 bit       -> Pillow mode I, which convert("L") clamps to [0, 255]
//   RGB, RGBA, gray+alpha 16 bit -> the high byte of each sample (Pillow's ;16B unpackers)
//   palette           -> RGB through Pillow's palette: a gray ramp whose first entries PLTE sets
// Alpha is kept (the grayscale stage ignores it). Adam7 interlacing is supported.
//
// What is accepted follows Pillow's reading order:
//  1. The chunks before the first IDAT: every type must be four of [A-Za-z0-9_] and every CRC
//     must match, ancillary chunks' too; unknown chunks, critical or not, are skipped; the last
//     IHDR wins; a PLTE counts when the IHDR read so far says palette.
//  2. The image data: the IDAT chunks' bytes, 64 KiB at a time (Pillow's block), through zlib,
//     unfiltered row by row straight into the image. Decoding stops as soon as the image is
//     complete: what follows is never inflated (so memory and work are bounded by the image),
//     and an Adler-32 that is missing there is never needed. A stream that ends on a row
//     boundary leaves the remaining rows at zero, as Pillow does. IDAT CRCs are not checked.
//  3. The chunks after the image: CRCs unchecked, an invalid type or the end of the file stops;
//     a chunk running past the end of the file, or a short IHDR, refuses (Pillow's load_end).
#include <libdeflate.h>
#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/failure.hpp"
#include "image/formats.hpp"
#include "image/png_rows.hpp"

namespace digitinfer::core {
namespace {

using png::Header;
using png::Palette;

[[noreturn]] void bad_png(const std::string &what) { fail(DI_ERR_DECODE, "cannot decode PNG: " + what); }

uint32_t be32(const uint8_t *p) { return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3]; }

bool is(const uint8_t *type, const char *name) { return std::memcmp(type, name, 4) == 0; }

// Pillow's is_cid: four bytes matching \w (ASCII letters, digits, underscore).
bool valid_type(const uint8_t *type) {
    return std::all_of(type, type + 4, [](uint8_t c) {
        return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
    });
}

std::string type_name(const uint8_t *type) {
    return valid_type(type) ? std::string(reinterpret_cast<const char *>(type), 4) : "with invalid type bytes";
}

// Pillow's _MODES: the (bit depth, colour type) pairs it opens.
bool known_mode(int depth, int color) {
    switch (color) {
        case 0: return depth == 1 || depth == 2 || depth == 4 || depth == 8 || depth == 16;
        case 3: return depth == 1 || depth == 2 || depth == 4 || depth == 8;
        case 2: case 4: case 6: return depth == 8 || depth == 16;
        default: return false;
    }
}

constexpr std::size_t kSignatureBytes = 8;

// What Pillow's _open learns from the chunks before the first IDAT.
struct Opened {
    Header header;
    Palette palette = png::gray_ramp_palette();
    std::size_t first_idat = 0;  // offset of the first IDAT chunk
    bool animated = false;       // Pillow's is_animated: an APNG of more than one frame
};

// Pillow's chunk_acTL: a frame count of 1 to 2^31 counts, a second acTL cancels the first.
struct AnimationControl {
    std::optional<uint32_t> frames;
    bool seen = false, frame_control_before_image = false;
    void read(const uint8_t *body, uint32_t length) {
        if (length < 8) bad_png("APNG contains truncated acTL chunk");
        const uint32_t n = be32(body);
        if (seen) frames.reset();
        else if (n != 0 && n <= 0x80000000u) frames = n;
        seen = true;
    }
    // Frames as Pillow counts them: an IDAT before any fcTL is a default image of its own.
    bool animated() const { return frames && (*frames > 1 || !frame_control_before_image); }
};

Opened read_header_chunks(const uint8_t *data, std::size_t size, std::size_t max_pixels) {
    Opened o;
    bool have_mode = false;
    const uint8_t *plte = nullptr;
    uint32_t plte_length = 0;
    AnimationControl animation;
    for (std::size_t pos = kSignatureBytes;;) {
        if (size - pos < 8) bad_png("truncated before the image data");
        const uint32_t length = be32(data + pos);
        const uint8_t *type = data + pos + 4, *body = data + pos + 8;
        if (!valid_type(type)) bad_png("a chunk has invalid type bytes");
        if (is(type, "IDAT")) {
            o.first_idat = pos;
            o.animated = animation.animated();
            break;
        }
        if (is(type, "IEND")) bad_png("no image data");
        if (length > size - pos - 8) bad_png("chunk " + type_name(type) + " is truncated");
        if (is(type, "IHDR")) {
            if (length < 13) bad_png("IHDR is shorter than 13 bytes");
            o.header.width = be32(body);
            o.header.height = be32(body + 4);
            if (known_mode(body[8], body[9])) {  // else Pillow keeps the mode it had
                o.header.depth = body[8];
                o.header.color = body[9];
                have_mode = true;
            }
            if (body[12]) o.header.interlaced = true;  // any nonzero method, and never reset
            if (body[11]) bad_png("unknown filter method " + std::to_string(body[11]));
        } else if (is(type, "PLTE") && have_mode && o.header.color == 3) {
            plte = body;
            plte_length = length;
        } else if (is(type, "acTL")) {
            animation.read(body, length);
        } else if (is(type, "fcTL")) {
            animation.frame_control_before_image = true;
        }
        if (size - pos - 8 - length < 4) bad_png("chunk " + type_name(type) + " has no checksum");
        const uLong crc = crc32(crc32(0L, type, 4), body, length);
        if (crc != be32(body + length)) bad_png("bad checksum in chunk " + type_name(type));
        pos += 12 + std::size_t(length);
    }
    const Header &h = o.header;
    if (!have_mode) bad_png("no IHDR with a supported bit depth and colour type");
    if (h.width == 0 || h.height == 0 || uint64_t(h.width) * h.height > max_pixels)
        bad_png("dimensions " + std::to_string(h.width) + "x" + std::to_string(h.height) +
                " are out of range (limit " + std::to_string(max_pixels) + " pixels)");
    if (plte) {  // Pillow's putpalette: whole entries, at most 256
        const std::size_t entries = plte_length / 3;
        if (entries > 256) bad_png("PLTE has more than 256 entries");
        std::memcpy(o.palette.data(), plte, entries * 3);
    }
    return o;
}

// The image data as Pillow's load_read hands it to the decoder: the bytes of consecutive IDAT
// chunks, at most 64 KiB at a time. Anything else before the image is complete is truncation.
class IdatPieces {
  public:
    IdatPieces(const uint8_t *data, std::size_t size, std::size_t first_idat) : data_(data), size_(size) {
        enter(first_idat);
    }

    // The next piece; false when the data ends (the caller decides what that means).
    bool next(const uint8_t *&piece, std::size_t &length) {
        while (left_ == 0) {
            if (chunk_end_ > size_ || size_ - chunk_end_ < 4 + 8) return false;  // CRC + next header
            const std::size_t header = chunk_end_ + 4;
            if (!valid_type(data_ + header + 4)) bad_png("a chunk has invalid type bytes");
            if (!is(data_ + header + 4, "IDAT")) return false;
            enter(header);
        }
        constexpr std::size_t kPillowBlock = 65536;  // ImageFile.MAXBLOCK
        length = std::min(left_, kPillowBlock);
        piece = data_ + pos_;
        pos_ += length;
        left_ -= length;
        return true;
    }

    // Where the current chunk's data ends, as declared (possibly past the end of the file).
    uint64_t chunk_end() const { return chunk_end_; }

  private:
    void enter(std::size_t header) {
        pos_ = header + 8;
        chunk_end_ = uint64_t(pos_) + be32(data_ + header);
        left_ = std::size_t(std::min<uint64_t>(chunk_end_, size_) - pos_);
    }

    const uint8_t *data_;
    std::size_t size_, pos_ = 0, left_ = 0;
    uint64_t chunk_end_ = 0;
};

// Pillow's load_end: the chunks after the image are read, not checked, except that one running
// past the end of the file, or an IHDR or acTL Pillow's handler refuses, fails the whole load.
// In an animated PNG the next frame's fcTL ends the first frame: nothing after it is read.
void read_trailing_chunks(const uint8_t *data, std::size_t size, uint64_t after_image, bool animated) {
    for (std::size_t pos = std::size_t(std::min<uint64_t>(after_image, size));;) {
        pos = std::min(pos + 4, size);  // the previous chunk's CRC
        if (size - pos < 8) return;
        const uint32_t length = be32(data + pos);
        const uint8_t *type = data + pos + 4, *body = data + pos + 8;
        if (!valid_type(type) || is(type, "IEND") || (animated && is(type, "fcTL"))) return;
        if (length > size - pos - 8) bad_png("chunk " + type_name(type) + " after the image data is truncated");
        if (is(type, "IHDR") && (length < 13 || body[11] != 0)) bad_png("bad IHDR after the image data");
        if (is(type, "acTL") && length < 8) bad_png("APNG contains truncated acTL chunk");
        pos += 8 + std::size_t(length);
    }
}

struct Pass {
    uint32_t x0, y0, dx, dy;
};
constexpr Pass kWhole[1] = {{0, 0, 1, 1}};
constexpr Pass kAdam7[7] = {{0, 0, 8, 8}, {4, 0, 8, 8}, {0, 4, 4, 8}, {2, 0, 4, 4}, {0, 2, 2, 4}, {1, 0, 2, 2}, {0, 1, 1, 2}};

uint32_t pass_size(uint32_t full, uint32_t start, uint32_t step) { return full > start ? (full - start + step - 1) / step : 0; }

// The sequence of scanlines (filter byte + row) of every pass, each unfiltered against the
// previous one and unpacked into its place in the image.
class Scanlines {
  public:
    Scanlines(const Header &h, const Palette &palette, Image &img)
        : h_(h), palette_(palette), img_(img), passes_(h.interlaced ? kAdam7 : kWhole),
          pass_count_(h.interlaced ? 7 : 1), prior_(h.row_bytes(h.width)) {
        next_pass();
    }

    bool done() const { return pass_ == pass_count_; }
    std::size_t line_size() const { return 1 + row_bytes_; }  // of the next scanline

    // Unfilters `line` (line_size() bytes) in place and stores its pixels.
    void take(uint8_t *line) {
        if (!png::unfilter(line[0], line + 1, prior_.data(), row_bytes_, h_.filter_bpp()))
            bad_png("bad filter type " + std::to_string(line[0]));
        const Pass &p = passes_[pass_];
        const std::size_t first =
            (std::size_t(p.y0 + y_ * p.dy) * h_.width + p.x0) * std::size_t(img_.channels);
        png::unpack(h_, palette_, line + 1, width_, &img_.pixels[first], p.dx);
        std::memcpy(prior_.data(), line + 1, row_bytes_);
        if (++y_ == height_) next_pass();
    }

    // Bytes of all scanlines together.
    uint64_t total_bytes() const {
        uint64_t total = 0;
        for (int i = 0; i < pass_count_; ++i) {
            const uint32_t w = pass_size(h_.width, passes_[i].x0, passes_[i].dx);
            const uint32_t rows = pass_size(h_.height, passes_[i].y0, passes_[i].dy);
            if (w && rows) total += uint64_t(rows) * (1 + h_.row_bytes(w));
        }
        return total;
    }

  private:
    void next_pass() {  // to the next pass that has pixels; its first row has a zero prior
        while (++pass_ < pass_count_) {
            const Pass &p = passes_[pass_];
            width_ = pass_size(h_.width, p.x0, p.dx);
            height_ = pass_size(h_.height, p.y0, p.dy);
            if (width_ && height_) break;
        }
        y_ = 0;
        row_bytes_ = done() ? 0 : h_.row_bytes(width_);
        std::fill(prior_.begin(), prior_.end(), 0);
    }

    const Header &h_;
    const Palette &palette_;
    Image &img_;
    const Pass *passes_;
    int pass_count_, pass_ = -1;
    uint32_t width_ = 0, height_ = 0, y_ = 0;
    std::size_t row_bytes_ = 0;
    std::vector<uint8_t> prior_;
};

class Inflater {
  public:
    Inflater() {
        if (inflateInit(&z_) != Z_OK) fail(DI_ERR_OUT_OF_MEMORY, "cannot allocate an inflater");
    }
    ~Inflater() { inflateEnd(&z_); }
    Inflater(const Inflater &) = delete;
    Inflater &operator=(const Inflater &) = delete;
    z_stream *operator->() { return &z_; }
    z_stream *get() { return &z_; }

  private:
    z_stream z_{};
};

// Inflates the image data into `lines` until the image is complete, or until the stream ends
// on a scanline boundary (Pillow leaves the rows not reached at zero). Output goes to a block of
// whole scanlines at a time (far fewer zlib calls than Pillow's one per row) but never past the
// image's last byte, so that what zlib reads at the end is what it reads under Pillow.
void inflate_image(IdatPieces &idat, Scanlines &lines, std::size_t widest_line) {
    constexpr std::size_t kBlock = std::size_t(256) << 10;
    const std::size_t capacity = std::max(kBlock, widest_line);
    const std::unique_ptr<uint8_t[]> buffer(new uint8_t[capacity]);  // not zeroed: written first
    uint64_t to_inflate = lines.total_bytes();
    std::size_t have = 0;  // inflated bytes in `buffer`, from a scanline's start
    Inflater z;
    const uint8_t *piece = nullptr;
    std::size_t piece_length = 0;
    while (idat.next(piece, piece_length)) {
        z->next_in = const_cast<Bytef *>(piece);
        z->avail_in = uInt(piece_length);
        while (z->avail_in > 0) {
            const std::size_t room = std::size_t(std::min<uint64_t>(capacity - have, to_inflate));
            z->next_out = buffer.get() + have;
            z->avail_out = uInt(room);
            const int status = inflate(z.get(), Z_NO_FLUSH);
            if (status < 0) bad_png(status == Z_MEM_ERROR ? "out of memory" : "corrupt image data");
            // zlib returns it again on every call, consuming nothing; Pillow never gets data and refuses.
            if (status == Z_NEED_DICT) bad_png("the image data needs a preset zlib dictionary");
            const std::size_t produced = room - z->avail_out;
            have += produced;
            to_inflate -= produced;
            std::size_t used = 0;
            while (!lines.done() && have - used >= lines.line_size()) {
                const std::size_t line = lines.line_size();
                lines.take(buffer.get() + used);
                used += line;
            }
            if (lines.done()) return;
            if (status == Z_STREAM_END) {
                // Pillow looks for the stream's end only after a row the same zlib call completed.
                if (produced > 0 && used == have) return;
                bad_png("truncated image data");
            }
            std::memmove(buffer.get(), buffer.get() + used, have - used);
            have -= used;
        }
    }
    bad_png("truncated image data");
}

// The usual file: its consecutive IDAT chunks, all inside the file, hold one zlib stream that
// inflates to exactly the image. libdeflate inflates it in one call, several times faster than
// zlib; Pillow accepts such a stream whole, so the result is the same. Returns false for anything
// else (and for images over 64 MiB of scanlines, kept to memory near the image's size), which the
// streaming path decides. `idat_end` is then where the last IDAT chunk ends.
bool inflate_whole(const uint8_t *data, std::size_t size, std::size_t first_idat, Scanlines &lines,
                   uint64_t &idat_end) {
    constexpr uint64_t kMostBytes = uint64_t(64) << 20;
    const uint64_t total = lines.total_bytes();
    if (total > kMostBytes) return false;
    thread_local std::vector<uint8_t> joined, raw;  // reused: no allocation per image
    const uint8_t *in = nullptr;
    std::size_t in_size = 0, pos = first_idat, count = 0;
    while (size - pos >= 12 && is(data + pos + 4, "IDAT")) {
        const uint32_t length = be32(data + pos);
        if (length > size - pos - 12) return false;
        const uint8_t *body = data + pos + 8;
        if (count++ == 0) {
            in = body;
            in_size = length;
        } else {  // split data: joined (rare; bounded by the file's size)
            if (count == 2) joined.assign(in, in + in_size);
            joined.insert(joined.end(), body, body + length);
        }
        pos += 12 + std::size_t(length);
    }
    if (count > 1) {
        in = joined.data();
        in_size = joined.size();
    }
    struct Free {
        void operator()(libdeflate_decompressor *d) const { libdeflate_free_decompressor(d); }
    };
    thread_local std::unique_ptr<libdeflate_decompressor, Free> inflater(libdeflate_alloc_decompressor());
    if (!inflater) return false;
    if (raw.size() < total) raw.resize(std::size_t(total));
    std::size_t got = 0;
    if (libdeflate_zlib_decompress(inflater.get(), in, in_size, raw.data(), std::size_t(total), &got) !=
            LIBDEFLATE_SUCCESS ||
        got != total)
        return false;
    for (uint8_t *line = raw.data(); !lines.done();) {
        const std::size_t n = lines.line_size();
        lines.take(line);
        line += n;
    }
    idat_end = pos - 4;
    return true;
}

}  // namespace

bool has_png_signature(const uint8_t *data, std::size_t size) {
    static const uint8_t signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    return size >= 8 && std::equal(signature, signature + 8, data);
}

Image decode_png(const uint8_t *data, std::size_t size, std::size_t max_pixels) {
    if (!has_png_signature(data, size)) bad_png("no PNG signature");
    const Opened o = read_header_chunks(data, size, max_pixels);
    const Header &h = o.header;
    Image img{int(h.width), int(h.height), h.out_channels(), {}};
    img.pixels.resize(std::size_t(h.width) * h.height * std::size_t(img.channels));
    // Rows a short stream does not reach keep index 0, which Pillow shows through the palette.
    if (h.color == 3 && (o.palette[0] || o.palette[1] || o.palette[2]))
        for (std::size_t i = 0; i < img.pixels.size(); i += 3) std::memcpy(&img.pixels[i], o.palette.data(), 3);
    Scanlines lines(h, o.palette, img);
    uint64_t image_end = 0;
    if (!inflate_whole(data, size, o.first_idat, lines, image_end)) {
        IdatPieces idat(data, size, o.first_idat);
        inflate_image(idat, lines, 1 + h.row_bytes(h.width));
        image_end = idat.chunk_end();
    }
    read_trailing_chunks(data, size, image_end, o.animated);
    return img;
}

}  // namespace digitinfer::core
