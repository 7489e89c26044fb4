// Streaming sha256 + sha512 of files: every file is read once, both digests
// are computed from the same bytes, and memory stays flat (one reused buffer
// per file in flight). Hashing is CPU-bound and Node's hash.update() runs on
// the calling thread, so many files are spread over a small pool of worker
// threads, one whole file per worker at a time, largest first.
import { createHash } from 'node:crypto';
import { open, stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { DEFAULT_CONCURRENCY, mapLimit } from '@orel/core';
import { DIGEST_BUFFER_SIZE, DIGEST_WORKER_SOURCE } from './digest-worker-source.js';

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
}

/** Below this many bytes in total, starting workers costs more than it saves. */
const WORKER_THRESHOLD_BYTES = 16 * 1024 * 1024;

/**
 * Digests one file on the calling thread. Two buffers alternate so that the
 * next read is in flight while the current chunk is hashed.
 */
export async function digestFile(path: string): Promise<FileDigest> {
  const fh = await open(path, 'r');
  try {
    const h256 = createHash('sha256');
    const h512 = createHash('sha512');
    const bufs = [Buffer.allocUnsafe(DIGEST_BUFFER_SIZE), Buffer.allocUnsafe(DIGEST_BUFFER_SIZE)];
    let size = 0;
    let which = 0;
    let pending = fh.read(bufs[0], 0, DIGEST_BUFFER_SIZE, null);
    for (;;) {
      const { bytesRead } = await pending;
      if (bytesRead === 0) break;
      const chunk = bufs[which].subarray(0, bytesRead);
      which ^= 1;
      // Reads with position null are sequential on the handle, and only one is in flight at a time.
      pending = fh.read(bufs[which], 0, DIGEST_BUFFER_SIZE, null);
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
  const sizes = await mapLimit(paths, 16, async (p) => (await stat(p)).size);
  const totalBytes = sizes.reduce((a, b) => a + b, 0);
  const workers = Math.min(opts.workers ?? Math.min(concurrency, availableParallelism()), total);

  let done = 0;
  const tick = (): void => opts.onProgress?.(++done, total);
  if (workers < 1 || (opts.workers === undefined && (workers < 2 || totalBytes < WORKER_THRESHOLD_BYTES))) {
    return mapLimit(paths, concurrency, async (p) => {
      const d = await digestFile(p);
      tick();
      return d;
    });
  }
  // Largest first, so that the big files do not end up last on one worker.
  const order = paths.map((_, i) => i).sort((a, b) => sizes[b] - sizes[a] || a - b);
  const pool = new DigestPool(workers);
  try {
    const results = new Array<FileDigest>(total);
    let next = 0;
    let failure: unknown;
    const lane = async (): Promise<void> => {
      while (failure === undefined && next < order.length) {
        const i = order[next++];
        try {
          results[i] = await pool.digest(paths[i]);
          tick();
        } catch (err) {
          failure ??= err;
        }
      }
    };
    await Promise.all(Array.from({ length: workers }, lane));
    if (failure !== undefined) throw failure;
    return results;
  } finally {
    await pool.close();
  }
}

interface WorkerReply {
  id: number;
  size?: number;
  sha256?: string;
  sha512?: string;
  error?: { message: string; code?: string };
}

interface Pending {
  path: string;
  resolve: (d: FileDigest) => void;
  reject: (e: unknown) => void;
}

/** A fixed set of hashing workers; each call goes to the least busy one. */
export class DigestPool {
  private readonly workers: { worker: Worker; busy: number }[] = [];
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private broken: Error | undefined;

  constructor(size: number) {
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
        slot.busy--;
        this.settle(m);
      });
      worker.on('error', (err) => this.fail(err));
      worker.on('exit', (code) => {
        if (code !== 0 || this.pending.size > 0) this.fail(new Error(`digest worker exited with code ${code}`));
      });
      this.workers.push(slot);
    }
  }

  digest(path: string): Promise<FileDigest> {
    if (this.broken) return Promise.reject(this.broken);
    const slot = this.workers.reduce((a, b) => (b.busy < a.busy ? b : a));
    const id = this.nextId++;
    slot.busy++;
    return new Promise<FileDigest>((resolve, reject) => {
      this.pending.set(id, { path, resolve, reject });
      slot.worker.postMessage({ id, path });
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
      const err = new Error(`cannot digest ${p.path}: ${m.error.message}`) as NodeJS.ErrnoException;
      err.code = m.error.code;
      err.path = p.path;
      p.reject(err);
    } else {
      p.resolve({ size: m.size!, sha256: m.sha256!, sha512: m.sha512! });
    }
  }

  private fail(err: Error): void {
    if (this.broken) return;
    this.broken = err;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }
}
