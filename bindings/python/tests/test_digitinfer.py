"""Tests of the Python bindings against the real libdigitinfer (DIGITINFER_LIBRARY, else build/).

    DIGITINFER_LIBRARY=build/libdigitinfer.so.1 python3 -m pytest bindings/python/tests -q

A library built without libtorch (-DDIGITINFER_WITH_TORCH=OFF) is tested too: see WITH_TORCH below.
"""
import ctypes
import json
import math
import os
import re
import shlex
import shutil
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
from digitinfer import Engine, Error, Model, OutputKind, Prediction, _lib  # noqa: E402

HERE = Path(__file__).resolve().parent
SCRIPTED = ROOT / "models/convnet.scripted.pt"
TRACED = ROOT / "models/convnet.traced.pt"
DIMODEL = ROOT / "models/convnet.dimodel"
GOLDEN = ROOT / "tests/data/golden.json"
BAD = ROOT / "tests/data/bad"
EXAMPLES = sorted((ROOT / "examples/images").glob("*.png"))
IMAGES = sorted((ROOT / "tests/data/images").iterdir()) + EXAMPLES
DIGIT_7 = ROOT / "examples/images/digit-7.png"
DIGIT_2 = ROOT / "examples/images/digit-2.png"
BIG = ROOT / "tests/data/images/1-RGB-640x480.png"
CORRUPT = BAD / "corrupt.png"


# --- builds without the libtorch plugin --------------------------------------------------------
# A library built with -DDIGITINFER_WITH_TORCH=OFF loads only .dimodel files: a TorchScript file fails with
# DI_ERR_MODEL, "the libtorch plugin is not installed". CTest says which build it tests
# (DIGITINFER_WITH_TORCH=0 or 1); unset, the tests ask the library, loading the shipped traced model. Set, it
# must agree with the library, else the tests refuse to run (rather than skip what they should test).
# Without the plugin, as the C++ tests do (tests/support.cpp: stand_in, model_available, [torch]):
# - the shipped TorchScript models are stood in for by their compiled form, models/convnet.dimodel, which
#   predicts as they do on the native engine (with the plugin, test_export_native_gives_a_model_that_
#   predicts_identically checks that, and the C++ [native_file] tests);
# - golden cases of other TorchScript models are left out, counted in one skipped case;
# - tests about TorchScript itself (its engines, exporting from it) skip, saying so;
# - test_torchscript_files_need_the_plugin checks the error. With the plugin nothing of this changes.
NO_PLUGIN = "libtorch plugin is not installed"


def _probe_torch():
    """True when the library loads a TorchScript file, False when it says it has no plugin for one, None when
    it fails otherwise (the tests that load TorchScript then show that error), with the error's text."""
    try:
        with Model(TRACED):
            return True, ""
    except Error as e:
        return (False if e.status == "DI_ERR_MODEL" and NO_PLUGIN in e.message else None), str(e)


def _with_torch():
    probed, error = _probe_torch()
    declared = os.environ.get("DIGITINFER_WITH_TORCH", "").strip()
    if not declared:
        return probed is not False
    truth = {"1": True, "on": True, "true": True, "yes": True, "0": False, "off": False, "false": False, "no": False}
    if declared.lower() not in truth:
        raise RuntimeError(f"DIGITINFER_WITH_TORCH={declared!r}: expected 1 or 0 (ON/OFF, TRUE/FALSE, YES/NO)")
    if truth[declared.lower()] and probed is False:
        raise RuntimeError(f"DIGITINFER_WITH_TORCH={declared} says the library under test "
                           f"({_lib.lib._name}) has the libtorch plugin, but it has none: {error}")
    if not truth[declared.lower()] and probed is True:
        raise RuntimeError(f"DIGITINFER_WITH_TORCH={declared} says the library under test ({_lib.lib._name}) has "
                           f"no libtorch plugin, but it loads {TRACED.relative_to(ROOT)}: the tests of TorchScript "
                           "would be skipped for nothing")
    return truth[declared.lower()]


WITH_TORCH = _with_torch()


def needs_torch(what):
    """Marks a test about TorchScript itself: skipped, saying `what` it tests, by a library without the plugin."""
    return pytest.mark.skipif(not WITH_TORCH, reason=f"needs the libtorch plugin: {what}")


def stand_in(path):
    """The absolute path of the model a test that just needs `path` (absolute or relative to the repository)
    loads: `path` itself, or, without the plugin, models/convnet.dimodel for a shipped TorchScript model."""
    path = ROOT / path
    return DIMODEL if not WITH_TORCH and path in (SCRIPTED, TRACED) else path


def model_available(path):
    return WITH_TORCH or stand_in(path).suffix == ".dimodel"


def golden_cases():
    """All the cases of golden.json, whatever the build (for the images' facts: their sizes and digits)."""
    if not GOLDEN.exists():
        return []
    return json.loads(GOLDEN.read_text())["cases"]


def golden_params():
    cases = golden_cases()
    if not cases:
        reason = f"{GOLDEN.relative_to(ROOT)} is absent or empty: generate it with tools/make_golden.py"
        return [pytest.param(None, marks=pytest.mark.skip(reason=reason))]
    params = [pytest.param(c, id=f"{c['image']}@{c['model']}") for c in cases if model_available(c["model"])]
    left_out = [c for c in cases if not model_available(c["model"])]
    if left_out:
        names = sorted({c["model"] for c in left_out})
        reason = (f"needs the libtorch plugin: {len(left_out)} of the {len(cases)} golden cases, those of the "
                  f"{len(names)} TorchScript models {', '.join(names)}, are left out")
        params.append(pytest.param(None, id="left-out-without-libtorch", marks=pytest.mark.skip(reason=reason)))
    return params


@pytest.fixture(scope="module")
def models():
    """Loads each model once: `models(relative_path)` (its stand-in: see stand_in)."""
    cache = {}

    def get(path):
        path = stand_in(path)
        if path not in cache:
            cache[path] = Model(path)
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
    with Model.from_bytes(stand_in(SCRIPTED).read_bytes()) as m:
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
            assert a.digit == b.digit
            assert all(abs(x - y) <= 1e-5 for x, y in zip(a.log_probabilities, b.log_probabilities))


@needs_torch("exports the shipped TorchScript model as a .dimodel")
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


def test_structs_the_library_fills_have_the_mirrors_sizes():
    for default, struct in (("di_load_options_default", _lib.di_load_options),
                            ("di_model_info_default", _lib.di_model_info),
                            ("di_predict_options_default", _lib.di_predict_options),
                            ("di_results_default", _lib.di_results)):
        assert getattr(_lib.lib, default)().struct_size == ctypes.sizeof(struct), default
    out = _lib.lib.di_outputs_default()
    assert not out.predictions and not out.probabilities and not out.log_probabilities
    assert out.scores_capacity == 0
    results = _lib.lib.di_results_default()
    assert not any(getattr(results, f) for f in ("predictions", "probabilities", "log_probabilities", "statuses",
                                                  "messages", "scores_capacity"))
    assert _lib.lib.di_predict_options_default().num_threads == 0
    opts = _lib.lib.di_load_options_default()
    assert (opts.max_pixels, opts.max_encoded_bytes) == (_lib.DI_DEFAULT_MAX_PIXELS, _lib.DI_DEFAULT_MAX_ENCODED_BYTES)
    assert (opts.flags, opts.max_jpeg_scans, opts.torch_time_limit_ms, opts.torch_memory_limit_bytes) == (
        0, _lib.DI_DEFAULT_MAX_JPEG_SCANS, _lib.DI_DEFAULT_TORCH_TIME_LIMIT_MS, _lib.DI_DEFAULT_TORCH_MEMORY_LIMIT_BYTES)


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


# --- the C header, mirrored: layouts, constants, functions ----------------------------------

# Every struct of the header that _lib.py mirrors (di_model is opaque).
MIRRORED_STRUCTS = ("di_load_options", "di_model_info", "di_encoded_image", "di_gray_image", "di_prediction",
                    "di_outputs", "di_predict_options", "di_results")


def include_dirs():
    """The directories holding digitinfer/digitinfer.h and digitinfer/version.h."""
    explicit = os.environ.get("DIGITINFER_INCLUDE_DIRS")
    if explicit:
        return [Path(d) for d in explicit.split(":") if d]
    if not (ROOT / "include/digitinfer/version.h").exists():
        pytest.skip("include/digitinfer/version.h does not exist: set "
                    "DIGITINFER_INCLUDE_DIRS to <repo>/include:<the build's include directory> to check the "
                    "bindings against the C headers")
    return [ROOT / "include"]


def header_text(name):
    """The text of digitinfer/<name>, found in include_dirs(), without its comments."""
    for d in include_dirs():
        path = d / "digitinfer" / name
        if path.exists():
            return re.sub(r"/\*.*?\*/", " ", path.read_text(), flags=re.S)
    pytest.fail(f"digitinfer/{name} is in none of the include directories {[str(d) for d in include_dirs()]}")


@pytest.fixture(scope="module")
def c_layout(tmp_path_factory):
    """Compiles and runs tests/layout.c: {"struct": {name: (size, align)}, "field": {(struct, field): (offset,
    size)}, "enum": {type: size}, "value": {constant: value}}, as the C compiler sees the header."""
    compiler = shlex.split(os.environ.get("CC") or "cc")
    if not shutil.which(compiler[0]):
        pytest.skip(f"no C compiler: '{compiler[0]}' is not on PATH (set CC or install gcc), so the ctypes "
                    "struct layouts could not be compared with the C header's")
    exe = tmp_path_factory.mktemp("layout") / "layout"
    command = [*compiler, "-std=c11", "-Wall", "-Wextra", "-Werror", *(f"-I{d}" for d in include_dirs()),
               str(HERE / "layout.c"), "-o", str(exe)]
    built = subprocess.run(command, capture_output=True, text=True)
    assert built.returncode == 0, f"{shlex.join(command)} failed:\n{built.stderr}"
    output = subprocess.run([str(exe)], capture_output=True, text=True, check=True).stdout
    layout = {"struct": {}, "field": {}, "enum": {}, "value": {}}
    for line in output.splitlines():
        kind, *words = line.split()
        if kind == "struct":
            layout["struct"][words[0]] = (int(words[1]), int(words[2]))
        elif kind == "field":
            layout["field"][words[0], words[1]] = (int(words[2]), int(words[3]))
        elif kind == "enum":
            layout["enum"][words[0]] = int(words[1])
        else:
            assert kind == "value", line
            layout["value"][words[0]] = int(words[1])
    return layout


def test_struct_layouts_match_the_c_compiler(c_layout):
    mismatches = []
    assert sorted(c_layout["struct"]) == sorted(MIRRORED_STRUCTS)
    for name in MIRRORED_STRUCTS:
        struct = getattr(_lib, name)
        c_size, c_align = c_layout["struct"][name]
        if (ctypes.sizeof(struct), ctypes.alignment(struct)) != (c_size, c_align):
            mismatches.append(f"{name}: ctypes size {ctypes.sizeof(struct)} align {ctypes.alignment(struct)}, "
                              f"C size {c_size} align {c_align}")
        c_fields = [f for (s, f) in c_layout["field"] if s == name]
        py_fields = [f for f, _ in struct._fields_]
        if c_fields != py_fields:
            mismatches.append(f"{name}: fields {py_fields} in ctypes, {c_fields} in layout.c")
        for field in set(c_fields) & set(py_fields):
            c_offset, c_field_size = c_layout["field"][name, field]
            descriptor = getattr(struct, field)
            if (descriptor.offset, descriptor.size) != (c_offset, c_field_size):
                mismatches.append(f"{name}.{field}: ctypes offset {descriptor.offset} size {descriptor.size}, "
                                  f"C offset {c_offset} size {c_field_size}")
    assert not mismatches, "\n".join(mismatches)


def test_enums_and_constants_match_the_header(c_layout):
    values = c_layout["value"]
    for enum_type, size in c_layout["enum"].items():
        assert size == ctypes.sizeof(_lib.c_enum), enum_type
    for prefix, cls in (("DI_ENGINE_", Engine), ("DI_OUTPUT_", OutputKind)):
        c_members = {name[len(prefix):]: value for name, value in values.items() if name.startswith(prefix)}
        assert c_members == {m.name: m.value for m in cls}, cls.__name__
    statuses = {name: value for name, value in values.items() if name == "DI_OK" or name.startswith("DI_ERR_")}
    assert len(statuses) >= 9
    for name, value in statuses.items():
        assert getattr(_lib, name) == value, name
        assert _lib.lib.di_status_string(value).decode() == name
    for name in ("DI_MAX_BATCH", "DI_DEFAULT_MAX_PIXELS", "DI_DEFAULT_MAX_ENCODED_BYTES", "DI_ABI_VERSION"):
        assert getattr(_lib, name.replace("DI_ABI_VERSION", "ABI_VERSION")) == values[name], name
    assert (digitinfer.MAX_BATCH, digitinfer.DEFAULT_MAX_PIXELS, digitinfer.DEFAULT_MAX_ENCODED_BYTES) == (
        values["DI_MAX_BATCH"], values["DI_DEFAULT_MAX_PIXELS"], values["DI_DEFAULT_MAX_ENCODED_BYTES"])


def test_struct_mirrors_have_the_headers_fields_in_order():
    # Independent of layout.c: a field added to the header but neither to layout.c nor to _lib.py shows here.
    structs = {m.group(1): m.group(2) for m in
               re.finditer(r"typedef\s+struct\s+(\w+)\s*\{(.*?)\}\s*\1\s*;", header_text("digitinfer.h"), re.S)}
    assert sorted(structs) == sorted(MIRRORED_STRUCTS)
    for name, body in structs.items():
        fields = [re.findall(r"\w+", declaration)[-1] for declaration in body.split(";") if declaration.strip()]
        assert [f for f, _ in getattr(_lib, name)._fields_] == fields, name


def test_every_header_function_has_a_signature():
    declared = set()
    for header in ("digitinfer.h", "version.h"):
        declared |= set(re.findall(r"^\s*DI_API\b[^;]*?\b(di_\w+)\s*\(", header_text(header), re.M))
    assert len(declared) >= 29
    assert declared == set(_lib._SIGNATURES)


def test_a_library_older_than_the_bindings_is_refused():
    class Old:
        _name = "libdigitinfer.so.1"
        di_abi_version = staticmethod(lambda: 1)
        di_version = staticmethod(lambda: b"1.0.0")

    for name in _lib._SIGNATURES:
        if name not in ("di_abi_version", "di_version", "di_results_default", "di_model_predict_gray_ex"):
            setattr(Old, name, staticmethod(lambda *args: 0))
    with pytest.raises(ImportError, match=r"1\.0\.0\) lacks di_results_default, di_model_predict_gray_ex: .* 1\.1"):
        _lib._bind(Old())


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

@pytest.fixture(scope="module")
def compiled():
    with Model(DIMODEL) as m:
        yield m


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
    image, _ = compiled.preprocess(DIGIT_7)
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
    assert [type(r) for r in results] == [Error, Prediction, Error, Error]
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
    image7, _ = model.preprocess(DIGIT_7)
    image2, _ = model.preprocess(DIGIT_2)
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
    _, t7 = model.preprocess(DIGIT_7)
    _, t2 = model.preprocess(DIGIT_2)
    poisoned = list(t7)
    poisoned[400] = float("nan")
    a, bad, b = model.predict_tensor(t7 + poisoned + t2, count=3, errors="return")
    assert isinstance(bad, Error) and bad.code < 0 and bad.status.startswith("DI_ERR_") and bad.message
    assert_same(a, model.predict(DIGIT_7))
    assert_same(b, model.predict(DIGIT_2))


def test_per_call_num_threads_gives_the_same_results(compiled):
    expected = compiled.predict_batch(IMAGES)
    _, tensor = compiled.preprocess(DIGIT_7)
    image, _ = compiled.preprocess(DIGIT_2)
    for n in (None, 0, 1, 2, 5):
        for p, q in zip(compiled.predict_batch(IMAGES, num_threads=n), expected):
            assert_same(p, q)
        assert_same(compiled.predict_tensor(tensor * 3, count=3, num_threads=n)[2], compiled.predict(DIGIT_7))
        assert_same(compiled.predict_gray_batch([(image, 28, 28)] * 3, num_threads=n)[1], compiled.predict(DIGIT_2))


@pytest.mark.parametrize("num_threads", [-1, 2**31, -2**31 - 1])
def test_a_bad_per_call_num_threads_is_an_invalid_argument(compiled, num_threads):
    # -1 reaches the library (so the option is passed at all); the others do not fit an int32_t.
    _, tensor = compiled.preprocess(DIGIT_7)
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
