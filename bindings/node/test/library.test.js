'use strict';
// The binding against the C header and the shared library: every function declared, every
// struct laid out as the C compiler does, the constants equal; and how the library is found.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const h = require('./helpers');
const { koffi, types, functions, SIGNATURES } = require('../lib/ffi');

const { di } = h;
const INCLUDE = h.at('include');

/** A header's text without its comments. */
function header(name) {
  return fs.readFileSync(path.join(INCLUDE, 'digitinfer', name), 'utf8').replace(/\/\*[\s\S]*?\*\//g, ' ');
}

test('every DI_API function of the headers is declared, and nothing else', () => {
  const declared = new Set();
  for (const name of ['digitinfer.h', 'version.h']) {
    for (const m of header(name).matchAll(/^\s*DI_API\b[^;]*?\b(di_\w+)\s*\(/gm)) declared.add(m[1]);
  }
  assert.ok(declared.size >= 29);
  assert.deepEqual([...Object.keys(functions)].sort(), [...declared].sort());
  assert.equal(SIGNATURES.length, declared.size);
});

test('every struct of the header is mirrored with its fields in order', () => {
  const structs = {};
  for (const m of header('digitinfer.h').matchAll(/typedef\s+struct\s+(\w+)\s*\{([\s\S]*?)\}\s*\1\s*;/g)) {
    structs[m[1]] = m[2].split(';').filter((d) => d.trim()).map((d) => d.match(/\w+/g).at(-1));
  }
  assert.deepEqual(Object.keys(structs).sort(), Object.keys(types).sort());
  for (const [name, fields] of Object.entries(structs)) {
    assert.deepEqual(Object.keys(koffi.type(types[name]).members), fields, name);
  }
});

test('the structs have the C compiler\'s sizes, alignments and offsets', (t) => {
  const cc = process.env.CC || 'cc';
  if (spawnSync(cc, ['--version']).error) return t.skip(`no C compiler (${cc}) to compare the layouts with`);
  const exe = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'digitinfer-layout-')), 'layout');
  execFileSync(cc, ['-std=c11', '-Wall', '-Werror', `-I${INCLUDE}`, path.join(__dirname, '..', '..', 'abi_layout.c'), '-o', exe]);
  const lines = execFileSync(exe, { encoding: 'utf8' }).trim().split('\n');
  fs.rmSync(path.dirname(exe), { recursive: true });
  const seen = new Set();
  for (const line of lines) {
    const [kind, name, ...rest] = line.split(' ');
    if (kind !== 'struct' && kind !== 'field') continue;  // enums and constants: api.test.js
    const type = koffi.type(types[name]);
    if (kind === 'struct') {
      seen.add(name);
      assert.deepEqual([type.size, type.alignment], rest.map(Number), `${name}: size, alignment`);
    } else {
      const [field, offset, size] = rest;
      const member = type.members[field];
      assert.deepEqual([member.offset, member.type.size], [Number(offset), Number(size)], `${name}.${field}`);
    }
  }
  assert.deepEqual([...seen].sort(), Object.keys(types).sort());
});

test('the structs the library fills have the mirrors\' sizes', () => {
  for (const [fn, name] of [['di_load_options_default', 'di_load_options'], ['di_model_info_default', 'di_model_info'],
    ['di_predict_options_default', 'di_predict_options'], ['di_results_default', 'di_results']]) {
    assert.equal(functions[fn]().struct_size, koffi.sizeof(types[name]), fn);
  }
  const out = functions.di_outputs_default();
  assert.deepEqual(out, { predictions: null, probabilities: null, log_probabilities: null, scores_capacity: 0 });
});

test('statuses, names and limits equal the header\'s', () => {
  const text = header('digitinfer.h');
  const values = Object.fromEntries([...text.matchAll(/\b(DI_(?:OK|ERR_\w+))\s*=\s*(-?\d+)/g)].map((m) => [m[1], Number(m[2])]));
  assert.ok(Object.keys(values).length >= 9);
  assert.deepEqual(Object.fromEntries(Object.entries(di.Status).map(([k, v]) => [`DI_${k}`, v])), values);
  for (const [name, value] of Object.entries(values)) assert.equal(functions.di_status_string(value), name);
  const macro = (name) => Number(new RegExp(`#define ${name} (\\d+)u?`).exec(text)[1]);
  assert.equal(di.DEFAULT_MAX_PIXELS, macro('DI_DEFAULT_MAX_PIXELS'));
  assert.equal(di.DEFAULT_MAX_ENCODED_BYTES, macro('DI_DEFAULT_MAX_ENCODED_BYTES'));
  assert.equal(di.DEFAULT_MAX_JPEG_SCANS, macro('DI_DEFAULT_MAX_JPEG_SCANS'));
  assert.equal(di.MAX_BATCH, macro('DI_MAX_BATCH'));
  assert.equal(require('../lib/options').DI_LOAD_TRUSTED_MODEL, macro('DI_LOAD_TRUSTED_MODEL'));
  assert.deepEqual(di.ENGINES.map((_, i) => functions.di_engine_name(i)), di.ENGINES);
  assert.deepEqual(di.OUTPUT_KINDS.map((_, i) => functions.di_output_kind_name(i)), di.OUTPUT_KINDS);
});

/** Runs `code` in a fresh node with `env` changes (undefined deletes); returns {status, stdout, stderr}. */
function node(code, env) {
  const merged = { ...process.env, ...env };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete merged[k];
  return spawnSync(process.execPath, ['-e', code], { env: merged, encoding: 'utf8', cwd: path.join(__dirname, '..') });
}

test('the library is found through pkg-config when DIGITINFER_LIBRARY is unset', (t) => {
  let libdir;
  try {
    libdir = execFileSync('pkg-config', ['--variable=libdir', 'digitinfer'], { encoding: 'utf8' }).trim();
  } catch {
    return t.skip('pkg-config does not know digitinfer here (set PKG_CONFIG_PATH)');
  }
  const r = node("const d = require('.'); console.log(d.libraryPath, d.version())",
    { DIGITINFER_LIBRARY: undefined, LD_LIBRARY_PATH: undefined });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), `${path.join(path.resolve(libdir), 'libdigitinfer.so.1')} ${di.version()}`);
});

test('without DIGITINFER_LIBRARY and pkg-config, the dynamic loader\'s path is searched', () => {
  const noPkgConfig = { DIGITINFER_LIBRARY: undefined, PKG_CONFIG_PATH: undefined, PKG_CONFIG_LIBDIR: '/nonexistent' };
  const r = node("console.log(require('.').libraryPath)", { ...noPkgConfig, LD_LIBRARY_PATH: path.dirname(di.libraryPath) });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), 'libdigitinfer.so.1');
});

test('a DIGITINFER_LIBRARY that is missing or no DigitInfer library fails clearly', () => {
  for (const [library, message] of [['/nonexistent/libdigitinfer.so.1', 'cannot load the DigitInfer library'],
    ['libc.so.6', 'not a DigitInfer library']]) {
    const r = node("require('.')", { DIGITINFER_LIBRARY: library });
    assert.notEqual(r.status, 0);
    assert.ok(r.stderr.includes(message) && r.stderr.includes(library), r.stderr);
  }
});
