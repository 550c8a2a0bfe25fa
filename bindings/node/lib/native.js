'use strict';
// The C calls, one JS function each, shared by the main thread (model.js) and the workers of
// pool.js: statuses become DigitInferError (the message is read on the calling thread, where the
// library keeps it), and results come back in one ArrayBuffer, which can cross a postMessage.
// Inputs here are already checked by model.js: Uint8Array bytes, Float32Array tensors.

const { koffi, types, functions: c } = require('./ffi');
const { DigitInferError, Status } = require('./errors');

function statusName(code) {
  return c.di_status_string(code);
}

/** The error for `code`: the library's message for the last call on this thread, unless given. */
function error(code, message = c.di_last_error_message()) {
  return new DigitInferError(code, statusName(code), message || statusName(code));
}

function check(code) {
  if (code !== Status.OK) throw error(code);
}

function invalid(message) {
  return error(Status.ERR_INVALID_ARGUMENT, message);
}

// --- scratch memory the library writes results into -------------------------------------------
// One growing ArrayBuffer per thread (JS calls into C one at a time, and nothing runs during a
// call): the di_outputs/di_results struct, the predictions, the score rows and the input
// descriptors of one call. Results are copied out, so the buffer is reused at once.

const SIZE = Object.fromEntries(Object.entries(types).map(([name, type]) => [name, koffi.sizeof(type)]));
const HEADER = 64; // holds di_results (or di_outputs), then di_predict_options at HEADER
if (SIZE.di_results > HEADER || SIZE.di_outputs > HEADER || SIZE.di_predict_options > 16) {
  throw new Error('digitinfer: the structs outgrew the scratch header (lib/native.js)');
}
let scratch = new ArrayBuffer(4096);
let base = koffi.address(scratch);
let headerKey = ''; // what the struct at 0 describes now, to skip re-encoding it

function align8(n) {
  return (n + 7) & ~7;
}

/** Lays out one call on `count` images in the scratch buffer; returns the offsets. */
function layout(count, numClasses, descriptorSize = 0) {
  const rows = count * numClasses * 4;
  const at = { predictions: HEADER + 16 };
  at.probabilities = at.predictions + count * SIZE.di_prediction;
  at.logProbabilities = align8(at.probabilities + rows);
  at.descriptors = align8(at.logProbabilities + rows);
  at.end = at.descriptors + count * descriptorSize;
  if (at.end > scratch.byteLength) {
    let size = scratch.byteLength;
    while (size < at.end) size *= 2;
    scratch = new ArrayBuffer(size);
    base = koffi.address(scratch);
    headerKey = '';
  }
  return at;
}

// koffi passes an empty buffer as NULL, which the library refuses as an invalid argument; a
// 0-byte image file is a decode error, so it is passed as a real pointer with size 0.
const NO_BYTES = new Uint8Array(1);
function nonNull(bytes) {
  return bytes.length ? bytes : NO_BYTES;
}

function addr(offset) {
  return base + BigInt(offset);
}

/**
 * The results of a call on `count` images, copied out of the scratch buffer in one piece:
 * {count, numClasses, buffer, probabilities, logProbabilities} (the last two: byte offsets of the
 * score rows in `buffer`, which starts with the di_prediction array).
 */
function results(at, count, numClasses) {
  return {
    count,
    numClasses,
    buffer: scratch.slice(at.predictions, at.logProbabilities + count * numClasses * 4),
    probabilities: at.probabilities - at.predictions,
    logProbabilities: at.logProbabilities - at.predictions,
  };
}

/**
 * Encodes the di_results and di_predict_options of an *_ex call, unless the last call left the
 * same ones (encoding costs more than a microsecond); returns the options' address or null.
 */
function exStructs(at, count, numClasses, threads) {
  const key = `ex:${base}:${count}:${numClasses}:${threads}`;
  if (headerKey !== key) {
    koffi.encode(scratch, 0, types.di_results, {
      struct_size: SIZE.di_results,
      predictions: addr(at.predictions),
      probabilities: addr(at.probabilities),
      log_probabilities: addr(at.logProbabilities),
      scores_capacity: count * numClasses,
      statuses: null,
      messages: null,
    });
    if (threads !== undefined) {
      koffi.encode(scratch, HEADER, types.di_predict_options, { struct_size: SIZE.di_predict_options, num_threads: threads });
    }
    headerKey = key;
  }
  return threads === undefined ? null : addr(HEADER);
}

// --- names and versions -------------------------------------------------------------------------

function fromName(fn, name) {
  const out = [0];
  check(fn(name, out));
  return out[0];
}

const names = {
  engineName: (value) => c.di_engine_name(value),
  outputKindName: (value) => c.di_output_kind_name(value),
  engineFromName: (name) => fromName(c.di_engine_from_name, name),
  outputKindFromName: (name) => fromName(c.di_output_kind_from_name, name),
};

// --- models -------------------------------------------------------------------------------------

function loadOptionsDefault() {
  return c.di_load_options_default();
}

function loadFile(path, options) {
  const out = [null];
  check(c.di_model_load_file(path, options, out));
  return out[0];
}

function loadMemory(bytes, options) {
  const out = [null];
  check(c.di_model_load_memory(nonNull(bytes), bytes.length, options, out));
  return out[0];
}

function free(handle) {
  c.di_model_free(handle);
}

function info(handle) {
  const raw = { struct_size: SIZE.di_model_info };
  check(c.di_model_get_info(handle, raw));
  const labels = [];
  for (let i = 0; i < raw.num_classes; i++) {
    const out = [null];
    check(c.di_model_get_label(handle, i, out));
    labels.push(out[0]);
  }
  return { ...raw, labels };
}

function exportNative(handle, path) {
  check(c.di_model_export_native(handle, path));
}

// --- predictions ----------------------------------------------------------------------------------

function predictEncoded(handle, numClasses, bytes) {
  const at = layout(1, numClasses);
  const key = `outputs:${base}:${numClasses}`;
  if (headerKey !== key) {
    koffi.encode(scratch, 0, types.di_outputs, {
      predictions: addr(at.predictions),
      probabilities: addr(at.probabilities),
      log_probabilities: addr(at.logProbabilities),
      scores_capacity: numClasses,
    });
    headerKey = key;
  }
  check(c.di_model_predict_encoded(handle, nonNull(bytes), bytes.length, scratch));
  return results(at, 1, numClasses);
}

function predictEncodedBatch(handle, numClasses, list, threads) {
  const at = layout(list.length, numClasses, SIZE.di_encoded_image);
  list.forEach((bytes, i) => {
    koffi.encode(scratch, at.descriptors + i * SIZE.di_encoded_image, types.di_encoded_image, {
      data: koffi.address(nonNull(bytes)),
      size: bytes.length,
    });
  });
  const opts = exStructs(at, list.length, numClasses, threads);
  // `list` stays referenced until the call returns: the addresses above point into its buffers.
  check(c.di_model_predict_encoded_ex(handle, addr(at.descriptors), list.length, opts, scratch));
  return results(at, list.length, numClasses);
}

function predictGrayBatch(handle, numClasses, images, threads) {
  const at = layout(images.length, numClasses, SIZE.di_gray_image);
  images.forEach(({ pixels, width, height, stride }, i) => {
    koffi.encode(scratch, at.descriptors + i * SIZE.di_gray_image, types.di_gray_image, {
      pixels: koffi.address(pixels),
      width,
      height,
      stride,
    });
  });
  const opts = exStructs(at, images.length, numClasses, threads);
  check(c.di_model_predict_gray_ex(handle, addr(at.descriptors), images.length, opts, scratch));
  return results(at, images.length, numClasses);
}

function predictTensor(handle, numClasses, floats, count, threads) {
  const at = layout(count, numClasses);
  const opts = exStructs(at, count, numClasses, threads);
  check(c.di_model_predict_tensor_ex(handle, floats, floats.length, count, opts, scratch));
  return results(at, count, numClasses);
}

function preprocess(handle, imageSize, tensorSize, bytes) {
  const image = new Uint8Array(imageSize);
  const tensor = new Float32Array(tensorSize);
  check(c.di_model_preprocess_encoded(handle, nonNull(bytes), bytes.length, image, imageSize, tensor, tensorSize));
  return { image, tensor };
}

module.exports = {
  error,
  invalid,
  statusName,
  version: () => c.di_version(),
  ...names,
  loadOptionsDefault,
  loadFile,
  loadMemory,
  free,
  info,
  exportNative,
  predictEncoded,
  predictEncodedBatch,
  predictGrayBatch,
  predictTensor,
  preprocess,
};
