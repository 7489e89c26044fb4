// Filesystem target: writes the layout under a directory. Used for file://
// targets (NFS mounts, artifact staging dirs) and as the mock-mode sandbox.
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { link, mkdir, open, readdir, rename, rm, rmdir, stat } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { OrelError, isProcessAlive, type ObjectInfo, type Promoter, type Publisher, type PutRequest, type PutResult } from '@orel/core';

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

/** The pid in a temp file's name (0 when there is none). */
const pidOf = (tempName: string): number => Number(/^(\d+)-/.exec(tempName)?.[1]) || 0;

/** Temp files live in one directory at the target's root, so leftovers of a killed run are found and swept. */
export const FS_TEMP_DIR = '.orel-tmp';

export class FsPublisher implements Publisher, Promoter {
  readonly root: string;
  private swept: Promise<void> | undefined;

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

  private get tempDir(): string {
    return join(this.root, FS_TEMP_DIR);
  }

  /** Removes temp files of runs that died (kill -9): their pid is in the name. */
  private sweep(): Promise<void> {
    return (this.swept ??= (async () => {
      const names = await readdir(this.tempDir).catch(() => [] as string[]);
      for (const n of names) if (!this.inFlightElsewhere(n) && pidOf(n) !== process.pid) await rm(join(this.tempDir, n), { force: true });
      await rmdir(this.tempDir).catch(() => undefined);
    })());
  }

  /** Creates a temp file; another put may remove the (empty) temp dir in between, so try again. */
  private async openTemp(tmp: string) {
    for (let i = 0; ; i++) {
      try {
        await mkdir(this.tempDir, { recursive: true });
        return await open(tmp, 'wx');
      } catch (e: any) {
        if (e?.code !== 'ENOENT' || i >= 20) throw e;
      }
    }
  }

  /** Before a run writes: temp files of runs that died are removed. */
  async preflight(): Promise<void> {
    await this.sweep();
  }

  /**
   * Files under the target that are not objects: temp files of unfinished
   * writes (verification only reads). Those of another live process are
   * writes in flight (a concurrent shard), not leftovers.
   */
  async strays(): Promise<string[]> {
    const names = await readdir(this.tempDir).catch(() => [] as string[]);
    return names.filter((n) => !this.inFlightElsewhere(n)).map((n) => join(this.tempDir, n));
  }

  private inFlightElsewhere(tempName: string): boolean {
    const pid = pidOf(tempName);
    return !!pid && pid !== process.pid && isProcessAlive(pid);
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
    await this.sweep();
    await mkdir(dirname(dest), { recursive: true });
    // Write to a temp file, check the digest, then move into place: a crash
    // never leaves a half-written file at a released path, and its temp file
    // (named by pid) is swept by the next run.
    // Unique per call: concurrent puts of one key must not share (or delete) a temp file.
    const tmp = join(this.tempDir, `${process.pid}-${randomUUID()}.tmp`);
    const h = createHash('sha256');
    try {
      // The temp file first: a source stream must not start flowing before it has somewhere to go.
      const out = await this.openTemp(tmp);
      const src = 'path' in req.source ? createReadStream(req.source.path, { highWaterMark: 1 << 20 }) : Readable.from([req.source.data]);
      src.on('data', (c: Buffer) => h.update(c));
      await pipeline(src, out.createWriteStream());
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
      // Gone when nothing else is in flight (ENOTEMPTY otherwise).
      await rmdir(this.tempDir).catch(() => undefined);
    }
  }

  async read(key: string): Promise<Readable> {
    const p = this.pathOf(key);
    await stat(p).catch(() => {
      throw new OrelError('VERIFY_FAILED', `${p} is missing from target ${this.name}`);
    });
    return createReadStream(p, { highWaterMark: 1 << 20 });
  }

  /** sha256 of the object's bytes (read in full): what preflight compares an existing object by. */
  async digest(key: string): Promise<string | undefined> {
    return sha256OfFile(this.pathOf(key));
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
