// A one-line progress bar on stderr, drawn only when stderr is a terminal
// (so logs and pipes stay clean).
#ifndef DIGITINFER_CLI_PROGRESS_BAR_HPP
#define DIGITINFER_CLI_PROGRESS_BAR_HPP

#include <chrono>
#include <cstddef>

namespace cli {

class ProgressBar {
public:
    explicit ProgressBar(std::size_t total);
    ~ProgressBar();
    ProgressBar(const ProgressBar &) = delete;
    ProgressBar &operator=(const ProgressBar &) = delete;

    /// Sets the number of items done and redraws (at most ~10 times a second).
    void update(std::size_t done);
    /// Draws the final state and ends the line; called by the destructor if needed.
    void finish();

private:
    void draw(std::size_t done);

    std::size_t total_;
    bool enabled_;
    bool finished_ = false;
    std::size_t done_ = 0;
    std::chrono::steady_clock::time_point start_, last_draw_;
};

}  // namespace cli

#endif  // DIGITINFER_CLI_PROGRESS_BAR_HPP
