//! One `Model` shared by many threads gives every thread the serial results, errors included.

mod common;

use std::sync::{Arc, Barrier};
use std::thread;

use common::*;
use digitinfer::{GrayImage, LoadOptions, Model, Prediction};

const THREADS: usize = 8;

#[test]
fn model_is_send_and_sync() {
    fn shareable<T: Send + Sync>() {}
    shareable::<Model>();
    shareable::<digitinfer::Error>();
    shareable::<digitinfer::LoadOptions>();
}

#[test]
fn threads_sharing_a_model_get_the_serial_results() {
    let model = compiled();
    let images: Vec<Vec<u8>> = images().iter().map(|path| read(path)).collect();
    let serial: Vec<Prediction> = images.iter().map(|data| model.predict(data).unwrap()).collect();
    let start = Barrier::new(THREADS);
    thread::scope(|s| {
        let handles: Vec<_> = (0..THREADS)
            .map(|t| {
                let (images, start) = (&images, &start);
                s.spawn(move || {
                    start.wait(); // all at once
                                  // Each thread its own order, and every input kind.
                    let order: Vec<usize> = (0..images.len()).map(|i| (i + t * 7) % images.len()).collect();
                    let got: Vec<(usize, Prediction)> =
                        order.iter().map(|&i| (i, model.predict(&images[i]).unwrap())).collect();
                    let pre = model.preprocess(&images[order[0]]).unwrap();
                    let gray = model.predict_gray(&GrayImage::new(&pre.image, 28, 28)).unwrap();
                    let tensor = model.predict_tensor(&pre.tensor).unwrap();
                    let batch = model.predict_batch(images).unwrap();
                    (got, order[0], gray, tensor, batch)
                })
            })
            .collect();
        for handle in handles {
            let (got, first, gray, tensor, batch) = handle.join().expect("a thread panicked");
            for (i, p) in got {
                assert_same(&p, &serial[i]);
            }
            assert_same(&tensor, &gray);
            assert_eq!(gray.digit, serial[first].digit);
            for (p, q) in batch.iter().zip(&serial) {
                assert_same(p, q);
            }
        }
    });
}

#[test]
fn threads_get_their_own_error_messages() {
    // The library's messages are per thread: each thread must read its own, not a neighbour's.
    let images = vec![
        read(DIGIT_7),
        read(CORRUPT),
        b"garbage".to_vec(),
        read(DIGIT_2),
        Vec::new(),
    ];
    let model = compiled();
    let outcome = |results: Vec<digitinfer::Result<Prediction>>| -> Vec<Result<usize, String>> {
        results
            .into_iter()
            .map(|r| r.map(|p| p.digit).map_err(|e| e.to_string()))
            .collect()
    };
    let serial = outcome(model.predict_batch_each(&images).unwrap());
    let single: Vec<Result<usize, String>> = images
        .iter()
        .map(|data| model.predict(data).map(|p| p.digit).map_err(|e| e.to_string()))
        .collect();
    thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|_| {
                s.spawn(|| {
                    (0..20)
                        .map(|_| {
                            let each = outcome(model.predict_batch_each(&images).unwrap());
                            let one: Vec<_> = images
                                .iter()
                                .map(|data| model.predict(data).map(|p| p.digit).map_err(|e| e.to_string()))
                                .collect();
                            (each, one)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for handle in handles {
            for (each, one) in handle.join().unwrap() {
                assert_eq!(each, serial);
                assert_eq!(one, single);
            }
        }
    });
    assert_eq!(serial.iter().filter(|r| r.is_err()).count(), 3);
}

#[test]
fn a_model_moves_to_another_thread_and_is_dropped_there() {
    let model = Arc::new(LoadOptions::new().num_threads(1).load(repo(DIMODEL)).unwrap());
    let data = Arc::new(read(DIGIT_7));
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let (model, data) = (Arc::clone(&model), Arc::clone(&data));
            thread::spawn(move || (0..10).map(|_| model.predict(&data).unwrap().digit).collect::<Vec<_>>())
        })
        .collect();
    drop(model); // the last thread to finish frees it
    for handle in handles {
        assert_eq!(handle.join().unwrap(), vec![7; 10]);
    }
    let owned = Model::load(repo(DIMODEL)).unwrap();
    let digit = thread::spawn(move || owned.predict(&read(DIGIT_2)).unwrap().digit)
        .join()
        .unwrap();
    assert_eq!(digit, 2);
}
