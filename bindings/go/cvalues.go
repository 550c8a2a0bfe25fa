package digitinfer

/*
#include "shim.h"
*/
import "C"

// The Go constants are written as numbers, for the documentation; this fails
// to compile (index out of range) if one of them differs from the header's.
func _() {
	var x [1]struct{}
	_ = x[StatusOK-C.DI_OK]
	_ = x[ErrInvalidArgument-C.DI_ERR_INVALID_ARGUMENT]
	_ = x[ErrIO-C.DI_ERR_IO]
	_ = x[ErrDecode-C.DI_ERR_DECODE]
	_ = x[ErrModel-C.DI_ERR_MODEL]
	_ = x[ErrOutOfMemory-C.DI_ERR_OUT_OF_MEMORY]
	_ = x[ErrBufferTooSmall-C.DI_ERR_BUFFER_TOO_SMALL]
	_ = x[ErrInference-C.DI_ERR_INFERENCE]
	_ = x[ErrInternal-C.DI_ERR_INTERNAL]
	_ = x[EngineAuto-C.DI_ENGINE_AUTO]
	_ = x[EngineNative-C.DI_ENGINE_NATIVE]
	_ = x[EngineLibtorch-C.DI_ENGINE_LIBTORCH]
	_ = x[EngineLibtorchReference-C.DI_ENGINE_LIBTORCH_REFERENCE]
	_ = x[OutputAuto-C.DI_OUTPUT_AUTO]
	_ = x[OutputLogProbabilities-C.DI_OUTPUT_LOG_PROBABILITIES]
	_ = x[OutputLogits-C.DI_OUTPUT_LOGITS]
	_ = x[OutputProbabilities-C.DI_OUTPUT_PROBABILITIES]
	_ = x[CacheNotUsed-C.DI_CACHE_NOT_USED]
	_ = x[CacheHit-C.DI_CACHE_HIT]
	_ = x[CacheStored-C.DI_CACHE_STORED]
	_ = x[CacheNotStored-C.DI_CACHE_NOT_STORED]
	_ = x[DefaultMaxPixels-C.DI_DEFAULT_MAX_PIXELS]
	_ = x[DefaultMaxEncodedBytes-C.DI_DEFAULT_MAX_ENCODED_BYTES]
	_ = x[DefaultMaxJPEGScans-C.DI_DEFAULT_MAX_JPEG_SCANS]
	_ = x[MaxJPEGScans-C.DI_MAX_JPEG_SCANS]
	_ = x[DefaultTorchMemoryLimitBytes-C.DI_DEFAULT_TORCH_MEMORY_LIMIT_BYTES]
	_ = x[DefaultTorchTimeLimitMillis-C.DI_DEFAULT_TORCH_TIME_LIMIT_MS]
	_ = x[MaxBatch-C.DI_MAX_BATCH]
	_ = x[C.DI_LOAD_TRUSTED_MODEL-1]
}
