//! Bad input of every kind gives an `Err` with the right C status, never a crash.

mod common;

use common::*;
use digitinfer::{ErrorCode, GrayImage, LoadOptions, Model, MAX_BATCH};

#[test]
fn a_missing_model_file_is_an_io_error() {
    let missing = scratch("errors").join("missing.pt");
    assert_eq!(code_of(Model::load(&missing)), ErrorCode::Io);
    assert_eq!(Model::load(&missing).unwrap_err().code().raw(), -2);
    // A directory is not a model file either.
    assert_eq!(code_of(Model::load(scratch("errors"))), ErrorCode::Io);
}

#[test]
fn a_missing_image_file_is_an_io_error_naming_it() {
    let missing = scratch("errors").join("missing.png");
    let error = compiled().predict_file(&missing).unwrap_err();
    assert_eq!(error.code(), ErrorCode::Io);
    assert!(error.message().contains("missing.png"), "{error}");
}

#[test]
fn undecodable_bytes_are_a_decode_error() {
    for data in [
        b"garbage, not an image".to_vec(),
        read("tests/data/bad/truncated.png"),
        Vec::new(),
    ] {
        assert_eq!(code_of(compiled().predict(&data)), ErrorCode::Decode);
        assert_eq!(code_of(compiled().preprocess(&data)), ErrorCode::Decode);
        assert_eq!(
            code_of(compiled().predict_batch(&[read(DIGIT_7), data.clone()])),
            ErrorCode::Decode
        );
    }
}

#[test]
fn every_bad_image_file_is_a_decode_error() {
    let mut checked = 0;
    for entry in std::fs::read_dir(repo("tests/data/bad")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "pt") {
            continue;
        }
        let data = std::fs::read(&path).unwrap();
        assert_eq!(
            code_of(compiled().predict(&data)),
            ErrorCode::Decode,
            "{}",
            path.display()
        );
        checked += 1;
    }
    assert!(checked >= 8, "{checked} bad images");
}

#[test]
fn bad_model_files_and_bytes_are_a_model_error() {
    assert_eq!(code_of(Model::from_bytes(b"\0garbage model bytes")), ErrorCode::Model);
    assert_eq!(code_of(Model::from_bytes(&[])), ErrorCode::InvalidArgument); // a zero size
    assert_eq!(Model::from_bytes(b"\0garbage").unwrap_err().code().raw(), -4);
    let mut checked = 0;
    for entry in std::fs::read_dir(repo("tests/data/bad")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "pt") {
            let options = LoadOptions::new().no_cache();
            assert_eq!(code_of(options.load(&path)), ErrorCode::Model, "{}", path.display());
            assert_eq!(
                code_of(options.load_bytes(&std::fs::read(&path).unwrap())),
                ErrorCode::Model
            );
            checked += 1;
        }
    }
    assert!(checked >= 4, "{checked} bad models");
    // An image is not a model.
    assert_eq!(code_of(Model::load(repo(DIGIT_7))), ErrorCode::Model);
}

#[test]
fn a_tensor_of_the_wrong_size_is_an_invalid_argument() {
    for floats in [vec![0.0; 783], vec![0.0; 785], vec![0.0; 2 * 784], Vec::new()] {
        assert_eq!(
            code_of(compiled().predict_tensor(&floats)),
            ErrorCode::InvalidArgument,
            "{}",
            floats.len()
        );
    }
    for floats in [vec![0.0; 783], vec![0.0; 785], vec![0.0; 3 * 784 - 1]] {
        assert_eq!(
            code_of(compiled().predict_tensor_batch(&floats)),
            ErrorCode::InvalidArgument
        );
        assert_eq!(
            code_of(compiled().predict_tensor_batch_each(&floats)),
            ErrorCode::InvalidArgument
        );
    }
}

#[test]
fn gray_geometry_outside_the_slice_is_an_invalid_argument() {
    let pixels = vec![0u8; 1000];
    let cases = [
        GrayImage::new(&pixels[..783], 28, 28),
        GrayImage::new(&pixels[..800], 28, 28).with_stride(29),
        GrayImage::new(&pixels, 0, 1),
        GrayImage::new(&pixels, 1, 0),
        GrayImage::new(&pixels, 5, 1).with_stride(4),
        GrayImage::new(&pixels, 1 << 31, 1),
        GrayImage::new(&pixels, 2, 2).with_stride(usize::MAX),
    ];
    for image in cases {
        assert_eq!(
            code_of(compiled().predict_gray(&image)),
            ErrorCode::InvalidArgument,
            "{image:?}"
        );
        assert_eq!(
            code_of(compiled().predict_gray_batch(&[image])),
            ErrorCode::InvalidArgument
        );
        assert_eq!(
            code_of(compiled().predict_gray_batch_each(&[image]).unwrap().remove(0)),
            ErrorCode::InvalidArgument
        );
    }
    // Larger than max_pixels: the library's check.
    let limited = LoadOptions::new().max_pixels(100).load(repo(DIMODEL)).unwrap();
    assert_eq!(
        code_of(limited.predict_gray(&GrayImage::new(&pixels, 101, 1))),
        ErrorCode::InvalidArgument
    );
}

#[test]
fn a_batch_larger_than_max_batch_is_an_invalid_argument() {
    let empty: Vec<&[u8]> = vec![&[]; MAX_BATCH + 1];
    assert_eq!(code_of(compiled().predict_batch(&empty)), ErrorCode::InvalidArgument);
    assert_eq!(
        code_of(compiled().predict_batch_each(&empty)),
        ErrorCode::InvalidArgument
    );
}

#[test]
fn unreadable_images_in_a_batch_each_get_their_own_errors() {
    let results = compiled()
        .predict_batch_each(&[read(DIGIT_7), b"garbage".to_vec(), read(CORRUPT)])
        .unwrap();
    assert!(results[0].is_ok());
    assert_eq!(code_of(results[1].clone()), ErrorCode::Decode);
    assert_eq!(code_of(results[2].clone()), ErrorCode::Decode);
    assert_ne!(
        results[1].clone().unwrap_err().message(),
        results[2].clone().unwrap_err().message()
    );
}

#[test]
fn paths_with_a_nul_byte_are_an_invalid_argument() {
    assert_eq!(
        code_of(Model::load("models/convnet\0.dimodel")),
        ErrorCode::InvalidArgument
    );
    assert_eq!(
        code_of(LoadOptions::new().cache_dir("a\0b").load(repo(DIMODEL))),
        ErrorCode::InvalidArgument
    );
}

#[test]
fn torchscript_files_need_the_plugin_without_it() {
    if with_torch() {
        return; // they load: the golden and engine tests show it
    }
    for path in [SCRIPTED, TRACED] {
        let options = LoadOptions::new().no_cache();
        for result in [options.load(repo(path)), options.load_bytes(&read(path))] {
            let error = result.unwrap_err();
            assert_eq!(error.code(), ErrorCode::Model);
            assert!(error.message().contains("libtorch plugin is not installed"), "{error}");
        }
    }
}
