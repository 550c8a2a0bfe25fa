// GIF: the first frame, decoded as Pillow 9.4 decodes it (GifImagePlugin and
// libImaging/GifDecode.c), straight to 8-bit gray.
// - The canvas is the logical screen, filled with the first frame's
//   transparent index (or index 0); the frame's pixels are written into it;
//   convert("L") then maps each index through the frame's palette (the local
//   one, else the global one; indices past it, or no palette, are their own
//   gray value), transparency ignored.
// - Pillow reads the data after the LZW code size as sub-blocks up to the end
//   of the file, 64 KiB at a time: a zero-length sub-block is just empty, a
//   sub-block is used only once all of it is there, and the frame is done when
//   its last pixel is written. Running out of data before that, or reaching
//   an end code when nothing is left to read, is "image file is truncated".
// Work and memory: one byte per screen pixel, and the file's bytes once.
#include <algorithm>
#include <array>
#include <string>

#include "common/failure.hpp"
#include "image/formats.hpp"
#include "image/grayscale.hpp"

namespace digitinfer::core {
namespace {

constexpr std::size_t kPillowReadBlock = 65536;  // ImageFile.MAXBLOCK
constexpr int kMaxCodeBits = 12, kTableSize = 1 << kMaxCodeBits;

[[noreturn]] void gif_failure(const std::string &what) { fail(DI_ERR_DECODE, "cannot decode GIF: " + what); }
[[noreturn]] void truncated() { gif_failure("file truncated (image data missing)"); }

// The header walk of GifImagePlugin._open and _seek(0), up to the first frame's LZW data.
struct FirstFrame {
    std::size_t screen_width = 0, screen_height = 0;
    std::size_t left = 0, top = 0, width = 0, height = 0;
    bool interlaced = false;
    int transparent = -1;             // the canvas's fill index: the transparent one, else 0
    const uint8_t *palette = nullptr;  // the frame's palette (none: indices are gray values)
    std::size_t palette_entries = 0;
    int code_bits = 0;       // LZW minimum code size
    std::size_t data = 0;    // offset of the sub-blocks
};

// A palette made of entries (i, i, i) is no palette for Pillow (_is_palette_needed).
bool gray_ramp(const uint8_t *p, std::size_t entries) {
    for (std::size_t i = 0; i < entries; ++i)
        if (p[3 * i] != i || p[3 * i + 1] != i || p[3 * i + 2] != i) return false;
    return true;
}

FirstFrame read_header(const uint8_t *d, std::size_t size) {
    if (size < 13 || !looks_like_gif(d, size)) gif_failure("not a GIF file");
    FirstFrame f;
    f.screen_width = le16(d + 6);
    f.screen_height = le16(d + 8);
    std::size_t pos = 13;
    const uint8_t *global = nullptr;
    std::size_t global_entries = 0;
    if (d[10] & 0x80) {
        global_entries = std::size_t(2) << (d[10] & 7);
        if (size - pos < 3 * global_entries) gif_failure("file truncated in its palette");
        if (!gray_ramp(d + pos, global_entries)) global = d + pos;
        pos += 3 * global_entries;
    }
    // GifImageFile.data(): one sub-block, or none at a zero length or the end.
    auto sub_block = [&](std::size_t &length) {
        if (pos >= size || d[pos] == 0) {
            pos += pos < size;
            return static_cast<const uint8_t *>(nullptr);
        }
        const uint8_t *block = d + pos + 1;
        length = std::min<std::size_t>(d[pos], size - pos - 1);
        pos += 1 + length;
        return block;
    };
    auto skip_sub_blocks = [&] {
        std::size_t n = 0;
        while (sub_block(n)) {
        }
    };
    while (pos < size && d[pos] != ';') {
        const uint8_t tag = d[pos++];
        if (tag == '!') {
            if (pos >= size) gif_failure("file truncated in an extension");
            const uint8_t label = d[pos++];
            std::size_t n = 0;
            const uint8_t *block = sub_block(n);
            if (label == 0xF9) {  // graphic control: flags, delay (2), transparent index
                if (!block || n < 3 || ((block[0] & 1) && n < 4)) gif_failure("bad graphic control extension");
                f.transparent = block[0] & 1 ? block[3] : -1;
            } else if (label == 0xFE) {  // comment: its sub-blocks are read here
                while (block) block = sub_block(n);
                continue;
            } else if (label == 0xFF) {
                if (!block) gif_failure("bad application extension");
                if (n >= 11 && std::equal(block, block + 11, "NETSCAPE2.0") && !sub_block(n))
                    gif_failure("bad NETSCAPE2.0 extension");
            }
            skip_sub_blocks();
        } else if (tag == ',') {
            if (size - pos < 9) gif_failure("file truncated in the image descriptor");
            f.left = le16(d + pos);
            f.top = le16(d + pos + 2);
            f.width = le16(d + pos + 4);
            f.height = le16(d + pos + 6);
            const uint8_t flags = d[pos + 8];
            pos += 9;
            f.interlaced = flags & 0x40;
            f.palette = global;
            f.palette_entries = global_entries;
            if (flags & 0x80) {
                const std::size_t entries = std::size_t(2) << (flags & 7);
                if (size - pos < 3 * entries) truncated();
                f.palette = gray_ramp(d + pos, entries) ? nullptr : d + pos;
                f.palette_entries = entries;
                pos += 3 * entries;
            }
            if (pos >= size) truncated();
            f.code_bits = d[pos];
            f.data = pos + 1;
            return f;
        }  // any other byte is skipped, as Pillow does
    }
    gif_failure("no image in the file");
}

// GifDecode.c's LZW decoder over Pillow's reads, writing rows of the frame
// (interlaced passes in their order). Returns when the last pixel is written.
class FrameDecoder {
public:
    FrameDecoder(const uint8_t *data, std::size_t size, const FirstFrame &f, GrayImage &canvas)
        : d_(data), size_(size), pos_(f.data), available_(std::min(size, f.data + kPillowReadBlock)), f_(f),
          canvas_(canvas), step_(f.interlaced ? 8 : 1), pass_(f.interlaced ? 1 : 0) {}

    void run(int bits) {
        if (bits < 0 || bits > kMaxCodeBits) gif_failure("bad LZW code size " + std::to_string(bits));
        const int clear = 1 << bits, end = clear + 1;
        int next = 0, code_size = 0, last_code = 0;
        uint8_t last_data = 0;
        bool first = true;  // the first code after a clear
        auto reset = [&] {
            next = clear + 2;
            code_size = bits + 1;
            first = true;
        };
        reset();
        std::array<uint8_t, kTableSize> suffix{}, string{};
        std::array<uint16_t, kTableSize> prefix{};
        for (;;) {
            int c = read_code(code_size);
            if (c == clear) {
                if (!first) reset();
                continue;
            }
            if (c == end) {  // Pillow's decoder returns; the next read finds nothing when the file has ended
                if (available_ == size_) truncated();
                available_ = std::min(size_, available_ + kPillowReadBlock);
                continue;
            }
            std::size_t length = 0, start = string.size();
            if (first) {
                if (c > clear) gif_failure("corrupt LZW data");
                last_data = uint8_t(c);
                last_code = c;
                first = false;
                string[--start] = last_data;
            } else {
                const int this_code = c;
                if (c > next) gif_failure("corrupt LZW data");
                if (c == next) {
                    string[--start] = last_data;
                    c = last_code;
                }
                while (c >= clear) {
                    if (start == 0 || c >= kTableSize) gif_failure("corrupt LZW data");
                    string[--start] = suffix[std::size_t(c)];
                    c = prefix[std::size_t(c)];
                }
                last_data = uint8_t(c);
                if (start == 0) gif_failure("corrupt LZW data");
                string[--start] = last_data;
                if (next < kTableSize) {
                    suffix[std::size_t(next)] = last_data;
                    prefix[std::size_t(next)] = uint16_t(last_code);
                    if (next == (1 << code_size) - 1 && code_size < kMaxCodeBits) ++code_size;
                    ++next;
                }
                last_code = this_code;
            }
            length = string.size() - start;
            for (std::size_t i = 0; i < length; ++i)
                if (put(string[start + i])) return;
        }
    }

private:
    // Pillow's sub-block reader: a block is used only when all of it has been read.
    int read_code(int code_size) {
        while (bit_count_ < code_size) {
            if (block_left_ == 0) {
                while (pos_ >= available_ || available_ - pos_ < std::size_t(d_[pos_]) + 1u) {
                    if (available_ == size_) truncated();
                    available_ = std::min(size_, available_ + kPillowReadBlock);
                }
                block_left_ = d_[pos_++];
                continue;
            }
            bits_ |= uint32_t(d_[pos_++]) << bit_count_;
            bit_count_ += 8;
            --block_left_;
        }
        const int c = int(bits_ & ((1u << code_size) - 1));
        bits_ >>= code_size;
        bit_count_ -= code_size;
        return c;
    }

    // Writes one pixel; true when it was the frame's last.
    bool put(uint8_t index) {
        canvas_.pixels[(f_.top + y_) * canvas_width() + f_.left + x_] = index;
        if (++x_ < f_.width) return false;
        x_ = 0;
        y_ += step_;
        while (y_ >= f_.height) {  // the next interlace pass, as NEWLINE does
            if (pass_ == 1) {
                y_ = 4;
                pass_ = 2;
            } else if (pass_ == 2) {
                step_ = 4;
                y_ = 2;
                pass_ = 3;
            } else if (pass_ == 3) {
                step_ = 2;
                y_ = 1;
                pass_ = 0;
            } else {
                return true;
            }
        }
        return false;
    }
    std::size_t canvas_width() const { return std::size_t(canvas_.width); }

    const uint8_t *d_;
    std::size_t size_, pos_, available_;
    const FirstFrame &f_;
    GrayImage &canvas_;
    std::size_t x_ = 0, y_ = 0, step_;
    int pass_;
    uint32_t bits_ = 0;
    int bit_count_ = 0;
    std::size_t block_left_ = 0;
};

// The gray value convert("L") gives each index: the palette entry's luma, or the index itself.
std::array<uint8_t, 256> index_to_gray(const FirstFrame &f) {
    Image ramp{256, 1, 3, std::vector<uint8_t>(3 * 256)};
    for (std::size_t i = 0; i < 256; ++i)
        for (std::size_t c = 0; c < 3; ++c)
            ramp.pixels[3 * i + c] = f.palette && i < f.palette_entries ? f.palette[3 * i + c] : uint8_t(i);
    const GrayImage gray = to_grayscale(std::move(ramp));
    std::array<uint8_t, 256> lut{};
    std::copy(gray.pixels.begin(), gray.pixels.end(), lut.begin());
    return lut;
}

}  // namespace

bool looks_like_gif(const uint8_t *data, std::size_t size) {
    return size >= 6 && (std::equal(data, data + 6, "GIF87a") || std::equal(data, data + 6, "GIF89a"));
}

GrayImage decode_gif(const uint8_t *data, std::size_t size, std::size_t max_pixels) {
    const FirstFrame f = read_header(data, size);
    const std::size_t w = f.screen_width, h = f.screen_height;
    if (w == 0 || h == 0 || w * h > max_pixels)
        gif_failure("dimensions " + std::to_string(w) + "x" + std::to_string(h) + " are out of range (limit " +
                    std::to_string(max_pixels) + " pixels)");
    // Pillow grows the image to a frame larger than the screen; we do not support that.
    if (f.left + f.width > w || f.top + f.height > h) gif_failure("the first frame is larger than the screen");
    if (f.width == 0 || f.height == 0) gif_failure("the first frame is empty");
    GrayImage canvas{int(w), int(h), std::vector<uint8_t>(w * h, uint8_t(f.transparent < 0 ? 0 : f.transparent))};
    FrameDecoder(data, size, f, canvas).run(f.code_bits);
    const auto lut = index_to_gray(f);
    for (uint8_t &v : canvas.pixels) v = lut[v];
    return canvas;
}

}  // namespace digitinfer::core
