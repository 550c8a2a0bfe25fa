// RLE8 and RLE4 BMPs, expanded as Pillow 9.4's BmpRleDecoder (Python, in
// BmpImagePlugin.py) expands them, quirks included:
// - its column `x` only moves with the codes: a run is cut at the end of the
//   row `x` is in (to nothing once `x` is past it) and is not carried into the
//   next row; an absolute run is kept whole, wherever it ends, and counts
//   its full length in `x` even where RLE4 drops its odd last pixel (it reads
//   length / 2 bytes);
// - end of line pads the data to a whole row; delta reads two bytes it does
//   not use and takes right and up from the next two (fewer than two of those
//   is a Python error); after an absolute run the file position, counted from
//   the start of the file, is rounded up to even;
// - the data is complete once it has width x height pixels: an end of bitmap,
//   or the codes running out, before that is "not enough image data" (Pillow
//   9.4 refuses those files; it reads nothing past the last pixel).
// Work and memory: the codes once, and at most width x height pixels written,
// growing with the data (a file of codes that end early costs its own size).
#include <algorithm>
#include <utility>
#include <vector>

#include "image/bmp.hpp"

namespace digitinfer::core {
namespace {

// The decoder's `data`: the pixels in file order (bottom row first unless top-down), kept only up
// to the image's size; length() goes on counting, as Pillow's len(data) does.
class Pixels {
public:
    explicit Pixels(std::size_t total) : total_(total) {}
    void add(uint8_t value, std::size_t count) {
        const std::size_t kept = std::min(count, total_ - std::min(total_, length_));
        if (data_.size() + kept > data_.capacity())  // doubling, but never past the image
            data_.reserve(std::min(total_, std::max(2 * data_.capacity(), data_.size() + kept)));
        data_.insert(data_.end(), kept, value);
        length_ += count;
    }
    std::size_t length() const { return length_; }
    bool complete() const { return length_ >= total_; }
    std::vector<uint8_t> take() { return std::move(data_); }

private:
    std::size_t total_, length_ = 0;
    std::vector<uint8_t> data_;
};

}  // namespace

void decode_bmp_rle(const uint8_t *d, std::size_t size, const BmpLayout &l, GrayImage &out) {
    const std::size_t w = l.width, h = l.height;
    const bool rle4 = l.rle == 4;
    Pixels px(w * h);
    std::size_t pos = std::min(l.offset, size), x = 0;
    const auto left = [&] { return size - std::min(size, pos); };  // pos may pass the end (the even rounding)
    while (!px.complete()) {
        if (left() < 2) break;
        std::size_t count = d[pos];
        const uint8_t byte = d[pos + 1];
        pos += 2;
        if (count) {  // encoded mode: one byte (RLE4: two alternating nibbles), repeated
            if (x + count > w) count = x < w ? w - x : 0;
            if (!rle4) px.add(byte, count);
            for (std::size_t i = 0; rle4 && i < count; ++i) px.add(uint8_t(i % 2 ? byte & 15 : byte >> 4), 1);
            x += count;
        } else if (byte == 0) {  // end of line
            px.add(0, (w - px.length() % w) % w);
            x = 0;
        } else if (byte == 1) {  // end of bitmap
            break;
        } else if (byte == 2) {  // delta
            if (left() < 2) break;
            pos += 2;  // read and not used
            if (left() < 2) bmp_failure("RLE delta cut short (Pillow: not enough values to unpack)");
            px.add(0, d[pos] + std::size_t(d[pos + 1]) * w);
            pos += 2;
            x = px.length() % w;
        } else {  // absolute mode: `byte` pixels follow
            const std::size_t want = rle4 ? byte / 2 : byte, got = std::min(want, left());
            for (std::size_t i = 0; i < got; ++i) {
                if (rle4) {
                    px.add(d[pos + i] >> 4, 1);
                    px.add(d[pos + i] & 15, 1);
                } else {
                    px.add(d[pos + i], 1);
                }
            }
            pos += got;
            if (got < want) break;
            x += byte;
            pos += pos % 2;  // to a 16-bit boundary of the file
        }
    }
    if (!px.complete()) bmp_failure("not enough image data (the RLE codes end before the last pixel)");
    out.pixels = px.take();  // in place: the samples through the palette, then bottom-up rows flipped
    for (uint8_t &v : out.pixels) v = l.gray[v];
    for (std::size_t y = 0; !l.top_down && y < h / 2; ++y)
        std::swap_ranges(&out.pixels[y * w], &out.pixels[y * w] + w, &out.pixels[(h - 1 - y) * w]);
}

}  // namespace digitinfer::core
