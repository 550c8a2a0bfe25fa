// Dynamic batching, as TorchServe's batch_size / max_batch_delay: requests for
// one model queue up, and a pool of forward threads (one per core, each forward
// on one thread: no per-request OpenMP teams) takes up to batch_size images at
// a time. Preprocessing stays per image, so one bad image fails only its request.
#ifndef DIGITINFER_SERVER_BATCHING_BATCHER_HPP
#define DIGITINFER_SERVER_BATCHING_BATCHER_HPP

#include <condition_variable>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "job.hpp"
#include "models/served_model.hpp"

namespace server::batching {

/// Timings of one forward, for the metrics.
struct BatchStats {
    const models::ServedModel *model;
    size_t images = 0;                     ///< in the forward (the batch size)
    std::vector<double> queue_seconds;     ///< per job: enqueued -> batch taken
    std::vector<double> preprocess_seconds;  ///< per encoded image
    double inference_seconds = 0;
};

class Batcher {
public:
    Batcher(int threads, std::function<void(const BatchStats &)> observe);
    ~Batcher();  ///< finishes queued jobs, then joins
    Batcher(const Batcher &) = delete;
    Batcher &operator=(const Batcher &) = delete;

    /// Queues `job` for `model`; throws api::ApiError 503 when the model has no workers or the batcher stops.
    void submit(const std::shared_ptr<models::ServedModel> &model, Job job);
    /// After a model's workers changed: fails its queue with 503 when they are now 0, wakes the pool.
    void workers_changed(const std::shared_ptr<models::ServedModel> &model);
    int threads() const noexcept { return static_cast<int>(threads_.size()); }
    size_t queued() const;

private:
    struct Batch {
        std::shared_ptr<models::ServedModel> model;
        std::vector<Job> jobs;
    };
    void work();
    bool take(Batch &batch, std::vector<Job> &expired, std::unique_lock<std::mutex> &lock);
    void run(Batch &batch);

    std::function<void(const BatchStats &)> observe_;
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::list<std::shared_ptr<models::ServedModel>> ready_;  ///< models with pending jobs
    bool stopping_ = false;
    std::vector<std::thread> threads_;
};

}  // namespace server::batching

#endif  // DIGITINFER_SERVER_BATCHING_BATCHER_HPP
