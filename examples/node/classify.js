#!/usr/bin/env node
// Classifies the digit in each image file given on the command line, with the DigitInfer Node
// binding (bindings/node, required by relative path). The files are read and classified
// concurrently, off the main thread (predictAsync); the results print in argument order.
//   node examples/node/classify.js [--model FILE] IMAGE...
'use strict';

const path = require('node:path');
const { Model, DigitInferError } = require('../../bindings/node');

async function main(args) {
  let modelFile = path.join(__dirname, '../../models/convnet.dimodel'); // compiled: no libtorch needed
  if (args[0] === '--model') [, modelFile, ...args] = args;
  if (!modelFile || args.length === 0) {
    console.error('usage: node classify.js [--model FILE] IMAGE...');
    return 2;
  }
  const model = new Model(modelFile);
  const results = await Promise.allSettled(args.map((file) => model.predictAsync(file)));
  model.close();
  let failures = 0;
  results.forEach((r, i) => {
    if (r.status === 'fulfilled') {
      console.log(`${args[i]}: ${r.value.label} (p=${r.value.probability.toFixed(4)})`);
    } else {
      const e = r.reason;
      console.error(`${args[i]}: ${e instanceof DigitInferError ? `${e.status}: ` : ''}${e.message}`);
      failures++;
    }
  });
  return failures ? 1 : 0;
}

main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (e) => {
  console.error(e instanceof DigitInferError ? `${e.status}: ${e.message}` : e);
  process.exitCode = 1;
});
