//! Handwritten-digit inference with DigitInfer: image bytes in, digit out.
//!
//! Safe bindings to the DigitInfer C API (`libdigitinfer`, found with pkg-config when building).
//!
//! ```no_run
//! let model = digitinfer::Model::load("models/convnet.dimodel")?;
//! let p = model.predict(&std::fs::read("examples/images/digit-7.png")?)?;
//! println!("digit {} (p = {:.3}), top 3: {:?}", p.digit, p.probability, p.top_k(3));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Inputs are slices: encoded image files ([`Model::predict`]), raw gray pixels
//! ([`Model::predict_gray`], [`GrayImage`]) or normalized tensors ([`Model::predict_tensor`]), one at
//! a time or as a batch in one forward pass ([`Model::predict_batch`] and friends, with per-image
//! results in the `_each` variants). Every failure is an [`Error`] carrying the C status
//! ([`ErrorCode`]) and the library's message. A [`Model`] is `Send + Sync`: share one between
//! threads (loaded with [`LoadOptions::num_threads`]`(1)` for a server calling from many threads).

mod batch;
mod error;
mod kinds;
mod model;
mod options;
mod predict;

use std::ffi::CStr;

use digitinfer_sys as sys;

pub use batch::WithThreads;
pub use error::{Error, ErrorCode, Result};
pub use kinds::{CacheUse, Engine, OutputKind};
pub use model::{Model, ModelInfo};
pub use options::LoadOptions;
pub use predict::{GrayImage, Prediction, Preprocessed};

/// The raw C declarations this crate is built on.
pub use digitinfer_sys as ffi;

/// Largest number of images in one batch call.
pub const MAX_BATCH: usize = sys::DI_MAX_BATCH;
/// Default and largest [`LoadOptions::max_pixels`].
pub const DEFAULT_MAX_PIXELS: u64 = sys::DI_DEFAULT_MAX_PIXELS;
/// Default and largest [`LoadOptions::max_encoded_bytes`].
pub const DEFAULT_MAX_ENCODED_BYTES: u64 = sys::DI_DEFAULT_MAX_ENCODED_BYTES;
/// Default [`LoadOptions::max_jpeg_scans`].
pub const DEFAULT_MAX_JPEG_SCANS: u32 = sys::DI_DEFAULT_MAX_JPEG_SCANS;
/// Largest [`LoadOptions::max_jpeg_scans`].
pub const MAX_JPEG_SCANS: u32 = sys::DI_MAX_JPEG_SCANS;

/// Version of the loaded C library, "MAJOR.MINOR.PATCH".
pub fn version() -> &'static str {
    // SAFETY: di_version returns a string constant of the library, which stays loaded for the
    // life of the process (it is linked, never unloaded).
    unsafe { CStr::from_ptr(sys::di_version()) }.to_str().unwrap_or("?")
}

/// Version of the loaded C library as `MAJOR * 10000 + MINOR * 100 + PATCH`.
pub fn version_number() -> u32 {
    // SAFETY: no arguments, no state.
    unsafe { sys::di_version_number() }
}

/// Panics when the loaded library is older than the headers this crate mirrors: its structs
/// would be shorter than ours (a deployment error, like a missing shared library).
pub(crate) fn check_library() {
    static CHECKED: std::sync::Once = std::sync::Once::new();
    CHECKED.call_once(|| {
        let loaded = version_number();
        assert!(
            loaded >= sys::DI_VERSION_NUMBER,
            "libdigitinfer {} is older than {}, the version the digitinfer crate was built for",
            version(),
            sys::DI_VERSION_STRING
        );
    });
}
