#include "thread_pool.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <system_error>
#include <thread>

#include <pthread.h>
#include <signal.h>

#include "fork_safety.hpp"

namespace digitinfer::engine {
namespace {

// How long a thread watches for what it waits for before it blocks: long enough
// to bridge back-to-back batches and a task's last microseconds, short enough
// that a core goes back at once to other work on a busy machine (docs/benchmarks.md).
constexpr auto kSpin = std::chrono::microseconds(50);

// Spins while busy() says so, for at most kSpin.
template <class Busy>
void spin_while(Busy &&busy) {
    const auto deadline = std::chrono::steady_clock::now() + kSpin;
    for (unsigned i = 1; busy(); ++i) {
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#endif
        if (i % 64 == 0 && std::chrono::steady_clock::now() >= deadline) return;
    }
}

// One parallel_for call. Workers hold it by shared_ptr, so one that picks it up
// after the call returned finds no task left and touches nothing of the caller's.
struct Job {
    const std::function<void(std::size_t)> *fn;
    std::size_t tasks;
    std::atomic<std::size_t> next{0};      // the next task to claim (>= tasks: none left)
    std::atomic<std::size_t> finished{0};  // claimed tasks that have returned
    std::atomic<bool> failed{false};       // a task threw: the rest are claimed but not run
    std::mutex mutex;                      // guards error; with `done`, the caller's wait
    std::condition_variable done;
    std::exception_ptr error;

    Job(const std::function<void(std::size_t)> &f, std::size_t n) : fn(&f), tasks(n) {}

    // Claims and runs tasks until none is left.
    void work() {
        bool ran = false;
        for (std::size_t task; (task = next.fetch_add(1, std::memory_order_relaxed)) < tasks; ran = true) {
            if (!failed.load(std::memory_order_relaxed)) {
                try {
                    (*fn)(task);
                } catch (...) {
                    std::lock_guard<std::mutex> lock(mutex);
                    if (!error) error = std::current_exception();
                    failed.store(true, std::memory_order_relaxed);
                }
            }
            finished.fetch_add(1, std::memory_order_acq_rel);
        }
        if (ran) {  // under the mutex: the caller is either before its check or waiting
            std::lock_guard<std::mutex> lock(mutex);
            done.notify_all();
        }
    }

    // After the caller's own work(): every task has been claimed; waits for them to
    // return, watching for a while before it blocks (a task often ends in microseconds).
    void wait() {
        spin_while([this] { return finished.load(std::memory_order_acquire) < tasks; });
        std::unique_lock<std::mutex> lock(mutex);
        done.wait(lock, [this] { return finished.load(std::memory_order_acquire) == tasks; });
        if (error) std::rethrow_exception(error);
    }
};

// Never destroyed, and its workers never joined: they block in wait() at exit
// (as OpenMP's do), and a forked child, which has none of them, must not wait
// for them either.
class Pool {
public:
    // Offers the job to up to `helpers` idle workers.
    void offer(const std::shared_ptr<Job> &job, std::size_t helpers) {
        std::lock_guard<std::mutex> lock(mutex_);
        while (workers_ < helpers && start_worker()) {  // grow to what is asked for, once
            ++workers_;
            ++idle_;
        }
        const std::size_t n = std::min(helpers, idle_);
        idle_ -= n;
        for (std::size_t i = 0; i < n; ++i) queue_.push_back(job);
        queued_.store(queue_.size(), std::memory_order_relaxed);
        if (n == 1) wake_.notify_one();
        else if (n > 1) wake_.notify_all();
    }

private:
    // A worker with every signal blocked, so that signals go to the application's
    // threads. False when the system refuses a thread: the call then uses fewer.
    bool start_worker() {
        sigset_t all, old;
        sigfillset(&all);
        pthread_sigmask(SIG_BLOCK, &all, &old);
        bool started = true;
        try {
            std::thread([this] { run(); }).detach();
        } catch (const std::system_error &) {
            started = false;
        }
        pthread_sigmask(SIG_SETMASK, &old, nullptr);
        return started;
    }

    void run() {
        std::unique_lock<std::mutex> lock(mutex_);
        for (;;) {
            if (queue_.empty()) {  // spin a little first: calls often come back to back
                lock.unlock();
                spin_while([this] { return queued_.load(std::memory_order_relaxed) == 0; });
                lock.lock();
            }
            wake_.wait(lock, [this] { return !queue_.empty(); });
            std::shared_ptr<Job> job = std::move(queue_.front());
            queue_.pop_front();
            queued_.store(queue_.size(), std::memory_order_relaxed);
            lock.unlock();
            job->work();
            job.reset();
            lock.lock();
            ++idle_;
        }
    }

    std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<std::shared_ptr<Job>> queue_;  // one entry per worker a job was offered to
    std::atomic<std::size_t> queued_{0};  // queue_.size(), for spinning workers to watch
    std::size_t workers_ = 0;
    std::size_t idle_ = 0;  // workers neither running a job nor offered one
};

Pool &pool() {
    static Pool *p = new Pool;
    return *p;
}

}  // namespace

void parallel_for(std::size_t tasks, int threads, const std::function<void(std::size_t)> &fn) {
    threads = usable_threads(threads);
    if (threads <= 1 || tasks <= 1) {
        for (std::size_t t = 0; t < tasks; ++t) fn(t);
        return;
    }
    auto job = std::make_shared<Job>(fn, tasks);
    pool().offer(job, std::min(tasks, std::size_t(threads)) - 1);
    job->work();
    job->wait();
}

}  // namespace digitinfer::engine
