//! What the tests share: the repository's files, the golden values, and whether the library under
//! test has the libtorch plugin.
#![allow(dead_code)] // each test file uses part of this

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use digitinfer::{ErrorCode, LoadOptions, Model, Prediction};

/// The repository root: bindings/rust/digitinfer/../../..
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../..")
        .canonicalize()
        .unwrap()
}

pub fn repo(path: &str) -> PathBuf {
    root().join(path)
}

pub fn read(path: &str) -> Vec<u8> {
    std::fs::read(repo(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

pub const DIMODEL: &str = "models/convnet.dimodel";
pub const SCRIPTED: &str = "models/convnet.scripted.pt";
pub const TRACED: &str = "models/convnet.traced.pt";
pub const DIGIT_7: &str = "examples/images/digit-7.png";
pub const DIGIT_2: &str = "examples/images/digit-2.png";
pub const CORRUPT: &str = "tests/data/bad/corrupt.png";

/// Every image the golden file covers with the default model, and the examples (relative paths).
pub fn images() -> Vec<String> {
    let mut images: Vec<String> = std::fs::read_dir(repo("tests/data/images"))
        .unwrap()
        .map(|e| format!("tests/data/images/{}", e.unwrap().file_name().to_str().unwrap()))
        .collect();
    images.sort();
    images.extend([DIGIT_2.to_string(), DIGIT_7.to_string()]);
    images
}

/// A scratch directory of the test run (outside the source tree), for caches and exports.
pub fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The compiled model, loaded once for the whole test binary with one thread per call.
pub fn compiled() -> &'static Model {
    static MODEL: OnceLock<Model> = OnceLock::new();
    MODEL.get_or_init(|| {
        LoadOptions::new()
            .num_threads(1)
            .load(repo(DIMODEL))
            .expect("loading the .dimodel")
    })
}

/// The model at `path` (relative), loaded once, with the compiled-model cache off (so that a
/// TorchScript file goes through libtorch on every run).
pub fn model(path: &str) -> &'static Model {
    static MODELS: OnceLock<Mutex<HashMap<String, &'static Model>>> = OnceLock::new();
    let mut models = MODELS.get_or_init(Default::default).lock().unwrap();
    models.entry(path.to_string()).or_insert_with(|| {
        let model = LoadOptions::new().no_cache().load(repo(path));
        Box::leak(Box::new(model.unwrap_or_else(|e| panic!("loading {path}: {e}"))))
    })
}

const NO_PLUGIN: &str = "libtorch plugin is not installed";

/// Whether the library loads TorchScript files. `DIGITINFER_WITH_TORCH=1` or `0` says what the build
/// under test must be (and the tests fail if it is not, rather than skip what they should test);
/// unset, the library is asked.
pub fn with_torch() -> bool {
    static WITH_TORCH: OnceLock<bool> = OnceLock::new();
    *WITH_TORCH.get_or_init(|| {
        let probed = match LoadOptions::new().no_cache().load(repo(TRACED)) {
            Ok(_) => true,
            Err(e) if e.code() == ErrorCode::Model && e.message().contains(NO_PLUGIN) => false,
            Err(_) => true, // the tests that load TorchScript then show the error
        };
        match std::env::var("DIGITINFER_WITH_TORCH")
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase()
            .as_str()
        {
            "" => probed,
            "1" | "on" | "true" | "yes" => {
                assert!(
                    probed,
                    "DIGITINFER_WITH_TORCH says the library has the libtorch plugin; it has none"
                );
                true
            }
            "0" | "off" | "false" | "no" => {
                assert!(
                    !probed,
                    "DIGITINFER_WITH_TORCH says the library has no libtorch plugin; it loads TorchScript"
                );
                false
            }
            other => panic!("DIGITINFER_WITH_TORCH={other:?}: expected 1 or 0"),
        }
    })
}

/// Records what a test leaves out (cargo test has no skip, and hides a passing test's output):
/// on stderr and in <target>/tmp/skipped.txt, which run_tests.sh prints.
pub fn skip(what: &str) {
    use std::io::Write;
    eprintln!("SKIPPED: {what}");
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join("skipped.txt");
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    writeln!(file, "SKIPPED: {what}").unwrap();
}

/// One case of tests/data/golden.json (made by tools/make_golden.py from the Python reference).
#[derive(Debug, Clone)]
pub struct Golden {
    pub image: String,
    pub model: String,
    pub width: u64,
    pub height: u64,
    pub digit: usize,
    pub probabilities: Vec<f32>,
    pub log_probabilities: Vec<f32>,
    pub preprocessed: Vec<u8>,
}

pub fn golden() -> &'static [Golden] {
    static CASES: OnceLock<Vec<Golden>> = OnceLock::new();
    CASES.get_or_init(|| {
        let text = std::fs::read_to_string(repo("tests/data/golden.json")).expect("tests/data/golden.json");
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        let floats = |v: &serde_json::Value| -> Vec<f32> {
            v.as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_f64().unwrap() as f32)
                .collect()
        };
        json["cases"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| Golden {
                image: c["image"].as_str().unwrap().into(),
                model: c["model"].as_str().unwrap().into(),
                width: c["width"].as_u64().unwrap(),
                height: c["height"].as_u64().unwrap(),
                digit: c["digit"].as_u64().unwrap() as usize,
                probabilities: floats(&c["probabilities"]),
                log_probabilities: floats(&c["log_probabilities"]),
                preprocessed: c["preprocessed"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|x| x.as_u64().unwrap() as u8)
                    .collect(),
            })
            .collect()
    })
}

/// The golden cases of one model.
pub fn golden_of(model: &str) -> Vec<&'static Golden> {
    golden().iter().filter(|c| c.model == model).collect()
}

/// Same digit and probabilities within `tolerance`; the first difference otherwise.
pub fn differs(a: &Prediction, b: &Prediction, tolerance: f32) -> Option<String> {
    if a.digit != b.digit {
        return Some(format!("digit {} != {}", a.digit, b.digit));
    }
    close(&a.probabilities, &b.probabilities, tolerance, 0.0).map(|e| format!("probabilities: {e}"))
}

#[track_caller]
pub fn assert_same(a: &Prediction, b: &Prediction) {
    if let Some(difference) = differs(a, b, 1e-5) {
        panic!("{difference}\n{a:?}\n{b:?}");
    }
}

/// Whether `a` and `b` agree element-wise within `abs + rel * |b|`; the first disagreement otherwise.
#[allow(clippy::neg_cmp_op_on_partial_ord)] // a NaN must count as a disagreement
pub fn close(a: &[f32], b: &[f32], abs: f32, rel: f32) -> Option<String> {
    if a.len() != b.len() {
        return Some(format!("{} values, expected {}", a.len(), b.len()));
    }
    a.iter()
        .zip(b)
        .enumerate()
        .find(|(_, (x, y))| !((*x - *y).abs() <= abs + rel * y.abs()))
        .map(|(i, (x, y))| format!("[{i}] {x} vs {y}"))
}

/// The error's code, checked to carry a message and to display as `NAME (code): message`.
#[track_caller]
pub fn code_of<T: std::fmt::Debug>(result: digitinfer::Result<T>) -> ErrorCode {
    let error = result.expect_err("expected an error");
    assert!(!error.message().is_empty(), "{error:?} has no message");
    let shown = error.to_string();
    assert!(
        shown.starts_with(&format!("{} ({}): ", error.code().name(), error.code().raw())),
        "{shown}"
    );
    error.code()
}
