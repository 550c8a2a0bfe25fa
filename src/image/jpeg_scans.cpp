// Counts a JPEG's scans (SOS markers) by walking its markers, without
// decoding: libjpeg reads a progressive file's scans one after the other, and
// each scan walks every block of the image however few bytes it has, so a file
// with thousands of scans costs seconds before libjpeg's own count (the
// progress monitor in jpeg.cpp) reaches the limit. This walk costs one pass
// over the bytes. It finds markers the way libjpeg's next_marker does: after a
// segment or inside entropy-coded data, skip to the next 0xFF, skip fill
// 0xFFs, and a following 0x00 (a stuffed data byte) or RSTn is not a marker.
#include <cstring>

#include "image/formats.hpp"

namespace digitinfer::core {

std::size_t count_jpeg_scans(const uint8_t *data, std::size_t size, std::size_t stop_after) {
    std::size_t scans = 0, pos = 2;  // past SOI
    while (pos < size && scans <= stop_after) {
        const auto *ff = static_cast<const uint8_t *>(std::memchr(data + pos, 0xFF, size - pos));
        if (!ff) break;
        pos = std::size_t(ff - data) + 1;
        while (pos < size && data[pos] == 0xFF) ++pos;  // fill bytes
        if (pos >= size) break;
        const uint8_t marker = data[pos++];
        if (marker == 0x00 || (marker >= 0xD0 && marker <= 0xD7) || marker == 0x01) continue;  // not a segment
        if (marker == 0xD9) break;                                                            // EOI
        if (marker == 0xD8) continue;  // a stray SOI: libjpeg errors out later, or not; count on
        if (pos + 2 > size) break;
        const std::size_t length = (std::size_t(data[pos]) << 8) | data[pos + 1];
        if (length < 2) break;  // libjpeg refuses the file
        if (marker == 0xDA) ++scans;  // its entropy-coded data follows the header: the search skips it
        pos += length;
    }
    return scans;
}

}  // namespace digitinfer::core
