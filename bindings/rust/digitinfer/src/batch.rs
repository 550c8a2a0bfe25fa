//! Predicting many images in one batched forward (the C `*_ex` calls): all-or-nothing, or with
//! one result per image; with the model's threads or the caller's.

use std::ffi::c_char;
use std::ptr;

use digitinfer_sys as sys;

use crate::error::{check, string, Error, ErrorCode, Result};
use crate::model::Model;
use crate::predict::{GrayImage, Prediction};

/// Batch calls on a model with a per-call thread count: `model.with_threads(1).predict_batch(&images)`.
#[derive(Debug, Clone, Copy)]
pub struct WithThreads<'m> {
    model: &'m Model,
    num_threads: usize,
}

impl Model {
    /// The batch calls, run on `num_threads` threads (0: the model's `num_threads`).
    pub fn with_threads(&self, num_threads: usize) -> WithThreads<'_> {
        WithThreads {
            model: self,
            num_threads,
        }
    }

    /// Predicts encoded images in one batched forward; the first bad image fails the call.
    pub fn predict_batch<B: AsRef<[u8]>>(&self, images: &[B]) -> Result<Vec<Prediction>> {
        self.with_threads(0).predict_batch(images)
    }

    /// Predicts encoded images in one batched forward, each with its own result: a bad image fails
    /// alone. The outer error is for the call itself (bad options, a failed forward pass).
    pub fn predict_batch_each<B: AsRef<[u8]>>(&self, images: &[B]) -> Result<Vec<Result<Prediction>>> {
        self.with_threads(0).predict_batch_each(images)
    }

    /// Predicts raw grayscale images in one batched forward; the first bad image fails the call.
    pub fn predict_gray_batch(&self, images: &[GrayImage<'_>]) -> Result<Vec<Prediction>> {
        self.with_threads(0).predict_gray_batch(images)
    }

    /// Predicts raw grayscale images, each with its own result.
    pub fn predict_gray_batch_each(&self, images: &[GrayImage<'_>]) -> Result<Vec<Result<Prediction>>> {
        self.with_threads(0).predict_gray_batch_each(images)
    }

    /// Predicts normalized tensors laid back to back (`C x H x W` floats each) in one forward.
    pub fn predict_tensor_batch(&self, tensors: &[f32]) -> Result<Vec<Prediction>> {
        self.with_threads(0).predict_tensor_batch(tensors)
    }

    /// Predicts tensors laid back to back, each with its own result (a non-finite one fails alone).
    pub fn predict_tensor_batch_each(&self, tensors: &[f32]) -> Result<Vec<Result<Prediction>>> {
        self.with_threads(0).predict_tensor_batch_each(tensors)
    }
}

impl WithThreads<'_> {
    /// As [`Model::predict_batch`].
    pub fn predict_batch<B: AsRef<[u8]>>(&self, images: &[B]) -> Result<Vec<Prediction>> {
        all_or_nothing(self.encoded(images, false))
    }

    /// As [`Model::predict_batch_each`].
    pub fn predict_batch_each<B: AsRef<[u8]>>(&self, images: &[B]) -> Result<Vec<Result<Prediction>>> {
        self.encoded(images, true)
    }

    /// As [`Model::predict_gray_batch`].
    pub fn predict_gray_batch(&self, images: &[GrayImage<'_>]) -> Result<Vec<Prediction>> {
        let c = images.iter().map(|image| image.checked()).collect::<Result<Vec<_>>>()?;
        all_or_nothing(self.gray(&c, false))
    }

    /// As [`Model::predict_gray_batch_each`]: an image whose geometry does not fit its slice is
    /// left out of the call and gets its own `InvalidArgument`.
    pub fn predict_gray_batch_each(&self, images: &[GrayImage<'_>]) -> Result<Vec<Result<Prediction>>> {
        let checked: Vec<Result<sys::di_gray_image>> = images.iter().map(|image| image.checked()).collect();
        let valid: Vec<sys::di_gray_image> = checked.iter().filter_map(|c| c.as_ref().ok().copied()).collect();
        let mut predicted = self.gray(&valid, true)?.into_iter();
        Ok(checked
            .into_iter()
            .map(|c| c.and_then(|_| predicted.next().expect("one result per image")))
            .collect())
    }

    /// As [`Model::predict_tensor_batch`].
    pub fn predict_tensor_batch(&self, tensors: &[f32]) -> Result<Vec<Prediction>> {
        all_or_nothing(self.tensors(tensors, false))
    }

    /// As [`Model::predict_tensor_batch_each`].
    pub fn predict_tensor_batch_each(&self, tensors: &[f32]) -> Result<Vec<Result<Prediction>>> {
        self.tensors(tensors, true)
    }

    fn encoded<B: AsRef<[u8]>>(&self, images: &[B], each: bool) -> Result<Vec<Result<Prediction>>> {
        let c: Vec<sys::di_encoded_image> = images
            .iter()
            .map(|image| sys::di_encoded_image {
                data: image.as_ref().as_ptr().cast(),
                size: image.as_ref().len(),
            })
            .collect();
        self.run(c.len(), each, |model, opts, results| {
            // SAFETY: every image borrows a slice that outlives the call.
            unsafe { sys::di_model_predict_encoded_ex(model, c.as_ptr(), c.len(), opts, results) }
        })
    }

    fn gray(&self, images: &[sys::di_gray_image], each: bool) -> Result<Vec<Result<Prediction>>> {
        self.run(images.len(), each, |model, opts, results| {
            // SAFETY: every image was checked to lie inside its borrowed slice.
            unsafe { sys::di_model_predict_gray_ex(model, images.as_ptr(), images.len(), opts, results) }
        })
    }

    fn tensors(&self, tensors: &[f32], each: bool) -> Result<Vec<Result<Prediction>>> {
        let size = self.model.tensor_len();
        if size == 0 || tensors.len() % size != 0 {
            let info = self.model.info();
            return Err(Error::invalid_argument(format!(
                "{} floats are not a whole number of {}x{}x{} tensors",
                tensors.len(),
                info.input_channels,
                info.input_height,
                info.input_width
            )));
        }
        let count = tensors.len() / size;
        self.run(count, each, |model, opts, results| {
            // SAFETY: the library reads `tensors.len()` floats.
            unsafe { sys::di_model_predict_tensor_ex(model, tensors.as_ptr(), tensors.len(), count, opts, results) }
        })
    }

    /// One `*_ex` call on `count` images, into buffers sized for them; with `each`, per-image
    /// statuses and messages (copied at once: they live until the thread's next call).
    fn run(
        &self,
        count: usize,
        each: bool,
        call: impl FnOnce(*const sys::di_model, *const sys::di_predict_options, *const sys::di_results) -> sys::di_status,
    ) -> Result<Vec<Result<Prediction>>> {
        let num_threads = i32::try_from(self.num_threads).map_err(|_| {
            Error::invalid_argument(format!("num_threads {} does not fit an int32_t", self.num_threads))
        })?;
        if count == 0 {
            return Ok(Vec::new());
        }
        if count > sys::DI_MAX_BATCH {
            // Refused before allocating scores for it; the library refuses it too.
            return Err(Error::invalid_argument(format!(
                "{count} images: at most {} per call",
                sys::DI_MAX_BATCH
            )));
        }
        let classes = self.model.info().num_classes;
        let mut predictions = vec![sys::di_prediction::default(); count];
        let mut probabilities = vec![0f32; count * classes];
        let mut log_probabilities = vec![0f32; count * classes];
        let mut statuses: Vec<sys::di_status> = vec![sys::DI_OK; if each { count } else { 0 }];
        let mut messages: Vec<*const c_char> = vec![ptr::null(); if each { count } else { 0 }];
        // SAFETY: plain structs by value.
        let (mut opts, mut results) = unsafe { (sys::di_predict_options_default(), sys::di_results_default()) };
        opts.num_threads = num_threads;
        results.predictions = predictions.as_mut_ptr();
        results.probabilities = probabilities.as_mut_ptr();
        results.log_probabilities = log_probabilities.as_mut_ptr();
        results.scores_capacity = count * classes;
        if each {
            results.statuses = statuses.as_mut_ptr();
            results.messages = messages.as_mut_ptr();
        }
        check(call(self.model.as_raw(), &opts, &results))?;
        let rows = |scores: &[f32], i: usize| scores[i * classes..(i + 1) * classes].to_vec();
        Ok((0..count)
            .map(|i| match statuses.get(i).copied().and_then(ErrorCode::from_raw) {
                // SAFETY: messages[i] is "" or the image's message, valid until this thread's next call.
                Some(code) => Err(Error::new(code, unsafe { string(messages[i]) })),
                None => Ok(Prediction::new(
                    predictions[i],
                    rows(&probabilities, i),
                    rows(&log_probabilities, i),
                )),
            })
            .collect())
    }
}

/// The predictions of a call without per-image statuses (where every image succeeded).
fn all_or_nothing(results: Result<Vec<Result<Prediction>>>) -> Result<Vec<Prediction>> {
    results?.into_iter().collect()
}
