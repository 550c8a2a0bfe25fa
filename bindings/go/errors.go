package digitinfer

/*
#include <stdlib.h>
#include "shim.h"
*/
import "C"

import "unsafe"

// Status is a C di_status code: 0 is success, failures are negative. The
// failure codes below are errors themselves, so that
//
//	errors.Is(err, digitinfer.ErrDecode)
//
// tells what kind of failure err is. New codes may appear in newer libraries:
// treat any nonzero Status as an error.
type Status int32

// The C library's status codes (di_status).
const (
	StatusOK           Status = 0
	ErrInvalidArgument Status = -1   // bad pointer, size, option or argument
	ErrIO              Status = -2   // a file could not be opened or read
	ErrDecode          Status = -3   // image bytes corrupt, truncated, unknown or too large
	ErrModel           Status = -4   // not a usable model file
	ErrOutOfMemory     Status = -5   // an allocation failed
	ErrBufferTooSmall  Status = -6   // an output buffer is too small
	ErrInference       Status = -7   // the forward pass failed
	ErrInternal        Status = -100 // a bug in the library
)

// String returns the C constant's name, e.g. "DI_ERR_DECODE" (di_status_string).
func (s Status) String() string { return C.GoString(C.di_status_string(C.di_status(s))) }

// Error makes a Status usable as a sentinel error.
func (s Status) Error() string { return s.String() }

// Error is a failure reported by the library (or by this binding, with the
// code the C API would have used): its status code and message.
type Error struct {
	Code    Status // the C status, e.g. ErrDecode
	Message string // the library's explanation (di_last_error_message)
	cause   error  // an underlying Go error, e.g. from os.Open in PredictFile
}

func (e *Error) Error() string {
	if e.Message == "" {
		return e.Code.String()
	}
	return e.Code.String() + ": " + e.Message
}

// Unwrap gives the Code (so errors.Is(err, ErrIO) works) and, if there is one,
// the Go error behind it (so errors.Is(err, fs.ErrNotExist) works too).
func (e *Error) Unwrap() []error {
	if e.cause != nil {
		return []error{e.Code, e.cause}
	}
	return []error{e.Code}
}

// check turns a shim's status and malloc'ed message into an error, freeing the message.
func check(status C.di_status, msg *C.char) error {
	if msg != nil {
		defer C.free(unsafe.Pointer(msg))
	}
	if status == C.DI_OK {
		return nil
	}
	return &Error{Code: Status(status), Message: C.GoString(msg)}
}

func newError(code Status, message string) *Error { return &Error{Code: code, Message: message} }
