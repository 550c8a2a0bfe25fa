// A tiny reader for MNIST's IDX files, gzip-compressed or not.
#ifndef DIGITINFER_CLI_MNIST_IDX_HPP
#define DIGITINFER_CLI_MNIST_IDX_HPP

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace cli {

/// `count` images of rows x cols uint8 pixels, back to back, row-major.
struct IdxImages {
    std::size_t count = 0;
    int rows = 0, cols = 0;
    std::vector<uint8_t> pixels;

    const uint8_t *image(std::size_t i) const { return pixels.data() + i * std::size_t(rows) * std::size_t(cols); }
};

/// Reads an idx3-ubyte file (magic 0x00000803). Throws std::runtime_error naming the file.
IdxImages read_idx_images(const std::string &path);

/// Reads an idx1-ubyte file (magic 0x00000801). Throws std::runtime_error naming the file.
std::vector<uint8_t> read_idx_labels(const std::string &path);

}  // namespace cli

#endif  // DIGITINFER_CLI_MNIST_IDX_HPP
