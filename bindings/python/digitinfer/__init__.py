"""DigitInfer: handwritten-digit inference through the libdigitinfer C API (ctypes, no extension).

    import digitinfer
    with digitinfer.Model("convnet.scripted.pt") as model:
        p = model.predict("digit.png")
        print(p.digit, p.probability)

Every failure of the library raises digitinfer.Error, carrying the C status;
with errors="return", the batch calls put an Error in place of each image that
failed instead.
"""
import contextlib
import ctypes
import dataclasses
import enum
import os
import threading
from typing import List, Optional, Tuple, Union

from ._lib import DI_DEFAULT_MAX_ENCODED_BYTES, DI_DEFAULT_MAX_PIXELS, DI_ERR_INVALID_ARGUMENT, DI_ERR_IO
from ._lib import DI_DEFAULT_MAX_JPEG_SCANS, DI_DEFAULT_TORCH_MEMORY_LIMIT_BYTES, DI_DEFAULT_TORCH_TIME_LIMIT_MS
from ._lib import DI_LOAD_TRUSTED_MODEL, DI_MAX_BATCH, c_enum, di_encoded_image, di_gray_image, di_model
from ._lib import di_prediction, lib

__all__ = ["DEFAULT_MAX_ENCODED_BYTES", "DEFAULT_MAX_JPEG_SCANS", "DEFAULT_MAX_PIXELS", "DEFAULT_TORCH_MEMORY_LIMIT_BYTES",
           "DEFAULT_TORCH_TIME_LIMIT_MS", "MAX_BATCH", "Engine", "Error", "Model",
           "ModelInfo", "OutputKind", "Prediction", "version"]
__version__ = "1.3.0"

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


class Error(Exception):
    """A DigitInfer failure: `code` is the C di_status (negative int), `status` its name,
    `message` the library's explanation."""

    def __init__(self, code: int, message: str):
        self.code = code
        self.status = lib.di_status_string(code).decode()
        self.message = message
        super().__init__(f"{self.status}: {message}")


def _check(status: int) -> None:
    # Read the message right away: it is per thread and overwritten by the next call.
    if status != 0:
        raise Error(status, lib.di_last_error_message().decode(errors="replace"))


def _c_int(value, name: str, low: int, high: int) -> int:
    """`value` as an int in [low, high]: ctypes would silently wrap anything outside its field's range."""
    try:
        value = int(value.__index__())
    except AttributeError:
        raise TypeError(f"{name} must be an integer, not {type(value).__name__}") from None
    if not low <= value <= high:
        raise Error(DI_ERR_INVALID_ARGUMENT, f"{name} = {value} is out of range")
    return value


_INT32 = (-2**31, 2**31 - 1)
_UINT64 = (0, 2**64 - 1)
_UINT32 = (0, 2**32 - 1)


class _CNamedEnum(enum.IntEnum):
    """An IntEnum whose names ("native", "logits") are the C library's: `Engine("native")`,
    `Engine.from_name("native")` and `Engine.NATIVE.c_name` all ask libdigitinfer."""

    @classmethod
    def _c_functions(cls):  # (to_name, from_name) C functions; a method, so that it is no enum member
        raise NotImplementedError

    @property
    def c_name(self) -> str:
        """The C library's name for this value, e.g. "native"."""
        return self._c_functions()[0](self.value).decode()

    @classmethod
    def from_name(cls, name: str):
        """The value the C library calls `name`; Error(DI_ERR_INVALID_ARGUMENT) for an unknown name.
        A value newer than these bindings comes back as a plain int."""
        if not isinstance(name, str):
            raise TypeError(f"a {cls.__name__} name must be a str, not {type(name).__name__}")
        if "\0" in name:  # C would see only the part before the NUL
            raise Error(DI_ERR_INVALID_ARGUMENT, f"{name!r} is not a {cls.__name__} name")
        out = c_enum()
        _check(cls._c_functions()[1](name.encode(), ctypes.byref(out)))
        try:
            return cls(out.value)
        except ValueError:
            return out.value

    @classmethod
    def _missing_(cls, value):
        # Engine("native"): names are accepted wherever values are. Unknown names: the usual ValueError.
        if isinstance(value, str):
            with contextlib.suppress(Error):
                member = cls.from_name(value)
                if isinstance(member, cls):
                    return member
        return None

    @classmethod
    def _coerce(cls, value) -> int:
        """A member, an int or a name, as the int for a C field (unknown ints are left to the library)."""
        if isinstance(value, str):
            return int(cls.from_name(value))
        return _c_int(value, cls.__name__, *_INT32)


class OutputKind(_CNamedEnum):
    """What the model's forward returns (di_output_kind). Names: OutputKind.LOGITS.c_name == "logits";
    OutputKind("log_softmax") is LOG_PROBABILITIES (the library's aliases work too)."""

    AUTO = 0
    LOG_PROBABILITIES = 1
    LOGITS = 2
    PROBABILITIES = 3

    @classmethod
    def _c_functions(cls):
        return lib.di_output_kind_name, lib.di_output_kind_from_name


class Engine(_CNamedEnum):
    """Which implementation runs the forward pass (di_engine). Names: "auto", "native", "libtorch",
    "reference" (Engine.LIBTORCH_REFERENCE.c_name), as the C library spells them."""

    AUTO = 0
    NATIVE = 1
    LIBTORCH = 2
    LIBTORCH_REFERENCE = 3

    @classmethod
    def _c_functions(cls):
        return lib.di_engine_name, lib.di_engine_from_name


@dataclasses.dataclass(frozen=True)
class ModelInfo:
    """Description of a loaded model (di_model_info plus its labels).

    `num_threads`: threads a batch call uses when it does not say (resolved, >= 1);
    `max_pixels`, `max_encoded_bytes`: the image limits the model was loaded with.
    """

    name: str
    input_channels: int
    input_height: int
    input_width: int
    num_classes: int
    mean: float
    std: float
    output_kind: OutputKind
    has_metadata: bool
    labels: Tuple[str, ...]
    engine: Engine
    engine_note: str
    # Since 1.1:
    num_threads: int = 1
    max_pixels: int = DI_DEFAULT_MAX_PIXELS
    max_encoded_bytes: int = DI_DEFAULT_MAX_ENCODED_BYTES


@dataclasses.dataclass
class Prediction:
    """The result for one image. `digit` is the class index (its label: model.info.labels[digit])."""

    digit: int
    probability: float
    probabilities: List[float]
    log_probabilities: List[float]

    def top_k(self, k: int) -> List[Tuple[int, float]]:
        """The k most probable (class, probability) pairs, most probable first."""
        ranked = sorted(enumerate(self.probabilities), key=lambda pair: pair[1], reverse=True)
        return ranked[:k]


def version() -> str:
    """Version of the loaded C library, "MAJOR.MINOR.PATCH"."""
    return lib.di_version().decode()


def _encoded(image) -> bytes:
    """Encoded file bytes from a path (str / os.PathLike) or any bytes-like object."""
    if isinstance(image, (str, os.PathLike)):
        try:
            with open(image, "rb") as f:
                return f.read()
        except OSError as e:
            # Same status the library gives for a model file it cannot read.
            raise Error(DI_ERR_IO, f"cannot read '{os.fsdecode(image)}': {e.strerror}") from e
    return bytes(memoryview(image))


def _gray_image(pixels, width: int, height: int, stride=None) -> di_gray_image:
    """A di_gray_image over a copy of `pixels`, after the checks the C API cannot make."""
    view = memoryview(pixels)
    if view.itemsize != 1 or not view.c_contiguous:
        raise TypeError("pixels must be a C-contiguous buffer of 8-bit values (bytes, bytearray, uint8 array)")
    stride = width if stride is None else stride
    # di_gray_image has no buffer length, and ctypes wraps out-of-range integers
    # silently: a bad geometry here would make the library read past the buffer.
    if not (0 < width <= stride and 0 < height < 2**31 and width < 2**31):
        raise Error(DI_ERR_INVALID_ARGUMENT, f"gray image {width}x{height} with stride {stride} is invalid")
    needed = stride * (height - 1) + width
    if view.nbytes < needed:
        raise Error(DI_ERR_INVALID_ARGUMENT,
                    f"gray image {width}x{height} with stride {stride} needs {needed} bytes, got {view.nbytes}")
    # The struct's pointer field keeps this copy alive as long as the struct lives.
    copy = (ctypes.c_uint8 * view.nbytes).from_buffer_copy(view.cast("B"))
    return di_gray_image(copy, width, height, stride)


def _float_array(values):
    """A ctypes float array from a float32 buffer (array('f'), numpy float32, any shape) or a flat sequence."""
    try:
        view = memoryview(values)
    except TypeError:
        view = None
    if view is not None and view.format == "f" and view.c_contiguous:
        return (ctypes.c_float * (view.nbytes // 4)).from_buffer_copy(view.cast("B"))
    values = list(values)
    return (ctypes.c_float * len(values))(*values)


def _check_errors_argument(errors: str) -> bool:
    """True for errors="return", False for "raise"."""
    if errors not in ("raise", "return"):
        raise ValueError(f'errors must be "raise" or "return", not {errors!r}')
    return errors == "return"


def _inputs(items, convert, per_item: bool):
    """Converts each item; with per_item, an item whose conversion fails becomes its Error.

    Returns (converted inputs, their positions in `items`, the list of results so far).
    """
    results, inputs, positions = [], [], []
    for i, item in enumerate(items):
        try:
            inputs.append(convert(item))
        except Error as e:
            if not per_item:
                raise
            results.append(e.with_traceback(None))
        else:
            results.append(None)
            positions.append(i)
    return inputs, positions, results


Result = Union[Prediction, Error]


def _load_options(num_threads: int = 0, output_kind=None, engine=Engine.AUTO, max_pixels: Optional[int] = None,
                  max_encoded_bytes: Optional[int] = None, trust_model: bool = False,
                  max_jpeg_scans: Optional[int] = None, torch_time_limit_ms: Optional[int] = None,
                  torch_memory_limit_bytes: Optional[int] = None) -> "_lib.di_load_options":
    """The di_load_options of Model()'s arguments; None keeps the library's default."""
    opts = lib.di_load_options_default()  # struct_size and the defaults of every field
    opts.num_threads = _c_int(num_threads, "num_threads", *_INT32)
    opts.output_kind = OutputKind._coerce(OutputKind.AUTO if output_kind is None else output_kind)
    opts.engine = Engine._coerce(engine)
    opts.flags = DI_LOAD_TRUSTED_MODEL if trust_model else 0
    for name, value, bounds in (("max_pixels", max_pixels, _UINT64), ("max_encoded_bytes", max_encoded_bytes, _UINT64),
                                ("max_jpeg_scans", max_jpeg_scans, _UINT32),
                                ("torch_time_limit_ms", torch_time_limit_ms, _UINT32),
                                ("torch_memory_limit_bytes", torch_memory_limit_bytes, _UINT64)):
        if value is not None:
            setattr(opts, name, _c_int(value, name, *bounds))
    return opts


class Model:
    """A loaded digit classifier (TorchScript or .dimodel) with its preprocessing parameters.

    Thread-safety: the library releases the GIL while it works, and any number
    of threads may predict with one model at once. close() waits for running
    calls; calls after close() raise Error.
    """

    def __init__(self, path, num_threads: int = 0, output_kind=None, engine=Engine.AUTO,
                 max_pixels: Optional[int] = None, max_encoded_bytes: Optional[int] = None, *,
                 trust_model: bool = False, max_jpeg_scans: Optional[int] = None,
                 torch_time_limit_ms: Optional[int] = None, torch_memory_limit_bytes: Optional[int] = None):
        """Loads a model file.

        `num_threads`: threads for one batch call (0: all cores); `output_kind`: an OutputKind or its
        name ("logits"), or None to use the model's metadata; `engine`: an Engine or its name ("native";
        AUTO: native kernels when the graph is supported, else libtorch); `max_pixels`: the largest image
        (width x height) a predict call accepts, `max_encoded_bytes`: the largest encoded file (None:
        the library's defaults, DEFAULT_MAX_PIXELS and DEFAULT_MAX_ENCODED_BYTES, which are also the
        largest values allowed). A bigger encoded image fails with DI_ERR_DECODE, a bigger gray one
        with DI_ERR_INVALID_ARGUMENT. `max_jpeg_scans`: the most scans of a progressive JPEG (None:
        DEFAULT_MAX_JPEG_SCANS).

        `trust_model`: the file is trusted code (DI_LOAD_TRUSTED_MODEL): a TorchScript model may then
        run any operator, file access included; by default only pure tensor operators load.
        `torch_time_limit_ms`, `torch_memory_limit_bytes`: what one libtorch forward may take (0: no
        limit; None: the library's defaults, DEFAULT_TORCH_TIME_LIMIT_MS and
        DEFAULT_TORCH_MEMORY_LIMIT_BYTES).
        """
        path = os.fsencode(path)
        opts = _load_options(num_threads, output_kind, engine, max_pixels, max_encoded_bytes, trust_model,
                             max_jpeg_scans, torch_time_limit_ms, torch_memory_limit_bytes)
        self._load(lambda out: lib.di_model_load_file(path, ctypes.byref(opts), out))

    @classmethod
    def from_bytes(cls, data, *args, **kwargs) -> "Model":
        """Loads a model from the bytes of a model file; the options are Model()'s."""
        data = bytes(memoryview(data))
        opts = _load_options(*args, **kwargs)
        model = cls.__new__(cls)
        model._load(lambda out: lib.di_model_load_memory(data, len(data), ctypes.byref(opts), out))
        return model

    def _load(self, load):
        self._handle = None  # set first, so that close() and __del__ work if loading fails
        self._calls = 0
        self._idle = threading.Condition()
        handle = ctypes.POINTER(di_model)()
        _check(load(ctypes.byref(handle)))
        self._handle = handle
        self._info = self._read_info()

    @contextlib.contextmanager
    def _borrow(self):
        """Yields the C handle; close() cannot free it until the block is left."""
        with self._idle:
            if not self._handle:
                raise Error(DI_ERR_INVALID_ARGUMENT, "the model is closed")
            self._calls += 1
        try:
            yield self._handle
        finally:
            with self._idle:
                self._calls -= 1
                self._idle.notify_all()

    def close(self) -> None:
        """Frees the model; waits for calls in other threads. Closing twice is fine."""
        idle = getattr(self, "_idle", None)
        if idle is None:  # __init__ failed before _load
            return
        with idle:
            idle.wait_for(lambda: self._calls == 0)
            handle, self._handle = self._handle, None
        lib.di_model_free(handle)  # NULL is a no-op

    def __enter__(self) -> "Model":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self):
        self.close()

    def __repr__(self) -> str:
        state = f"'{self._info.name}'" if self._handle else "closed"
        return f"<digitinfer.Model {state}>"

    def _read_info(self) -> ModelInfo:
        info = lib.di_model_info_default()
        label = ctypes.c_char_p()
        with self._borrow() as handle:
            _check(lib.di_model_get_info(handle, ctypes.byref(info)))
            labels = []
            for i in range(info.num_classes):
                _check(lib.di_model_get_label(handle, i, ctypes.byref(label)))
                labels.append(label.value.decode())
            # Borrowed strings die with the model: copy them while it is borrowed.
            name = (info.name or b"").decode()
            note = (info.engine_note or b"").decode()
        # A newer library may resolve to a kind these bindings do not know: keep the int then.
        kind, engine = info.output_kind, info.engine
        with contextlib.suppress(ValueError):
            kind = OutputKind(kind)
        with contextlib.suppress(ValueError):
            engine = Engine(engine)
        return ModelInfo(name, info.input_channels, info.input_height, info.input_width, info.num_classes,
                         info.mean, info.std, kind, bool(info.has_metadata), tuple(labels), engine, note,
                         info.num_threads, info.max_pixels, info.max_encoded_bytes)

    @property
    def info(self) -> ModelInfo:
        return self._info

    def _predict_one(self, call) -> Prediction:
        """Runs a single-image `call(handle, outputs)` (di_model_predict_encoded / _gray)."""
        n = self._info.num_classes
        prediction = di_prediction()
        probabilities, log_probabilities = (ctypes.c_float * n)(), (ctypes.c_float * n)()
        out = lib.di_outputs_default()
        out.predictions, out.scores_capacity = ctypes.pointer(prediction), n
        out.probabilities, out.log_probabilities = probabilities, log_probabilities
        with self._borrow() as handle:
            _check(call(handle, ctypes.byref(out)))
        return Prediction(prediction.class_index, prediction.probability, probabilities[:], log_probabilities[:])

    def _predict(self, count: int, call, num_threads=None, per_item: bool = False) -> List[Result]:
        """Runs the *_ex `call(handle, options, results)` on `count` inputs.

        Returns one Prediction per input; with per_item, a failed input's entry is its Error
        (the library's per-image status and message) instead of the whole call failing.
        """
        if count > DI_MAX_BATCH:  # checked here too, before allocating the outputs
            raise Error(DI_ERR_INVALID_ARGUMENT, f"a batch of {count} is larger than MAX_BATCH ({DI_MAX_BATCH})")
        n = self._info.num_classes
        options = lib.di_predict_options_default()
        if num_threads is not None:
            options.num_threads = _c_int(num_threads, "num_threads", *_INT32)
        predictions = (di_prediction * count)()
        probabilities = (ctypes.c_float * (count * n))()
        log_probabilities = (ctypes.c_float * (count * n))()
        results = lib.di_results_default()
        results.predictions, results.scores_capacity = predictions, count * n
        results.probabilities, results.log_probabilities = probabilities, log_probabilities
        statuses = (c_enum * count)()
        messages = (ctypes.c_char_p * count)()
        if per_item:
            results.statuses, results.messages = statuses, messages
        with self._borrow() as handle:
            _check(call(handle, ctypes.byref(options), ctypes.byref(results)))
            # The messages are borrowed until this thread's next DigitInfer call: copy them first.
            failed = [(i, status, (messages[i] or b"").decode(errors="replace"))
                      for i, status in enumerate(statuses) if status != 0]
        out = [Prediction(p.class_index, p.probability, probabilities[i * n:(i + 1) * n],
                          log_probabilities[i * n:(i + 1) * n])
               for i, p in enumerate(predictions)]
        for i, status, message in failed:
            out[i] = Error(status, message)
        return out

    def _predict_items(self, items, convert, call, num_threads, errors) -> List[Result]:
        """A batch call over `items`, each turned into a C input by `convert` (which may raise Error)."""
        per_item = _check_errors_argument(errors)
        inputs, positions, results = _inputs(items, convert, per_item)
        if inputs:
            # The converted inputs stay alive in `inputs` for the call: the C structs only hold addresses.
            done = self._predict(len(inputs), lambda h, o, r: call(h, inputs, o, r), num_threads, per_item)
            for i, result in zip(positions, done):
                results[i] = result
        return results

    def predict(self, image) -> Prediction:
        """Classifies one encoded image file (PNG, JPEG, BMP, GIF, PGM/PPM, TGA): bytes or a path."""
        data = _encoded(image)
        return self._predict_one(lambda h, out: lib.di_model_predict_encoded(h, data, len(data), out))

    def predict_batch(self, images, errors: str = "raise", num_threads: Optional[int] = None) -> List[Result]:
        """Classifies several encoded images (bytes or paths) in one batched call.

        errors="raise" (default): the first image that cannot be read or decoded raises Error for the
        whole batch. errors="return": every image gets its own result; one that failed comes back as
        a digitinfer.Error (not raised) carrying `.code` (its di_status), `.status` and `.message`,
        and the others are predicted as usual. `num_threads`: threads for this call (None or 0: the
        model's num_threads).
        """
        def call(handle, inputs, options, results):
            batch = (di_encoded_image * len(inputs))(*[(ctypes.cast(d, ctypes.c_void_p), len(d)) for d in inputs])
            return lib.di_model_predict_encoded_ex(handle, batch, len(inputs), options, results)

        return self._predict_items(list(images), _encoded, call, num_threads, errors)

    def predict_gray(self, pixels, width: int, height: int, stride=None) -> Prediction:
        """Classifies raw 8-bit grayscale pixels, row-major, 0 = black, of any size.

        `pixels` is any C-contiguous 8-bit buffer: bytes, bytearray, memoryview,
        a numpy uint8 array. `stride` is the bytes from one row to the next
        (default: `width`).
        """
        image = _gray_image(pixels, width, height, stride)
        return self._predict_one(lambda h, out: lib.di_model_predict_gray(h, ctypes.byref(image), out))

    def predict_gray_batch(self, images, errors: str = "raise", num_threads: Optional[int] = None) -> List[Result]:
        """Classifies several raw grayscale images in one batched call.

        Each image is a tuple `(pixels, width, height)` or `(pixels, width, height, stride)`, as
        predict_gray takes them. `errors` and `num_threads` work as in predict_batch.
        """
        def call(handle, inputs, options, results):
            batch = (di_gray_image * len(inputs))(*inputs)
            return lib.di_model_predict_gray_ex(handle, batch, len(inputs), options, results)

        return self._predict_items(list(images), lambda image: _gray_image(*image), call, num_threads, errors)

    def predict_tensor(self, floats, count: int = 1, errors: str = "raise",
                       num_threads: Optional[int] = None) -> List[Result]:
        """Classifies `count` already-normalized C x H x W float tensors, back to back.

        `floats` is a flat sequence of numbers or a float32 buffer (e.g. a numpy
        float32 array of any shape). Returns one Prediction per tensor. With
        errors="return", a tensor the library refuses (one holding a NaN or an
        infinity) comes back as its Error, as in predict_batch; a `floats` whose
        length is not `count` tensors still raises. `num_threads` as in predict_batch.
        """
        per_item = _check_errors_argument(errors)
        values = _float_array(floats)
        count = _c_int(count, "count", 1, 2**64 - 1)  # below 1 would wrap around in size_t
        return self._predict(count, lambda h, o, r: lib.di_model_predict_tensor_ex(h, values, len(values), count, o, r),
                             num_threads, per_item)

    def export_native(self, path) -> None:
        """Writes the model as a .dimodel: loads without libtorch, predicts identically (native engine only)."""
        with self._borrow() as handle:
            _check(lib.di_model_export_native(handle, os.fsencode(path)))

    def preprocess(self, image) -> Tuple[bytes, List[float]]:
        """Only the preprocessing of an encoded image (bytes or a path).

        Returns the H x W grayscale image the model sees, as bytes (row-major),
        and the normalized C x H x W tensor, as a list of floats.
        """
        data = _encoded(image)
        info = self._info
        pixels = (ctypes.c_uint8 * (info.input_height * info.input_width))()
        tensor = (ctypes.c_float * (info.input_channels * len(pixels)))()
        with self._borrow() as handle:
            _check(lib.di_model_preprocess_encoded(handle, data, len(data), pixels, len(pixels), tensor, len(tensor)))
        return bytes(pixels), list(tensor)
