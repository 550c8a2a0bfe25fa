#include "image/resize.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

namespace digitinfer::core {
namespace {

constexpr int kPrecisionBits = 32 - 8 - 2;  // Pillow's PRECISION_BITS

// Per output pixel: first input index, tap count, and fixed-point weights.
struct Coefficients {
    int taps = 0;                 // ksize: stride between output pixels in `weights`
    std::vector<int> first;       // xmin per output pixel
    std::vector<int> count;       // xmax - xmin per output pixel
    std::vector<int32_t> weights; // out_size * taps
};

double triangle(double x) {
    x = std::fabs(x);
    return x < 1.0 ? 1.0 - x : 0.0;
}

// Pillow's precompute_coeffs + normalize_coeffs_8bpc for box (0, in_size).
Coefficients precompute(int in_size, int out_size) {
    const double scale = double(float(in_size)) / out_size;
    const double filterscale = std::max(scale, 1.0);
    const double support = 1.0 * filterscale;
    Coefficients c;
    c.taps = int(std::ceil(support)) * 2 + 1;
    c.first.resize(std::size_t(out_size));
    c.count.resize(std::size_t(out_size));
    c.weights.assign(std::size_t(out_size) * std::size_t(c.taps), 0);
    std::vector<double> k(std::size_t(c.taps));
    for (int xx = 0; xx < out_size; ++xx) {
        const double center = (xx + 0.5) * scale;
        const double ss = 1.0 / filterscale;
        const int xmin = std::max(int(center - support + 0.5), 0);
        const int xmax = std::min(int(center + support + 0.5), in_size) - xmin;
        double ww = 0.0;
        for (int x = 0; x < xmax; ++x) {
            k[std::size_t(x)] = triangle((x + xmin - center + 0.5) * ss);
            ww += k[std::size_t(x)];
        }
        int32_t *w = &c.weights[std::size_t(xx) * std::size_t(c.taps)];
        for (int x = 0; x < xmax; ++x) {
            const double v = ww != 0.0 ? k[std::size_t(x)] / ww : k[std::size_t(x)];
            w[x] = v < 0 ? int(-0.5 + v * (1 << kPrecisionBits)) : int(0.5 + v * (1 << kPrecisionBits));
        }
        c.first[std::size_t(xx)] = xmin;
        c.count[std::size_t(xx)] = std::max(xmax, 0);
    }
    return c;
}

inline uint8_t clip8(int sum) {
    const int v = sum >> kPrecisionBits;  // arithmetic shift, as in Pillow
    return uint8_t(v < 0 ? 0 : v > 255 ? 255 : v);
}

// Output row `yy` of the horizontal pass reads input row `yy + offset`.
void horizontal(const uint8_t *in, std::size_t stride, int offset, const Coefficients &c, uint8_t *out,
                int out_width, int rows) {
    for (int yy = 0; yy < rows; ++yy) {
        const uint8_t *row = in + std::size_t(yy + offset) * stride;
        for (int xx = 0; xx < out_width; ++xx) {
            const int32_t *w = &c.weights[std::size_t(xx) * std::size_t(c.taps)];
            const uint8_t *src = row + c.first[std::size_t(xx)];
            int sum = 1 << (kPrecisionBits - 1);
            for (int x = 0; x < c.count[std::size_t(xx)]; ++x) sum += src[x] * w[x];
            out[std::size_t(yy) * std::size_t(out_width) + std::size_t(xx)] = clip8(sum);
        }
    }
}

// `c.first` is relative to `in`, which starts at the first row the pass needs.
void vertical(const uint8_t *in, std::size_t stride, const Coefficients &c, int shift, uint8_t *out, int width,
              int out_height) {
    for (int yy = 0; yy < out_height; ++yy) {
        const int32_t *w = &c.weights[std::size_t(yy) * std::size_t(c.taps)];
        const uint8_t *src = in + std::size_t(c.first[std::size_t(yy)] - shift) * stride;
        for (int xx = 0; xx < width; ++xx) {
            int sum = 1 << (kPrecisionBits - 1);
            for (int y = 0; y < c.count[std::size_t(yy)]; ++y) sum += src[std::size_t(y) * stride + xx] * w[y];
            out[std::size_t(yy) * std::size_t(width) + std::size_t(xx)] = clip8(sum);
        }
    }
}

void copy_rows(const uint8_t *in, std::size_t stride, uint8_t *out, int width, int height) {
    for (int y = 0; y < height; ++y)
        std::memcpy(out + std::size_t(y) * std::size_t(width), in + std::size_t(y) * stride, std::size_t(width));
}

}  // namespace

void resize_bilinear_antialiased(const uint8_t *in, int width, int height, std::size_t stride, uint8_t *out,
                                 int out_width, int out_height) {
    const bool need_horizontal = out_width != width;
    const bool need_vertical = out_height != height;
    if (!need_horizontal && !need_vertical) return copy_rows(in, stride, out, width, height);
    const Coefficients vert = precompute(height, out_height);
    if (!need_horizontal) return vertical(in, stride, vert, 0, out, width, out_height);

    const Coefficients horiz = precompute(width, out_width);
    if (!need_vertical) return horizontal(in, stride, 0, horiz, out, out_width, height);
    // Horizontal pass over only the rows the vertical pass reads.
    const int first_row = vert.first.front();
    const int last_row = vert.first.back() + vert.count.back();
    std::vector<uint8_t> temp(std::size_t(last_row - first_row) * std::size_t(out_width));
    horizontal(in, stride, first_row, horiz, temp.data(), out_width, last_row - first_row);
    vertical(temp.data(), std::size_t(out_width), vert, first_row, out, out_width, out_height);
}

}  // namespace digitinfer::core
