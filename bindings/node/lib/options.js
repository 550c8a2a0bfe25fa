'use strict';
// Load options in JS (camelCase, names for enums) to a di_load_options. Unknown keys and wrong
// types are TypeErrors (programming mistakes); values the C type cannot hold are DigitInferErrors
// with DI_ERR_INVALID_ARGUMENT, like values the library itself refuses.

const native = require('./native');
const { cString } = require('./inputs');

const DI_LOAD_TRUSTED_MODEL = 1;

const INT32 = [-(2n ** 31n), 2n ** 31n - 1n];
const UINT32 = [0n, 2n ** 32n - 1n];
const UINT64 = [0n, 2n ** 64n - 1n];

/** key -> [C field, range] for the integer options. */
const INTEGERS = {
  threads: ['num_threads', INT32],
  maxPixels: ['max_pixels', UINT64],
  maxEncodedBytes: ['max_encoded_bytes', UINT64],
  maxJpegScans: ['max_jpeg_scans', UINT32],
  torchTimeLimitMs: ['torch_time_limit_ms', UINT32],
  torchMemoryLimitBytes: ['torch_memory_limit_bytes', UINT64],
};
const KEYS = new Set([...Object.keys(INTEGERS), 'engine', 'outputKind', 'cacheDir', 'trustModel']);

/** A number or bigint `value` of option `key`, checked against the C field's range. */
function integer(key, value, [lo, hi]) {
  if (typeof value !== 'number' && typeof value !== 'bigint') {
    throw new TypeError(`option ${key} must be an integer (number or bigint), not ${typeof value}`);
  }
  if ((typeof value === 'number' && !Number.isInteger(value)) || BigInt(value) < lo || BigInt(value) > hi) {
    throw native.invalid(`option ${key} = ${value} is not an integer in [${lo}, ${hi}]`);
  }
  return value;
}

/** An engine or output kind: its C name ("native", "logits"...) or its C value. */
function enumValue(key, value, fromName) {
  if (typeof value === 'string') return fromName(cString(key, value));
  if (typeof value === 'number') return integer(key, value, INT32);
  throw new TypeError(`option ${key} must be a name (string) or a C enum value (number), not ${typeof value}`);
}

/** The di_load_options for `options` (an object of the keys above, each optional). */
function loadOptions(options = {}) {
  if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
  const c = native.loadOptionsDefault();
  for (const [key, value] of Object.entries(options)) {
    if (!KEYS.has(key)) throw new TypeError(`unknown load option '${key}' (known: ${[...KEYS].join(', ')})`);
    if (value === undefined) continue; // the default
    if (key in INTEGERS) {
      const [field, range] = INTEGERS[key];
      c[field] = integer(key, value, range);
    } else if (key === 'engine') {
      c.engine = enumValue(key, value, native.engineFromName);
    } else if (key === 'outputKind') {
      c.output_kind = enumValue(key, value, native.outputKindFromName);
    } else if (key === 'cacheDir') {
      if (typeof value !== 'string' && value !== null) throw new TypeError('option cacheDir must be a string or null');
      c.cache_dir = value === null ? null : cString(key, value);
    } else if (key === 'trustModel') {
      if (typeof value !== 'boolean') throw new TypeError('option trustModel must be a boolean');
      c.flags = value ? c.flags | DI_LOAD_TRUSTED_MODEL : c.flags & ~DI_LOAD_TRUSTED_MODEL;
    }
  }
  return c;
}

module.exports = { loadOptions, DI_LOAD_TRUSTED_MODEL };
