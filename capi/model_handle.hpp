// What the opaque di_model handle holds.
#pragma once

#include <memory>

#include "core/pipeline.hpp"

struct di_model {
    std::unique_ptr<digitinfer::core::Pipeline> pipeline;
};
