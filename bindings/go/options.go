package digitinfer

/*
#include "shim.h"
*/
import "C"

import (
	"math"
	"time"
)

// Option is a load option of Load and LoadBytes; each mirrors a field of the
// C di_load_options. Unset fields keep di_load_options_default()'s values. The
// library checks the values: an out-of-range one fails the load with
// ErrInvalidArgument.
type Option func(*loadConfig)

type loadConfig struct {
	opts     C.di_load_options
	cacheDir *string // nil: the library's default directory
	err      error   // a value that does not fit the C field
}

func newLoadConfig(options []Option) *loadConfig {
	c := &loadConfig{opts: C.di_load_options_default()}
	for _, o := range options {
		o(c)
	}
	return c
}

func (c *loadConfig) int32Field(name string, v int) C.int32_t {
	if v < math.MinInt32 || v > math.MaxInt32 {
		c.err = newError(ErrInvalidArgument, name+" does not fit in 32 bits")
		return 0
	}
	return C.int32_t(v)
}

// WithThreads sets how many threads one batched call uses (0 = all cores, the
// default). A server predicting from many goroutines at once should use 1.
// With libtorch, a nonzero value also sets libtorch's process-wide count.
func WithThreads(n int) Option {
	return func(c *loadConfig) { c.opts.num_threads = c.int32Field("threads", n) }
}

// WithEngine chooses the forward-pass implementation (default EngineAuto).
func WithEngine(e Engine) Option {
	return func(c *loadConfig) { c.opts.engine = C.int32_t(e) }
}

// WithOutputKind declares what the model returns (default OutputAuto: its
// metadata, else detected at load time).
func WithOutputKind(k OutputKind) Option {
	return func(c *loadConfig) { c.opts.output_kind = C.int32_t(k) }
}

// WithMaxPixels sets the largest image (width x height) a predict call
// accepts, in [1, DefaultMaxPixels]. Larger images fail with ErrDecode
// (encoded) or ErrInvalidArgument (gray).
func WithMaxPixels(n uint64) Option {
	return func(c *loadConfig) { c.opts.max_pixels = C.uint64_t(n) }
}

// WithMaxEncodedBytes sets the largest encoded image accepted (ErrDecode
// beyond), in [1, DefaultMaxEncodedBytes].
func WithMaxEncodedBytes(n uint64) Option {
	return func(c *loadConfig) { c.opts.max_encoded_bytes = C.uint64_t(n) }
}

// WithMaxJPEGScans sets the most scans a progressive JPEG may have
// (ErrDecode beyond), in [1, MaxJPEGScans].
func WithMaxJPEGScans(n uint32) Option {
	return func(c *loadConfig) { c.opts.max_jpeg_scans = C.uint32_t(n) }
}

// WithTorchTimeLimit sets the wall time one libtorch forward may take
// (rounded up to a millisecond; 0 = no limit; default 30 s): ErrModel at
// load, ErrInference at predict beyond it.
func WithTorchTimeLimit(d time.Duration) Option {
	return func(c *loadConfig) {
		ms := (d + time.Millisecond - 1) / time.Millisecond
		if d < 0 || ms > math.MaxUint32 {
			c.err = newError(ErrInvalidArgument, "torch time limit out of range: "+d.String())
			return
		}
		c.opts.torch_time_limit_ms = C.uint32_t(ms)
	}
}

// WithTorchMemoryLimit sets the bytes one libtorch forward may allocate at
// once (0 = no limit; default 2 GiB): ErrModel at load, ErrOutOfMemory at
// predict beyond it.
func WithTorchMemoryLimit(bytes uint64) Option {
	return func(c *loadConfig) { c.opts.torch_memory_limit_bytes = C.uint64_t(bytes) }
}

// WithCacheDir sets the compiled-model cache directory ("" = no cache). By
// default the library uses $DIGITINFER_CACHE_DIR, else
// $XDG_CACHE_HOME/digitinfer, else $HOME/.cache/digitinfer.
func WithCacheDir(dir string) Option {
	return func(c *loadConfig) { c.cacheDir = &dir }
}

// WithTrustedModel marks the model file as trusted code
// (DI_LOAD_TRUSTED_MODEL). A TorchScript file is a program: without this,
// only graphs of pure tensor operators load. Set it only for files you would
// run as a program.
func WithTrustedModel() Option {
	return func(c *loadConfig) { c.opts.flags |= C.DI_LOAD_TRUSTED_MODEL }
}
