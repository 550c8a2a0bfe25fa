// stb_image, for the one format it still reads for us (after the checks and
// fix-ups of pnm.cpp): PNM. The only file that includes it.
#include <climits>
#include <memory>
#include <string>

#include "common/failure.hpp"
#include "image/formats.hpp"

#define STB_IMAGE_IMPLEMENTATION
#define STB_IMAGE_STATIC
#define STBI_NO_STDIO
#define STBI_FAILURE_USERMSG  // its longer messages rather than the short codes
#define STBI_ONLY_PNM
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

namespace digitinfer::core {
namespace {

struct StbFree {
    void operator()(void *p) const { stbi_image_free(p); }
};

int checked_length(std::size_t size) {
    if (size > std::size_t(INT_MAX)) fail(DI_ERR_DECODE, "cannot decode image: file larger than 2 GiB");
    return int(size);
}

}  // namespace

void stb_info(const uint8_t *data, std::size_t size, int &width, int &height) {
    int n = 0;
    if (!stbi_info_from_memory(data, checked_length(size), &width, &height, &n)) decode_failure(stbi_failure_reason());
}

Image stb_load(const uint8_t *data, std::size_t size) {
    int w = 0, h = 0, n = 0;
    std::unique_ptr<stbi_uc, StbFree> px(stbi_load_from_memory(data, checked_length(size), &w, &h, &n, 0));
    if (!px) decode_failure(stbi_failure_reason());
    Image img{w, h, n, {}};
    img.pixels.assign(px.get(), px.get() + std::size_t(w) * std::size_t(h) * std::size_t(n));
    return img;
}

}  // namespace digitinfer::core
