'use strict';
// The one error type of the binding: a DigitInfer status code and the library's message.

/** di_status values (include/digitinfer/digitinfer.h). The library may add codes: treat unknown ones as errors. */
const Status = Object.freeze({
  OK: 0,
  ERR_INVALID_ARGUMENT: -1,
  ERR_IO: -2,
  ERR_DECODE: -3,
  ERR_MODEL: -4,
  ERR_OUT_OF_MEMORY: -5,
  ERR_BUFFER_TOO_SMALL: -6,
  ERR_INFERENCE: -7,
  ERR_INTERNAL: -100,
});

class DigitInferError extends Error {
  /**
   * @param {number} code a di_status, e.g. -3
   * @param {string} status its name as di_status_string spells it, e.g. "DI_ERR_DECODE"
   * @param {string} message the library's message (di_last_error_message), or the binding's own
   */
  constructor(code, status, message, options) {
    super(message, options);
    this.name = 'DigitInferError';
    this.code = code;
    this.status = status;
  }
}

module.exports = { DigitInferError, Status };
