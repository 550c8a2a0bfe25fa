//! The safe API on the real library: every input kind gives the same answer, batches equal single
//! calls, options reach the library, names and codes are the C library's.

mod common;

use common::*;
use digitinfer::ffi as sys;
use digitinfer::{
    CacheUse, Engine, ErrorCode, GrayImage, LoadOptions, Model, OutputKind, Prediction, DEFAULT_MAX_ENCODED_BYTES,
    DEFAULT_MAX_PIXELS,
};

#[test]
fn the_compiled_model_describes_itself() {
    let info = compiled().info();
    assert_eq!(
        (
            info.input_channels,
            info.input_height,
            info.input_width,
            info.num_classes
        ),
        (1, 28, 28, 10)
    );
    assert_eq!(info.labels, (0..10).map(|d| d.to_string()).collect::<Vec<_>>());
    assert_eq!(compiled().label(7), Some("7"));
    assert_eq!(compiled().label(10), None);
    assert_eq!(info.engine, Engine::Native);
    assert_ne!(info.output_kind, OutputKind::Auto);
    assert!(info.std > 0.0 && info.mean > 0.0);
    assert_eq!(info.num_threads, 1);
    assert_eq!(
        (info.max_pixels, info.max_encoded_bytes),
        (DEFAULT_MAX_PIXELS, DEFAULT_MAX_ENCODED_BYTES)
    );
    assert_eq!(info.cache, CacheUse::NotUsed); // a .dimodel never consults the cache
    assert!(format!("{:?}", compiled()).contains("Native"));
}

#[test]
fn prediction_fields_are_consistent() {
    let p = compiled().predict(&read(DIGIT_7)).unwrap();
    assert_eq!(p.digit, 7);
    assert_eq!((p.probabilities.len(), p.log_probabilities.len()), (10, 10));
    assert!((p.probabilities.iter().sum::<f32>() - 1.0).abs() < 1e-5);
    assert_eq!(p.probability, p.probabilities[p.digit]);
    assert!(p.probabilities.iter().all(|&q| q <= p.probability));
    let exp: Vec<f32> = p.log_probabilities.iter().map(|x| x.exp()).collect();
    assert_eq!(close(&exp, &p.probabilities, 1e-7, 1e-5), None);
    let top = p.top_k(3);
    assert_eq!(top.len(), 3);
    assert_eq!(top[0], (p.digit, p.probability));
    assert!(top.windows(2).all(|w| w[0].1 >= w[1].1));
    assert_eq!(p.top_k(100).len(), 10);
    assert!(p.top_k(0).is_empty());
}

#[test]
fn a_file_path_and_its_bytes_give_the_same_prediction() {
    assert_eq!(
        compiled().predict_file(repo(DIGIT_7)).unwrap(),
        compiled().predict(&read(DIGIT_7)).unwrap()
    );
}

#[test]
fn a_model_from_bytes_equals_the_model_from_its_file() {
    let from_bytes = LoadOptions::new().num_threads(1).load_bytes(&read(DIMODEL)).unwrap();
    assert_eq!(from_bytes.info(), compiled().info());
    assert_eq!(
        from_bytes.predict(&read(DIGIT_7)).unwrap(),
        compiled().predict(&read(DIGIT_7)).unwrap()
    );
    let default = Model::from_bytes(&read(DIMODEL)).unwrap();
    assert!(default.info().num_threads >= 1);
    assert_eq!(Model::load(repo(DIMODEL)).unwrap().info().name, default.info().name);
}

#[test]
fn a_batch_equals_one_call_per_image() {
    let images: Vec<Vec<u8>> = images().iter().map(|path| read(path)).collect();
    assert!(images.len() >= 20);
    let batch = compiled().predict_batch(&images).unwrap();
    assert_eq!(batch.len(), images.len());
    for (data, p) in images.iter().zip(&batch) {
        assert_same(p, &compiled().predict(data).unwrap());
    }
    // Any AsRef<[u8]> will do: borrowed slices too.
    let slices: Vec<&[u8]> = images.iter().map(Vec::as_slice).collect();
    assert_eq!(compiled().predict_batch(&slices).unwrap(), batch);
}

#[test]
fn an_empty_batch_gives_no_predictions() {
    let none: [&[u8]; 0] = [];
    assert!(compiled().predict_batch(&none).unwrap().is_empty());
    assert!(compiled().predict_batch_each(&none).unwrap().is_empty());
    assert!(compiled().predict_gray_batch(&[]).unwrap().is_empty());
    assert!(compiled().predict_tensor_batch(&[]).unwrap().is_empty());
}

#[test]
fn preprocess_gives_the_image_and_its_normalized_tensor() {
    let pre = compiled().preprocess(&read(DIGIT_7)).unwrap();
    assert_eq!((pre.image.len(), pre.tensor.len()), (784, 784));
    let info = compiled().info();
    let expected: Vec<f32> = pre
        .image
        .iter()
        .map(|&v| (v as f32 / 255.0 - info.mean) / info.std)
        .collect();
    assert_eq!(close(&pre.tensor, &expected, 1e-5, 0.0), None);
}

#[test]
fn gray_pixels_give_the_encoded_result() {
    let expected = compiled().predict(&read(DIGIT_7)).unwrap();
    let image = compiled().preprocess(&read(DIGIT_7)).unwrap().image;
    assert_same(
        &compiled().predict_gray(&GrayImage::new(&image, 28, 28)).unwrap(),
        &expected,
    );
    let padded: Vec<u8> = image
        .chunks(28)
        .flat_map(|row| row.iter().copied().chain([255; 4]))
        .collect();
    let strided = GrayImage::new(&padded, 28, 28).with_stride(32);
    assert_eq!(
        (
            strided.width(),
            strided.height(),
            strided.stride(),
            strided.pixels().len()
        ),
        (28, 28, 32, 896)
    );
    assert_same(&compiled().predict_gray(&strided).unwrap(), &expected);
    // The last row needs only `width` bytes, not `stride`.
    assert_same(
        &compiled()
            .predict_gray(&GrayImage::new(&padded[..892], 28, 28).with_stride(32))
            .unwrap(),
        &expected,
    );
}

#[test]
fn tensors_give_the_encoded_result() {
    let t7 = compiled().preprocess(&read(DIGIT_7)).unwrap().tensor;
    let t2 = compiled().preprocess(&read(DIGIT_2)).unwrap().tensor;
    let p = compiled().predict_tensor(&t7).unwrap();
    assert_same(&p, &compiled().predict(&read(DIGIT_7)).unwrap());
    let both = compiled().predict_tensor_batch(&[t7.as_slice(), &t2].concat()).unwrap();
    assert_eq!(both.iter().map(|p| p.digit).collect::<Vec<_>>(), [7, 2]);
    assert_same(&both[0], &p);
}

#[test]
fn gray_batches_give_each_image_its_result() {
    let image7 = compiled().preprocess(&read(DIGIT_7)).unwrap().image;
    let image2 = compiled().preprocess(&read(DIGIT_2)).unwrap().image;
    let (g7, g2) = (GrayImage::new(&image7, 28, 28), GrayImage::new(&image2, 28, 28));
    let expected = [
        compiled().predict_gray(&g7).unwrap(),
        compiled().predict_gray(&g2).unwrap(),
    ];
    let batch = compiled().predict_gray_batch(&[g7, g2]).unwrap();
    assert_same(&batch[0], &expected[0]);
    assert_same(&batch[1], &expected[1]);

    let short = [0u8; 10];
    let bad = GrayImage::new(&short, 28, 28);
    let each = compiled().predict_gray_batch_each(&[g7, bad, g2]).unwrap();
    assert_same(each[0].as_ref().unwrap(), &expected[0]);
    assert_eq!(code_of(each[1].clone()), ErrorCode::InvalidArgument);
    assert_same(each[2].as_ref().unwrap(), &expected[1]);
    assert_eq!(
        code_of(compiled().predict_gray_batch(&[g7, bad])),
        ErrorCode::InvalidArgument
    );
    // Too many pixels for the model's max_pixels: the library's own per-image refusal.
    let small = LoadOptions::new().max_pixels(28 * 28).load(repo(DIMODEL)).unwrap();
    let wide: Vec<u8> = image7
        .chunks(28)
        .flat_map(|row| row.iter().copied().chain([0]))
        .collect();
    let each = small
        .predict_gray_batch_each(&[g7, GrayImage::new(&wide, 29, 28)])
        .unwrap();
    assert_same(each[0].as_ref().unwrap(), &expected[0]);
    assert_eq!(code_of(each[1].clone()), ErrorCode::InvalidArgument);
}

#[test]
fn a_bad_image_fails_alone_in_a_batch_each() {
    let good: Vec<&Golden> = golden_of(SCRIPTED).into_iter().take(4).collect();
    let single = compiled().predict(&read(CORRUPT)).unwrap_err();
    let mut images: Vec<Vec<u8>> = good.iter().map(|c| read(&c.image)).collect();
    images.insert(2, read(CORRUPT));
    let results = compiled().predict_batch_each(&images).unwrap();
    assert_eq!(results.len(), 5);
    let failed = results[2].clone().unwrap_err();
    assert_eq!(failed.code(), single.code());
    assert!(!failed.message().is_empty());
    for (case, result) in good.iter().zip(results[..2].iter().chain(&results[3..])) {
        let p = result.as_ref().unwrap();
        assert_eq!(p.digit, case.digit);
        assert_same(p, &compiled().predict(&read(&case.image)).unwrap());
    }
    // Without _each the bad image fails the whole call, with the same code.
    assert_eq!(compiled().predict_batch(&images).unwrap_err().code(), single.code());
    let garbage = compiled().predict_batch_each(&[b"garbage".as_slice()]).unwrap();
    assert_eq!(code_of(garbage[0].clone()), ErrorCode::Decode);
}

#[test]
fn a_non_finite_tensor_fails_alone_in_a_batch_each() {
    let t7 = compiled().preprocess(&read(DIGIT_7)).unwrap().tensor;
    let t2 = compiled().preprocess(&read(DIGIT_2)).unwrap().tensor;
    let mut poisoned = t7.clone();
    poisoned[400] = f32::NAN;
    let results = compiled()
        .predict_tensor_batch_each(&[t7.as_slice(), &poisoned, &t2].concat())
        .unwrap();
    assert_same(
        results[0].as_ref().unwrap(),
        &compiled().predict(&read(DIGIT_7)).unwrap(),
    );
    assert!(code_of(results[1].clone()).raw() < 0);
    assert_same(
        results[2].as_ref().unwrap(),
        &compiled().predict(&read(DIGIT_2)).unwrap(),
    );
    assert!(compiled().predict_tensor_batch(&poisoned).is_err());
}

#[test]
fn per_call_threads_give_the_same_results() {
    let images: Vec<Vec<u8>> = images().iter().map(|path| read(path)).collect();
    let expected = compiled().predict_batch(&images).unwrap();
    let t7 = compiled().preprocess(&read(DIGIT_7)).unwrap().tensor;
    let image2 = compiled().preprocess(&read(DIGIT_2)).unwrap().image;
    let g2 = GrayImage::new(&image2, 28, 28);
    for threads in [0, 1, 2, 5] {
        let call = compiled().with_threads(threads);
        for (p, q) in call.predict_batch(&images).unwrap().iter().zip(&expected) {
            assert_same(p, q);
        }
        assert_eq!(call.predict_tensor_batch(&t7.repeat(3)).unwrap()[2].digit, 7);
        assert_eq!(call.predict_gray_batch(&[g2; 3]).unwrap()[1].digit, 2);
        assert_eq!(call.predict_batch_each(&images).unwrap().len(), images.len());
    }
    let too_many = compiled().with_threads(1 << 31);
    assert_eq!(code_of(too_many.predict_batch(&images)), ErrorCode::InvalidArgument);
    assert_eq!(
        code_of(too_many.predict_tensor_batch_each(&t7)),
        ErrorCode::InvalidArgument
    );
}

#[test]
fn load_options_reach_the_library() {
    let m = LoadOptions::new()
        .num_threads(3)
        .max_pixels(1000)
        .max_encoded_bytes(5000)
        .load(repo(DIMODEL))
        .unwrap();
    assert_eq!(
        (m.info().num_threads, m.info().max_pixels, m.info().max_encoded_bytes),
        (3, 1000, 5000)
    );
    let m = LoadOptions::new()
        .trusted_model(true)
        .max_jpeg_scans(5)
        .torch_time_limit(None)
        .torch_memory_limit(None)
        .no_cache()
        .load_bytes(&read(DIMODEL))
        .unwrap();
    assert_eq!(m.info().num_classes, 10);
    let logits = LoadOptions::new()
        .output_kind(OutputKind::Logits)
        .load(repo(DIMODEL))
        .unwrap();
    assert_eq!(logits.info().output_kind, OutputKind::Logits);
    let native = LoadOptions::new().engine(Engine::Native).load(repo(DIMODEL)).unwrap();
    assert_eq!(native.info().engine, Engine::Native);
}

#[test]
fn options_outside_their_range_are_the_librarys_invalid_argument() {
    let load = |options: LoadOptions| code_of(options.load(repo(DIMODEL)));
    for options in [
        LoadOptions::new().max_pixels(0),
        LoadOptions::new().max_pixels(DEFAULT_MAX_PIXELS + 1),
        LoadOptions::new().max_encoded_bytes(0),
        LoadOptions::new().max_encoded_bytes(DEFAULT_MAX_ENCODED_BYTES + 1),
        LoadOptions::new().max_jpeg_scans(0),
        LoadOptions::new().max_jpeg_scans(digitinfer::MAX_JPEG_SCANS + 1),
        LoadOptions::new().engine(Engine::Other(99)),
        LoadOptions::new().output_kind(OutputKind::Other(99)),
        LoadOptions::new().num_threads(1 << 31),
    ] {
        assert_eq!(load(options), ErrorCode::InvalidArgument);
    }
    let error = LoadOptions::new().max_jpeg_scans(0).load(repo(DIMODEL)).unwrap_err();
    assert!(error.message().contains("max_jpeg_scans 0"), "{error}");
    // The largest values are accepted.
    let m = LoadOptions::new()
        .max_pixels(DEFAULT_MAX_PIXELS)
        .max_encoded_bytes(DEFAULT_MAX_ENCODED_BYTES);
    assert!(m.load(repo(DIMODEL)).is_ok());
}

#[test]
fn max_pixels_below_an_images_size_is_a_decode_error() {
    let big = golden()
        .iter()
        .find(|c| c.image == "tests/data/images/1-RGB-640x480.png")
        .unwrap();
    let pixels = big.width * big.height;
    let small = LoadOptions::new().max_pixels(pixels - 1).load(repo(DIMODEL)).unwrap();
    assert_eq!(code_of(small.predict(&read(&big.image))), ErrorCode::Decode);
    assert_same(
        &small.predict(&read(DIGIT_7)).unwrap(),
        &compiled().predict(&read(DIGIT_7)).unwrap(),
    );
    let each = small.predict_batch_each(&[read(DIGIT_7), read(&big.image)]).unwrap();
    assert!(each[0].is_ok());
    assert_eq!(code_of(each[1].clone()), ErrorCode::Decode);
    let exact = LoadOptions::new().max_pixels(pixels).load(repo(DIMODEL)).unwrap();
    assert!(exact.predict(&read(&big.image)).is_ok());
}

#[test]
fn max_encoded_bytes_limits_the_file_size() {
    let data = read(DIGIT_7);
    let fits = LoadOptions::new()
        .max_encoded_bytes(data.len() as u64)
        .load(repo(DIMODEL))
        .unwrap();
    assert!(fits.predict(&data).is_ok());
    let under = LoadOptions::new()
        .max_encoded_bytes(data.len() as u64 - 1)
        .load(repo(DIMODEL))
        .unwrap();
    assert_eq!(code_of(under.predict(&data)), ErrorCode::Decode);
}

#[test]
fn engine_and_output_kind_names_are_the_c_librarys() {
    let engines = [
        Engine::Auto,
        Engine::Native,
        Engine::Libtorch,
        Engine::LibtorchReference,
    ];
    for engine in engines {
        // SAFETY: di_engine_name takes any value and returns a static string.
        let c = unsafe { std::ffi::CStr::from_ptr(sys::di_engine_name(engine.raw())) }
            .to_str()
            .unwrap();
        assert_eq!(engine.name(), c);
        assert_eq!(engine.to_string().parse::<Engine>().unwrap(), engine);
        assert_eq!(Engine::from_raw(engine.raw()), engine);
    }
    let kinds = [
        OutputKind::Auto,
        OutputKind::LogProbabilities,
        OutputKind::Logits,
        OutputKind::Probabilities,
    ];
    for kind in kinds {
        // SAFETY: as above.
        let c = unsafe { std::ffi::CStr::from_ptr(sys::di_output_kind_name(kind.raw())) }
            .to_str()
            .unwrap();
        assert_eq!(kind.name(), c);
        assert_eq!(kind.name().parse::<OutputKind>().unwrap(), kind);
    }
    assert_eq!(engines.map(Engine::name), ["auto", "native", "libtorch", "reference"]);
    assert_eq!(
        "log_softmax".parse::<OutputKind>().unwrap(),
        OutputKind::LogProbabilities
    );
    assert_eq!("softmax".parse::<OutputKind>().unwrap(), OutputKind::Probabilities);
    assert_eq!(Engine::from_raw(99), Engine::Other(99));
    assert_eq!(Engine::Other(99).name(), "unknown");
    for name in ["bogus", "", "unknown", "native\0", " native"] {
        assert_eq!(code_of(name.parse::<Engine>()), ErrorCode::InvalidArgument, "{name:?}");
        assert_eq!(
            code_of(name.parse::<OutputKind>()),
            ErrorCode::InvalidArgument,
            "{name:?}"
        );
    }
}

#[test]
fn error_codes_are_the_c_statuses() {
    let codes = [
        (ErrorCode::InvalidArgument, sys::DI_ERR_INVALID_ARGUMENT),
        (ErrorCode::Io, sys::DI_ERR_IO),
        (ErrorCode::Decode, sys::DI_ERR_DECODE),
        (ErrorCode::Model, sys::DI_ERR_MODEL),
        (ErrorCode::OutOfMemory, sys::DI_ERR_OUT_OF_MEMORY),
        (ErrorCode::BufferTooSmall, sys::DI_ERR_BUFFER_TOO_SMALL),
        (ErrorCode::Inference, sys::DI_ERR_INFERENCE),
        (ErrorCode::Internal, sys::DI_ERR_INTERNAL),
    ];
    for (code, raw) in codes {
        assert_eq!(code.raw(), raw);
        assert_eq!(ErrorCode::from_raw(raw), Some(code));
        // SAFETY: any value; a static string.
        let c = unsafe { std::ffi::CStr::from_ptr(sys::di_status_string(raw)) }
            .to_str()
            .unwrap();
        assert_eq!(code.name(), c);
        assert!(c.starts_with("DI_ERR_"));
    }
    assert_eq!(ErrorCode::from_raw(sys::DI_OK), None);
    assert_eq!(ErrorCode::from_raw(-55), Some(ErrorCode::Other(-55)));
    let error = digitinfer::Error::new(ErrorCode::Decode, "bad bytes");
    assert_eq!(error.to_string(), "DI_ERR_DECODE (-3): bad bytes");
    let boxed: Box<dyn std::error::Error + Send + Sync> = Box::new(error);
    assert!(boxed.to_string().contains("bad bytes"));
}

#[test]
fn version_is_the_loaded_librarys() {
    let n = digitinfer::version_number();
    assert_eq!(
        digitinfer::version(),
        format!("{}.{}.{}", n / 10000, n / 100 % 100, n % 100)
    );
    assert!(n >= sys::DI_VERSION_NUMBER);
}

#[test]
fn the_raw_handle_works_with_the_sys_crate() {
    let mut info = unsafe { sys::di_model_info_default() };
    // SAFETY: a live model, an info struct from its default.
    assert_eq!(
        unsafe { sys::di_model_get_info(compiled().as_raw(), &mut info) },
        sys::DI_OK
    );
    assert_eq!(info.num_classes, 10);
}

#[test]
fn a_prediction_is_a_plain_value() {
    let p: Prediction = compiled().predict(&read(DIGIT_2)).unwrap();
    let copy = p.clone();
    assert_eq!(p, copy);
    assert!(format!("{p:?}").contains("digit: 2"));
}

// --- with the libtorch plugin --------------------------------------------------------------------

#[test]
fn torchscript_models_load_and_agree_across_engines() {
    if !with_torch() {
        return skip("needs the libtorch plugin: TorchScript engines");
    }
    let native = model(SCRIPTED);
    assert_eq!(native.info().engine, Engine::Native);
    let reference = LoadOptions::new()
        .engine(Engine::LibtorchReference)
        .no_cache()
        .load(repo(SCRIPTED))
        .unwrap();
    assert_eq!(reference.info().engine, Engine::LibtorchReference);
    for image in [DIGIT_7, DIGIT_2] {
        let (a, b) = (
            native.predict(&read(image)).unwrap(),
            reference.predict(&read(image)).unwrap(),
        );
        assert_eq!(a.digit, b.digit); // the golden tests' tolerances
        assert_eq!(close(&a.probabilities, &b.probabilities, 1e-5, 0.0), None);
        assert_eq!(close(&a.log_probabilities, &b.log_probabilities, 1e-4, 1e-5), None);
    }
    let cached = LoadOptions::new()
        .cache_dir(scratch("cache"))
        .load(repo(TRACED))
        .unwrap();
    assert!(
        matches!(cached.info().cache, CacheUse::Hit | CacheUse::Stored),
        "{:?}",
        cached.info()
    );
}

#[test]
fn export_native_writes_the_shipped_dimodel() {
    if !with_torch() {
        return skip("needs the libtorch plugin: exporting a TorchScript model");
    }
    let mut scripted = LoadOptions::new().no_cache().load(repo(SCRIPTED)).unwrap();
    let path = scratch("export").join("convnet.dimodel");
    scripted.export_native(&path).unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), read(DIMODEL));
    let exported = Model::load(&path).unwrap();
    assert_eq!(
        exported.predict(&read(DIGIT_7)).unwrap(),
        scripted.predict(&read(DIGIT_7)).unwrap()
    );
}
