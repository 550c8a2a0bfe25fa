// Package overhead measures what the Go binding adds to the C API per call
// (see overhead_test.go and run.sh). This file is the floor: a bare cgo call
// of di_model_get_info, the C baseline's trivial call, with no binding around it.
package overhead

// #cgo pkg-config: digitinfer
// #include <stdlib.h>
// #include <digitinfer/digitinfer.h>
//
// static di_status get_info(const di_model *model) {
//     di_model_info info = di_model_info_default();
//     return di_model_get_info(model, &info);
// }
//
// static di_status predict_tensor(const di_model *model, const float *data, size_t n) {
//     di_prediction p;
//     di_outputs out = di_outputs_default();
//     out.predictions = &p;
//     return di_model_predict_tensor(model, data, n, 1, &out);
// }
//
// static di_status predict_encoded(const di_model *model, const void *data, size_t size) {
//     di_prediction p;
//     di_outputs out = di_outputs_default();
//     out.predictions = &p;
//     return di_model_predict_encoded(model, data, size, &out);
// }
import "C"

import (
	"errors"
	"unsafe"
)

// RawModel is a C model loaded without the binding.
type RawModel struct{ ptr *C.di_model }

// LoadRaw loads path with one thread, as the C baseline does.
func LoadRaw(path string) (*RawModel, error) {
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	opts := C.di_load_options_default()
	opts.num_threads = 1
	var ptr *C.di_model
	if C.di_model_load_file(cpath, &opts, &ptr) != C.DI_OK {
		return nil, errors.New(C.GoString(C.di_last_error_message()))
	}
	return &RawModel{ptr}, nil
}

// Info makes one bare cgo call of di_model_get_info.
func (m *RawModel) Info() bool { return C.get_info(m.ptr) == C.DI_OK }

// PredictTensor makes one bare cgo call of di_model_predict_tensor on one tensor.
func (m *RawModel) PredictTensor(tensor []float32) bool {
	return C.predict_tensor(m.ptr, (*C.float)(&tensor[0]), C.size_t(len(tensor))) == C.DI_OK
}

// PredictEncoded makes one bare cgo call of di_model_predict_encoded.
func (m *RawModel) PredictEncoded(data []byte) bool {
	return C.predict_encoded(m.ptr, unsafe.Pointer(&data[0]), C.size_t(len(data))) == C.DI_OK
}

// Close frees the model.
func (m *RawModel) Close() { C.di_model_free(m.ptr) }
