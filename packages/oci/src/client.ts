// OCI distribution API client over fetch: manifests, blobs (monolithic and
// chunked uploads, cross-repository mounts), tags, referrers. One client per
// registry host. Every request retries on 408/429/5xx honouring Retry-After
// (core withRetry); bodies are buffers so a retried request is replayable,
// and blob uploads hold at most one chunk in memory.
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { OrelError, redact, registerSecret, withRetry, type RetryOptions } from '@orel/core';
import { basicHeader, parseChallenge, resolveCredentials, type Credentials } from './auth.js';
import { RegistryHttpError, errorSummary } from './errors.js';
import { MANIFEST_ACCEPT, OCI_INDEX, type Descriptor, type ImageIndex } from './media.js';
import { isDigest, isLoopbackHost } from './reference.js';

export interface RegistryClientOptions {
  /** Plain HTTP even for a non-loopback host (the plan's `insecure: true`). */
  insecure?: boolean;
  /** Explicit credentials; otherwise environment, then docker config.json. */
  credentials?: Credentials;
  retry?: RetryOptions;
  /** Blobs larger than this go up in PATCH chunks of this size (default 8 MiB). */
  chunkSize?: number;
  fetch?: typeof fetch;
}

export interface ManifestResult {
  bytes: Buffer;
  mediaType: string;
  digest: string;
  size: number;
}

type Action = 'pull' | 'pull,push';

interface SendOpts {
  repo: string;
  action: Action;
  method: string;
  /** Path below /v2/ or an absolute URL (upload locations). */
  path: string;
  headers?: Record<string, string>;
  body?: Buffer;
  /** Extra repository scopes (cross-repository mount reads the source). */
  extraScopes?: string[];
}

export const sha256Digest = (b: Buffer | string): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

export class RegistryClient {
  readonly host: string;
  readonly baseUrl: string;
  private readonly creds?: Credentials;
  private readonly fetchFn: typeof fetch;
  private readonly retry: RetryOptions;
  private readonly chunkSize: number;
  private basic = false;
  private readonly tokens = new Map<string, string>();

  constructor(host: string, opts: RegistryClientOptions = {}) {
    this.host = host === 'docker.io' ? 'registry-1.docker.io' : host;
    const plain = opts.insecure || isLoopbackHost(this.host);
    this.baseUrl = `${plain ? 'http' : 'https'}://${this.host}`;
    this.creds = resolveCredentials(host, opts.credentials);
    this.fetchFn = opts.fetch ?? fetch;
    this.retry = opts.retry ?? {};
    this.chunkSize = opts.chunkSize ?? 8 * 1024 * 1024;
  }

  // ---- manifests -------------------------------------------------------

  /** Fetches a manifest by tag or digest; undefined when absent. A digest reference is checked against the bytes. */
  async getManifest(repo: string, ref: string): Promise<ManifestResult | undefined> {
    const res = await this.send({ repo, action: 'pull', method: 'GET', path: `${repo}/manifests/${ref}`, headers: { accept: MANIFEST_ACCEPT } });
    if (res.status === 404) return drop(res, undefined);
    await this.expect(res, [200], `GET manifest ${repo}:${ref}`);
    const bytes = Buffer.from(await res.arrayBuffer());
    const digest = sha256Digest(bytes);
    if (isDigest(ref) && ref !== digest) {
      throw new OrelError('INTEGRITY', `${this.host}/${repo}@${ref}: the registry returned a manifest whose digest is ${digest}`);
    }
    const mediaType = manifestMediaType(bytes, res.headers.get('content-type'));
    return { bytes, mediaType, digest, size: bytes.length };
  }

  /** HEAD a manifest: its descriptor, or undefined when absent. */
  async headManifest(repo: string, ref: string): Promise<Descriptor | undefined> {
    const res = await this.send({ repo, action: 'pull', method: 'HEAD', path: `${repo}/manifests/${ref}`, headers: { accept: MANIFEST_ACCEPT } });
    if (res.status === 404) return undefined;
    await this.expect(res, [200], `HEAD manifest ${repo}:${ref}`);
    const digest = res.headers.get('docker-content-digest');
    if (!digest) {
      // Some registries omit the digest header on HEAD: fall back to GET.
      const m = await this.getManifest(repo, ref);
      return m && { mediaType: m.mediaType, digest: m.digest, size: m.size };
    }
    return { mediaType: res.headers.get('content-type') ?? '', digest, size: Number(res.headers.get('content-length') ?? 0) };
  }

  /** Puts a manifest under a tag or its digest; returns its digest. */
  async putManifest(repo: string, ref: string, bytes: Buffer, mediaType: string): Promise<string> {
    const digest = sha256Digest(bytes);
    if (isDigest(ref) && ref !== digest) throw new OrelError('INTERNAL', `manifest for ${repo}@${ref} has digest ${digest}`);
    const res = await this.send({ repo, action: 'pull,push', method: 'PUT', path: `${repo}/manifests/${ref}`, headers: { 'content-type': mediaType }, body: bytes });
    await this.expect(res, [200, 201], `PUT manifest ${repo}:${ref}`);
    return drop(res, digest);
  }

  async deleteManifest(repo: string, digest: string): Promise<void> {
    const res = await this.send({ repo, action: 'pull,push', method: 'DELETE', path: `${repo}/manifests/${digest}` });
    if (res.status === 404) return drop(res, undefined);
    await this.expect(res, [200, 202], `DELETE manifest ${repo}@${digest}`);
    await drop(res, undefined);
  }

  async listTags(repo: string): Promise<string[]> {
    const tags: string[] = [];
    let path: string | undefined = `${repo}/tags/list?n=1000`;
    while (path) {
      const res = await this.send({ repo, action: 'pull', method: 'GET', path });
      if (res.status === 404) return drop(res, tags);
      await this.expect(res, [200], `GET tags ${repo}`);
      const body = (await res.json()) as { tags?: string[] | null };
      tags.push(...(body.tags ?? []));
      const next = /<([^>]+)>;\s*rel="?next"?/.exec(res.headers.get('link') ?? '')?.[1];
      path = next ? new URL(next, this.baseUrl).href : undefined;
    }
    return tags;
  }

  // ---- referrers -------------------------------------------------------

  /**
   * Lists referrers of a manifest: the OCI 1.1 referrers API, or (when the
   * registry answers 404 there, as docker-registry 2.8 does) the index under
   * the fallback tag `sha256-<hex>`. `viaApi` says which one answered.
   */
  async referrers(repo: string, digest: string, artifactType?: string): Promise<{ manifests: Descriptor[]; viaApi: boolean }> {
    const res = await this.send({ repo, action: 'pull', method: 'GET', path: `${repo}/referrers/${digest}`, headers: { accept: OCI_INDEX } });
    let manifests: Descriptor[];
    let viaApi = false;
    if (res.status === 200 && (res.headers.get('content-type') ?? '').startsWith(OCI_INDEX)) {
      manifests = ((await res.json()) as ImageIndex).manifests ?? [];
      viaApi = true;
    } else {
      await drop(res, undefined);
      manifests = (await this.getFallbackIndex(repo, digest))?.index.manifests ?? [];
    }
    return { manifests: artifactType ? manifests.filter((m) => m.artifactType === artifactType) : manifests, viaApi };
  }

  /** Whether the registry serves the referrers API (probe with the all-zero digest). */
  async supportsReferrersApi(repo: string): Promise<boolean> {
    const res = await this.send({ repo, action: 'pull', method: 'GET', path: `${repo}/referrers/sha256:${'0'.repeat(64)}`, headers: { accept: OCI_INDEX } });
    return drop(res, res.status === 200);
  }

  async getFallbackIndex(repo: string, digest: string): Promise<{ index: ImageIndex; digest: string } | undefined> {
    const m = await this.getManifest(repo, digest.replace(':', '-'));
    if (!m) return undefined;
    return { index: JSON.parse(m.bytes.toString('utf8')) as ImageIndex, digest: m.digest };
  }

  // ---- blobs -----------------------------------------------------------

  /** Size of a blob when present, else undefined. */
  async headBlob(repo: string, digest: string): Promise<number | undefined> {
    const res = await this.send({ repo, action: 'pull', method: 'HEAD', path: `${repo}/blobs/${digest}` });
    if (res.status === 404) return undefined;
    await this.expect(res, [200], `HEAD blob ${repo}@${digest}`);
    return Number(res.headers.get('content-length') ?? 0);
  }

  /** Streams a blob. The caller checks the digest (copyBlob and uploadBlob do). */
  async getBlob(repo: string, digest: string): Promise<Readable> {
    const res = await this.send({ repo, action: 'pull', method: 'GET', path: `${repo}/blobs/${digest}` });
    await this.expect(res, [200], `GET blob ${repo}@${digest}`);
    if (!res.body) throw new OrelError('PUBLISH_FAILED', `GET blob ${repo}@${digest}: empty body`);
    return Readable.fromWeb(res.body as any);
  }

  /** Small blobs (configs, signature payloads, bundles) as bytes, digest-checked. */
  async getBlobBytes(repo: string, digest: string, maxBytes = 16 * 1024 * 1024): Promise<Buffer> {
    const chunks: Buffer[] = [];
    let n = 0;
    for await (const c of await this.getBlob(repo, digest)) {
      n += c.length;
      if (n > maxBytes) throw new OrelError('LIMIT', `blob ${repo}@${digest} is larger than ${maxBytes} bytes`);
      chunks.push(c);
    }
    const bytes = Buffer.concat(chunks);
    if (sha256Digest(bytes) !== digest) throw new OrelError('INTEGRITY', `blob ${this.host}/${repo}@${digest} has digest ${sha256Digest(bytes)}`);
    return bytes;
  }

  /** Cross-repository mount on this registry; false when the registry declined (then upload). */
  async mountBlob(repo: string, digest: string, fromRepo: string): Promise<boolean> {
    const q = new URLSearchParams({ mount: digest, from: fromRepo });
    const res = await this.send({ repo, action: 'pull,push', method: 'POST', path: `${repo}/blobs/uploads/?${q}`, extraScopes: [`repository:${fromRepo}:pull`] });
    if (res.status === 201) return drop(res, true);
    await this.expect(res, [202], `mount ${digest} from ${fromRepo} into ${repo}`);
    // Declined: the registry opened an upload session instead; cancel it.
    const loc = res.headers.get('location');
    await drop(res, undefined);
    if (loc) await this.send({ repo, action: 'pull,push', method: 'DELETE', path: new URL(loc, this.baseUrl).href }).then((r) => drop(r, undefined), () => undefined);
    return false;
  }

  /**
   * Uploads a blob unless present: bytes go up in one PUT when small, in
   * PATCH chunks otherwise. The digest is computed while streaming and
   * checked before the final PUT.
   */
  async uploadBlob(repo: string, digest: string, source: Buffer | Readable, size?: number): Promise<'created' | 'exists'> {
    if ((await this.headBlob(repo, digest)) !== undefined) {
      if (source instanceof Readable) source.destroy();
      return 'exists';
    }
    let location = await this.startUpload(repo);
    const hash = createHash('sha256');
    let offset = 0;
    let pending: Buffer[] = [];
    let pendingLen = 0;
    const flush = async (): Promise<void> => {
      const chunk = Buffer.concat(pending);
      pending = [];
      pendingLen = 0;
      const res = await this.send({
        repo,
        action: 'pull,push',
        method: 'PATCH',
        path: location,
        headers: { 'content-type': 'application/octet-stream', 'content-range': `${offset}-${offset + chunk.length - 1}` },
        body: chunk,
      });
      await this.expect(res, [202], `PATCH blob ${repo}@${digest}`);
      location = new URL(res.headers.get('location') ?? location, this.baseUrl).href;
      offset += chunk.length;
      await drop(res, undefined);
    };
    const input = Buffer.isBuffer(source) ? [source] : source;
    for await (const c of input as AsyncIterable<Buffer> | Buffer[]) {
      hash.update(c);
      pending.push(c);
      pendingLen += c.length;
      if (pendingLen >= this.chunkSize) await flush();
    }
    const got = `sha256:${hash.digest('hex')}`;
    const total = offset + pendingLen;
    if (got !== digest || (size !== undefined && total !== size)) {
      await this.send({ repo, action: 'pull,push', method: 'DELETE', path: location }).then((r) => drop(r, undefined), () => undefined);
      throw new OrelError('INTEGRITY', `blob for ${this.host}/${repo}: expected ${digest} (${size ?? '?'} bytes), read ${got} (${total} bytes)`);
    }
    const url = new URL(location, this.baseUrl);
    url.searchParams.set('digest', digest);
    const last = Buffer.concat(pending);
    const res = await this.send({
      repo,
      action: 'pull,push',
      method: 'PUT',
      path: url.href,
      headers: { 'content-type': 'application/octet-stream', ...(offset > 0 && last.length ? { 'content-range': `${offset}-${offset + last.length - 1}` } : {}) },
      body: last,
    });
    await this.expect(res, [201], `PUT blob ${repo}@${digest}`);
    return drop(res, 'created');
  }

  private async startUpload(repo: string): Promise<string> {
    const res = await this.send({ repo, action: 'pull,push', method: 'POST', path: `${repo}/blobs/uploads/` });
    await this.expect(res, [202], `start upload to ${repo}`);
    const loc = res.headers.get('location');
    await drop(res, undefined);
    if (!loc) throw new OrelError('PUBLISH_FAILED', `${this.host}/${repo}: upload session without a Location header`);
    return new URL(loc, this.baseUrl).href;
  }

  // ---- transport -------------------------------------------------------

  private async expect(res: Response, ok: number[], what: string): Promise<void> {
    if (ok.includes(res.status)) return;
    const detail = await errorSummary(res);
    throw new RegistryHttpError(res.status, res.headers, redact(`${what} on ${this.host}: HTTP ${res.status}${detail ? ` (${detail})` : ''}`));
  }

  /** One request with auth and retries; transient statuses throw (and retry), others return. */
  private async send(o: SendOpts): Promise<Response> {
    const url = /^https?:\/\//.test(o.path) ? o.path : `${this.baseUrl}/v2/${o.path}`;
    const scopes = [`repository:${o.repo}:${o.action}`, ...(o.extraScopes ?? [])];
    const scopeKey = scopes.join(' ');
    return withRetry(async () => {
      for (let authTry = 0; ; authTry++) {
        const headers: Record<string, string> = { ...o.headers };
        const token = this.tokens.get(scopeKey);
        if (token) headers.authorization = `Bearer ${token}`;
        else if (this.basic && this.creds) headers.authorization = basicHeader(this.creds);
        const res = await this.fetchFn(url, { method: o.method, headers, body: o.body, redirect: 'follow' });
        if (res.status === 401 && authTry === 0 && (await this.authenticate(res, scopes, scopeKey))) continue;
        if (res.status === 408 || res.status === 429 || res.status >= 500) {
          const detail = await errorSummary(res);
          throw new RegistryHttpError(res.status, res.headers, `${o.method} ${new URL(url).pathname} on ${this.host}: HTTP ${res.status}${detail ? ` (${detail})` : ''}`);
        }
        return res;
      }
    }, this.retry);
  }

  /** Answers a 401 challenge; true when a retry with new credentials makes sense. */
  private async authenticate(res: Response, scopes: string[], scopeKey: string): Promise<boolean> {
    const challenge = parseChallenge(res.headers.get('www-authenticate'));
    await drop(res, undefined);
    if (!challenge) return false;
    if (challenge.scheme === 'basic') {
      if (!this.creds || this.basic) return false;
      this.basic = true;
      return true;
    }
    const { realm, service } = challenge.params;
    if (!realm) return false;
    const url = new URL(realm);
    if (service) url.searchParams.set('service', service);
    const wanted = new Set([...(challenge.params.scope ?? '').split(' ').filter(Boolean), ...scopes]);
    for (const s of wanted) url.searchParams.append('scope', s);
    const headers: Record<string, string> = this.creds ? { authorization: basicHeader(this.creds) } : {};
    const tr = await this.fetchFn(url, { headers });
    if (tr.status !== 200) {
      const detail = await errorSummary(tr);
      throw new RegistryHttpError(tr.status, tr.headers, `token request to ${url.origin}${url.pathname} failed: HTTP ${tr.status}${detail ? ` (${detail})` : ''}`);
    }
    const body = (await tr.json()) as { token?: string; access_token?: string };
    const token = body.token ?? body.access_token;
    if (!token) return false;
    registerSecret(token);
    this.tokens.set(scopeKey, token);
    return true;
  }
}

/** Media type from the manifest body (authoritative) or the Content-Type header. */
function manifestMediaType(bytes: Buffer, header: string | null): string {
  try {
    const mt = JSON.parse(bytes.toString('utf8'))?.mediaType;
    if (typeof mt === 'string' && mt) return mt;
  } catch {
    /* fall through */
  }
  return (header ?? '').split(';')[0].trim();
}

/** Discards a response body (keeps the connection reusable) and returns `value`. */
async function drop<T>(res: Response, value: T): Promise<T> {
  try {
    await res.body?.cancel();
  } catch {
    /* already consumed */
  }
  return value;
}
