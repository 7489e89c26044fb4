// `orel verify-blob https://dl.example.org/v1.2.0/kubectl --signature https://…`
// as the Kubernetes blog shows for cosign: URL inputs are downloaded (streamed
// to a temp file, retried like every read) and verified like local files.
import { OrelError, isTransientRead, withRetry } from '@orel/core';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Readable } from 'node:stream';
import type { ReadableStream } from 'node:stream/web';
import { pipeline } from 'node:stream/promises';

const LOOPBACK = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/;

export const isUrl = (s: string | undefined): s is string => !!s && /^https?:\/\//i.test(s);

/** URL inputs of one command, downloaded into one temp directory that `close()` removes. */
export class RemoteInputs {
  private dir: string | undefined;
  private n = 0;

  /** A local path for `ref`: itself, or where its download was written. */
  async local<T extends string | undefined>(ref: T): Promise<T> {
    if (!isUrl(ref)) return ref;
    const url = new URL(ref);
    if (url.protocol === 'http:' && !LOOPBACK.test(url.hostname)) {
      throw new OrelError('USAGE', `${ref}: plain http is accepted only on loopback; use https`);
    }
    this.dir ??= await mkdtemp(join(tmpdir(), 'orel-verify-'));
    const file = join(this.dir, `${this.n++}-${basename(url.pathname) || 'download'}`);
    await withRetry(
      async () => {
        const res = await fetch(url);
        if (!res.ok || !res.body) throw Object.assign(new Error(`HTTP ${res.status} for ${ref}`), { status: res.status });
        await pipeline(Readable.fromWeb(res.body as ReadableStream), createWriteStream(file));
      },
      { retries: 4, baseMs: 200, retryable: isTransientRead },
    ).catch((e) => {
      throw e instanceof OrelError ? e : new OrelError('USAGE', `cannot download ${ref}: ${(e as Error).message}`, { cause: e });
    });
    return file as T;
  }

  async close(): Promise<void> {
    if (this.dir) await rm(this.dir, { recursive: true, force: true });
  }
}
