// A request's share of a batched forward: its images (encoded files, or tensors
// already normalized) and where its results go.
#ifndef DIGITINFER_SERVER_BATCHING_JOB_HPP
#define DIGITINFER_SERVER_BATCHING_JOB_HPP

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <digitinfer/digitinfer.hpp>

namespace server::batching {

using Clock = std::chrono::steady_clock;

struct JobResult {
    std::vector<digitinfer::ImageResult> items;  ///< one per image, in order
    int http_status = 200;                       ///< not 200: the job failed as a whole (503, 500)
    std::string failure;                         ///< why, then
};

struct Job {
    std::shared_ptr<const void> keep_alive;  ///< owns the bytes `encoded` points into (the request body)
    std::vector<std::string_view> encoded;   ///< encoded image files; or
    std::vector<float> tensors;              ///< `count` normalized C x H x W tensors, back to back
    size_t count = 0;                        ///< images in this job
    Clock::time_point enqueued;
    std::function<void(JobResult)> done;     ///< called once, from a forward thread
};

}  // namespace server::batching

#endif  // DIGITINFER_SERVER_BATCHING_JOB_HPP
