// Resumable upload of a local file. The client opens the session (so its
// auth, metadata and preconditions apply); the bytes go in one streamed PUT.
// After a failure we ask GCS how much it persisted (`Content-Range: bytes */N`)
// and send only the rest, re-read from the file: nothing is buffered, a
// dropped connection resumes instead of restarting, and waits honour
// Retry-After through withRetry.
import { createReadStream } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { File, FileMetadata, Storage } from '@google-cloud/storage';
import { isTransient, withRetry, type RetryOptions } from '@orel/core';
import { StreamDigests, digestFile, type Digests } from './gcs-digests.js';

/** A non-2xx answer from the upload session, with its headers (for Retry-After). */
export class GcsResponseError extends Error {
  constructor(
    readonly status: number,
    readonly headers: IncomingHttpHeaders,
    body: string,
  ) {
    super(`GCS answered ${status}: ${body.slice(0, 300)}`);
  }
}

/** The session is gone (expired or cancelled): start a new one. */
class SessionGone extends Error {}
/** GCS has not got every byte yet: ask where it stands and continue. */
class Incomplete extends Error {}

export interface ResumableInput {
  file: File;
  storage: Storage;
  path: string;
  size: number;
  metadata: object;
  ifGenerationMatch: number;
  retry: RetryOptions;
}

export async function uploadResumable(inp: ResumableInput): Promise<{ resource: FileMetadata; local: Digests }> {
  const digests = new StreamDigests();
  let hashed = 0; // bytes of the file fed to `digests`, always a prefix
  let uri: string | undefined;
  let offset = 0;
  let fresh = true;

  /** Reads the file from `start`, hashing bytes the digests have not seen. */
  function body(start: number): Readable {
    let pos = start;
    const file = createReadStream(inp.path, { start, end: inp.size - 1, highWaterMark: 1 << 20 });
    file.on('data', (chunk: Buffer | string) => {
      const c = chunk as Buffer;
      if (pos + c.length > hashed) {
        digests.update(c.subarray(hashed - pos));
        hashed = pos + c.length;
      }
      pos += c.length;
    });
    return file;
  }

  const resource = await withRetry(
    async () => {
      if (!uri) {
        [uri] = await inp.file.createResumableUpload({ metadata: inp.metadata, preconditionOpts: { ifGenerationMatch: inp.ifGenerationMatch } });
        offset = 0;
        fresh = true;
      }
      if (!fresh) {
        const q = await query(uri, inp.size, await authHeaders(inp.storage));
        if ('resource' in q) return q.resource;
        offset = q.offset;
      }
      fresh = false;
      if (offset > hashed) await digestFile(inp.path, hashed, offset - 1, digests).then(() => (hashed = offset));
      try {
        const headers = {
          ...(await authHeaders(inp.storage)),
          'Content-Range': `bytes ${offset}-${inp.size - 1}/${inp.size}`,
          'Content-Length': String(inp.size - offset),
        };
        return await settle(await put(uri, headers, body(offset)));
      } catch (e) {
        if (e instanceof SessionGone) uri = undefined;
        throw e;
      }
    },
    { ...inp.retry, retryable: (e) => e instanceof Incomplete || e instanceof SessionGone || isTransient(e) },
  );
  // A resumed upload may have finished before we re-read the tail: hash what is left.
  if (hashed < inp.size) await digestFile(inp.path, hashed, inp.size - 1, digests);
  return { resource, local: digests.digest() };
}

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

/**
 * Streams `body` in one PUT with node:http, which keeps backpressure (fetch
 * with a streamed body buffers ahead of the socket: memory grew with size).
 */
function put(uri: string, headers: Record<string, string>, body: Readable): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = (uri.startsWith('https:') ? httpsRequest : httpRequest)(uri, { method: 'PUT', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    pipeline(body, req).catch((e: unknown) => {
      body.destroy();
      reject(e);
    });
  });
}

async function settle(res: Answer): Promise<FileMetadata> {
  if (res.status === 200 || res.status === 201) return JSON.parse(res.text) as FileMetadata;
  if (res.status === 308) throw new Incomplete('upload incomplete');
  if (res.status === 404 || res.status === 410) throw new SessionGone(`upload session gone (${res.status})`);
  throw new GcsResponseError(res.status, res.headers, res.text);
}

/** Asks a session how many bytes it persisted; a finished session returns the object. */
async function query(uri: string, size: number, auth: Record<string, string>): Promise<{ offset: number } | { resource: FileMetadata }> {
  const res = await put(uri, { ...auth, 'Content-Range': `bytes */${size}`, 'Content-Length': '0' }, Readable.from([]));
  if (res.status === 308) {
    const range = res.headers.range;
    return { offset: range ? Number(range.split('-')[1]) + 1 : 0 };
  }
  return { resource: await settle(res) };
}

/** Credentials for the session PUTs, unless the client talks to an unauthenticated (loopback) endpoint. */
async function authHeaders(storage: Storage): Promise<Record<string, string>> {
  const s = storage as unknown as { customEndpoint?: boolean; useAuthWithCustomEndpoint?: boolean };
  if (s.customEndpoint && !s.useAuthWithCustomEndpoint) return {};
  const h = (await storage.authClient.getRequestHeaders()) as unknown as Record<string, string> | Headers;
  return h instanceof Headers ? Object.fromEntries(h.entries()) : { ...h };
}
