// Where a keyless verification's trusted root comes from: a trusted_root.json
// file, the Sigstore public-good root embedded in this package (offline: no
// TUF fetch), or the mock-mode sandbox's root.
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OrelError } from '@orel/core';

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

/**
 * Resolves `spec`: undefined or "public-good" (embedded), "sandbox" (needs
 * `sandboxDir`), or a file path (relative to `baseDir`).
 */
export async function loadTrustedRoot(spec: string | undefined, opts: { sandboxDir?: string; baseDir?: string } = {}): Promise<LoadedTrustedRoot> {
  if (!spec || spec === PUBLIC_GOOD) return { json: publicGoodTrustedRoot(), source: 'Sigstore public-good (embedded)' };
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
    return { json: JSON.parse(text), source: file, file };
  } catch (e) {
    throw new OrelError('VERIFY_FAILED', `trusted root ${file} is not JSON: ${(e as Error).message}`, { cause: e });
  }
}
