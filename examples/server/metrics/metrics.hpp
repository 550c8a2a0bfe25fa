// The Prometheus metrics (GET /metrics on the metrics port): requests by model,
// endpoint and status code; latency histograms of the whole request, the queue,
// preprocessing and inference; batch sizes; models loaded; process memory and CPU.
#ifndef DIGITINFER_SERVER_METRICS_METRICS_HPP
#define DIGITINFER_SERVER_METRICS_METRICS_HPP

#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "batching/batcher.hpp"
#include "http/service.hpp"

namespace server::metrics {

/// Gauges read at scrape time.
struct Readings {
    std::function<double()> models_loaded, open_connections, queued_jobs;
};

class Metrics {
public:
    explicit Metrics(Readings readings);
    void request(const http::Completed &done);
    void batch(const batching::BatchStats &stats);
    /// The text exposition format (version 0.0.4).
    std::string scrape();

private:
    Readings readings_;
    std::shared_ptr<prometheus::Registry> registry_;
    prometheus::Family<prometheus::Counter> &requests_;
    prometheus::Family<prometheus::Histogram> &request_seconds_, &queue_seconds_, &preprocess_seconds_,
        &inference_seconds_, &batch_size_;
    prometheus::Gauge &models_loaded_, &open_connections_, &queued_jobs_;
    prometheus::Gauge &resident_bytes_, &virtual_bytes_, &open_fds_, &start_time_, &threads_;
    prometheus::Counter &cpu_seconds_;
    std::mutex cpu_mutex_;
    double cpu_reported_ = 0;
};

}  // namespace server::metrics

#endif  // DIGITINFER_SERVER_METRICS_METRICS_HPP
