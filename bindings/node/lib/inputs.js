'use strict';
// Checks and converts the JS values a caller passes (paths, buffers, pixel geometry, tensors) into
// what native.js takes. Wrong types are TypeErrors; wrong values DigitInferErrors (DI_ERR_*).

const fs = require('node:fs');
const { fileURLToPath } = require('node:url');
const native = require('./native');
const { Status } = require('./errors');

const INT32_MAX = 2 ** 31 - 1;

/** `value` for a C string argument: a NUL inside would silently cut it short. */
function cString(name, value) {
  if (value.includes('\0')) throw native.invalid(`${name} ${JSON.stringify(value)} contains a NUL character`);
  return value;
}

/** A path given as a string or a file: URL, else null. */
function pathOf(source) {
  if (typeof source === 'string') return cString('path', source);
  if (source instanceof URL) return cString('path', fileURLToPath(source));
  return null;
}

/** The elements of a batch: an iterable (an array, usually) that is not a string. */
function listOf(items, what) {
  if (items == null || typeof items === 'string' || typeof items[Symbol.iterator] !== 'function') {
    throw new TypeError(`${what} must be an array (or another iterable) of images`);
  }
  return Array.from(items);
}

/** The bytes of a Buffer, any typed array or DataView, or an ArrayBuffer, as a Uint8Array (no copy), else null. */
function viewOf(source) {
  if (source instanceof Uint8Array) return source;
  if (ArrayBuffer.isView(source)) return new Uint8Array(source.buffer, source.byteOffset, source.byteLength);
  if (source instanceof ArrayBuffer || source instanceof SharedArrayBuffer) return new Uint8Array(source);
  return null;
}

function ioError(file, e) {
  return native.error(Status.ERR_IO, `cannot read '${file}': ${e.message}`);
}

/** The encoded bytes of `source` (a path, URL or bytes), read synchronously. */
function bytesOf(source, what = 'image') {
  const bytes = viewOf(source);
  if (bytes) return bytes;
  const file = pathOf(source);
  if (file === null) throw new TypeError(`${what} must be a path (string or URL) or bytes (Buffer, Uint8Array, ArrayBuffer)`);
  try {
    return fs.readFileSync(file);
  } catch (e) {
    throw Object.assign(ioError(file, e), { cause: e });
  }
}

/** Same as bytesOf, reading a file without blocking. */
async function bytesOfAsync(source, what = 'image') {
  const bytes = viewOf(source);
  if (bytes) return bytes;
  const file = pathOf(source);
  if (file === null) throw new TypeError(`${what} must be a path (string or URL) or bytes (Buffer, Uint8Array, ArrayBuffer)`);
  try {
    return await fs.promises.readFile(file);
  } catch (e) {
    throw Object.assign(ioError(file, e), { cause: e });
  }
}

/** An integer argument in [lo, hi]; a non-number is a TypeError, anything else outside it DI_ERR_INVALID_ARGUMENT. */
function integer(name, value, lo, hi) {
  if (typeof value !== 'number') throw new TypeError(`${name} must be a number, not ${typeof value}`);
  if (!Number.isInteger(value) || value < lo || value > hi) {
    throw native.invalid(`${name} = ${value} is not an integer in [${lo}, ${hi}]`);
  }
  return value;
}

/** The per-call thread count of a batch call's options (undefined: the model's). */
function threadsOf(options = {}) {
  if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
  for (const key of Object.keys(options)) {
    if (key !== 'threads') throw new TypeError(`unknown option '${key}' (known: threads)`);
  }
  return options.threads === undefined ? undefined : integer('threads', options.threads, -(2 ** 31), INT32_MAX);
}

/**
 * A raw 8-bit gray image: pixels a Uint8Array (or Buffer, Uint8ClampedArray) holding rows of
 * `width` pixels, `stride` bytes apart. The library cannot see the buffer's length: the image's
 * span, stride * (height - 1) + width bytes, is checked here.
 */
function grayImage(pixels, width, height, stride = width) {
  if (!(pixels instanceof Uint8Array || pixels instanceof Uint8ClampedArray)) {
    throw new TypeError('pixels must be a Uint8Array, Uint8ClampedArray or Buffer of 8-bit gray values');
  }
  integer('width', width, -(2 ** 31), INT32_MAX);
  integer('height', height, -(2 ** 31), INT32_MAX);
  integer('stride', stride, 0, Number.MAX_SAFE_INTEGER);
  if (width > 0 && height > 0 && stride >= width && stride * (height - 1) + width > pixels.length) {
    throw native.invalid(`a ${width}x${height} image with stride ${stride} needs ${stride * (height - 1) + width} bytes; `
      + `pixels has ${pixels.length}`);
  }
  return { pixels, width, height, stride };
}

/** Float32 tensors: a Float32Array (or an array of numbers, copied) holding whole C x H x W tensors; returns [floats, count]. */
function tensors(data, info) {
  let floats = data;
  if (Array.isArray(data)) floats = Float32Array.from(data);
  else if (!(data instanceof Float32Array)) throw new TypeError('tensor must be a Float32Array (or an array of numbers)');
  const per = info.inputChannels * info.inputHeight * info.inputWidth;
  const count = floats.length / per;
  if (!Number.isInteger(count) || count < 1) {
    throw native.invalid(`${floats.length} floats are not a whole number (>= 1) of ${info.inputChannels}x`
      + `${info.inputHeight}x${info.inputWidth} tensors`);
  }
  return [floats, count];
}

module.exports = { cString, listOf, pathOf, viewOf, bytesOf, bytesOfAsync, integer, threadsOf, grayImage, tensors };
