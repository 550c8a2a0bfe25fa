//! Predicting one image: encoded bytes, a file, raw gray pixels or a tensor; preprocessing only.

use std::path::Path;

use digitinfer_sys as sys;

use crate::error::{check, Error, ErrorCode, Result};
use crate::model::Model;

/// The result for one image.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Prediction {
    /// The most probable class: the digit itself for the shipped models (its label: [`Model::label`]).
    pub digit: usize,
    /// Its probability, in [0, 1].
    pub probability: f32,
    /// Every class's probability (`num_classes` of them, summing to 1).
    pub probabilities: Vec<f32>,
    /// Their natural logarithms, computed by the library (finite where a probability rounds to 0).
    pub log_probabilities: Vec<f32>,
}

impl Prediction {
    /// The `k` most probable classes with their probabilities, most probable first (all of them
    /// when `k` is larger than the class count).
    pub fn top_k(&self, k: usize) -> Vec<(usize, f32)> {
        let mut ranked: Vec<(usize, f32)> = self.probabilities.iter().copied().enumerate().collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        ranked.truncate(k);
        ranked
    }

    /// Builds a prediction from the C result and its rows of scores.
    pub(crate) fn new(c: sys::di_prediction, probabilities: Vec<f32>, log_probabilities: Vec<f32>) -> Prediction {
        Prediction {
            digit: c.class_index.max(0) as usize,
            probability: c.probability,
            probabilities,
            log_probabilities,
        }
    }
}

/// A raw 8-bit grayscale image, row-major, 0 = black, borrowed from the caller.
///
/// Its rows are `stride` bytes apart (default: `width`); the slice must hold
/// `stride * (height - 1) + width` bytes, which every predict call checks before the library
/// reads anything (else `ErrorCode::InvalidArgument`). Any size is accepted: it is resized like an
/// encoded image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GrayImage<'a> {
    pixels: &'a [u8],
    width: usize,
    height: usize,
    stride: usize,
}

impl<'a> GrayImage<'a> {
    /// `width x height` pixels, rows back to back.
    pub fn new(pixels: &'a [u8], width: usize, height: usize) -> GrayImage<'a> {
        GrayImage {
            pixels,
            width,
            height,
            stride: width,
        }
    }

    /// The same pixels with rows `stride` bytes apart (`stride >= width`).
    pub fn with_stride(self, stride: usize) -> GrayImage<'a> {
        GrayImage { stride, ..self }
    }

    pub fn pixels(&self) -> &'a [u8] {
        self.pixels
    }

    pub fn width(&self) -> usize {
        self.width
    }

    pub fn height(&self) -> usize {
        self.height
    }

    pub fn stride(&self) -> usize {
        self.stride
    }

    /// The C view, once the geometry is known to lie inside the slice (the library reads
    /// `stride * (height - 1) + width` bytes and cannot know the slice's length).
    pub(crate) fn checked(self) -> Result<sys::di_gray_image> {
        let too_large = |what: &str, v: usize| Error::invalid_argument(format!("{what} {v} does not fit an int32_t"));
        let width = i32::try_from(self.width).map_err(|_| too_large("width", self.width))?;
        let height = i32::try_from(self.height).map_err(|_| too_large("height", self.height))?;
        if self.width == 0 || self.height == 0 || self.stride < self.width {
            return Err(Error::invalid_argument(format!(
                "gray image {}x{} with stride {}: width and height must be > 0 and stride >= width",
                self.width, self.height, self.stride
            )));
        }
        let span = self
            .stride
            .checked_mul(self.height - 1)
            .and_then(|n| n.checked_add(self.width));
        if span.map_or(true, |span| span > self.pixels.len()) {
            return Err(Error::invalid_argument(format!(
                "gray image {}x{} with stride {} needs {} bytes, the slice has {}",
                self.width,
                self.height,
                self.stride,
                span.map_or("more than usize::MAX".to_string(), |n| n.to_string()),
                self.pixels.len()
            )));
        }
        Ok(sys::di_gray_image {
            pixels: self.pixels.as_ptr(),
            width,
            height,
            stride: self.stride,
        })
    }
}

/// What the model sees of an image: the resized `H x W` gray image and its normalized tensor.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Preprocessed {
    /// `H x W` bytes, row-major.
    pub image: Vec<u8>,
    /// `C x H x W` floats, as [`Model::predict_tensor`] takes them.
    pub tensor: Vec<f32>,
}

impl Model {
    /// Predicts one encoded image file held in memory (PNG, JPEG, BMP, GIF, PGM/PPM, TGA).
    pub fn predict(&self, encoded: &[u8]) -> Result<Prediction> {
        self.predict_one(|model, out| {
            // SAFETY: the slice is valid for the call.
            unsafe { sys::di_model_predict_encoded(model, encoded.as_ptr().cast(), encoded.len(), out) }
        })
    }

    /// Reads an image file and predicts it; an unreadable file is `ErrorCode::Io`.
    pub fn predict_file(&self, path: impl AsRef<Path>) -> Result<Prediction> {
        self.predict(&read_image(path.as_ref())?)
    }

    /// Predicts one raw grayscale image.
    pub fn predict_gray(&self, image: &GrayImage<'_>) -> Result<Prediction> {
        let c = image.checked()?;
        self.predict_one(|model, out| {
            // SAFETY: `c` lies inside the borrowed slice (checked by `checked`).
            unsafe { sys::di_model_predict_gray(model, &c, out) }
        })
    }

    /// Predicts one normalized `C x H x W` float tensor (exactly that many floats).
    pub fn predict_tensor(&self, tensor: &[f32]) -> Result<Prediction> {
        self.predict_one(|model, out| {
            // SAFETY: the library reads `tensor.len()` floats at most (and refuses any other count
            // than C x H x W).
            unsafe { sys::di_model_predict_tensor(model, tensor.as_ptr(), tensor.len(), 1, out) }
        })
    }

    /// Runs only the preprocessing of an encoded image: decode, grayscale, resize, normalize.
    pub fn preprocess(&self, encoded: &[u8]) -> Result<Preprocessed> {
        let mut image = vec![0u8; self.info().input_height * self.info().input_width];
        let mut tensor = vec![0f32; self.tensor_len()];
        // SAFETY: both buffers are as long as the capacities passed.
        check(unsafe {
            sys::di_model_preprocess_encoded(
                self.as_raw(),
                encoded.as_ptr().cast(),
                encoded.len(),
                image.as_mut_ptr(),
                image.len(),
                tensor.as_mut_ptr(),
                tensor.len(),
            )
        })?;
        Ok(Preprocessed { image, tensor })
    }

    /// One image's call into the library, with room for its scores.
    fn predict_one(
        &self,
        call: impl FnOnce(*const sys::di_model, *const sys::di_outputs) -> sys::di_status,
    ) -> Result<Prediction> {
        let classes = self.info().num_classes;
        let mut prediction = sys::di_prediction::default();
        let mut probabilities = vec![0f32; classes];
        let mut log_probabilities = vec![0f32; classes];
        let out = sys::di_outputs {
            predictions: &mut prediction,
            probabilities: probabilities.as_mut_ptr(),
            log_probabilities: log_probabilities.as_mut_ptr(),
            scores_capacity: classes,
        };
        check(call(self.as_raw(), &out))?;
        Ok(Prediction::new(prediction, probabilities, log_probabilities))
    }
}

/// The bytes of an image file, with the path in the error.
pub(crate) fn read_image(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| Error::new(ErrorCode::Io, format!("{}: {e}", path.display())))
}
