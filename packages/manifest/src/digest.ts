// Streaming sha256 + sha512 of files: every file is read once, both digests
// are computed from the same bytes, and memory stays flat (one reused buffer
// per file in flight). Hashing is CPU-bound and Node's hash.update() runs on
// the calling thread, so files are spread over a small pool of worker
// threads, which also stat them: whole files, largest first, small ones in
// batches (a message costs more than hashing a few KiB); and a file
// bigger than all the smaller ones together (which would leave the other
// worker idle) is hashed by two workers at once, sha256 and sha512 side by
// side over the same shared buffers (see digest-worker-source.ts).
import { createHash } from 'node:crypto';
import { open, stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { DEFAULT_CONCURRENCY, mapLimit } from '@orel/core';
import { DIGEST_BUFFER_SIZE, DIGEST_WORKER_SOURCE, RING_SLOTS } from './digest-worker-source.js';

export interface FileDigest {
  /** Bytes read (and hashed). */
  size: number;
  /** Lower-case hex. */
  sha256: string;
  sha512: string;
}

export interface DigestFilesOptions {
  /** Called after each file with the number done so far. */
  onProgress?: (done: number, total: number) => void;
  /** Worker threads to use (default: min(concurrency, CPUs)); 0 hashes on the calling thread. */
  workers?: number;
  /** Two-worker split digests: for dominant files only (default), for every file, or never. */
  split?: 'auto' | 'always' | 'never';
}

/** Below this many bytes in total and this many files, starting workers costs more than it saves. */
const WORKER_THRESHOLD_BYTES = 32 * 1024 * 1024;
const WORKER_THRESHOLD_FILES = 64;

/**
 * Digests one file on the calling thread. Two buffers alternate so that the
 * next read is in flight while the current chunk is hashed; given the file's
 * size, they are no bigger than it needs (a small file does not cost 2 MiB).
 */
export async function digestFile(path: string, sizeHint?: number): Promise<FileDigest> {
  const fh = await open(path, 'r');
  try {
    const h256 = createHash('sha256');
    const h512 = createHash('sha512');
    const bufSize = sizeHint === undefined ? DIGEST_BUFFER_SIZE : Math.min(DIGEST_BUFFER_SIZE, Math.max(4096, sizeHint + 1));
    const bufs = [Buffer.allocUnsafe(bufSize), Buffer.allocUnsafe(bufSize)];
    let size = 0;
    let which = 0;
    let pending = fh.read(bufs[0], 0, bufSize, null);
    for (;;) {
      const { bytesRead } = await pending;
      if (bytesRead === 0) break;
      const chunk = bufs[which].subarray(0, bytesRead);
      which ^= 1;
      // Reads with position null are sequential on the handle, and only one is in flight at a time.
      pending = fh.read(bufs[which], 0, bufSize, null);
      h256.update(chunk);
      h512.update(chunk);
      size += bytesRead;
    }
    return { size, sha256: h256.digest('hex'), sha512: h512.digest('hex') };
  } finally {
    await fh.close();
  }
}

/**
 * Digests many files, results in input order. At most `concurrency` files are
 * open at once; CPU work goes to min(concurrency, CPUs) worker threads when
 * there is enough data to be worth it. The first failure is rethrown after
 * the files in flight finish; no file is started after a failure.
 */
export async function digestFiles(
  paths: readonly string[],
  concurrency = DEFAULT_CONCURRENCY,
  opts: DigestFilesOptions = {},
): Promise<FileDigest[]> {
  const total = paths.length;
  if (total === 0) return [];
  // Two workers can share one file, so a single big file still uses both cores.
  const workers = Math.min(opts.workers ?? Math.min(concurrency, availableParallelism()), Math.max(total, 2));
  const mayUseWorkers = workers >= 1 && (opts.workers !== undefined || workers >= 2);
  let pool: DigestPool | undefined;
  try {
    // Many files: the workers stat them too (a synchronous stat there costs a third of an async one here).
    if (mayUseWorkers && (opts.workers !== undefined || total >= WORKER_THRESHOLD_FILES)) pool = new DigestPool(workers);
    const sizes = pool ? await pool.sizes(paths) : await mapLimit(paths, 16, async (p) => (await stat(p)).size);
    const totalBytes = sizes.reduce((a, b) => a + b, 0);
    if (!pool && mayUseWorkers && totalBytes >= WORKER_THRESHOLD_BYTES) pool = new DigestPool(workers);

    let done = 0;
    const tick = (n = 1): void => {
      for (let i = 0; i < n; i++) opts.onProgress?.(++done, total);
    };
    if (!pool) {
      return await mapLimit(paths, concurrency, async (p, i) => {
        const d = await digestFile(p, sizes[i]);
        tick();
        return d;
      });
    }
    const results = new Array<FileDigest>(total);
    for (const group of scheduleDigests(sizes, workers >= 2 ? (opts.split ?? 'auto') : 'never')) {
      if (group.split) {
        results[group.items[0]] = await pool.digestSplit(paths[group.items[0]]);
        tick();
        continue;
      }
      // Whole-file lanes, one per worker, pulling the next batch (largest files first); none after a failure.
      const batches = batchFiles(group.items, sizes);
      let next = 0;
      let failure: unknown;
      const lane = async (): Promise<void> => {
        while (failure === undefined && next < batches.length) {
          const batch = batches[next++];
          try {
            const digests = await pool!.digestMany(batch.map((i) => paths[i]));
            batch.forEach((i, k) => (results[i] = digests[k]));
            tick(batch.length);
          } catch (err) {
            failure ??= err;
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(workers, batches.length) }, lane));
      if (failure !== undefined) throw failure;
    }
    return results;
  } finally {
    await pool?.close();
  }
}

/** A message to a worker costs more than hashing a few KiB: small files travel in batches. */
const BATCH_MAX_FILES = 64;
const BATCH_MAX_BYTES = 1024 * 1024;

/** Consecutive files (in the given order) grouped up to BATCH_MAX_FILES files or BATCH_MAX_BYTES bytes. */
export function batchFiles(items: readonly number[], sizes: readonly number[]): number[][] {
  const batches: number[][] = [];
  let bytes = 0;
  for (const i of items) {
    const last = batches.at(-1);
    if (last && last.length < BATCH_MAX_FILES && bytes + sizes[i] <= BATCH_MAX_BYTES) {
      last.push(i);
      bytes += sizes[i];
    } else {
      batches.push([i]);
      bytes = sizes[i];
    }
  }
  return batches;
}

/**
 * Orders files largest first and groups them: a file larger than all the
 * smaller files together is hashed alone by two workers (split), since one
 * worker would finish it long after the other ran out of work; runs of other
 * files go to whole-file lanes. Split costs max(sha256, sha512) time and
 * whole files (sha256 + sha512) / workers, so either way we stay at or under
 * what two separate sha256 and sha512 processes take.
 */
export function scheduleDigests(sizes: readonly number[], split: 'auto' | 'always' | 'never'): { split: boolean; items: number[] }[] {
  const order = sizes.map((_, i) => i).sort((a, b) => sizes[b] - sizes[a] || a - b);
  let rest = order.reduce((sum, i) => sum + sizes[i], 0);
  const groups: { split: boolean; items: number[] }[] = [];
  for (const i of order) {
    rest -= sizes[i];
    const alone = split === 'always' || (split === 'auto' && sizes[i] > rest && sizes[i] >= SPLIT_MIN_BYTES);
    const last = groups.at(-1);
    if (alone) groups.push({ split: true, items: [i] });
    else if (last && !last.split) last.items.push(i);
    else groups.push({ split: false, items: [i] });
  }
  return groups;
}

/** Files smaller than this are not worth splitting (the hand-off costs more than it saves). */
const SPLIT_MIN_BYTES = 4 * 1024 * 1024;

interface WorkerError {
  message: string;
  code?: string;
  /** The file that failed, when the message named several. */
  path?: string;
}

interface WorkerReply {
  id: number;
  error?: WorkerError;
  [field: string]: unknown;
}

function digestError(path: string, e: WorkerError): NodeJS.ErrnoException {
  const err = new Error(`cannot digest ${path}: ${e.message}`) as NodeJS.ErrnoException;
  err.code = e.code;
  err.path = path;
  return err;
}

interface Pending {
  path: string;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

/** A fixed set of hashing workers; each call goes to the least busy one. */
export class DigestPool {
  private readonly workers: { worker: Worker; busy: number }[] = [];
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private broken: Error | undefined;
  private ring: { data: SharedArrayBuffer; ctrl: SharedArrayBuffer; slots: number } | undefined;

  /** `ring` sizes the shared buffers of split digests (tests use tiny ones to exercise wrap-around). */
  constructor(
    size: number,
    private readonly ringShape = { slots: RING_SLOTS, slotSize: DIGEST_BUFFER_SIZE },
  ) {
    for (let i = 0; i < Math.max(1, size); i++) {
      // execArgv: [] keeps the worker plain node (no tsx loader), so it starts fast.
      const worker = new Worker(DIGEST_WORKER_SOURCE, {
        eval: true,
        execArgv: [],
        workerData: { bufferSize: DIGEST_BUFFER_SIZE },
      });
      worker.unref();
      const slot = { worker, busy: 0 };
      worker.on('message', (m: WorkerReply) => {
        if (--slot.busy === 0) worker.unref();
        this.settle(m);
      });
      worker.on('error', (err) => this.fail(err));
      worker.on('exit', (code) => {
        if (code !== 0 || this.pending.size > 0) this.fail(new Error(`digest worker exited with code ${code}`));
      });
      this.workers.push(slot);
    }
  }

  /** Digests a whole file on the least busy worker. */
  async digest(path: string): Promise<FileDigest> {
    return (await this.digestMany([path]))[0];
  }

  /** Digests whole files, in one message to the least busy worker; rejects with the first file's failure. */
  async digestMany(paths: readonly string[]): Promise<FileDigest[]> {
    const { results } = await this.send<{ results: (FileDigest | { error: WorkerError })[] }>(this.leastBusy(), { op: 'files', paths }, paths[0]);
    return results.map((r, k) => {
      if ('error' in r) throw digestError(paths[k], r.error);
      return r;
    });
  }

  /** The sizes of files, statted by the workers (each takes an equal share). */
  async sizes(paths: readonly string[]): Promise<number[]> {
    const share = Math.ceil(paths.length / this.workers.length);
    const parts = await Promise.all(
      this.workers.map((slot, w) => {
        const part = paths.slice(w * share, (w + 1) * share);
        return part.length === 0 ? { sizes: [] } : this.send<{ sizes: number[] }>(slot, { op: 'sizes', paths: part }, part[0]);
      }),
    );
    return parts.flatMap((p) => p.sizes);
  }

  /**
   * Digests one file on two workers at once (reader + sha256, and sha512).
   * Call only while no other split digest runs on this pool.
   */
  async digestSplit(path: string): Promise<FileDigest> {
    if (this.workers.length < 2) return this.digest(path);
    const { slots, slotSize } = this.ringShape;
    this.ring ??= { data: new SharedArrayBuffer(slots * slotSize), ctrl: new SharedArrayBuffer(4 * (3 + slots)), slots };
    new Int32Array(this.ring.ctrl).fill(0);
    const [reader, hasher] = [...this.workers].sort((a, b) => a.busy - b.busy);
    const read = this.send<{ size: number; sha256: string }>(reader, { op: 'read', path, ring: this.ring }, path);
    const hash = this.send<{ sha512: string }>(hasher, { op: 'hash', ring: this.ring }, path);
    // Wait for both before reporting, so the ring is free for the next split whatever happened.
    const [r, h] = await Promise.allSettled([read, hash]);
    if (r.status === 'rejected') throw r.reason;
    if (h.status === 'rejected') throw h.reason;
    return { size: r.value.size, sha256: r.value.sha256, sha512: h.value.sha512 };
  }

  private leastBusy(): { worker: Worker; busy: number } {
    return this.workers.reduce((a, b) => (b.busy < a.busy ? b : a));
  }

  private send<T>(slot: { worker: Worker; busy: number }, msg: Record<string, unknown>, path: string): Promise<T> {
    if (this.broken) return Promise.reject(this.broken);
    const id = this.nextId++;
    // Referenced only while it has work: an idle pool never keeps the process alive.
    if (slot.busy++ === 0) slot.worker.ref();
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { path, resolve: resolve as (v: unknown) => void, reject });
      slot.worker.postMessage({ ...msg, id });
    });
  }

  async close(): Promise<void> {
    this.broken ??= new Error('digest pool closed');
    await Promise.all(this.workers.map((w) => w.worker.terminate()));
  }

  private settle(m: WorkerReply): void {
    const p = this.pending.get(m.id);
    if (!p) return;
    this.pending.delete(m.id);
    if (m.error) {
      p.reject(digestError(m.error.path ?? p.path, m.error));
    } else {
      const { id: _id, ...value } = m;
      p.resolve(value);
    }
  }

  private fail(err: Error): void {
    if (this.broken) return;
    this.broken = err;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }
}
