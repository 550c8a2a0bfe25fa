// GIF transparency, the Pillow way. stb_image turns pixels of the transparent
// palette index into (0, 0, 0, 0); Pillow keeps the index, and convert("L")
// then takes the luma of that palette entry's colour. So we read the first
// frame's transparent index and palette from the file and put the colour back.
#include <optional>

#include "decode.hpp"

namespace digitinfer {
namespace {

struct Rgb {
    uint8_t r, g, b;
};

// A bounds-checked cursor over the file; reading past the end yields nullopt.
class Reader {
public:
    Reader(const uint8_t *data, std::size_t size) : data_(data), size_(size) {}
    bool skip(std::size_t n) {
        if (n > size_ - pos_) return false;
        pos_ += n;
        return true;
    }
    std::optional<uint8_t> byte() { return pos_ < size_ ? std::optional<uint8_t>(data_[pos_++]) : std::nullopt; }
    const uint8_t *here() const { return data_ + pos_; }
    // Skips a chain of data sub-blocks up to the zero-length terminator.
    bool skip_sub_blocks() {
        for (auto len = byte(); len; len = byte())
            if (*len == 0 || !skip(*len)) return *len == 0;
        return false;
    }

private:
    const uint8_t *data_;
    std::size_t size_, pos_ = 0;
};

std::optional<Rgb> first_frame_transparent_color(const uint8_t *data, std::size_t size) {
    Reader in(data, size);
    if (!in.skip(10)) return std::nullopt;  // "GIF89a", width, height
    const auto flags = in.byte();
    if (!flags || !in.skip(2)) return std::nullopt;  // background index, aspect ratio
    const uint8_t *palette = nullptr;
    if (*flags & 0x80) {
        palette = in.here();
        if (!in.skip(3u << ((*flags & 7) + 1))) return std::nullopt;
    }
    std::optional<uint8_t> transparent;
    for (auto block = in.byte(); block; block = in.byte()) {
        if (*block == 0x21) {  // extension
            const auto label = in.byte();
            if (label == 0xF9) {  // graphic control: size 4, flags, delay x2, index
                const auto length = in.byte(), gce_flags = in.byte();
                if (length != 4 || !gce_flags || !in.skip(2)) return std::nullopt;
                const auto index = in.byte();
                if (index && (*gce_flags & 1)) transparent = index;
            }
            if (!in.skip_sub_blocks()) return std::nullopt;
        } else if (*block == 0x2C) {  // the first image: its local palette wins
            if (!in.skip(8)) return std::nullopt;
            const auto image_flags = in.byte();
            if (image_flags && (*image_flags & 0x80)) palette = in.here();
            if (!transparent || !palette) return std::nullopt;
            const uint8_t *c = palette + 3 * std::size_t(*transparent);
            const std::size_t entries = image_flags && (*image_flags & 0x80) ? 2u << (*image_flags & 7)
                                                                             : 2u << (*flags & 7);
            if (*transparent >= entries || c + 3 > data + size) return std::nullopt;
            return Rgb{c[0], c[1], c[2]};
        } else {
            return std::nullopt;  // trailer or junk before any image
        }
    }
    return std::nullopt;
}

}  // namespace

bool looks_like_gif(const uint8_t *data, std::size_t size) {
    return size >= 6 && data[0] == 'G' && data[1] == 'I' && data[2] == 'F' && data[3] == '8';
}

void restore_gif_transparent_color(const uint8_t *data, std::size_t size, Image &image) {
    const auto color = first_frame_transparent_color(data, size);
    if (!color || image.channels != 4) return;
    for (std::size_t i = 0; i < image.pixels.size(); i += 4) {
        if (image.pixels[i + 3] != 0) continue;
        image.pixels[i] = color->r;
        image.pixels[i + 1] = color->g;
        image.pixels[i + 2] = color->b;
    }
}

}  // namespace digitinfer
