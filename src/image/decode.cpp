// decode_image: picks the decoder by signature, as Pillow and stb_image do,
// and enforces the caller's limits before any pixel is allocated.
#include "image/decode.hpp"

#include <string>

#include "common/failure.hpp"
#include "image/formats.hpp"
#include "image/grayscale.hpp"

namespace digitinfer::core {
namespace {

// PNM through stb_image, after the header checks it lacks.
Image decode_pnm_with_stb(const uint8_t *data, std::size_t size, std::size_t max_pixels) {
    check_pnm_header(data, size);
    int w = 0, h = 0;
    stb_info(data, size, w, h);
    if (w <= 0 || h <= 0 || std::size_t(w) * std::size_t(h) > max_pixels)
        fail(DI_ERR_DECODE, "cannot decode image: dimensions " + std::to_string(w) + "x" + std::to_string(h) +
                                " are out of range (limit " + std::to_string(max_pixels) + " pixels)");
    return decode_pnm(data, size, w, h);
}

}  // namespace

void decode_failure(const char *what) {
    fail(DI_ERR_DECODE, std::string("cannot decode image: ") + (what && *what ? what : "corrupt data"));
}

namespace {

// The formats decoded straight to gray, as the one-channel image decode_image returns.
Image one_channel(GrayImage gray) { return Image{gray.width, gray.height, 1, std::move(gray.pixels)}; }

void check_size(std::size_t size, const DecodeLimits &limits) {
    if (size == 0) fail(DI_ERR_DECODE, "cannot decode image: no bytes");
    if (size > limits.max_encoded_bytes)
        fail(DI_ERR_DECODE, "cannot decode image: " + std::to_string(size) + " bytes exceed the limit of " +
                                std::to_string(limits.max_encoded_bytes));
}

}  // namespace

GrayImage decode_gray(const uint8_t *data, std::size_t size, const DecodeLimits &limits) {
    check_size(size, limits);
    if (looks_like_jpeg(data, size)) return decode_jpeg_gray(data, size, limits);
    if (has_png_signature(data, size)) return decode_png_gray(data, size, limits.max_pixels);
    if (looks_like_gif(data, size)) return decode_gif(data, size, limits.max_pixels);
    if (looks_like_bmp(data, size)) return decode_bmp(data, size, limits.max_pixels);
    return to_grayscale(decode_image(data, size, limits));
}

Image decode_image(const uint8_t *data, std::size_t size, const DecodeLimits &limits) {
    check_size(size, limits);
    if (looks_like_jpeg(data, size)) return decode_jpeg(data, size, limits);
    if (has_png_signature(data, size)) return decode_png(data, size, limits.max_pixels);
    if (looks_like_gif(data, size)) return one_channel(decode_gif(data, size, limits.max_pixels));
    if (looks_like_bmp(data, size)) return one_channel(decode_bmp(data, size, limits.max_pixels));
    if (looks_like_pnm(data, size)) return decode_pnm_with_stb(data, size, limits.max_pixels);
    return decode_tga(data, size, limits.max_pixels);  // the format without a signature
}

}  // namespace digitinfer::core
