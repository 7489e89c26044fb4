// GitHub release publisher on @octokit/rest: a DRAFT release for the tag,
// every object uploaded as an asset (streamed, always to the release's
// upload_url), re-runs that keep what is already there, pacing under GitHub's
// secondary limits, and a finalize() that publishes the draft last.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat as fsStat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { Octokit } from '@octokit/rest';
import {
  OrelError,
  isTransient,
  redact,
  registerSecret,
  renderTemplate,
  requestedWaitMs,
  statusOf,
  withRetry,
  type Finalizer,
  type ObjectInfo,
  type Publisher,
  type PutRequest,
  type PutResult,
  type Reporter,
  type RetryOptions,
} from '@orel/core';
import {
  Pacer,
  VERIFY_NOTES_ASSET,
  assetNameFor,
  decideExisting,
  parseGitHubUrl,
  type GitHubTarget,
  type PaceLimit,
} from './github-assets.js';

export interface GitHubPublisherOptions {
  token: string;
  /** Mark the release as a pre-release (set at creation and at finalize). */
  prerelease: boolean;
  reporter?: Reporter;
  /** Content-creating request limits (default: GitHub's 80/min and 500/hour). */
  pacing?: readonly PaceLimit[];
  retry?: RetryOptions;
}

interface ReleaseJson {
  id: number;
  tag_name: string;
  draft: boolean;
  upload_url: string;
  name: string | null;
  body?: string | null;
  prerelease: boolean;
}

interface AssetJson {
  id: number;
  name: string;
  state: string;
  size: number;
  digest?: string | null;
  browser_download_url: string;
}

/** In the body of every release orel creates (invisible when rendered): what it may touch. */
export const OREL_RELEASE_MARK = '<!-- created by orel -->';
const withMark = (body: string): string => (body.includes(OREL_RELEASE_MARK) ? body : `${body.trim() ? body.trim() + '\n\n' : ''}${OREL_RELEASE_MARK}`);

/** GitHub's release body limit (characters). */
const MAX_BODY = 125_000;

/** 403/429 that ask us to slow down (secondary or primary rate limit), as opposed to a permissions 403. */
export function isGitHubRateLimit(err: unknown): boolean {
  const s = statusOf(err);
  if (s !== 403 && s !== 429) return false;
  const headers = (err as any)?.response?.headers ?? {};
  const msg = String((err as any)?.message ?? '');
  return headers['retry-after'] !== undefined || headers['x-ratelimit-remaining'] === '0' || /rate limit/i.test(msg);
}

const isAlreadyExists = (err: unknown): boolean =>
  statusOf(err) === 422 && ((err as any)?.response?.data?.errors ?? []).some((e: any) => e?.code === 'already_exists');

/** Public web root for browser_download_url: github.com, or the GHE host of https://HOST/api/v3. */
export function githubWebBase(endpoint?: string): string {
  if (!endpoint) return 'https://github.com';
  return endpoint.replace(/\/+$/, '').replace(/\/api\/v3$/, '');
}

class GitHubReleasePublisher implements Publisher, Finalizer {
  readonly name: string;
  readonly url: string;
  private readonly owner: string;
  private readonly repo: string;
  private readonly octokit: Octokit;
  private readonly pacer: Pacer;
  private readonly reporter?: Reporter;
  private releaseP?: Promise<ReleaseJson>;
  private readonly assets = new Map<string, AssetJson>();

  constructor(
    private readonly target: GitHubTarget,
    private readonly opts: GitHubPublisherOptions,
  ) {
    ({ owner: this.owner, repo: this.repo } = parseGitHubUrl(target.url, target.name));
    this.name = target.name;
    this.url = `github://${this.owner}/${this.repo}@${target.tag}`;
    this.reporter = opts.reporter;
    registerSecret(opts.token);
    this.pacer = new Pacer(opts.pacing);
    const log = (level: 'debug' | 'warn') => (msg: string) => this.reporter?.[level](redact(`github: ${msg}`));
    this.octokit = new Octokit({
      auth: opts.token,
      baseUrl: target.endpoint?.replace(/\/+$/, ''),
      userAgent: 'orel',
      log: { debug: log('debug'), info: log('debug'), warn: log('warn'), error: log('warn') },
    });
  }

  /** Remote call with backoff; rate limits pause every paced write until the server's Retry-After. */
  private call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    return withRetry(fn, {
      retries: 6,
      baseMs: 500,
      maxMs: 300_000,
      retryable: (e) => isTransient(e) || isGitHubRateLimit(e),
      onRetry: (e, attempt, ms) => {
        if (isGitHubRateLimit(e)) this.pacer.pauseUntil(Date.now() + (requestedWaitMs(e) ?? ms));
        this.reporter?.warn(redact(`github target '${this.name}': ${what} failed (${statusOf(e) ?? (e as Error).message}); retry ${attempt} in ${Math.ceil(ms / 1000)} s`));
      },
      ...this.opts.retry,
    }).catch((e) => {
      throw this.wrap(what, e);
    });
  }

  private wrap(what: string, e: unknown): unknown {
    if (e instanceof OrelError || isAlreadyExists(e)) return e;
    const status = statusOf(e);
    const msg = redact(`github target '${this.name}': ${what} on ${this.owner}/${this.repo} failed: ${status ?? ''} ${(e as Error)?.message ?? e}`.replace(/\s+/g, ' '));
    if (status === 401 || (status === 403 && !isGitHubRateLimit(e)) || status === 404) {
      return new OrelError('PUBLISH_FAILED', msg, {
        hint: 'check that the token can write releases of this repository (contents: write) and that the repository exists',
        cause: e,
      });
    }
    if (isTransient(e) || isGitHubRateLimit(e)) return new OrelError('SERVICE_UNAVAILABLE', msg, { hint: 'GitHub stayed unavailable; re-run later: finished assets are kept', cause: e });
    return new OrelError('PUBLISH_FAILED', msg, { cause: e });
  }

  /** Before anything is written anywhere: the tag's release, if there is one, must be orel's (found once, kept for later). */
  async preflight(): Promise<void> {
    await this.existingRelease();
  }

  /** orel never touches a release it did not create (its drafts carry OREL_RELEASE_MARK in the body). */
  private checkOwned(rel: ReleaseJson): void {
    if ((rel.body ?? '').includes(OREL_RELEASE_MARK)) return;
    throw new OrelError(
      'PUBLISH_CONFLICT',
      `github target '${this.name}': ${this.owner}/${this.repo} already has a ${rel.draft ? 'draft' : 'published'} release for ${this.target.tag} (id ${rel.id}) that orel did not create; it is left as it was`,
      { hint: 'release under another tag (the target\'s tag:), or delete that release if it is really yours to replace' },
    );
  }

  /** The draft (or already published) release for the tag, created as a draft if missing. Drafts are only found through the list. */
  private release(): Promise<ReleaseJson> {
    this.releaseP ??= this.call(`finding release ${this.target.tag}`, async () => {
      const found = await this.findRelease();
      if (found) this.checkOwned(found);
      const rel =
        found ??
        ((
          await this.pacer.run(() =>
            this.octokit.rest.repos.createRelease({
              owner: this.owner,
              repo: this.repo,
              tag_name: this.target.tag,
              name: this.target.title ?? this.target.tag,
              body: withMark(this.target.body ?? ''),
              draft: true,
              prerelease: this.opts.prerelease,
            }),
          )
        ).data as ReleaseJson);
      if (!found) this.reporter?.info(`github target '${this.name}': created draft release ${this.target.tag} in ${this.owner}/${this.repo}`);
      await this.loadAssets(rel);
      return rel;
    }).catch((e) => {
      this.releaseP = undefined;
      throw e;
    });
    return this.releaseP;
  }

  private async findRelease(): Promise<ReleaseJson | undefined> {
    const matches: ReleaseJson[] = [];
    for await (const page of this.octokit.paginate.iterator(this.octokit.rest.repos.listReleases, { owner: this.owner, repo: this.repo, per_page: 100 })) {
      matches.push(...(page.data as ReleaseJson[]).filter((r) => r.tag_name === this.target.tag));
      if (matches.length) break;
    }
    const published = matches.find((r) => !r.draft);
    if (!published && matches.length > 1) {
      this.reporter?.warn(`github target '${this.name}': ${matches.length} draft releases for ${this.target.tag}; using release ${matches[0].id}`);
    }
    return published ?? matches[0];
  }

  private async loadAssets(rel: ReleaseJson): Promise<void> {
    const list = (await this.octokit.paginate(this.octokit.rest.repos.listReleaseAssets, {
      owner: this.owner,
      repo: this.repo,
      release_id: rel.id,
      per_page: 100,
    })) as AssetJson[];
    this.assets.clear();
    for (const a of list) this.assets.set(a.name, a);
  }

  private async refreshAssets(): Promise<void> {
    const rel = await this.release();
    await this.call('listing assets', () => this.loadAssets(rel));
  }

  private async sameBytes(a: AssetJson, req: PutRequest): Promise<boolean> {
    if (a.size !== req.size) return false;
    const d = /^sha256:([0-9a-f]{64})$/.exec(a.digest ?? '');
    if (d) return d[1] === req.sha256;
    // No digest on this server (older GHE): download and hash, as a user would.
    const hash = createHash('sha256');
    for await (const chunk of await this.readAsset(a)) hash.update(chunk);
    return hash.digest('hex') === req.sha256;
  }

  async put(req: PutRequest): Promise<PutResult> {
    const name = assetNameFor(req.key, this.name);
    const rel = await this.release();
    let replaced = false;
    for (let round = 0; round < 3; round++) {
      const existing = this.assets.get(name);
      if (existing) {
        const same = existing.state === 'uploaded' && (await this.sameBytes(existing, req));
        const d = /^sha256:(\w+)$/.exec(existing.digest ?? '');
        const action = decideExisting(existing, same, {
          target: this.name,
          tag: this.target.tag,
          draft: rel.draft,
          replaceDraftAssets: this.target.replaceDraftAssets === true,
          want: req,
          have: { sha256: d?.[1] },
        });
        if (action === 'keep') return { status: 'exists', location: this.location(req.key) };
        replaced ||= action === 'replace';
        await this.call(`deleting asset "${name}"`, () =>
          this.pacer.run(() => this.octokit.rest.repos.deleteReleaseAsset({ owner: this.owner, repo: this.repo, asset_id: existing.id })),
        );
        this.assets.delete(name);
      }
      try {
        const asset = await this.upload(rel, name, req);
        this.assets.set(name, asset);
        return { status: replaced ? 'replaced' : 'created', location: this.location(req.key) };
      } catch (e) {
        // Someone (or a broken-off earlier attempt) holds the name: look again.
        if (!isAlreadyExists(e)) throw e;
        await this.refreshAssets();
      }
    }
    throw new OrelError('PUBLISH_FAILED', `github target '${this.name}': asset "${name}" kept reappearing while uploading it`, {
      hint: 'another process may be publishing the same release; run one at a time',
    });
  }

  private async upload(rel: ReleaseJson, name: string, req: PutRequest): Promise<AssetJson> {
    if ('path' in req.source) {
      const st = await fsStat(req.source.path);
      if (st.size !== req.size) {
        throw new OrelError('INTEGRITY', `${req.source.path} is ${st.size} bytes, but the manifest records ${req.size} for "${name}"`, {
          hint: 'the file changed after it was staged; re-run the stage step',
        });
      }
    }
    let streamed = '';
    const asset = await this.call(`uploading "${name}"`, () =>
      this.pacer.run(async () => {
        const hash = createHash('sha256');
        const source = req.source;
        // A fresh stream per attempt; hashed on the way out so the sent bytes are checked.
        const body = async function* () {
          const chunks: AsyncIterable<Buffer> | Buffer[] = 'path' in source ? createReadStream(source.path) : [source.data];
          for await (const c of chunks) {
            hash.update(c);
            yield c;
          }
        };
        // upload_url is a URI template ("…/assets{?name,label}"): drop the template part, add the name.
        const res = await this.octokit.request({
          method: 'POST',
          url: `${rel.upload_url.replace(/\{[^}]*\}$/, '')}?name=${encodeURIComponent(name)}`,
          headers: { 'content-type': req.contentType ?? 'application/octet-stream', 'content-length': req.size },
          data: body() as any,
        });
        streamed = hash.digest('hex');
        return res.data as AssetJson;
      }),
    );
    const d = /^sha256:(\w+)$/.exec(asset.digest ?? '');
    if (streamed !== req.sha256 || asset.size !== req.size || (d && d[1] !== req.sha256)) {
      await this.call(`deleting corrupt asset "${name}"`, () =>
        this.pacer.run(() => this.octokit.rest.repos.deleteReleaseAsset({ owner: this.owner, repo: this.repo, asset_id: asset.id })),
      );
      throw new OrelError('INTEGRITY', `github target '${this.name}': uploaded "${name}" does not match the artifact (sha256 sent ${streamed.slice(0, 12)}…, GitHub ${d?.[1]?.slice(0, 12) ?? '-'}…, expected ${req.sha256.slice(0, 12)}…)`, {
        hint: 'the local file changed while uploading, or the connection corrupted it; re-run',
      });
    }
    return asset;
  }

  private async readAsset(a: AssetJson): Promise<Readable> {
    const rel = await this.release();
    if (!rel.draft) {
      // Published: exactly what an anonymous user downloads.
      const res = await this.call(`downloading "${a.name}"`, async () => {
        const r = await fetch(a.browser_download_url);
        if (!r.ok || !r.body) throw Object.assign(new Error(`HTTP ${r.status} for ${a.browser_download_url}`), { status: r.status });
        return r;
      });
      return Readable.fromWeb(res.body as any);
    }
    // Drafts are not public: the API's octet-stream download (302 to storage).
    const res = await this.call(`downloading "${a.name}"`, () =>
      this.octokit.request('GET /repos/{owner}/{repo}/releases/assets/{asset_id}', {
        owner: this.owner,
        repo: this.repo,
        asset_id: a.id,
        headers: { accept: 'application/octet-stream' },
        request: { parseSuccessResponseBody: false },
      }),
    );
    return Readable.fromWeb(res.data as any);
  }

  /** The tag's release if there is one; never creates it (stat and preflight only look). */
  private async existingRelease(): Promise<ReleaseJson | undefined> {
    if (this.releaseP) return this.releaseP;
    const found = await this.call(`finding release ${this.target.tag}`, () => this.findRelease());
    if (!found) return undefined;
    this.checkOwned(found);
    await this.loadAssets(found);
    this.releaseP ??= Promise.resolve(found);
    return this.releaseP;
  }

  private async assetFor(key: string, create = true): Promise<AssetJson | undefined> {
    const name = assetNameFor(key, this.name);
    if (!(create ? await this.release() : await this.existingRelease())) return undefined;
    if (!this.assets.has(name)) await this.refreshAssets();
    const a = this.assets.get(name);
    return a?.state === 'uploaded' ? a : undefined;
  }

  async read(key: string): Promise<Readable> {
    const a = await this.assetFor(key);
    if (!a) {
      throw new OrelError('VERIFY_FAILED', `github target '${this.name}': release ${this.target.tag} has no asset "${assetNameFor(key, this.name)}"`, {
        hint: 'run the publish step again',
      });
    }
    return this.readAsset(a);
  }

  async stat(key: string): Promise<ObjectInfo | undefined> {
    const a = await this.assetFor(key, false);
    if (!a) return undefined;
    const d = /^sha256:([0-9a-f]{64})$/.exec(a.digest ?? '');
    return { size: a.size, ...(d ? { sha256: d[1] } : {}) };
  }

  /** Where users download it once the release is published (drafts live under untagged-… URLs until then). */
  location(key: string): string {
    const name = key.split('/').pop() ?? key;
    return `${githubWebBase(this.target.endpoint)}/${this.owner}/${this.repo}/releases/download/${encodeURIComponent(this.target.tag)}/${encodeURIComponent(name)}`;
  }

  /** Sets title, body (plus VERIFY.md when published as an asset) and pre-release, then publishes the draft. */
  async finalize(): Promise<void> {
    const rel = await this.release();
    let body = this.target.body ?? '';
    const notes = this.assets.get(VERIFY_NOTES_ASSET) ?? (await this.assetFor(VERIFY_NOTES_ASSET));
    if (notes?.state === 'uploaded' && notes.size < MAX_BODY) {
      const chunks: Buffer[] = [];
      for await (const c of await this.readAsset(notes)) chunks.push(Buffer.from(c));
      body = [body.trim(), Buffer.concat(chunks).toString('utf8').trim()].filter(Boolean).join('\n\n');
    }
    if (body.length > MAX_BODY - 64) body = body.slice(0, MAX_BODY - 104) + '\n\n(truncated; see VERIFY.md)';
    body = withMark(body);
    const update = { name: this.target.title ?? this.target.tag, body, prerelease: this.opts.prerelease, draft: false };
    if (!rel.draft && rel.name === update.name && (rel.body ?? '') === body && rel.prerelease === update.prerelease) return;
    const res = await this.call(`publishing release ${this.target.tag}`, () =>
      this.pacer.run(() => this.octokit.rest.repos.updateRelease({ owner: this.owner, repo: this.repo, release_id: rel.id, ...update })),
    );
    this.releaseP = Promise.resolve(res.data as ReleaseJson);
    // Published assets move from untagged-… URLs to the tag's.
    await this.refreshAssets();
    this.reporter?.info(`github target '${this.name}': published release ${this.target.tag} (${this.assets.size} assets)`);
  }
}

export function createGitHubPublisher(target: GitHubTarget, opts: GitHubPublisherOptions): Publisher & Finalizer {
  if (!opts.token) {
    throw new OrelError('USAGE', `github target '${target.name}' has no token`, { hint: 'export GITHUB_TOKEN, or set the target\'s token: ${env:NAME}' });
  }
  return new GitHubReleasePublisher(target, opts);
}

/** A plan target (templates unrendered) as a GitHubTarget: tag default "v{version}", title default the tag. */
export function resolveGitHubTarget(
  spec: { name: string; url: string; endpoint?: string; tag?: string; title?: string; body?: string; replaceDraftAssets?: boolean },
  vars: Record<string, string>,
): GitHubTarget {
  parseGitHubUrl(spec.url, spec.name);
  const render = (t: string, what: string) => renderTemplate(t, vars, `target '${spec.name}' ${what}`);
  const tag = render(spec.tag ?? 'v{version}', 'tag');
  return {
    name: spec.name,
    url: spec.url,
    endpoint: spec.endpoint,
    tag,
    title: spec.title ? render(spec.title, 'title') : tag,
    body: spec.body ? render(spec.body, 'body') : undefined,
    replaceDraftAssets: spec.replaceDraftAssets,
  };
}

/** The token for a GitHub target: the plan's (already interpolated) token, else GITHUB_TOKEN / GH_TOKEN. */
export function githubToken(spec: { name: string; token?: string }, env: NodeJS.ProcessEnv = process.env): string {
  const token = spec.token || env.GITHUB_TOKEN || env.GH_TOKEN;
  if (!token) {
    throw new OrelError('USAGE', `github target '${spec.name}' needs a token`, { hint: 'export GITHUB_TOKEN, or set token: ${env:NAME} on the target' });
  }
  registerSecret(token);
  return token;
}
