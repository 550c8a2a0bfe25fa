#include "fork_safety.hpp"

#include <omp.h>
#include <pthread.h>

#include <atomic>

namespace digitinfer::engine {
namespace {

std::atomic<bool> forked_child{false};

// Runs in the child, on the only thread it has: the one that called fork().
void on_fork_child() { forked_child.store(true, std::memory_order_relaxed); }

// Registered when the library is loaded: a fork before any call is covered too.
// glibc unregisters the handler when the library is unloaded (dlclose).
const bool registered = pthread_atfork(nullptr, nullptr, on_fork_child) == 0;

}  // namespace

int usable_threads(int requested) {
    if (!registered || !forked_child.load(std::memory_order_relaxed)) return requested;
    omp_set_num_threads(1);  // an ICV of this thread: cheap, and right for threads the child makes later
    return 1;
}

}  // namespace digitinfer::engine
