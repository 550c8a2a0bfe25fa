'use strict';
// digitinfer: handwritten-digit inference over DigitInfer's C API (libdigitinfer.so.1).

const native = require('./native');
const { file } = require('./ffi');
const { Model } = require('./model');
const { Prediction } = require('./prediction');
const { DigitInferError, Status } = require('./errors');

module.exports = {
  Model,
  Prediction,
  DigitInferError,
  Status,
  /** Version of the loaded C library, "MAJOR.MINOR.PATCH". */
  version: () => native.version(),
  /** The shared library file this process loaded. */
  libraryPath: file,
  /** Engine names, as the library spells them (di_engine_name). */
  ENGINES: Object.freeze(['auto', 'native', 'libtorch', 'reference']),
  /** Output kind names (di_output_kind_name). */
  OUTPUT_KINDS: Object.freeze(['auto', 'log_probabilities', 'logits', 'probabilities']),
  DEFAULT_MAX_PIXELS: 178956970,
  DEFAULT_MAX_ENCODED_BYTES: 1073741824,
  DEFAULT_MAX_JPEG_SCANS: 100,
  MAX_BATCH: 65536,
};
