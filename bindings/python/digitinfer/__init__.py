"""DigitInfer: handwritten-digit inference through the libdigitinfer C API (ctypes, no extension).

    import digitinfer
    with digitinfer.Model("convnet.dimodel") as model:
        p = model.predict("digit.png")          # or bytes, a PIL.Image, a numpy array
        print(p.digit, p.probability)

Every failure of the library raises a DigitInferError (alias Error) subclass carrying the C
status; with errors="return", the batch calls give each image that failed its error instead.
"""
from ._enums import CacheUse, Engine, OutputKind
from ._errors import (BufferTooSmallError, DecodeError, DigitInferError, Error, FileError, InferenceError,
                      InputTypeError, InternalError, InvalidArgumentError, ModelError, OutOfMemoryError, Status)
from ._lib import (DI_DEFAULT_MAX_ENCODED_BYTES, DI_DEFAULT_MAX_JPEG_SCANS, DI_DEFAULT_MAX_PIXELS,
                   DI_DEFAULT_TORCH_MEMORY_LIMIT_BYTES, DI_DEFAULT_TORCH_TIME_LIMIT_MS, DI_MAX_BATCH, lib as _c)
from ._lib import library_path as _library_path
from ._model import Model
from ._results import BatchResult, ModelInfo, Prediction, Preprocessed, Result

__all__ = ["DEFAULT_MAX_ENCODED_BYTES", "DEFAULT_MAX_JPEG_SCANS", "DEFAULT_MAX_PIXELS",
           "DEFAULT_TORCH_MEMORY_LIMIT_BYTES", "DEFAULT_TORCH_TIME_LIMIT_MS", "MAX_BATCH",
           "BatchResult", "BufferTooSmallError", "CacheUse", "DecodeError", "DigitInferError", "Engine", "Error",
           "FileError", "InferenceError", "InputTypeError", "InternalError", "InvalidArgumentError", "Model",
           "ModelError", "ModelInfo", "OutOfMemoryError", "OutputKind", "Prediction", "Preprocessed", "Result",
           "Status", "library_path", "version"]
__version__ = "1.4.0"

DEFAULT_MAX_PIXELS = DI_DEFAULT_MAX_PIXELS
"""Default and largest `max_pixels` (DI_DEFAULT_MAX_PIXELS, Pillow's decompression-bomb limit)."""
DEFAULT_MAX_ENCODED_BYTES = DI_DEFAULT_MAX_ENCODED_BYTES
"""Default and largest `max_encoded_bytes` (DI_DEFAULT_MAX_ENCODED_BYTES, 1 GiB)."""
MAX_BATCH = DI_MAX_BATCH
"""Most images one batch call takes (DI_MAX_BATCH)."""
DEFAULT_MAX_JPEG_SCANS = DI_DEFAULT_MAX_JPEG_SCANS
"""Default most scans of a progressive JPEG (DI_DEFAULT_MAX_JPEG_SCANS)."""
DEFAULT_TORCH_TIME_LIMIT_MS = DI_DEFAULT_TORCH_TIME_LIMIT_MS
"""Default time limit of one libtorch forward, in milliseconds (DI_DEFAULT_TORCH_TIME_LIMIT_MS)."""
DEFAULT_TORCH_MEMORY_LIMIT_BYTES = DI_DEFAULT_TORCH_MEMORY_LIMIT_BYTES
"""Default memory limit of one libtorch forward, in bytes (DI_DEFAULT_TORCH_MEMORY_LIMIT_BYTES)."""


def version() -> str:
    """Version of the loaded C library, "MAJOR.MINOR.PATCH"."""
    version: bytes = _c.di_version()
    return version.decode()


def library_path() -> str:
    """The file of the C library these bindings loaded (see the README for the order they look in)."""
    return _library_path
