// One version of one model as the server serves it: the loaded library model,
// its batching settings and the queue of requests waiting for a forward.
#ifndef DIGITINFER_SERVER_MODELS_SERVED_MODEL_HPP
#define DIGITINFER_SERVER_MODELS_SERVED_MODEL_HPP

#include <atomic>
#include <chrono>
#include <deque>
#include <string>

#include <digitinfer/digitinfer.hpp>

#include "batching/job.hpp"

namespace server::models {

struct BatchSettings {
    int batch_size = 8;                              ///< most images in one forward
    std::chrono::microseconds max_batch_delay{0};    ///< longest wait for a fuller batch; 0 = take what is queued
    int workers = 1;                                 ///< forwards of this model that may run at once; 0 = none
    std::chrono::seconds response_timeout{120};      ///< a request queued longer gets 503 instead of a forward
};

class ServedModel {
public:
    ServedModel(std::string name, std::string version, std::string url, digitinfer::Model model,
                BatchSettings settings, bool loaded_at_startup);

    const std::string name, version;
    const std::string url;  ///< what it was registered from (a model store file name)
    const digitinfer::Model model;
    const digitinfer::ModelInfo info;
    const bool loaded_at_startup;
    const std::chrono::system_clock::time_point loaded_at;
    const int batch_size;
    const std::chrono::microseconds max_batch_delay;
    const std::chrono::seconds response_timeout;
    std::atomic<int> workers;      ///< forwards that may run at once (TorchServe's min_worker)
    std::atomic<int> max_workers;  ///< reported only: one pool, no autoscaling between min and max

    size_t tensor_floats() const noexcept { return model.input_shape().floats(); }

    // Guarded by the Batcher's mutex.
    std::deque<batching::Job> pending;
    int running = 0;  ///< forwards in progress
};

}  // namespace server::models

#endif  // DIGITINFER_SERVER_MODELS_SERVED_MODEL_HPP
