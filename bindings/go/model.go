package digitinfer

/*
#include <stdlib.h>
#include "shim.h"
*/
import "C"

import (
	"runtime"
	"sync"
	"unsafe"
)

// Model is a loaded classifier with its preprocessing parameters.
//
// A Model is safe for concurrent use by any number of goroutines: the C model
// is immutable after loading, so predict calls run in parallel. Close waits
// for the calls in flight to return, and any call after Close fails with
// ErrInvalidArgument instead of touching freed memory.
//
// Call Close when done: it frees the C model (its weights) at once. A Model
// that becomes unreachable without Close is freed by a finalizer, but only
// when the garbage collector gets to it, which may be late or never, since
// the collector does not see the C memory.
type Model struct {
	mu     sync.RWMutex // read-held by every call on ptr, write-held by Close
	ptr    *C.di_model  // nil once closed
	info   Info
	labels []string
}

// Info describes a loaded model (di_model_info).
type Info struct {
	InputChannels   int        // C of the [N,C,H,W] input; 1 for grayscale
	InputHeight     int        // H, pixels
	InputWidth      int        // W, pixels
	NumClasses      int        // length of each probability row
	Mean, Std       float32    // normalization, after dividing by 255
	OutputKind      OutputKind // resolved: never OutputAuto
	HasMetadata     bool       // the file carried digitinfer.json (else the SPEC defaults)
	Name            string     // model name
	Engine          Engine     // the engine running the forward pass, never EngineAuto
	EngineNote      string     // why EngineAuto fell back to libtorch, or ""
	NumThreads      int        // threads of a batched call (resolved: >= 1)
	MaxPixels       uint64     // the image size limit the model was loaded with
	MaxEncodedBytes uint64     // the encoded size limit the model was loaded with
	Cache           CacheUse   // what the compiled-model cache did for this load
	CachePath       string     // the cache entry read or written, or ""
	CacheNote       string     // why the cache was not used or written, or ""
}

// Load loads a model file: a .dimodel, or TorchScript when the library has its
// libtorch plugin (or the compiled-model cache has the file).
func Load(path string, options ...Option) (*Model, error) {
	cfg := newLoadConfig(options)
	if cfg.err != nil {
		return nil, cfg.err
	}
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	return load(cfg, func(opts *C.di_load_options, out **C.di_model, msg **C.char) C.di_status {
		return C.go_di_load_file(cpath, opts, out, msg)
	})
}

// LoadBytes loads a model from the bytes of a model file (copied: data may be
// reused after the call).
func LoadBytes(data []byte, options ...Option) (*Model, error) {
	cfg := newLoadConfig(options)
	if cfg.err != nil {
		return nil, cfg.err
	}
	return load(cfg, func(opts *C.di_load_options, out **C.di_model, msg **C.char) C.di_status {
		return C.go_di_load_memory(bytesPtr(data), C.size_t(len(data)), opts, out, msg)
	})
}

func load(cfg *loadConfig, call func(*C.di_load_options, **C.di_model, **C.char) C.di_status) (*Model, error) {
	opts := cfg.opts // a copy: C may only see memory free of Go pointers, and cfg holds some
	if cfg.cacheDir != nil {
		dir := C.CString(*cfg.cacheDir)
		defer C.free(unsafe.Pointer(dir))
		opts.cache_dir = dir
	}
	var ptr *C.di_model
	var msg *C.char
	if err := check(call(&opts, &ptr, &msg), msg); err != nil {
		return nil, err
	}
	m := &Model{ptr: ptr}
	if err := m.describe(); err != nil {
		C.di_model_free(ptr)
		return nil, err
	}
	runtime.SetFinalizer(m, (*Model).Close)
	return m, nil
}

// describe reads the model's info and labels once: the model never changes.
func (m *Model) describe() error {
	ci := C.di_model_info_default()
	var msg *C.char
	if err := check(C.go_di_get_info(m.ptr, &ci, &msg), msg); err != nil {
		return err
	}
	m.info = Info{
		InputChannels:   int(ci.input_channels),
		InputHeight:     int(ci.input_height),
		InputWidth:      int(ci.input_width),
		NumClasses:      int(ci.num_classes),
		Mean:            float32(ci.mean),
		Std:             float32(ci.std),
		OutputKind:      OutputKind(ci.output_kind),
		HasMetadata:     ci.has_metadata != 0,
		Name:            C.GoString(ci.name),
		Engine:          Engine(ci.engine),
		EngineNote:      C.GoString(ci.engine_note),
		NumThreads:      int(ci.num_threads),
		MaxPixels:       uint64(ci.max_pixels),
		MaxEncodedBytes: uint64(ci.max_encoded_bytes),
		Cache:           CacheUse(ci.cache),
		CachePath:       C.GoString(ci.cache_path),
		CacheNote:       C.GoString(ci.cache_note),
	}
	m.labels = make([]string, m.info.NumClasses)
	for i := range m.labels {
		var label *C.char
		if err := check(C.go_di_get_label(m.ptr, C.int32_t(i), &label, &msg), msg); err != nil {
			return err
		}
		m.labels[i] = C.GoString(label)
	}
	return nil
}

// Close frees the model. It waits for calls in flight on other goroutines;
// later calls fail with ErrInvalidArgument. Closing twice is a no-op.
func (m *Model) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.ptr != nil {
		C.di_model_free(m.ptr)
		m.ptr = nil
		runtime.SetFinalizer(m, nil)
	}
	return nil
}

// Info describes the model. It stays available after Close.
func (m *Model) Info() Info { return m.info }

// Labels returns the class labels, index by index (e.g. "0" to "9").
func (m *Model) Labels() []string { return append([]string(nil), m.labels...) }

// acquire read-locks the model for one call; release with m.mu.RUnlock.
func (m *Model) acquire() (*C.di_model, error) {
	m.mu.RLock()
	if m.ptr == nil {
		m.mu.RUnlock()
		return nil, newError(ErrInvalidArgument, "the model is closed")
	}
	return m.ptr, nil
}

// bytesPtr is the address of b's first byte. An empty (or nil) slice gives a
// static C byte, so that the library judges zero bytes as it would an empty
// file, rather than refusing a NULL pointer.
func bytesPtr(b []byte) unsafe.Pointer {
	if len(b) == 0 {
		return unsafe.Pointer(&C.go_di_empty[0])
	}
	return unsafe.Pointer(&b[0])
}
