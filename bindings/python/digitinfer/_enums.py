"""The C enums named by the C library: Engine, OutputKind (names from di_*_name), CacheUse."""
import contextlib
import ctypes
import enum
from typing import Any, Callable, Tuple

from ._errors import InputTypeError, check, invalid
from ._lib import c_enum, lib

INT32 = (-2**31, 2**31 - 1)
UINT32 = (0, 2**32 - 1)
UINT64 = (0, 2**64 - 1)


def c_int(value: Any, name: str, low: int, high: int) -> int:
    """`value` as an int in [low, high]: ctypes would silently wrap anything outside its field's range."""
    try:
        number = int(value.__index__())
    except AttributeError:
        raise InputTypeError(f"{name} must be an integer, not {type(value).__name__}") from None
    if not low <= number <= high:
        raise invalid(f"{name} = {number} is out of range")
    return number


class _CNamedEnum(enum.IntEnum):
    """An IntEnum whose names ("native", "logits") are the C library's: `Engine("native")`,
    `Engine.from_name("native")` and `Engine.NATIVE.c_name` all ask libdigitinfer."""

    @classmethod
    def _c_functions(cls) -> Tuple[Callable[..., bytes], Callable[..., int]]:
        """(to_name, from_name), the C functions; a method, so that it is no enum member."""
        raise NotImplementedError

    @property
    def c_name(self) -> str:
        """The C library's name for this value, e.g. "native"."""
        return self._c_functions()[0](self.value).decode()

    @classmethod
    def from_name(cls, name: str) -> Any:
        """The value the C library calls `name`; InvalidArgumentError for an unknown name.
        A value newer than these bindings comes back as a plain int."""
        if not isinstance(name, str):
            raise InputTypeError(f"a {cls.__name__} name must be a str, not {type(name).__name__}")
        if "\0" in name:  # C would see only the part before the NUL
            raise invalid(f"{name!r} is not a {cls.__name__} name")
        out = c_enum()
        check(cls._c_functions()[1](name.encode(), ctypes.byref(out)))
        try:
            return cls(out.value)
        except ValueError:
            return out.value

    @classmethod
    def _missing_(cls, value: object) -> Any:
        # Engine("native"): names are accepted wherever values are. Unknown names: the usual ValueError.
        if isinstance(value, str):
            with contextlib.suppress(ValueError):  # InvalidArgumentError is a ValueError
                member = cls.from_name(value)
                if isinstance(member, cls):
                    return member
        return None

    @classmethod
    def coerce(cls, value: Any) -> int:
        """A member, an int or a name, as the int for a C field (unknown ints are left to the library)."""
        if isinstance(value, str):
            return int(cls.from_name(value))
        return c_int(value, cls.__name__, *INT32)


class OutputKind(_CNamedEnum):
    """What the model's forward returns (di_output_kind). Names: OutputKind.LOGITS.c_name == "logits";
    OutputKind("log_softmax") is LOG_PROBABILITIES (the library's aliases work too)."""

    AUTO = 0
    LOG_PROBABILITIES = 1
    LOGITS = 2
    PROBABILITIES = 3

    @classmethod
    def _c_functions(cls) -> Tuple[Callable[..., bytes], Callable[..., int]]:
        return lib.di_output_kind_name, lib.di_output_kind_from_name


class Engine(_CNamedEnum):
    """Which implementation runs the forward pass (di_engine). Names: "auto", "native", "libtorch",
    "reference" (Engine.LIBTORCH_REFERENCE.c_name), as the C library spells them."""

    AUTO = 0
    NATIVE = 1
    LIBTORCH = 2
    LIBTORCH_REFERENCE = 3

    @classmethod
    def _c_functions(cls) -> Tuple[Callable[..., bytes], Callable[..., int]]:
        return lib.di_engine_name, lib.di_engine_from_name


class CacheUse(enum.IntEnum):
    """What the compiled-model cache did for one load (di_cache_use)."""

    NOT_USED = 0
    HIT = 1
    STORED = 2
    NOT_STORED = 3


def known(cls: Any, value: int) -> Any:
    """`cls(value)`, or the int itself when a newer library gives a value these bindings do not know."""
    try:
        return cls(value)
    except ValueError:
        return value
