"""Tests of the Python bindings against the real libdigitinfer (DIGITINFER_LIBRARY, else build/).

    DIGITINFER_LIBRARY=build/libdigitinfer.so.1 python3 -m pytest bindings/python/tests -q
"""
import ctypes
import json
import math
import os
import subprocess
import sys
import threading
from array import array
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]  # bindings/python/tests/<this file>
BINDINGS = ROOT / "bindings/python"
# A source checkout's build is the natural library to test when none is named.
if (ROOT / "build/libdigitinfer.so.1").exists():
    os.environ.setdefault("DIGITINFER_LIBRARY", str(ROOT / "build/libdigitinfer.so.1"))

import digitinfer  # noqa: E402  (needs the environment above)
from digitinfer import Error, Model, OutputKind, _lib  # noqa: E402

SCRIPTED = ROOT / "models/convnet.scripted.pt"
TRACED = ROOT / "models/convnet.traced.pt"
GOLDEN = ROOT / "tests/data/golden.json"
BAD = ROOT / "tests/data/bad"
EXAMPLES = sorted((ROOT / "examples/images").glob("*.png"))
IMAGES = sorted((ROOT / "tests/data/images").iterdir()) + EXAMPLES
DIGIT_7 = ROOT / "examples/images/digit-7.png"


def golden_cases():
    if not GOLDEN.exists():
        return []
    return json.loads(GOLDEN.read_text())["cases"]


def golden_params():
    cases = golden_cases()
    if not cases:
        reason = f"{GOLDEN.relative_to(ROOT)} is absent or empty: generate it with tools/make_golden.py"
        return [pytest.param(None, marks=pytest.mark.skip(reason=reason))]
    return [pytest.param(c, id=f"{c['image']}@{c['model']}") for c in cases]


@pytest.fixture(scope="module")
def models():
    """Loads each model once: `models(relative_path)`."""
    cache = {}

    def get(path):
        if path not in cache:
            cache[path] = Model(ROOT / path)
        return cache[path]

    yield get
    for m in cache.values():
        m.close()


@pytest.fixture(scope="module")
def model(models):
    return models("models/convnet.scripted.pt")


def assert_same(a, b, tolerance=1e-5):
    assert a.digit == b.digit
    assert a.probabilities == pytest.approx(b.probabilities, abs=tolerance)


def assert_status(excinfo, status):
    e = excinfo.value
    assert e.status == status, str(e)
    assert isinstance(e.code, int) and e.code < 0
    assert e.message and str(e).startswith(status + ": ")


# --- golden values from the Python reference pipeline ---------------------------------------

@pytest.mark.parametrize("case", golden_params())
def test_prediction_matches_reference(models, case):
    p = models(case["model"]).predict(ROOT / case["image"])
    assert p.digit == case["digit"]
    assert p.probabilities == pytest.approx(case["probabilities"], abs=1e-5)
    assert p.log_probabilities == pytest.approx(case["log_probabilities"], rel=1e-5, abs=1e-4)


@pytest.mark.parametrize("case", golden_params())
def test_preprocessed_image_is_identical_to_reference(models, case):
    image, _ = models(case["model"]).preprocess(ROOT / case["image"])
    assert list(image) == case["preprocessed"]


def test_golden_covers_the_examples_with_both_shipped_models():
    cases = golden_cases()
    if not cases:
        pytest.skip(f"{GOLDEN.relative_to(ROOT)} is absent or empty: generate it with tools/make_golden.py")
    covered = {(c["image"], c["model"]) for c in cases}
    for image in EXAMPLES:
        for m in (SCRIPTED, TRACED):
            assert (image.relative_to(ROOT).as_posix(), m.relative_to(ROOT).as_posix()) in covered


def test_example_images_are_their_digit(models):
    for path in ("models/convnet.scripted.pt", "models/convnet.traced.pt"):
        assert models(path).predict(ROOT / "examples/images/digit-7.png").digit == 7
        assert models(path).predict(ROOT / "examples/images/digit-2.png").digit == 2


# --- the API ----------------------------------------------------------------------------------

@pytest.mark.parametrize("path", [SCRIPTED, TRACED], ids=["scripted", "traced"])
def test_shipped_models_describe_themselves(models, path):
    info = models(path.relative_to(ROOT).as_posix()).info
    assert (info.input_channels, info.input_height, info.input_width, info.num_classes) == (1, 28, 28, 10)
    assert info.labels == tuple(str(d) for d in range(10))
    assert info.output_kind != OutputKind.AUTO
    assert info.std > 0 and isinstance(info.name, str)


def test_prediction_fields_are_consistent(model):
    p = model.predict(DIGIT_7)
    assert len(p.probabilities) == len(p.log_probabilities) == 10
    assert sum(p.probabilities) == pytest.approx(1, abs=1e-5)
    assert p.probability == p.probabilities[p.digit] == max(p.probabilities)
    assert [math.exp(x) for x in p.log_probabilities] == pytest.approx(p.probabilities, rel=1e-5, abs=1e-7)
    top = p.top_k(3)
    assert len(top) == 3 and top[0] == (p.digit, p.probability)
    assert [q for _, q in top] == sorted((q for _, q in top), reverse=True)
    assert len(p.top_k(100)) == 10


def test_predict_takes_a_path_or_any_bytes_like(model):
    data = DIGIT_7.read_bytes()
    expected = model.predict(data)
    for source in (DIGIT_7, str(DIGIT_7), bytearray(data), memoryview(data)):
        assert model.predict(source) == expected


def test_model_from_bytes_equals_model_from_file(model):
    with Model.from_bytes(SCRIPTED.read_bytes()) as m:
        assert m.info == model.info
        assert m.predict(DIGIT_7) == model.predict(DIGIT_7)


def test_batch_equals_one_by_one(model):
    batch = model.predict_batch(IMAGES)
    assert len(batch) == len(IMAGES) >= 20
    for image, p in zip(IMAGES, batch):
        assert_same(p, model.predict(image))


def test_empty_batch_gives_no_predictions(model):
    assert model.predict_batch([]) == []


def test_preprocess_gives_the_image_and_its_normalized_tensor(model):
    image, tensor = model.preprocess(DIGIT_7)
    assert isinstance(image, bytes) and len(image) == 28 * 28 and len(tensor) == 28 * 28
    info = model.info
    assert tensor == pytest.approx([(v / 255 - info.mean) / info.std for v in image], abs=1e-5)


def test_gray_pixels_give_the_encoded_result(model):
    image, _ = model.preprocess(DIGIT_7)
    expected = model.predict(DIGIT_7)
    assert_same(model.predict_gray(image, 28, 28), expected)
    assert_same(model.predict_gray(bytearray(image), 28, 28), expected)
    padded = b"".join(image[r * 28:(r + 1) * 28] + b"\xff" * 4 for r in range(28))
    assert_same(model.predict_gray(memoryview(padded), 28, 28, stride=32), expected)


def test_gray_accepts_numpy_arrays(model):
    np = pytest.importorskip("numpy")
    image, _ = model.preprocess(DIGIT_7)
    pixels = np.frombuffer(image, dtype=np.uint8).reshape(28, 28)
    assert_same(model.predict_gray(pixels, 28, 28), model.predict(DIGIT_7))
    with pytest.raises(TypeError):
        model.predict_gray(pixels.astype(np.float32), 28, 28)
    with pytest.raises(TypeError):
        model.predict_gray(pixels[:, ::2], 14, 28)  # not contiguous


def test_gray_geometry_outside_the_buffer_is_refused(model):
    for args in ((b"\0" * 783, 28, 28), (b"\0" * 800, 28, 28, 29), (b"\0" * 10, 0, 1), (b"\0" * 10, 5, 1, 4),
                 (b"\0" * 10, -1, 1), (b"\0" * 10, 2**32 + 1, 1)):
        with pytest.raises(Error) as excinfo:
            model.predict_gray(*args)
        assert_status(excinfo, "DI_ERR_INVALID_ARGUMENT")


def test_tensors_give_the_encoded_result(model):
    _, tensor = model.preprocess(DIGIT_7)
    _, tensor2 = model.preprocess(ROOT / "examples/images/digit-2.png")
    [p] = model.predict_tensor(tensor)
    assert_same(p, model.predict(DIGIT_7))
    a, b = model.predict_tensor(tensor + tensor2, count=2)
    assert (a.digit, b.digit) == (7, 2)
    assert_same(model.predict_tensor(array("f", tensor))[0], p)


def test_tensor_accepts_numpy_float32_of_any_shape(model):
    np = pytest.importorskip("numpy")
    _, tensor = model.preprocess(DIGIT_7)
    x = np.asarray(tensor, dtype=np.float32).reshape(1, 1, 28, 28)
    assert_same(model.predict_tensor(x)[0], model.predict(DIGIT_7))


def test_output_kind_can_be_forced(model):
    with Model(SCRIPTED, output_kind=OutputKind.LOGITS) as m:
        assert m.info.output_kind == OutputKind.LOGITS


def test_engines_can_be_chosen_and_agree(model):
    from digitinfer import Engine
    assert model.info.engine == Engine.NATIVE
    with Model(SCRIPTED, engine=Engine.LIBTORCH_REFERENCE) as reference:
        assert reference.info.engine == Engine.LIBTORCH_REFERENCE
        for image in EXAMPLES:
            a, b = model.predict(image), reference.predict(image)
            assert a.digit == b.digit
            assert all(abs(x - y) <= 1e-5 for x, y in zip(a.log_probabilities, b.log_probabilities))


def test_export_native_gives_a_model_that_predicts_identically(model, tmp_path):
    path = tmp_path / "convnet.dimodel"
    model.export_native(path)
    assert path.read_bytes() == (ROOT / "models/convnet.dimodel").read_bytes()
    with Model(path) as compiled:
        assert compiled.info.labels == model.info.labels
        for image in EXAMPLES:
            assert compiled.predict(image).log_probabilities == model.predict(image).log_probabilities


def test_version_is_the_loaded_library():
    number = _lib.lib.di_version_number()
    assert digitinfer.version() == f"{number // 10000}.{number // 100 % 100}.{number % 100}"


def test_struct_mirrors_have_the_c_sizes():
    assert _lib.lib.di_load_options_default().struct_size == ctypes.sizeof(_lib.di_load_options)
    assert _lib.lib.di_model_info_default().struct_size == ctypes.sizeof(_lib.di_model_info)
    out = _lib.lib.di_outputs_default()
    assert not out.predictions and not out.probabilities and not out.log_probabilities
    assert out.scores_capacity == 0


# --- errors -----------------------------------------------------------------------------------

def test_missing_model_file_is_an_io_error(tmp_path):
    with pytest.raises(Error) as excinfo:
        Model(tmp_path / "missing.pt")
    assert_status(excinfo, "DI_ERR_IO")
    assert excinfo.value.code == -2


def test_missing_image_file_is_an_io_error(model, tmp_path):
    with pytest.raises(Error) as excinfo:
        model.predict(tmp_path / "missing.png")
    assert_status(excinfo, "DI_ERR_IO")
    assert "missing.png" in excinfo.value.message


@pytest.mark.parametrize("data", [b"garbage, not an image", (BAD / "truncated.png").read_bytes()],
                         ids=["garbage", "truncated-png"])
def test_undecodable_bytes_are_a_decode_error(model, data):
    for call in (model.predict, model.preprocess, lambda d: model.predict_batch([DIGIT_7, d])):
        with pytest.raises(Error) as excinfo:
            call(data)
        assert_status(excinfo, "DI_ERR_DECODE")
        assert excinfo.value.code == -3


@pytest.mark.parametrize("data", [b"\x00garbage model bytes", (BAD / "not-torchscript.pt").read_bytes()],
                         ids=["garbage", "not-torchscript"])
def test_bad_model_bytes_are_a_model_error(data):
    with pytest.raises(Error) as excinfo:
        Model.from_bytes(data)
    assert_status(excinfo, "DI_ERR_MODEL")
    assert excinfo.value.code == -4


@pytest.mark.parametrize("floats, count", [([0.0] * 783, 1), ([0.0] * 784, 2), ([], 1), ([0.0] * 784, 0)])
def test_wrong_tensor_size_is_an_invalid_argument(model, floats, count):
    with pytest.raises(Error) as excinfo:
        model.predict_tensor(floats, count)
    assert_status(excinfo, "DI_ERR_INVALID_ARGUMENT")
    assert excinfo.value.code == -1


@pytest.mark.parametrize("options", [{"num_threads": -1}, {"output_kind": 99}])
def test_bad_load_options_are_an_invalid_argument(options):
    with pytest.raises(Error) as excinfo:
        Model(SCRIPTED, **options)
    assert_status(excinfo, "DI_ERR_INVALID_ARGUMENT")


def test_closed_model_raises_instead_of_crashing():
    m = Model(TRACED)
    m.close()
    m.close()  # twice is fine
    image, tensor = bytes(28 * 28), [0.0] * 784
    calls = [lambda: m.predict(DIGIT_7), lambda: m.predict_batch([DIGIT_7]), lambda: m.preprocess(DIGIT_7),
             lambda: m.predict_gray(image, 28, 28), lambda: m.predict_tensor(tensor)]
    for call in calls:
        with pytest.raises(Error, match="closed") as excinfo:
            call()
        assert_status(excinfo, "DI_ERR_INVALID_ARGUMENT")
    assert "closed" in repr(m)


def test_with_block_closes_the_model():
    with Model(TRACED) as m:
        m.predict(DIGIT_7)
    with pytest.raises(Error, match="closed"):
        m.predict(DIGIT_7)


# --- threads ----------------------------------------------------------------------------------

def test_threads_sharing_a_model_get_the_serial_results(model):
    serial = [model.predict(image) for image in IMAGES]
    results, errors = {}, []

    def work(t):
        try:
            results[t] = [model.predict(image) for image in IMAGES[t:] + IMAGES[:t]]
        except Exception as e:  # reported below: an exception in a thread does not fail the test
            errors.append(e)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors
    for t, got in results.items():
        for p, q in zip(got, serial[t:] + serial[:t]):
            assert_same(p, q)


def test_close_while_other_threads_predict_waits_for_them():
    m = Model(TRACED)
    data = DIGIT_7.read_bytes()
    started, outcomes = threading.Barrier(5), []

    def work():
        started.wait()
        try:
            while True:
                assert m.predict(data).digit == 7
        except Error as e:
            outcomes.append(e.message)
        except Exception as e:
            outcomes.append(repr(e))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for th in threads:
        th.start()
    started.wait()
    m.close()
    for th in threads:
        th.join()
    assert outcomes == ["the model is closed"] * 4


# --- loading the library ----------------------------------------------------------------------

def test_a_library_with_another_abi_is_refused():
    class OtherAbi:
        _name = "libdigitinfer.so.2"
        di_abi_version = staticmethod(lambda: 2)
        di_version = staticmethod(lambda: b"2.0.0")

    with pytest.raises(ImportError, match="ABI version 2 .* written for ABI version 1"):
        _lib._bind(OtherAbi())


def import_in_subprocess(library):
    env = dict(os.environ, DIGITINFER_LIBRARY=library, PYTHONPATH=str(BINDINGS))
    return subprocess.run([sys.executable, "-c", "import digitinfer"], env=env, capture_output=True, text=True)


@pytest.mark.parametrize("library, message", [("/nonexistent/libdigitinfer.so.1", "cannot load"),
                                              ("libc.so.6", "not a DigitInfer library")])
def test_import_fails_clearly_without_a_digitinfer_library(library, message):
    result = import_in_subprocess(library)
    assert result.returncode != 0
    assert "ImportError" in result.stderr and message in result.stderr
