//! Per-call cost of the Rust binding, measured as bench/bindings/c/overhead.c measures the C API:
//! on one model loaded with one thread, the median and range of ns per call over REPEATS runs of
//! CALLS calls each, for
//!   version  digitinfer::version() (a trivial call: crossing the ABI, plus reading a C string)
//!   info     Model::info() (no call at all: the description is read once, at load)
//!   tensor   Model::predict_tensor on one preprocessed 1x28x28 tensor (with its score rows)
//!   encoded  Model::predict on the bytes of a PNG (with its score rows)
//! each beside, as "rust-ffi", the C call itself made from Rust through digitinfer::ffi (di_version,
//! and overhead.c's three: di_model_get_info, and the predicts writing only the di_prediction),
//! taking turns with it.
//!
//! Usage: overhead_rust MODEL IMAGE [CALLS [REPEATS]]   (defaults 2000, 5)
//! Run:   cargo run --release --manifest-path bench/bindings/rust/Cargo.toml -- \
//!            models/convnet.dimodel examples/images/digit-7.png 2000 5

use std::hint::black_box;
use std::process::ExitCode;
use std::time::Instant;

use digitinfer::{ffi, LoadOptions};

/// Times `calls` calls of each function, `repeats` times, the functions taking turns (so that a
/// busy moment of the machine falls on all of them); prints each one's median and range of ns
/// per call. False if a call failed.
fn run(name: &str, calls: usize, repeats: usize, functions: &mut [(&str, &mut dyn FnMut() -> bool)]) -> bool {
    let mut per_call = vec![Vec::with_capacity(repeats); functions.len()];
    for _ in 0..repeats {
        for ((binding, f), times) in functions.iter_mut().zip(&mut per_call) {
            let start = Instant::now();
            for _ in 0..calls {
                if !f() {
                    eprintln!("{binding} {name}: the call failed");
                    return false;
                }
            }
            times.push(start.elapsed().as_nanos() as f64 / calls as f64);
        }
    }
    for ((binding, _), times) in functions.iter().zip(&mut per_call) {
        times.sort_by(f64::total_cmp);
        println!(
            "{binding:<9}{name:<9}median {:>10.0} ns  range {:.0}-{:.0} ns  ({repeats} x {calls} calls)",
            times[repeats / 2],
            times[0],
            times[repeats - 1]
        );
    }
    true
}

const USAGE: &str = "usage: overhead_rust MODEL IMAGE [CALLS [REPEATS]]";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let number = |i: usize, default: usize| args.get(i).map_or(Some(default), |s| s.parse().ok()).filter(|&n| n > 0);
    let (Some(calls), Some(repeats), 3..=5) = (number(3, 2000), number(4, 5), args.len()) else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    match bench(&args[1], &args[2], calls, repeats) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}

fn bench(model_path: &str, image_path: &str, calls: usize, repeats: usize) -> Result<(), String> {
    let model = LoadOptions::new()
        .num_threads(1)
        .load(model_path)
        .map_err(|e| format!("{model_path}: {e}"))?;
    let image = std::fs::read(image_path).map_err(|e| format!("{image_path}: {e}"))?;
    let tensor = model
        .preprocess(&image)
        .map_err(|e| format!("{image_path}: {e}"))?
        .tensor;

    // The C baseline's calls, made from Rust through the raw declarations, as overhead.c makes them.
    let raw = model.as_raw();
    let ffi_call = |kind: char| {
        let mut prediction = ffi::di_prediction::default();
        // SAFETY: a live model, buffers valid for the call.
        unsafe {
            let mut out = ffi::di_outputs_default();
            out.predictions = &mut prediction;
            let mut info = ffi::di_model_info_default();
            let status = match kind {
                'v' => return !black_box(ffi::di_version()).is_null(),
                'i' => ffi::di_model_get_info(raw, &mut info),
                't' => ffi::di_model_predict_tensor(raw, tensor.as_ptr(), tensor.len(), 1, &out),
                _ => ffi::di_model_predict_encoded(raw, image.as_ptr().cast(), image.len(), &out),
            };
            black_box(prediction);
            status == ffi::DI_OK
        }
    };
    let ok = run(
        "version",
        calls,
        repeats,
        &mut [
            ("rust", &mut || !black_box(digitinfer::version()).is_empty()),
            ("rust-ffi", &mut || ffi_call('v')),
        ],
    ) && run(
        "info",
        calls,
        repeats,
        &mut [
            ("rust", &mut || black_box(model.info()).num_classes > 0),
            ("rust-ffi", &mut || ffi_call('i')),
        ],
    ) && run(
        "tensor",
        calls,
        repeats,
        &mut [
            ("rust", &mut || {
                black_box(model.predict_tensor(black_box(&tensor))).is_ok()
            }),
            ("rust-ffi", &mut || ffi_call('t')),
        ],
    ) && run(
        "encoded",
        calls,
        repeats,
        &mut [
            ("rust", &mut || black_box(model.predict(black_box(&image))).is_ok()),
            ("rust-ffi", &mut || ffi_call('e')),
        ],
    );
    if ok {
        Ok(())
    } else {
        Err("a call failed".into())
    }
}
