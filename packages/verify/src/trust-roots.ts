// Where a keyless verification's trusted root comes from: a trusted_root.json
// file, the mock-mode sandbox's root, a private Sigstore's TUF repository, or
// public-good's through TUF (refreshed on use; offline: the cache, else the
// seed embedded in this package).
import { existsSync, readFileSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OrelError } from '@orel/core';
import { describeAge, PUBLIC_GOOD_MIRROR, readTufTarget, TRUSTED_ROOT_TARGET, type TufOptions, type TufRepoSpec } from './tuf-trust.js';

export const PUBLIC_GOOD = 'public-good';
export const SANDBOX = 'sandbox';

/** The public-good root as shipped with @sigstore/tuf's seeds (data/ sits beside src/ and dist/). */
export const PUBLIC_GOOD_ROOT_PATH = fileURLToPath(new URL('../data/public-good-trusted-root.json', import.meta.url));

let publicGood: unknown;
export function publicGoodTrustedRoot(): unknown {
  publicGood ??= JSON.parse(readFileSync(PUBLIC_GOOD_ROOT_PATH, 'utf8'));
  return publicGood;
}

export interface LoadedTrustedRoot {
  json: unknown;
  /** Where it came from, for messages. */
  source: string;
  /** The file it was read from; undefined for the embedded public-good root (users pass no --trusted-root then). */
  file?: string;
}

export interface TrustedRootOptions {
  sandboxDir?: string;
  baseDir?: string;
  /** A private Sigstore's TUF repository: used when `spec` names no root. */
  tuf?: TufRepoSpec;
  /** Read public-good (or `tuf`) through TUF with these options; without them, public-good is the embedded root. */
  tufOptions?: TufOptions;
}

/** The newest authority start in a root: how current an embedded or cached root is. */
function newestStart(json: unknown): Date | undefined {
  const starts = JSON.stringify(json).match(/"start":"[^"]+"/g) ?? [];
  const times = starts.map((s) => Date.parse(s.slice(9, -1))).filter((t) => !Number.isNaN(t));
  return times.length ? new Date(Math.max(...times)) : undefined;
}

function embeddedPublicGood(why: string): LoadedTrustedRoot {
  const json = publicGoodTrustedRoot();
  const newest = newestStart(json);
  return { json, source: `Sigstore public-good (embedded seed${why}; newest key from ${newest?.toISOString().slice(0, 10) ?? 'unknown'})` };
}

async function fromTuf(repo: TufRepoSpec, opts: TufOptions, publicGood: boolean): Promise<LoadedTrustedRoot> {
  const target = await readTufTarget(repo, TRUSTED_ROOT_TARGET, opts);
  if (!target) {
    if (publicGood) return embeddedPublicGood(opts.offline ? ', offline with no TUF cache' : '');
    throw new OrelError('USAGE', `TUF repository ${repo.mirror} has no ${TRUSTED_ROOT_TARGET}${opts.offline ? ' in the offline cache' : ''}`, {
      hint: opts.offline ? 'run once without --offline to fill the cache' : 'is this the mirror of a Sigstore instance?',
    });
  }
  try {
    // public-good's root needs no --trusted-root in users' commands; a private one does.
    return { json: JSON.parse(target.text), source: target.source, file: publicGood ? undefined : target.file };
  } catch (e) {
    throw new OrelError('VERIFY_FAILED', `${target.source} is not JSON: ${(e as Error).message}`, { cause: e });
  }
}

/**
 * Resolves `spec`: undefined or "public-good" (TUF with `tufOptions`, else
 * embedded; `tuf` when a private repository is configured), "sandbox"
 * (needs `sandboxDir`), or a file path (relative to `baseDir`).
 */
export async function loadTrustedRoot(spec: string | undefined, opts: TrustedRootOptions = {}): Promise<LoadedTrustedRoot> {
  if (!spec && opts.tuf) return fromTuf(opts.tuf, opts.tufOptions ?? {}, false);
  if (!spec || spec === PUBLIC_GOOD) return opts.tufOptions ? fromTuf({ mirror: PUBLIC_GOOD_MIRROR }, opts.tufOptions, true) : embeddedPublicGood('');
  let file: string;
  if (spec === SANDBOX) {
    if (!opts.sandboxDir) throw new OrelError('USAGE', 'the sandbox trusted root was asked for but no sandbox directory is known', { hint: 'pass the sandbox directory or a trusted_root.json path' });
    // The CLI's sandbox keeps Sigstore under sigstore/; a bare sandbox dir holds the file itself.
    const nested = join(opts.sandboxDir, 'sigstore', 'trusted_root.json');
    file = existsSync(nested) ? nested : join(opts.sandboxDir, 'trusted_root.json');
  } else {
    file = isAbsolute(spec) ? spec : resolve(opts.baseDir ?? process.cwd(), spec);
  }
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    const hint = spec === SANDBOX ? 'run the release in mock mode first: the sandbox writes its trusted_root.json' : 'pass the path of a Sigstore trusted_root.json';
    throw new OrelError('USAGE', `cannot read trusted root ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { hint, cause: e });
  }
  try {
    return { json: JSON.parse(text), source: `${file} (${describeAge((await stat(file)).mtime)})`, file };
  } catch (e) {
    throw new OrelError('VERIFY_FAILED', `trusted root ${file} is not JSON: ${(e as Error).message}`, { cause: e });
  }
}
