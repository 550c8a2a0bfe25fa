package digitinfer_test

import (
	"runtime"
	"testing"
	"time"

	digitinfer "github.com/digitinfer/digitinfer/bindings/go"
	"github.com/digitinfer/digitinfer/bindings/go/internal/cheap"
)

// cHeapGrowth runs work and returns how many bytes the C heap (malloc) grew by.
func cHeapGrowth(work func()) int64 {
	runtime.LockOSThread() // one thread: the library keeps per-thread buffers
	defer runtime.UnlockOSThread()
	work() // warm up: thread buffers, first-use allocations
	before := cheap.InUse()
	work()
	return int64(cheap.InUse()) - int64(before)
}

// Calls that fail, and loads and closes, free every C allocation: error
// messages copied by the shim, models, their weights.
func TestCMemoryIsFreed(t *testing.T) {
	good, bad := readFile(t, digit7), readFile(t, "tests/data/bad/corrupt.png")
	m := model(t, dimodel)
	growth := cHeapGrowth(func() {
		for i := 0; i < 20000; i++ {
			if _, err := m.Predict(bad); err == nil { // each failure copies a message in C
				t.Fatal("corrupt.png predicted")
			}
		}
		for i := 0; i < 50; i++ {
			mi, err := digitinfer.Load(repo(dimodel), digitinfer.WithThreads(1), digitinfer.WithCacheDir(""))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := mi.PredictBatch([][]byte{good, good}); err != nil {
				t.Fatal(err)
			}
			mi.Close()
		}
	})
	// A leaked message is >= 32 bytes (20000 of them: 640 kB), a leaked model about a megabyte.
	if growth > 256<<10 {
		t.Errorf("the C heap grew by %d bytes", growth)
	}
}

// A Model dropped without Close is freed by its finalizer.
func TestTheFinalizerFreesDroppedModels(t *testing.T) {
	runtime.LockOSThread() // one thread: the library keeps per-thread buffers
	defer runtime.UnlockOSThread()
	const limit = 8 << 20 // 50 models not freed: about 57 MB
	dropModels := func() {
		for i := 0; i < 50; i++ {
			if _, err := digitinfer.Load(repo(dimodel), digitinfer.WithThreads(1)); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Finalizers run after a GC cycle, on their own goroutine, when the scheduler gets to it (a
	// loaded machine delayed them past three cycles): wait for them, up to 10 s.
	settle := func(before uint64) (growth int64) {
		for deadline := time.Now().Add(10 * time.Second); ; {
			runtime.GC()
			time.Sleep(10 * time.Millisecond)
			growth = int64(cheap.InUse()) - int64(before)
			if growth <= limit || time.Now().After(deadline) {
				return growth
			}
		}
	}
	start := cheap.InUse()
	dropModels() // warm up: thread buffers, first-use allocations; then wait for these models to go
	settle(start)
	before := cheap.InUse()
	dropModels()
	if growth := settle(before); growth > limit {
		t.Errorf("the C heap grew by %d bytes: dropped models are not freed", growth)
	}
}
