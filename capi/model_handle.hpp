// What the opaque di_model handle holds.
#pragma once

#include <cstdint>
#include <memory>

#include "core/pipeline.hpp"
#include "guard.hpp"

struct di_model {
    // `live` while the model is, cleared by di_model_free: a call on a freed model (or a second
    // free) finds it cleared, unless the memory has been reused since (digitinfer.h). Volatile,
    // so that the store before the delete is not optimized away.
    static constexpr std::uint64_t kLive = 0x6c65646f6d6964ull;  // "dimodel"
    volatile std::uint64_t live = kLive;
    std::unique_ptr<digitinfer::core::Pipeline> pipeline;

    ~di_model() { live = 0; }
};

namespace digitinfer::core {

// Throws Failure(DI_ERR_INVALID_ARGUMENT) unless `model` is a live di_model.
inline void require_model(const di_model *model) {
    require(model, "model");
    if (model->live != di_model::kLive) fail(DI_ERR_INVALID_ARGUMENT, "model is not a live di_model (freed already?)");
}

}  // namespace digitinfer::core
