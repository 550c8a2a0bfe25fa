// JPEG through libjpeg-turbo, the library Pillow itself uses, with Pillow's
// decoder settings (accurate integer IDCT, fancy upsampling, libjpeg's
// YCbCr -> RGB), so that the decoded pixels are the ones Pillow sees.
#include <memory>
#include <string>

#include <turbojpeg.h>

#include "common/failure.hpp"
#include "image/formats.hpp"

namespace digitinfer::core {
namespace {

struct TjFree {
    void operator()(void *handle) const { tjDestroy(handle); }
};

[[noreturn]] void jpeg_failure(tjhandle tj) {
    fail(DI_ERR_DECODE, std::string("cannot decode JPEG: ") + tjGetErrorStr2(tj));
}

}  // namespace

bool looks_like_jpeg(const uint8_t *data, std::size_t size) {
    return size >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF;
}

Image decode_jpeg(const uint8_t *data, std::size_t size, std::size_t max_pixels) {
    std::unique_ptr<void, TjFree> tj(tjInitDecompress());
    if (!tj) fail(DI_ERR_OUT_OF_MEMORY, "cannot create a JPEG decoder");
    int w = 0, h = 0, subsampling = 0, colorspace = 0;
    if (tjDecompressHeader3(tj.get(), data, static_cast<unsigned long>(size), &w, &h, &subsampling, &colorspace) != 0)
        jpeg_failure(tj.get());
    if (w <= 0 || h <= 0 || std::size_t(w) * std::size_t(h) > max_pixels)
        fail(DI_ERR_DECODE, "cannot decode JPEG: dimensions " + std::to_string(w) + "x" + std::to_string(h) +
                                " are out of range (limit " + std::to_string(max_pixels) + " pixels)");
    // Pillow keeps grayscale JPEGs as L, CMYK/YCCK ones as CMYK, and decodes the rest to RGB.
    const bool cmyk = colorspace == TJCS_CMYK || colorspace == TJCS_YCCK;
    const int format = colorspace == TJCS_GRAY ? TJPF_GRAY : cmyk ? TJPF_CMYK : TJPF_RGB;
    const int channels = tjPixelSize[format];
    Image img{w, h, channels, std::vector<uint8_t>(std::size_t(w) * std::size_t(h) * std::size_t(channels)), cmyk};
    if (tjDecompress2(tj.get(), data, static_cast<unsigned long>(size), img.pixels.data(), w, 0, h, format,
                      TJFLAG_ACCURATEDCT) != 0) {
        // Warnings are tolerated as Pillow tolerates them, except a truncated
        // file, which Pillow refuses ("image file is truncated").
        const std::string message = tjGetErrorStr2(tj.get());
        if (tjGetErrorCode(tj.get()) == TJERR_FATAL || message.find("Premature end") != std::string::npos)
            jpeg_failure(tj.get());
    }
    // Pillow reads CMYK JPEGs with rawmode "CMYK;I": it assumes Adobe's inverted
    // storage, which libjpeg-turbo hands over as stored.
    if (cmyk)
        for (uint8_t &v : img.pixels) v = uint8_t(255 - v);
    return img;
}

}  // namespace digitinfer::core
