'use strict';
// The Promise-returning calls: they run on worker threads (the event loop keeps turning), several
// at once give the synchronous results, failures carry the C status, and close() waits for them.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const h = require('./helpers');

const { di } = h;
const m = h.model(h.DIMODEL);

test('concurrent predictAsync calls equal the synchronous results', async () => {
  const images = h.IMAGES.map((f) => fs.readFileSync(f));
  const sync = images.map((data) => m.predict(data));
  const rounds = [...images, ...images, ...images]; // more calls than workers: some wait their turn
  const results = await Promise.all(rounds.map((data) => m.predictAsync(data)));
  results.forEach((p, i) => {
    const expected = sync[i % images.length];
    assert.ok(p instanceof di.Prediction);
    assert.equal(p.digit, expected.digit, h.IMAGES[i % images.length]);
    assert.deepEqual(p.probabilities, expected.probabilities, h.IMAGES[i % images.length]);
  });
  assert.equal((await m.predictAsync(h.DIGIT_7)).digit, 7); // a path, read without blocking
});

test('predictAsync runs off the main thread: the event loop turns while it works', async () => {
  const big = fs.readFileSync(h.at('tests/data/images/1-RGB-640x480.png'));
  let turns = 0;
  let done = false;
  const tick = () => {
    turns++;
    if (!done) setImmediate(tick);
  };
  setImmediate(tick);
  let results;
  try {
    results = await Promise.all(Array.from({ length: 16 }, () => m.predictAsync(big)));
  } finally {
    done = true; // else the ticks would keep the process alive after a failure
  }
  assert.ok(results.every((p) => p.digit === results[0].digit));
  assert.ok(turns > 16, `the event loop turned ${turns} times during 16 predictions`);
});

test('a failed predictAsync rejects with the C status and the library\'s message', async () => {
  const expectDecode = (e) => e instanceof di.DigitInferError && e.status === 'DI_ERR_DECODE' && e.code === -3
    && e.message === (() => { try { m.predict(Buffer.from('junk')); } catch (s) { return s.message; } })();
  await assert.rejects(m.predictAsync(Buffer.from('junk')), expectDecode);
  await assert.rejects(m.predictAsync('/nonexistent/x.png'), (e) => e.status === 'DI_ERR_IO');
  await assert.rejects(m.predictAsync(42), TypeError);
  // failures and successes interleaved on the same workers keep their own messages
  const mixed = await Promise.allSettled(Array.from({ length: 12 }, (_, i) =>
    m.predictAsync(i % 2 ? Buffer.from('junk') : fs.readFileSync(h.DIGIT_7))));
  mixed.forEach((r, i) => {
    if (i % 2) assert.ok(r.status === 'rejected' && expectDecode(r.reason), String(r.reason));
    else assert.equal(r.value.digit, 7);
  });
});

test('Model.load loads on a worker, from a path or bytes', async () => {
  for (const source of [h.DIMODEL, fs.readFileSync(h.DIMODEL)]) {
    const loaded = await di.Model.load(source, { threads: 1 });
    try {
      assert.equal(loaded.info.numThreads, 1);
      h.assertSame(loaded.predict(h.DIGIT_7), m.predict(h.DIGIT_7));
    } finally {
      loaded.close();
    }
  }
  await assert.rejects(di.Model.load('/nonexistent.dimodel'), (e) => e.status === 'DI_ERR_IO' && e.code === -2);
  await assert.rejects(di.Model.load(Buffer.from('\0garbage')), (e) => e.status === 'DI_ERR_MODEL');
  await assert.rejects(di.Model.load(h.DIMODEL, { threads: -1 }), (e) => e.status === 'DI_ERR_INVALID_ARGUMENT');
});

test('close() while predictions are in flight lets them finish, then frees the model', async () => {
  const closing = new di.Model(h.DIMODEL);
  const data = fs.readFileSync(h.DIGIT_7);
  const pending = Array.from({ length: 8 }, () => closing.predictAsync(data));
  await new Promise(setImmediate); // the reads are done and the jobs are on the workers
  closing.close();
  closing.close();
  for (const p of await Promise.all(pending)) assert.equal(p.digit, 7);
  await assert.rejects(closing.predictAsync(data), (e) => e.code === -1 && /closed/.test(e.message));
  h.assertStatus(() => closing.predict(data), 'DI_ERR_INVALID_ARGUMENT', 'the model is closed');
});
