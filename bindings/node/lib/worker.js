'use strict';
// A pool.js worker: runs native.js calls on its own thread, so the main thread's event loop keeps
// going, and reads each failure's message on the thread that failed (the library keeps it per thread).

const { parentPort } = require('node:worker_threads');
const native = require('./native');
const { DigitInferError } = require('./errors');

const OPS = {
  load(source, options) {
    const handle = typeof source === 'string' ? native.loadFile(source, options) : native.loadMemory(source, options);
    return [handle, []];
  },
  predict(handle, numClasses, bytes) {
    const r = native.predictEncoded(handle, numClasses, bytes);
    return [r, [r.buffer]];
  },
};

parentPort.on('message', ({ id, op, args }) => {
  try {
    const [value, transfer] = OPS[op](...args);
    parentPort.postMessage({ id, value }, transfer);
  } catch (e) {
    const error = e instanceof DigitInferError
      ? { code: e.code, status: e.status, message: e.message }
      : { message: String(e?.stack ?? e) };
    parentPort.postMessage({ id, error });
  }
});
