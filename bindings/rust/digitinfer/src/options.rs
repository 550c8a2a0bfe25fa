//! Load options: a builder over `di_load_options`.

use std::ffi::CString;
use std::path::{Path, PathBuf};
use std::ptr::{self, NonNull};
use std::time::Duration;

use digitinfer_sys as sys;

use crate::error::{check, Error, Result};
use crate::kinds::{Engine, OutputKind};
use crate::model::Model;

/// How to load a model; the defaults are the library's (`di_load_options_default`).
///
/// ```no_run
/// use digitinfer::{Engine, LoadOptions};
/// let model = LoadOptions::new().engine(Engine::Native).num_threads(1).load("models/convnet.dimodel")?;
/// # Ok::<(), digitinfer::Error>(())
/// ```
///
/// Values the library finds out of range (a `max_pixels` of 0, say) fail the load with
/// [`ErrorCode::InvalidArgument`](crate::ErrorCode::InvalidArgument).
#[derive(Debug, Clone, PartialEq)]
pub struct LoadOptions {
    num_threads: usize,
    output_kind: OutputKind,
    engine: Engine,
    max_pixels: u64,
    max_encoded_bytes: u64,
    cache_dir: Option<PathBuf>,
    flags: u32,
    max_jpeg_scans: u32,
    torch_time_limit_ms: u32,
    torch_memory_limit_bytes: u64,
}

impl Default for LoadOptions {
    fn default() -> LoadOptions {
        LoadOptions::new()
    }
}

impl LoadOptions {
    /// The library's defaults: all cores, the model's output kind, the auto engine, the largest limits.
    pub fn new() -> LoadOptions {
        crate::check_library();
        // SAFETY: returns a plain struct by value.
        let d = unsafe { sys::di_load_options_default() };
        LoadOptions {
            num_threads: d.num_threads.max(0) as usize,
            output_kind: OutputKind::from_raw(d.output_kind),
            engine: Engine::from_raw(d.engine),
            max_pixels: d.max_pixels,
            max_encoded_bytes: d.max_encoded_bytes,
            cache_dir: None,
            flags: d.flags,
            max_jpeg_scans: d.max_jpeg_scans,
            torch_time_limit_ms: d.torch_time_limit_ms,
            torch_memory_limit_bytes: d.torch_memory_limit_bytes,
        }
    }

    /// Threads one batched call uses; 0 (the default) = all cores. A server predicting from many
    /// threads at once should load with 1.
    pub fn num_threads(mut self, threads: usize) -> Self {
        self.num_threads = threads;
        self
    }

    /// What the model's forward returns; `OutputKind::Auto` (the default) = its metadata, else detected.
    pub fn output_kind(mut self, kind: OutputKind) -> Self {
        self.output_kind = kind;
        self
    }

    /// Which engine runs the forward pass (default `Engine::Auto`).
    pub fn engine(mut self, engine: Engine) -> Self {
        self.engine = engine;
        self
    }

    /// Largest image (width x height) a predict call accepts, in `[1, DEFAULT_MAX_PIXELS]`.
    pub fn max_pixels(mut self, pixels: u64) -> Self {
        self.max_pixels = pixels;
        self
    }

    /// Largest encoded image file accepted, in `[1, DEFAULT_MAX_ENCODED_BYTES]`.
    pub fn max_encoded_bytes(mut self, bytes: u64) -> Self {
        self.max_encoded_bytes = bytes;
        self
    }

    /// The compiled-model cache's directory (default: `$DIGITINFER_CACHE_DIR`, else the user's cache).
    pub fn cache_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.cache_dir = Some(dir.into());
        self
    }

    /// Turns the compiled-model cache off for this load.
    pub fn no_cache(self) -> Self {
        self.cache_dir("")
    }

    /// Marks the model file as trusted code (`DI_LOAD_TRUSTED_MODEL`): a TorchScript file may then
    /// run any operator libtorch has, file access included. Only for files you would run as a program.
    pub fn trusted_model(mut self, trusted: bool) -> Self {
        if trusted {
            self.flags |= sys::DI_LOAD_TRUSTED_MODEL;
        } else {
            self.flags &= !sys::DI_LOAD_TRUSTED_MODEL;
        }
        self
    }

    /// Most scans a progressive JPEG may have, in `[1, MAX_JPEG_SCANS]` (default 100).
    pub fn max_jpeg_scans(mut self, scans: u32) -> Self {
        self.max_jpeg_scans = scans;
        self
    }

    /// Wall time one libtorch forward may take; `None` = no limit (default 30 s). Rounded up to
    /// whole milliseconds, at most `u32::MAX` of them.
    pub fn torch_time_limit(mut self, limit: Option<Duration>) -> Self {
        self.torch_time_limit_ms = match limit {
            None => 0,
            Some(d) => u32::try_from(d.as_nanos().div_ceil(1_000_000))
                .unwrap_or(u32::MAX)
                .max(1),
        };
        self
    }

    /// Bytes one libtorch forward may allocate at once; `None` = no limit (default 2 GiB).
    pub fn torch_memory_limit(mut self, bytes: Option<u64>) -> Self {
        self.torch_memory_limit_bytes = bytes.unwrap_or(0);
        self
    }

    /// Loads a model file: a `.dimodel`, or TorchScript through the libtorch plugin.
    pub fn load(&self, path: impl AsRef<Path>) -> Result<Model> {
        let path = path.as_ref();
        let c_path = path_to_c(path)?;
        self.with_raw(|opts, out| {
            // SAFETY: a valid C string, options valid for the call, an out pointer.
            unsafe { sys::di_model_load_file(c_path.as_ptr(), opts, out) }
        })
    }

    /// Loads a model from its file's bytes (copied by the library).
    pub fn load_bytes(&self, data: &[u8]) -> Result<Model> {
        self.with_raw(|opts, out| {
            // SAFETY: the slice is valid for the call; the library copies it.
            unsafe { sys::di_model_load_memory(data.as_ptr().cast(), data.len(), opts, out) }
        })
    }

    /// Runs a load call with the C options; wraps the model it returns.
    fn with_raw(
        &self,
        load: impl FnOnce(*const sys::di_load_options, *mut *mut sys::di_model) -> sys::di_status,
    ) -> Result<Model> {
        let num_threads = i32::try_from(self.num_threads).map_err(|_| {
            Error::invalid_argument(format!("num_threads {} does not fit an int32_t", self.num_threads))
        })?;
        let cache_dir = self.cache_dir.as_deref().map(path_to_c).transpose()?;
        // SAFETY: returns a plain struct by value; every field is then set.
        let mut raw = unsafe { sys::di_load_options_default() };
        raw.num_threads = num_threads;
        raw.output_kind = self.output_kind.raw();
        raw.engine = self.engine.raw();
        raw.max_pixels = self.max_pixels;
        raw.max_encoded_bytes = self.max_encoded_bytes;
        raw.cache_dir = cache_dir.as_ref().map_or(ptr::null(), |c| c.as_ptr());
        raw.flags = self.flags;
        raw.max_jpeg_scans = self.max_jpeg_scans;
        raw.torch_time_limit_ms = self.torch_time_limit_ms;
        raw.torch_memory_limit_bytes = self.torch_memory_limit_bytes;
        let mut out = ptr::null_mut();
        check(load(&raw, &mut out))?;
        let handle = NonNull::new(out).ok_or_else(|| Error::new(crate::ErrorCode::Internal, "load gave no model"))?;
        // SAFETY: a live model the caller now owns.
        unsafe { Model::from_raw(handle) }
    }
}

/// A path as the C string the library opens; a NUL inside cannot be passed.
pub(crate) fn path_to_c(path: &Path) -> Result<CString> {
    #[cfg(unix)]
    let bytes = std::os::unix::ffi::OsStrExt::as_bytes(path.as_os_str()).to_vec();
    #[cfg(not(unix))]
    let bytes = path
        .to_str()
        .ok_or_else(|| Error::invalid_argument(format!("{} is not valid UTF-8", path.display())))?
        .as_bytes()
        .to_vec();
    CString::new(bytes).map_err(|_| Error::invalid_argument(format!("{:?} holds a NUL byte", path)))
}
