// Filesystem target: writes the layout under a directory. Used for file://
// targets (NFS mounts, artifact staging dirs) and as the mock-mode sandbox.
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { link, mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { dirname, resolve, sep } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { OrelError, type ObjectInfo, type Promoter, type Publisher, type PutRequest, type PutResult } from '@orel/core';

/** Resolves a file:// URL (absolute, or relative to baseDir as in `file://out/release`). */
export function fileUrlToDir(url: string, baseDir: string): string {
  if (!url.startsWith('file://')) throw new OrelError('PLAN_INVALID', `not a file:// URL: ${url}`);
  const rest = url.slice('file://'.length);
  return rest.startsWith('/') ? fileURLToPath(url) : resolve(baseDir, rest);
}

async function sha256OfFile(path: string): Promise<string | undefined> {
  const h = createHash('sha256');
  try {
    await pipeline(createReadStream(path, { highWaterMark: 1 << 20 }), h);
  } catch (e: any) {
    if (e?.code === 'ENOENT') return undefined;
    throw e;
  }
  return h.digest('hex');
}

export class FsPublisher implements Publisher, Promoter {
  readonly root: string;

  constructor(
    readonly name: string,
    root: string,
    readonly url = `file://${root}`,
  ) {
    this.root = resolve(root);
  }

  /** Maps an object key to a path under the root, refusing keys that escape it. */
  pathOf(key: string): string {
    const p = resolve(this.root, key);
    if (p !== this.root && !p.startsWith(this.root + sep)) {
      throw new OrelError('PUBLISH_FAILED', `object key "${key}" escapes target ${this.name} (${this.root})`);
    }
    return p;
  }

  location(key: string): string {
    return this.pathOf(key);
  }

  async put(req: PutRequest): Promise<PutResult> {
    const dest = this.pathOf(req.key);
    const existing = await sha256OfFile(dest);
    if (existing === req.sha256) return { status: 'exists', location: dest };
    if (existing !== undefined && !req.overwrite) {
      throw new OrelError(
        'PUBLISH_CONFLICT',
        `${dest} already holds different bytes than ${req.artifact ?? req.key} (sha256 ${existing.slice(0, 12)}… ≠ ${req.sha256.slice(0, 12)}…); released files are never overwritten`,
        { hint: 'release a new version, or remove the file by hand if it was never really released' },
      );
    }
    await mkdir(dirname(dest), { recursive: true });
    // Write to a temp file, check the digest, then move into place: a crash
    // never leaves a half-written file at a released path.
    // Unique per call: concurrent puts of one key must not share (or delete) a temp file.
    const tmp = `${dest}.orel-${process.pid}-${randomUUID()}.tmp`;
    const h = createHash('sha256');
    const src = 'path' in req.source ? createReadStream(req.source.path, { highWaterMark: 1 << 20 }) : Readable.from([req.source.data]);
    try {
      src.on('data', (c: Buffer) => h.update(c));
      await pipeline(src, createWriteStream(tmp, { flags: 'wx' }));
      const got = h.digest('hex');
      if (got !== req.sha256) {
        throw new OrelError('INTEGRITY', `${req.artifact ?? req.key}: source bytes changed since they were hashed (sha256 ${got} ≠ ${req.sha256})`);
      }
      const fh = await open(tmp, 'r');
      await fh.sync();
      await fh.close();
      if (req.overwrite) {
        await rename(tmp, dest);
        return { status: existing === undefined ? 'created' : 'replaced', location: dest };
      }
      // link() fails if dest appeared meanwhile, so a racing writer cannot be clobbered.
      try {
        await link(tmp, dest);
      } catch (e: any) {
        // Awaited here, not returned bare: the finally below awaits, and a bare
        // rejected promise would go unhandled meanwhile (a crash under node's default).
        if (e?.code === 'EEXIST') return await this.put(req);
        throw e;
      }
      return { status: 'created', location: dest };
    } finally {
      await rm(tmp, { force: true });
    }
  }

  async read(key: string): Promise<Readable> {
    const p = this.pathOf(key);
    await stat(p).catch(() => {
      throw new OrelError('VERIFY_FAILED', `${p} is missing from target ${this.name}`);
    });
    return createReadStream(p, { highWaterMark: 1 << 20 });
  }

  async stat(key: string): Promise<ObjectInfo | undefined> {
    try {
      const s = await stat(this.pathOf(key));
      return { size: s.size };
    } catch (e: any) {
      if (e?.code === 'ENOENT') return undefined;
      throw e;
    }
  }

  promotesFrom(source: Publisher): boolean {
    return source instanceof FsPublisher;
  }

  /** A copy between directories: put() re-hashes the source against the record on the way. */
  async promoteFrom(source: Publisher, fromKey: string, toKey: string, expect: { sha256: string; size: number }): Promise<PutResult> {
    if (!(source instanceof FsPublisher)) throw new OrelError('INTERNAL', `${this.name}: cannot promote from ${source.url} inside the filesystem`);
    return this.put({ key: toKey, source: { path: source.pathOf(fromKey) }, size: expect.size, sha256: expect.sha256, artifact: fromKey });
  }
}
