// Sigstore trust material from a TUF repository through @sigstore/tuf: the
// public-good repository (its root from @sigstore/tuf's embedded seed) or a
// private mirror with its root.json. Each use refreshes the local cache;
// offline, the cache (or, for public-good, the seed) is used without network.
import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { initTUF } from '@sigstore/tuf';
import { OrelError } from '@orel/core';

export const PUBLIC_GOOD_MIRROR = 'https://tuf-repo-cdn.sigstore.dev';
export const TRUSTED_ROOT_TARGET = 'trusted_root.json';

export interface TufRepoSpec {
  /** The repository's base URL (metadata at the root, targets under targets/). */
  mirror: string;
  /** Its root.json (trust on first use); omitted for public-good, whose root @sigstore/tuf embeds. */
  root?: string;
}

export interface TufOptions {
  /** Where metadata and targets are cached (default ~/.cache/orel/tuf, or $OREL_TUF_CACHE). */
  cacheDir?: string;
  /** Use the cache (or the embedded seed) and never the network. */
  offline?: boolean;
  timeoutMs?: number;
}

export interface TufTarget {
  text: string;
  /** Says where it came from and how old it is, for messages. */
  source: string;
  /** When the cached copy was last written (refresh time). */
  fetchedAt?: Date;
  /** The verified copy in the cache (what a user passes as --trusted-root). */
  file: string;
}

export function defaultTufCache(): string {
  return process.env.OREL_TUF_CACHE || join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'orel', 'tuf');
}

/** The directory @sigstore/tuf caches a mirror's targets in. */
function cachedTargetPath(cacheDir: string, mirror: string, name: string): string {
  const url = new URL(mirror);
  return join(cacheDir, encodeURIComponent(url.host + url.pathname.replace(/\/$/, '')), 'targets', encodeURIComponent(name));
}

export function describeAge(at: Date, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - at.getTime()) / 1000));
  if (s < 120) return `${s} s old`;
  if (s < 7200) return `${Math.round(s / 60)} min old`;
  if (s < 172_800) return `${Math.round(s / 3600)} h old`;
  return `${Math.round(s / 86_400)} days old`;
}

/**
 * Reads target `name` from the repository, refreshing its metadata first
 * unless offline. Undefined when the repository (or the offline cache) has
 * no such target; SERVICE_UNAVAILABLE when the repository cannot be read.
 */
export async function readTufTarget(repo: TufRepoSpec, name: string, opts: TufOptions = {}): Promise<TufTarget | undefined> {
  const cacheDir = opts.cacheDir ?? defaultTufCache();
  const cached = cachedTargetPath(cacheDir, repo.mirror, name);
  if (opts.offline) {
    if (!existsSync(cached)) return undefined;
    const fetchedAt = statSync(cached).mtime;
    return { text: await readFile(cached, 'utf8'), source: `${name} from the TUF cache of ${repo.mirror} (offline; ${describeAge(fetchedAt)})`, fetchedAt, file: cached };
  }
  try {
    const tuf = await initTUF({ mirrorURL: repo.mirror, rootPath: repo.root, cachePath: cacheDir, timeout: opts.timeoutMs ?? 10_000, retry: { retries: 2 } });
    const text = await tuf.getTarget(name);
    return { text, source: `${name} from TUF repository ${repo.mirror} (refreshed now)`, fetchedAt: new Date(), file: cached };
  } catch (e) {
    const err = e as Error & { code?: string; cause?: Error };
    if (err.code === 'TUF_FIND_TARGET_ERROR') return undefined;
    const why = [err.message, err.cause?.message].filter(Boolean).join(': ');
    throw new OrelError('SERVICE_UNAVAILABLE', `cannot update Sigstore trust from TUF repository ${repo.mirror}: ${why}`, {
      hint: repo.root ? `check the mirror URL and that ${repo.root} is its root.json` : 'pass --offline to use the cached (or embedded) trust, or --trusted-root FILE',
      cause: e,
    });
  }
}
