// GIF transparency, the Pillow way. stb_image turns pixels of the transparent
// palette index into (0, 0, 0, 0); Pillow keeps the index, and convert("L")
// then takes the luma of that palette entry's colour. So we read the first
// frame's transparent index and palette from the file and put the colour back.
// Where the first frame does not cover the screen, Pillow 9.4 (GifImagePlugin
// load_prepare) paints the transparent index, or index 0 when there is none;
// stb_image leaves (0, 0, 0, 0) or the background index's colour: those pixels
// get the colour Pillow's index has in the first frame's palette.
#include <optional>

#include "image/formats.hpp"

namespace digitinfer::core {
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

// The first frame's rectangle, and the colours Pillow gives its transparent
// pixels and the pixels outside it.
struct FirstFrame {
    std::size_t left, top, width, height;
    std::optional<Rgb> transparent;  // colour of the transparent index, if any
    Rgb outside;                     // colour of the index painted outside the frame
};

std::optional<FirstFrame> first_frame(const uint8_t *data, std::size_t size) {
    Reader in(data, size);
    if (!in.skip(10)) return std::nullopt;  // "GIF89a", width, height
    const auto flags = in.byte();
    if (!flags || !in.skip(2)) return std::nullopt;  // background index, aspect ratio
    const uint8_t *palette = nullptr;
    std::size_t entries = 0;
    if (*flags & 0x80) {
        palette = in.here();
        entries = 2u << (*flags & 7);
        if (!in.skip(3 * entries)) return std::nullopt;
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
            const uint8_t *d = in.here();
            if (!in.skip(8)) return std::nullopt;
            const auto image_flags = in.byte();
            if (!image_flags) return std::nullopt;
            if (*image_flags & 0x80) {
                palette = in.here();
                entries = 2u << (*image_flags & 7);
            }
            if (!palette || palette + 3 * entries > data + size) return std::nullopt;
            if (transparent && *transparent >= entries) return std::nullopt;
            auto color = [&](std::size_t i) { return Rgb{palette[3 * i], palette[3 * i + 1], palette[3 * i + 2]}; };
            FirstFrame f{std::size_t(d[0] | d[1] << 8), std::size_t(d[2] | d[3] << 8), std::size_t(d[4] | d[5] << 8),
                         std::size_t(d[6] | d[7] << 8), std::nullopt, color(transparent ? *transparent : 0)};
            if (transparent) f.transparent = color(*transparent);
            return f;
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
    const auto frame = first_frame(data, size);
    if (!frame || image.channels != 4) return;
    const std::size_t width = std::size_t(image.width), height = std::size_t(image.height);
    for (std::size_t y = 0; y < height; ++y) {
        for (std::size_t x = 0; x < width; ++x) {
            uint8_t *p = &image.pixels[4 * (y * width + x)];
            const bool inside = x >= frame->left && x - frame->left < frame->width && y >= frame->top &&
                                y - frame->top < frame->height;
            const Rgb *c = !inside ? &frame->outside : p[3] == 0 && frame->transparent ? &*frame->transparent : nullptr;
            if (!c) continue;
            p[0] = c->r;
            p[1] = c->g;
            p[2] = c->b;
        }
    }
}

}  // namespace digitinfer::core
