#include "decode.hpp"

#include <algorithm>
#include <climits>
#include <memory>
#include <string>

#include "failure.hpp"

#define STB_IMAGE_IMPLEMENTATION
#define STB_IMAGE_STATIC
#define STBI_NO_STDIO
#define STBI_FAILURE_USERMSG  // "Corrupt PNG" rather than "outofdata"
#define STBI_ONLY_PNG
#define STBI_ONLY_BMP
#define STBI_ONLY_GIF
#define STBI_ONLY_PNM
#define STBI_ONLY_TGA
#define STBI_MAX_DIMENSIONS (1 << 20)
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wsign-compare"
#endif
#include <stb/stb_image.h>
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

namespace digitinfer {
namespace {

struct StbFree {
    void operator()(void *p) const { stbi_image_free(p); }
};

[[noreturn]] void decode_failure(const char *what) {
    fail(DI_ERR_DECODE, std::string("cannot decode image: ") + (what && *what ? what : "corrupt data"));
}

// Pillow opens 16-bit grayscale PNGs as mode "I" and converts I -> L by
// clamping each value to [0, 255] (Convert.c i2l); stb would keep the high byte.
Image decode_gray16(const stbi_uc *data, int size) {
    int w = 0, h = 0, n = 0;
    std::unique_ptr<stbi_us, StbFree> px(stbi_load_16_from_memory(data, size, &w, &h, &n, 1));
    if (!px) decode_failure(stbi_failure_reason());
    Image img{w, h, 1, std::vector<uint8_t>(std::size_t(w) * std::size_t(h))};
    std::transform(px.get(), px.get() + img.pixels.size(), img.pixels.begin(),
                   [](stbi_us v) { return uint8_t(std::min<int>(v, 255)); });
    return img;
}

bool has_png_signature(const uint8_t *data, std::size_t size) {
    static const uint8_t signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    return size >= 8 && std::equal(signature, signature + 8, data);
}

}  // namespace

Image decode_image(const uint8_t *data, std::size_t size) {
    if (size == 0) fail(DI_ERR_DECODE, "cannot decode image: no bytes");
    if (looks_like_jpeg(data, size)) return decode_jpeg(data, size);
    if (size > std::size_t(INT_MAX)) fail(DI_ERR_DECODE, "cannot decode image: file larger than 2 GiB");
    const int len = int(size);
    int w = 0, h = 0, n = 0;
    if (!stbi_info_from_memory(data, len, &w, &h, &n))
        decode_failure(has_png_signature(data, size) ? "corrupt or oversized PNG" : stbi_failure_reason());
    if (w <= 0 || h <= 0 || std::size_t(w) * std::size_t(h) > kMaxImagePixels)
        fail(DI_ERR_DECODE, "cannot decode image: dimensions " + std::to_string(w) + "x" + std::to_string(h) +
                                " are out of range");
    if (n == 1 && stbi_is_16_bit_from_memory(data, len)) return decode_gray16(data, len);
    std::unique_ptr<stbi_uc, StbFree> px(stbi_load_from_memory(data, len, &w, &h, &n, 0));
    if (!px) decode_failure(stbi_failure_reason());
    Image img{w, h, n, {}};
    img.pixels.assign(px.get(), px.get() + std::size_t(w) * std::size_t(h) * std::size_t(n));
    if (looks_like_gif(data, size)) restore_gif_transparent_color(data, size, img);
    return img;
}

}  // namespace digitinfer
