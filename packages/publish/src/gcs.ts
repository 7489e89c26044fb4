// GCS target (gs://bucket/prefix) on @google-cloud/storage. Objects are
// written with ifGenerationMatch: 0, so nothing released is ever replaced:
// same bytes already there is "exists", different bytes is PUBLISH_CONFLICT.
// Retries are ours (withRetry honours Retry-After); the client's are off.
import { createReadStream } from 'node:fs';
import { PassThrough, Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Storage, type File, type FileMetadata } from '@google-cloud/storage';
import {
  OrelError,
  isOrelError,
  isTransient,
  joinKey,
  statusOf,
  withRetry,
  type ObjectInfo,
  type Promoter,
  type Publisher,
  type PutRequest,
  type PutResult,
  type RetryOptions,
} from '@orel/core';
import { cacheControlFor, contentTypeForKey } from './gcs-content.js';
import { StreamDigests, digestBuffer, digestFile, type Digests } from './gcs-digests.js';
import { uploadResumable } from './gcs-resumable.js';

export interface GcsTarget {
  name: string;
  /** gs://bucket/prefix */
  url: string;
  /** JSON API base URL (private or test endpoint); STORAGE_EMULATOR_HOST is honoured too. */
  endpoint?: string;
  concurrency?: number;
}

export interface GcsPublisherOptions {
  /** Files at least this big go through a resumable session (default 8 MiB). */
  resumableThreshold?: number;
  retry?: RetryOptions;
  /** A ready client (tests); otherwise one is made from the target. */
  storage?: Storage;
  /** A download that delivers nothing this long is cut and retried (default 30 s; env OREL_GCS_READ_IDLE_MS). */
  readIdleMs?: number;
}

export const DEFAULT_RESUMABLE_THRESHOLD = 8 << 20;

export function parseGsUrl(url: string): { bucket: string; prefix: string } {
  const m = /^gs:\/\/([a-z0-9][a-z0-9._-]{1,220}[a-z0-9])(?:\/(.*))?$/.exec(url);
  if (!m) throw new OrelError('PLAN_INVALID', `not a gs://bucket[/prefix] URL: ${url}`, { hint: 'bucket names are lower-case letters, digits, dots, dashes and underscores' });
  return { bucket: m[1], prefix: joinKey(m[2]) };
}

const isLoopback = (endpoint: string): boolean => {
  try {
    const h = new URL(endpoint.includes('://') ? endpoint : `http://${endpoint}`).hostname;
    return h === 'localhost' || h === '[::1]' || h.startsWith('127.');
  } catch {
    return false;
  }
};

/**
 * @google-cloud/storage 7 never ends a download whose connection was cut
 * mid-body (no 'error', no 'end'): a verify would wait forever. A read that
 * delivers nothing for `idleMs` fails with ETIMEDOUT, which callers retry.
 */
export function stallGuard(src: Readable, where: string, idleMs: number): Readable {
  const out = new PassThrough();
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      const e = Object.assign(new Error(`reading ${where}: no data for ${idleMs} ms (connection lost)`), { code: 'ETIMEDOUT' });
      src.destroy();
      out.destroy(e);
    }, idleMs);
  };
  arm();
  src.on('data', arm);
  src.on('error', (e) => out.destroy(e));
  out.on('close', () => {
    clearTimeout(timer);
    src.destroy();
  });
  src.on('end', () => clearTimeout(timer));
  src.pipe(out);
  return out;
}

function makeStorage(t: GcsTarget): Storage {
  const endpoint = t.endpoint ?? process.env.STORAGE_EMULATOR_HOST;
  return new Storage({
    ...(t.endpoint ? { apiEndpoint: t.endpoint.replace(/\/+$/, '') } : {}),
    // Loopback test servers get no credentials; a private endpoint elsewhere does.
    useAuthWithCustomEndpoint: endpoint ? !isLoopback(endpoint) : undefined,
    ...(endpoint && isLoopback(endpoint) ? { projectId: 'orel-test' } : {}),
    retryOptions: { autoRetry: false, maxRetries: 0 },
  });
}

interface UploadMeta {
  contentType: string;
  cacheControl: string;
  metadata: { sha256: string };
}

export class GcsPublisher implements Publisher, Promoter {
  readonly name: string;
  readonly url: string;
  readonly bucket: string;
  readonly prefix: string;
  readonly concurrency?: number;
  readonly storage: Storage;
  private readonly threshold: number;
  private readonly retry: RetryOptions;
  private readonly readIdleMs: number;

  constructor(target: GcsTarget, opts: GcsPublisherOptions = {}) {
    this.name = target.name;
    this.url = target.url;
    ({ bucket: this.bucket, prefix: this.prefix } = parseGsUrl(target.url));
    this.concurrency = target.concurrency;
    this.storage = opts.storage ?? makeStorage(target);
    this.threshold = opts.resumableThreshold ?? DEFAULT_RESUMABLE_THRESHOLD;
    this.retry = opts.retry ?? {};
    this.readIdleMs = opts.readIdleMs ?? (Number(process.env.OREL_GCS_READ_IDLE_MS) || 30_000);
  }

  objectKey(key: string): string {
    return joinKey(this.prefix, key);
  }

  location(key: string): string {
    return `gs://${this.bucket}/${this.objectKey(key)}`;
  }

  private file(key: string, generation?: string): File {
    return this.storage.bucket(this.bucket).file(this.objectKey(key), generation ? { generation: Number(generation) } : {});
  }

  async put(req: PutRequest): Promise<PutResult> {
    const where = this.location(req.key);
    const meta: UploadMeta = {
      contentType: req.contentType ?? contentTypeForKey(req.key),
      cacheControl: req.cacheControl ?? cacheControlFor(req.overwrite),
      metadata: { sha256: req.sha256 },
    };
    return this.guard(where, async () => {
      if (req.overwrite) return this.replace(req, meta, where);
      try {
        await this.upload(req, meta, 0, where);
        return { status: 'created', location: where };
      } catch (e) {
        if (statusOf(e) !== 412) throw e;
        const cur = await this.stat(req.key);
        if (cur && (await this.sameAsLocal(cur, req))) return { status: 'exists', location: where };
        throw conflict(where, req.artifact ?? req.key, cur, req.sha256);
      }
    });
  }

  /** Markers: replace whatever generation is there, unless it already holds these bytes. */
  private async replace(req: PutRequest, meta: UploadMeta, where: string): Promise<PutResult> {
    const cur = await this.stat(req.key);
    if (cur && cur.size === req.size && cur.sha256 === req.sha256) return { status: 'exists', location: where };
    try {
      await this.upload(req, meta, cur ? Number(cur.generation) : 0, where);
    } catch (e) {
      if (statusOf(e) === 412) {
        throw new OrelError('PUBLISH_CONFLICT', `${where} changed while orel was replacing it (another release running?)`, { hint: 're-run once the other writer is done' });
      }
      throw e;
    }
    return { status: cur ? 'replaced' : 'created', location: where };
  }

  /** One upload under the generation precondition; checks GCS's hashes against the bytes sent. */
  private async upload(req: PutRequest, meta: UploadMeta, ifGenerationMatch: number, where: string): Promise<void> {
    const f = this.file(req.key);
    const src = req.source;
    let resource: FileMetadata;
    let local: Digests;
    if ('path' in src && req.size >= this.threshold) {
      const r = await uploadResumable({ file: f, storage: this.storage, path: src.path, size: req.size, metadata: meta, ifGenerationMatch, retry: this.retry });
      resource = r.resource;
      local = r.local;
    } else {
      const data = 'data' in src ? src.data : undefined;
      if (data) {
        local = digestBuffer(data);
        if (local.sha256 !== req.sha256) throw changed(req, local.sha256);
      }
      resource = await withRetry(async () => {
        const d = new StreamDigests();
        const body = data ? Readable.from([data]) : createReadStream((src as { path: string }).path, { highWaterMark: 1 << 20 });
        const ws = f.createWriteStream({ resumable: false, validation: false, metadata: meta, preconditionOpts: { ifGenerationMatch } });
        const tap = new Transform({ transform: (c: Buffer, _e, cb) => (d.update(c), cb(null, c)) });
        await pipeline(body, tap, ws);
        local = d.digest();
        return f.metadata;
      }, this.retry);
    }
    const mismatch = compareUploaded(resource, local!, req);
    if (mismatch) {
      // Our own generation holds wrong bytes: take it back so a re-run can write it again.
      await this.file(req.key, String(resource.generation)).delete({ ifGenerationMatch: Number(resource.generation) }).catch(() => undefined);
      throw new OrelError('INTEGRITY', `${where}: ${mismatch}`, { hint: 'the upload was removed; re-run to upload it again' });
    }
  }

  /**
   * Whether an existing object holds the bytes of a local source: by the
   * hashes GCS computed (md5, else crc32c), never by the user-settable
   * metadata.sha256, which anyone with write access can set to anything.
   */
  private async sameAsLocal(cur: ObjectInfo, req: PutRequest): Promise<boolean> {
    if (cur.size !== req.size) return false;
    if (cur.sha256 !== undefined && cur.sha256 !== req.sha256) return false;
    const local = 'data' in req.source ? digestBuffer(req.source.data) : (await digestFile(req.source.path)).digest();
    return cur.md5 ? cur.md5 === local.md5 : cur.crc32c === local.crc32c;
  }

  async stat(key: string): Promise<ObjectInfo | undefined> {
    try {
      const [m] = await withRetry(() => this.file(key).getMetadata(), this.retry);
      return infoOf(m);
    } catch (e) {
      if (statusOf(e) === 404) return undefined;
      throw failure(this.location(key), e);
    }
  }

  async read(key: string): Promise<Readable> {
    const info = await this.stat(key);
    if (!info) throw new OrelError('VERIFY_FAILED', `${this.location(key)} is missing from target ${this.name}`);
    // Pinned to the generation just seen; the client checks crc32c/md5 of full reads.
    return stallGuard(this.file(key, info.generation).createReadStream({ validation: 'crc32c' }), this.location(key), this.readIdleMs);
  }

  promotesFrom(source: Publisher): boolean {
    return source instanceof GcsPublisher;
  }

  async promoteFrom(source: Publisher, fromKey: string, toKey: string, expect: { sha256: string; size: number }): Promise<PutResult> {
    const where = this.location(toKey);
    if (!(source instanceof GcsPublisher)) throw new OrelError('INTERNAL', `${where}: server-side copy needs a GCS source, not ${source.url}`);
    return this.guard(where, async () => {
      const from = source.location(fromKey);
      const src = await source.stat(fromKey);
      if (!src) throw new OrelError('INTEGRITY', `staged object ${from} is missing`, { hint: 're-run `orel stage`' });
      if (src.size !== expect.size || (src.sha256 !== undefined && src.sha256 !== expect.sha256)) {
        throw new OrelError('INTEGRITY', `staged object ${from} does not match the stage manifest (size ${src.size}, sha256 ${src.sha256 ?? 'unknown'}; expected ${expect.size}, ${expect.sha256})`);
      }
      try {
        // Copy exactly the generation just checked; never onto an existing object.
        const [copied] = await withRetry(
          () => source.file(fromKey, src.generation).copy(this.file(toKey), { preconditionOpts: { ifGenerationMatch: 0 } }),
          this.retry,
        );
        const m = (copied.metadata ?? {}) as FileMetadata;
        if ((m.md5Hash && src.md5 && m.md5Hash !== src.md5) || (m.crc32c && src.crc32c && m.crc32c !== src.crc32c)) {
          throw new OrelError('INTEGRITY', `${where}: copy of ${from} came out with different hashes`);
        }
        return { status: 'created', location: where };
      } catch (e) {
        if (statusOf(e) !== 412) throw e;
        const cur = await this.stat(toKey);
        // Bytes, not labels: GCS's own hashes of both objects (the staged one was re-hashed against the manifest).
        const same = cur !== undefined && cur.size === expect.size && sameServerHashes(cur, src);
        if (same) return { status: 'exists', location: where };
        throw conflict(where, toKey, cur, expect.sha256);
      }
    });
  }

  /** A source of another kind: through a local temp file (put checks the sha256). */


  /** Turns client errors into OrelErrors naming the object. */
  private async guard<T>(where: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      throw failure(where, e);
    }
  }
}

export function createGcsPublisher(target: GcsTarget, opts: GcsPublisherOptions = {}): GcsPublisher {
  return new GcsPublisher(target, opts);
}

function infoOf(m: FileMetadata): ObjectInfo {
  const custom = (m.metadata ?? {}) as Record<string, unknown>;
  return {
    size: Number(m.size),
    sha256: typeof custom.sha256 === 'string' ? custom.sha256 : undefined,
    md5: m.md5Hash,
    crc32c: m.crc32c,
    generation: m.generation === undefined ? undefined : String(m.generation),
  };
}

function compareUploaded(m: FileMetadata, local: Digests, req: PutRequest): string | undefined {
  if (local.sha256 !== req.sha256) return `source bytes changed since they were hashed (sha256 ${local.sha256} ≠ ${req.sha256})`;
  if (Number(m.size) !== local.size) return `GCS stored ${m.size} bytes, ${local.size} were sent`;
  if (m.md5Hash && m.md5Hash !== local.md5) return `GCS md5Hash ${m.md5Hash} ≠ local ${local.md5}`;
  if (m.crc32c && m.crc32c !== local.crc32c) return `GCS crc32c ${m.crc32c} ≠ local ${local.crc32c}`;
  return undefined;
}

function changed(req: PutRequest, got: string): OrelError {
  return new OrelError('INTEGRITY', `${req.artifact ?? req.key}: source bytes changed since they were hashed (sha256 ${got} ≠ ${req.sha256})`);
}

/** Two objects hold the same bytes by the hashes GCS computed (md5; crc32c for composite objects without one). */
function sameServerHashes(a: ObjectInfo, b: ObjectInfo): boolean {
  if (a.md5 && b.md5) return a.md5 === b.md5;
  return !!a.crc32c && a.crc32c === b.crc32c;
}

function conflict(where: string, what: string, cur: ObjectInfo | undefined, sha256: string): OrelError {
  return new OrelError(
    'PUBLISH_CONFLICT',
    `${where} already holds different bytes than ${what} (size ${cur?.size ?? '?'}, sha256 ${cur?.sha256 ?? 'unknown'} ≠ ${sha256}); released objects are never overwritten`,
    { hint: 'release a new version, or delete the object by hand if it was never really released' },
  );
}

function failure(where: string, e: unknown): unknown {
  if (isOrelError(e)) return e;
  const msg = (e as Error)?.message ?? String(e);
  if (isTransient(e)) return new OrelError('SERVICE_UNAVAILABLE', `${where}: GCS stayed unavailable after retries: ${msg}`, { cause: e, hint: 're-run later; finished objects are not uploaded again' });
  return new OrelError('PUBLISH_FAILED', `${where}: ${msg}`, { cause: e });
}
