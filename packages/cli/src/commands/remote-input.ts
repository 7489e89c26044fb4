// `orel verify-blob https://dl.example.org/v1.2.0/kubectl --signature https://…`
// as the Kubernetes blog shows for cosign: URL inputs are downloaded (streamed
// to a temp file, retried like every read) and verified like local files.
import { OrelError, isTransient, withRetry } from '@orel/core';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

const LOOPBACK = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/;

export const isUrl = (s: string | undefined): s is string => !!s && /^https?:\/\//i.test(s);

/** Downloads URL inputs into one temp directory; `local()` maps an input to a path; `close()` removes them. */
export async function remoteInputs(): Promise<{ local(ref: string): Promise<string>; local(ref: string | undefined): Promise<string | undefined>; close(): Promise<void> }> {
  let dir: string | undefined;
  let n = 0;
  return {
    async local(ref: string | undefined): Promise<any> {
      if (!isUrl(ref)) return ref;
      const url = new URL(ref);
      if (url.protocol === 'http:' && !LOOPBACK.test(url.hostname)) {
        throw new OrelError('USAGE', `${ref}: plain http is accepted only on loopback; use https`);
      }
      dir ??= await mkdtemp(join(tmpdir(), 'orel-verify-'));
      const file = join(dir, `${n++}-${basename(url.pathname) || 'download'}`);
      await withRetry(
        async () => {
          const res = await fetch(url);
          if (!res.ok || !res.body) throw Object.assign(new Error(`HTTP ${res.status} for ${ref}`), { status: res.status });
          await pipeline(Readable.fromWeb(res.body as import('node:stream/web').ReadableStream), createWriteStream(file));
        },
        { retries: 4, baseMs: 200, retryable: (e) => isTransient(e) || isTransient((e as { cause?: unknown }).cause) },
      ).catch((e) => {
        throw e instanceof OrelError ? e : new OrelError('USAGE', `cannot download ${ref}: ${(e as Error).message}`, { cause: e });
      });
      return file;
    },
    async close() {
      if (dir) await rm(dir, { recursive: true, force: true });
    },
  };
}
