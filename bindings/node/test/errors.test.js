'use strict';
// Bad input gives a DigitInferError carrying the C status (or a TypeError for a wrong JS type),
// never a crash; a closed model refuses every call.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const h = require('./helpers');

const { di } = h;
const m = h.model(h.DIMODEL);
const bad = (name) => fs.readFileSync(path.join(h.BAD, name));

test('undecodable bytes are DI_ERR_DECODE, for every call taking image bytes', () => {
  const inputs = [Buffer.from('garbage, not an image'), new Uint8Array(0)];
  for (const name of ['corrupt.png', 'empty.png', 'truncated.png', 'truncated.jpg', 'huge-dims.png',
    'zero-width.bmp', 'not-an-image.txt', 'random.bin']) inputs.push(bad(name));
  for (const data of inputs) {
    h.assertStatus(() => m.predict(data), 'DI_ERR_DECODE');
    h.assertStatus(() => m.preprocess(data), 'DI_ERR_DECODE');
    h.assertStatus(() => m.predictBatch([h.DIGIT_7, data]), 'DI_ERR_DECODE');
  }
});

test('a missing file is DI_ERR_IO naming it, for images and models', () => {
  const missing = path.join(os.tmpdir(), `digitinfer-missing-${process.pid}.png`);
  h.assertStatus(() => m.predict(missing), 'DI_ERR_IO', missing);
  h.assertStatus(() => m.predictBatch([missing]), 'DI_ERR_IO', missing);
  h.assertStatus(() => new di.Model(missing), 'DI_ERR_IO');
  h.assertStatus(() => new di.Model(os.tmpdir()), 'DI_ERR_IO'); // a directory
});

test('a path or a name with a NUL inside is refused, not cut short', () => {
  h.assertStatus(() => m.predict(`${h.DIGIT_7}\0.txt`), 'DI_ERR_INVALID_ARGUMENT', 'NUL');
  h.assertStatus(() => new di.Model(`${h.DIMODEL}\0.txt`), 'DI_ERR_INVALID_ARGUMENT', 'NUL');
  h.assertStatus(() => new di.Model(h.DIMODEL, { cacheDir: '/tmp\0/x' }), 'DI_ERR_INVALID_ARGUMENT', 'NUL');
  h.assertStatus(() => m.exportNative(`${os.tmpdir()}/x\0.dimodel`), 'DI_ERR_INVALID_ARGUMENT', 'NUL');
});

test('bytes that are no model are DI_ERR_MODEL', () => {
  for (const data of [Buffer.from('\0garbage model bytes'), bad('garbage.pt'), bad('not-torchscript.pt'),
    new Uint8Array(0)]) {
    h.assertStatus(() => new di.Model(data), data.length ? 'DI_ERR_MODEL' : 'DI_ERR_INVALID_ARGUMENT');
  }
  h.assertStatus(() => new di.Model(path.join(h.BAD, 'random.bin')), 'DI_ERR_MODEL');
});

test('TorchScript models of the wrong shape are DI_ERR_MODEL', { skip: !h.WITH_TORCH && 'needs the libtorch plugin' }, () => {
  for (const name of ['wrong-input.pt', 'wrong-output.pt', 'wrong-output-flat.pt']) {
    h.assertStatus(() => new di.Model(path.join(h.BAD, name)), 'DI_ERR_MODEL');
  }
});

test('without the plugin, TorchScript is DI_ERR_MODEL saying so', { skip: h.WITH_TORCH && 'the plugin is installed' }, () => {
  // No compiled-model cache: an entry stored by a build with the plugin would load without it.
  h.assertStatus(() => new di.Model(h.SCRIPTED, { cacheDir: '' }), 'DI_ERR_MODEL', 'libtorch plugin is not installed');
});

test('tensors that are not whole C x H x W tensors are DI_ERR_INVALID_ARGUMENT', () => {
  for (const n of [0, 783, 785, 784 * 2 - 1]) {
    h.assertStatus(() => m.predictTensor(new Float32Array(n)), 'DI_ERR_INVALID_ARGUMENT');
  }
  h.assertStatus(() => m.predictTensor(new Float32Array(784).fill(NaN)), 'DI_ERR_INVALID_ARGUMENT', 'not finite');
});

test('gray geometry outside the buffer or the C types is DI_ERR_INVALID_ARGUMENT', () => {
  const cases = [[783, 28, 28], [800, 28, 28, 29], [10, 0, 1], [10, 5, 1, 4], [10, -1, 1], [10, 2 ** 32 + 1, 1],
    [10, 2, 2, 1.5], [10, 2, 2, -1], [10, 1.5, 2]];
  for (const [size, ...geometry] of cases) {
    h.assertStatus(() => m.predictGray(new Uint8Array(size), ...geometry), 'DI_ERR_INVALID_ARGUMENT');
    h.assertStatus(() => m.predictGrayBatch([{ pixels: new Uint8Array(size), width: geometry[0], height: geometry[1],
      stride: geometry[2] }]), 'DI_ERR_INVALID_ARGUMENT');
  }
});

test('bad load options are DI_ERR_INVALID_ARGUMENT, unknown ones TypeErrors', () => {
  for (const options of [{ threads: -1 }, { outputKind: 99 }, { engine: 'bogus' }, { outputKind: 'bogus' },
    { engine: 'native\0' }, { maxPixels: 0 }, { maxPixels: di.DEFAULT_MAX_PIXELS + 1 }, { maxEncodedBytes: -1 },
    { threads: 2 ** 31 }, { threads: 0.5 }, { maxJpegScans: 0 }]) {
    h.assertStatus(() => new di.Model(h.DIMODEL, options), 'DI_ERR_INVALID_ARGUMENT');
  }
  for (const options of [{ thread: 1 }, { threads: '1' }, { trustModel: 1 }, { engine: {} }, { cacheDir: 3 }]) {
    assert.throws(() => new di.Model(h.DIMODEL, options), TypeError, JSON.stringify(options));
  }
  h.assertStatus(() => m.predictBatch([h.DIGIT_7], { threads: -1 }), 'DI_ERR_INVALID_ARGUMENT');
  assert.throws(() => m.predictBatch([h.DIGIT_7], { thread: 1 }), TypeError);
});

test('wrong argument types are TypeErrors, not crashes', () => {
  for (const input of [undefined, null, 7, {}, [1, 2]]) {
    assert.throws(() => m.predict(input), TypeError);
    assert.throws(() => m.preprocess(input), TypeError);
  }
  assert.throws(() => new di.Model(42), TypeError);
  assert.throws(() => m.predictGray(new Float32Array(784), 28, 28), TypeError);
  assert.throws(() => m.predictGray(new Uint8Array(784), '28', 28), TypeError);
  assert.throws(() => m.predictGrayBatch([{ width: 28, height: 28 }]), TypeError);
  assert.throws(() => m.predictTensor(new Float64Array(784)), TypeError);
  for (const notAList of [h.DIGIT_7, h.DIGIT_7.length, null]) {
    assert.throws(() => m.predictBatch(notAList), TypeError);
    assert.throws(() => m.predictGrayBatch(notAList), TypeError);
  }
});

test('close twice is safe; every call after close throws DI_ERR_INVALID_ARGUMENT', async () => {
  const closing = new di.Model(h.DIMODEL);
  assert.equal(closing.closed, false);
  closing.close();
  closing.close();
  assert.equal(closing.closed, true);
  const image = new Uint8Array(28 * 28);
  const calls = [() => closing.predict(h.DIGIT_7), () => closing.predictBatch([h.DIGIT_7]),
    () => closing.preprocess(h.DIGIT_7), () => closing.predictGray(image, 28, 28),
    () => closing.predictGrayBatch([{ pixels: image, width: 28, height: 28 }]),
    () => closing.predictTensor(new Float32Array(784)), () => closing.info,
    () => closing.exportNative(path.join(os.tmpdir(), 'never.dimodel'))];
  for (const call of calls) h.assertStatus(call, 'DI_ERR_INVALID_ARGUMENT', 'the model is closed');
  await assert.rejects(closing.predictAsync(h.DIGIT_7), (e) => e.code === -1 && /closed/.test(e.message));
});
