"""What the calls return: ModelInfo, Prediction (one image), BatchResult (many), Preprocessed."""
import dataclasses
from typing import Any, Dict, Iterable, Iterator, List, NamedTuple, Sequence, Tuple, Union, overload

import numpy as np

from ._enums import CacheUse, Engine, OutputKind
from ._errors import DigitInferError
from ._lib import DI_DEFAULT_MAX_ENCODED_BYTES, DI_DEFAULT_MAX_PIXELS


@dataclasses.dataclass(frozen=True)
class ModelInfo:
    """Description of a loaded model (di_model_info plus its labels).

    `num_threads`: threads a batch call uses when it does not say (resolved, >= 1);
    `max_pixels`, `max_encoded_bytes`: the image limits the model was loaded with;
    `cache`, `cache_path`, `cache_note`: what the compiled-model cache did for this load.
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
    # Since 1.2 (bindings 1.4):
    cache: CacheUse = CacheUse.NOT_USED
    cache_path: str = ""
    cache_note: str = ""

    @property
    def input_shape(self) -> Tuple[int, int, int]:
        """(C, H, W) of one input tensor."""
        return (self.input_channels, self.input_height, self.input_width)


def _frozen(values: Any, dtype: Any) -> np.ndarray:
    array = np.array(values, dtype=dtype)  # a copy: nobody else holds it, so read-only means immutable
    array.flags.writeable = False
    return array


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class Prediction:
    """The result for one image. `digit` is the class index (its label: model.labels[digit]);
    `probabilities` and `log_probabilities` are read-only float32 arrays of num_classes values."""

    digit: int
    probability: float
    probabilities: np.ndarray
    log_probabilities: np.ndarray

    def __post_init__(self) -> None:
        for name in ("probabilities", "log_probabilities"):
            value = getattr(self, name)
            if not (isinstance(value, np.ndarray) and value.dtype == np.float32 and not value.flags.writeable):
                object.__setattr__(self, name, _frozen(value, np.float32))

    @classmethod
    def _of(cls, digit: int, probability: float, probabilities: np.ndarray,
            log_probabilities: np.ndarray) -> "Prediction":
        """A Prediction of read-only float32 rows, without the checks of __init__ (the bindings' fast path)."""
        prediction = object.__new__(cls)
        prediction.__dict__.update(digit=digit, probability=probability, probabilities=probabilities,
                                   log_probabilities=log_probabilities)
        return prediction

    def top_k(self, k: int) -> List[Tuple[int, float]]:
        """The k most probable (class, probability) pairs, most probable first."""
        order = np.argsort(-self.probabilities, kind="stable")[:k]
        return [(int(i), float(self.probabilities[i])) for i in order]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Prediction):
            return NotImplemented
        return (self.digit == other.digit and self.probability == other.probability
                and np.array_equal(self.probabilities, other.probabilities)
                and np.array_equal(self.log_probabilities, other.log_probabilities))

    def __hash__(self) -> int:
        return hash((self.digit, self.probability, self.probabilities.tobytes()))

    def __repr__(self) -> str:
        return f"Prediction(digit={self.digit}, probability={self.probability:.6g})"


Result = Union[Prediction, DigitInferError]


class BatchResult(Sequence[Result]):
    """The results of one batch call, as arrays and as a sequence of Prediction.

    Arrays (read-only, one row per image): `digits` (int32, -1 for an image that failed),
    `top_probabilities` (float32: each image's Prediction.probability), `probabilities` and
    `log_probabilities` (float32, N x num_classes; NaN rows for failed images), `statuses` (int32
    di_status, 0 = ok). As a sequence, item i is image i's Prediction, or, with errors="return",
    its DigitInferError where it failed; it compares equal to a list of the same items.
    """

    def __init__(self, digits: np.ndarray, top_probabilities: np.ndarray, probabilities: np.ndarray,
                 log_probabilities: np.ndarray, statuses: np.ndarray, errors: Dict[int, DigitInferError]):
        for array in (digits, top_probabilities, probabilities, log_probabilities, statuses):
            array.flags.writeable = False
        self.digits, self.top_probabilities = digits, top_probabilities
        self.probabilities, self.log_probabilities = probabilities, log_probabilities
        self.statuses = statuses
        self._errors = errors

    @classmethod
    def merge(cls, count: int, num_classes: int, parts: Iterable[Tuple[List[int], "BatchResult"]],
              failed: Dict[int, DigitInferError]) -> "BatchResult":
        """One result of `count` images from `parts`, (positions, BatchResult) pairs of the images each
        C call had, and `failed`, {position: error} of those no call had. Failed images look as the
        C library leaves them: digit -1, probability 0, NaN scores."""
        digits, top = np.full(count, -1, np.int32), np.zeros(count, np.float32)
        probabilities = np.full((count, num_classes), np.nan, np.float32)
        log_probabilities = probabilities.copy()
        statuses = np.zeros(count, np.int32)
        errors = dict(failed)
        for i, error in failed.items():
            statuses[i] = int(error.code)
        for positions, part in parts:
            index = np.asarray(positions, dtype=np.intp)
            digits[index], top[index], statuses[index] = part.digits, part.top_probabilities, part.statuses
            probabilities[index], log_probabilities[index] = part.probabilities, part.log_probabilities
            errors.update((positions[i], error) for i, error in part._errors.items())
        return cls(digits, top, probabilities, log_probabilities, statuses, errors)

    @property
    def ok(self) -> np.ndarray:
        """Boolean mask of the images that were predicted."""
        ok: np.ndarray = self.statuses == 0
        return ok

    @property
    def errors(self) -> Dict[int, DigitInferError]:
        """{index: error} of the images that failed (errors="return"); empty otherwise."""
        return dict(self._errors)

    def __len__(self) -> int:
        return len(self.digits)

    def _item(self, i: int) -> Result:
        error = self._errors.get(i)
        if error is not None:
            return error
        # Views of the read-only rows: no copy.
        return Prediction._of(int(self.digits[i]), float(self.top_probabilities[i]),
                              self.probabilities[i], self.log_probabilities[i])

    @overload
    def __getitem__(self, index: int) -> Result: ...

    @overload
    def __getitem__(self, index: slice) -> List[Result]: ...

    def __getitem__(self, index: Union[int, slice]) -> Union[Result, List[Result]]:
        if isinstance(index, slice):
            return [self._item(i) for i in range(*index.indices(len(self)))]
        i = range(len(self))[index]  # negative indices, IndexError, and a TypeError for non-integers
        return self._item(i)

    def __iter__(self) -> Iterator[Result]:
        return (self._item(i) for i in range(len(self)))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (BatchResult, list, tuple)):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # a sequence that equals lists

    def __repr__(self) -> str:
        failed = f", {len(self._errors)} failed" if self._errors else ""
        digits = np.array2string(self.digits, threshold=20, separator=", ")
        return f"<digitinfer.BatchResult of {len(self)} images{failed}: digits {digits}>"


class Preprocessed(NamedTuple):
    """What the model sees: the H x W uint8 grayscale image and the normalized C x H x W float32 tensor."""

    image: np.ndarray
    tensor: np.ndarray
