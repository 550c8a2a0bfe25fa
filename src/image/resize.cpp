#include "image/resize.hpp"

#include "image/resize_simd.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

namespace digitinfer::core {
namespace {

constexpr int kPrecisionBits = 32 - 8 - 2;  // Pillow's PRECISION_BITS
constexpr int kRowsPerBlock = 256;          // input rows the horizontal pass does at a time

double triangle(double x) {
    x = std::fabs(x);
    return x < 1.0 ? 1.0 - x : 0.0;
}

// One output pixel's input window and the sum that normalizes its weights.
struct Window {
    int first = 0;  // xmin
    int count = 0;  // xmax - xmin
    double center = 0, sum = 0;
};

// Pillow's precompute_coeffs + normalize_coeffs_8bpc for box (0, in_size), one output pixel
// at a time: the same double expressions in the same order, so the same integer weights,
// without a table of out_size x taps (gigabytes when an axis shrinks by millions).
class Filter {
  public:
    Filter(int in_size, int out_size)
        : in_size_(in_size), scale_(double(float(in_size)) / out_size), filterscale_(std::max(scale_, 1.0)),
          support_(1.0 * filterscale_), ss_(1.0 / filterscale_) {}

    int taps() const { return int(std::ceil(support_)) * 2 + 1; }

    Window window(int xx) const {
        Window w;
        w.center = (xx + 0.5) * scale_;
        w.first = std::max(int(w.center - support_ + 0.5), 0);
        w.count = std::max(std::min(int(w.center + support_ + 0.5), in_size_) - w.first, 0);
        for (int x = 0; x < w.count; ++x) w.sum += kernel(w, x);
        return w;
    }

    // The fixed-point weight of input pixel first + x.
    int32_t weight(const Window &w, int x) const {
        const double k = kernel(w, x), v = w.sum != 0.0 ? k / w.sum : k;
        return v < 0 ? int(-0.5 + v * (1 << kPrecisionBits)) : int(0.5 + v * (1 << kPrecisionBits));
    }

  private:
    double kernel(const Window &w, int x) const { return triangle((x + w.first - w.center + 0.5) * ss_); }

    int in_size_;
    double scale_, filterscale_, support_, ss_;
};

inline uint8_t clip8(int sum) {
    const int v = sum >> kPrecisionBits;  // arithmetic shift, as in Pillow
    return uint8_t(v < 0 ? 0 : v > 255 ? 255 : v);
}

// The horizontal pass's weights: a table when it is small (the usual case), else recomputed
// per output pixel for each block of rows (a very wide input shrunk to a few pixels). With
// the table, also laid out for the SIMD kernel where it can run (resize_simd.hpp).
class HorizontalWeights {
  public:
    HorizontalWeights(int in_width, int out_width, bool simd)
        : filter_(in_width, out_width), windows_(std::size_t(out_width)) {
        for (int xx = 0; xx < out_width; ++xx) windows_[std::size_t(xx)] = filter_.window(xx);
        constexpr std::size_t kMaxTableEntries = std::size_t(1) << 20;
        if (std::size_t(filter_.taps()) * std::size_t(out_width) <= kMaxTableEntries) {
            table_.resize(std::size_t(filter_.taps()) * std::size_t(out_width));
            for (int xx = 0; xx < out_width; ++xx) fill(xx, &table_[std::size_t(xx) * std::size_t(filter_.taps())]);
            if (simd && resize_simd::available()) split_table(in_width, out_width);
        }
    }

    const Window &window(int xx) const { return windows_[std::size_t(xx)]; }
    const resize_simd::SplitWeights *split() const { return split_.taps ? &split_ : nullptr; }

    // Output pixel xx's weights, from the table or computed into `scratch`.
    const int32_t *weights(int xx, std::vector<int32_t> &scratch) const {
        if (!table_.empty()) return &table_[std::size_t(xx) * std::size_t(filter_.taps())];
        scratch.resize(std::size_t(window(xx).count));
        fill(xx, scratch.data());
        return scratch.data();
    }

  private:
    void fill(int xx, int32_t *out) const {
        const Window &w = window(xx);
        for (int x = 0; x < w.count; ++x) out[x] = filter_.weight(w, x);
    }

    // Every window padded to the same multiple of 16 taps, its loads kept inside the row (a
    // window near the right edge starts its loads earlier, behind zero weights). Left empty
    // when a row is narrower than that or a weight is outside the kernel's range.
    void split_table(int in_width, int out_width) {
        int widest = 0;
        for (const Window &w : windows_) widest = std::max(widest, w.count);
        const int taps = (widest + 15) / 16 * 16;
        if (widest == 0 || taps > in_width) return;
        resize_simd::SplitWeights s;
        s.taps = taps;
        s.start.resize(std::size_t(out_width));
        s.high.assign(std::size_t(out_width) * std::size_t(taps), 0);
        s.low.assign(s.high.size(), 0);
        for (int xx = 0; xx < out_width; ++xx) {
            const Window &w = window(xx);
            const int start = std::min(w.first, in_width - taps), offset = w.first - start;
            s.start[std::size_t(xx)] = start;
            for (int x = 0; x < w.count; ++x) {
                const int32_t k = table_[std::size_t(xx) * std::size_t(filter_.taps()) + std::size_t(x)];
                if (k < 0 || k >= (1 << 22) + (1 << 16)) return;  // never for the triangle filter's weights
                const std::size_t at = std::size_t(xx) * std::size_t(taps) + std::size_t(offset + x);
                s.high[at] = int16_t(k >> 11);
                s.low[at] = int16_t(k & 2047);
            }
        }
        split_ = std::move(s);
    }

    Filter filter_;
    std::vector<Window> windows_;
    std::vector<int32_t> table_;
    resize_simd::SplitWeights split_;
};

// Input rows [y0, y0 + rows) -> `out` (rows x out_width), rounded and clamped to uint8.
void horizontal(const uint8_t *in, std::size_t stride, int y0, int rows, const HorizontalWeights &hw,
                int out_width, uint8_t *out) {
    if (const resize_simd::SplitWeights *split = hw.split())
        return resize_simd::horizontal(in, stride, y0, rows, *split, out_width, out);
    std::vector<int32_t> scratch;
    for (int xx = 0; xx < out_width; ++xx) {
        const int32_t *w = hw.weights(xx, scratch);
        const Window &win = hw.window(xx);
        for (int y = 0; y < rows; ++y) {
            const uint8_t *src = in + std::size_t(y0 + y) * stride + std::size_t(win.first);
            int sum = 1 << (kPrecisionBits - 1);
            for (int x = 0; x < win.count; ++x) sum += src[x] * w[x];
            out[std::size_t(y) * std::size_t(out_width) + std::size_t(xx)] = clip8(sum);
        }
    }
}

// The vertical pass, fed the rows it reads in order, a block at a time: each row is added
// into the sums of the output rows whose window holds it, so no intermediate image is kept.
// Its weights are a table when small (the usual case), else computed as the rows come.
class VerticalSums {
  public:
    VerticalSums(int in_height, int out_height, int width, bool simd)
        : filter_(in_height, out_height), width_(width), simd_(simd && resize_simd::available()),
          sums_(std::size_t(out_height) * std::size_t(width), 1 << (kPrecisionBits - 1)) {
        std::size_t entries = 0;
        for (int yy = 0; yy < out_height; ++yy) {
            windows_.push_back(filter_.window(yy));
            entries += std::size_t(windows_.back().count);
        }
        constexpr std::size_t kMaxTableEntries = std::size_t(1) << 20;
        if (entries <= kMaxTableEntries)
            for (const Window &w : windows_) {
                offsets_.push_back(table_.size());
                for (int y = 0; y < w.count; ++y) table_.push_back(filter_.weight(w, y));
            }
    }

    int first_row() const { return windows_.front().first; }
    int end_row() const { return windows_.back().first + windows_.back().count; }

    // Rows [y0, y0 + rows) of the vertical pass's input, `stride` bytes apart.
    void add(const uint8_t *rows_in, std::size_t stride, int y0, int rows) {
        for (std::size_t yy = 0; yy < windows_.size(); ++yy) {
            const Window &w = windows_[yy];
            const int from = std::max(y0, w.first), to = std::min(y0 + rows, w.first + w.count);
            int32_t *sum = &sums_[yy * std::size_t(width_)];
            for (int y = from; y < to; ++y) {
                const int32_t k = table_.empty() ? filter_.weight(w, y - w.first)
                                                 : table_[offsets_[yy] + std::size_t(y - w.first)];
                const uint8_t *src = rows_in + std::size_t(y - y0) * stride;
                if (simd_) resize_simd::accumulate_row(sum, src, width_, k);
                else
                    for (int x = 0; x < width_; ++x) sum[x] += src[x] * k;
            }
        }
    }

    void finish(uint8_t *out) const {
        for (std::size_t i = 0; i < sums_.size(); ++i) out[i] = clip8(sums_[i]);
    }

  private:
    Filter filter_;
    int width_;
    bool simd_;
    std::vector<Window> windows_;
    std::vector<int32_t> table_;       // every window's weights, one after another
    std::vector<std::size_t> offsets_;  // where each window's weights start in table_
    std::vector<int32_t> sums_;
};

// A one-pixel-wide input (both passes needed): the horizontal pass maps each row's single
// value through a table, so the vertical pass can add up weights per value rather than
// out_width products per row; integer sums, so the result is the same to the bit.
void resize_single_column(const uint8_t *in, int height, std::size_t stride, uint8_t *out, int out_width,
                          int out_height) {
    uint8_t values[256];
    for (int v = 0; v < 256; ++v) values[v] = uint8_t(v);
    std::vector<uint8_t> row_of(std::size_t(256) * std::size_t(out_width));  // value -> horizontal row
    horizontal(values, 1, 0, 256, HorizontalWeights(1, out_width, false), out_width, row_of.data());
    const Filter filter(height, out_height);
    for (int yy = 0; yy < out_height; ++yy) {
        const Window w = filter.window(yy);
        int weight_of[256] = {};
        for (int y = 0; y < w.count; ++y) weight_of[in[std::size_t(w.first + y) * stride]] += filter.weight(w, y);
        for (int xx = 0; xx < out_width; ++xx) {
            int sum = 1 << (kPrecisionBits - 1);
            for (int v = 0; v < 256; ++v) sum += row_of[std::size_t(v) * std::size_t(out_width) + std::size_t(xx)] * weight_of[v];
            out[std::size_t(yy) * std::size_t(out_width) + std::size_t(xx)] = clip8(sum);
        }
    }
}

void copy_rows(const uint8_t *in, std::size_t stride, uint8_t *out, int width, int height) {
    for (int y = 0; y < height; ++y)
        std::memcpy(out + std::size_t(y) * std::size_t(width), in + std::size_t(y) * stride, std::size_t(width));
}

}  // namespace

void resize_bilinear_antialiased(const uint8_t *in, int width, int height, std::size_t stride, uint8_t *out,
                                 int out_width, int out_height, bool simd) {
    const bool need_horizontal = out_width != width;
    const bool need_vertical = out_height != height;
    if (!need_horizontal && !need_vertical) return copy_rows(in, stride, out, width, height);
    if (!need_vertical) return horizontal(in, stride, 0, height, HorizontalWeights(width, out_width, simd), out_width, out);

    if (width == 1) return resize_single_column(in, height, stride, out, out_width, out_height);

    VerticalSums vertical(height, out_height, out_width, simd);
    if (!need_horizontal) {
        vertical.add(in + std::size_t(vertical.first_row()) * stride, stride, vertical.first_row(),
                     vertical.end_row() - vertical.first_row());
        return vertical.finish(out);
    }
    // Horizontal pass over only the rows the vertical pass reads, a block at a time.
    const HorizontalWeights hw(width, out_width, simd);
    std::vector<uint8_t> block(std::size_t(kRowsPerBlock) * std::size_t(out_width));
    for (int y = vertical.first_row(); y < vertical.end_row(); y += kRowsPerBlock) {
        const int rows = std::min(kRowsPerBlock, vertical.end_row() - y);
        horizontal(in, stride, y, rows, hw, out_width, block.data());
        vertical.add(block.data(), std::size_t(out_width), y, rows);
    }
    vertical.finish(out);
}

}  // namespace digitinfer::core
