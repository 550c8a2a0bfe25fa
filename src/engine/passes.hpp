// Rewrites of a plan that keep its results (up to float rounding) and make it
// cheaper to run: run by Engine::create and by the TorchScript lowering, so a
// .dimodel stores the simplified plan.
#pragma once

#include "plan.hpp"

namespace digitinfer::engine {

// Removes what the output does not depend on and identities (Identity
// pointwise, Flatten of a flat tensor); folds a BatchNorm into the Conv2d or
// Linear before it, and fuses an activation into one, when that layer's output
// has no other use. Checks `plan` first: std::invalid_argument (infer_shapes) if invalid.
Plan simplify(const Plan &plan);

}  // namespace digitinfer::engine
