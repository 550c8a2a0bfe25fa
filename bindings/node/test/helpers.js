'use strict';
// Shared by the tests: repository paths, the golden file, and whether the library under test has
// the libtorch plugin (as bindings/python/tests does: DIGITINFER_WITH_TORCH=1/0 says what CTest
// built, and must agree with the library; unset, the library is asked).

const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const di = require('..');

const ROOT = path.resolve(__dirname, '../../..');
const at = (relative) => path.join(ROOT, relative);

const DIMODEL = at('models/convnet.dimodel');
const SCRIPTED = at('models/convnet.scripted.pt');
const TRACED = at('models/convnet.traced.pt');
const DIGIT_7 = at('examples/images/digit-7.png');
const DIGIT_2 = at('examples/images/digit-2.png');
const BAD = at('tests/data/bad');
const EXAMPLES = fs.readdirSync(at('examples/images')).filter((f) => f.endsWith('.png')).sort()
  .map((f) => at(`examples/images/${f}`));
const IMAGES = fs.readdirSync(at('tests/data/images')).sort().map((f) => at(`tests/data/images/${f}`)).concat(EXAMPLES);
const GOLDEN = JSON.parse(fs.readFileSync(at('tests/data/golden.json'), 'utf8'));

const NO_PLUGIN = 'libtorch plugin is not installed';

function probeTorch() {
  try {
    new di.Model(TRACED, { cacheDir: '' }).close();
    return true;
  } catch (e) {
    if (e instanceof di.DigitInferError && e.status === 'DI_ERR_MODEL' && e.message.includes(NO_PLUGIN)) return false;
    throw e; // any other failure is a failure of the tests
  }
}

function withTorch() {
  const probed = probeTorch();
  const declared = (process.env.DIGITINFER_WITH_TORCH ?? '').trim().toLowerCase();
  if (!declared) return probed;
  const truth = { 1: true, on: true, true: true, yes: true, 0: false, off: false, false: false, no: false }[declared];
  if (truth === undefined) throw new Error(`DIGITINFER_WITH_TORCH=${declared}: expected 1 or 0`);
  if (truth !== probed) {
    throw new Error(`DIGITINFER_WITH_TORCH=${declared} but ${di.libraryPath} ${probed ? 'loads' : 'cannot load'} TorchScript`);
  }
  return truth;
}

const WITH_TORCH = withTorch();

/** Loads each model once per test file (closed when the process exits). */
const loaded = new Map();
function model(file) {
  if (!loaded.has(file)) loaded.set(file, new di.Model(file));
  return loaded.get(file);
}

function assertClose(actual, expected, tolerance, what) {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(Math.abs(actual[i] - expected[i]) <= tolerance,
      `${what}[${i}]: ${actual[i]} vs ${expected[i]} (tolerance ${tolerance})`);
  }
}

/** Same digit, probabilities within 1e-5. */
function assertSame(p, q, what = 'prediction') {
  assert.equal(p.digit, q.digit, `${what}: digit`);
  assertClose(p.probabilities, q.probabilities, 1e-5, `${what}: probabilities`);
}

/** `fn` throws a DigitInferError with `status` (and its code, and a message). */
function assertStatus(fn, status, messagePart) {
  assert.throws(fn, (e) => {
    assert.ok(e instanceof di.DigitInferError, `not a DigitInferError: ${e?.stack ?? e}`);
    assert.equal(e.status, status, e.message);
    assert.equal(e.code, di.Status[status.replace(/^DI_/, '')]);
    assert.ok(e.message.length > 0);
    if (messagePart) assert.ok(e.message.includes(messagePart), `"${e.message}" lacks "${messagePart}"`);
    return true;
  });
}

module.exports = {
  di, ROOT, at, DIMODEL, SCRIPTED, TRACED, DIGIT_7, DIGIT_2, BAD, EXAMPLES, IMAGES, GOLDEN, WITH_TORCH,
  model, assertClose, assertSame, assertStatus,
};
