// The library's thread pool (src/engine/thread_pool.hpp) on its own: every task runs
// exactly once, from one caller and from 8 at once, with a task that throws, nested calls,
// and threads <= 1 on the calling thread. The TSan preset runs it, which checks the pool's
// synchronization (its workers and mutexes are instrumented, unlike an OpenMP runtime's).
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <thread>
#include <vector>

#include "engine/thread_pool.hpp"

using digitinfer::engine::parallel_for;

namespace {

int failures = 0;

void check(bool ok, const char *what) {
    if (!ok) {
        std::fprintf(stderr, "FAIL: %s\n", what);
        ++failures;
    }
}

// Each of `tasks` tasks counts itself; all counts must be 1.
bool each_once(std::size_t tasks, int threads) {
    std::vector<std::atomic<int>> runs(tasks);
    parallel_for(tasks, threads, [&](std::size_t t) { runs[t].fetch_add(1, std::memory_order_relaxed); });
    for (auto &r : runs)
        if (r.load() != 1) return false;
    return true;
}

}  // namespace

int main() {
    check(each_once(1000, 4), "1000 tasks on 4 threads, each once");
    check(each_once(0, 2), "no task");
    check(each_once(1, 2), "one task");

    const std::thread::id caller = std::this_thread::get_id();
    bool elsewhere = false;
    parallel_for(64, 1, [&](std::size_t) { elsewhere |= std::this_thread::get_id() != caller; });
    check(!elsewhere, "threads = 1 runs on the calling thread");

    std::vector<std::thread> callers;
    std::atomic<int> bad{0};
    for (int c = 0; c < 8; ++c)
        callers.emplace_back([&] {
            for (int i = 0; i < 200; ++i)
                if (!each_once(std::size_t(1 + i % 40), 2 + i % 3)) bad.fetch_add(1);
        });
    for (auto &t : callers) t.join();
    check(bad.load() == 0, "8 callers at once, each task once");

    bool thrown = false;
    try {
        parallel_for(100, 2, [](std::size_t t) {
            if (t == 37) throw std::runtime_error("task 37");
        });
    } catch (const std::runtime_error &) {
        thrown = true;
    }
    check(thrown, "a task's exception reaches the caller");
    check(each_once(500, 2), "the pool works after an exception");

    std::atomic<int> inner{0};
    parallel_for(8, 2, [&](std::size_t) {
        parallel_for(16, 2, [&](std::size_t) { inner.fetch_add(1, std::memory_order_relaxed); });
    });
    check(inner.load() == 8 * 16, "nested calls run every inner task");

    if (failures) return 1;
    std::puts("thread pool ok");
    return 0;
}
