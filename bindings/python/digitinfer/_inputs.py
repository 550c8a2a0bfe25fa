"""Turns what a user has (a path, file bytes, a PIL.Image, numpy arrays) into the C API's inputs.

Three kinds, one per family of C calls:
- ENCODED: an image file's bytes (a path is read here), for di_model_predict_encoded*;
- GRAY: 8-bit grayscale pixels (a numpy uint8 H x W array, or a PIL.Image converted by Pillow's own
  convert("L"), which is what the reference pipeline's to_grayscale does), for di_model_predict_gray*;
- TENSOR: normalized float32 C x H x W, for di_model_predict_tensor*.
The C library copies its inputs, so the arrays here are only borrowed for the call: no copy is made
where the memory already has a layout the C structs can describe.
"""
import ctypes
import os
import sys
from typing import Any, List, NamedTuple, Optional, Tuple

import numpy as np

from ._errors import FileError, InputTypeError, Status, invalid
from ._lib import di_encoded_image, di_gray_image

ENCODED, GRAY, TENSOR = "encoded", "gray", "tensor"
_U8, _F32 = np.dtype(np.uint8), np.dtype(np.float32)  # (comparing dtypes is cheaper than dtype with type)
Shape = Tuple[int, int, int]  # a model's (C, H, W)

_INT32_MAX = 2**31 - 1


def _struct_dtype(struct: Any) -> np.dtype:
    """A numpy dtype laid out as a ctypes struct of pointers and integers, field for field."""
    kinds = {ctypes.c_void_p: np.uintp, ctypes.c_size_t: np.uintp, ctypes.c_int32: np.int32,
             ctypes.c_float: np.float32}
    names, formats, offsets = [], [], []
    for name, ctype in struct._fields_:
        names.append(name)
        formats.append(np.uintp if issubclass(ctype, ctypes._Pointer) else kinds[ctype])
        offsets.append(getattr(struct, name).offset)
    return np.dtype({"names": names, "formats": formats, "offsets": offsets, "itemsize": ctypes.sizeof(struct)})


ENCODED_DTYPE = _struct_dtype(di_encoded_image)
GRAY_DTYPE = _struct_dtype(di_gray_image)


def _pil_image_class() -> Any:
    # Only look: a user who passes a PIL.Image has imported PIL.Image; nobody else pays for it.
    module = sys.modules.get("PIL.Image")
    return getattr(module, "Image", None)


def is_pil(image: Any) -> bool:
    cls = _pil_image_class()
    return cls is not None and isinstance(image, cls)


class Encoded(NamedTuple):
    keep: object  # owns the memory at `address`
    address: int
    size: int


class Gray(NamedTuple):
    keep: object
    address: int
    width: int
    height: int
    stride: int

    def struct(self) -> di_gray_image:
        return di_gray_image(self.address, self.width, self.height, self.stride)


def address(array: np.ndarray) -> int:
    """The address of a contiguous array's first byte (from_buffer is cheaper than .ctypes, where it works)."""
    try:
        return ctypes.addressof(ctypes.c_char.from_buffer(array))  # type: ignore[arg-type]  # (a buffer)
    except (TypeError, ValueError, BufferError):  # read-only, empty, or with gaps
        return int(array.ctypes.data)


def _address(data: Any) -> Tuple[object, int, int]:
    """(owner, address, size) of the bytes of a bytes-like object, without a copy when it is contiguous."""
    if isinstance(data, bytes):
        return data, ctypes.cast(ctypes.c_char_p(data), ctypes.c_void_p).value or 0, len(data)
    try:
        array = np.frombuffer(data, dtype=np.uint8)
    except (TypeError, ValueError):  # not contiguous, or not a buffer of bytes: copy it as bytes
        return _address(bytes(memoryview(data)))
    return array, array.ctypes.data, array.size


def encoded(image: Any) -> Encoded:
    """An encoded image file: a path (str, os.PathLike), a bytes-like object, or a 1-D uint8 array."""
    if isinstance(image, (str, os.PathLike)):
        try:
            with open(image, "rb") as f:
                data = f.read()
        except OSError as e:
            # The status the library gives for a model file it cannot read.
            raise FileError(Status.IO, f"cannot read '{os.fsdecode(image)}': {e.strerror}") from e
        return Encoded(*_address(data))
    if isinstance(image, np.ndarray):
        if image.dtype != np.uint8 or image.ndim != 1:
            raise InputTypeError(f"an encoded image array must be 1-D uint8 (the file's bytes), "
                                 f"not {image.dtype} of shape {image.shape}")
        image = np.ascontiguousarray(image)
        return Encoded(image, image.ctypes.data, image.size)
    try:
        memoryview(image)
    except TypeError:
        raise InputTypeError(f"an encoded image is a path or the file's bytes, not {type(image).__name__}") from None
    return Encoded(*_address(image))


def gray(pixels: Any, width: int, height: int, stride: Optional[int] = None) -> Gray:
    """8-bit gray pixels in a buffer (bytes, bytearray, memoryview, uint8 array), with their geometry."""
    try:
        view = memoryview(pixels)
    except TypeError:
        raise InputTypeError(f"gray pixels must be a buffer of 8-bit values, not {type(pixels).__name__}") from None
    if view.itemsize != 1 or not view.c_contiguous:
        raise InputTypeError("pixels must be a C-contiguous buffer of 8-bit values (bytes, bytearray, uint8 array)")
    stride = width if stride is None else stride
    for name, value in (("width", width), ("height", height), ("stride", stride)):
        if not isinstance(value, (int, np.integer)):
            raise InputTypeError(f"{name} must be an integer, not {type(value).__name__}")
    # di_gray_image has no buffer length, and ctypes wraps out-of-range integers
    # silently: a bad geometry here would make the library read past the buffer.
    if not (0 < width <= stride < 2**63 and 0 < height <= _INT32_MAX and width <= _INT32_MAX):
        raise invalid(f"gray image {width}x{height} with stride {stride} is invalid")
    needed = stride * (height - 1) + width
    if view.nbytes < needed:
        raise invalid(f"gray image {width}x{height} with stride {stride} needs {needed} bytes, got {view.nbytes}")
    keep, address, _ = _address(view.cast("B") if view.ndim != 1 or view.format != "B" else view)
    return Gray(keep, address, int(width), int(height), int(stride))


def _rows(array: np.ndarray, dims: int) -> np.ndarray:
    """`array` itself if each of its H x W images is rows of contiguous bytes, else a contiguous copy."""
    h, w = array.shape[-2:]
    if array.strides[-1] == 1 and array.strides[-2] >= w and all(s >= 0 for s in array.strides[:dims - 2]):
        return array
    return np.ascontiguousarray(array)


def gray_array(array: np.ndarray) -> Gray:
    """A numpy uint8 H x W array (any strides: rows are passed with their stride, else copied)."""
    if array.dtype != np.uint8 or array.ndim != 2:
        raise InputTypeError(f"a gray image array must be uint8 H x W, not {array.dtype} of shape {array.shape}")
    if array.size == 0:
        raise invalid(f"gray image of shape {array.shape} is empty")
    array = _rows(array, 2)
    h, w = array.shape
    if h > _INT32_MAX or w > _INT32_MAX:
        raise invalid(f"gray image of shape {array.shape} is too large")
    return Gray(array, address(array), w, h, array.strides[0])


def pil_pixels(image: Any) -> np.ndarray:
    """A PIL.Image as the uint8 H x W array the reference pipeline resizes: Pillow's own convert("L")
    (what torchvision's to_grayscale does), so every mode (P, RGBA, I;16, CMYK...) is Pillow-exact."""
    if image.mode != "L":
        image = image.convert("L")
    return np.asarray(image, dtype=np.uint8)


def tensor(array: np.ndarray, shape: Shape) -> np.ndarray:
    """One float32 C x H x W tensor (or 1 x C x H x W) of the model's shape, as a contiguous array."""
    if array.dtype != _F32:
        raise InputTypeError(f"a tensor must be float32 (array.astype(numpy.float32)), not {array.dtype}")
    if array.shape != shape and array.shape != (1, *shape):
        raise invalid(f"a tensor for this model is float32 of shape {shape}, not {array.shape}")
    return np.ascontiguousarray(array)


def convert(image: Any, shape: Shape) -> Tuple[str, Any]:
    """(kind, value) for one image of any accepted type; InvalidArgumentError/InputTypeError if none."""
    if isinstance(image, np.ndarray):
        dtype = image.dtype
        if dtype == _F32:
            return TENSOR, tensor(image, shape)
        if dtype == _U8 and image.ndim == 2:
            return GRAY, gray_array(image)
        if dtype == _U8 and image.ndim == 1:
            return ENCODED, encoded(image)
        if dtype == _U8 and image.ndim == 3:
            raise InputTypeError(f"a uint8 array of shape {image.shape} is no gray image: pass H x W pixels, or "
                                 "a PIL.Image (PIL.Image.fromarray(array)) for Pillow's conversion of color")
        raise InputTypeError(f"an image array is uint8 H x W (gray pixels), float32 C x H x W (a tensor) "
                             f"or 1-D uint8 (file bytes), not {image.dtype} of shape {image.shape}")
    if is_pil(image):
        return GRAY, gray_array(pil_pixels(image))
    return ENCODED, encoded(image)


def pgm(image: Any) -> bytes:
    """A gray image (PIL.Image or uint8 H x W array) as the bytes of a binary PGM file: lossless, and what
    the library's decoder reads back pixel for pixel (for the calls that take only encoded images)."""
    pixels = pil_pixels(image) if is_pil(image) else image
    gray_array(pixels)  # the checks: uint8, H x W, not empty
    h, w = pixels.shape
    return b"P5\n%d %d\n255\n" % (w, h) + np.ascontiguousarray(pixels).tobytes()


def gray_batch(images: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """(di_gray_image array, pixels it points into) for a uint8 N x H x W array: no loop per image."""
    if images.size == 0 and images.shape[0] != 0:
        raise invalid(f"gray images of shape {images.shape} are empty")
    images = _rows(images, 3)
    n, h, w = images.shape
    if h > _INT32_MAX or w > _INT32_MAX:
        raise invalid(f"gray images of shape {images.shape} are too large")
    structs = np.zeros(n, GRAY_DTYPE)
    structs["pixels"] = images.ctypes.data + np.arange(n, dtype=np.uintp) * np.uintp(images.strides[0])
    structs["width"], structs["height"], structs["stride"] = w, h, images.strides[1]
    return structs, images


def encoded_structs(items: List[Encoded]) -> np.ndarray:
    """A di_encoded_image array over a list of Encoded."""
    structs = np.zeros(len(items), ENCODED_DTYPE)
    structs["data"] = [e.address for e in items]
    structs["size"] = [e.size for e in items]
    return structs


def gray_structs(items: List[Gray]) -> np.ndarray:
    """A di_gray_image array over a list of Gray."""
    structs = np.zeros(len(items), GRAY_DTYPE)
    for field in ("width", "height", "stride"):
        structs[field] = [getattr(g, field) for g in items]
    structs["pixels"] = [g.address for g in items]
    return structs


def tensor_batch(images: np.ndarray, shape: Shape) -> np.ndarray:
    """A float32 N x C x H x W array of the model's shape, contiguous."""
    if images.dtype != np.float32:
        raise InputTypeError(f"tensors must be float32 (array.astype(numpy.float32)), not {images.dtype}")
    if images.shape[1:] != shape:
        raise invalid(f"tensors for this model are float32 N x {' x '.join(map(str, shape))}, not {images.shape}")
    return np.ascontiguousarray(images)
