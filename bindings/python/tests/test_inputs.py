"""Every kind of input predict, predict_batch, predict_gray_batch and preprocess take, against the golden values.

The golden file (tests/data/golden.json, made by tools/make_golden.py from the Python reference) has,
for each image and model, the reference's digit, probabilities and 28 x 28 preprocessed pixels. The
reference starts from Image.open(path), so a PIL.Image must give exactly those: the bindings
convert it with Pillow's own convert("L") (the reference's to_grayscale) and let the library resize
the pixels. The golden images open in the modes RGB, P, L, RGBA, I, LA, 1 and CMYK.
"""
import io
import threading
import warnings

import numpy as np
import pytest

from support import (BAD, DIGIT_2, DIGIT_7, GOLDEN, ROOT, assert_error, assert_same, assert_status, golden_for,
                     golden_params)
from support import digitinfer
from digitinfer import _inputs

Image = pytest.importorskip("PIL.Image", reason="PIL.Image inputs need Pillow (apt-get install python3-pil)")
# Pillow's own warning when it converts some palette images; the reference gets it the same way.
pytestmark = pytest.mark.filterwarnings("ignore:Palette images with Transparency:UserWarning")

SHIPPED = "models/convnet.scripted.pt"  # its golden cases; the compiled .dimodel predicts as it does
MODES = {"L", "RGB", "RGBA", "P"}  # the modes every test here must meet, among those golden.json has
EXACT = 1e-5  # the tolerance on probabilities


def pillow_matches_golden():
    import json
    made_with = json.loads(GOLDEN.read_text()).get("pillow") if GOLDEN.exists() else None
    return made_with == Image.__version__, made_with


SAME_PILLOW, GOLDEN_PILLOW = pillow_matches_golden()
needs_golden_pillow = pytest.mark.skipif(
    not SAME_PILLOW, reason=f"golden.json was made with Pillow {GOLDEN_PILLOW}, this is {Image.__version__}: "
                            "a PIL.Image decoded by another Pillow need not have the reference's pixels")


def open_image(path):
    """Image.open(path), loaded, as the reference opens it (Pillow's warnings about palettes are its own)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with Image.open(path) as img:
            img.load()
            return img


def gray_pixels(path):
    """The image as numpy uint8 H x W, by Pillow's convert("L") (what the reference resizes)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return np.asarray(open_image(path).convert("L"))


def assert_golden(p, case):
    assert p.digit == case["digit"], case["image"]
    assert p.probabilities == pytest.approx(case["probabilities"], abs=EXACT), case["image"]


def seven_and_two(model):
    """The 28 x 28 gray images of digit-7.png and digit-2.png (one batch array needs one size)."""
    return [model.preprocess(DIGIT_7).image, model.preprocess(DIGIT_2).image]


def preprocessed(case, shape=(28, 28)):
    return np.asarray(case["preprocessed"], dtype=np.uint8).reshape(shape)


@pytest.fixture(scope="module")
def cases():
    found = golden_for(SHIPPED)
    if not found:
        pytest.skip(f"{GOLDEN.relative_to(ROOT)} is absent or has no {SHIPPED} cases: tools/make_golden.py")
    return found


# --- PIL.Image --------------------------------------------------------------------------------

def test_golden_images_open_in_the_modes_tested(cases):
    modes = {open_image(ROOT / c["image"]).mode for c in cases}
    assert MODES <= modes, f"golden.json's images open as {sorted(modes)}"
    if SAME_PILLOW:
        assert {c["mode"] for c in cases} == modes  # what the golden file says Pillow made of them


@needs_golden_pillow
@pytest.mark.parametrize("case", golden_params())
def test_a_pil_image_gives_the_reference_result(models, case):
    model = models(case["model"])
    img = open_image(ROOT / case["image"])
    assert img.mode == case["mode"]
    p = model.predict(img)
    assert_golden(p, case)
    assert p.log_probabilities == pytest.approx(case["log_probabilities"], rel=1e-5, abs=1e-4)
    image = model.preprocess(img).image
    assert image.tolist() == preprocessed(case, image.shape).tolist()


@needs_golden_pillow
@pytest.mark.parametrize("mode", ["L", "RGB", "RGBA", "P", "LA", "I", "1"])
def test_converted_pil_images_get_pillows_pixels(compiled, cases, mode):
    """An image converted to `mode` in memory: the library must see what Pillow's convert("L") and
    resize (the reference's to_grayscale and resize) make of it, pixel for pixel."""
    for case in cases:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            img = open_image(ROOT / case["image"]).convert(mode)
            expected = np.asarray(img.convert("L").resize((28, 28), Image.BILINEAR))
        assert compiled.preprocess(img).image.tolist() == expected.tolist(), (case["image"], mode)
        assert_same(compiled.predict(img), compiled.predict(Image.fromarray(expected)))


@needs_golden_pillow
def test_gray_as_rgb_or_rgba_is_the_same_image(compiled, cases):
    # Pillow's luma weights sum to 1 << 16: R = G = B = v is gray v again, alpha ignored.
    for case in cases:
        img = open_image(ROOT / case["image"])
        if img.mode != "L":
            continue
        for mode in ("RGB", "RGBA"):
            assert_golden(compiled.predict(img.convert(mode)), case)


def test_a_pil_image_is_not_encoded_or_written_anywhere(compiled, monkeypatch):
    # Straight to the gray call: no PNG round trip, no file.
    def boom(*args):
        raise AssertionError("a PIL.Image went through the encoded path")

    monkeypatch.setattr(_inputs, "encoded", boom)
    assert compiled.predict(open_image(DIGIT_7)).digit == 7


def test_a_closed_or_empty_pil_image_is_refused(compiled):
    with pytest.raises(digitinfer.InvalidArgumentError) as excinfo:
        compiled.predict(Image.new("L", (0, 3)))
    assert_status(excinfo, "DI_ERR_INVALID_ARGUMENT")
    img = Image.open(DIGIT_7)
    img.close()
    with pytest.raises(ValueError):  # Pillow's own error: the image is gone
        compiled.predict(img)


# --- numpy uint8 H x W (gray pixels) ------------------------------------------------------------

def test_gray_arrays_give_the_reference_result(compiled, cases):
    for case in cases:
        pixels = gray_pixels(ROOT / case["image"])
        assert_golden(compiled.predict(pixels), case)
        assert compiled.preprocess(pixels).image.tolist() == preprocessed(case).tolist()


def test_gray_arrays_with_any_strides_give_the_same_result(compiled):
    pixels = gray_pixels(ROOT / "tests/data/images/2-RGB-300x60.png")
    expected = compiled.predict(pixels)
    framed = np.full((pixels.shape[0] + 4, pixels.shape[1] + 6), 255, np.uint8)
    framed[2:-2, 3:-3] = pixels
    views = {"crop (rows with a stride)": framed[2:-2, 3:-3], "Fortran order": np.asfortranarray(pixels),
             "every other column, doubled": np.repeat(pixels, 2, axis=1)[:, ::2]}
    for name, view in views.items():
        assert view.tolist() == pixels.tolist(), name
        assert compiled.predict(view) == expected, name
    flipped = pixels[::-1]
    assert compiled.predict(flipped) == compiled.predict(np.ascontiguousarray(flipped))


@pytest.mark.parametrize("bad, kind", [(np.zeros((28, 28), np.float64), digitinfer.InputTypeError),
                                       (np.zeros((28, 28), np.int16), digitinfer.InputTypeError),
                                       (np.zeros((28, 28, 3), np.uint8), digitinfer.InputTypeError),
                                       (np.zeros((0, 28), np.uint8), digitinfer.InvalidArgumentError),
                                       (np.zeros((2, 2, 2, 2, 2), np.uint8), digitinfer.InputTypeError)])
def test_arrays_that_are_no_image_are_refused(compiled, bad, kind):
    with pytest.raises(kind) as excinfo:
        compiled.predict(bad)
    assert_status(excinfo, "DI_ERR_INVALID_ARGUMENT")


# --- numpy float32 C x H x W (tensors) ----------------------------------------------------------

def test_tensors_give_the_reference_result(compiled, cases):
    for case in cases:
        tensor = compiled.preprocess(ROOT / case["image"]).tensor
        assert tensor.shape == (1, 28, 28)
        assert_golden(compiled.predict(tensor), case)
        assert_golden(compiled.predict(tensor[np.newaxis]), case)  # 1 x C x H x W
        assert_golden(compiled.predict(np.asfortranarray(tensor)), case)


@pytest.mark.parametrize("shape", [(28, 28), (1, 28, 27), (3, 28, 28), (2, 1, 28, 28), (784,)])
def test_tensors_of_another_shape_are_refused(compiled, shape):
    with pytest.raises(digitinfer.InvalidArgumentError) as excinfo:
        compiled.predict(np.zeros(shape, np.float32))
    assert_status(excinfo, "DI_ERR_INVALID_ARGUMENT")
    assert "shape" in excinfo.value.message


def test_tensors_of_another_type_or_not_finite_are_refused(compiled):
    tensor = compiled.preprocess(DIGIT_7).tensor
    with pytest.raises(digitinfer.InputTypeError):
        compiled.predict(tensor.astype(np.float64))
    with pytest.raises(digitinfer.InputTypeError):
        compiled.predict(tensor.astype(">f4"))  # float32, but not in this machine's byte order
    poisoned = tensor.copy()
    poisoned[0, 5, 5] = np.inf
    with pytest.raises(digitinfer.Error) as excinfo:
        compiled.predict(poisoned)
    assert_status(excinfo, "DI_ERR_INVALID_ARGUMENT")
    assert "not finite" in excinfo.value.message


# --- encoded files: paths, bytes-like, 1-D uint8 arrays ---------------------------------------

def test_file_bytes_in_any_container_give_the_reference_result(compiled, cases):
    for case in cases:
        path = ROOT / case["image"]
        data = path.read_bytes()
        for source in (path, str(path), data, bytearray(data), memoryview(data), np.frombuffer(data, np.uint8),
                       io.BytesIO(data).getbuffer()):
            assert_golden(compiled.predict(source), case)


def test_bad_encoded_inputs_carry_their_status(compiled, tmp_path):
    for source, status in ((tmp_path / "missing.png", "DI_ERR_IO"), (tmp_path, "DI_ERR_IO"),
                           (b"", "DI_ERR_DECODE"), (b"\x89PNG\r\n", "DI_ERR_DECODE"),
                           ((BAD / "corrupt.png").read_bytes(), "DI_ERR_DECODE"),
                           (np.zeros(100, np.uint8), "DI_ERR_DECODE")):
        for call in (compiled.predict, compiled.preprocess):
            with pytest.raises(digitinfer.Error) as excinfo:
                call(source)
            assert_status(excinfo, status)
    for source in (None, 7, 2.5, {"a": 1}, [DIGIT_7]):
        with pytest.raises(digitinfer.InputTypeError):
            compiled.predict(source)


# --- batches ------------------------------------------------------------------------------------

def test_a_gray_batch_array_gives_the_reference_results(compiled, cases):
    small = [c for c in cases if (c["width"], c["height"]) == (28, 28)]
    assert len(small) >= 10
    batch = np.stack([gray_pixels(ROOT / c["image"]) for c in small])
    for run in (compiled.predict_batch(batch), compiled.predict_gray_batch(batch)):
        assert run.digits.tolist() == [c["digit"] for c in small]
        assert run.probabilities == pytest.approx(np.array([c["probabilities"] for c in small]), abs=EXACT)


def test_a_tensor_batch_array_gives_the_reference_results(compiled, cases):
    batch = np.stack([compiled.preprocess(ROOT / c["image"]).tensor for c in cases])
    assert batch.shape == (len(cases), 1, 28, 28) and batch.dtype == np.float32
    run = compiled.predict_batch(batch)
    assert run.digits.tolist() == [c["digit"] for c in cases]
    assert run.probabilities == pytest.approx(np.array([c["probabilities"] for c in cases]), abs=EXACT)
    assert compiled.predict_tensor(batch) == run


def test_batch_arrays_take_no_loop_per_image(compiled, monkeypatch):
    """Arrays go to the C batch calls whole: nothing converts them image by image."""
    batch = np.stack(seven_and_two(compiled) * 50)
    tensors = np.stack([compiled.preprocess(DIGIT_7).tensor, compiled.preprocess(DIGIT_2).tensor] * 50)
    expected = compiled.predict_batch(list(batch))

    def boom(*args):
        raise AssertionError("an image of a batch array was converted on its own")

    for name in ("convert", "gray_array", "tensor", "encoded", "gray"):
        monkeypatch.setattr(_inputs, name, boom)
    for run in (compiled.predict_batch(batch), compiled.predict_gray_batch(batch), compiled.predict_batch(tensors)):
        assert run.digits.tolist() == [7, 2] * 50
        assert run.probabilities == pytest.approx(expected.probabilities, abs=EXACT)


def test_strided_batch_arrays_give_the_same_results(compiled):
    pixels = np.stack(seven_and_two(compiled))
    expected = compiled.predict_batch(pixels)
    framed = np.zeros((4, 32, 40), np.uint8)
    framed[::2, 2:-2, 6:-6] = pixels
    for view in (framed[::2, 2:-2, 6:-6], np.asfortranarray(pixels), pixels[::-1][::-1]):
        assert compiled.predict_batch(view) == expected
    assert compiled.predict_batch(pixels[::-1]).digits.tolist() == [2, 7]


def test_a_batch_list_mixes_every_kind_in_order(compiled, cases):
    chosen = cases[:6]
    path = ROOT / chosen[0]["image"]
    items = [path, (ROOT / chosen[1]["image"]).read_bytes(), open_image(ROOT / chosen[2]["image"]),
             gray_pixels(ROOT / chosen[3]["image"]), compiled.preprocess(ROOT / chosen[4]["image"]).tensor,
             str(ROOT / chosen[5]["image"])]
    run = compiled.predict_batch(items)
    assert run.digits.tolist() == [c["digit"] for c in chosen]
    for item, p, case in zip(items, run, chosen):
        assert_same(p, compiled.predict(item))
        if SAME_PILLOW:
            assert_golden(p, case)
    assert compiled.predict_batch(iter(items)) == run  # any iterable


def test_a_mixed_batch_with_errors_return_keeps_every_place(compiled, tmp_path):
    tensor = compiled.preprocess(DIGIT_2).tensor
    items = [DIGIT_7, tmp_path / "missing.png", gray_pixels(DIGIT_2), b"garbage", tensor, np.zeros(3, np.float64),
             np.zeros((5, 5), np.float32), open_image(DIGIT_7)]
    run = compiled.predict_batch(items, errors="return")
    assert len(run) == len(items)
    assert run.digits.tolist() == [7, -1, 2, -1, 2, -1, -1, 7]
    statuses = ["DI_OK", "DI_ERR_IO", "DI_OK", "DI_ERR_DECODE", "DI_OK", "DI_ERR_INVALID_ARGUMENT",
                "DI_ERR_INVALID_ARGUMENT", "DI_OK"]
    for r, status, code in zip(run, statuses, run.statuses):
        if status == "DI_OK":
            assert isinstance(r, digitinfer.Prediction) and code == 0
        else:
            assert_error(r, status)
            assert code == r.code
    with pytest.raises(digitinfer.FileError):
        compiled.predict_batch(items)


def test_gray_batch_lists_take_arrays_and_tuples(compiled):
    a, b = gray_pixels(DIGIT_7), gray_pixels(DIGIT_2)
    run = compiled.predict_gray_batch([a, (b.tobytes(), b.shape[1], b.shape[0]), (a.tobytes(), a.shape[1],
                                                                                  a.shape[0], a.shape[1])])
    assert run.digits.tolist() == [7, 2, 7]
    assert run[0] == compiled.predict(a) or run[0].probabilities == pytest.approx(compiled.predict(a).probabilities,
                                                                                 abs=EXACT)
    for bad in ([DIGIT_7], [a.astype(np.float32)], np.zeros((2, 28, 28), np.float32), "x"):
        with pytest.raises(digitinfer.InputTypeError):
            compiled.predict_gray_batch(bad)


@pytest.mark.parametrize("bad", [np.zeros((2, 28, 28), np.float32), np.zeros((2, 2, 28, 28), np.float32),
                                 np.zeros((2, 28, 28, 1), np.uint8), np.zeros((2, 1, 28, 28), np.float64),
                                 np.zeros(784, np.float32)])
def test_batch_arrays_of_another_shape_or_type_are_refused(compiled, bad):
    with pytest.raises(digitinfer.InvalidArgumentError) as excinfo:
        compiled.predict_batch(bad)
    assert_status(excinfo, "DI_ERR_INVALID_ARGUMENT")


def test_empty_batch_arrays_give_empty_results(compiled):
    for empty in (np.zeros((0, 28, 28), np.uint8), np.zeros((0, 1, 28, 28), np.float32), []):
        run = compiled.predict_batch(empty)
        assert len(run) == 0 and run.digits.shape == (0,) and run.probabilities.shape == (0, 10)


def test_more_than_max_batch_images_are_refused_before_any_work(compiled):
    n = digitinfer.MAX_BATCH + 1
    for call in (lambda: compiled.predict_batch(np.zeros((n, 1, 1), np.uint8)),
                 lambda: compiled.predict_batch([b"x"] * n), lambda: compiled.predict_gray_batch([(b"\0", 1, 1)] * n)):
        with pytest.raises(digitinfer.InvalidArgumentError, match="MAX_BATCH"):
            call()


# --- threads ------------------------------------------------------------------------------------

def test_threads_predicting_every_kind_get_the_serial_results(compiled):
    gray = np.stack(seven_and_two(compiled) * 8)
    tensors = np.stack([compiled.preprocess(DIGIT_7).tensor, compiled.preprocess(DIGIT_2).tensor] * 8)
    pil = open_image(DIGIT_7)
    jobs = [lambda: compiled.predict_batch(gray, threads=1), lambda: compiled.predict_batch(tensors, threads=2),
            lambda: compiled.predict(pil), lambda: compiled.predict(gray[1]), lambda: compiled.predict(tensors[0]),
            lambda: compiled.preprocess(pil)]
    serial = [job() for job in jobs]
    failures = []

    def work(t):
        try:
            for round in range(10):
                i = (t + round) % len(jobs)
                got = jobs[i]()
                if isinstance(got, digitinfer.Preprocessed):
                    assert got.image.tolist() == serial[i].image.tolist()
                else:
                    assert got == serial[i]
        except Exception as e:  # reported below: an exception in a thread does not fail the test
            failures.append(e)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(6)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not failures, failures
