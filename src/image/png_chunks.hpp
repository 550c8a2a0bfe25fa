// Pillow 9.4's PngStream (PngImagePlugin.py): the state its chunk handlers keep while a file
// is read, and every refusal they make. Pillow hands chunks to these handlers in three places,
// and so does png.cpp: before the image data (PngImageFile._open), the fdAT chunks that carry
// image data (load_read), and the chunks after the image (load_end).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string>

#include "image/png_rows.hpp"

namespace digitinfer::core::png {

[[noreturn]] void bad_png(const std::string &what);  // DI_ERR_DECODE "cannot decode PNG: ..."

inline uint32_t be32(const uint8_t *p) {
    return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3];
}
inline bool is(const uint8_t *type, const char *name) { return std::memcmp(type, name, 4) == 0; }

class Stream {
  public:
    // Pillow's handler for the chunk (none for unknown types): updates what the chunks say and
    // throws where the handler raises. `body` holds the chunk's `length` bytes.
    void handle(const uint8_t *type, const uint8_t *body, uint32_t length);

    // The last IHDR's size (0 x 0 before one, as Pillow's im_size) and, when Pillow knows its mode, depth and colour type.
    const Header &header() const { return header_; }
    bool have_mode() const { return have_mode_; }
    // The PLTE that counts (read while the mode was palette), or null.
    const uint8_t *palette() const { return plte_; }
    uint32_t palette_length() const { return plte_length_; }
    // Pillow's is_animated, as known when the image data starts: more than one frame.
    bool animated() const { return frames_ && (*frames_ > 1 || !frame_control_before_image_); }

    // Where the image data goes (Pillow's tile): the last fcTL's frame before the data, or the
    // whole image. Throws for an empty frame (Pillow: "tile cannot extend outside image").
    struct Frame {
        uint32_t x0, y0, x1, y1;
    };
    Frame data_frame() const;

  private:
    void ihdr(const uint8_t *body, uint32_t length);
    void transparency(uint32_t length) const;
    void frame_control(const uint8_t *body, uint32_t length);
    void frame_data(const uint8_t *body, uint32_t length);
    void text(const uint8_t *body, uint32_t length);
    void compressed_text(const uint8_t *body, uint32_t length);
    void international_text(const uint8_t *body, uint32_t length);
    void icc_profile(const uint8_t *body, uint32_t length);
    // Pillow's _safe_zlib_decompress: the bytes inflated (into scratch_), or nullopt on a zlib error.
    std::optional<std::size_t> inflate_metadata(const uint8_t *data, std::size_t size, const char *chunk);
    void add_text(std::size_t characters);

    Header header_;
    bool have_mode_ = false;
    const uint8_t *plte_ = nullptr;
    uint32_t plte_length_ = 0;
    std::optional<uint32_t> frames_;  // acTL's frame count, when valid
    bool animation_control_seen_ = false, frame_control_before_image_ = false, image_data_seen_ = false;
    std::optional<uint32_t> sequence_;  // the last fcTL/fdAT sequence number
    std::optional<Frame> frame_;        // the last fcTL's frame (Pillow's info["bbox"])
    std::size_t text_memory_ = 0;       // Pillow's text_memory: characters of text kept
    std::size_t metadata_inflated_ = 0;  // bytes inflated for iCCP, zTXt, iTXt (our own bound)
    std::unique_ptr<uint8_t[]> scratch_;  // 1 MiB, for the first compressed metadata chunk
};

}  // namespace digitinfer::core::png
