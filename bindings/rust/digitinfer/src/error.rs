//! Errors: the C status code and the library's message.

use std::ffi::{c_char, CStr};
use std::fmt;

use digitinfer_sys as sys;

/// The `di_status` of a failed call. Values the library adds after this crate was written come
/// back as `Other`, as the header asks ("treat any unknown nonzero value as an error").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCode {
    /// `DI_ERR_INVALID_ARGUMENT`: a bad option, size, geometry or name.
    InvalidArgument,
    /// `DI_ERR_IO`: a file could not be opened or read.
    Io,
    /// `DI_ERR_DECODE`: the image bytes are corrupt, truncated, too large or of an unknown format.
    Decode,
    /// `DI_ERR_MODEL`: not a usable model file, or no plugin for it.
    Model,
    /// `DI_ERR_OUT_OF_MEMORY`.
    OutOfMemory,
    /// `DI_ERR_BUFFER_TOO_SMALL`.
    BufferTooSmall,
    /// `DI_ERR_INFERENCE`: the forward pass failed.
    Inference,
    /// `DI_ERR_INTERNAL`: a bug in the library.
    Internal,
    /// A status this crate does not know.
    Other(i32),
}

impl ErrorCode {
    /// The code of a nonzero `di_status`; `None` for `DI_OK`.
    pub fn from_raw(status: i32) -> Option<ErrorCode> {
        Some(match status {
            sys::DI_OK => return None,
            sys::DI_ERR_INVALID_ARGUMENT => ErrorCode::InvalidArgument,
            sys::DI_ERR_IO => ErrorCode::Io,
            sys::DI_ERR_DECODE => ErrorCode::Decode,
            sys::DI_ERR_MODEL => ErrorCode::Model,
            sys::DI_ERR_OUT_OF_MEMORY => ErrorCode::OutOfMemory,
            sys::DI_ERR_BUFFER_TOO_SMALL => ErrorCode::BufferTooSmall,
            sys::DI_ERR_INFERENCE => ErrorCode::Inference,
            sys::DI_ERR_INTERNAL => ErrorCode::Internal,
            other => ErrorCode::Other(other),
        })
    }

    /// The `di_status` value.
    pub fn raw(self) -> i32 {
        match self {
            ErrorCode::InvalidArgument => sys::DI_ERR_INVALID_ARGUMENT,
            ErrorCode::Io => sys::DI_ERR_IO,
            ErrorCode::Decode => sys::DI_ERR_DECODE,
            ErrorCode::Model => sys::DI_ERR_MODEL,
            ErrorCode::OutOfMemory => sys::DI_ERR_OUT_OF_MEMORY,
            ErrorCode::BufferTooSmall => sys::DI_ERR_BUFFER_TOO_SMALL,
            ErrorCode::Inference => sys::DI_ERR_INFERENCE,
            ErrorCode::Internal => sys::DI_ERR_INTERNAL,
            ErrorCode::Other(status) => status,
        }
    }

    /// The C constant's name, as `di_status_string` spells it ("DI_ERR_DECODE").
    pub fn name(self) -> String {
        // SAFETY: di_status_string takes any value and never returns NULL.
        unsafe { string(sys::di_status_string(self.raw())) }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

/// A failed call: its status code and the library's message (or the binding's, for the few checks
/// made on the Rust side, such as a pixel slice shorter than its geometry or an unreadable file).
///
/// Displays as `DI_ERR_DECODE (-3): <message>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    code: ErrorCode,
    message: String,
}

/// `Result<T, digitinfer::Error>`.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An error with the given code and message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Error {
        Error {
            code,
            message: message.into(),
        }
    }

    /// The status code.
    pub fn code(&self) -> ErrorCode {
        self.code
    }

    /// What went wrong, in the library's words.
    pub fn message(&self) -> &str {
        &self.message
    }

    pub(crate) fn invalid_argument(message: impl Into<String>) -> Error {
        Error::new(ErrorCode::InvalidArgument, message)
    }

    /// The error of a call that just returned `status` on this thread (`di_last_error_message` is
    /// per thread and lives until the thread's next call, so it is read at once).
    fn last(status: i32) -> Error {
        let code = ErrorCode::from_raw(status).unwrap_or(ErrorCode::Internal);
        // SAFETY: di_last_error_message never returns NULL.
        Error::new(code, unsafe { string(sys::di_last_error_message()) })
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}): {}", self.code, self.code.raw(), self.message)
    }
}

impl std::error::Error for Error {}

/// `Ok(())` for `DI_OK`, else the thread's last error.
pub(crate) fn check(status: sys::di_status) -> Result<()> {
    if status == sys::DI_OK {
        Ok(())
    } else {
        Err(Error::last(status))
    }
}

/// Copies a C string the library owns; NULL reads as "".
///
/// # Safety
/// `s` is NULL or points to a NUL-terminated string valid for the duration of the call.
pub(crate) unsafe fn string(s: *const c_char) -> String {
    if s.is_null() {
        String::new()
    } else {
        CStr::from_ptr(s).to_string_lossy().into_owned()
    }
}
