//! Parity with the Python reference pipeline: tests/data/golden.json (tools/make_golden.py), on every
//! golden image: the digit, the probabilities within 1e-5, the log-probabilities, and the
//! preprocessed image byte for byte.

mod common;

use common::*;
use digitinfer::Model;

/// Checks every golden case of `model_name` on `model`; returns how many were checked.
fn check_cases(model_name: &str, model: &Model) -> usize {
    let cases = golden_of(model_name);
    let mut failures = Vec::new();
    for case in &cases {
        let data = read(&case.image);
        let p = model.predict(&data).unwrap_or_else(|e| panic!("{}: {e}", case.image));
        let mut problems = Vec::new();
        if p.digit != case.digit {
            problems.push(format!("digit {} (reference {})", p.digit, case.digit));
        }
        if let Some(e) = close(&p.probabilities, &case.probabilities, 1e-5, 0.0) {
            problems.push(format!("probabilities {e}"));
        }
        if let Some(e) = close(&p.log_probabilities, &case.log_probabilities, 1e-4, 1e-5) {
            problems.push(format!("log_probabilities {e}"));
        }
        let pre = model.preprocess(&data).unwrap();
        if pre.image != case.preprocessed {
            let first = pre.image.iter().zip(&case.preprocessed).position(|(a, b)| a != b);
            problems.push(format!("preprocessed image differs (first at {first:?})"));
        }
        if !problems.is_empty() {
            failures.push(format!("{} @ {}: {}", case.image, model_name, problems.join("; ")));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    cases.len()
}

#[test]
fn the_compiled_model_matches_the_reference_on_every_golden_image() {
    // The .dimodel is the shipped TorchScript models compiled for the native engine, and predicts
    // as they do there: it answers for both of their golden sets, with or without libtorch.
    let checked = check_cases(SCRIPTED, compiled()) + check_cases(TRACED, compiled());
    assert!(checked >= 2 * 48, "only {checked} golden cases for the shipped models");
}

#[test]
fn every_golden_model_matches_the_reference() {
    let models: std::collections::BTreeSet<&str> = golden().iter().map(|c| c.model.as_str()).collect();
    assert!(models.len() >= 7, "{models:?}");
    if !with_torch() {
        let left_out = golden().iter().filter(|c| c.model.ends_with(".pt")).count();
        return skip(&format!(
            "needs the libtorch plugin: the {left_out} golden cases of TorchScript models"
        ));
    }
    let mut checked = 0;
    for name in models {
        checked += check_cases(name, model(name));
    }
    assert_eq!(checked, golden().len());
}

#[test]
fn the_golden_file_covers_the_examples_with_both_shipped_models() {
    for image in [DIGIT_7, DIGIT_2] {
        for model in [SCRIPTED, TRACED] {
            assert!(
                golden().iter().any(|c| c.image == image && c.model == model),
                "{image} @ {model}"
            );
        }
    }
    assert_eq!(compiled().predict(&read(DIGIT_7)).unwrap().digit, 7);
    assert_eq!(compiled().predict(&read(DIGIT_2)).unwrap().digit, 2);
}
