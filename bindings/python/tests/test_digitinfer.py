"""Tests of the Python bindings against the real libdigitinfer: golden values, the API, errors, threads.

    DIGITINFER_LIBRARY=build/libdigitinfer.so.1 python3 -m pytest bindings/python/tests -q

Every kind of input is in test_inputs.py, the C header's mirror in test_layout.py, finding the
library in test_discovery.py, the wheel and clean virtual environments in test_wheel.py.
"""
import math
import pickle
import threading
from array import array

import numpy as np
import pytest

from support import (BAD, BIG, CORRUPT, DIGIT_2, DIGIT_7, DIMODEL, EXAMPLES, GOLDEN, IMAGES, NO_PLUGIN, ROOT,
                     SCRIPTED, TRACED, WITH_TORCH, assert_same, assert_status, golden_cases, golden_params,
                     needs_torch, stand_in)
from support import digitinfer, _lib
from digitinfer import Engine, Error, Model, OutputKind, Prediction


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
    assert image.tolist() == np.reshape(case["preprocessed"], image.shape).tolist()


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
    for scores in (p.probabilities, p.log_probabilities):
        assert isinstance(scores, np.ndarray) and scores.dtype == np.float32 and not scores.flags.writeable
    assert isinstance(p.digit, int) and isinstance(p.probability, float)
    assert sum(p.probabilities) == pytest.approx(1, abs=1e-5)
    assert p.probability == p.probabilities[p.digit] == max(p.probabilities)
    assert [math.exp(x) for x in p.log_probabilities] == pytest.approx(p.probabilities, rel=1e-5, abs=1e-7)
    top = p.top_k(3)
    assert len(top) == 3 and top[0] == (p.digit, p.probability)
    assert [q for _, q in top] == sorted((q for _, q in top), reverse=True)
    assert len(p.top_k(100)) == 10


def test_prediction_is_a_frozen_value(model):
    p = model.predict(DIGIT_7)
    with pytest.raises(AttributeError):
        p.digit = 3
    with pytest.raises(ValueError):
        p.probabilities[0] = 1.0
    q = Prediction(p.digit, p.probability, list(p.probabilities), p.log_probabilities.tolist())
    assert q == p and hash(q) == hash(p) and q != model.predict(DIGIT_2)
    assert repr(p) == f"Prediction(digit=7, probability={p.probability:.6g})"


def test_predict_takes_a_path_or_any_bytes_like(model):
    data = DIGIT_7.read_bytes()
    expected = model.predict(data)
    for source in (DIGIT_7, str(DIGIT_7), bytearray(data), memoryview(data)):
        assert model.predict(source) == expected


def test_model_from_bytes_equals_model_from_file(model):
    with Model.from_bytes(stand_in(SCRIPTED).read_bytes()) as m:
        assert m.info == model.info
        assert m.predict(DIGIT_7) == model.predict(DIGIT_7)


def test_batch_equals_one_by_one(model):
    batch = model.predict_batch(IMAGES)
    assert len(batch) == len(IMAGES) >= 20
    for image, p in zip(IMAGES, batch):
        assert_same(p, model.predict(image))


def test_batch_result_holds_arrays_and_reads_as_a_list(model):
    batch = model.predict_batch(IMAGES)
    n = len(IMAGES)
    assert batch.digits.dtype == np.int32 and batch.digits.shape == (n,)
    assert batch.probabilities.dtype == batch.log_probabilities.dtype == np.float32
    assert batch.probabilities.shape == batch.log_probabilities.shape == (n, 10)
    assert batch.top_probabilities.tolist() == batch.probabilities.max(axis=1).tolist()
    assert batch.digits.tolist() == batch.probabilities.argmax(axis=1).tolist() == [p.digit for p in batch]
    assert batch.ok.all() and not batch.statuses.any() and batch.errors == {}
    assert batch == list(batch) == batch[:] and batch[-1] == batch[n - 1] and batch[1:3] == list(batch)[1:3]
    with pytest.raises(IndexError):
        batch[n]
    with pytest.raises(ValueError):
        batch.digits[0] = 3
    assert f"BatchResult of {n} images" in repr(batch)


def test_empty_batch_gives_no_predictions(model):
    assert model.predict_batch([]) == []
    assert len(model.predict_batch([])) == 0 and model.predict_batch([]).probabilities.shape == (0, 10)


def test_preprocess_gives_the_image_and_its_normalized_tensor(model):
    pre = model.preprocess(DIGIT_7)
    image, tensor = pre
    assert (pre.image, pre.tensor) == (image, tensor)
    assert image.dtype == np.uint8 and image.shape == (28, 28)
    assert tensor.dtype == np.float32 and tensor.shape == (1, 28, 28)
    info = model.info
    expected = (image.astype(np.float64) / 255 - info.mean) / info.std
    assert tensor[0] == pytest.approx(expected, abs=1e-5)


def test_gray_pixels_give_the_encoded_result(model):
    image = model.preprocess(DIGIT_7).image.tobytes()
    expected = model.predict(DIGIT_7)
    assert_same(model.predict_gray(image, 28, 28), expected)
    assert_same(model.predict_gray(bytearray(image), 28, 28), expected)
    padded = b"".join(image[r * 28:(r + 1) * 28] + b"\xff" * 4 for r in range(28))
    assert_same(model.predict_gray(memoryview(padded), 28, 28, stride=32), expected)


def test_gray_accepts_numpy_arrays(model):
    pixels = model.preprocess(DIGIT_7).image
    assert_same(model.predict_gray(pixels, 28, 28), model.predict(DIGIT_7))
    with pytest.raises(TypeError):
        model.predict_gray(pixels.astype(np.float32), 28, 28)
    with pytest.raises(TypeError):
        model.predict_gray(pixels[:, ::2], 14, 28)  # not contiguous


def test_gray_geometry_outside_the_buffer_is_refused(model):
    for args in ((b"\0" * 783, 28, 28), (b"\0" * 800, 28, 28, 29), (b"\0" * 10, 0, 1), (b"\0" * 10, 5, 1, 4),
                 (b"\0" * 10, -1, 1), (b"\0" * 10, 2**32 + 1, 1), (b"\0" * 10, 5, 1, 2**64 + 1)):
        with pytest.raises(Error) as excinfo:
            model.predict_gray(*args)
        assert_status(excinfo, "DI_ERR_INVALID_ARGUMENT")


def test_tensors_give_the_encoded_result(model):
    tensor = model.preprocess(DIGIT_7).tensor.ravel().tolist()
    tensor2 = model.preprocess(DIGIT_2).tensor.ravel().tolist()
    [p] = model.predict_tensor(tensor)
    assert_same(p, model.predict(DIGIT_7))
    a, b = model.predict_tensor(tensor + tensor2, count=2)
    assert (a.digit, b.digit) == (7, 2)
    assert model.predict_tensor(tensor + tensor2) == [a, b]  # count: as many as there are
    assert_same(model.predict_tensor(array("f", tensor))[0], p)


def test_tensor_accepts_numpy_float32_of_any_shape(model):
    tensor = model.preprocess(DIGIT_7).tensor
    for x in (tensor, tensor.reshape(1, 1, 28, 28), tensor.ravel(), tensor.astype(np.float64)):
        assert_same(model.predict_tensor(x)[0], model.predict(DIGIT_7))


def test_output_kind_can_be_forced(model):
    with Model(stand_in(SCRIPTED), output_kind=OutputKind.LOGITS) as m:
        assert m.info.output_kind == OutputKind.LOGITS


@needs_torch("libtorch's reference module, compared with the native engine")
def test_engines_can_be_chosen_and_agree(model):
    from digitinfer import Engine
    assert model.info.engine == Engine.NATIVE
    with Model(SCRIPTED, engine=Engine.LIBTORCH_REFERENCE) as reference:
        assert reference.info.engine == Engine.LIBTORCH_REFERENCE
        for image in EXAMPLES:
            a, b = model.predict(image), reference.predict(image)
            assert a.digit == b.digit  # the golden tests' tolerances (float32 log-probabilities near -40)
            assert np.allclose(a.probabilities, b.probabilities, rtol=0, atol=1e-5)
            assert np.allclose(a.log_probabilities, b.log_probabilities, rtol=1e-5, atol=1e-4)


@needs_torch("exports the shipped TorchScript model as a .dimodel")
def test_export_native_gives_a_model_that_predicts_identically(model, tmp_path):
    path = tmp_path / "convnet.dimodel"
    model.export_native(path)
    assert path.read_bytes() == (ROOT / "models/convnet.dimodel").read_bytes()
    with Model(path) as compiled:
        assert compiled.info.labels == model.info.labels
        for image in EXAMPLES:
            assert compiled.predict(image).log_probabilities.tolist() == model.predict(image).log_probabilities.tolist()


def test_version_is_the_loaded_library():
    number = _lib.lib.di_version_number()
    assert digitinfer.version() == f"{number // 10000}.{number // 100 % 100}.{number % 100}"


def test_model_takes_a_path_or_the_files_bytes(compiled):
    data = DIMODEL.read_bytes()
    for source in (data, bytearray(data), memoryview(data), np.frombuffer(data, np.uint8), str(DIMODEL)):
        with Model(source) as m:
            assert m.info == compiled.info
            assert m.predict(DIGIT_7) == compiled.predict(DIGIT_7)
    for bad in (42, None, np.zeros((2, 2), np.float32)):
        with pytest.raises(digitinfer.InputTypeError):
            Model(bad)
    with pytest.raises(TypeError):
        Model.from_bytes(str(DIMODEL))


def test_threads_and_num_threads_are_one_option():
    for kwargs in ({"threads": 2}, {"num_threads": 2}, {"threads": 2, "num_threads": 2}):
        with Model(DIMODEL, **kwargs) as m:
            assert m.info.num_threads == 2
    with pytest.raises(TypeError, match="give one of them"):
        Model(DIMODEL, threads=1, num_threads=2)
    with Model(DIMODEL, 3) as m:  # positional, as in 1.x
        assert m.info.num_threads == 3


def test_model_describes_its_input(compiled):
    assert compiled.input_shape == compiled.info.input_shape == (1, 28, 28)
    assert compiled.labels == compiled.info.labels == tuple("0123456789")
    assert compiled.info.cache is digitinfer.CacheUse.NOT_USED  # a .dimodel is compiled already
    assert "native" in repr(compiled) and "1x28x28" in repr(compiled)


@needs_torch("the compiled-model cache, which only TorchScript files use")
def test_cache_dir_chooses_the_compiled_model_cache(tmp_path):
    with Model(SCRIPTED, cache_dir=tmp_path) as first, Model(SCRIPTED, cache_dir=tmp_path) as second:
        assert first.info.cache is digitinfer.CacheUse.STORED and first.info.cache_path.startswith(str(tmp_path))
        assert second.info.cache is digitinfer.CacheUse.HIT and second.info.cache_path == first.info.cache_path
        assert second.predict(DIGIT_7) == first.predict(DIGIT_7)
    with Model(SCRIPTED, cache_dir="") as uncached:
        assert uncached.info.cache is digitinfer.CacheUse.NOT_USED and uncached.info.cache_note
    with pytest.raises(digitinfer.InvalidArgumentError):
        Model(SCRIPTED, cache_dir="a\0b")


# --- errors -----------------------------------------------------------------------------------

def test_each_status_has_its_exception_class():
    classes = {digitinfer.Status.INVALID_ARGUMENT: (digitinfer.InvalidArgumentError, ValueError),
               digitinfer.Status.IO: (digitinfer.FileError,), digitinfer.Status.DECODE: (digitinfer.DecodeError,),
               digitinfer.Status.MODEL: (digitinfer.ModelError,),
               digitinfer.Status.OUT_OF_MEMORY: (digitinfer.OutOfMemoryError,),
               digitinfer.Status.BUFFER_TOO_SMALL: (digitinfer.BufferTooSmallError,),
               digitinfer.Status.INFERENCE: (digitinfer.InferenceError,),
               digitinfer.Status.INTERNAL: (digitinfer.InternalError,)}
    for status, bases in classes.items():
        e = Error(status, "why")  # the base class picks the subclass, as the library's failures do
        assert type(e) is bases[0] and all(isinstance(e, b) for b in bases)
        assert isinstance(e, digitinfer.DigitInferError) and digitinfer.DigitInferError is Error
        assert e.code is status and e.status == _lib.lib.di_status_string(status).decode() == "DI_" + (
            "OK" if status == 0 else "ERR_" + status.name)
        assert str(e) == f"{e.status}: why" and e.message == "why"
        again = pickle.loads(pickle.dumps(e))
        assert type(again) is type(e) and (again.code, again.message) == (e.code, e.message)
    unknown = Error(-55, "new in a later library")
    assert type(unknown) is Error and unknown.code == -55 and unknown.status


def test_wrong_input_types_are_type_errors_with_the_status(compiled):
    for call in (lambda: compiled.predict(3.5), lambda: compiled.predict(None),
                 lambda: compiled.predict_batch(5), lambda: compiled.predict_batch(DIGIT_7),
                 lambda: compiled.predict_gray(3, 28, 28), lambda: Model(DIMODEL, threads="2")):
        with pytest.raises(digitinfer.InputTypeError) as excinfo:
            call()
        assert isinstance(excinfo.value, TypeError)
        assert_status(excinfo, "DI_ERR_INVALID_ARGUMENT")
    e = digitinfer.InputTypeError("why")
    again = pickle.loads(pickle.dumps(e))
    assert type(again) is digitinfer.InputTypeError and again.message == "why"


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


if not WITH_TORCH:  # with the plugin, these files load: the tests above and the golden cases show it
    @pytest.mark.parametrize("path", [SCRIPTED, TRACED, *sorted((ROOT / "tests/data/models").glob("*.pt"))],
                             ids=lambda path: path.name)
    def test_torchscript_files_need_the_plugin(path):
        for load in (lambda: Model(path), lambda: Model.from_bytes(path.read_bytes())):
            with pytest.raises(Error) as excinfo:
                load()
            assert_status(excinfo, "DI_ERR_MODEL")
            assert NO_PLUGIN in excinfo.value.message


@pytest.mark.parametrize("floats, count", [([0.0] * 783, 1), ([0.0] * 784, 2), ([], 1), ([0.0] * 784, 0)])
def test_wrong_tensor_size_is_an_invalid_argument(model, floats, count):
    with pytest.raises(Error) as excinfo:
        model.predict_tensor(floats, count)
    assert_status(excinfo, "DI_ERR_INVALID_ARGUMENT")
    assert excinfo.value.code == -1


@pytest.mark.parametrize("options", [{"num_threads": -1}, {"output_kind": 99}])
def test_bad_load_options_are_an_invalid_argument(options):
    with pytest.raises(Error) as excinfo:
        Model(stand_in(SCRIPTED), **options)
    assert_status(excinfo, "DI_ERR_INVALID_ARGUMENT")


def test_closed_model_raises_instead_of_crashing():
    m = Model(stand_in(TRACED))
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
    with Model(stand_in(TRACED)) as m:
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
    m = Model(stand_in(TRACED))
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


# --- names of engines and output kinds ------------------------------------------------------

@pytest.mark.parametrize("cls, to_name", [(Engine, "di_engine_name"), (OutputKind, "di_output_kind_name")])
def test_names_round_trip_through_the_c_library(cls, to_name):
    for member in cls:
        name = getattr(_lib.lib, to_name)(member.value).decode()
        assert name != "unknown"
        assert member.c_name == name
        assert cls.from_name(name) is member
        assert cls(name) is member
    assert len({m.c_name for m in cls}) == len(cls)
    assert getattr(_lib.lib, to_name)(99).decode() == "unknown"


def test_names_are_the_headers():
    # The spellings digitinfer.h documents for di_engine_name and di_output_kind_name, and its aliases.
    assert [m.c_name for m in Engine] == ["auto", "native", "libtorch", "reference"]
    assert [m.c_name for m in OutputKind] == ["auto", "log_probabilities", "logits", "probabilities"]
    assert OutputKind("log_softmax") is OutputKind.LOG_PROBABILITIES
    assert OutputKind.from_name("softmax") is OutputKind.PROBABILITIES


@pytest.mark.parametrize("name", ["bogus", "", "unknown", "native\0", " native", "logits\0native"])
def test_unknown_names_raise(name):
    for cls in (Engine, OutputKind):
        with pytest.raises(Error) as excinfo:
            cls.from_name(name)
        assert_status(excinfo, "DI_ERR_INVALID_ARGUMENT")
        with pytest.raises(ValueError):
            cls(name)
    with pytest.raises(Error) as excinfo:
        Model(DIMODEL, engine=name)
    assert_status(excinfo, "DI_ERR_INVALID_ARGUMENT")
    with pytest.raises(Error) as excinfo:
        Model(DIMODEL, output_kind=name)
    assert_status(excinfo, "DI_ERR_INVALID_ARGUMENT")


def test_models_load_with_engine_and_output_kind_names():
    with Model(DIMODEL, engine="native") as m:
        assert m.info.engine is Engine.NATIVE
    with Model.from_bytes(DIMODEL.read_bytes(), engine="auto", output_kind=OutputKind.LOG_PROBABILITIES.c_name) as m:
        assert m.info.output_kind is OutputKind.LOG_PROBABILITIES
    if not WITH_TORCH:
        pytest.skip("needs the libtorch plugin: the engine name 'reference' with a TorchScript model (the "
                    ".dimodel loads above, by names, were checked)")
    with Model(SCRIPTED, engine=Engine.LIBTORCH_REFERENCE.c_name, output_kind="logits") as m:
        assert (m.info.engine, m.info.output_kind) == (Engine.LIBTORCH_REFERENCE, OutputKind.LOGITS)


# --- load limits and the new ModelInfo fields -------------------------------------------------

def image_size(path):
    """(width, height) of an image, from the golden file (Pillow's own reading of it)."""
    relative = path.relative_to(ROOT).as_posix()
    for case in golden_cases():
        if case["image"] == relative:
            return case["width"], case["height"]
    pytest.fail(f"{relative} is not in {GOLDEN.relative_to(ROOT)}")


def test_model_info_has_the_limits_and_threads(compiled):
    info = compiled.info
    assert (info.max_pixels, info.max_encoded_bytes) == (digitinfer.DEFAULT_MAX_PIXELS,
                                                         digitinfer.DEFAULT_MAX_ENCODED_BYTES)
    assert isinstance(info.num_threads, int) and info.num_threads >= 1
    with Model(DIMODEL, num_threads=3, max_pixels=1000, max_encoded_bytes=5000) as m:
        assert (m.info.num_threads, m.info.max_pixels, m.info.max_encoded_bytes) == (3, 1000, 5000)
    with Model.from_bytes(DIMODEL.read_bytes(), num_threads=1, max_pixels=77) as m:
        assert (m.info.num_threads, m.info.max_pixels) == (1, 77)
        assert m.info.max_encoded_bytes == digitinfer.DEFAULT_MAX_ENCODED_BYTES


def test_load_options_of_1_3_reach_the_library():
    """The 1.3 options are range-checked by the library: out-of-range values are its errors, not ours."""
    with Model(DIMODEL, trust_model=True, max_jpeg_scans=5, torch_time_limit_ms=0, torch_memory_limit_bytes=0) as m:
        assert m.info.num_classes == 10
    with pytest.raises(Error) as excinfo:
        Model(DIMODEL, max_jpeg_scans=0)
    assert_status(excinfo, "DI_ERR_INVALID_ARGUMENT")
    assert "max_jpeg_scans 0" in str(excinfo.value)
    with pytest.raises(Error) as excinfo:
        Model.from_bytes(DIMODEL.read_bytes(), max_jpeg_scans=_lib.DI_MAX_JPEG_SCANS + 1)
    assert_status(excinfo, "DI_ERR_INVALID_ARGUMENT")


def test_max_pixels_below_an_images_size_is_a_decode_error(compiled):
    width, height = image_size(BIG)
    small = next(ROOT / c["image"] for c in golden_cases()
                 if (c["width"], c["height"]) == (28, 28) and c["image"].endswith(".png"))
    example_width, example_height = image_size(DIGIT_7)
    assert 28 * 28 < example_width * example_height < width * height - 1
    with Model(DIMODEL, max_pixels=28 * 28) as m:
        assert m.info.max_pixels == 28 * 28
        assert_same(m.predict(small), compiled.predict(small))
        for path in (DIGIT_7, BIG):
            with pytest.raises(Error) as excinfo:
                m.predict(path)
            assert_status(excinfo, "DI_ERR_DECODE")
    with Model(DIMODEL, max_pixels=width * height - 1) as m:
        assert_same(m.predict(DIGIT_7), compiled.predict(DIGIT_7))
        with pytest.raises(Error) as excinfo:
            m.predict(BIG)
        assert_status(excinfo, "DI_ERR_DECODE")
        with pytest.raises(Error) as excinfo:
            m.predict_batch([DIGIT_7, BIG])
        assert_status(excinfo, "DI_ERR_DECODE")
        example, big, again = m.predict_batch([DIGIT_7, BIG, small], errors="return")
        assert_same(example, compiled.predict(DIGIT_7))
        assert_same(again, compiled.predict(small))
        assert isinstance(big, Error) and big.status == "DI_ERR_DECODE" and big.message
    with Model(DIMODEL, max_pixels=width * height) as m:  # the limit itself is accepted
        assert_same(m.predict(BIG), compiled.predict(BIG))


def test_max_pixels_limits_gray_images(compiled):
    image = compiled.preprocess(DIGIT_7).image.tobytes()
    width, height = compiled.info.input_width, compiled.info.input_height
    assert len(image) == width * height
    wider = b"".join(image[r * width:(r + 1) * width] + b"\0" for r in range(height))
    with Model(DIMODEL, max_pixels=width * height) as m:
        assert_same(m.predict_gray(image, width, height), compiled.predict_gray(image, width, height))
        with pytest.raises(Error) as excinfo:
            m.predict_gray(wider, width + 1, height)
        assert_status(excinfo, "DI_ERR_INVALID_ARGUMENT")
        ok, too_big = m.predict_gray_batch([(image, width, height), (wider, width + 1, height)], errors="return")
        assert_same(ok, compiled.predict_gray(image, width, height))
        assert isinstance(too_big, Error) and too_big.status == "DI_ERR_INVALID_ARGUMENT" and too_big.message


def test_max_encoded_bytes_limits_the_file_size(compiled):
    size = DIGIT_7.stat().st_size
    with Model(DIMODEL, max_encoded_bytes=size) as m:
        assert_same(m.predict(DIGIT_7), compiled.predict(DIGIT_7))
    with Model(DIMODEL, max_encoded_bytes=size - 1) as m:
        with pytest.raises(Error) as excinfo:
            m.predict(DIGIT_7)
        assert_status(excinfo, "DI_ERR_DECODE")


@pytest.mark.parametrize("option", ["max_pixels", "max_encoded_bytes"])
def test_limits_outside_their_range_are_an_invalid_argument(option):
    largest = {"max_pixels": digitinfer.DEFAULT_MAX_PIXELS,
               "max_encoded_bytes": digitinfer.DEFAULT_MAX_ENCODED_BYTES}[option]
    with Model(DIMODEL, **{option: largest}) as m:
        assert getattr(m.info, option) == largest
    for value in (0, largest + 1, -1, 2**64):
        with pytest.raises(Error) as excinfo:
            Model(DIMODEL, **{option: value})
        assert_status(excinfo, "DI_ERR_INVALID_ARGUMENT")


# --- per-image results and per-call threads ---------------------------------------------------

def golden_images(model_path, count):
    cases = [c for c in golden_cases() if c["model"] == model_path]
    assert len(cases) >= count, f"{GOLDEN.relative_to(ROOT)} has too few cases for {model_path}"
    return [(ROOT / c["image"], c["digit"]) for c in cases[:count]]


def test_a_corrupt_image_fails_alone_with_errors_return(model):
    good = golden_images("models/convnet.scripted.pt", 4)
    with pytest.raises(Error) as single:
        model.predict(CORRUPT)
    images = [good[0][0], good[1][0], CORRUPT, good[2][0], good[3][0]]
    results = model.predict_batch(images, errors="return")
    assert len(results) == len(images)
    failed = results[2]
    assert isinstance(failed, Error)
    assert (failed.code, failed.status) == (single.value.code, single.value.status)
    assert failed.message
    for (path, digit), p in zip(good, results[:2] + results[3:]):
        assert isinstance(p, Prediction)
        assert p.digit == digit
        assert_same(p, model.predict(path))
    # Without errors="return" the corrupt image still fails the whole batch.
    with pytest.raises(Error) as whole:
        model.predict_batch(images)
    assert whole.value.code == single.value.code
    with pytest.raises(Error):
        model.predict_batch(images, errors="raise")


def test_errors_return_gives_unreadable_files_their_own_error(model, tmp_path):
    missing = tmp_path / "missing.png"
    results = model.predict_batch([missing, DIGIT_7, b"garbage", missing], errors="return")
    assert [type(r) for r in results] == [digitinfer.FileError, Prediction, digitinfer.DecodeError,
                                          digitinfer.FileError]
    assert results.statuses.tolist() == [_lib.DI_ERR_IO, 0, _lib.DI_ERR_DECODE, _lib.DI_ERR_IO]
    assert results.ok.tolist() == [False, True, False, False] and sorted(results.errors) == [0, 2, 3]
    assert results.digits.tolist() == [-1, 7, -1, -1] and results.top_probabilities[0] == 0
    assert np.isnan(results.probabilities[[0, 2, 3]]).all() and not np.isnan(results.probabilities[1]).any()
    assert results[0].status == results[3].status == "DI_ERR_IO" and "missing.png" in results[0].message
    assert results[2].status == "DI_ERR_DECODE"
    assert_same(results[1], model.predict(DIGIT_7))
    assert all(isinstance(r, Error) for r in model.predict_batch([missing, CORRUPT], errors="return"))
    assert model.predict_batch([], errors="return") == []


def test_errors_must_be_raise_or_return(model):
    for call in (lambda: model.predict_batch([DIGIT_7], errors="ignore"),
                 lambda: model.predict_gray_batch([(bytes(784), 28, 28)], errors="warn"),
                 lambda: model.predict_tensor([0.0] * 784, errors=None)):
        with pytest.raises(ValueError, match="raise.*return"):
            call()


def test_gray_batch_gives_each_image_its_result(model):
    image7, image2 = (model.preprocess(p).image.tobytes() for p in (DIGIT_7, DIGIT_2))
    expected = [model.predict_gray(image7, 28, 28), model.predict_gray(image2, 28, 28)]
    for p, q in zip(model.predict_gray_batch([(image7, 28, 28), (image2, 28, 28, 28)]), expected):
        assert_same(p, q)
    a, bad, b = model.predict_gray_batch([(image7, 28, 28), (b"\0" * 10, 28, 28), (image2, 28, 28)], errors="return")
    assert isinstance(bad, Error) and bad.status == "DI_ERR_INVALID_ARGUMENT"
    assert_same(a, expected[0])
    assert_same(b, expected[1])
    with pytest.raises(Error) as excinfo:
        model.predict_gray_batch([(image7, 28, 28), (b"\0" * 10, 28, 28)])
    assert_status(excinfo, "DI_ERR_INVALID_ARGUMENT")


def test_a_non_finite_tensor_fails_alone_with_errors_return(model):
    t7, t2 = (model.preprocess(p).tensor for p in (DIGIT_7, DIGIT_2))
    poisoned = t7.copy()
    poisoned.flat[400] = float("nan")
    a, bad, b = model.predict_tensor(np.stack([t7, poisoned, t2]), count=3, errors="return")
    assert isinstance(bad, Error) and bad.code < 0 and bad.status.startswith("DI_ERR_") and bad.message
    for batch in (np.stack([t7, poisoned, t2]), [t7, poisoned, t2]):  # the same through predict_batch
        again = model.predict_batch(batch, errors="return")
        assert (type(again[1]), again[1].code) == (type(bad), bad.code) and again.digits[[0, 2]].tolist() == [7, 2]
    assert_same(a, model.predict(DIGIT_7))
    assert_same(b, model.predict(DIGIT_2))


def test_per_call_num_threads_gives_the_same_results(compiled):
    expected = compiled.predict_batch(IMAGES)
    tensor = compiled.preprocess(DIGIT_7).tensor
    image = compiled.preprocess(DIGIT_2).image
    for n in (None, 0, 1, 2, 5):
        for threads in ({"num_threads": n}, {"threads": n}):
            for p, q in zip(compiled.predict_batch(IMAGES, **threads), expected):
                assert_same(p, q)
            assert_same(compiled.predict_tensor(np.stack([tensor] * 3), count=3, **threads)[2],
                        compiled.predict(DIGIT_7))
            assert_same(compiled.predict_gray_batch([image] * 3, **threads)[1], compiled.predict(DIGIT_2))
            assert_same(compiled.predict_batch(np.stack([image] * 3), **threads)[1], compiled.predict(DIGIT_2))


@pytest.mark.parametrize("num_threads", [-1, 2**31, -2**31 - 1])
def test_a_bad_per_call_num_threads_is_an_invalid_argument(compiled, num_threads):
    # -1 reaches the library (so the option is passed at all); the others do not fit an int32_t.
    tensor = compiled.preprocess(DIGIT_7).tensor
    for call in (lambda: compiled.predict_batch([DIGIT_7], num_threads=num_threads),
                 lambda: compiled.predict_batch([DIGIT_7], errors="return", num_threads=num_threads),
                 lambda: compiled.predict_tensor(tensor, num_threads=num_threads),
                 lambda: compiled.predict_gray_batch([(bytes(784), 28, 28)], num_threads=num_threads)):
        with pytest.raises(Error) as excinfo:
            call()
        assert_status(excinfo, "DI_ERR_INVALID_ARGUMENT")


def test_a_batch_larger_than_max_batch_is_an_invalid_argument(compiled):
    with pytest.raises(Error) as excinfo:
        compiled.predict_tensor([0.0] * 784, count=digitinfer.MAX_BATCH + 1)
    assert_status(excinfo, "DI_ERR_INVALID_ARGUMENT")


def test_closed_model_raises_with_errors_return_too():
    m = Model(DIMODEL)
    m.close()
    for call in (lambda: m.predict_batch([DIGIT_7], errors="return"),
                 lambda: m.predict_gray_batch([(bytes(784), 28, 28)], errors="return"),
                 lambda: m.predict_tensor([0.0] * 784, errors="return")):
        with pytest.raises(Error, match="closed"):
            call()


def test_threads_get_their_own_per_image_messages(compiled):
    images = [DIGIT_7, CORRUPT, b"garbage", DIGIT_2]
    serial = compiled.predict_batch(images, errors="return")
    outcomes, errors = [], []

    def work():
        try:
            for _ in range(20):
                got = compiled.predict_batch(images, errors="return", num_threads=1)
                outcomes.append([(r.code, r.message) if isinstance(r, Error) else r.digit for r in got])
        except Exception as e:  # reported below
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors
    expected = [(r.code, r.message) if isinstance(r, Error) else r.digit for r in serial]
    assert outcomes == [expected] * 80

