#!/usr/bin/env node
// Per-call cost of the Node binding, against the C API's own (bench/bindings/c/overhead.c).
//   node bench/bindings/node/overhead.js [--calls 2000] [--repeats 5] [MODEL IMAGE]
// Times each call CALLS times per repeat on one thread and prints the median and range of the
// repeats in ns per call, in the C baseline's format:
//   version   digitinfer.version()                      (a trivial call through the binding)
//   tensor    model.predictTensor(Float32Array(784))    (di_model_predict_tensor_ex, a Prediction)
//   encoded   model.predict(pngBuffer)                  (di_model_predict_encoded, a Prediction)
//   async     await model.predictAsync(pngBuffer)       (one at a time: the worker round trip included)
//   async x8  predictAsync with 8 in flight               (throughput of the worker pool, ns per call)
// and rows "koffi", to split the binding's cost into koffi's and the wrapper's: the C baseline's
// trivial call di_model_get_info (into a JS object as ffi.js declares it, and into raw memory),
// and the two predict calls on preallocated outputs, no result objects.
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const di = require('../../../bindings/node');
const { koffi, types, functions: c } = require('../../../bindings/node/lib/ffi');

const ROOT = path.resolve(__dirname, '../../..');

function parse(argv) {
  const args = { calls: 2000, repeats: 5, files: [] };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--calls') args.calls = Number(argv[++i]);
    else if (argv[i] === '--repeats') args.repeats = Number(argv[++i]);
    else args.files.push(argv[i]);
  }
  const [model = path.join(ROOT, 'models/convnet.dimodel'), image = path.join(ROOT, 'examples/images/digit-7.png')] = args.files;
  if (!(args.calls >= 1 && args.repeats >= 1)) throw new Error('usage: overhead.js [--calls N] [--repeats N] [MODEL IMAGE]');
  return { ...args, model, image };
}

/**
 * ns per call of each repeat of each case. The repeats are interleaved (repeat 1 of every case,
 * then repeat 2...), so that a change of the machine's load hits all the cases alike; each case
 * is warmed by one call first (first-call costs are not per-call costs).
 */
async function perCall(cases, calls, repeats) {
  for (const { fn } of cases) await fn();
  const runs = cases.map(() => []);
  for (let r = 0; r < repeats; r++) {
    for (const [k, { fn, isAsync, per = 1 }] of cases.entries()) {
      const start = process.hrtime.bigint();
      if (isAsync) for (let i = 0; i < calls / per; i++) await fn();
      else for (let i = 0; i < calls; i++) fn();
      runs[k].push(Number(process.hrtime.bigint() - start) / calls);
    }
  }
  return runs;
}

function report(lang, name, runs, calls) {
  const sorted = [...runs].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)];
  console.log(`${lang.padEnd(7)} ${name.padEnd(8)} median ${median.toFixed(0).padStart(10)} ns  `
    + `range ${sorted[0].toFixed(0)}-${sorted.at(-1).toFixed(0)} ns  (${runs.length} x ${calls} calls)`);
}

/** The two predict calls with koffi alone: a handle of its own, outputs preallocated, no checks. */
function bareKoffi(modelFile, tensor, png) {
  const options = c.di_load_options_default();
  options.num_threads = 1;
  const out = [null];
  if (c.di_model_load_file(modelFile, options, out) !== 0) throw new Error(c.di_last_error_message());
  const handle = out[0];
  const memory = new ArrayBuffer(256);
  const base = koffi.address(memory);
  koffi.encode(memory, 0, types.di_outputs, { predictions: base + 64n, probabilities: base + 128n,
    log_probabilities: null, scores_capacity: 10 });
  // di_model_get_info as ffi.js declares it (koffi converts the struct to an object, strings and
  // all) and declared on raw memory (what crossing the ABI alone costs).
  const info = { struct_size: koffi.sizeof(types.di_model_info) };
  const rawInfo = new ArrayBuffer(koffi.sizeof(types.di_model_info));
  new Uint32Array(rawInfo, 0, 1)[0] = rawInfo.byteLength;
  const getInfoRaw = koffi.load(di.libraryPath).func('int di_model_get_info(void *model, void *out)');
  return {
    handle,
    info: () => c.di_model_get_info(handle, info),
    infoRaw: () => getInfoRaw(handle, rawInfo),
    tensor: () => c.di_model_predict_tensor(handle, tensor, tensor.length, 1, memory),
    encoded: () => c.di_model_predict_encoded(handle, png, png.length, memory),
  };
}

async function main() {
  const { calls, repeats, model: modelFile, image } = parse(process.argv.slice(2));
  const png = fs.readFileSync(image);
  const model = new di.Model(modelFile, { threads: 1 });
  const { tensor } = model.preprocess(png);
  const bare = bareKoffi(modelFile, tensor, png);
  console.log(`# node ${process.version}, koffi ${koffi.version}, ${di.libraryPath} ${di.version()}`);
  const cases = [
    { lang: 'node', name: 'version', fn: () => di.version() },
    { lang: 'koffi', name: 'info', fn: bare.info },
    { lang: 'koffi', name: 'info-raw', fn: bare.infoRaw },
    { lang: 'node', name: 'tensor', fn: () => model.predictTensor(tensor) },
    { lang: 'koffi', name: 'tensor', fn: bare.tensor },
    { lang: 'node', name: 'encoded', fn: () => model.predict(png) },
    { lang: 'koffi', name: 'encoded', fn: bare.encoded },
    { lang: 'node', name: 'async', fn: () => model.predictAsync(png), isAsync: true },
    { lang: 'node', name: 'async x8', fn: () => Promise.all(Array.from({ length: 8 }, () => model.predictAsync(png))),
      isAsync: true, per: 8 },
  ];
  const runs = await perCall(cases, calls, repeats);
  cases.forEach(({ lang, name }, k) => report(lang, name, runs[k], calls));
  c.di_model_free(bare.handle);
  model.close();
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
