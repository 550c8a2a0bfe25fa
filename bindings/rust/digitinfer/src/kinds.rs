//! The C enums the API takes and returns: engines, output kinds, cache outcomes.

use std::ffi::CString;
use std::fmt;
use std::str::FromStr;

use digitinfer_sys as sys;

use crate::error::{check, Error, Result};

/// A Rust enum over a C enum, with an `Other` variant for values added to the library later.
macro_rules! c_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $value:path, $text:literal;)* }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
        #[non_exhaustive]
        pub enum $name {
            $($(#[$vdoc])* $variant,)*
            /// A value this crate does not know (from a newer library), or any value to pass through.
            Other(i32),
        }

        impl $name {
            /// The variant of a C value.
            pub fn from_raw(value: i32) -> $name {
                match value {
                    $($value => $name::$variant,)*
                    other => $name::Other(other),
                }
            }

            /// The C value.
            pub fn raw(self) -> i32 {
                match self {
                    $($name::$variant => $value,)*
                    $name::Other(value) => value,
                }
            }

            /// The name the C library gives it; "unknown" for `Other`.
            pub fn name(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)*
                    $name::Other(_) => "unknown",
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.name())
            }
        }
    };
}

c_enum! {
    /// Which implementation runs the forward pass (`di_engine`).
    Engine {
        /// Native when it supports the graph and agrees with libtorch, else libtorch (the default).
        #[default]
        Auto = sys::DI_ENGINE_AUTO, "auto";
        /// DigitInfer's own kernels; loading fails if the graph is unsupported.
        Native = sys::DI_ENGINE_NATIVE, "native";
        /// libtorch on the frozen, optimized module.
        Libtorch = sys::DI_ENGINE_LIBTORCH, "libtorch";
        /// libtorch on the module exactly as loaded.
        LibtorchReference = sys::DI_ENGINE_LIBTORCH_REFERENCE, "reference";
    }
}

c_enum! {
    /// What the model's forward returns (`di_output_kind`); predictions are probabilities whatever it is.
    OutputKind {
        /// From the model's metadata, else detected at load time (the default).
        #[default]
        Auto = sys::DI_OUTPUT_AUTO, "auto";
        LogProbabilities = sys::DI_OUTPUT_LOG_PROBABILITIES, "log_probabilities";
        Logits = sys::DI_OUTPUT_LOGITS, "logits";
        Probabilities = sys::DI_OUTPUT_PROBABILITIES, "probabilities";
    }
}

c_enum! {
    /// What the compiled-model cache did for one load (`di_cache_use`).
    CacheUse {
        #[default]
        NotUsed = sys::DI_CACHE_NOT_USED, "not_used";
        Hit = sys::DI_CACHE_HIT, "hit";
        Stored = sys::DI_CACHE_STORED, "stored";
        NotStored = sys::DI_CACHE_NOT_STORED, "not_stored";
    }
}

/// A name as a C string; one with a NUL inside is a name no enum has.
fn c_name(name: &str) -> Result<CString> {
    CString::new(name).map_err(|_| Error::invalid_argument(format!("{name:?} holds a NUL byte")))
}

/// Parses the names `di_engine_from_name` knows ("auto", "native", "libtorch", "reference").
impl FromStr for Engine {
    type Err = Error;

    fn from_str(name: &str) -> Result<Engine> {
        let name = c_name(name)?;
        let mut value = 0;
        // SAFETY: a valid C string and an out pointer to a live c_int.
        check(unsafe { sys::di_engine_from_name(name.as_ptr(), &mut value) })?;
        Ok(Engine::from_raw(value))
    }
}

/// Parses the names `di_output_kind_from_name` knows, its aliases "log_softmax" and "softmax" too.
impl FromStr for OutputKind {
    type Err = Error;

    fn from_str(name: &str) -> Result<OutputKind> {
        let name = c_name(name)?;
        let mut value = 0;
        // SAFETY: as above.
        check(unsafe { sys::di_output_kind_from_name(name.as_ptr(), &mut value) })?;
        Ok(OutputKind::from_raw(value))
    }
}
