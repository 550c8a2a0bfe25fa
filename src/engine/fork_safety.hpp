// fork() and the OpenMP thread pools. GNU libgomp's pool (the engine's, the
// preprocessing's, and libtorch's intra-op one: the same libgomp here) does
// not survive fork(): in the child, the thread that forked still owns a pool
// whose threads do not exist, and its next parallel region waits for them for
// ever. So the library registers (once, when it is loaded) a pthread_atfork
// child handler, after which the child runs every call on the calling thread:
// its own parallel regions start no team (they ask usable_threads() first),
// and omp_set_num_threads(1) keeps libtorch's at::parallel_for serial (its
// thread count is omp_get_max_threads() of the calling thread).
#pragma once

namespace digitinfer::engine {

// The threads a call may use: `requested` (0 = the default), or 1 in a process
// forked from one that had loaded the library (at any depth), where it also
// sets omp_set_num_threads(1) on the calling thread. Not in the at-fork handler:
// LLVM's libomp resets itself in its own child handler, which runs after ours
// (it registers later), and omp_set_num_threads before that reset waited for
// ever on a lock of the parent's threads.
int usable_threads(int requested);

}  // namespace digitinfer::engine
