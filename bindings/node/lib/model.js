'use strict';
// Model: a loaded di_model and everything one can do with it. Synchronous calls run on the
// calling thread; predictAsync and Model.load run on pool.js's workers. A di_model is immutable
// and may be used from many threads at once (digitinfer.h); only its freeing must not race, so
// close() while async calls are in flight frees it when the last one settles.

const native = require('./native');
const { file: libraryFile } = require('./ffi');
const { loadOptions } = require('./options');
const { Prediction } = require('./prediction');
const { pool } = require('./pool');
const inputs = require('./inputs');

const CACHE_USES = ['not_used', 'hit', 'stored', 'not_stored']; // di_cache_use values, in order

// Frees the models a program forgot to close once they are garbage.
const finalizer = new FinalizationRegistry((handle) => native.free(handle));
const ADOPT = Symbol('adopt a loaded handle');

function describe(raw) {
  return Object.freeze({
    name: raw.name,
    inputChannels: raw.input_channels,
    inputHeight: raw.input_height,
    inputWidth: raw.input_width,
    numClasses: raw.num_classes,
    labels: Object.freeze(raw.labels),
    mean: raw.mean,
    std: raw.std,
    outputKind: native.outputKindName(raw.output_kind),
    hasMetadata: raw.has_metadata !== 0,
    engine: native.engineName(raw.engine),
    engineNote: raw.engine_note,
    numThreads: raw.num_threads,
    maxPixels: raw.max_pixels,
    maxEncodedBytes: raw.max_encoded_bytes,
    cache: CACHE_USES[raw.cache] ?? raw.cache,
    cachePath: raw.cache_path,
    cacheNote: raw.cache_note,
  });
}

/** Where `source` (a path, URL or bytes) is loaded from: [path, null] or [null, bytes]. */
function modelSource(source) {
  const path = inputs.pathOf(source);
  if (path !== null) return [path, null];
  const bytes = inputs.viewOf(source);
  if (bytes) return [null, bytes];
  throw new TypeError('a model is loaded from a path (string or URL) or its bytes (Buffer, Uint8Array, ArrayBuffer)');
}

class Model {
  #handle;
  #info;
  #closed = false;
  #inFlight = 0;

  /**
   * Loads a model (.dimodel or TorchScript) from a path or its bytes, on the calling thread.
   * @param {string | URL | Uint8Array | ArrayBuffer} source
   * @param {object} [options] see index.d.ts: LoadOptions
   */
  constructor(source, options) {
    let handle;
    if (source === ADOPT) {
      handle = options;
    } else {
      const opts = loadOptions(options);
      const [path, bytes] = modelSource(source);
      handle = path !== null ? native.loadFile(path, opts) : native.loadMemory(bytes, opts);
    }
    try {
      this.#info = describe(native.info(handle));
    } catch (e) {
      native.free(handle);
      throw e;
    }
    this.#handle = handle;
    finalizer.register(this, handle, this);
  }

  /** Same as the constructor, loading on a worker thread (a TorchScript file can take a while). */
  static async load(source, options) {
    const opts = loadOptions(options);
    const [path, bytes] = modelSource(source);
    const copy = bytes && new Uint8Array(bytes); // the worker gets its own copy (a Buffer's slice() would share it)
    const handle = await pool(libraryFile).run('load', [path ?? copy, opts], copy ? [copy.buffer] : []);
    return new Model(ADOPT, handle);
  }

  /** The model's description: shapes, labels, engine, output kind, limits. */
  get info() {
    this.#live();
    return this.#info;
  }

  /** True once close() was called. */
  get closed() {
    return this.#closed;
  }

  /** Predicts one encoded image file (PNG, JPEG, BMP, GIF, PGM/PPM, TGA): its bytes or its path. */
  predict(image) {
    const bytes = inputs.bytesOf(image);
    return this.#one(native.predictEncoded(this.#live(), this.#info.numClasses, bytes));
  }

  /** Same as predict, on a worker thread: the event loop keeps running. */
  async predictAsync(image) {
    const bytes = await inputs.bytesOfAsync(image);
    const handle = this.#live();
    const copy = new Uint8Array(bytes); // a private copy for the worker (a Buffer's slice() would share it)
    this.#inFlight++;
    try {
      const r = await pool(libraryFile).run('predict', [handle, this.#info.numClasses, copy], [copy.buffer]);
      return this.#one(r);
    } finally {
      if (--this.#inFlight === 0 && this.#closed) native.free(handle);
    }
  }

  /** Predicts encoded images (bytes or paths) in one batched forward. */
  predictBatch(images, options) {
    const threads = inputs.threadsOf(options);
    const list = inputs.listOf(images, 'images').map((image) => inputs.bytesOf(image));
    if (list.length === 0) return [];
    return this.#many(native.predictEncodedBatch(this.#live(), this.#info.numClasses, list, threads));
  }

  /** Predicts one raw 8-bit gray image of any size (resized like an encoded one); stride defaults to width. */
  predictGray(pixels, width, height, stride) {
    const image = inputs.grayImage(pixels, width, height, stride);
    return this.#one(native.predictGrayBatch(this.#live(), this.#info.numClasses, [image]));
  }

  /** Predicts raw gray images, [{pixels, width, height, stride?}], in one batched forward. */
  predictGrayBatch(images, options) {
    const threads = inputs.threadsOf(options);
    const list = inputs.listOf(images, 'images').map((im) => inputs.grayImage(im?.pixels, im?.width, im?.height, im?.stride));
    if (list.length === 0) return [];
    return this.#many(native.predictGrayBatch(this.#live(), this.#info.numClasses, list, threads));
  }

  /** Predicts normalized float32 C x H x W tensors, back to back: one Prediction per tensor. */
  predictTensor(data, options) {
    const threads = inputs.threadsOf(options);
    const [floats, count] = inputs.tensors(data, this.#info);
    return this.#many(native.predictTensor(this.#live(), this.#info.numClasses, floats, count, threads));
  }

  /** The preprocessing alone: {image: H*W gray bytes, tensor: C*H*W normalized floats}. */
  preprocess(image) {
    const bytes = inputs.bytesOf(image);
    const { inputChannels: c, inputHeight: h, inputWidth: w } = this.#info;
    return native.preprocess(this.#live(), h * w, c * h * w, bytes);
  }

  /** Writes the model as a .dimodel file (DI_ERR_MODEL when it does not run on the native engine). */
  exportNative(path) {
    const file = inputs.pathOf(path);
    if (file === null) throw new TypeError('path must be a string or a file: URL');
    native.exportNative(this.#live(), file);
  }

  /** Frees the model; later calls throw. Safe to call twice. */
  close() {
    if (this.#closed) return;
    this.#closed = true;
    finalizer.unregister(this);
    if (this.#inFlight === 0) native.free(this.#handle);
  }

  #live() {
    if (this.#closed) throw native.invalid('the model is closed');
    return this.#handle;
  }

  #one(results) {
    return Prediction.fromResults(results, this.#info.labels)[0];
  }

  #many(results) {
    return Prediction.fromResults(results, this.#info.labels);
  }
}

module.exports = { Model };
