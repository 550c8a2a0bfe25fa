package digitinfer

/*
#include <stdlib.h>
#include "shim.h"
*/
import "C"

import "unsafe"

// Engine selects the implementation that runs the forward pass (di_engine).
type Engine int32

const (
	EngineAuto              Engine = 0 // native if it supports the graph, else libtorch
	EngineNative            Engine = 1 // DigitInfer's own kernels
	EngineLibtorch          Engine = 2 // libtorch on the frozen, optimized module
	EngineLibtorchReference Engine = 3 // libtorch on the module as loaded
)

// String returns the library's name for e: "auto", "native", "libtorch", "reference" or "unknown".
func (e Engine) String() string { return C.GoString(C.di_engine_name(C.di_engine(e))) }

// ParseEngine returns the Engine the library calls name; ErrInvalidArgument for other names.
func ParseEngine(name string) (Engine, error) {
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	var e C.di_engine
	var msg *C.char
	if err := check(C.go_di_engine_from_name(cname, &e, &msg), msg); err != nil {
		return 0, err
	}
	return Engine(e), nil
}

// OutputKind says what a model's forward returns (di_output_kind).
type OutputKind int32

const (
	OutputAuto             OutputKind = 0 // from metadata, else detected
	OutputLogProbabilities OutputKind = 1 // log_softmax output
	OutputLogits           OutputKind = 2 // raw scores: the library softmaxes them
	OutputProbabilities    OutputKind = 3 // softmax output
)

// String returns the library's name for k, e.g. "log_probabilities".
func (k OutputKind) String() string { return C.GoString(C.di_output_kind_name(C.di_output_kind(k))) }

// ParseOutputKind returns the OutputKind the library calls name ("logits",
// "log_softmax", ...); ErrInvalidArgument for other names.
func ParseOutputKind(name string) (OutputKind, error) {
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	var k C.di_output_kind
	var msg *C.char
	if err := check(C.go_di_output_kind_from_name(cname, &k, &msg), msg); err != nil {
		return 0, err
	}
	return OutputKind(k), nil
}

// CacheUse says what the compiled-model cache did for one load (di_cache_use).
type CacheUse int32

const (
	CacheNotUsed   CacheUse = 0 // not consulted
	CacheHit       CacheUse = 1 // read from the cache: libtorch was not loaded
	CacheStored    CacheUse = 2 // compiled, then written to the cache
	CacheNotStored CacheUse = 3 // compiled, nothing cached
)

func (c CacheUse) String() string {
	switch c {
	case CacheNotUsed:
		return "not used"
	case CacheHit:
		return "hit"
	case CacheStored:
		return "stored"
	case CacheNotStored:
		return "not stored"
	}
	return "unknown"
}

// Limits and defaults of the C API (checked against the header in cvalues.go).
const (
	DefaultMaxPixels             uint64 = 178956970 // Pillow's bomb limit; also the largest WithMaxPixels
	DefaultMaxEncodedBytes       uint64 = 1 << 30   // also the largest WithMaxEncodedBytes
	DefaultMaxJPEGScans          uint32 = 100       // most scans of a progressive JPEG, by default
	MaxJPEGScans                 uint32 = 65535     // the largest WithMaxJPEGScans
	DefaultTorchMemoryLimitBytes uint64 = 2 << 30   // per libtorch forward
	DefaultTorchTimeLimitMillis  uint32 = 30000     // per libtorch forward
	MaxBatch                            = 65536     // most images in one predict call
)

// The version of the C headers this package was compiled against; Version
// and ABIVersion give the loaded library's.
const (
	HeaderVersion    = C.DI_VERSION_STRING
	HeaderABIVersion = int(C.DI_ABI_VERSION)
)

// Version returns the version of the loaded C library, "MAJOR.MINOR.PATCH".
func Version() string { return C.GoString(C.di_version()) }

// ABIVersion returns the C ABI version (the SONAME number) of the loaded library.
func ABIVersion() int { return int(C.di_abi_version()) }
