// The library's own worker threads (internal): what the engine's batches and
// split images and the pipeline's preprocessing run on, instead of OpenMP teams.
//
// Why not an OpenMP team: a parallel region ends at a barrier every team thread
// must reach, so a call waits for a worker the scheduler has not run yet (on a
// busy machine, for milliseconds: 10,000 single-image calls took 6-13x longer
// with two threads than with one), and every caller thread gets a team of its
// own, so eight threads calling at once start sixteen.
//
// Here, tasks are claimed one at a time, and the calling thread runs every task
// no worker has claimed: a call waits only for tasks already running, never for
// a worker to start. A call borrows only idle workers: however many threads call
// at once, at most (callers + workers) threads run. Workers block when idle
// (no spinning that would take a core from the application).
#pragma once

#include <cstddef>
#include <functional>

namespace digitinfer::engine {

// Runs fn(task) for every task in [0, tasks), on the calling thread and on at
// most threads - 1 idle workers (the pool grows to the largest threads - 1 asked
// for). threads <= 1, one task, or a forked child (fork_safety.hpp): the calling
// thread alone. Rethrows the first exception a task threw, once every claimed
// task has finished; tasks not yet claimed then are not run.
void parallel_for(std::size_t tasks, int threads, const std::function<void(std::size_t)> &fn);

}  // namespace digitinfer::engine
