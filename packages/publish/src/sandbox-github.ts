// Mock mode's GitHub release: a directory that behaves like one.
//   <dir>/<owner>/<repo>/releases/<tag>/release.json   name, body, tag, draft, prerelease, assets[]
//   <dir>/<owner>/<repo>/releases/<tag>/assets/<name>
// Same rules as the real publisher: a draft first, same bytes kept, different
// bytes replaced only on a draft when allowed, never on a published release,
// and finalize() publishes the draft with VERIFY.md appended to the body.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { pathToFileURL } from 'node:url';
import { OrelError, type Finalizer, type ObjectInfo, type Publisher, type PutRequest, type PutResult } from '@orel/core';
import { VERIFY_NOTES_ASSET, assetNameFor, decideExisting, parseGitHubUrl, type GitHubTarget } from './github-assets.js';

export interface SandboxRelease {
  name: string;
  body: string;
  tag: string;
  draft: boolean;
  prerelease: boolean;
  createdAt: string;
  publishedAt: string | null;
  assets: { name: string; size: number; sha256: string; contentType: string }[];
}

async function hashFile(path: string): Promise<{ sha256: string; size: number } | undefined> {
  try {
    const h = createHash('sha256');
    let size = 0;
    for await (const c of createReadStream(path)) {
      h.update(c as Buffer);
      size += (c as Buffer).length;
    }
    return { sha256: h.digest('hex'), size };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

class SandboxGitHubPublisher implements Publisher, Finalizer {
  readonly name: string;
  readonly url: string;
  private readonly root: string;
  private lock: Promise<unknown> = Promise.resolve();

  constructor(
    dir: string,
    private readonly target: GitHubTarget,
    private readonly opts: { prerelease: boolean },
  ) {
    const { owner, repo } = parseGitHubUrl(target.url, target.name);
    this.name = target.name;
    this.root = join(dir, owner, repo, 'releases', target.tag);
    this.url = pathToFileURL(this.root).href;
  }

  /** release.json updates run one at a time (puts run in parallel). */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn, fn);
    this.lock = run.catch(() => undefined);
    return run;
  }

  private async load(): Promise<SandboxRelease> {
    try {
      return JSON.parse(await readFile(join(this.root, 'release.json'), 'utf8')) as SandboxRelease;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      const rel: SandboxRelease = {
        name: this.target.title ?? this.target.tag,
        body: this.target.body ?? '',
        tag: this.target.tag,
        draft: true,
        prerelease: this.opts.prerelease,
        createdAt: new Date().toISOString(),
        publishedAt: null,
        assets: [],
      };
      await this.save(rel);
      return rel;
    }
  }

  private async save(rel: SandboxRelease): Promise<void> {
    await mkdir(join(this.root, 'assets'), { recursive: true });
    const tmp = join(this.root, `.release.json.${randomBytes(4).toString('hex')}`);
    await writeFile(tmp, JSON.stringify(rel, null, 2) + '\n');
    await rename(tmp, join(this.root, 'release.json'));
  }

  private assetPath(name: string): string {
    return join(this.root, 'assets', name);
  }

  async put(req: PutRequest): Promise<PutResult> {
    const name = assetNameFor(req.key, this.name);
    const dest = this.assetPath(name);
    const rel = await this.exclusive(() => this.load());
    const have = await hashFile(dest);
    let status: PutResult['status'] = 'created';
    if (have) {
      const same = have.size === req.size && have.sha256 === req.sha256;
      const action = decideExisting({ name, state: 'uploaded', size: have.size }, same, {
        target: this.name,
        tag: this.target.tag,
        draft: rel.draft,
        replaceDraftAssets: this.target.replaceDraftAssets === true,
        want: req,
        have,
      });
      if (action === 'keep') {
        await this.record(name, req);
        return { status: 'exists', location: dest };
      }
      status = 'replaced';
    }
    // Written beside, checked, then renamed into place: a crash never leaves a partial asset.
    const tmp = join(this.root, 'assets', `.${name}.${randomBytes(4).toString('hex')}.partial`);
    const h = createHash('sha256');
    let size = 0;
    const src = 'path' in req.source ? createReadStream(req.source.path) : Readable.from([req.source.data]);
    await pipeline(
      src,
      async function* (chunks: AsyncIterable<Buffer>) {
        for await (const c of chunks) {
          h.update(c);
          size += c.length;
          yield c;
        }
      },
      createWriteStream(tmp),
    );
    const got = h.digest('hex');
    if (got !== req.sha256 || size !== req.size) {
      await rm(tmp, { force: true });
      throw new OrelError('INTEGRITY', `sandbox github target '${this.name}': "${name}" read ${size} bytes, sha256 ${got.slice(0, 12)}…; expected ${req.size} bytes, ${req.sha256.slice(0, 12)}…`, {
        hint: 'the file changed after it was hashed; re-run the stage',
      });
    }
    await rename(tmp, dest);
    await this.record(name, req);
    return { status, location: dest };
  }

  private record(name: string, req: PutRequest): Promise<void> {
    return this.exclusive(async () => {
      const rel = await this.load();
      const entry = { name, size: req.size, sha256: req.sha256, contentType: req.contentType ?? 'application/octet-stream' };
      const i = rel.assets.findIndex((a) => a.name === name);
      if (i >= 0 && JSON.stringify(rel.assets[i]) === JSON.stringify(entry)) return;
      if (i >= 0) rel.assets[i] = entry;
      else rel.assets.push(entry);
      await this.save(rel);
    });
  }

  async read(key: string): Promise<Readable> {
    const path = this.assetPath(assetNameFor(key, this.name));
    if (!(await stat(path).catch(() => undefined))) {
      throw new OrelError('VERIFY_FAILED', `sandbox github target '${this.name}': release ${this.target.tag} has no asset "${assetNameFor(key, this.name)}"`, {
        hint: 'run the publish step again',
      });
    }
    return createReadStream(path);
  }

  async stat(key: string): Promise<ObjectInfo | undefined> {
    const name = assetNameFor(key, this.name);
    const st = await stat(this.assetPath(name)).catch(() => undefined);
    if (!st) return undefined;
    const entry = (await this.load()).assets.find((a) => a.name === name);
    return { size: st.size, ...(entry && entry.size === st.size ? { sha256: entry.sha256 } : {}) };
  }

  location(key: string): string {
    return this.assetPath(key.split('/').pop() ?? key);
  }

  async finalize(): Promise<void> {
    await this.exclusive(async () => {
      const rel = await this.load();
      const notes = await readFile(this.assetPath(VERIFY_NOTES_ASSET), 'utf8').catch(() => '');
      rel.name = this.target.title ?? this.target.tag;
      rel.body = [(this.target.body ?? '').trim(), notes.trim()].filter(Boolean).join('\n\n');
      rel.prerelease = this.opts.prerelease;
      if (rel.draft) {
        rel.draft = false;
        rel.publishedAt = new Date().toISOString();
      }
      await this.save(rel);
    });
  }
}

export function createSandboxGitHubPublisher(dir: string, target: GitHubTarget, opts: { prerelease: boolean }): Publisher & Finalizer {
  return new SandboxGitHubPublisher(dir, target, opts);
}

/** Reads a sandbox release's release.json (for tests and reports). */
export async function readSandboxRelease(dir: string, target: Pick<GitHubTarget, 'url' | 'tag' | 'name'>): Promise<SandboxRelease | undefined> {
  const { owner, repo } = parseGitHubUrl(target.url, target.name);
  const text = await readFile(join(dir, owner, repo, 'releases', target.tag, 'release.json'), 'utf8').catch(() => undefined);
  return text ? (JSON.parse(text) as SandboxRelease) : undefined;
}
