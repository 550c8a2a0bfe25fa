// Binary PGM/PPM (P5/P6), decoded as Pillow's PPM plugin reads them.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "common/failure.hpp"
#include "image/formats.hpp"

namespace digitinfer::core {
namespace {

struct PnmHeader {
    long fields[3] = {0, 0, 0};  // width, height, maxval; saturated at kPnmFieldMax
    std::size_t samples = 0;     // offset of the first sample
};
constexpr long kPnmFieldMax = 1000000000;

// Header: magic, width, height, maxval; whitespace and '#' comments between them;
// then one whitespace byte (which both stb_image and Pillow consume) before the samples.
PnmHeader parse_pnm_header(const uint8_t *data, std::size_t size) {
    auto space = [](uint8_t c) { return c == ' ' || (c >= '\t' && c <= '\r'); };
    auto digit = [](uint8_t c) { return c >= '0' && c <= '9'; };
    PnmHeader header;
    std::size_t pos = 2;
    for (long &field : header.fields) {
        while (pos < size && (space(data[pos]) || data[pos] == '#')) {
            if (data[pos] == '#')
                while (pos < size && data[pos] != '\n' && data[pos] != '\r') ++pos;
            else
                ++pos;
        }
        if (pos >= size || !digit(data[pos])) decode_failure("bad PNM header");
        while (pos < size && digit(data[pos])) field = std::min(kPnmFieldMax, field * 10 + (data[pos++] - '0'));
    }
    header.samples = pos + 1;
    return header;
}

// Binary PGM/PPM (P5/P6) as Pillow's PPM plugin reads them; stb_image 2.27 neither scales
// samples by maxval nor converts 16-bit samples from the file's big-endian order.
//   maxval 255:              the samples;
//   P5, maxval 65535:        mode I (raw I;16B), which convert("L") clamps to 255;
//   P5, other maxval > 255:  mode I = min(65535, round(v / maxval * 65535)), clamped likewise;
//   otherwise:               min(255, round(v / maxval * 255)).
// round() is Python's (half to even) on the same double operations: std::nearbyint.
}  // namespace

Image decode_pnm(const uint8_t *data, std::size_t size, int width, int height) {
    const PnmHeader header = parse_pnm_header(data, size);
    const long *fields = header.fields;
    const std::size_t pos = header.samples;
    const long maxval = fields[2];
    const int channels = data[1] == '6' ? 3 : 1;
    if (fields[0] != width || fields[1] != height || maxval < 1 || maxval > 65535) decode_failure("bad PNM header");
    const std::size_t count = std::size_t(width) * std::size_t(height) * std::size_t(channels);
    const std::size_t bytes = maxval > 255 ? 2 : 1;
    if (pos > size || (size - pos) / bytes < count) decode_failure("PNM file truncated");
    Image img{width, height, channels, std::vector<uint8_t>(count)};
    const uint8_t *in = data + pos;
    const bool mode_i = channels == 1 && maxval > 255;
    const double out_max = mode_i ? 65535.0 : 255.0;
    for (std::size_t i = 0; i < count; ++i) {
        const long v = bytes == 2 ? long(in[2 * i]) << 8 | in[2 * i + 1] : long(in[i]);
        const double scaled = maxval == 255 || (mode_i && maxval == 65535)
                                  ? double(v)
                                  : std::min(out_max, std::nearbyint(double(v) / double(maxval) * out_max));
        img.pixels[i] = uint8_t(std::min(scaled, 255.0));
    }
    return img;
}


bool looks_like_pnm(const uint8_t *data, std::size_t size) {
    return size >= 2 && data[0] == 'P' && (data[1] == '5' || data[1] == '6');
}

// stb_image 2.27 reads PNM header numbers into an int without an overflow check
// (undefined behaviour on a long digit string): it only sees headers we checked first.
void check_pnm_header(const uint8_t *data, std::size_t size) {
    const PnmHeader header = parse_pnm_header(data, size);
    if (header.fields[0] > long(kMaxImagePixels) || header.fields[1] > long(kMaxImagePixels) ||
        header.fields[2] > 65535)
        decode_failure("PNM header numbers out of range");
}

}  // namespace digitinfer::core
