//! Checks the hand-written declarations of src/lib.rs against the installed C headers (the ones
//! pkg-config names, so the ones the linked library was built with): bindings/abi_layout.c, compiled here
//! with the C compiler the `cc` crate finds, prints every struct's size, alignment and field
//! offsets, every enum's size and every constant; the header text gives the struct fields in order,
//! the enum constants and the DI_API functions, so that nothing added to the header goes unmirrored.

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::CStr;
use std::mem::{align_of, offset_of, size_of};
use std::path::{Path, PathBuf};
use std::process::Command;

use digitinfer_sys::*;

fn include_dirs() -> Vec<PathBuf> {
    std::env::split_paths(env!("DIGITINFER_SYS_INCLUDE_DIRS")).collect()
}

/// The text of digitinfer/<name> without its comments.
fn header_text(name: &str) -> String {
    let path = include_dirs()
        .into_iter()
        .map(|d| d.join("digitinfer").join(name))
        .find(|p| p.exists())
        .unwrap_or_else(|| panic!("digitinfer/{name} is in none of {:?}", include_dirs()));
    strip_comments(&std::fs::read_to_string(path).unwrap())
}

fn strip_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("/*") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find("*/").expect("unterminated comment") + start + 2;
        out.push(' ');
        rest = &rest[end..];
    }
    out.push_str(rest);
    out.lines()
        .map(|l| l.split("//").next().unwrap())
        .collect::<Vec<_>>()
        .join("\n")
}

fn identifiers(text: &str) -> Vec<&str> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .collect()
}

/// `typedef <keyword> NAME { BODY } NAME;` blocks of the header: (NAME, BODY).
fn typedef_blocks<'a>(text: &'a str, keyword: &str) -> Vec<(&'a str, &'a str)> {
    let opener = format!("typedef {keyword} ");
    let mut blocks = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(&opener) {
        rest = &rest[start + opener.len()..];
        let (Some(open), Some(close)) = (rest.find('{'), rest.find('}')) else {
            continue;
        };
        if open > close || rest[..open].contains(';') {
            continue; // an opaque `typedef struct di_model di_model;`
        }
        blocks.push((rest[..open].trim(), &rest[open + 1..close]));
        rest = &rest[close..];
    }
    blocks
}

#[derive(Default, Debug, PartialEq)]
struct Layout {
    structs: BTreeMap<String, (usize, usize)>,
    fields: BTreeMap<String, Vec<(String, usize, usize)>>,
    enums: BTreeMap<String, usize>,
    values: BTreeMap<String, i128>,
    strings: BTreeMap<String, String>,
}

/// Compiles and runs bindings/abi_layout.c: the C compiler's view.
fn c_layout() -> Layout {
    let compiler = cc::Build::new()
        .target(env!("DIGITINFER_SYS_TARGET"))
        .host(env!("DIGITINFER_SYS_HOST"))
        .opt_level(0)
        .debug(false)
        .cargo_metadata(false)
        .get_compiler();
    let exe = Path::new(env!("CARGO_TARGET_TMPDIR")).join("digitinfer-sys-layout");
    let mut command = compiler.to_command();
    if compiler.is_like_gnu() || compiler.is_like_clang() {
        command.args(["-std=c11", "-Wall", "-Wextra", "-Werror"]);
    }
    for dir in include_dirs() {
        command.arg("-I").arg(dir);
    }
    command
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../abi_layout.c"))
        .arg("-o")
        .arg(&exe);
    let built = command.output().expect("running the C compiler");
    assert!(
        built.status.success(),
        "{command:?} failed:\n{}",
        String::from_utf8_lossy(&built.stderr)
    );
    let run = Command::new(&exe).output().expect("running the layout program");
    assert!(run.status.success());

    let mut layout = Layout::default();
    for line in String::from_utf8(run.stdout).unwrap().lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        let n = |i: usize| words[i].parse::<usize>().unwrap();
        match words[0] {
            "struct" => {
                layout.structs.insert(words[1].into(), (n(2), n(3)));
            }
            "field" => layout
                .fields
                .entry(words[1].into())
                .or_default()
                .push((words[2].into(), n(3), n(4))),
            "enum" => {
                layout.enums.insert(words[1].into(), n(2));
            }
            "value" => {
                layout.values.insert(words[1].into(), words[2].parse().unwrap());
            }
            "string" => {
                layout.strings.insert(words[1].into(), words[2].into());
            }
            other => panic!("unexpected line from layout.c: {other}"),
        }
    }
    layout
}

fn field_size<T, F>(_: impl Fn(&T) -> &F) -> usize {
    size_of::<F>()
}

/// The same facts as Rust sees them.
fn rust_layout() -> Layout {
    let mut layout = Layout::default();
    macro_rules! mirror {
        ($t:ident { $($f:ident),* $(,)? }) => {
            layout.structs.insert(stringify!($t).into(), (size_of::<$t>(), align_of::<$t>()));
            layout.fields.insert(stringify!($t).into(), vec![
                $((stringify!($f).into(), offset_of!($t, $f), field_size(|s: &$t| &s.$f))),*
            ]);
        };
    }
    mirror!(di_load_options {
        struct_size,
        num_threads,
        output_kind,
        engine,
        max_pixels,
        max_encoded_bytes,
        cache_dir,
        flags,
        max_jpeg_scans,
        torch_time_limit_ms,
        torch_memory_limit_bytes
    });
    mirror!(di_model_info {
        struct_size,
        input_channels,
        input_height,
        input_width,
        num_classes,
        mean,
        std,
        output_kind,
        has_metadata,
        name,
        engine,
        engine_note,
        num_threads,
        max_pixels,
        max_encoded_bytes,
        cache,
        cache_path,
        cache_note
    });
    mirror!(di_encoded_image { data, size });
    mirror!(di_gray_image {
        pixels,
        width,
        height,
        stride
    });
    mirror!(di_prediction {
        class_index,
        probability
    });
    mirror!(di_outputs {
        predictions,
        probabilities,
        log_probabilities,
        scores_capacity
    });
    mirror!(di_predict_options {
        struct_size,
        num_threads
    });
    mirror!(di_results {
        struct_size,
        predictions,
        probabilities,
        log_probabilities,
        scores_capacity,
        statuses,
        messages
    });
    for name in ["di_status", "di_engine", "di_output_kind", "di_cache_use"] {
        layout.enums.insert(name.into(), size_of::<std::ffi::c_int>());
    }
    macro_rules! values {
        ($($c:ident),* $(,)?) => { $(layout.values.insert(stringify!($c).into(), $c as i128);)* };
    }
    values!(
        DI_OK,
        DI_ERR_INVALID_ARGUMENT,
        DI_ERR_IO,
        DI_ERR_DECODE,
        DI_ERR_MODEL,
        DI_ERR_OUT_OF_MEMORY,
        DI_ERR_BUFFER_TOO_SMALL,
        DI_ERR_INFERENCE,
        DI_ERR_INTERNAL,
        DI_OUTPUT_AUTO,
        DI_OUTPUT_LOG_PROBABILITIES,
        DI_OUTPUT_LOGITS,
        DI_OUTPUT_PROBABILITIES,
        DI_OUTPUT_MAX_ENUM,
        DI_ENGINE_AUTO,
        DI_ENGINE_NATIVE,
        DI_ENGINE_LIBTORCH,
        DI_ENGINE_LIBTORCH_REFERENCE,
        DI_ENGINE_MAX_ENUM,
        DI_CACHE_NOT_USED,
        DI_CACHE_HIT,
        DI_CACHE_STORED,
        DI_CACHE_NOT_STORED,
        DI_CACHE_MAX_ENUM,
        DI_DEFAULT_MAX_PIXELS,
        DI_DEFAULT_MAX_ENCODED_BYTES,
        DI_LOAD_TRUSTED_MODEL,
        DI_DEFAULT_MAX_JPEG_SCANS,
        DI_MAX_JPEG_SCANS,
        DI_DEFAULT_TORCH_TIME_LIMIT_MS,
        DI_DEFAULT_TORCH_MEMORY_LIMIT_BYTES,
        DI_MAX_BATCH,
        DI_VERSION_MAJOR,
        DI_VERSION_MINOR,
        DI_VERSION_PATCH,
        DI_VERSION_NUMBER,
        DI_ABI_VERSION
    );
    layout
        .strings
        .insert("DI_VERSION_STRING".into(), DI_VERSION_STRING.into());
    layout
}

#[test]
fn structs_enums_and_constants_match_the_c_compiler() {
    let (c, rust) = (c_layout(), rust_layout());
    assert_eq!(rust.structs, c.structs, "struct (size, alignment)");
    for (name, c_fields) in &c.fields {
        assert_eq!(&rust.fields[name], c_fields, "{name}: (field, offset, size)");
    }
    assert_eq!(rust.fields.len(), c.fields.len());
    assert_eq!(rust.enums, c.enums, "enum sizes");
    assert_eq!(rust.values, c.values, "constants");
    assert_eq!(rust.strings, c.strings);
}

#[test]
fn every_struct_of_the_header_is_mirrored_with_its_fields_in_order() {
    let text = header_text("digitinfer.h");
    let structs = typedef_blocks(&text, "struct");
    assert!(structs.len() >= 8, "{structs:?}");
    let rust = rust_layout();
    let names: BTreeSet<&str> = structs.iter().map(|(name, _)| *name).collect();
    assert_eq!(names, rust.structs.keys().map(String::as_str).collect());
    for (name, body) in structs {
        let header_fields: Vec<&str> = body
            .split(';')
            .filter(|d| !d.trim().is_empty())
            .map(|d| *identifiers(d).last().unwrap())
            .collect();
        let rust_fields: Vec<&str> = rust.fields[name].iter().map(|(f, _, _)| f.as_str()).collect();
        assert_eq!(rust_fields, header_fields, "{name}");
    }
}

#[test]
fn every_constant_of_the_header_is_mirrored() {
    let mut header: BTreeSet<String> = BTreeSet::new();
    let mut enum_types = BTreeSet::new();
    for file in ["digitinfer.h", "version.h"] {
        let text = header_text(file);
        for (name, body) in typedef_blocks(&text, "enum") {
            enum_types.insert(name.to_string());
            header.extend(
                body.split(',')
                    .filter_map(|e| identifiers(e).first().map(|s| s.to_string())),
            );
        }
        for line in text.lines() {
            if let Some(rest) = line.trim_start().strip_prefix("#define ") {
                let name = identifiers(rest)[0];
                if name.starts_with("DI_") && !["DI_API", "DI_DEPRECATED"].contains(&name) {
                    header.insert(name.to_string());
                }
            }
        }
    }
    let rust = rust_layout();
    let mirrored: BTreeSet<String> = rust.values.keys().chain(rust.strings.keys()).cloned().collect();
    assert_eq!(mirrored, header);
    assert_eq!(enum_types, rust.enums.keys().cloned().collect());
}

#[test]
fn every_function_of_the_header_is_declared_and_links() {
    let mut header = BTreeSet::new();
    for file in ["digitinfer.h", "version.h"] {
        let text = header_text(file);
        let declarations: Vec<&str> = text.lines().filter(|l| !l.trim_start().starts_with('#')).collect();
        for statement in declarations.join("\n").split(';') {
            if let Some(at) = statement.find("DI_API") {
                let declaration = &statement[at..];
                if let Some(paren) = declaration.find('(') {
                    header.insert(identifiers(&declaration[..paren]).last().unwrap().to_string());
                }
            }
        }
    }
    // Each name as a function pointer: a missing declaration does not compile, a missing symbol
    // does not link.
    macro_rules! functions {
        ($($f:ident),* $(,)?) => { vec![$((stringify!($f).to_string(), $f as *const () as usize)),*] };
    }
    let declared = functions!(
        di_version,
        di_version_number,
        di_abi_version,
        di_status_string,
        di_last_error_message,
        di_engine_name,
        di_engine_from_name,
        di_output_kind_name,
        di_output_kind_from_name,
        di_load_options_default,
        di_model_load_file,
        di_model_load_memory,
        di_model_export_native,
        di_model_free,
        di_model_info_default,
        di_model_get_info,
        di_model_get_label,
        di_outputs_default,
        di_model_predict_encoded,
        di_model_predict_encoded_batch,
        di_model_predict_gray,
        di_model_predict_gray_batch,
        di_model_predict_tensor,
        di_predict_options_default,
        di_results_default,
        di_model_predict_encoded_ex,
        di_model_predict_gray_ex,
        di_model_predict_tensor_ex,
        di_model_preprocess_encoded,
    );
    assert!(declared.iter().all(|(_, address)| *address != 0));
    assert!(header.len() >= 29, "{header:?}");
    assert_eq!(
        declared.into_iter().map(|(name, _)| name).collect::<BTreeSet<_>>(),
        header
    );
}

#[test]
fn defaults_set_struct_size_to_the_mirrors_size() {
    unsafe {
        assert_eq!(
            di_load_options_default().struct_size as usize,
            size_of::<di_load_options>()
        );
        assert_eq!(di_model_info_default().struct_size as usize, size_of::<di_model_info>());
        assert_eq!(
            di_predict_options_default().struct_size as usize,
            size_of::<di_predict_options>()
        );
        assert_eq!(di_results_default().struct_size as usize, size_of::<di_results>());
        let options = di_load_options_default();
        assert_eq!(
            (options.max_pixels, options.max_encoded_bytes),
            (DI_DEFAULT_MAX_PIXELS, DI_DEFAULT_MAX_ENCODED_BYTES)
        );
        assert_eq!(options.max_jpeg_scans, DI_DEFAULT_MAX_JPEG_SCANS);
        assert!(di_outputs_default().predictions.is_null());
    }
}

#[test]
fn the_linked_library_is_at_least_the_headers_version() {
    unsafe {
        assert_eq!(di_abi_version(), DI_ABI_VERSION);
        assert!(di_version_number() >= DI_VERSION_NUMBER);
        let version = CStr::from_ptr(di_version()).to_str().unwrap();
        let n = di_version_number();
        assert_eq!(version, format!("{}.{}.{}", n / 10000, n / 100 % 100, n % 100));
        for status in [DI_OK, DI_ERR_IO, DI_ERR_INTERNAL] {
            assert!(CStr::from_ptr(di_status_string(status))
                .to_str()
                .unwrap()
                .starts_with("DI_"));
        }
    }
}
