'use strict';
// The API on the shipped models: every input kind gives the encoded result, batches equal
// one-by-one calls, info, topK, load options and names.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const { pathToFileURL } = require('node:url');
const h = require('./helpers');

const { di } = h;
const m = h.model(h.DIMODEL);

test('the shipped .dimodel describes itself', () => {
  const info = m.info;
  assert.deepEqual([info.inputChannels, info.inputHeight, info.inputWidth, info.numClasses], [1, 28, 28, 10]);
  assert.deepEqual(info.labels, ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
  assert.equal(info.engine, 'native');
  assert.ok(di.OUTPUT_KINDS.includes(info.outputKind) && info.outputKind !== 'auto');
  assert.ok(info.std > 0 && typeof info.name === 'string' && info.numThreads >= 1);
  assert.equal(info.maxPixels, di.DEFAULT_MAX_PIXELS);
  assert.equal(info.maxEncodedBytes, di.DEFAULT_MAX_ENCODED_BYTES);
  assert.equal(info.cache, 'not_used');
  assert.ok(Object.isFrozen(info));
});

test('the example images are their digits', () => {
  assert.equal(m.predict(h.DIGIT_7).digit, 7);
  assert.equal(m.predict(h.DIGIT_2).digit, 2);
});

test('a prediction is consistent: probability, label, log-probabilities, topK', () => {
  const p = m.predict(h.DIGIT_7);
  assert.ok(p.probabilities instanceof Float32Array && p.probabilities.length === 10);
  assert.equal(p.label, '7');
  assert.equal(p.probability, p.probabilities[p.digit]);
  assert.equal(p.probability, Math.max(...p.probabilities));
  assert.ok(Math.abs(p.probabilities.reduce((a, b) => a + b, 0) - 1) < 1e-5);
  h.assertClose(Array.from(p.logProbabilities, Math.exp), p.probabilities, 1e-6, 'exp(logProbabilities)');
  const top = p.topK(3);
  assert.equal(top.length, 3);
  assert.deepEqual(top[0], { digit: 7, label: '7', probability: p.probability });
  assert.deepEqual(top.map((t) => t.probability), top.map((t) => t.probability).sort((a, b) => b - a));
  assert.equal(p.topK(100).length, 10);
  assert.equal(p.topK(0).length, 0);
});

test('predict takes a path, a URL, a Buffer, a Uint8Array, an ArrayBuffer or any view', () => {
  const data = fs.readFileSync(h.DIGIT_7);
  const expected = m.predict(data);
  const copy = new Uint8Array(data);
  const padded = new Uint8Array(data.length + 16);
  padded.set(data, 8);
  const sources = [h.DIGIT_7, pathToFileURL(h.DIGIT_7), copy, copy.buffer, new DataView(copy.buffer),
    padded.subarray(8, 8 + data.length)];
  for (const source of sources) assert.deepEqual(m.predict(source), expected, String(source));
});

test('a model loads from bytes as from its file', () => {
  const fromBytes = new di.Model(fs.readFileSync(h.DIMODEL));
  try {
    assert.deepEqual({ ...fromBytes.info, cacheNote: '' }, { ...m.info, cacheNote: '' });
    assert.deepEqual(fromBytes.predict(h.DIGIT_7), m.predict(h.DIGIT_7));
  } finally {
    fromBytes.close();
  }
});

test('a batch equals one-by-one predictions, with or without a thread count', () => {
  assert.ok(h.IMAGES.length >= 20);
  const batch = m.predictBatch(h.IMAGES);
  const threaded = m.predictBatch(h.IMAGES.map((f) => fs.readFileSync(f)), { threads: 2 });
  assert.equal(batch.length, h.IMAGES.length);
  h.IMAGES.forEach((image, i) => {
    const one = m.predict(image);
    h.assertSame(batch[i], one, image);
    h.assertSame(threaded[i], one, image);
  });
  assert.deepEqual(m.predictBatch([]), []);
});

test('preprocess gives the image and its normalized tensor', () => {
  const { image, tensor } = m.preprocess(h.DIGIT_7);
  assert.ok(image instanceof Uint8Array && image.length === 28 * 28);
  assert.ok(tensor instanceof Float32Array && tensor.length === 28 * 28);
  const { mean, std } = m.info;
  h.assertClose(tensor, Array.from(image, (v) => (v / 255 - mean) / std), 1e-5, 'tensor');
});

test('gray pixels give the encoded result, with any stride and 8-bit array type', () => {
  const { image } = m.preprocess(h.DIGIT_7);
  const expected = m.predict(h.DIGIT_7);
  h.assertSame(m.predictGray(image, 28, 28), expected);
  h.assertSame(m.predictGray(Buffer.from(image), 28, 28, 28), expected);
  h.assertSame(m.predictGray(new Uint8ClampedArray(image), 28, 28), expected);
  const padded = new Uint8Array(32 * 28).fill(255);
  for (let r = 0; r < 28; r++) padded.set(image.subarray(r * 28, r * 28 + 28), r * 32);
  h.assertSame(m.predictGray(padded, 28, 28, 32), expected);
  const short = padded.subarray(0, 32 * 27 + 28); // exactly the span of the image
  h.assertSame(m.predictGray(short, 28, 28, 32), expected);
  const [a, b] = m.predictGrayBatch([{ pixels: image, width: 28, height: 28 },
    { pixels: m.preprocess(h.DIGIT_2).image, width: 28, height: 28, stride: 28 }], { threads: 1 });
  h.assertSame(a, expected);
  assert.equal(b.digit, 2);
});

test('a PGM file\'s pixels as a gray image give the file\'s result', () => {
  // Binary PGM (P5): a text header "P5 <w> <h> <maxval>" and one whitespace byte, then the pixels.
  const file = h.at('tests/data/images/3-L-28x28.pgm');
  const data = fs.readFileSync(file);
  const header = /^P5\s+(\d+)\s+(\d+)\s+(\d+)\s/.exec(data.subarray(0, 64).toString('latin1'));
  const [width, height, maxval] = header.slice(1).map(Number);
  assert.equal(maxval, 255);
  const pixels = data.subarray(header[0].length, header[0].length + width * height);
  h.assertSame(m.predictGray(pixels, width, height), m.predict(file));
});

test('a gray image of another size is resized: the digit 7 drawn twice as large is still 7', () => {
  const { image } = m.preprocess(h.DIGIT_7);
  const big = new Uint8Array(56 * 56);
  for (let y = 0; y < 56; y++) for (let x = 0; x < 56; x++) big[y * 56 + x] = image[(y >> 1) * 28 + (x >> 1)];
  assert.equal(m.predictGray(big, 56, 56).digit, 7);
});

test('tensors give the encoded result, one prediction per tensor', () => {
  const t7 = m.preprocess(h.DIGIT_7).tensor;
  const t2 = m.preprocess(h.DIGIT_2).tensor;
  const [p] = m.predictTensor(t7);
  h.assertSame(p, m.predict(h.DIGIT_7));
  h.assertSame(m.predictTensor(Array.from(t7))[0], p);
  const both = new Float32Array(t7.length * 2);
  both.set(t7);
  both.set(t2, t7.length);
  assert.deepEqual(m.predictTensor(both, { threads: 1 }).map((q) => q.digit), [7, 2]);
});

test('load options reach the library', () => {
  const opts = { threads: 3, maxPixels: 70000, maxEncodedBytes: 50000n, engine: 'native', outputKind: 'log_softmax',
    maxJpegScans: 7, torchTimeLimitMs: 0, torchMemoryLimitBytes: 0, trustModel: false, cacheDir: '' };
  const limited = new di.Model(h.DIMODEL, opts);
  try {
    const info = limited.info;
    assert.deepEqual([info.numThreads, info.maxPixels, info.maxEncodedBytes, info.engine, info.outputKind],
      [3, 70000, 50000, 'native', 'log_probabilities']);
    h.assertStatus(() => limited.predict(h.at('tests/data/images/1-RGB-640x480.png')), 'DI_ERR_DECODE');
    h.assertStatus(() => limited.predictGray(new Uint8Array(300 * 300), 300, 300), 'DI_ERR_INVALID_ARGUMENT');
    assert.equal(limited.predict(h.DIGIT_7).digit, 7);
  } finally {
    limited.close();
  }
  const logits = new di.Model(h.DIMODEL, { outputKind: 'logits', engine: 1 });
  assert.deepEqual([logits.info.outputKind, logits.info.engine], ['logits', 'native']);
  logits.close();
});

test('TorchScript loads on every engine, which agree', { skip: !h.WITH_TORCH && 'needs the libtorch plugin' }, () => {
  for (const engine of ['auto', 'libtorch', 'reference']) {
    const ts = new di.Model(h.SCRIPTED, { engine, threads: 1 });
    try {
      assert.equal(ts.info.engine, engine === 'auto' ? 'native' : engine);
      for (const image of h.EXAMPLES) h.assertSame(ts.predict(image), m.predict(image), `${engine} ${image}`);
    } finally {
      ts.close();
    }
  }
});

test('version is the loaded library\'s', () => {
  assert.match(di.version(), /^\d+\.\d+\.\d+$/);
  assert.equal(di.version(), require('../package.json').version);
});

test('index.d.ts declares exactly the package\'s exports', () => {
  const dts = fs.readFileSync(require.resolve('../index.d.ts'), 'utf8');
  const declared = [...dts.matchAll(/^export (?:const|function|class) (\w+)/gm)].map((x) => x[1]);
  assert.deepEqual([...new Set(declared)].sort(), Object.keys(di).sort());
  const methods = Object.getOwnPropertyNames(di.Model.prototype).filter((k) => k !== 'constructor');
  const modelBlock = /export class Model \{([\s\S]*?)\n\}/.exec(dts)[1];
  for (const name of [...methods, 'load']) assert.match(modelBlock, new RegExp(`\\b${name}\\b`), `Model.${name}`);
});
