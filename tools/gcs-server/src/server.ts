// A GCS JSON API test server: the subset @google-cloud/storage@7 uses, with
// preconditions and injectable faults. Plain node:http on 127.0.0.1.
import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  BodyHasher,
  GcsHttpError,
  PRECONDITION_MESSAGE,
  Store,
  bucketResource,
  checkPreconditions,
  listObjects,
  objectResource,
  pickWritable,
  preconditionsFrom,
  preconditionsHold,
  removeQuietly,
  type Preconditions,
  type StoredObject,
  type WritableMeta,
} from './store.js';

export interface FaultMatch {
  method?: string;
  pathIncludes?: string;
}

export interface GcsServerOptions {
  /** Port to listen on (default: a free one). */
  port?: number;
  /** Buckets to create at start. */
  buckets?: string[];
}

export interface GcsServer {
  /** http://127.0.0.1:PORT, to pass as the client's apiEndpoint. */
  url: string;
  port: number;
  createBucket(name: string): void;
  /** Live objects of a bucket by name (a snapshot; bytes via readObject). */
  objects(bucket: string): Map<string, StoredObject>;
  /** How many times each "bucket/name" was written (uploads and copies committed server-side, even when the client died before the answer). */
  writes(): Map<string, number>;
  readObject(bucket: string, name: string): Promise<Buffer>;
  /** Seeds an object directly, bypassing the API. */
  putObject(bucket: string, name: string, data: Buffer | string, meta?: WritableMeta): StoredObject;
  /** Upload body bytes received so far (shows whether an upload resumed or restarted). */
  stats: { uploadBytesReceived: number; requests: { method: string; path: string; status?: number }[] };
  faults: {
    /** The next `times` requests matching answer `status` (GCS error JSON) with `headers`, e.g. Retry-After. */
    failNext(match: FaultMatch, status: number, times?: number, headers?: Record<string, string>): void;
    /** The next `times` upload requests with a body lose their connection after `afterBytes` (default: half the body). */
    dropConnectionMidUpload(times?: number, afterBytes?: number): void;
    /** The next `times` media downloads (of objects whose name includes `pathIncludes`) lose their connection halfway. */
    dropConnectionMidDownload(times?: number, pathIncludes?: string): void;
    clear(): void;
  };
  close(): Promise<void>;
}

interface Session {
  id: string;
  bucket: string;
  name: string;
  meta: WritableMeta;
  pre: Preconditions;
  file: string;
  out: WriteStream;
  hasher: BodyHasher;
  total?: number;
  done?: StoredObject;
  /** Serialises the requests on one session, so a status query sees every persisted byte. */
  busy: Promise<void>;
}

type Route = (req: IncomingMessage, res: ServerResponse, seg: string[], q: URLSearchParams) => Promise<void> | void;

export async function startGcsServer(opts: GcsServerOptions = {}): Promise<GcsServer> {
  const store = new Store();
  const sessions = new Map<string, Session>();
  const failRules: { match: FaultMatch; status: number; times: number; headers: Record<string, string> }[] = [];
  const drops: { times: number; afterBytes?: number }[] = [];
  const downloadDrops: { times: number; pathIncludes?: string }[] = [];
  const stats: GcsServer['stats'] = { uploadBytesReceived: 0, requests: [] };
  let base = '';

  const sendJson = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'Content-Type': 'application/json; charset=UTF-8', 'Content-Length': Buffer.byteLength(text), ...headers });
    res.end(text);
  };
  const sendError = (res: ServerResponse, e: GcsHttpError, headers: Record<string, string> = {}): void => {
    const err = { message: e.message, domain: 'global', reason: e.reason, ...(e.location ? { locationType: 'header', location: e.location } : {}) };
    sendJson(res, e.status, { error: { code: e.status, message: e.message, errors: [err] } }, headers);
  };

  /** Takes a drop fault for this upload request, if one is armed. */
  const takeDrop = (req: IncomingMessage): number | undefined => {
    const d = drops[0];
    if (!d) return undefined;
    if (--d.times <= 0) drops.shift();
    const len = Number(req.headers['content-length']);
    return d.afterBytes ?? (Number.isFinite(len) && len > 1 ? Math.floor(len / 2) : 256 * 1024);
  };

  /** Streams a request body to `sink`, hashing as it goes; resolves false when the connection dropped. */
  const receive = (req: IncomingMessage, sink: (b: Buffer) => void, skip = 0): Promise<boolean> =>
    new Promise((resolve, reject) => {
      const dropAt = takeDrop(req);
      let seen = 0;
      let finished = false;
      req.on('data', (chunk: Buffer) => {
        if (finished) return;
        let b = chunk;
        if (dropAt !== undefined && seen + b.length >= dropAt) b = b.subarray(0, dropAt - seen);
        seen += b.length;
        stats.uploadBytesReceived += b.length;
        if (skip > 0) {
          const n = Math.min(skip, b.length);
          skip -= n;
          b = b.subarray(n);
        }
        if (b.length) sink(b);
        if (dropAt !== undefined && seen >= dropAt) {
          finished = true;
          req.socket.destroy();
          resolve(false);
        }
      });
      req.on('end', () => !finished && ((finished = true), resolve(true)));
      req.on('close', () => !finished && ((finished = true), resolve(false)));
      req.on('error', (e) => !finished && ((finished = true), reject(e)));
    });

  const readJsonBody = async (req: IncomingMessage): Promise<Record<string, unknown> | undefined> => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8').trim();
    if (!text) return undefined;
    try {
      return JSON.parse(text) as Record<string, unknown>;
    } catch {
      throw new GcsHttpError(400, 'parseError', 'Parse Error');
    }
  };

  const finishSession = async (s: Session, expectedHash: string | undefined): Promise<StoredObject> => {
    await new Promise<void>((r, j) => s.out.end((e?: Error | null) => (e ? j(e) : r())));
    const h = { size: s.hasher.size, ...s.hasher.digest() };
    if (s.total !== undefined && h.size !== s.total) throw new GcsHttpError(400, 'invalid', `Upload of ${s.name} has ${h.size} bytes, expected ${s.total}`);
    checkHashHeader(expectedHash, h);
    checkPreconditions(s.pre, store.bucket(s.bucket).objects.get(s.name));
    return store.commit(s.bucket, s.name, s.file, h, s.meta);
  };

  const rangeHeader = (s: Session): Record<string, string> => (s.hasher.size > 0 ? { Range: `bytes=0-${s.hasher.size - 1}` } : {});

  // --- uploads ---------------------------------------------------------------

  const uploadPost: Route = async (req, res, seg, q) => {
    const bucket = seg[4];
    store.bucket(bucket);
    const type = q.get('uploadType') ?? 'media';
    const pre = preconditionsFrom(q);
    if (type === 'resumable') {
      const body = await readJsonBody(req);
      const name = q.get('name') ?? (body?.name as string | undefined);
      if (!name) throw new GcsHttpError(400, 'required', 'Required object name');
      checkPreconditions(pre, store.bucket(bucket).objects.get(name));
      const meta = pickWritable(body);
      meta.contentType ??= (req.headers['x-upload-content-type'] as string | undefined) ?? undefined;
      const len = req.headers['x-upload-content-length'];
      const file = store.newFilePath();
      const id = randomUUID();
      const s: Session = { id, bucket, name, meta, pre, file, out: createWriteStream(file), hasher: new BodyHasher(), busy: Promise.resolve() };
      if (len !== undefined && len !== '') s.total = Number(len);
      sessions.set(id, s);
      const loc = `${base}/upload/storage/v1/b/${bucket}/o?uploadType=resumable&name=${encodeURIComponent(name)}&upload_id=${id}`;
      sendJson(res, 200, {}, { Location: loc });
      return;
    }
    // media and multipart: the body goes to a file while hashing.
    const file = store.newFilePath();
    const out = createWriteStream(file);
    const hasher = new BodyHasher();
    let name = q.get('name') ?? undefined;
    let meta: WritableMeta = { contentType: req.headers['content-type'] };
    let ok: boolean;
    if (type === 'multipart') {
      // Multipart bodies are small (clients pick resumable for big ones): parse in memory.
      const chunks: Buffer[] = [];
      ok = await receive(req, (b) => chunks.push(b));
      if (ok) {
        const parts = parseMultipart(Buffer.concat(chunks), String(req.headers['content-type'] ?? ''));
        const json = JSON.parse(parts[0].body.toString('utf8') || '{}') as Record<string, unknown>;
        name = (json.name as string | undefined) ?? name;
        meta = pickWritable(json);
        meta.contentType ??= parts[1].contentType;
        hasher.update(parts[1].body);
        out.write(parts[1].body);
      }
    } else {
      ok = await receive(req, (b) => (hasher.update(b), out.write(b)));
    }
    await new Promise<void>((r) => out.end(() => r()));
    if (!ok) return removeQuietly(file);
    if (!name) throw new GcsHttpError(400, 'required', 'Required object name');
    const h = { size: hasher.size, ...hasher.digest() };
    try {
      checkHashHeader(req.headers['x-goog-hash'] as string | undefined, h);
      checkPreconditions(pre, store.bucket(bucket).objects.get(name));
    } catch (e) {
      removeQuietly(file);
      throw e;
    }
    sendJson(res, 200, objectResource(store.commit(bucket, name, file, h, meta), base));
  };

  const uploadPut: Route = async (req, res, _seg, q) => {
    const s = sessions.get(q.get('upload_id') ?? '');
    if (!s) throw new GcsHttpError(404, 'notFound', 'No such upload session');
    const prev = s.busy;
    let release!: () => void;
    s.busy = new Promise((r) => (release = r));
    await prev;
    try {
      if (s.done) return sendJson(res, 200, objectResource(s.done, base));
      const cr = parseContentRange(req.headers['content-range'] as string | undefined);
      if (cr.total !== undefined) s.total = cr.total;
      if (cr.start === undefined) {
        // Status query (`bytes */N`): how much is persisted; finishes an upload whose size is now known.
        req.resume();
        if (s.total !== undefined && s.hasher.size === s.total) {
          s.done = await finishSession(s, undefined);
          return sendJson(res, 200, objectResource(s.done, base));
        }
        res.writeHead(308, { ...rangeHeader(s), 'Content-Length': 0 });
        return void res.end();
      }
      if (cr.start > s.hasher.size) throw new GcsHttpError(400, 'invalid', `Upload starts at ${cr.start} but only ${s.hasher.size} bytes are persisted`);
      // Bytes already persisted are skipped, as GCS does when a client re-sends them.
      const ok = await receive(req, (b) => (s.hasher.update(b), s.out.write(b)), s.hasher.size - cr.start);
      if (!ok) return;
      const complete = cr.end === undefined ? true : s.total !== undefined && s.hasher.size >= s.total;
      if (!complete) {
        res.writeHead(308, { ...rangeHeader(s), 'Content-Length': 0 });
        return void res.end();
      }
      if (cr.end === undefined) s.total ??= s.hasher.size;
      try {
        s.done = await finishSession(s, req.headers['x-goog-hash'] as string | undefined);
      } catch (e) {
        sessions.delete(s.id);
        removeQuietly(s.file);
        throw e;
      }
      sendJson(res, 200, objectResource(s.done, base));
    } finally {
      release();
    }
  };

  const uploadDelete: Route = (req, res, _seg, q) => {
    const s = sessions.get(q.get('upload_id') ?? '');
    req.resume();
    if (s) {
      sessions.delete(s.id);
      s.out.destroy();
      if (!s.done) removeQuietly(s.file);
    }
    res.writeHead(499, { 'Content-Length': 0 });
    res.end();
  };

  // --- objects -----------------------------------------------------------------

  const sendMedia = (req: IncomingMessage, res: ServerResponse, o: StoredObject): void => {
    req.resume();
    const headers: Record<string, string | number> = {
      'Content-Type': o.contentType ?? 'application/octet-stream',
      'x-goog-hash': `crc32c=${o.crc32c},md5=${o.md5Hash}`,
      'x-goog-generation': String(o.generation),
      'x-goog-metageneration': String(o.metageneration),
      'x-goog-stored-content-length': String(o.size),
      'x-goog-stored-content-encoding': o.contentEncoding ?? 'identity',
      ETag: `"${o.md5Hash}"`,
      'Accept-Ranges': 'bytes',
      ...(o.cacheControl ? { 'Cache-Control': o.cacheControl } : {}),
    };
    const range = parseRange(req.headers.range, o.size);
    if (range === 'invalid') {
      res.writeHead(416, { 'Content-Range': `bytes */${o.size}`, 'Content-Length': 0 });
      return void res.end();
    }
    if (range) {
      headers['Content-Range'] = `bytes ${range.start}-${range.end}/${o.size}`;
      headers['Content-Length'] = range.end - range.start + 1;
      res.writeHead(206, headers);
    } else {
      headers['Content-Length'] = o.size;
      res.writeHead(200, headers);
    }
    if (req.method === 'HEAD' || o.size === 0) return void res.end();
    const drop = downloadDrops[0];
    if (drop && (!drop.pathIncludes || o.name.includes(drop.pathIncludes))) {
      // The connection resets after part of the body, as a flaky network does.
      if (--drop.times <= 0) downloadDrops.shift();
      const half = Math.max(0, Math.floor(o.size / 2) - 1);
      const part = createReadStream(o.file, { start: 0, end: half });
      part.on('end', () => res.socket?.destroy());
      part.pipe(res, { end: false });
      return;
    }
    createReadStream(o.file, range ? { start: range.start, end: range.end } : {}).pipe(res);
  };

  const objectGet: Route = (req, res, seg, q) => {
    const o = store.object(seg[3], seg[5]);
    const gen = q.get('generation');
    if (gen && Number(gen) !== o.generation) throw new GcsHttpError(404, 'notFound', `No such object: ${o.bucket}/${o.name}#${gen}`);
    const pre = preconditionsFrom(q);
    if (!preconditionsHold(pre, o)) {
      if (pre.ifGenerationNotMatch !== undefined || pre.ifMetagenerationNotMatch !== undefined) {
        res.writeHead(304);
        return void res.end();
      }
      throw new GcsHttpError(412, 'conditionNotMet', PRECONDITION_MESSAGE, 'If-Match');
    }
    if (q.get('alt') === 'media') return sendMedia(req, res, o);
    req.resume();
    sendJson(res, 200, objectResource(o, base));
  };

  const objectPatch: Route = async (req, res, seg, q) => {
    const body = await readJsonBody(req);
    const o = store.object(seg[3], seg[5]);
    checkPreconditions(preconditionsFrom(q), o);
    sendJson(res, 200, objectResource(store.patch(o, pickWritable(body)), base));
  };

  const objectDelete: Route = (req, res, seg, q) => {
    req.resume();
    const o = store.object(seg[3], seg[5]);
    const gen = q.get('generation');
    if (gen && Number(gen) !== o.generation) throw new GcsHttpError(404, 'notFound', `No such object: ${o.bucket}/${o.name}#${gen}`);
    checkPreconditions(preconditionsFrom(q), o);
    store.remove(o);
    res.writeHead(204);
    res.end();
  };

  /** copyTo and rewriteTo: preconditions on the source (ifSource...) and on the destination. */
  const objectCopy: Route = async (req, res, seg, q) => {
    const body = await readJsonBody(req);
    const src = store.object(seg[3], seg[5]);
    const [destBucket, destName] = [seg[8], seg[10]];
    const srcGen = q.get('sourceGeneration');
    if (srcGen && Number(srcGen) !== src.generation) throw new GcsHttpError(404, 'notFound', `No such object: ${src.bucket}/${src.name}#${srcGen}`);
    checkPreconditions(preconditionsFrom(q, 'ifSource'), src);
    checkPreconditions(preconditionsFrom(q), store.bucket(destBucket).objects.get(destName));
    const out = store.copy(src, destBucket, destName, pickWritable(body));
    const resource = objectResource(out, base);
    if (seg[6] === 'rewriteTo') {
      sendJson(res, 200, { kind: 'storage#rewriteResponse', totalBytesRewritten: String(out.size), objectSize: String(out.size), done: true, resource });
    } else sendJson(res, 200, resource);
  };

  const objectList: Route = (req, res, seg, q) => {
    req.resume();
    const num = q.get('maxResults');
    const r = listObjects(store.bucket(seg[3]), {
      prefix: q.get('prefix') ?? undefined,
      delimiter: q.get('delimiter') ?? undefined,
      pageToken: q.get('pageToken') ?? undefined,
      maxResults: num ? Number(num) : undefined,
      startOffset: q.get('startOffset') ?? undefined,
      endOffset: q.get('endOffset') ?? undefined,
    });
    sendJson(res, 200, {
      kind: 'storage#objects',
      items: r.items.map((o) => objectResource(o, base)),
      ...(r.prefixes.length ? { prefixes: r.prefixes } : {}),
      ...(r.nextPageToken ? { nextPageToken: r.nextPageToken } : {}),
    });
  };

  // --- buckets -----------------------------------------------------------------

  const bucketList: Route = (req, res) => {
    req.resume();
    sendJson(res, 200, { kind: 'storage#buckets', items: [...store.buckets.values()].map((b) => bucketResource(b, base)) });
  };
  const bucketInsert: Route = async (req, res, _seg, q) => {
    const body = await readJsonBody(req);
    const name = (body?.name as string | undefined) ?? q.get('name');
    if (!name) throw new GcsHttpError(400, 'required', 'Required bucket name');
    sendJson(res, 200, bucketResource(store.createBucket(name), base));
  };
  const bucketGet: Route = (req, res, seg) => {
    req.resume();
    sendJson(res, 200, bucketResource(store.bucket(seg[3]), base));
  };

  /** storage.googleapis.com-style public download: GET /<bucket>/<key>. */
  const publicGet: Route = (req, res, seg) => {
    const b = store.buckets.get(seg[0]);
    const o = b?.objects.get(seg.slice(1).join('/'));
    if (!o) {
      req.resume();
      const xml = '<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>';
      res.writeHead(404, { 'Content-Type': 'application/xml; charset=UTF-8', 'Content-Length': Buffer.byteLength(xml) });
      return void res.end(xml);
    }
    sendMedia(req, res, o);
  };

  const route = (method: string, seg: string[]): Route | undefined => {
    const [a, b, c, d] = seg;
    const api = a === 'storage' && b === 'v1' && c === 'b';
    if (api && seg.length === 3) return method === 'GET' ? bucketList : method === 'POST' ? bucketInsert : undefined;
    if (api && seg.length === 4) return method === 'GET' ? bucketGet : undefined;
    if (api && seg[4] === 'o') {
      if (seg.length === 5) return method === 'GET' ? objectList : undefined;
      if (seg.length === 6) {
        return ({ GET: objectGet, HEAD: objectGet, PATCH: objectPatch, PUT: objectPatch, DELETE: objectDelete } as Record<string, Route>)[method];
      }
      if (seg.length === 11 && (seg[6] === 'copyTo' || seg[6] === 'rewriteTo') && seg[7] === 'b' && seg[9] === 'o' && method === 'POST') return objectCopy;
    }
    if (a === 'download' && b === 'storage' && c === 'v1' && d === 'b' && seg[5] === 'o' && seg.length === 7) {
      // The download alias (mediaLink) always serves the bytes.
      return (req, res, s, q) => objectGet(req, res, s.slice(1), new URLSearchParams({ ...Object.fromEntries(q), alt: 'media' }));
    }
    if (a === 'upload' && b === 'storage' && c === 'v1' && d === 'b' && seg[5] === 'o' && seg.length === 6) {
      return ({ POST: uploadPost, PUT: uploadPut, DELETE: uploadDelete } as Record<string, Route>)[method];
    }
    if (seg.length >= 2 && (method === 'GET' || method === 'HEAD')) return publicGet;
    return undefined;
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = req.method ?? 'GET';
    const entry: { method: string; path: string; status?: number } = { method, path: url.pathname + url.search };
    stats.requests.push(entry);
    res.on('finish', () => (entry.status = res.statusCode));
    const rule = failRules.find(
      (r) => (!r.match.method || r.match.method === method) && (!r.match.pathIncludes || entry.path.includes(r.match.pathIncludes)),
    );
    if (rule) {
      if (--rule.times <= 0) failRules.splice(failRules.indexOf(rule), 1);
      const reason = rule.status === 429 ? 'rateLimitExceeded' : rule.status === 503 ? 'backendError' : 'internalError';
      // Read the whole request first, as GCS's front end does: answering while
      // the client still writes makes it see a reset instead of the status.
      req.resume();
      req.once('end', () => sendError(res, new GcsHttpError(rule.status, reason, `Injected fault ${rule.status}`), { Connection: 'close', ...rule.headers }));
      return;
    }
    const seg = url.pathname.split('/').slice(1).map(decodeURIComponent);
    if (seg.length > 1 && seg[seg.length - 1] === '') seg.pop();
    const r = route(method, seg);
    if (!r) {
      req.resume();
      return sendError(res, new GcsHttpError(404, 'notFound', `Not found: ${method} ${url.pathname}`));
    }
    Promise.resolve()
      .then(() => r(req, res, seg, url.searchParams))
      .catch((e: unknown) => {
        if (res.headersSent || res.destroyed) return void res.destroy();
        req.resume();
        if (e instanceof GcsHttpError) sendError(res, e);
        else sendError(res, new GcsHttpError(500, 'internalError', String((e as Error)?.message ?? e)));
      });
  });
  server.keepAliveTimeout = 1000;

  await new Promise<void>((r) => server.listen(opts.port ?? 0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  base = `http://127.0.0.1:${port}`;
  for (const b of opts.buckets ?? []) store.createBucket(b);

  return {
    url: base,
    port,
    createBucket: (name) => void store.createBucket(name),
    objects: (bucket) => new Map(store.bucket(bucket).objects),
    writes: () => new Map(store.commits),
    readObject: async (bucket, name) => {
      const chunks: Buffer[] = [];
      for await (const c of createReadStream(store.object(bucket, name).file)) chunks.push(c as Buffer);
      return Buffer.concat(chunks);
    },
    putObject: (bucket, name, data, meta) => store.put(bucket, name, Buffer.from(data), meta),
    stats,
    faults: {
      failNext: (match, status, times = 1, headers = {}) => void failRules.push({ match, status, times, headers }),
      dropConnectionMidUpload: (times = 1, afterBytes) => void drops.push({ times, afterBytes }),
      dropConnectionMidDownload: (times = 1, pathIncludes) => void downloadDrops.push({ times, pathIncludes }),
      clear: () => ((failRules.length = 0), (drops.length = 0), (downloadDrops.length = 0)),
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      for (const s of sessions.values()) s.out.destroy();
      store.close();
    },
  };
}

/** Parses Content-Range of a resumable PUT: `bytes S-E/T`, `bytes S-*\/T`, `bytes *\/T`, with T possibly `*`. */
function parseContentRange(h: string | undefined): { start?: number; end?: number; total?: number } {
  if (!h) return { start: 0 };
  const m = /^bytes (\*|(\d+)-(\d+|\*))\/(\d+|\*|undefined)$/.exec(h.trim());
  if (!m) throw new GcsHttpError(400, 'invalid', `Bad Content-Range: ${h}`);
  const total = /^\d+$/.test(m[4]) ? Number(m[4]) : undefined;
  if (m[1] === '*') return { total };
  return { start: Number(m[2]), end: m[3] === '*' ? undefined : Number(m[3]), total };
}

function parseRange(h: string | undefined, size: number): { start: number; end: number } | undefined | 'invalid' {
  if (!h) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(h.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  let start: number;
  let end: number;
  if (m[1] === '') {
    start = Math.max(0, size - Number(m[2]));
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start >= size || start > end) return size === 0 && start === 0 ? undefined : 'invalid';
  return { start, end };
}

/** X-Goog-Hash: "crc32c=...,md5=..." sent by the client must match what arrived. */
function checkHashHeader(h: string | undefined, got: { md5Hash: string; crc32c: string }): void {
  if (!h) return;
  for (const part of h.split(',')) {
    const i = part.indexOf('=');
    const [k, v] = [part.slice(0, i).trim(), part.slice(i + 1).trim()];
    if ((k === 'crc32c' && v !== got.crc32c) || (k === 'md5' && v !== got.md5Hash)) {
      throw new GcsHttpError(400, 'invalid', `Provided ${k} "${v}" doesn't match calculated ${k} "${k === 'md5' ? got.md5Hash : got.crc32c}".`);
    }
  }
}

function parseMultipart(body: Buffer, contentType: string): { contentType?: string; body: Buffer }[] {
  const m = /boundary="?([^";]+)"?/i.exec(contentType);
  if (!m) throw new GcsHttpError(400, 'invalid', 'multipart upload without a boundary');
  const delim = Buffer.from(`--${m[1]}`);
  const parts: { contentType?: string; body: Buffer }[] = [];
  let pos = body.indexOf(delim);
  while (pos >= 0) {
    const after = pos + delim.length;
    if (body.subarray(after, after + 2).toString() === '--') break;
    const headEnd = body.indexOf('\r\n\r\n', after);
    const next = body.indexOf(delim, headEnd + 4);
    if (headEnd < 0 || next < 0) break;
    const head = body.subarray(after, headEnd).toString('utf8');
    const ct = /content-type:\s*([^\r\n]+)/i.exec(head)?.[1]?.trim();
    let end = next;
    if (body[end - 2] === 0x0d && body[end - 1] === 0x0a) end -= 2;
    parts.push({ contentType: ct, body: body.subarray(headEnd + 4, end) });
    pos = next;
  }
  if (parts.length < 2) throw new GcsHttpError(400, 'invalid', 'multipart upload needs a metadata part and a media part');
  return parts;
}
