#include "progress_bar.hpp"

#include <cstdio>
#include <string>

#include <unistd.h>

namespace cli {
namespace {

constexpr int kWidth = 40;  // characters between the brackets
constexpr auto kRedrawInterval = std::chrono::milliseconds(100);

double seconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

ProgressBar::ProgressBar(std::size_t total)
    : total_(total), enabled_(::isatty(STDERR_FILENO) == 1), start_(std::chrono::steady_clock::now()) {
    if (enabled_) draw(0);
}

ProgressBar::~ProgressBar() { finish(); }

void ProgressBar::update(std::size_t done) {
    done_ = done;
    if (!enabled_) return;
    if (std::chrono::steady_clock::now() - last_draw_ >= kRedrawInterval) draw(done);
}

void ProgressBar::finish() {
    if (!enabled_ || finished_) return;
    finished_ = true;
    draw(done_);
    std::fputc('\n', stderr);
}

void ProgressBar::draw(std::size_t done) {
    last_draw_ = std::chrono::steady_clock::now();
    const double fraction = total_ ? double(done) / double(total_) : 1.0;
    const int filled = int(fraction * kWidth);
    std::string bar(std::size_t(kWidth), ' ');
    bar.replace(0, std::size_t(filled), std::size_t(filled), '=');
    if (filled < kWidth) bar[std::size_t(filled)] = '>';
    const double elapsed = seconds_since(start_);
    const double rate = elapsed > 0 ? double(done) / elapsed : 0.0;
    // \r returns to the line start; \033[K clears what a longer previous line left behind.
    std::fprintf(stderr, "\r[%s] %zu/%zu %3d%% %.0f img/s\033[K", bar.c_str(), done, total_,
                 int(fraction * 100), rate);
    std::fflush(stderr);
}

}  // namespace cli
