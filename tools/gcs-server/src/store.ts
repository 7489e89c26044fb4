// State of the GCS test server: buckets and object generations. Object bodies
// live in files under a temp dir, so multi-GiB uploads never sit in memory.
import { createHash } from 'node:crypto';
import { copyFileSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Crc32c } from './crc32c.js';

export interface StoredObject {
  bucket: string;
  name: string;
  generation: number;
  metageneration: number;
  size: number;
  /** base64, as GCS reports them. */
  md5Hash: string;
  crc32c: string;
  contentType?: string;
  cacheControl?: string;
  contentEncoding?: string;
  contentDisposition?: string;
  metadata?: Record<string, string>;
  timeCreated: string;
  updated: string;
  /** Where the bytes are on disk. */
  file: string;
}

export interface Bucket {
  name: string;
  timeCreated: string;
  objects: Map<string, StoredObject>;
}

/** An error the server turns into GCS's JSON error body. */
export class GcsHttpError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
    readonly location?: string,
  ) {
    super(message);
  }
}

export const PRECONDITION_MESSAGE = 'At least one of the pre-conditions you specified did not hold.';

/** Mutable metadata fields a client may set on insert, copy or patch. */
const WRITABLE = ['contentType', 'cacheControl', 'contentEncoding', 'contentDisposition'] as const;
export type WritableMeta = Partial<Pick<StoredObject, (typeof WRITABLE)[number]>> & { metadata?: Record<string, string | null> };

export function pickWritable(body: Record<string, unknown> | undefined): WritableMeta {
  const out: WritableMeta = {};
  if (!body) return out;
  for (const k of WRITABLE) if (typeof body[k] === 'string') out[k] = body[k] as string;
  if (body.metadata && typeof body.metadata === 'object') out.metadata = body.metadata as Record<string, string | null>;
  return out;
}

/** ifGenerationMatch & co. as sent in the query string. */
export interface Preconditions {
  ifGenerationMatch?: number;
  ifGenerationNotMatch?: number;
  ifMetagenerationMatch?: number;
  ifMetagenerationNotMatch?: number;
}

export function preconditionsFrom(q: URLSearchParams, prefix = ''): Preconditions {
  const num = (k: string): number | undefined => {
    const name = prefix ? prefix + k[0].toUpperCase() + k.slice(1) : k;
    const v = q.get(name);
    return v === null || v === '' ? undefined : Number(v);
  };
  return {
    ifGenerationMatch: num('ifGenerationMatch'),
    ifGenerationNotMatch: num('ifGenerationNotMatch'),
    ifMetagenerationMatch: num('ifMetagenerationMatch'),
    ifMetagenerationNotMatch: num('ifMetagenerationNotMatch'),
  };
}

/** True when the preconditions hold for the current live object (or its absence). */
export function preconditionsHold(p: Preconditions, cur: StoredObject | undefined): boolean {
  if (p.ifGenerationMatch !== undefined) {
    if (p.ifGenerationMatch === 0 ? cur !== undefined : cur?.generation !== p.ifGenerationMatch) return false;
  }
  if (p.ifGenerationNotMatch !== undefined && cur && cur.generation === p.ifGenerationNotMatch) return false;
  if (p.ifMetagenerationMatch !== undefined && cur?.metageneration !== p.ifMetagenerationMatch) return false;
  if (p.ifMetagenerationNotMatch !== undefined && cur && cur.metageneration === p.ifMetagenerationNotMatch) return false;
  return true;
}

export function checkPreconditions(p: Preconditions, cur: StoredObject | undefined): void {
  if (!preconditionsHold(p, cur)) throw new GcsHttpError(412, 'conditionNotMet', PRECONDITION_MESSAGE, 'If-Match');
}

/** Streaming md5 + crc32c, both base64 like GCS. */
export class BodyHasher {
  private readonly md5 = createHash('md5');
  private readonly crc = new Crc32c();
  size = 0;
  update(b: Buffer): void {
    this.md5.update(b);
    this.crc.update(b);
    this.size += b.length;
  }
  digest(): { md5Hash: string; crc32c: string } {
    return { md5Hash: this.md5.digest('base64'), crc32c: this.crc.base64() };
  }
}

export class Store {
  readonly dir = mkdtempSync(join(tmpdir(), 'orel-gcs-server-'));
  readonly buckets = new Map<string, Bucket>();
  private nextGeneration = Date.now() * 1000;
  private nextFile = 0;

  newFilePath(): string {
    return join(this.dir, `body-${++this.nextFile}`);
  }

  createBucket(name: string): Bucket {
    if (this.buckets.has(name)) throw new GcsHttpError(409, 'conflict', 'Your previous request to create the named bucket succeeded and you already own it.');
    const b: Bucket = { name, timeCreated: new Date().toISOString(), objects: new Map() };
    this.buckets.set(name, b);
    return b;
  }

  bucket(name: string): Bucket {
    const b = this.buckets.get(name);
    if (!b) throw new GcsHttpError(404, 'notFound', 'The specified bucket does not exist.');
    return b;
  }

  object(bucket: string, name: string): StoredObject {
    const o = this.bucket(bucket).objects.get(name);
    if (!o) throw new GcsHttpError(404, 'notFound', `No such object: ${bucket}/${name}`);
    return o;
  }

  /** Generations committed per "bucket/name" (uploads and copies), whether or not the client saw the answer. */
  readonly commits = new Map<string, number>();

  /** Makes `file` (already hashed) the live generation of bucket/name; the caller checked preconditions. */
  commit(bucket: string, name: string, file: string, h: { size: number; md5Hash: string; crc32c: string }, meta: WritableMeta): StoredObject {
    const b = this.bucket(bucket);
    this.commits.set(`${bucket}/${name}`, (this.commits.get(`${bucket}/${name}`) ?? 0) + 1);
    const prev = b.objects.get(name);
    const now = new Date().toISOString();
    const obj: StoredObject = {
      bucket,
      name,
      generation: ++this.nextGeneration,
      metageneration: 1,
      size: h.size,
      md5Hash: h.md5Hash,
      crc32c: h.crc32c,
      contentType: meta.contentType ?? 'application/octet-stream',
      cacheControl: meta.cacheControl,
      contentEncoding: meta.contentEncoding,
      contentDisposition: meta.contentDisposition,
      metadata: cleanMetadata(meta.metadata),
      timeCreated: now,
      updated: now,
      file,
    };
    b.objects.set(name, obj);
    if (prev) removeQuietly(prev.file);
    return obj;
  }

  /** Seeds an object directly (tests: a pre-existing object at a release path). */
  put(bucket: string, name: string, data: Buffer, meta: WritableMeta = {}): StoredObject {
    const file = this.newFilePath();
    writeFileSync(file, data);
    const h = new BodyHasher();
    h.update(data);
    return this.commit(bucket, name, file, { size: h.size, ...h.digest() }, meta);
  }

  copy(src: StoredObject, destBucket: string, destName: string, override: WritableMeta | undefined): StoredObject {
    const file = this.newFilePath();
    copyFileSync(src.file, file);
    const meta: WritableMeta = override && Object.keys(override).length > 0 ? override : { ...src, metadata: src.metadata };
    return this.commit(destBucket, destName, file, src, meta);
  }

  patch(o: StoredObject, m: WritableMeta): StoredObject {
    for (const k of WRITABLE) if (m[k] !== undefined) o[k] = m[k];
    if (m.metadata) o.metadata = cleanMetadata({ ...o.metadata, ...m.metadata });
    o.metageneration++;
    o.updated = new Date().toISOString();
    return o;
  }

  remove(o: StoredObject): void {
    this.bucket(o.bucket).objects.delete(o.name);
    removeQuietly(o.file);
  }

  close(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function cleanMetadata(m: Record<string, string | null> | undefined): Record<string, string> | undefined {
  if (!m) return undefined;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(m)) if (v !== null && v !== undefined) out[k] = String(v);
  return Object.keys(out).length ? out : undefined;
}

export function removeQuietly(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    /* already gone */
  }
}

/** The object resource as the JSON API returns it. */
export function objectResource(o: StoredObject, baseUrl: string): Record<string, unknown> {
  const enc = encodeURIComponent(o.name);
  return {
    kind: 'storage#object',
    id: `${o.bucket}/${o.name}/${o.generation}`,
    selfLink: `${baseUrl}/storage/v1/b/${o.bucket}/o/${enc}`,
    mediaLink: `${baseUrl}/download/storage/v1/b/${o.bucket}/o/${enc}?generation=${o.generation}&alt=media`,
    name: o.name,
    bucket: o.bucket,
    generation: String(o.generation),
    metageneration: String(o.metageneration),
    contentType: o.contentType,
    storageClass: 'STANDARD',
    size: String(o.size),
    md5Hash: o.md5Hash,
    crc32c: o.crc32c,
    etag: Buffer.from(`${o.generation}/${o.metageneration}`).toString('base64'),
    timeCreated: o.timeCreated,
    updated: o.updated,
    ...(o.cacheControl ? { cacheControl: o.cacheControl } : {}),
    ...(o.contentEncoding ? { contentEncoding: o.contentEncoding } : {}),
    ...(o.contentDisposition ? { contentDisposition: o.contentDisposition } : {}),
    ...(o.metadata ? { metadata: o.metadata } : {}),
  };
}

export function bucketResource(b: Bucket, baseUrl: string): Record<string, unknown> {
  return {
    kind: 'storage#bucket',
    id: b.name,
    name: b.name,
    selfLink: `${baseUrl}/storage/v1/b/${b.name}`,
    projectNumber: '0',
    metageneration: '1',
    location: 'US',
    storageClass: 'STANDARD',
    etag: 'CAE=',
    timeCreated: b.timeCreated,
    updated: b.timeCreated,
  };
}

export interface ListOptions {
  prefix?: string;
  delimiter?: string;
  pageToken?: string;
  maxResults?: number;
  startOffset?: string;
  endOffset?: string;
}

/** Lists like objects.list: names in order, common prefixes collapsed by the delimiter, paged. */
export function listObjects(b: Bucket, o: ListOptions): { items: StoredObject[]; prefixes: string[]; nextPageToken?: string } {
  const prefix = o.prefix ?? '';
  const names = [...b.objects.keys()]
    .filter((n) => n.startsWith(prefix) && (!o.startOffset || n >= o.startOffset) && (!o.endOffset || n < o.endOffset))
    .sort();
  const entries: { key: string; obj?: StoredObject }[] = [];
  const seen = new Set<string>();
  for (const n of names) {
    const cut = o.delimiter ? n.indexOf(o.delimiter, prefix.length) : -1;
    if (cut >= 0) {
      const p = n.slice(0, cut + o.delimiter!.length);
      if (!seen.has(p)) {
        entries.push({ key: p });
        seen.add(p);
      }
    } else entries.push({ key: n, obj: b.objects.get(n)! });
  }
  const after = o.pageToken ? Buffer.from(o.pageToken, 'base64').toString('utf8') : undefined;
  const start = after === undefined ? 0 : entries.findIndex((e) => e.key > after);
  const max = o.maxResults && o.maxResults > 0 ? o.maxResults : 1000;
  const page = start < 0 ? [] : entries.slice(start, start + max);
  const more = start >= 0 && start + max < entries.length;
  return {
    items: page.filter((e) => e.obj).map((e) => e.obj!),
    prefixes: page.filter((e) => !e.obj).map((e) => e.key),
    nextPageToken: more ? Buffer.from(page[page.length - 1].key).toString('base64') : undefined,
  };
}
