"""DigitInfer: handwritten-digit inference through the libdigitinfer C API (ctypes, no extension).

    import digitinfer
    with digitinfer.Model("convnet.scripted.pt") as model:
        p = model.predict("digit.png")
        print(p.digit, p.probability)

Every failure of the library raises digitinfer.Error, carrying the C status.
"""
import contextlib
import ctypes
import dataclasses
import enum
import os
import threading
from typing import List, Tuple

from ._lib import DI_ERR_INVALID_ARGUMENT, DI_ERR_IO, di_encoded_image, di_gray_image, di_load_options
from ._lib import di_model, di_model_info, di_outputs, di_prediction, lib

__all__ = ["Engine", "Error", "Model", "ModelInfo", "OutputKind", "Prediction", "version"]
__version__ = "1.0.0"


class Error(Exception):
    """A DigitInfer failure: `code` is the C di_status (negative int), `status` its name."""

    def __init__(self, code: int, message: str):
        self.code = code
        self.status = lib.di_status_string(code).decode()
        self.message = message
        super().__init__(f"{self.status}: {message}")


def _check(status: int) -> None:
    # Read the message right away: it is per thread and overwritten by the next call.
    if status != 0:
        raise Error(status, lib.di_last_error_message().decode(errors="replace"))


class OutputKind(enum.IntEnum):
    """What the model's forward returns (di_output_kind)."""

    AUTO = 0
    LOG_PROBABILITIES = 1
    LOGITS = 2
    PROBABILITIES = 3


class Engine(enum.IntEnum):
    """Which implementation runs the forward pass (di_engine)."""

    AUTO = 0
    NATIVE = 1
    LIBTORCH = 2
    LIBTORCH_REFERENCE = 3


@dataclasses.dataclass(frozen=True)
class ModelInfo:
    """Description of a loaded model (di_model_info plus its labels)."""

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


def _gray_image(pixels, width: int, height: int, stride) -> di_gray_image:
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


class Model:
    """A loaded TorchScript digit classifier with its preprocessing parameters.

    Thread-safety: the library releases the GIL while it works, and any number
    of threads may predict with one model at once. close() waits for running
    calls; calls after close() raise Error.
    """

    def __init__(self, path, num_threads: int = 0, output_kind=None, engine=Engine.AUTO):
        """Loads a model file. `output_kind`: an OutputKind, or None to use the model's metadata;
        `engine`: an Engine (AUTO: native kernels when the graph is supported, else libtorch)."""
        path = os.fsencode(path)
        self._load(lambda opts, out: lib.di_model_load_file(path, opts, out), num_threads, output_kind, engine)

    @classmethod
    def from_bytes(cls, data, num_threads: int = 0, output_kind=None, engine=Engine.AUTO) -> "Model":
        """Loads a model from the bytes of a TorchScript file."""
        data = bytes(memoryview(data))
        model = cls.__new__(cls)
        model._load(lambda opts, out: lib.di_model_load_memory(data, len(data), opts, out),
                    num_threads, output_kind, engine)
        return model

    def _load(self, load, num_threads, output_kind, engine):
        self._handle = None  # set first, so that close() and __del__ work if loading fails
        self._calls = 0
        self._idle = threading.Condition()
        kind = OutputKind.AUTO if output_kind is None else output_kind
        opts = di_load_options(ctypes.sizeof(di_load_options), num_threads, kind, engine)
        handle = ctypes.POINTER(di_model)()
        _check(load(ctypes.byref(opts), ctypes.byref(handle)))
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
        info = di_model_info(struct_size=ctypes.sizeof(di_model_info))
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
                         info.mean, info.std, kind, bool(info.has_metadata), tuple(labels), engine, note)

    @property
    def info(self) -> ModelInfo:
        return self._info

    def _predict(self, count: int, call) -> List[Prediction]:
        """Runs `call(handle, outputs)` for `count` images and turns the outputs into Predictions."""
        n = self._info.num_classes
        predictions = (di_prediction * count)()
        probabilities = (ctypes.c_float * (count * n))()
        log_probabilities = (ctypes.c_float * (count * n))()
        out = di_outputs(predictions, probabilities, log_probabilities, count * n)
        with self._borrow() as handle:
            _check(call(handle, ctypes.byref(out)))
        return [Prediction(p.class_index, p.probability, probabilities[i * n:(i + 1) * n],
                           log_probabilities[i * n:(i + 1) * n])
                for i, p in enumerate(predictions)]

    def predict(self, image) -> Prediction:
        """Classifies one encoded image file (PNG, JPEG, BMP, GIF, PGM/PPM, TGA): bytes or a path."""
        data = _encoded(image)
        return self._predict(1, lambda h, out: lib.di_model_predict_encoded(h, data, len(data), out))[0]

    def predict_batch(self, images) -> List[Prediction]:
        """Classifies several encoded images (bytes or paths) in one batched forward."""
        data = [_encoded(image) for image in images]  # keeps the bytes alive: the structs only hold addresses
        if not data:
            return []
        batch = (di_encoded_image * len(data))(*[(ctypes.cast(d, ctypes.c_void_p), len(d)) for d in data])
        return self._predict(len(data), lambda h, out: lib.di_model_predict_encoded_batch(h, batch, len(data), out))

    def predict_gray(self, pixels, width: int, height: int, stride=None) -> Prediction:
        """Classifies raw 8-bit grayscale pixels, row-major, 0 = black, of any size.

        `pixels` is any C-contiguous 8-bit buffer: bytes, bytearray, memoryview,
        a numpy uint8 array. `stride` is the bytes from one row to the next
        (default: `width`).
        """
        image = _gray_image(pixels, width, height, stride)
        return self._predict(1, lambda h, out: lib.di_model_predict_gray(h, ctypes.byref(image), out))[0]

    def predict_tensor(self, floats, count: int = 1) -> List[Prediction]:
        """Classifies `count` already-normalized C x H x W float tensors, back to back.

        `floats` is a flat sequence of numbers or a float32 buffer (e.g. a numpy
        float32 array of any shape). Returns one Prediction per tensor.
        """
        values = _float_array(floats)
        if count < 1:  # would wrap around in size_t
            raise Error(DI_ERR_INVALID_ARGUMENT, f"count must be at least 1, not {count}")
        return self._predict(count, lambda h, out: lib.di_model_predict_tensor(h, values, len(values), count, out))

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
