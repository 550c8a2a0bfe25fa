#include "image_write.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <stdexcept>

// The one translation unit that compiles stb_image_write; static keeps its
// symbols out of the executable's dynamic symbol table.
#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STB_IMAGE_WRITE_STATIC
#include <stb/stb_image_write.h>

namespace cli {

void write_gray_png(const std::string &path, const std::vector<uint8_t> &pixels, int width, int height) {
    if (pixels.size() != std::size_t(width) * std::size_t(height))
        throw std::logic_error("write_gray_png: pixel count does not match the size");
    if (!stbi_write_png(path.c_str(), width, height, 1, pixels.data(), width))
        throw std::runtime_error("cannot write PNG '" + path + "'");
}

void write_float32(const std::string &path, const std::vector<float> &values) {
    errno = 0;
    std::unique_ptr<FILE, int (*)(FILE *)> file(std::fopen(path.c_str(), "wb"), &std::fclose);
    const bool ok = file && std::fwrite(values.data(), sizeof(float), values.size(), file.get()) == values.size() &&
                    std::fclose(file.release()) == 0;
    if (!ok) throw std::runtime_error("cannot write '" + path + "': " + std::strerror(errno));
}

}  // namespace cli
