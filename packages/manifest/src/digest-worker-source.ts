// Source of the hashing worker, run with `new Worker(source, { eval: true })`.
// Kept as a string (plain CommonJS, no TypeScript) so that the same code runs
// from the TypeScript sources under tsx and from the compiled dist without a
// worker file to locate, copy or transpile.
//
// Two jobs, both reading each file exactly once with synchronous reads (the
// worker has nothing else to do, so blocking it costs nothing):
//  - { op: 'files', id, paths }: hash whole files with sha256 and sha512.
//    Answer { id, results: [{ size, sha256, sha512 } | { error }] }, one per
//    path (many small files go in one message: a message costs more than
//    hashing a few KiB).
//  - { op: 'sizes', id, paths }: stat files. Answer { id, sizes } or an error
//    naming the path.
//  - split: one file hashed by two workers at once, for a file too big to
//    leave to one worker. The reader ({ op: 'read', id, path, ring }) reads
//    into a ring of shared buffers and computes sha256; the hasher
//    ({ op: 'hash', id, ring }) computes sha512 from the same buffers, which
//    are never copied. Answers { id, size, sha256 } and { id, sha512 }.
// Failures answer { id, error: { message, code } }.
//
// Ring control words (Int32Array over ring.ctrl):
//   [0] produced chunks * 2 + (1 once the reader is finished)
//   [1] consumed chunks
//   [2] 1 if the reader failed
//   [3 + slot] bytes in each slot
// Waits use a timeout and re-check, so a lost wake-up only costs time.

export const DIGEST_BUFFER_SIZE = 1024 * 1024;
/** Slots in the shared ring of a split digest. */
export const RING_SLOTS = 16;

export const DIGEST_WORKER_SOURCE = `
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const { openSync, readSync, closeSync, statSync } = require('node:fs');
const { createHash } = require('node:crypto');
const buf = Buffer.allocUnsafe(workerData.bufferSize);
const WAIT_MS = 200;

function failure(err, path) {
  return { error: { message: String(err && err.message), code: err && err.code, path } };
}

function hashFile(path) {
  let fd;
  try {
    fd = openSync(path, 'r');
    const h256 = createHash('sha256');
    const h512 = createHash('sha512');
    let size = 0;
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      const chunk = n === buf.length ? buf : buf.subarray(0, n);
      h256.update(chunk);
      h512.update(chunk);
      size += n;
    }
    return { size, sha256: h256.digest('hex'), sha512: h512.digest('hex') };
  } catch (err) {
    return failure(err);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function sizes(id, paths) {
  const out = [];
  for (const p of paths) {
    try {
      out.push(statSync(p).size);
    } catch (err) {
      return { id, ...failure(err, p) };
    }
  }
  return { id, sizes: out };
}

function slots(ring) {
  const size = ring.data.byteLength / ring.slots;
  return Array.from({ length: ring.slots }, (_, i) => Buffer.from(ring.data, i * size, size));
}

function readSplit(id, path, ring) {
  const ctrl = new Int32Array(ring.ctrl);
  const bufs = slots(ring);
  const h256 = createHash('sha256');
  let fd;
  let produced = 0;
  let size = 0;
  try {
    fd = openSync(path, 'r');
    for (;;) {
      // Wait for a free slot: the hasher must be done with chunk produced - slots.
      for (let c = Atomics.load(ctrl, 1); produced - c >= ring.slots; c = Atomics.load(ctrl, 1)) Atomics.wait(ctrl, 1, c, WAIT_MS);
      const slot = produced % ring.slots;
      const n = readSync(fd, bufs[slot], 0, bufs[slot].length, null);
      if (n === 0) break;
      ctrl[3 + slot] = n;
      Atomics.store(ctrl, 0, (produced + 1) * 2);
      Atomics.notify(ctrl, 0);
      h256.update(bufs[slot].subarray(0, n));
      produced++;
      size += n;
    }
    return { id, size, sha256: h256.digest('hex') };
  } catch (err) {
    Atomics.store(ctrl, 2, 1);
    return { id, ...failure(err) };
  } finally {
    if (fd !== undefined) closeSync(fd);
    Atomics.store(ctrl, 0, produced * 2 + 1);
    Atomics.notify(ctrl, 0);
  }
}

function hashSplit(id, ring) {
  const ctrl = new Int32Array(ring.ctrl);
  const bufs = slots(ring);
  const h512 = createHash('sha512');
  for (let consumed = 0; ; ) {
    const v = Atomics.load(ctrl, 0);
    if (consumed < v >> 1) {
      const slot = consumed % ring.slots;
      h512.update(bufs[slot].subarray(0, ctrl[3 + slot]));
      Atomics.store(ctrl, 1, ++consumed);
      Atomics.notify(ctrl, 1);
    } else if (v & 1) {
      return Atomics.load(ctrl, 2) ? { id, error: { message: 'reader failed' } } : { id, sha512: h512.digest('hex') };
    } else {
      Atomics.wait(ctrl, 0, v, WAIT_MS);
    }
  }
}

parentPort.on('message', (m) => {
  if (m.op === 'files') parentPort.postMessage({ id: m.id, results: m.paths.map(hashFile) });
  else if (m.op === 'sizes') parentPort.postMessage(sizes(m.id, m.paths));
  else if (m.op === 'read') parentPort.postMessage(readSplit(m.id, m.path, m.ring));
  else if (m.op === 'hash') parentPort.postMessage(hashSplit(m.id, m.ring));
});
`;
