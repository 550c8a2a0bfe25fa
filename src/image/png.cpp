// PNG, read as Pillow 9.4 reads it (PngImagePlugin.py, ImageFile.load, ZipDecode.c),
// in Pillow's modes:
//   gray 1/2/4/8 bit  -> L, low depths scaled to 0..255 (Pillow's 1/L;2/L;4 unpackers)
//   gray 16 bit       -> Pillow mode I, which convert("L") clamps to [0, 255]
//   RGB, RGBA, gray+alpha 16 bit -> the high byte of each sample (Pillow's ;16B unpackers)
//   palette           -> RGB through Pillow's palette: a gray ramp whose first entries PLTE sets
// Alpha is kept (the grayscale stage ignores it). Adam7 interlacing is supported.
//
// What is accepted follows Pillow's reading order; every chunk Pillow hands to a handler goes
// to png::Stream (png_chunks.cpp), which refuses what Pillow's handlers refuse:
//  1. The chunks before the image data: every type must be four of [A-Za-z0-9_] and every CRC
//     must match, ancillary chunks' too; unknown chunks, critical or not, are skipped; the last
//     IHDR wins; a PLTE counts when the IHDR read so far says palette; an fcTL's frame is where
//     the data goes; an fdAT (after its fcTL) starts the data as an IDAT does.
//  2. The image data: the bytes of consecutive IDAT, DDAT and fdAT chunks, 64 KiB at a time
//     (Pillow's block), through zlib, unfiltered row by row straight into the image. Decoding
//     stops as soon as the image is complete: what follows is never inflated (so memory and work
//     are bounded by the image), and an Adler-32 that is missing there is never needed. A stream
//     that ends on a row boundary leaves the remaining rows at zero, as Pillow does. IDAT CRCs
//     are not checked.
//  3. The chunks after the image: CRCs unchecked, an invalid type or the end of the file stops;
//     a chunk running past the end of the file, or one a handler refuses, refuses (load_end).
#include <libdeflate.h>
#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "common/failure.hpp"
#include "image/formats.hpp"
#include "image/grayscale.hpp"
#include "image/png_chunks.hpp"
#include "image/png_rows.hpp"

namespace digitinfer::core {
namespace {

using png::bad_png;
using png::be32;
using png::Header;
using png::is;
using png::Palette;

// Pillow's is_cid: four bytes matching \w (ASCII letters, digits, underscore).
bool valid_type(const uint8_t *type) {
    return std::all_of(type, type + 4, [](uint8_t c) {
        return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
    });
}

std::string type_name(const uint8_t *type) {
    return valid_type(type) ? std::string(reinterpret_cast<const char *>(type), 4) : "with invalid type bytes";
}

// Chunks whose data load_read takes as image data: IDAT, DDAT, and fdAT after its sequence number.
bool is_image_data(const uint8_t *type) { return is(type, "IDAT") || is(type, "DDAT") || is(type, "fdAT"); }

constexpr std::size_t kSignatureBytes = 8;

// What Pillow's _open learns from the chunks before the image data.
struct Opened {
    Header header;
    Palette palette = png::gray_ramp_palette();
    png::Stream::Frame frame{};  // where the image data goes in the image
    std::size_t first_data = 0;  // offset of the first IDAT (or fdAT) chunk
    bool animated = false;       // Pillow's is_animated: an APNG of more than one frame
};

Opened read_header_chunks(const uint8_t *data, std::size_t size, std::size_t max_pixels, png::Stream &stream) {
    Opened o;
    for (std::size_t pos = kSignatureBytes;;) {
        if (size - pos < 8) bad_png("truncated before the image data");
        const uint32_t length = be32(data + pos);
        const uint8_t *type = data + pos + 4, *body = data + pos + 8;
        if (!valid_type(type)) bad_png("a chunk has invalid type bytes");
        if (is(type, "IEND")) bad_png("no image data");
        const bool image_data = is(type, "IDAT") || is(type, "fdAT");  // chunk_fdAT ends in chunk_IDAT
        const uint32_t readable = image_data ? std::min<uint32_t>(length, 4) : length;  // fdAT's sequence number
        if (readable > size - pos - 8) bad_png("chunk " + type_name(type) + " is truncated");
        stream.handle(type, body, length);
        if (image_data) {
            o.first_data = pos;
            o.animated = stream.animated();
            break;
        }
        if (size - pos - 8 - length < 4) bad_png("chunk " + type_name(type) + " has no checksum");
        const uLong crc = crc32(crc32(0L, type, 4), body, length);
        if (crc != be32(body + length)) bad_png("bad checksum in chunk " + type_name(type));
        pos += 12 + std::size_t(length);
    }
    o.header = stream.header();
    const Header &h = o.header;
    if (!stream.have_mode()) bad_png("no IHDR with a supported bit depth and colour type");
    if (h.width == 0 || h.height == 0 || uint64_t(h.width) * h.height > max_pixels)
        bad_png("dimensions " + std::to_string(h.width) + "x" + std::to_string(h.height) +
                " are out of range (limit " + std::to_string(max_pixels) + " pixels)");
    o.frame = stream.data_frame();
    if (stream.palette()) {  // Pillow's putpalette: whole entries, at most 256
        const std::size_t entries = stream.palette_length() / 3;
        if (entries > 256) bad_png("PLTE has more than 256 entries");
        std::memcpy(o.palette.data(), stream.palette(), entries * 3);
    }
    return o;
}

// The image data as Pillow's load_read hands it to the decoder: the bytes of consecutive IDAT,
// DDAT or fdAT chunks (an fdAT's after its sequence number, which Pillow's handler checks), at
// most 64 KiB at a time. Any other chunk before the image is complete is truncation.
class ImageDataPieces {
  public:
    ImageDataPieces(const uint8_t *data, std::size_t size, std::size_t first, png::Stream &stream)
        : data_(data), size_(size), stream_(stream) {
        enter(first);
    }

    // The next piece; false when the data ends (the caller decides what that means).
    bool next(const uint8_t *&piece, std::size_t &length) {
        while (left_ == 0) {
            if (chunk_end_ > size_ || size_ - chunk_end_ < 4 + 8) return false;  // CRC + next header
            const std::size_t header = chunk_end_ + 4;
            const uint8_t *type = data_ + header + 4;
            if (!valid_type(type)) bad_png("a chunk has invalid type bytes");
            if (!is_image_data(type)) return false;
            if (is(type, "fdAT")) {
                if (be32(data_ + header) >= 4 && size_ - header - 8 < 4) bad_png("chunk fdAT is truncated");
                stream_.handle(type, data_ + header + 8, be32(data_ + header));
            }
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
        const bool frame_data = is(data_ + header + 4, "fdAT");  // its length is at least 4: handled
        pos_ = header + 8 + (frame_data ? 4 : 0);
        chunk_end_ = uint64_t(header) + 8 + be32(data_ + header);
        left_ = std::size_t(std::min<uint64_t>(chunk_end_, size_) - pos_);
    }

    const uint8_t *data_;
    std::size_t size_, pos_ = 0, left_ = 0;
    uint64_t chunk_end_ = 0;
    png::Stream &stream_;
};

// Pillow's load_end: the chunks after the image go to the same handlers, CRCs unchecked; one
// running past the end of the file, or one a handler refuses, fails the whole load. In an
// animated PNG the next frame's fcTL ends the first frame: nothing after it is read.
void read_trailing_chunks(const uint8_t *data, std::size_t size, uint64_t after_image, bool animated,
                          png::Stream &stream) {
    for (std::size_t pos = std::size_t(std::min<uint64_t>(after_image, size));;) {
        pos = std::min(pos + 4, size);  // the previous chunk's CRC
        if (size - pos < 8) return;
        const uint32_t length = be32(data + pos);
        const uint8_t *type = data + pos + 4, *body = data + pos + 8;
        if (!valid_type(type) || is(type, "IEND") || (animated && is(type, "fcTL"))) return;
        if (length > size - pos - 8) bad_png("chunk " + type_name(type) + " after the image data is truncated");
        stream.handle(type, body, length);
        pos += 8 + std::size_t(length);
    }
}

struct Pass {
    uint32_t x0, y0, dx, dy;
};
constexpr Pass kWhole[1] = {{0, 0, 1, 1}};
constexpr Pass kAdam7[7] = {{0, 0, 8, 8}, {4, 0, 8, 8}, {0, 4, 4, 8}, {2, 0, 4, 4}, {0, 2, 2, 4}, {1, 0, 2, 2}, {0, 1, 1, 2}};

uint32_t pass_size(uint32_t full, uint32_t start, uint32_t step) { return full > start ? (full - start + step - 1) / step : 0; }

// The sequence of scanlines (filter byte + row) of every pass of the frame the image data
// fills (Pillow's tile: usually the whole image), each unfiltered against the previous one and
// stored in its place in the image: unpacked into the colour image, or (non-interlaced only)
// converted straight to gray, a row at a time, as convert("L") would convert the colour image.
class Scanlines {
  public:
    Scanlines(const Header &frame, uint32_t x_offset, uint32_t y_offset, const Palette &palette, Image &img)
        : Scanlines(frame, x_offset, y_offset, palette, img.width, img.channels, img.pixels.data()) {}
    Scanlines(const Header &frame, uint32_t x_offset, uint32_t y_offset, const Palette &palette, GrayImage &gray)
        : Scanlines(frame, x_offset, y_offset, palette, gray.width, 1, gray.pixels.data()) {
        to_gray_ = true;
        if (frame.depth != 8 || frame.color == 3) unpacked_.resize(std::size_t(frame.width) * std::size_t(frame.out_channels()));
    }

    bool done() const { return pass_ == pass_count_; }
    std::size_t line_size() const { return 1 + row_bytes_; }  // of the next scanline
    std::size_t widest_line_bytes() const { return 1 + prior_copy_.size(); }  // of any pass

    // Unfilters `line` (line_size() bytes) in place and stores its pixels. The line is the
    // next one's prior until detach(): the caller keeps it in place until then.
    void take(uint8_t *line) {
        if (!png::unfilter(line[0], line + 1, prior_, row_bytes_, h_.filter_bpp()))
            bad_png("bad filter type " + std::to_string(line[0]));
        const Pass &p = passes_[pass_];
        const std::size_t first = (std::size_t(y_offset_ + p.y0 + y_ * p.dy) * std::size_t(out_width_) +
                                   x_offset_ + p.x0) * std::size_t(out_channels_);
        if (!to_gray_) {
            png::unpack(h_, palette_, line + 1, width_, out_ + first, p.dx);
        } else if (unpacked_.empty()) {  // 8-bit L, LA, RGB, RGBA: the row is the pixels
            gray_row(line + 1, width_, h_.out_channels(), out_ + first);
        } else {
            png::unpack(h_, palette_, line + 1, width_, unpacked_.data(), 1);
            gray_row(unpacked_.data(), width_, h_.out_channels(), out_ + first);
        }
        prior_ = line + 1;
        if (++y_ == height_) next_pass();
    }

    // Copies the prior row out of the caller's buffer (before the caller moves or reuses it).
    void detach() {
        if (prior_ != prior_copy_.data()) std::memcpy(prior_copy_.data(), prior_, row_bytes_);
        prior_ = prior_copy_.data();
    }

    // Bytes of all scanlines together, and of the last one.
    uint64_t total_bytes() const {
        uint64_t total = 0;
        for (int i = 0; i < pass_count_; ++i) total += uint64_t(rows(i)) * line_bytes(i);
        return total;
    }
    std::size_t last_line_bytes() const {
        for (int i = pass_count_ - 1; i >= 0; --i)
            if (rows(i)) return line_bytes(i);
        return 0;
    }

  private:
    Scanlines(const Header &frame, uint32_t x_offset, uint32_t y_offset, const Palette &palette, int out_width,
              int out_channels, uint8_t *out)
        : h_(frame), x_offset_(x_offset), y_offset_(y_offset), palette_(palette), out_width_(out_width),
          out_channels_(out_channels), out_(out), passes_(frame.interlaced ? kAdam7 : kWhole),
          pass_count_(frame.interlaced ? 7 : 1), prior_copy_(frame.row_bytes(frame.width)) {
        next_pass();
    }

    uint32_t columns(int pass) const { return pass_size(h_.width, passes_[pass].x0, passes_[pass].dx); }
    uint32_t rows(int pass) const { return columns(pass) ? pass_size(h_.height, passes_[pass].y0, passes_[pass].dy) : 0; }
    std::size_t line_bytes(int pass) const { return 1 + h_.row_bytes(columns(pass)); }

    void next_pass() {  // to the next pass that has pixels; its first row has a zero prior
        while (++pass_ < pass_count_) {
            width_ = columns(pass_);
            height_ = rows(pass_);
            if (height_) break;
        }
        y_ = 0;
        row_bytes_ = done() ? 0 : h_.row_bytes(width_);
        std::fill(prior_copy_.begin(), prior_copy_.end(), 0);
        prior_ = prior_copy_.data();
    }

    const Header h_;
    const uint32_t x_offset_, y_offset_;
    const Palette &palette_;
    const int out_width_, out_channels_;
    uint8_t *const out_;
    bool to_gray_ = false;
    std::vector<uint8_t> unpacked_;  // a row in the colour layout, when it is not the row itself
    const Pass *passes_;
    int pass_count_, pass_ = -1;
    uint32_t width_ = 0, height_ = 0, y_ = 0;
    std::size_t row_bytes_ = 0;
    std::vector<uint8_t> prior_copy_;
    const uint8_t *prior_ = nullptr;
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
// on a scanline boundary (Pillow leaves the rows not reached at zero). Pillow's ZipDecode asks
// zlib for one scanline per call and calls only while input is left: when the input runs out,
// the output zlib could still give without it (a match running on, bits it holds) is lost.
// So a stream cut a few bytes before its end is refused when the input is gone before the last
// scanline starts, although zlib alone would finish the image. Here output goes to a block of
// whole scanlines at a time (far fewer zlib calls), never past the image's last byte, and each
// call stops where the last scanline starts: if the input is used up there, so was Pillow's.
void inflate_image(ImageDataPieces &pieces, Scanlines &lines) {
    constexpr std::size_t kBlock = std::size_t(256) << 10;
    const std::size_t capacity = std::max(kBlock, lines.widest_line_bytes());
    const std::unique_ptr<uint8_t[]> buffer(new uint8_t[capacity]);  // not zeroed: written first
    const uint64_t total = lines.total_bytes(), last_line_start = total - lines.last_line_bytes();
    uint64_t inflated = 0;
    std::size_t have = 0;  // inflated bytes in `buffer`, from a scanline's start
    Inflater z;
    const uint8_t *piece = nullptr;
    std::size_t piece_length = 0;
    while (pieces.next(piece, piece_length)) {
        z->next_in = const_cast<Bytef *>(piece);
        z->avail_in = uInt(piece_length);
        while (z->avail_in > 0) {
            const uint64_t until = inflated < last_line_start ? last_line_start : total;
            const std::size_t room = std::size_t(std::min<uint64_t>(capacity - have, until - inflated));
            z->next_out = buffer.get() + have;
            z->avail_out = uInt(room);
            const int status = inflate(z.get(), Z_NO_FLUSH);
            if (status < 0) bad_png(status == Z_MEM_ERROR ? "out of memory" : "corrupt image data");
            // zlib returns it again on every call, consuming nothing; Pillow never gets data and refuses.
            if (status == Z_NEED_DICT) bad_png("the image data needs a preset zlib dictionary");
            const std::size_t produced = room - z->avail_out;
            have += produced;
            inflated += produced;
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
            lines.detach();
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
    if (total > kMostBytes || !is(data + first_idat + 4, "IDAT")) return false;
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

namespace {

// The image data and the chunks after it, into `lines` (whose frame the header chunks gave).
void read_image_data(const uint8_t *data, std::size_t size, const Opened &o, png::Stream &stream, Scanlines &lines) {
    uint64_t image_end = 0;
    if (!inflate_whole(data, size, o.first_data, lines, image_end)) {
        ImageDataPieces pieces(data, size, o.first_data, stream);
        inflate_image(pieces, lines);
        image_end = pieces.chunk_end();
    }
    read_trailing_chunks(data, size, image_end, o.animated, stream);
}

Header frame_header(const Opened &o) {
    Header frame = o.header;
    frame.width = o.frame.x1 - o.frame.x0;
    frame.height = o.frame.y1 - o.frame.y0;
    return frame;
}

}  // namespace

Image decode_png(const uint8_t *data, std::size_t size, std::size_t max_pixels) {
    if (!has_png_signature(data, size)) bad_png("no PNG signature");
    png::Stream stream;
    const Opened o = read_header_chunks(data, size, max_pixels, stream);
    const Header &h = o.header;
    Image img{int(h.width), int(h.height), h.out_channels(), {}};
    img.pixels.resize(std::size_t(h.width) * h.height * std::size_t(img.channels));
    // Pixels the data does not reach keep index 0, which Pillow shows through the palette.
    if (h.color == 3 && (o.palette[0] || o.palette[1] || o.palette[2]))
        for (std::size_t i = 0; i < img.pixels.size(); i += 3) std::memcpy(&img.pixels[i], o.palette.data(), 3);
    Scanlines lines(frame_header(o), o.frame.x0, o.frame.y0, o.palette, img);
    read_image_data(data, size, o, stream, lines);
    return img;
}

GrayImage decode_png_gray(const uint8_t *data, std::size_t size, std::size_t max_pixels) {
    if (!has_png_signature(data, size)) bad_png("no PNG signature");
    png::Stream stream;
    const Opened o = read_header_chunks(data, size, max_pixels, stream);
    const Header &h = o.header;
    // Adam7 fills each row in several passes: through the colour image.
    if (h.interlaced) return to_grayscale(decode_png(data, size, max_pixels));
    uint8_t background = 0;  // index 0 through the palette, where the data does not reach
    if (h.color == 3) gray_row(o.palette.data(), 1, 3, &background);
    GrayImage gray{int(h.width), int(h.height), {}};
    gray.pixels.assign(std::size_t(h.width) * h.height, background);
    Scanlines lines(frame_header(o), o.frame.x0, o.frame.y0, o.palette, gray);
    read_image_data(data, size, o, stream, lines);
    return gray;
}

}  // namespace digitinfer::core
