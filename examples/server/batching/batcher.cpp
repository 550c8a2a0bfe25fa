#include "batcher.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "api/responses.hpp"

namespace server::batching {
namespace {

double seconds_between(Clock::time_point a, Clock::time_point b) {
    return std::chrono::duration<double>(b - a).count();
}

JobResult failed(size_t count, int http_status, const std::string &why) {
    JobResult result;
    result.items.resize(count);
    result.http_status = http_status;
    result.failure = why;
    return result;
}

}  // namespace

Batcher::Batcher(int threads, std::function<void(const BatchStats &)> observe) : observe_(std::move(observe)) {
    for (int i = 0; i < std::max(1, threads); ++i) threads_.emplace_back([this] { work(); });
}

Batcher::~Batcher() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    for (auto &thread : threads_) thread.join();
}

void Batcher::submit(const std::shared_ptr<models::ServedModel> &model, Job job) {
    {
        std::lock_guard lock(mutex_);
        if (stopping_) throw api::service_unavailable("the server is shutting down");
        if (model->workers.load() <= 0)
            throw api::service_unavailable("No worker is available to serve request for model: " + model->name +
                                           " (it is scaled to 0 workers)");
        job.enqueued = Clock::now();
        model->pending.push_back(std::move(job));
        if (std::find(ready_.begin(), ready_.end(), model) == ready_.end()) ready_.push_back(model);
    }
    wake_.notify_one();
}

void Batcher::workers_changed(const std::shared_ptr<models::ServedModel> &model) {
    std::deque<Job> dropped;
    {
        std::lock_guard lock(mutex_);
        if (model->workers.load() <= 0) {
            dropped.swap(model->pending);
            ready_.remove(model);
        }
    }
    for (Job &job : dropped)
        job.done(failed(job.count, 503, "model " + model->name + " was scaled to 0 workers"));
    wake_.notify_all();
}

size_t Batcher::queued() const {
    std::lock_guard lock(mutex_);
    size_t n = 0;
    for (const auto &model : ready_) n += model->pending.size();
    return n;
}

// Picks the first model (round robin) that has work and a free worker, and takes its batch once it is
// full or its oldest job has waited max_batch_delay. Returns false when stopping with nothing left.
// Jobs queued longer than their model's response timeout move to `expired` (answered 503 by the caller).
bool Batcher::take(Batch &batch, std::vector<Job> &expired, std::unique_lock<std::mutex> &lock) {
    for (;;) {
        auto deadline = Clock::time_point::max();
        const auto now = Clock::now();
        for (auto it = ready_.begin(); it != ready_.end(); ++it) {
            models::ServedModel &model = **it;
            while (!model.pending.empty() && now - model.pending.front().enqueued > model.response_timeout) {
                expired.push_back(std::move(model.pending.front()));
                model.pending.pop_front();
            }
            if (!expired.empty()) return false;
            if (model.pending.empty() || model.running >= model.workers.load()) continue;
            size_t images = 0;
            for (const Job &job : model.pending) images += job.count;
            const auto due = model.pending.front().enqueued + model.max_batch_delay;
            if (images < size_t(model.batch_size) && now < due && !stopping_) {
                deadline = std::min(deadline, due);
                continue;
            }
            batch.model = *it;
            images = 0;
            while (!model.pending.empty() &&
                   (batch.jobs.empty() || images + model.pending.front().count <= size_t(model.batch_size))) {
                images += model.pending.front().count;
                batch.jobs.push_back(std::move(model.pending.front()));
                model.pending.pop_front();
            }
            ++model.running;
            ready_.erase(it);
            if (!model.pending.empty()) ready_.push_back(batch.model);  // to the back: fairness
            return true;
        }
        ready_.remove_if([](const auto &m) { return m->pending.empty(); });
        if (stopping_ && ready_.empty()) return false;
        if (deadline == Clock::time_point::max())
            wake_.wait(lock);
        else
            wake_.wait_until(lock, deadline);
    }
}

void Batcher::work() {
    std::unique_lock lock(mutex_);
    for (;;) {
        Batch batch;
        std::vector<Job> expired;
        if (!take(batch, expired, lock)) {
            if (expired.empty()) return;  // stopping
            lock.unlock();
            for (Job &job : expired) job.done(failed(job.count, 503, "the request waited longer than the response timeout"));
            lock.lock();
            continue;
        }
        lock.unlock();
        run(batch);
        lock.lock();
        --batch.model->running;
        if (!batch.model->pending.empty()) wake_.notify_one();
    }
}

void Batcher::run(Batch &batch) {
    const models::ServedModel &model = *batch.model;
    const size_t floats = model.tensor_floats();
    const size_t classes = size_t(model.info.num_classes);
    BatchStats stats{&model, 0, {}, {}, 0};
    const auto taken = Clock::now();

    size_t total = 0;
    for (const Job &job : batch.jobs) {
        total += job.count;
        stats.queue_seconds.push_back(seconds_between(job.enqueued, taken));
    }
    // Each image: its result, and its slot in the forward's input (or none when preprocessing failed).
    std::vector<digitinfer::ImageResult> results(total);
    std::vector<size_t> slot(total, std::numeric_limits<size_t>::max());
    static thread_local std::vector<float> input;
    input.resize(total * floats);
    size_t good = 0, item = 0;
    for (const Job &job : batch.jobs) {
        for (size_t i = 0; i < job.count; ++i, ++item) {
            float *dest = input.data() + good * floats;
            if (job.encoded.empty()) {
                std::copy_n(job.tensors.data() + i * floats, floats, dest);
            } else {
                const auto start = Clock::now();
                const std::string_view file = job.encoded[i];
                const di_status status =
                    di_model_preprocess_encoded(model.model.get(), file.data(), file.size(), nullptr, 0, dest, floats);
                stats.preprocess_seconds.push_back(seconds_between(start, Clock::now()));
                if (status != DI_OK) {
                    results[item].status = status;
                    results[item].message = di_last_error_message();
                    continue;
                }
            }
            slot[item] = good++;
        }
    }
    stats.images = good;

    std::vector<di_prediction> predictions(good);
    std::vector<float> probabilities(good * classes), log_probabilities(good * classes);
    std::vector<di_status> statuses(good, DI_OK);
    std::vector<const char *> messages(good, "");
    di_status forward = DI_OK;
    std::string forward_message;
    if (good > 0) {
        di_predict_options options = di_predict_options_default();
        options.num_threads = 1;  // the pool is the parallelism: one thread per forward
        di_results out = di_results_default();
        out.predictions = predictions.data();
        out.probabilities = probabilities.data();
        out.log_probabilities = log_probabilities.data();
        out.scores_capacity = probabilities.size();
        out.statuses = statuses.data();  // a non-finite tensor fails alone
        out.messages = messages.data();
        const auto start = Clock::now();
        forward = di_model_predict_tensor_ex(model.model.get(), input.data(), good * floats, good, &options, &out);
        stats.inference_seconds = seconds_between(start, Clock::now());
        if (forward != DI_OK) forward_message = di_last_error_message();
    }
    for (size_t i = 0; i < total; ++i) {
        if (slot[i] == std::numeric_limits<size_t>::max()) continue;
        const size_t k = slot[i];
        digitinfer::ImageResult &r = results[i];
        if (forward != DI_OK) {
            r.status = forward;
            r.message = forward_message;
        } else if (statuses[k] != DI_OK) {
            r.status = statuses[k];
            r.message = messages[k];
        } else {
            r.prediction.digit = predictions[k].class_index;
            r.prediction.probabilities.assign(probabilities.begin() + long(k * classes),
                                              probabilities.begin() + long((k + 1) * classes));
            r.prediction.log_probabilities.assign(log_probabilities.begin() + long(k * classes),
                                                  log_probabilities.begin() + long((k + 1) * classes));
        }
    }
    if (input.capacity() > (size_t(16) << 20) / sizeof(float)) input = {};  // keep at most 16 MiB per thread
    if (observe_) observe_(stats);

    item = 0;
    for (Job &job : batch.jobs) {
        JobResult result;
        result.items.assign(std::make_move_iterator(results.begin() + long(item)),
                            std::make_move_iterator(results.begin() + long(item + job.count)));
        item += job.count;
        if (forward != DI_OK && forward != DI_ERR_INVALID_ARGUMENT) {
            result.http_status = 500;
            result.failure = forward_message;
        }
        job.done(std::move(result));
    }
}

}  // namespace server::batching
