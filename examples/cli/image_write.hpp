// Writing what the preprocessor produced: a grayscale PNG and a raw float file.
#ifndef DIGITINFER_CLI_IMAGE_WRITE_HPP
#define DIGITINFER_CLI_IMAGE_WRITE_HPP

#include <cstdint>
#include <string>
#include <vector>

namespace cli {

/// Writes width x height 8-bit gray pixels as a PNG. Throws std::runtime_error.
void write_gray_png(const std::string &path, const std::vector<uint8_t> &pixels, int width, int height);

/// Writes the floats' raw bytes (native endianness, float32). Throws std::runtime_error.
void write_float32(const std::string &path, const std::vector<float> &values);

}  // namespace cli

#endif  // DIGITINFER_CLI_IMAGE_WRITE_HPP
