"""ctypes mirror of include/digitinfer/digitinfer.h and the loaded shared library.

Everything here follows the C header one to one; the Pythonic API lives in
_model.py. Keep the structs in the header's field order: ctypes lays them
out exactly like the C compiler does only if the order and types match.

Pointers to arrays the caller owns (pixels, scores, statuses, arrays of
structs) are declared c_void_p, of the same size as any data pointer: the
bindings hand the library numpy buffers by their address, without a cast.
"""
import ctypes
from typing import Any

from . import _find
from ._find import ABI_VERSION, SONAME

# di_status values (the header's enum di_status).
DI_OK = 0
DI_ERR_INVALID_ARGUMENT = -1
DI_ERR_IO = -2
DI_ERR_DECODE = -3
DI_ERR_MODEL = -4
DI_ERR_OUT_OF_MEMORY = -5
DI_ERR_BUFFER_TOO_SMALL = -6
DI_ERR_INFERENCE = -7
DI_ERR_INTERNAL = -100

# The header's macros (since 1.1).
DI_DEFAULT_MAX_PIXELS = 178956970
DI_DEFAULT_MAX_ENCODED_BYTES = 1073741824
DI_MAX_BATCH = 65536
# Since 1.3.
DI_LOAD_TRUSTED_MODEL = 1
DI_DEFAULT_MAX_JPEG_SCANS = 100
DI_MAX_JPEG_SCANS = 65535
DI_DEFAULT_TORCH_TIME_LIMIT_MS = 30000
DI_DEFAULT_TORCH_MEMORY_LIMIT_BYTES = 2147483648


# C enums are int-sized on every platform the library supports; struct fields holding
# enum values are int32_t in the header.
c_enum = ctypes.c_int


class di_model(ctypes.Structure):
    """Opaque: only ever handled through POINTER(di_model)."""


class di_load_options(ctypes.Structure):
    _fields_ = [
        ("struct_size", ctypes.c_uint32),
        ("num_threads", ctypes.c_int32),
        ("output_kind", ctypes.c_int32),
        ("engine", ctypes.c_int32),
        # Since 1.1:
        ("max_pixels", ctypes.c_uint64),
        ("max_encoded_bytes", ctypes.c_uint64),
        # Since 1.2 (NULL: the default compiled-model cache directory):
        ("cache_dir", ctypes.c_char_p),
        # Since 1.3:
        ("flags", ctypes.c_uint32),
        ("max_jpeg_scans", ctypes.c_uint32),
        ("torch_time_limit_ms", ctypes.c_uint32),
        ("torch_memory_limit_bytes", ctypes.c_uint64),
    ]


class di_model_info(ctypes.Structure):
    _fields_ = [
        ("struct_size", ctypes.c_uint32),
        ("input_channels", ctypes.c_int32),
        ("input_height", ctypes.c_int32),
        ("input_width", ctypes.c_int32),
        ("num_classes", ctypes.c_int32),
        ("mean", ctypes.c_float),
        ("std", ctypes.c_float),
        ("output_kind", ctypes.c_int32),
        ("has_metadata", ctypes.c_int32),
        ("name", ctypes.c_char_p),
        ("engine", ctypes.c_int32),
        ("engine_note", ctypes.c_char_p),
        # Since 1.1:
        ("num_threads", ctypes.c_int32),
        ("max_pixels", ctypes.c_uint64),
        ("max_encoded_bytes", ctypes.c_uint64),
        # Since 1.2:
        ("cache", ctypes.c_int32),
        ("cache_path", ctypes.c_char_p),
        ("cache_note", ctypes.c_char_p),
    ]


class di_encoded_image(ctypes.Structure):
    _fields_ = [
        ("data", ctypes.c_void_p),
        ("size", ctypes.c_size_t),
    ]


class di_gray_image(ctypes.Structure):
    _fields_ = [
        ("pixels", ctypes.c_void_p),           # const uint8_t *
        ("width", ctypes.c_int32),
        ("height", ctypes.c_int32),
        ("stride", ctypes.c_size_t),
    ]


class di_prediction(ctypes.Structure):
    _fields_ = [
        ("class_index", ctypes.c_int32),
        ("probability", ctypes.c_float),
    ]


class di_outputs(ctypes.Structure):
    _fields_ = [
        ("predictions", ctypes.c_void_p),        # di_prediction *
        ("probabilities", ctypes.c_void_p),      # float *
        ("log_probabilities", ctypes.c_void_p),  # float *
        ("scores_capacity", ctypes.c_size_t),
    ]


class di_predict_options(ctypes.Structure):
    _fields_ = [
        ("struct_size", ctypes.c_uint32),
        ("num_threads", ctypes.c_int32),
    ]


class di_results(ctypes.Structure):
    _fields_ = [
        ("struct_size", ctypes.c_uint32),
        ("predictions", ctypes.c_void_p),        # di_prediction *
        ("probabilities", ctypes.c_void_p),      # float *
        ("log_probabilities", ctypes.c_void_p),  # float *
        ("scores_capacity", ctypes.c_size_t),
        ("statuses", ctypes.c_void_p),           # di_status *
        ("messages", ctypes.c_void_p),           # const char **
    ]


_model_p = ctypes.POINTER(di_model)
_status = c_enum
_size = ctypes.c_size_t
_void_p = ctypes.c_void_p
_array = ctypes.c_void_p  # an array the caller owns, by address (see the top)
_outputs_p = ctypes.POINTER(di_outputs)
_predict_options_p = ctypes.POINTER(di_predict_options)
_results_p = ctypes.POINTER(di_results)

# name: (restype, argtypes), in header order. Every exported function is here so
# that no call goes through ctypes' default int-return / unchecked-argument path.
_SIGNATURES = {
    "di_status_string": (ctypes.c_char_p, [_status]),
    "di_last_error_message": (ctypes.c_char_p, []),
    "di_version": (ctypes.c_char_p, []),
    "di_version_number": (ctypes.c_uint32, []),
    "di_abi_version": (ctypes.c_uint32, []),
    "di_engine_name": (ctypes.c_char_p, [c_enum]),
    "di_engine_from_name": (_status, [ctypes.c_char_p, ctypes.POINTER(c_enum)]),
    "di_output_kind_name": (ctypes.c_char_p, [c_enum]),
    "di_output_kind_from_name": (_status, [ctypes.c_char_p, ctypes.POINTER(c_enum)]),
    "di_load_options_default": (di_load_options, []),
    "di_model_load_file": (_status, [ctypes.c_char_p, ctypes.POINTER(di_load_options), ctypes.POINTER(_model_p)]),
    "di_model_load_memory": (_status, [_void_p, _size, ctypes.POINTER(di_load_options), ctypes.POINTER(_model_p)]),
    "di_model_free": (None, [_model_p]),
    "di_model_export_native": (_status, [_model_p, ctypes.c_char_p]),
    "di_model_info_default": (di_model_info, []),
    "di_model_get_info": (_status, [_model_p, ctypes.POINTER(di_model_info)]),
    "di_model_get_label": (_status, [_model_p, ctypes.c_int32, ctypes.POINTER(ctypes.c_char_p)]),
    "di_outputs_default": (di_outputs, []),
    "di_model_predict_encoded": (_status, [_model_p, _void_p, _size, _outputs_p]),
    "di_model_predict_encoded_batch": (_status, [_model_p, _array, _size, _outputs_p]),
    "di_model_predict_gray": (_status, [_model_p, ctypes.POINTER(di_gray_image), _outputs_p]),
    "di_model_predict_gray_batch": (_status, [_model_p, _array, _size, _outputs_p]),
    "di_model_predict_tensor": (_status, [_model_p, _array, _size, _size, _outputs_p]),
    "di_predict_options_default": (di_predict_options, []),
    "di_results_default": (di_results, []),
    "di_model_predict_encoded_ex": (_status, [_model_p, _array, _size, _predict_options_p, _results_p]),
    "di_model_predict_gray_ex": (_status, [_model_p, _array, _size, _predict_options_p, _results_p]),
    "di_model_predict_tensor_ex": (_status, [_model_p, _array, _size, _size, _predict_options_p, _results_p]),
    "di_model_preprocess_encoded": (_status, [_model_p, _void_p, _size, _array, _size, _array, _size]),
}


def _open() -> Any:
    """dlopen()s and binds the first library _find.candidates() names that is a DigitInfer of this ABI."""
    errors = []
    for origin, name in _find.candidates():
        try:
            return _bind(ctypes.CDLL(name))
        except (OSError, ImportError) as e:
            errors.append(f"{origin} ({name}): {e}")
    raise ImportError(
        "digitinfer: cannot load the DigitInfer C library; tried " + "; ".join(errors) + ". "
        f"Install {SONAME} (its prefix's lib/pkgconfig on PKG_CONFIG_PATH, or where the dynamic loader "
        f"finds it), install a wheel that bundles it, or set {_find.ENV_LIBRARY} to its path."
    )


def _bind(lib: Any) -> Any:
    # Check the ABI before binding the rest: another major version may lack functions.
    try:
        abi_version, version = lib.di_abi_version, lib.di_version
    except AttributeError:
        raise ImportError(f"digitinfer: {lib._name} is not a DigitInfer library (no di_abi_version)") from None
    abi_version.restype, abi_version.argtypes = ctypes.c_uint32, []
    version.restype, version.argtypes = ctypes.c_char_p, []
    if abi_version() != ABI_VERSION:
        raise ImportError(
            f"digitinfer: {lib._name} has C ABI version {abi_version()} (library {version().decode()}), "
            f"but these bindings were written for ABI version {ABI_VERSION}: "
            f"install matching bindings or point DIGITINFER_LIBRARY at {SONAME}."
        )
    missing = [name for name in _SIGNATURES if not hasattr(lib, name)]
    if missing:
        raise ImportError(
            f"digitinfer: {lib._name} (library {version().decode()}) lacks {', '.join(missing)}: "
            "these bindings need DigitInfer 1.1 or newer."
        )
    for name, (restype, argtypes) in _SIGNATURES.items():
        fn = getattr(lib, name)
        fn.restype, fn.argtypes = restype, argtypes
    return lib


lib = _open()
library_path = _find.loaded_path(lib.di_version)  # the file really loaded
