'use strict';
// Parity with the Python reference pipeline (tests/data/golden.json, made by tools/make_golden.py):
// digit equal, probabilities within 1e-5, and the preprocessed image byte for byte.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const h = require('./helpers');

const isTorchScript = (m) => m.endsWith('.pt');

function checkCase(m, c) {
  const p = m.predict(h.at(c.image));
  assert.equal(p.digit, c.digit, 'digit');
  h.assertClose(p.probabilities, c.probabilities, 1e-5, 'probabilities');
  for (let i = 0; i < c.log_probabilities.length; i++) {
    const [a, b] = [p.logProbabilities[i], c.log_probabilities[i]];
    assert.ok(Math.abs(a - b) <= 1e-4 + 1e-5 * Math.abs(b), `log_probabilities[${i}]: ${a} vs ${b}`);
  }
  assert.deepEqual(Array.from(m.preprocess(h.at(c.image)).image), c.preprocessed, 'preprocessed image');
}

test('golden.json has cases for both example images', () => {
  const images = new Set(h.GOLDEN.cases.map((c) => c.image));
  assert.ok(images.has('examples/images/digit-7.png') && images.has('examples/images/digit-2.png'));
  assert.ok(h.GOLDEN.cases.length >= 100);
});

// The .dimodel is the scripted model compiled for the native engine: it must match its cases
// without libtorch.
test('models/convnet.dimodel matches the golden cases of the scripted model', () => {
  const cases = h.GOLDEN.cases.filter((c) => c.model === 'models/convnet.scripted.pt');
  assert.ok(cases.length >= 100, `${cases.length} cases`);
  const m = h.model(h.DIMODEL);
  for (const c of cases) checkCase(m, c);
});

const byModel = new Map();
for (const c of h.GOLDEN.cases) byModel.set(c.model, [...(byModel.get(c.model) ?? []), c]);

for (const [file, cases] of byModel) {
  const skip = isTorchScript(file) && !h.WITH_TORCH && `needs the libtorch plugin: ${cases.length} cases of ${file}`;
  test(`${file} matches its ${cases.length} golden cases`, { skip }, () => {
    const m = h.model(h.at(file));
    for (const c of cases) {
      try {
        checkCase(m, c);
      } catch (e) {
        e.message = `${c.image}: ${e.message}`;
        throw e;
      }
    }
  });
}
