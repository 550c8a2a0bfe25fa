#include "metrics.hpp"

#include <prometheus/text_serializer.h>

#include "process_stats.hpp"

namespace server::metrics {
namespace {

using prometheus::Histogram;

const Histogram::BucketBoundaries kSeconds = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                              0.025,  0.05,    0.1,    0.25,  0.5,    1,     2.5,  5, 10};
const Histogram::BucketBoundaries kBatchSizes = {1, 2, 4, 8, 16, 32, 64, 128, 256};

prometheus::Family<Histogram> &histogram(prometheus::Registry &registry, const char *name, const char *help) {
    return prometheus::BuildHistogram().Name(name).Help(help).Register(registry);
}

prometheus::Gauge &gauge(prometheus::Registry &registry, const char *name, const char *help) {
    return prometheus::BuildGauge().Name(name).Help(help).Register(registry).Add({});
}

double seconds(http::Clock::time_point a, http::Clock::time_point b) {
    return std::chrono::duration<double>(b - a).count();
}

}  // namespace

Metrics::Metrics(Readings readings)
    : readings_(std::move(readings)), registry_(std::make_shared<prometheus::Registry>()),
      requests_(prometheus::BuildCounter()
                    .Name("digitinfer_requests_total")
                    .Help("HTTP requests answered, by listener, endpoint, model and status code")
                    .Register(*registry_)),
      request_seconds_(histogram(*registry_, "digitinfer_request_duration_seconds",
                                 "Whole request: from its header read to its answer, by endpoint")),
      queue_seconds_(histogram(*registry_, "digitinfer_queue_duration_seconds",
                               "Time a request waited for a forward thread and its batch, by model")),
      preprocess_seconds_(histogram(*registry_, "digitinfer_preprocess_duration_seconds",
                                    "Decode, grayscale, resize and normalize of one image, by model")),
      inference_seconds_(histogram(*registry_, "digitinfer_inference_duration_seconds",
                                   "One batched forward pass, by model")),
      batch_size_(histogram(*registry_, "digitinfer_batch_size", "Images per forward pass, by model")),
      models_loaded_(gauge(*registry_, "digitinfer_models_loaded", "Model versions loaded")),
      open_connections_(gauge(*registry_, "digitinfer_open_connections", "Open HTTP connections")),
      queued_jobs_(gauge(*registry_, "digitinfer_queued_requests", "Requests waiting for a forward")),
      resident_bytes_(gauge(*registry_, "process_resident_memory_bytes", "Resident memory size in bytes")),
      virtual_bytes_(gauge(*registry_, "process_virtual_memory_bytes", "Virtual memory size in bytes")),
      open_fds_(gauge(*registry_, "process_open_fds", "Open file descriptors")),
      start_time_(gauge(*registry_, "process_start_time_seconds", "Start time since the Unix epoch in seconds")),
      threads_(gauge(*registry_, "process_threads", "OS threads")),
      cpu_seconds_(prometheus::BuildCounter()
                       .Name("process_cpu_seconds_total")
                       .Help("User and system CPU time spent in seconds")
                       .Register(*registry_)
                       .Add({})) {}

void Metrics::request(const http::Completed &done) {
    const std::string endpoint = done.exchange ? done.exchange->endpoint : "http";
    const std::string model = done.exchange ? done.exchange->model : "";
    requests_
        .Add({{"listener", done.listener},
              {"endpoint", endpoint},
              {"model", model},
              {"code", std::to_string(done.status)}})
        .Increment();
    request_seconds_.Add({{"listener", done.listener}, {"endpoint", endpoint}}, kSeconds)
        .Observe(seconds(done.started, done.finished));
}

void Metrics::batch(const batching::BatchStats &stats) {
    const prometheus::Labels labels{{"model", stats.model->name}, {"version", stats.model->version}};
    auto &queue = queue_seconds_.Add(labels, kSeconds);
    for (double s : stats.queue_seconds) queue.Observe(s);
    auto &preprocess = preprocess_seconds_.Add(labels, kSeconds);
    for (double s : stats.preprocess_seconds) preprocess.Observe(s);
    if (stats.images == 0) return;
    inference_seconds_.Add(labels, kSeconds).Observe(stats.inference_seconds);
    batch_size_.Add(labels, kBatchSizes).Observe(double(stats.images));
}

std::string Metrics::scrape() {
    if (readings_.models_loaded) models_loaded_.Set(readings_.models_loaded());
    if (readings_.open_connections) open_connections_.Set(readings_.open_connections());
    if (readings_.queued_jobs) queued_jobs_.Set(readings_.queued_jobs());
    const ProcessStats process = read_process_stats();
    resident_bytes_.Set(process.resident_bytes);
    virtual_bytes_.Set(process.virtual_bytes);
    open_fds_.Set(process.open_fds);
    threads_.Set(process.threads);
    start_time_.Set(process.start_time_seconds);
    {
        std::lock_guard lock(cpu_mutex_);  // a counter only goes up: add what was used since the last scrape
        if (process.cpu_seconds > cpu_reported_) cpu_seconds_.Increment(process.cpu_seconds - cpu_reported_);
        cpu_reported_ = std::max(cpu_reported_, process.cpu_seconds);
    }
    return prometheus::TextSerializer().Serialize(registry_->Collect());
}

}  // namespace server::metrics
