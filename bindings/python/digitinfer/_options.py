"""di_load_options and di_predict_options from keyword arguments, range-checked for their C fields."""
import ctypes
import os
from typing import Any, Optional

from ._enums import INT32, UINT32, UINT64, Engine, OutputKind, c_int
from ._errors import InputTypeError, invalid
from ._lib import DI_LOAD_TRUSTED_MODEL, lib


def threads(threads: Optional[int], num_threads: Optional[int]) -> int:
    """The thread count of a `threads=` / `num_threads=` pair (same meaning; say it once). 0: the default."""
    if threads is not None and num_threads is not None and threads != num_threads:
        raise InputTypeError(f"threads={threads!r} and num_threads={num_threads!r}: give one of them")
    value = threads if threads is not None else num_threads
    return 0 if value is None else c_int(value, "threads", *INT32)


def load_options(num_threads: int = 0, output_kind: Any = None, engine: Any = Engine.AUTO,
                 max_pixels: Optional[int] = None,
                 max_encoded_bytes: Optional[int] = None, trust_model: bool = False,
                 max_jpeg_scans: Optional[int] = None, torch_time_limit_ms: Optional[int] = None,
                 torch_memory_limit_bytes: Optional[int] = None, cache_dir: Any = None) -> Any:
    """The di_load_options of Model()'s arguments; None keeps the library's default."""
    opts = lib.di_load_options_default()  # struct_size and the defaults of every field
    opts.num_threads = num_threads
    opts.output_kind = OutputKind.coerce(OutputKind.AUTO if output_kind is None else output_kind)
    opts.engine = Engine.coerce(engine)
    opts.flags = DI_LOAD_TRUSTED_MODEL if trust_model else 0
    for name, value, bounds in (("max_pixels", max_pixels, UINT64), ("max_encoded_bytes", max_encoded_bytes, UINT64),
                                ("max_jpeg_scans", max_jpeg_scans, UINT32),
                                ("torch_time_limit_ms", torch_time_limit_ms, UINT32),
                                ("torch_memory_limit_bytes", torch_memory_limit_bytes, UINT64)):
        if value is not None:
            setattr(opts, name, c_int(value, name, *bounds))
    if cache_dir is not None:
        directory = os.fsencode(cache_dir)  # "" turns the cache off
        if b"\0" in directory:
            raise invalid(f"cache_dir {cache_dir!r} holds a NUL byte")
        opts.cache_dir = directory  # the struct keeps a reference to the bytes
    return opts


def predict_options(num_threads: int) -> Any:
    """A pointer to di_predict_options for one call (the pointer object keeps the struct alive)."""
    opts = lib.di_predict_options_default()
    opts.num_threads = num_threads
    return ctypes.byref(opts)
