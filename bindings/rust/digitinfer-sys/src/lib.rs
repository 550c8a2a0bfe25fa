//! Raw declarations of the DigitInfer C API, `digitinfer/digitinfer.h` and `digitinfer/version.h`
//! (1.3), written by hand. `tests/layout.rs` checks every struct's size, alignment and field offsets,
//! every constant and every function name against the C compiler's reading of the installed headers.
//!
//! Everything here is `unsafe` to call; the `digitinfer` crate is the safe API. The C enums are
//! plain `c_int` aliases with constants, not Rust enums: the library may return values added after
//! this crate was written, and an out-of-range Rust enum would be undefined behaviour.
#![allow(non_camel_case_types)]
#![no_std]

use core::ffi::{c_char, c_int, c_void};
use core::marker::{PhantomData, PhantomPinned};

// --- version.h -------------------------------------------------------------------------------

/// The header version this crate mirrors (`DI_VERSION_*`).
pub const DI_VERSION_MAJOR: u32 = 1;
pub const DI_VERSION_MINOR: u32 = 3;
pub const DI_VERSION_PATCH: u32 = 0;
pub const DI_VERSION_STRING: &str = "1.3.0";
pub const DI_VERSION_NUMBER: u32 = DI_VERSION_MAJOR * 10000 + DI_VERSION_MINOR * 100 + DI_VERSION_PATCH;
/// The SONAME number: the C ABI is stable while it stays the same.
pub const DI_ABI_VERSION: u32 = 1;

// --- status ----------------------------------------------------------------------------------

/// `di_status`: `DI_OK` or a negative error code; unknown nonzero values are errors too.
pub type di_status = c_int;
pub const DI_OK: di_status = 0;
pub const DI_ERR_INVALID_ARGUMENT: di_status = -1;
pub const DI_ERR_IO: di_status = -2;
pub const DI_ERR_DECODE: di_status = -3;
pub const DI_ERR_MODEL: di_status = -4;
pub const DI_ERR_OUT_OF_MEMORY: di_status = -5;
pub const DI_ERR_BUFFER_TOO_SMALL: di_status = -6;
pub const DI_ERR_INFERENCE: di_status = -7;
pub const DI_ERR_INTERNAL: di_status = -100;

// --- enums -----------------------------------------------------------------------------------

pub type di_output_kind = c_int;
pub const DI_OUTPUT_AUTO: di_output_kind = 0;
pub const DI_OUTPUT_LOG_PROBABILITIES: di_output_kind = 1;
pub const DI_OUTPUT_LOGITS: di_output_kind = 2;
pub const DI_OUTPUT_PROBABILITIES: di_output_kind = 3;
/// Not a kind: makes every non-negative `int32` a valid `di_output_kind` in C++.
pub const DI_OUTPUT_MAX_ENUM: di_output_kind = 0x7FFF_FFFF;

pub type di_engine = c_int;
pub const DI_ENGINE_AUTO: di_engine = 0;
pub const DI_ENGINE_NATIVE: di_engine = 1;
pub const DI_ENGINE_LIBTORCH: di_engine = 2;
pub const DI_ENGINE_LIBTORCH_REFERENCE: di_engine = 3;
/// Not an engine (as `DI_OUTPUT_MAX_ENUM`).
pub const DI_ENGINE_MAX_ENUM: di_engine = 0x7FFF_FFFF;

pub type di_cache_use = c_int;
pub const DI_CACHE_NOT_USED: di_cache_use = 0;
pub const DI_CACHE_HIT: di_cache_use = 1;
pub const DI_CACHE_STORED: di_cache_use = 2;
pub const DI_CACHE_NOT_STORED: di_cache_use = 3;
/// Not a value (as `DI_OUTPUT_MAX_ENUM`).
pub const DI_CACHE_MAX_ENUM: di_cache_use = 0x7FFF_FFFF;

// --- limits and flags ------------------------------------------------------------------------

pub const DI_DEFAULT_MAX_PIXELS: u64 = 178_956_970;
pub const DI_DEFAULT_MAX_ENCODED_BYTES: u64 = 1_073_741_824;
pub const DI_LOAD_TRUSTED_MODEL: u32 = 1;
pub const DI_DEFAULT_MAX_JPEG_SCANS: u32 = 100;
pub const DI_MAX_JPEG_SCANS: u32 = 65535;
pub const DI_DEFAULT_TORCH_TIME_LIMIT_MS: u32 = 30_000;
pub const DI_DEFAULT_TORCH_MEMORY_LIMIT_BYTES: u64 = 2_147_483_648;
pub const DI_MAX_BATCH: usize = 65536;

// --- structs ---------------------------------------------------------------------------------

/// Opaque model handle (`di_model`): neither constructible nor movable from Rust.
#[repr(C)]
pub struct di_model {
    _data: [u8; 0],
    _marker: PhantomData<(*mut u8, PhantomPinned)>,
}

/// Options of `di_model_load_file` / `di_model_load_memory`; start from `di_load_options_default()`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct di_load_options {
    pub struct_size: u32,
    pub num_threads: i32,
    pub output_kind: i32,
    pub engine: i32,
    pub max_pixels: u64,
    pub max_encoded_bytes: u64,
    pub cache_dir: *const c_char,
    pub flags: u32,
    pub max_jpeg_scans: u32,
    pub torch_time_limit_ms: u32,
    pub torch_memory_limit_bytes: u64,
}

/// Description of a loaded model; its strings are borrowed from the model.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct di_model_info {
    pub struct_size: u32,
    pub input_channels: i32,
    pub input_height: i32,
    pub input_width: i32,
    pub num_classes: i32,
    pub mean: f32,
    pub std: f32,
    pub output_kind: i32,
    pub has_metadata: i32,
    pub name: *const c_char,
    pub engine: i32,
    pub engine_note: *const c_char,
    pub num_threads: i32,
    pub max_pixels: u64,
    pub max_encoded_bytes: u64,
    pub cache: i32,
    pub cache_path: *const c_char,
    pub cache_note: *const c_char,
}

#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct di_encoded_image {
    pub data: *const c_void,
    pub size: usize,
}

#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct di_gray_image {
    pub pixels: *const u8,
    pub width: i32,
    pub height: i32,
    pub stride: usize,
}

#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct di_prediction {
    pub class_index: i32,
    pub probability: f32,
}

#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct di_outputs {
    pub predictions: *mut di_prediction,
    pub probabilities: *mut f32,
    pub log_probabilities: *mut f32,
    pub scores_capacity: usize,
}

#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct di_predict_options {
    pub struct_size: u32,
    pub num_threads: i32,
}

#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct di_results {
    pub struct_size: u32,
    pub predictions: *mut di_prediction,
    pub probabilities: *mut f32,
    pub log_probabilities: *mut f32,
    pub scores_capacity: usize,
    pub statuses: *mut di_status,
    pub messages: *mut *const c_char,
}

// --- functions -------------------------------------------------------------------------------

extern "C" {
    pub fn di_version() -> *const c_char;
    pub fn di_version_number() -> u32;
    pub fn di_abi_version() -> u32;

    pub fn di_status_string(status: di_status) -> *const c_char;
    pub fn di_last_error_message() -> *const c_char;

    pub fn di_engine_name(engine: di_engine) -> *const c_char;
    pub fn di_engine_from_name(name: *const c_char, out: *mut di_engine) -> di_status;
    pub fn di_output_kind_name(kind: di_output_kind) -> *const c_char;
    pub fn di_output_kind_from_name(name: *const c_char, out: *mut di_output_kind) -> di_status;

    pub fn di_load_options_default() -> di_load_options;
    pub fn di_model_load_file(path: *const c_char, opts: *const di_load_options, out: *mut *mut di_model) -> di_status;
    pub fn di_model_load_memory(
        data: *const c_void,
        size: usize,
        opts: *const di_load_options,
        out: *mut *mut di_model,
    ) -> di_status;
    pub fn di_model_export_native(model: *const di_model, path: *const c_char) -> di_status;
    pub fn di_model_free(model: *mut di_model);

    pub fn di_model_info_default() -> di_model_info;
    pub fn di_model_get_info(model: *const di_model, out: *mut di_model_info) -> di_status;
    pub fn di_model_get_label(model: *const di_model, index: i32, out: *mut *const c_char) -> di_status;

    pub fn di_outputs_default() -> di_outputs;
    pub fn di_model_predict_encoded(
        model: *const di_model,
        data: *const c_void,
        size: usize,
        out: *const di_outputs,
    ) -> di_status;
    pub fn di_model_predict_encoded_batch(
        model: *const di_model,
        images: *const di_encoded_image,
        count: usize,
        out: *const di_outputs,
    ) -> di_status;
    pub fn di_model_predict_gray(
        model: *const di_model,
        image: *const di_gray_image,
        out: *const di_outputs,
    ) -> di_status;
    pub fn di_model_predict_gray_batch(
        model: *const di_model,
        images: *const di_gray_image,
        count: usize,
        out: *const di_outputs,
    ) -> di_status;
    pub fn di_model_predict_tensor(
        model: *const di_model,
        data: *const f32,
        num_floats: usize,
        count: usize,
        out: *const di_outputs,
    ) -> di_status;

    pub fn di_predict_options_default() -> di_predict_options;
    pub fn di_results_default() -> di_results;
    pub fn di_model_predict_encoded_ex(
        model: *const di_model,
        images: *const di_encoded_image,
        count: usize,
        opts: *const di_predict_options,
        results: *const di_results,
    ) -> di_status;
    pub fn di_model_predict_gray_ex(
        model: *const di_model,
        images: *const di_gray_image,
        count: usize,
        opts: *const di_predict_options,
        results: *const di_results,
    ) -> di_status;
    pub fn di_model_predict_tensor_ex(
        model: *const di_model,
        data: *const f32,
        num_floats: usize,
        count: usize,
        opts: *const di_predict_options,
        results: *const di_results,
    ) -> di_status;

    pub fn di_model_preprocess_encoded(
        model: *const di_model,
        data: *const c_void,
        size: usize,
        image: *mut u8,
        image_capacity: usize,
        tensor: *mut f32,
        tensor_capacity: usize,
    ) -> di_status;
}
