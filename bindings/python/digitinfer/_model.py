"""Model: a loaded classifier, and every predict call of the C API behind one Pythonic method each."""
import contextlib
import ctypes
import os
import threading
from typing import TYPE_CHECKING, Any, Callable, Dict, Iterable, Iterator, List, Optional, Tuple, Union

import numpy as np

from . import _inputs
from ._enums import CacheUse, Engine, OutputKind, c_int, known
from ._errors import DigitInferError, InputTypeError, check, invalid
from ._inputs import ENCODED, GRAY
from ._lib import DI_MAX_BATCH, di_model, di_outputs, di_prediction, lib
from ._options import load_options, predict_options, threads as _threads
from ._results import BatchResult, ModelInfo, Prediction, Preprocessed

_PREDICTION_DTYPE = _inputs._struct_dtype(di_prediction)

if TYPE_CHECKING:
    import PIL.Image

PathLike = Union[str, "os.PathLike[str]"]
Buffer = Union[bytes, bytearray, memoryview, np.ndarray]  # any bytes-like object
# What predict() takes; a batch is an Iterable of these, or one numpy array of N images.
ImageInput = Union[PathLike, Buffer, "PIL.Image.Image"]
# An item of predict_gray_batch: an H x W uint8 array, or (pixels, width, height[, stride]).
GrayInput = Union[np.ndarray, Tuple[Buffer, int, int], Tuple[Buffer, int, int, Optional[int]]]
Call = Callable[..., int]  # a C call, given the handle and the outputs, returning its di_status


def _per_item(errors: str) -> bool:
    """True for errors="return", False for "raise"."""
    if errors not in ("raise", "return"):
        raise invalid(f'errors must be "raise" or "return", not {errors!r}')
    return errors == "return"


class Model:
    """A loaded digit classifier (a .dimodel, or TorchScript with the libtorch plugin) with its preprocessing.

    Thread-safety: the library releases the GIL while it works, and any number of threads may
    predict with one model at once. close() waits for running calls; calls after close() raise
    InvalidArgumentError.
    """

    def __init__(self, path_or_bytes: Union[PathLike, Buffer], num_threads: Optional[int] = None,
                 output_kind: Union[OutputKind, int, str, None] = None, engine: Union[Engine, int, str] = Engine.AUTO,
                 max_pixels: Optional[int] = None, max_encoded_bytes: Optional[int] = None, *,
                 threads: Optional[int] = None, trust_model: bool = False, max_jpeg_scans: Optional[int] = None,
                 torch_time_limit_ms: Optional[int] = None, torch_memory_limit_bytes: Optional[int] = None,
                 cache_dir: Optional[PathLike] = None) -> None:
        """Loads a model from a file (a path) or from the file's bytes (bytes-like).

        `threads` (or `num_threads`, the same): threads for one batch call (0 or None: all cores).
        `output_kind`: an OutputKind or its name ("logits"), None for the model's metadata. `engine`:
        an Engine or its name ("native"; AUTO: native kernels when the graph is supported, else
        libtorch). `max_pixels` (width x height) and `max_encoded_bytes`: the largest image a predict
        call accepts (None: DEFAULT_MAX_PIXELS, DEFAULT_MAX_ENCODED_BYTES, also the largest allowed);
        a bigger encoded image fails with DecodeError, a bigger gray one with InvalidArgumentError.
        `max_jpeg_scans`: the most scans of a progressive JPEG (None: DEFAULT_MAX_JPEG_SCANS).
        `trust_model`: the file is trusted code (DI_LOAD_TRUSTED_MODEL): TorchScript may then run any
        operator, file access included; by default only pure tensor operators load.
        `torch_time_limit_ms`, `torch_memory_limit_bytes`: what one libtorch forward may take (0: no
        limit; None: DEFAULT_TORCH_TIME_LIMIT_MS, DEFAULT_TORCH_MEMORY_LIMIT_BYTES). `cache_dir`: the
        compiled-model cache's directory (None: $DIGITINFER_CACHE_DIR, else the per-user default; "":
        no cache); model.info.cache says what it did.
        """
        self._handle: Any = None  # set first, so that close() and __del__ work if loading fails
        opts = load_options(_threads(threads, num_threads), output_kind, engine, max_pixels, max_encoded_bytes,
                            trust_model, max_jpeg_scans, torch_time_limit_ms, torch_memory_limit_bytes, cache_dir)
        if isinstance(path_or_bytes, (str, os.PathLike)):
            path = os.fsencode(path_or_bytes)
            if b"\0" in path:
                raise invalid(f"model path {path_or_bytes!r} holds a NUL byte")
            self._load(lambda out: lib.di_model_load_file(path, ctypes.byref(opts), out))
            return
        try:
            data = _inputs.encoded(path_or_bytes)
        except InputTypeError:
            raise InputTypeError(f"a model is a path or the bytes of a model file, "
                                 f"not {type(path_or_bytes).__name__}") from None
        self._load(lambda out: lib.di_model_load_memory(data.address, data.size, ctypes.byref(opts), out))

    @classmethod
    def from_bytes(cls, data: Buffer, *args: Any, **kwargs: Any) -> "Model":
        """Loads a model from the bytes of a model file (Model(data) does the same); options as Model()'s."""
        if isinstance(data, (str, os.PathLike)):
            raise InputTypeError("from_bytes takes the bytes of a model file; Model(path) loads a file")
        return cls(data, *args, **kwargs)

    def _load(self, load: Callable[[Any], int]) -> None:
        self._calls = 0
        self._lock = threading.Lock()  # guards _handle and _calls
        self._idle = threading.Condition(self._lock)  # close() waits on it for _calls == 0
        handle = ctypes.POINTER(di_model)()
        check(load(ctypes.byref(handle)))
        self._handle = handle
        self._info = self._read_info()
        self._shape = self._info.input_shape
        self._classes = self._info.num_classes
        self._scores = ctypes.c_float * (2 * self._classes)

    # --- lifetime ------------------------------------------------------------------------------

    def _acquire(self) -> Any:
        """The C handle, which close() cannot free until _release(): the per-call fast path."""
        with self._lock:
            if not self._handle:
                raise invalid("the model is closed")
            self._calls += 1
            return self._handle

    def _release(self) -> None:
        with self._lock:
            self._calls -= 1
            if not self._handle and not self._calls:  # close() is waiting
                self._idle.notify_all()

    @contextlib.contextmanager
    def _borrow(self) -> Iterator[Any]:
        """Yields the C handle, as _acquire and _release, for the calls that are no hot path."""
        handle = self._acquire()
        try:
            yield handle
        finally:
            self._release()

    def close(self) -> None:
        """Frees the model; waits for calls in other threads. Closing twice is fine."""
        idle = getattr(self, "_idle", None)
        if idle is None:  # __init__ failed before _load
            return
        with idle:
            handle, self._handle = self._handle, None  # new calls fail from here on
            idle.wait_for(lambda: self._calls == 0)
        lib.di_model_free(handle)  # NULL is a no-op

    def __enter__(self) -> "Model":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        self.close()

    def __repr__(self) -> str:
        if not self._handle:
            return "<digitinfer.Model closed>"
        info = self._info
        return f"<digitinfer.Model '{info.name}' {info.engine.name.lower()} {'x'.join(map(str, self._shape))}>"

    # --- description ---------------------------------------------------------------------------

    def _read_info(self) -> ModelInfo:
        info = lib.di_model_info_default()
        label = ctypes.c_char_p()
        with self._borrow() as handle:
            check(lib.di_model_get_info(handle, ctypes.byref(info)))
            labels = []
            for i in range(info.num_classes):
                check(lib.di_model_get_label(handle, i, ctypes.byref(label)))
                labels.append((label.value or b"").decode(errors="replace"))
            # Borrowed strings die with the model: copy them while it is borrowed.
            name, note, cache_path, cache_note = ((s or b"").decode(errors="replace") for s in
                                                  (info.name, info.engine_note, info.cache_path, info.cache_note))
        return ModelInfo(name, info.input_channels, info.input_height, info.input_width, info.num_classes,
                         info.mean, info.std, known(OutputKind, info.output_kind), bool(info.has_metadata),
                         tuple(labels), known(Engine, info.engine), note, info.num_threads, info.max_pixels,
                         info.max_encoded_bytes, known(CacheUse, info.cache), cache_path, cache_note)

    @property
    def info(self) -> ModelInfo:
        return self._info

    @property
    def input_shape(self) -> Tuple[int, int, int]:
        """(C, H, W) of one input tensor."""
        return self._shape

    @property
    def labels(self) -> Tuple[str, ...]:
        return self._info.labels

    # --- one image ------------------------------------------------------------------------------

    def _predict_one(self, call: Call) -> Prediction:
        """Runs a single-image `call(handle, outputs)` (di_model_predict_encoded / _gray / _tensor)."""
        k = self._classes
        prediction, buffer = di_prediction(), self._scores()  # probabilities, then log-probabilities
        address = ctypes.addressof(buffer)  # (a ctypes buffer: its address is cheaper than an array's)
        out = di_outputs(ctypes.addressof(prediction), address, address + 4 * k, k)
        handle = self._acquire()
        try:
            check(call(handle, ctypes.byref(out)))
        finally:
            self._release()
        scores = np.frombuffer(bytes(buffer), np.float32)  # over bytes: read-only, so the Prediction is frozen
        return Prediction._of(prediction.class_index, prediction.probability, scores[:k], scores[k:])

    def predict(self, image: ImageInput) -> Prediction:
        """Classifies one image.

        `image`: a path or an encoded file's bytes (PNG, JPEG, BMP, GIF, PGM/PPM, TGA; also a 1-D
        uint8 array of them), a PIL.Image (any mode: Pillow's convert("L") makes it gray, as the
        reference pipeline does), a numpy uint8 H x W array of gray pixels (any size: it is
        resized), or a numpy float32 C x H x W (or 1 x C x H x W) tensor, already normalized.
        """
        if type(image) is bytes:  # the common case, straight to C
            return self._predict_one(lambda h, out: lib.di_model_predict_encoded(h, image, len(image), out))
        kind, value = _inputs.convert(image, self._shape)
        if kind == ENCODED:
            return self._predict_one(lambda h, out: lib.di_model_predict_encoded(h, value.address, value.size, out))
        if kind == GRAY:
            gray = value.struct()
            return self._predict_one(lambda h, out: lib.di_model_predict_gray(h, ctypes.byref(gray), out))
        address = _inputs.address(value)
        return self._predict_one(lambda h, out: lib.di_model_predict_tensor(h, address, value.size, 1, out))

    def predict_gray(self, pixels: Buffer, width: int, height: int, stride: Optional[int] = None) -> Prediction:
        """Classifies raw 8-bit grayscale pixels, row-major, 0 = black, of any size, in any C-contiguous
        8-bit buffer (bytes, bytearray, memoryview, numpy uint8); `stride`: bytes from one row to the
        next (default: `width`). predict(a) takes a numpy uint8 H x W array without the geometry."""
        gray = _inputs.gray(pixels, width, height, stride).struct()
        return self._predict_one(lambda h, out: lib.di_model_predict_gray(h, ctypes.byref(gray), out))

    def preprocess(self, image: ImageInput) -> Preprocessed:
        """Only the preprocessing: returns (image, tensor), the H x W uint8 gray image the model sees
        and the normalized C x H x W float32 tensor.

        `image`: a path, an encoded file's bytes, a PIL.Image or a numpy uint8 H x W array (the
        last two go to the library losslessly, as a PGM file: the C API preprocesses files only).
        """
        if _inputs.is_pil(image) or isinstance(image, np.ndarray) and image.ndim == 2:
            image = _inputs.pgm(image)
        elif isinstance(image, np.ndarray) and image.dtype == np.float32:
            raise InputTypeError("a float32 array is a tensor already: there is nothing to preprocess")
        data = _inputs.encoded(image)
        _, h, w = self._shape
        pixels, tensor = np.empty((h, w), np.uint8), np.empty(self._shape, np.float32)
        with self._borrow() as handle:
            check(lib.di_model_preprocess_encoded(handle, data.address, data.size, pixels.ctypes.data, pixels.size,
                                                  tensor.ctypes.data, tensor.size))
        return Preprocessed(pixels, tensor)

    # --- batches --------------------------------------------------------------------------------

    def _run(self, count: int, call: Call, num_threads: int, per_item: bool) -> BatchResult:
        """Runs the *_ex `call(handle, options, results)` on `count` inputs, into numpy arrays.

        With per_item, a failed input gets its error (the library's per-image status and message)
        instead of failing the call.
        """
        k = self._classes
        predictions = np.empty(count, _PREDICTION_DTYPE)
        probabilities, log_probabilities = np.empty((count, k), np.float32), np.empty((count, k), np.float32)
        statuses = np.zeros(count, np.int32)
        results = lib.di_results_default()
        results.predictions, results.scores_capacity = predictions.ctypes.data, count * k
        results.probabilities, results.log_probabilities = probabilities.ctypes.data, log_probabilities.ctypes.data
        messages = (ctypes.c_char_p * count)()
        if per_item:
            results.statuses, results.messages = statuses.ctypes.data, ctypes.addressof(messages)
        errors: Dict[int, DigitInferError] = {}
        handle = self._acquire()
        try:
            check(call(handle, predict_options(num_threads), ctypes.byref(results)))
            # The messages are borrowed until this thread's next DigitInfer call: copy them first.
            for i in np.flatnonzero(statuses).tolist():
                errors[i] = DigitInferError(int(statuses[i]), (messages[i] or b"").decode(errors="replace"))
        finally:
            self._release()
        return BatchResult(predictions["class_index"].copy(), predictions["probability"].copy(),
                           probabilities, log_probabilities, statuses, errors)

    def _run_kind(self, kind: str, values: List[Any], num_threads: int, per_item: bool) -> BatchResult:
        """One *_ex call on inputs of one kind (a list of Encoded, Gray or tensors)."""
        n = len(values)
        if kind == ENCODED:
            structs = _inputs.encoded_structs(values)
            return self._run(n, lambda h, o, r: lib.di_model_predict_encoded_ex(
                h, structs.ctypes.data, n, o, r), num_threads, per_item)
        if kind == GRAY:
            structs = _inputs.gray_structs(values)
            return self._run(n, lambda h, o, r: lib.di_model_predict_gray_ex(
                h, structs.ctypes.data, n, o, r), num_threads, per_item)
        return self._tensors(np.concatenate([v.reshape(-1) for v in values]), n, num_threads, per_item)

    def _tensors(self, floats: np.ndarray, count: int, num_threads: int, per_item: bool) -> BatchResult:
        return self._run(count, lambda h, o, r: lib.di_model_predict_tensor_ex(
            h, floats.ctypes.data, floats.size, count, o, r), num_threads, per_item)

    def _gray_array(self, images: np.ndarray, num_threads: int, per_item: bool) -> BatchResult:
        structs, pixels = _inputs.gray_batch(images)
        n = len(structs)
        return self._run(n, lambda h, o, r: lib.di_model_predict_gray_ex(
            h, structs.ctypes.data, n, o, r), num_threads, per_item)

    def _items(self, items: List[Any], convert: Callable[[Any], Tuple[str, Any]], num_threads: int,
               per_item: bool) -> BatchResult:
        """A batch of a list: each item converted, each kind in one C call, the results in the list's order."""
        groups: Dict[str, Tuple[List[int], List[Any]]] = {}
        failed: Dict[int, DigitInferError] = {}
        for i, item in enumerate(items):
            try:
                kind, value = convert(item)
            except DigitInferError as e:
                if not per_item:
                    raise
                failed[i] = e.with_traceback(None)
                continue
            positions, values = groups.setdefault(kind, ([], []))
            positions.append(i)
            values.append(value)
        parts = [(positions, self._run_kind(kind, values, num_threads, per_item))
                 for kind, (positions, values) in groups.items()]
        if len(parts) == 1 and not failed:
            return parts[0][1]
        return BatchResult.merge(len(items), self._classes, parts, failed)

    def _batch_size(self, count: int) -> None:
        if count > DI_MAX_BATCH:
            raise invalid(f"{count} images in one call: at most MAX_BATCH = {DI_MAX_BATCH}")

    def predict_batch(self, images: Union[Iterable[ImageInput], np.ndarray], errors: str = "raise",
                      num_threads: Optional[int] = None, *,
                      threads: Optional[int] = None) -> BatchResult:
        """Classifies several images in batched calls.

        `images`: a list (any iterable) of whatever predict() takes, kinds mixed at will; or a numpy
        uint8 N x H x W array of gray images, or a float32 N x C x H x W array of tensors, which go to
        the C batch call as they are, without a loop over the images.

        errors="raise" (default): the first image that cannot be read or decoded raises for the whole
        batch. errors="return": every image gets its own result; one that failed is, in the
        BatchResult, its DigitInferError (not raised), and the others are predicted as usual.
        `threads` (or `num_threads`): threads for this call (None or 0: the model's).
        """
        per_item, n_threads = _per_item(errors), _threads(threads, num_threads)
        if isinstance(images, np.ndarray):
            if images.dtype == np.uint8 and images.ndim == 3:
                self._batch_size(len(images))
                return self._gray_array(images, n_threads, per_item) if len(images) else self._empty()
            if images.dtype == np.float32 and images.ndim == 4:
                self._batch_size(len(images))
                floats = _inputs.tensor_batch(images, self._shape)
                return self._tensors(floats, len(floats), n_threads, per_item) if len(floats) else self._empty()
            raise InputTypeError(f"a batch array is uint8 N x H x W (gray images) or float32 N x C x H x W "
                                 f"(tensors), not {images.dtype} of shape {images.shape}")
        items = self._list(images)
        return self._items(items, lambda item: _inputs.convert(item, self._shape), n_threads, per_item)

    def predict_gray_batch(self, images: Union[Iterable[GrayInput], np.ndarray], errors: str = "raise",
                           num_threads: Optional[int] = None, *,
                           threads: Optional[int] = None) -> BatchResult:
        """Classifies several raw grayscale images in one batched call.

        `images`: a numpy uint8 N x H x W array (no loop over the images), or a list whose items are
        each a numpy uint8 H x W array or a tuple `(pixels, width, height)` or `(pixels, width,
        height, stride)` as predict_gray takes them. `errors` and `threads` as in predict_batch.
        """
        per_item, n_threads = _per_item(errors), _threads(threads, num_threads)
        if isinstance(images, np.ndarray):
            if images.dtype != np.uint8 or images.ndim != 3:
                raise InputTypeError(f"a gray batch array is uint8 N x H x W, not {images.dtype} of shape "
                                     f"{images.shape}")
            self._batch_size(len(images))
            return self._gray_array(images, n_threads, per_item) if len(images) else self._empty()

        def convert(item: Any) -> Tuple[str, Any]:
            if isinstance(item, tuple):
                return GRAY, _inputs.gray(*item)
            if isinstance(item, np.ndarray):
                return GRAY, _inputs.gray_array(item)
            raise InputTypeError(f"a gray image is a uint8 H x W array or a (pixels, width, height[, stride]) "
                                 f"tuple, not {type(item).__name__}")

        return self._items(self._list(images), convert, n_threads, per_item)

    def predict_tensor(self, floats: Union[np.ndarray, Iterable[float]], count: Optional[int] = None,
                       errors: str = "raise", num_threads: Optional[int] = None, *,
                       threads: Optional[int] = None) -> BatchResult:
        """Classifies `count` normalized C x H x W float tensors, back to back.

        `floats`: a float32 array of any shape (or any sequence of numbers, converted to float32);
        `count`: how many tensors (None: as many as `floats` holds). With errors="return", a tensor
        the library refuses (one holding a NaN or an infinity) gets its error, as in predict_batch.
        """
        per_item, n_threads = _per_item(errors), _threads(threads, num_threads)
        try:
            values = np.ascontiguousarray(floats, dtype=np.float32).reshape(-1)
        except (TypeError, ValueError) as e:
            raise InputTypeError(f"tensors must be float32 numbers: {e}") from None
        per_image = int(np.prod(self._shape))
        if count is None:
            count = max(1, values.size // per_image)
        count = c_int(count, "count", 1, 2**64 - 1)  # below 1 would wrap around in size_t
        self._batch_size(count)
        if values.size != count * per_image:
            raise invalid(f"{values.size} floats are not {count} tensors of {per_image}")
        return self._tensors(values, count, n_threads, per_item)

    def _list(self, images: Iterable[Any]) -> List[Any]:
        if isinstance(images, (str, bytes, bytearray, memoryview, os.PathLike)) or _inputs.is_pil(images):
            raise InputTypeError(f"a batch is a list of images, not one {type(images).__name__}: use predict()")
        try:
            items = list(images)
        except TypeError:
            raise InputTypeError(f"a batch is a list of images, not {type(images).__name__}") from None
        self._batch_size(len(items))
        return items

    def _empty(self) -> BatchResult:
        return BatchResult.merge(0, self._classes, [], {})

    # --- export ---------------------------------------------------------------------------------

    def export_native(self, path: PathLike) -> None:
        """Writes the model as a .dimodel: loads without libtorch, predicts identically (native engine only)."""
        with self._borrow() as handle:
            check(lib.di_model_export_native(handle, os.fsencode(path)))
