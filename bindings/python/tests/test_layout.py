"""The C header, mirrored: struct layouts, enum values, macros and functions of _lib.py against the C compiler's.

bindings/abi_layout.c, compiled against the headers ($DIGITINFER_INCLUDE_DIRS, else the repository's include/),
prints what the compiler makes of every mirrored struct; the numpy dtypes that _inputs.py lays over
di_gray_image, di_encoded_image and di_prediction (for batches without a loop per image) are checked
against ctypes' layout here too.
"""
import ctypes
import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from support import ROOT, digitinfer, _lib
from digitinfer import Engine, OutputKind, _inputs, _model

HERE = ROOT / "bindings/python/tests"

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
    """Compiles and runs bindings/abi_layout.c: {"struct": {name: (size, align)}, "field": {(struct, field): (offset,
    size)}, "enum": {type: size}, "value": {constant: value}}, as the C compiler sees the header."""
    compiler = shlex.split(os.environ.get("CC") or "cc")
    if not shutil.which(compiler[0]):
        pytest.skip(f"no C compiler: '{compiler[0]}' is not on PATH (set CC or install gcc), so the ctypes "
                    "struct layouts could not be compared with the C header's")
    exe = tmp_path_factory.mktemp("layout") / "layout"
    command = [*compiler, "-std=c11", "-Wall", "-Wextra", "-Werror", *(f"-I{d}" for d in include_dirs()),
               str(HERE.parents[1] / "abi_layout.c"), "-o", str(exe)]
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
        elif kind == "value":
            layout["value"][words[0]] = int(words[1])
        else:
            assert kind == "string", line  # DI_VERSION_STRING: test_digitinfer.py checks the version
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
        c_members = {name[len(prefix):]: value for name, value in values.items()
                     if name.startswith(prefix) and not name.endswith("_MAX_ENUM")}  # a C++ range sentinel
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


def test_numpy_struct_dtypes_are_the_ctypes_layouts():
    for dtype, struct in ((_inputs.GRAY_DTYPE, _lib.di_gray_image), (_inputs.ENCODED_DTYPE, _lib.di_encoded_image),
                          (_model._PREDICTION_DTYPE, _lib.di_prediction)):
        assert dtype.itemsize == ctypes.sizeof(struct), struct.__name__
        for name, _ in struct._fields_:
            descriptor = getattr(struct, name)
            assert (dtype.fields[name][1], dtype.fields[name][0].itemsize) == (descriptor.offset, descriptor.size)
    # A value written through the dtype reads back through ctypes.
    structs = np.zeros(2, _inputs.GRAY_DTYPE)
    structs["pixels"], structs["width"], structs["height"], structs["stride"] = 0x1000, 28, 27, 32
    second = _lib.di_gray_image.from_buffer(structs, _inputs.GRAY_DTYPE.itemsize)
    assert (ctypes.cast(second.pixels, ctypes.c_void_p).value, second.width, second.height, second.stride) == (
        0x1000, 28, 27, 32)
