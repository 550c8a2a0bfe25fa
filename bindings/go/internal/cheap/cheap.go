// Package cheap measures the C heap, for the binding's leak tests (cgo is not
// allowed in _test.go files).
package cheap

/*
#include <malloc.h>

static size_t in_use(void) {
    struct mallinfo2 mi = mallinfo2();
    return mi.uordblks + mi.hblkhd;
}
*/
import "C"

// InUse returns the bytes malloc has handed out and not had back (glibc's
// mallinfo2: small chunks plus mmap'ed ones).
func InUse() uint64 { return uint64(C.in_use()) }
