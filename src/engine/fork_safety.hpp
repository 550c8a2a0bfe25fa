// fork() and the OpenMP thread pools. GNU libgomp's pool (the engine's, the
// preprocessing's, and libtorch's intra-op one: the same libgomp here) does
// not survive fork(): in the child, the thread that forked still owns a pool
// whose threads do not exist, and its next parallel region waits for them for
// ever. So the library registers (once, when it is loaded) a pthread_atfork
// child handler, after which the child runs every call on the calling thread:
// its own parallel regions start no team (ask in_forked_child() before one),
// and omp_set_num_threads(1) keeps libtorch's at::parallel_for serial (its
// thread count is omp_get_max_threads() of the calling thread).
#pragma once

namespace digitinfer::engine {

// True in a process forked from one that had loaded the library (at any depth).
// Loading a model there asks for one thread (a TorchScript load sets libtorch's count).
bool in_forked_child();

}  // namespace digitinfer::engine
