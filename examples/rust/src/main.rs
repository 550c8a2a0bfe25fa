//! Predicts the digit in each image file with the DigitInfer Rust binding.
//!
//! Usage: predict_rust [--model MODEL] IMAGE...
//! MODEL defaults to models/convnet.dimodel (run from the repository root): a compiled model,
//! which loads in milliseconds without libtorch.

use std::process::ExitCode;

use digitinfer::Model;

const DEFAULT_MODEL: &str = "models/convnet.dimodel";

fn main() -> ExitCode {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let model_path = match args.first().map(String::as_str) {
        Some("--model") if args.len() > 1 => args.drain(..2).nth(1).unwrap(),
        _ => DEFAULT_MODEL.to_string(),
    };
    if args.is_empty() || args[0].starts_with("--") {
        eprintln!("usage: predict_rust [--model MODEL] IMAGE...\n  MODEL: a .dimodel or TorchScript file (default {DEFAULT_MODEL})");
        return ExitCode::from(2);
    }
    let model = match Model::load(&model_path) {
        Ok(model) => model,
        Err(e) => {
            eprintln!("{model_path}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut failures = 0;
    for path in &args {
        match model.predict_file(path) {
            Ok(p) => println!(
                "{path}: {} (p={:.4})",
                model.label(p.digit).unwrap_or("?"),
                p.probability
            ),
            Err(e) => {
                eprintln!("{path}: {e}");
                failures += 1;
            }
        }
    }
    if failures == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
