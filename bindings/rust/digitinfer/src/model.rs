//! The model handle: loading, its description, freeing.

use std::fmt;
use std::path::Path;
use std::ptr::NonNull;

use digitinfer_sys as sys;

use crate::error::{check, string, Result};
use crate::kinds::{CacheUse, Engine, OutputKind};
use crate::options::{path_to_c, LoadOptions};

/// A loaded classifier with its preprocessing parameters. Dropping it frees it.
///
/// `Model` is `Send + Sync`: the C API promises that a model is immutable after loading and that
/// any number of threads may call the predict and preprocess functions on it at once, and those
/// are all `&self` methods do (the description and labels are read once, at load). Freeing must not
/// race with those calls, which `Drop` taking the model by value guarantees; exporting is not in
/// that promise either, so [`Model::export_native`] takes `&mut self`.
pub struct Model {
    raw: NonNull<sys::di_model>,
    info: ModelInfo,
}

// SAFETY: see the type's documentation (digitinfer.h, "Thread-safety" of di_model). The header ties
// a model to no thread, so it may be used and freed on any; the per-thread state it does keep (the
// last error message) is read right after the failing call, on the same thread.
unsafe impl Send for Model {}
unsafe impl Sync for Model {}

/// What a model is and how it was loaded (`di_model_info`, with the labels).
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct ModelInfo {
    /// C of the `[N, C, H, W]` input (1 for grayscale).
    pub input_channels: usize,
    /// H, pixels.
    pub input_height: usize,
    /// W, pixels.
    pub input_width: usize,
    /// Number of classes, the length of every probabilities vector.
    pub num_classes: usize,
    /// Normalization mean (after /255).
    pub mean: f32,
    /// Normalization standard deviation.
    pub std: f32,
    /// What the forward returns, resolved (never `Auto`).
    pub output_kind: OutputKind,
    /// Whether the file carried metadata (else the SPEC defaults apply).
    pub has_metadata: bool,
    pub name: String,
    /// The engine running the forward pass (never `Auto`).
    pub engine: Engine,
    /// Why `Engine::Auto` fell back to libtorch, or "".
    pub engine_note: String,
    /// Threads a batched call uses when the call does not say (at least 1).
    pub num_threads: usize,
    pub max_pixels: u64,
    pub max_encoded_bytes: u64,
    /// What the compiled-model cache did for this load.
    pub cache: CacheUse,
    pub cache_path: String,
    pub cache_note: String,
    /// The label of each class ("0".."9" for digits).
    pub labels: Vec<String>,
}

impl Model {
    /// Loads a model file with the default options.
    pub fn load(path: impl AsRef<Path>) -> Result<Model> {
        LoadOptions::new().load(path)
    }

    /// Loads a model from its file's bytes with the default options.
    pub fn from_bytes(data: &[u8]) -> Result<Model> {
        LoadOptions::new().load_bytes(data)
    }

    /// Takes ownership of a loaded model (freed on every path, errors included: the empty
    /// description is replaced once the real one is read).
    ///
    /// # Safety
    /// `raw` is a live model that nothing else frees.
    pub(crate) unsafe fn from_raw(raw: NonNull<sys::di_model>) -> Result<Model> {
        let mut model = Model {
            raw,
            info: ModelInfo::default(),
        };
        model.info = model.read_info()?;
        Ok(model)
    }

    fn read_info(&self) -> Result<ModelInfo> {
        // SAFETY: an info struct from di_model_info_default, filled for a live model; its strings are
        // borrowed from the model and copied here.
        unsafe {
            let mut c = sys::di_model_info_default();
            check(sys::di_model_get_info(self.as_raw(), &mut c))?;
            let num_classes = c.num_classes.max(0) as usize;
            let mut labels = Vec::with_capacity(num_classes);
            for index in 0..c.num_classes {
                let mut label = std::ptr::null();
                check(sys::di_model_get_label(self.as_raw(), index, &mut label))?;
                labels.push(string(label));
            }
            Ok(ModelInfo {
                input_channels: c.input_channels.max(0) as usize,
                input_height: c.input_height.max(0) as usize,
                input_width: c.input_width.max(0) as usize,
                num_classes,
                mean: c.mean,
                std: c.std,
                output_kind: OutputKind::from_raw(c.output_kind),
                has_metadata: c.has_metadata != 0,
                name: string(c.name),
                engine: Engine::from_raw(c.engine),
                engine_note: string(c.engine_note),
                num_threads: c.num_threads.max(0) as usize,
                max_pixels: c.max_pixels,
                max_encoded_bytes: c.max_encoded_bytes,
                cache: CacheUse::from_raw(c.cache),
                cache_path: string(c.cache_path),
                cache_note: string(c.cache_note),
                labels,
            })
        }
    }

    /// The model's description.
    pub fn info(&self) -> &ModelInfo {
        &self.info
    }

    /// The label of class `index`, if there is one.
    pub fn label(&self, index: usize) -> Option<&str> {
        self.info.labels.get(index).map(String::as_str)
    }

    /// Writes the model as a `.dimodel` file (loads in milliseconds, without libtorch).
    /// `ErrorCode::Model` when the model does not run on the native engine.
    pub fn export_native(&mut self, path: impl AsRef<Path>) -> Result<()> {
        let path = path_to_c(path.as_ref())?;
        // SAFETY: a live model and a valid C string.
        check(unsafe { sys::di_model_export_native(self.as_raw(), path.as_ptr()) })
    }

    /// The C handle, for calls through [`crate::ffi`]; valid while the model lives. Other threads
    /// may be predicting on it: only the calls the header allows concurrently are safe on it, and
    /// never `di_model_free`.
    pub fn as_raw(&self) -> *const sys::di_model {
        self.raw.as_ptr()
    }

    /// Floats in one input tensor: C x H x W.
    pub(crate) fn tensor_len(&self) -> usize {
        self.info.input_channels * self.info.input_height * self.info.input_width
    }
}

impl Drop for Model {
    fn drop(&mut self) {
        // SAFETY: the model is live and owned; no call can be running on it (we hold it by value).
        unsafe { sys::di_model_free(self.raw.as_ptr()) }
    }
}

impl fmt::Debug for Model {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Model")
            .field("name", &self.info.name)
            .field("engine", &self.info.engine)
            .field(
                "input",
                &[self.info.input_channels, self.info.input_height, self.info.input_width],
            )
            .field("num_classes", &self.info.num_classes)
            .finish()
    }
}
