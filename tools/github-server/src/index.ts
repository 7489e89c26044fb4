// A loopback server of the GitHub REST endpoints orel uses for releases, with
// GitHub's shapes and quirks: drafts are invisible to get-by-tag, duplicate
// asset names get 422 already_exists, uploads go to a separate host (here a
// separate path prefix, so a hard-coded uploads.github.com fails), a broken
// upload leaves a "starter" asset behind, and secondary rate limits answer 403
// with Retry-After. Faults are injectable.
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  assetJson,
  normaliseAssetName,
  releaseJson,
  validationFailed,
  type StoredAsset,
  type StoredRelease,
  type UrlBases,
} from './shapes.js';

export * from './shapes.js';

export interface GitHubServerOptions {
  /** Token the server accepts (as "token T" or "bearer T"). */
  token?: string;
  /** Serve GitHub Enterprise paths: API under /api/v3, uploads under /api/uploads. */
  enterprise?: boolean;
  /** Return `digest: "sha256:..."` on assets (GitHub.com does; older GHE does not). */
  digests?: boolean;
}

export interface LoggedRequest {
  method: string;
  /** Path and query as received. */
  path: string;
  status: number;
  upload: boolean;
  at: number;
  headers: http.IncomingHttpHeaders;
}

export type RequestMatcher = (r: { method: string; path: string; upload: boolean }) => boolean;

export interface GitHubServer {
  /** API base URL: pass as Octokit's baseUrl (or the plan's target endpoint). */
  url: string;
  /** Base of upload URLs (what upload_url points at). */
  uploadUrl: string;
  token: string;
  releases(owner: string, repo: string): Record<string, unknown>[];
  /** Stored assets of a release, with their bytes. */
  assets(owner: string, repo: string, releaseId: number): { name: string; state: string; data: Buffer; sha256: string }[];
  faults: {
    /** The next `times` matching requests (default: writes) get GitHub's secondary-rate-limit 403 with Retry-After. */
    secondaryRateLimit(times: number, retryAfterSec: number, match?: RequestMatcher): void;
    /** The next `times` matching requests (default: all) get a 403 with x-ratelimit-remaining 0 and x-ratelimit-reset. */
    primaryRateLimit(times: number, resetInSec: number, match?: RequestMatcher): void;
    /** The next `times` matching requests (default: all) fail with this status. */
    failNext(status: number, times: number, match?: RequestMatcher): void;
    /** The next `times` uploads are cut after half their bytes (the asset is left in state "starter"). */
    dropConnectionMidUpload(times: number): void;
    /** The next `times` uploads stop reading after half their bytes and never answer (for killing the client mid-upload). */
    stallMidUpload(times: number): void;
  };
  requests: LoggedRequest[];
  close(): Promise<void>;
}

const isWrite: RequestMatcher = (r) => r.method !== 'GET' && r.method !== 'HEAD';
const any: RequestMatcher = () => true;

interface Fault {
  match: RequestMatcher;
  left: number;
  respond: (res: http.ServerResponse) => void;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
  ) {
    super(String(body.message));
  }
}
const notFound = () => new HttpError(404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest', status: '404' });

export async function startGitHubServer(opts: GitHubServerOptions = {}): Promise<GitHubServer> {
  const token = opts.token ?? 'ghs_orelTestToken0001';
  const withDigest = opts.digests ?? true;
  const apiPrefix = opts.enterprise ? '/api/v3' : '';
  const uploadPrefix = opts.enterprise ? '/api/uploads' : '/uploads';
  const releases: StoredRelease[] = [];
  const faults: Fault[] = [];
  let dropUploads = 0;
  let stallUploads = 0;
  let nextId = 1000;
  const requests: LoggedRequest[] = [];
  const bases: UrlBases = { api: '', uploads: '', web: '' };
  const now = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');

  const repoReleases = (o: string, r: string) => releases.filter((x) => x.owner === o && x.repo === r);
  const findRelease = (o: string, r: string, id: number) => {
    const rel = repoReleases(o, r).find((x) => x.id === id);
    if (!rel) throw notFound();
    return rel;
  };
  const findAsset = (o: string, r: string, id: number): [StoredRelease, StoredAsset] => {
    for (const rel of repoReleases(o, r)) {
      const a = rel.assets.find((x) => x.id === id);
      if (a) return [rel, a];
    }
    throw notFound();
  };

  function paginate(res: http.ServerResponse, url: URL, items: unknown[]): unknown[] {
    const perPage = Math.min(100, Math.max(1, Number(url.searchParams.get('per_page') ?? 30)));
    const page = Math.max(1, Number(url.searchParams.get('page') ?? 1));
    const last = Math.max(1, Math.ceil(items.length / perPage));
    const link = (p: number, rel: string) => {
      const u = new URL(url.toString());
      u.searchParams.set('per_page', String(perPage));
      u.searchParams.set('page', String(p));
      return `<${bases.web}${u.pathname}${u.search}>; rel="${rel}"`;
    };
    const links: string[] = [];
    if (page < last) links.push(link(page + 1, 'next'), link(last, 'last'));
    if (page > 1) links.push(link(1, 'first'), link(page - 1, 'prev'));
    if (links.length) res.setHeader('link', links.join(', '));
    return items.slice((page - 1) * perPage, page * perPage);
  }

  function authorised(req: http.IncomingMessage): boolean {
    const m = /^(?:token|bearer)\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    return !!m && m[1] === token;
  }

  function storageRedirect(res: http.ServerResponse, a: StoredAsset): void {
    res.writeHead(302, { location: `${bases.web}/_storage/${a.id}?sig=${randomBytes(6).toString('hex')}` });
    res.end();
  }

  // Routes below the API prefix. Returns [status, body] or handles res itself (returns undefined).
  function api(method: string, path: string, url: URL, body: Buffer, req: http.IncomingMessage, res: http.ServerResponse): [number, unknown] | undefined {
    let m: RegExpExecArray | null;
    const json = () => (body.length ? JSON.parse(body.toString('utf8')) : {});
    if ((m = /^\/repos\/([^/]+)\/([^/]+)\/releases$/.exec(path))) {
      const [o, r] = [m[1], m[2]];
      if (method === 'GET') return [200, paginate(res, url, repoReleases(o, r).slice().reverse().map((x) => releaseJson(bases, x, withDigest)))];
      if (method === 'POST') {
        const b = json();
        if (typeof b.tag_name !== 'string' || !b.tag_name) throw new HttpError(422, validationFailed('Release', 'tag_name', 'missing_field'));
        // GitHub allows several drafts for one tag, but only one published release.
        const draft = b.draft === true;
        if (!draft && repoReleases(o, r).some((x) => x.tagName === b.tag_name && !x.draft)) {
          throw new HttpError(422, validationFailed('Release', 'tag_name'));
        }
        const rel: StoredRelease = {
          id: nextId++,
          owner: o,
          repo: r,
          tagName: b.tag_name,
          targetCommitish: b.target_commitish ?? 'main',
          name: b.name ?? null,
          body: b.body ?? null,
          draft,
          prerelease: b.prerelease === true,
          createdAt: now(),
          publishedAt: draft ? null : now(),
          untaggedSlug: `untagged-${randomBytes(10).toString('hex')}`,
          assets: [],
        };
        releases.push(rel);
        return [201, releaseJson(bases, rel, withDigest)];
      }
    }
    if ((m = /^\/repos\/([^/]+)\/([^/]+)\/releases\/tags\/(.+)$/.exec(path)) && method === 'GET') {
      const tag = decodeURIComponent(m[3]);
      // Like GitHub: drafts are not found by tag (only through the list).
      const rel = repoReleases(m[1], m[2]).find((x) => x.tagName === tag && !x.draft);
      if (!rel) throw notFound();
      return [200, releaseJson(bases, rel, withDigest)];
    }
    if ((m = /^\/repos\/([^/]+)\/([^/]+)\/releases\/(\d+)$/.exec(path))) {
      const rel = findRelease(m[1], m[2], Number(m[3]));
      if (method === 'GET') return [200, releaseJson(bases, rel, withDigest)];
      if (method === 'PATCH') {
        const b = json();
        if (b.draft === false && rel.draft) {
          if (repoReleases(rel.owner, rel.repo).some((x) => x !== rel && !x.draft && x.tagName === (b.tag_name ?? rel.tagName))) {
            throw new HttpError(422, validationFailed('Release', 'tag_name'));
          }
          rel.draft = false;
          rel.publishedAt = now();
        }
        if (typeof b.tag_name === 'string') rel.tagName = b.tag_name;
        if ('name' in b) rel.name = b.name;
        if ('body' in b) rel.body = b.body;
        if (typeof b.prerelease === 'boolean') rel.prerelease = b.prerelease;
        return [200, releaseJson(bases, rel, withDigest)];
      }
      if (method === 'DELETE') {
        releases.splice(releases.indexOf(rel), 1);
        return [204, undefined];
      }
    }
    if ((m = /^\/repos\/([^/]+)\/([^/]+)\/releases\/(\d+)\/assets$/.exec(path)) && method === 'GET') {
      const rel = findRelease(m[1], m[2], Number(m[3]));
      return [200, paginate(res, url, rel.assets.map((a) => assetJson(bases, rel, a, withDigest)))];
    }
    if ((m = /^\/repos\/([^/]+)\/([^/]+)\/releases\/assets\/(\d+)$/.exec(path))) {
      const [rel, a] = findAsset(m[1], m[2], Number(m[3]));
      if (method === 'GET') {
        if ((req.headers.accept ?? '').includes('application/octet-stream')) {
          storageRedirect(res, a);
          return undefined;
        }
        return [200, assetJson(bases, rel, a, withDigest)];
      }
      if (method === 'PATCH') {
        const b = json();
        if (typeof b.name === 'string') a.name = normaliseAssetName(b.name);
        if ('label' in b) a.label = b.label;
        a.updatedAt = now();
        return [200, assetJson(bases, rel, a, withDigest)];
      }
      if (method === 'DELETE') {
        rel.assets.splice(rel.assets.indexOf(a), 1);
        return [204, undefined];
      }
    }
    throw notFound();
  }

  function upload(path: string, url: URL, body: Buffer, req: http.IncomingMessage): [number, unknown] {
    const m = /^\/repos\/([^/]+)\/([^/]+)\/releases\/(\d+)\/assets$/.exec(path);
    if (!m || req.method !== 'POST') throw notFound();
    const rel = findRelease(m[1], m[2], Number(m[3]));
    const rawName = url.searchParams.get('name');
    if (!rawName) throw new HttpError(422, validationFailed('ReleaseAsset', 'name', 'missing_field'));
    if (req.headers['content-length'] === undefined) {
      throw new HttpError(411, { message: 'Content-Length header is required', documentation_url: 'https://docs.github.com/rest/releases/assets#upload-a-release-asset' });
    }
    const name = normaliseAssetName(rawName);
    if (rel.assets.some((a) => a.name === name)) throw new HttpError(422, validationFailed('ReleaseAsset', 'name'));
    const a = newAsset(rel, name, url, req, body, 'uploaded');
    return [201, assetJson(bases, rel, a, withDigest)];
  }

  function newAsset(rel: StoredRelease, name: string, url: URL, req: http.IncomingMessage, data: Buffer, state: StoredAsset['state']): StoredAsset {
    const a: StoredAsset = {
      id: nextId++,
      releaseId: rel.id,
      name,
      label: url.searchParams.get('label'),
      contentType: req.headers['content-type'] ?? 'application/octet-stream',
      state,
      data,
      sha256: createHash('sha256').update(data).digest('hex'),
      createdAt: now(),
      updatedAt: now(),
      downloads: 0,
    };
    rel.assets.push(a);
    return a;
  }

  function download(path: string, req: http.IncomingMessage, res: http.ServerResponse): boolean {
    let m = /^\/_storage\/(\d+)$/.exec(path);
    if (m && req.method === 'GET') {
      const a = releases.flatMap((r) => r.assets).find((x) => x.id === Number(m![1]));
      if (!a) throw notFound();
      a.downloads++;
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': a.data.length });
      res.end(a.data);
      return true;
    }
    m = /^\/([^/]+)\/([^/]+)\/releases\/download\/([^/]+)\/([^/]+)$/.exec(path);
    if (m && req.method === 'GET') {
      const [o, r, slug, name] = [m[1], m[2], decodeURIComponent(m[3]), decodeURIComponent(m[4])];
      const rel = repoReleases(o, r).find((x) => (x.draft ? x.untaggedSlug === slug && authorised(req) : x.tagName === slug));
      const a = rel?.assets.find((x) => x.name === name && x.state === 'uploaded');
      if (!a) throw notFound();
      storageRedirect(res, a);
      return true;
    }
    return false;
  }

  function takeFault(method: string, path: string, isUpload: boolean): Fault | undefined {
    const f = faults.find((x) => x.left > 0 && x.match({ method, path, upload: isUpload }));
    if (f) f.left--;
    return f;
  }

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const method = req.method ?? 'GET';
    const entry: LoggedRequest = { method, path: url.pathname + url.search, status: 0, upload: false, at: Date.now(), headers: req.headers };
    requests.push(entry);
    res.on('finish', () => (entry.status = res.statusCode));
    const send = (status: number, body: unknown) => {
      const text = body === undefined ? '' : JSON.stringify(body);
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'x-github-media-type': 'github.v3; format=json', ...(text ? { 'content-length': Buffer.byteLength(text) } : {}) });
      res.end(text);
    };
    const isUpload = url.pathname.startsWith(uploadPrefix + '/');
    const isApi = !isUpload && url.pathname.startsWith(apiPrefix + '/repos/');
    entry.upload = isUpload;

    // An upload cut off half way: GitHub keeps a "starter" asset under the name.
    if (isUpload && dropUploads + stallUploads > 0 && authorised(req)) {
      const m = /^\/repos\/([^/]+)\/([^/]+)\/releases\/(\d+)\/assets$/.exec(url.pathname.slice(uploadPrefix.length));
      const rel = m && repoReleases(m[1], m[2]).find((x) => x.id === Number(m[3]));
      const name = url.searchParams.get('name');
      const total = Number(req.headers['content-length'] ?? 0);
      if (rel && name && total > 1 && !rel.assets.some((a) => a.name === normaliseAssetName(name))) {
        const stall = dropUploads === 0;
        if (stall) stallUploads--;
        else dropUploads--;
        const chunks: Buffer[] = [];
        let got = 0;
        let cut = false;
        req.on('data', (c: Buffer) => {
          chunks.push(c);
          got += c.length;
          if (!cut && got >= total / 2) {
            cut = true;
            newAsset(rel, normaliseAssetName(name), url, req, Buffer.concat(chunks).subarray(0, Math.floor(total / 2)), 'starter');
            entry.status = -1;
            if (stall) req.pause();
            else req.socket.destroy();
          }
        });
        return;
      }
    }

    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        if (isApi || isUpload) {
          if (!authorised(req)) {
            return send(401, { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest', status: '401' });
          }
          const fault = takeFault(method, url.pathname, isUpload);
          if (fault) return fault.respond(res);
        }
        const body = Buffer.concat(chunks);
        if (isUpload) {
          const [s, b] = upload(url.pathname.slice(uploadPrefix.length), url, body, req);
          return send(s, b);
        }
        if (isApi) {
          const out = api(method, url.pathname.slice(apiPrefix.length), url, body, req, res);
          if (out) send(out[0], out[1]);
          return;
        }
        if (!download(url.pathname, req, res)) throw notFound();
      } catch (e) {
        if (e instanceof HttpError) return send(e.status, e.body);
        send(500, { message: String((e as Error).message) });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  bases.api = origin + apiPrefix;
  bases.uploads = origin + uploadPrefix;
  bases.web = origin;

  const addFault = (times: number, match: RequestMatcher, respond: Fault['respond']) => faults.push({ left: times, match, respond });
  const sendRaw = (res: http.ServerResponse, status: number, headers: Record<string, string>, body: Record<string, unknown>) => {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
    res.end(JSON.stringify(body));
  };

  return {
    url: bases.api,
    uploadUrl: bases.uploads,
    token,
    releases: (o, r) => repoReleases(o, r).map((x) => releaseJson(bases, x, withDigest)),
    assets: (o, r, id) => findRelease(o, r, id).assets.map((a) => ({ name: a.name, state: a.state, data: a.data, sha256: a.sha256 })),
    faults: {
      secondaryRateLimit(times, retryAfterSec, match = isWrite) {
        addFault(times, match, (res) =>
          sendRaw(res, 403, { 'retry-after': String(retryAfterSec), 'x-ratelimit-remaining': '4990' }, {
            message:
              'You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID 0000:0000:0000000:0000000:00000000.',
            documentation_url: 'https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api#about-secondary-rate-limits',
          }),
        );
      },
      primaryRateLimit(times, resetInSec, match = any) {
        addFault(times, match, (res) =>
          sendRaw(res, 403, { 'x-ratelimit-limit': '5000', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(Math.ceil(Date.now() / 1000 + resetInSec)) }, {
            message: 'API rate limit exceeded for user ID 1.',
            documentation_url: 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api',
          }),
        );
      },
      failNext(status, times, match = any) {
        addFault(times, match, (res) => sendRaw(res, status, {}, { message: `injected failure ${status}` }));
      },
      dropConnectionMidUpload(times) {
        dropUploads += times;
      },
      stallMidUpload(times) {
        stallUploads += times;
      },
    },
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
