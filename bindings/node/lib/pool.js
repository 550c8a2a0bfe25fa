'use strict';
// Worker threads for the Promise-returning calls. Why not koffi's .async: the library keeps the
// message of a failure per thread (di_last_error_message), and a koffi async call cannot read it
// on the libuv thread that failed. A worker makes both calls on its own thread. Idle workers are
// unref'd, so they never keep a process alive.

const os = require('node:os');
const path = require('node:path');
const { Worker } = require('node:worker_threads');
const { DigitInferError } = require('./errors');

class Pool {
  #size;
  #library;
  #workers = []; // { worker, jobs: Map<id, {resolve, reject}> }
  #nextId = 1;

  constructor(size, library) {
    this.#size = size;
    this.#library = library;
  }

  /** Runs OPS[op](...args) of worker.js on a worker; resolves to its value. */
  run(op, args, transfer = []) {
    const slot = this.#pick();
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      // First, as it may throw (a detached buffer): a job registered but never sent would keep
      // its worker ref'd, and the process alive, forever.
      slot.worker.postMessage({ id, op, args }, transfer);
      slot.jobs.set(id, { resolve, reject });
      if (slot.jobs.size === 1) slot.worker.ref();
    });
  }

  /** The least busy worker, starting a new one while fewer than `size` run and all are busy. */
  #pick() {
    let best = null;
    for (const slot of this.#workers) if (!best || slot.jobs.size < best.jobs.size) best = slot;
    if (best && (best.jobs.size === 0 || this.#workers.length >= this.#size)) return best;
    return this.#start();
  }

  #start() {
    const worker = new Worker(path.join(__dirname, 'worker.js'), { workerData: { digitinferLibrary: this.#library } });
    const slot = { worker, jobs: new Map() };
    worker.unref();
    worker.on('message', ({ id, value, error }) => {
      const job = slot.jobs.get(id);
      slot.jobs.delete(id);
      if (slot.jobs.size === 0) worker.unref();
      if (!error) job.resolve(value);
      else if (error.code !== undefined) job.reject(new DigitInferError(error.code, error.status, error.message));
      else job.reject(new Error(`digitinfer worker: ${error.message}`));
    });
    const fail = (e) => {
      this.#workers = this.#workers.filter((s) => s !== slot);
      for (const job of slot.jobs.values()) job.reject(e instanceof Error ? e : new Error(`digitinfer worker exited (${e})`));
      slot.jobs.clear();
    };
    worker.on('error', fail);
    worker.on('exit', fail);
    this.#workers.push(slot);
    return slot;
  }
}

let shared = null;

/** The process's pool: one worker per available core, started as needed. */
function pool(library) {
  shared ??= new Pool(os.availableParallelism?.() ?? os.cpus().length, library);
  return shared;
}

module.exports = { pool };
