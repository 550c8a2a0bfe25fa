"""Exceptions carrying the C di_status: one class per status, all DigitInferError (alias Error)."""
import enum
from typing import Any, Dict, Tuple, Type, Union, cast

from . import _lib
from ._lib import lib


class Status(enum.IntEnum):
    """The C library's di_status values. New ones may appear: codes are plain ints then."""

    # The values of _lib's mirror of the header (which the layout test compares with the C compiler's).
    OK = _lib.DI_OK
    INVALID_ARGUMENT = _lib.DI_ERR_INVALID_ARGUMENT
    IO = _lib.DI_ERR_IO
    DECODE = _lib.DI_ERR_DECODE
    MODEL = _lib.DI_ERR_MODEL
    OUT_OF_MEMORY = _lib.DI_ERR_OUT_OF_MEMORY
    BUFFER_TOO_SMALL = _lib.DI_ERR_BUFFER_TOO_SMALL
    INFERENCE = _lib.DI_ERR_INFERENCE
    INTERNAL = _lib.DI_ERR_INTERNAL


class DigitInferError(Exception):
    """A DigitInfer failure. `code`: the C di_status (a Status, or an int the bindings do not know);
    `status`: its C name ("DI_ERR_DECODE"); `message`: why.

    DigitInferError(code, message) gives the subclass of that code (DecodeError for -3, ...), so
    `except digitinfer.DecodeError` and `except digitinfer.Error` both work.
    """

    def __new__(cls, code: int, message: str = "") -> "DigitInferError":
        if cls is DigitInferError:
            cls = _CLASSES.get(int(code), DigitInferError)
        return super(DigitInferError, cls).__new__(cls, int(code), message)

    def __init__(self, code: int, message: str = ""):
        super().__init__(int(code), message)
        try:
            self.code: Union[Status, int] = Status(code)
        except ValueError:
            self.code = int(code)
        self.status: str = lib.di_status_string(int(code)).decode()
        self.message: str = message

    def __str__(self) -> str:
        return f"{self.status}: {self.message}"

    def __reduce__(self) -> Tuple[Any, ...]:  # pickles (multiprocessing) as the class the code picks
        return DigitInferError, (int(self.code), self.message)


Error = DigitInferError  # the name of the 1.x bindings


class InvalidArgumentError(DigitInferError, ValueError):
    """DI_ERR_INVALID_ARGUMENT: a bad argument, option, size or shape."""


class InputTypeError(InvalidArgumentError, TypeError):
    """DI_ERR_INVALID_ARGUMENT for an argument of the wrong type (found by the bindings)."""

    def __new__(cls, message: str) -> "InputTypeError":
        return cast(InputTypeError, super().__new__(cls, Status.INVALID_ARGUMENT, message))

    def __init__(self, message: str):
        super().__init__(Status.INVALID_ARGUMENT, message)

    def __reduce__(self) -> Tuple[Any, ...]:
        return InputTypeError, (self.message,)


class FileError(DigitInferError):
    """DI_ERR_IO: a file could not be opened or read."""


class DecodeError(DigitInferError):
    """DI_ERR_DECODE: image bytes are corrupt, truncated, too large or of an unknown format."""


class ModelError(DigitInferError):
    """DI_ERR_MODEL: not a model file, wrong shapes, refused operators, or no libtorch plugin."""


class OutOfMemoryError(DigitInferError):
    """DI_ERR_OUT_OF_MEMORY: an allocation or a memory budget failed."""


class BufferTooSmallError(DigitInferError):
    """DI_ERR_BUFFER_TOO_SMALL (the bindings size every buffer: seeing it is a bug in them)."""


class InferenceError(DigitInferError):
    """DI_ERR_INFERENCE: the forward pass failed (or exceeded its time limit)."""


class InternalError(DigitInferError):
    """DI_ERR_INTERNAL: a bug in the library, please report it."""


_CLASSES: Dict[int, Type[DigitInferError]] = {
    Status.INVALID_ARGUMENT: InvalidArgumentError, Status.IO: FileError, Status.DECODE: DecodeError,
    Status.MODEL: ModelError, Status.OUT_OF_MEMORY: OutOfMemoryError, Status.BUFFER_TOO_SMALL: BufferTooSmallError,
    Status.INFERENCE: InferenceError, Status.INTERNAL: InternalError,
}


def check(status: int) -> None:
    """Raises the error of a failed C call."""
    # Read the message right away: it is per thread and overwritten by the next call.
    if status != 0:
        raise DigitInferError(status, lib.di_last_error_message().decode(errors="replace"))


def invalid(message: str) -> InvalidArgumentError:
    return InvalidArgumentError(Status.INVALID_ARGUMENT, message)
