// Reads published objects over HTTP(S) from a public URL template
// ("https://dl.example.org/{path}"), exactly as an end user downloads them.
// Verification uses it in place of the target's own API when a plan gives one.
import { Readable } from 'node:stream';
import { OrelError, isTransientStatus, renderTemplate, withRetry, type ObjectInfo, type Publisher } from '@orel/core';

export type ObjectReader = Pick<Publisher, 'read' | 'stat' | 'location' | 'url'>;

export class PublicUrlReader implements ObjectReader {
  constructor(
    readonly url: string,
    private readonly target: string,
    private readonly fetchImpl: typeof fetch = fetch,
  ) {}

  location(key: string): string {
    // Each path segment is URL-encoded; the slashes of the key stay.
    return renderTemplate(this.url, { path: key.split('/').map(encodeURIComponent).join('/') }, `targets.${this.target}.publicUrl`);
  }

  private async get(key: string, method: 'GET' | 'HEAD'): Promise<Response | undefined> {
    const url = this.location(key);
    return withRetry(async () => {
      const res = await this.fetchImpl(url, { method, redirect: 'follow' });
      if (res.status === 404) return undefined;
      if (!res.ok) {
        await res.body?.cancel();
        throw Object.assign(new Error(`HTTP ${res.status} for ${url}`), { status: res.status, headers: res.headers });
      }
      return res;
    }, { retryable: (e) => isTransientStatus((e as { status?: number }).status) || (e as Error).name === 'TypeError' });
  }

  async read(key: string): Promise<Readable> {
    const res = await this.get(key, 'GET');
    if (!res?.body) throw new OrelError('VERIFY_FAILED', `${this.location(key)} is not downloadable (404)`);
    return Readable.fromWeb(res.body as any);
  }

  async stat(key: string): Promise<ObjectInfo | undefined> {
    const res = await this.get(key, 'HEAD');
    if (!res) return undefined;
    return { size: Number(res.headers.get('content-length') ?? -1) };
  }
}
