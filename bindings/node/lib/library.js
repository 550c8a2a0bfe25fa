'use strict';
// Finds and opens libdigitinfer: $DIGITINFER_LIBRARY, else the libdir pkg-config names, else the
// dynamic loader's own search (LD_LIBRARY_PATH, ld.so.cache). The first one that opens is used.

const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const koffi = require('koffi');

// The C ABI this binding was written against (DI_ABI_VERSION, the SONAME's number) and the
// oldest library with everything it calls (the 1.3 load options: flags, JPEG and torch limits).
const ABI_VERSION = 1;
const SONAME = `libdigitinfer.so.${ABI_VERSION}`;
const MIN_VERSION = { number: 10300, text: '1.3.0' };

function pkgConfigLibrary() {
  try {
    const libdir = execFileSync('pkg-config', ['--variable=libdir', 'digitinfer'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    const file = libdir && path.join(path.resolve(libdir), SONAME);
    return file && fs.existsSync(file) ? file : null;
  } catch {
    return null; // no pkg-config, or no digitinfer.pc on its path
  }
}

/** The files to try, in order, each with where it came from (for the error message). */
function candidates() {
  const explicit = process.env.DIGITINFER_LIBRARY;
  if (explicit) return [{ file: explicit, from: 'DIGITINFER_LIBRARY' }]; // a deliberate choice: no fallback
  const found = pkgConfigLibrary();
  return [
    ...(found ? [{ file: found, from: 'pkg-config digitinfer' }] : []),
    { file: SONAME, from: 'the dynamic loader path' },
  ];
}

/** Checks that `lib` is a DigitInfer library this binding can use; throws otherwise. */
function check(lib, file) {
  let abi, version, number;
  try {
    abi = lib.func('uint32_t di_abi_version(void)')();
    version = lib.func('const char *di_version(void)')();
    number = lib.func('uint32_t di_version_number(void)')();
  } catch (e) {
    throw new Error(`${file} is not a DigitInfer library (${e.message})`);
  }
  if (abi !== ABI_VERSION) {
    throw new Error(`${file} has ABI version ${abi}; this binding was written for ABI version ${ABI_VERSION}`);
  }
  if (number < MIN_VERSION.number) {
    throw new Error(`${file} is DigitInfer ${version}; this binding needs ${MIN_VERSION.text} or newer`);
  }
}

/** Opens the library: `file` when given (a worker reopening the main thread's), else the first candidate. */
function open(file) {
  const tries = file ? [{ file, from: 'the main thread' }] : candidates();
  const failures = [];
  for (const { file: f, from } of tries) {
    let lib;
    try {
      lib = koffi.load(f);
    } catch (e) {
      failures.push(`${f} (${from}): ${e.message}`);
      continue;
    }
    check(lib, f);
    return { lib, file: f };
  }
  throw new Error(
    `cannot load the DigitInfer library; tried:\n  ${failures.join('\n  ')}\n` +
      'Set DIGITINFER_LIBRARY to the path of libdigitinfer.so.1, or PKG_CONFIG_PATH to its prefix\'s lib/pkgconfig.',
  );
}

module.exports = { open, ABI_VERSION, SONAME };
