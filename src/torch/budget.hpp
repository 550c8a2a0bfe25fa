// Time and memory budgets for libtorch code: every forward, and every pass that runs
// operators (freezing, constant propagation, optimize_for_inference), runs under a budget of
// its own, trusted model or not. Internal; torch TUs only.
//
// Memory: a CPU allocator installed in front of c10's (c10::SetCPUAllocator, higher
// priority) counts the bytes live from allocations made on the budgeted thread, and refuses
// one beyond the limit before it is made. Allocations outliving the step (its outputs) keep
// the budget alive and release their bytes when freed. Not counted: allocations made by
// libtorch's worker threads (per-thread scratch inside parallel kernels), and memory that
// does not come from c10's CPU allocator (plain malloc inside a library).
//
// Time: the deadline is checked at every allocation of the budgeted thread and at the top of
// every loop body (digitinfer::check_budget, inserted by insert_loop_checks), so that a
// `while True:` stops. Code that neither allocates nor loops runs a bounded number of
// operators, but one operator cannot be interrupted: a single huge matmul or convolution
// runs to its end.
#pragma once

#include <functional>
#include <optional>

#include <torch/script.h>

#include "torch/forward_code.hpp"
#include "torch/plugin_abi.hpp"

namespace digitinfer::core {

// Installs the budgeted allocator (once per process); false when another allocator has
// taken precedence, so that a memory limit cannot be enforced.
bool install_budget_allocator();

// How many bytes the budgeted allocator gave `data`, or nullopt when it did not allocate it.
// torch::jit::load takes a storage's size from the archive's pickle and its bytes from the
// storage's record without comparing them: this is how the tensor check finds the difference.
std::optional<std::size_t> allocated_bytes(const c10::DataPtr &data);

// Runs `body` under a fresh budget with `options`' limits on this thread. When the budget is
// exceeded, throws Failure: DI_ERR_OUT_OF_MEMORY (memory) or DI_ERR_INFERENCE (time), saying
// which limit; anything else `body` throws passes through.
void under_budget(const TorchOpenOptions &options, const std::function<void()> &body);

// Puts the time check at the top of every loop body of `code` (in place).
void insert_loop_checks(const ForwardCode &code);
// Takes the time checks out of `graph` again (for the native engine's lowering).
void remove_loop_checks(torch::jit::Graph &graph);

}  // namespace digitinfer::core
