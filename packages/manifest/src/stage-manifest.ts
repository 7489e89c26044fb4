// The stage manifest: the hand-off from `orel stage` to `orel release`.
// It records what was staged (names, sizes, digests, where each copy lives)
// so that `release` re-checks the staged bytes and publishes exactly what was
// rehearsed. Written as deterministic JSON (sorted keys and artifacts), with
// no local workspace paths, and atomically.
import { readFile } from 'node:fs/promises';
import { OrelError, type Artifact, type ArtifactKind, type StagedLocation } from '@orel/core';
import { writeFileAtomic } from './atomic.js';

export const STAGE_MANIFEST_API_VERSION = 'orel.dev/v1';
export const STAGE_MANIFEST_KIND = 'StageManifest';

export type { StagedLocation };
export type StagedArtifact = Artifact & { staged: StagedLocation[] };

export interface StageManifest {
  apiVersion: typeof STAGE_MANIFEST_API_VERSION;
  kind: typeof STAGE_MANIFEST_KIND;
  release: { name: string; version: string; buildId: string };
  /** ISO 8601 time the stage finished. */
  createdAt: string;
  /**
   * True only when the stage's own post-publish verification passed in the
   * run that wrote this manifest: `orel release` refuses anything else.
   */
  verified: boolean;
  artifacts: StagedArtifact[];
  images?: unknown[];
  signer?: { ref: string; publicKeyPem?: string };
}

/** The manifest as written: sorted, without local paths. */
export function serializeStageManifest(m: StageManifest): string {
  const artifacts = [...m.artifacts]
    .sort((a, b) => cmp(a.name, b.name))
    .map(({ path: _path, ...rest }) => ({
      ...rest,
      staged: [...rest.staged].sort((x, y) => cmp(x.target, y.target) || cmp(x.key, y.key)),
    }));
  const doc = { apiVersion: m.apiVersion, kind: m.kind, ...sortKeys({ ...m, artifacts, apiVersion: undefined, kind: undefined }) };
  return JSON.stringify(doc, null, 2) + '\n';
}

export async function writeStageManifest(path: string, m: StageManifest): Promise<void> {
  await writeFileAtomic(path, serializeStageManifest(m));
}

export async function readStageManifest(path: string): Promise<StageManifest> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new OrelError('USAGE', `cannot read stage manifest ${path}: ${(err as Error).message}`, {
      hint: 'run `orel stage` first, or pass the manifest it wrote',
      cause: err,
    });
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new OrelError('INTEGRITY', `stage manifest ${path} is not valid JSON: ${(err as Error).message}`, {
      hint: 're-run `orel stage` to write it again',
      cause: err,
    });
  }
  return validateStageManifest(doc, path);
}

const KINDS: Record<ArtifactKind, true> = {
  binary: true,
  archive: true,
  sbom: true,
  provenance: true,
  other: true,
  checksum: true,
  signature: true,
  certificate: true,
  bundle: true,
  'public-key': true,
  manifest: true,
  notes: true,
  attestation: true,
  image: true,
};

/** Checks the shape of a parsed manifest; errors name the file and the field. */
export function validateStageManifest(doc: unknown, file: string): StageManifest {
  const fail = (field: string, what: string): never => {
    throw new OrelError('INTEGRITY', `stage manifest ${file}: ${field} ${what}`, {
      hint: 'the file is damaged or not a stage manifest; re-run `orel stage`',
    });
  };
  const obj = (v: unknown, field: string): Record<string, unknown> =>
    v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : fail(field, 'must be an object');
  const str = (v: unknown, field: string): string => (typeof v === 'string' && v !== '' ? v : fail(field, 'must be a non-empty string'));
  const optStr = (v: unknown, field: string): void => {
    if (v !== undefined) str(v, field);
  };
  const hex = (v: unknown, field: string, len: number): void => {
    if (typeof v !== 'string' || !new RegExp(`^[0-9a-f]{${len}}$`).test(v)) fail(field, `must be ${len} lower-case hex digits`);
  };

  const m = obj(doc, 'document');
  if (m.apiVersion !== STAGE_MANIFEST_API_VERSION) fail('apiVersion', `must be "${STAGE_MANIFEST_API_VERSION}"`);
  if (m.kind !== STAGE_MANIFEST_KIND) fail('kind', `must be "${STAGE_MANIFEST_KIND}"`);
  const rel = obj(m.release, 'release');
  for (const k of ['name', 'version', 'buildId']) str(rel[k], `release.${k}`);
  if (typeof m.verified !== 'boolean') fail('verified', 'must be true or false');
  if (Number.isNaN(Date.parse(str(m.createdAt, 'createdAt')))) fail('createdAt', 'must be an ISO 8601 time');
  if (!Array.isArray(m.artifacts)) fail('artifacts', 'must be an array');
  const names = new Set<string>();
  (m.artifacts as unknown[]).forEach((raw, i) => {
    const a = obj(raw, `artifacts[${i}]`);
    const at = `artifacts[${i}]${typeof a.name === 'string' ? ` (${a.name})` : ''}`;
    const name = str(a.name, `${at}.name`);
    if (names.has(name)) fail(at, 'repeats a name already listed');
    names.add(name);
    if (typeof a.kind !== 'string' || !(a.kind in KINDS)) fail(`${at}.kind`, `must be one of ${Object.keys(KINDS).join(', ')}`);
    if (!Number.isSafeInteger(a.size) || (a.size as number) < 0) fail(`${at}.size`, 'must be a non-negative integer');
    hex(a.sha256, `${at}.sha256`, 64);
    hex(a.sha512, `${at}.sha512`, 128);
    for (const k of ['path', 'relPath', 'set', 'os', 'arch', 'subject', 'predicateType']) optStr(a[k], `${at}.${k}`);
    if (a.algorithm !== undefined && a.algorithm !== 'sha256' && a.algorithm !== 'sha512') fail(`${at}.algorithm`, 'must be sha256 or sha512');
    if (a.placeholders !== undefined) obj(a.placeholders, `${at}.placeholders`);
    if (!Array.isArray(a.staged)) fail(`${at}.staged`, 'must be an array');
    (a.staged as unknown[]).forEach((s, j) => {
      const loc = obj(s, `${at}.staged[${j}]`);
      for (const k of ['target', 'key', 'location']) str(loc[k], `${at}.staged[${j}].${k}`);
    });
  });
  if (m.images !== undefined && !Array.isArray(m.images)) fail('images', 'must be an array');
  if (m.signer !== undefined) {
    const s = obj(m.signer, 'signer');
    str(s.ref, 'signer.ref');
    optStr(s.publicKeyPem, 'signer.publicKeyPem');
  }
  return m as unknown as StageManifest;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Recursively sorts object keys (arrays keep their order); drops undefined values. */
function sortKeys(v: unknown): any {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v === null || typeof v !== 'object') return v;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v).sort(cmp)) {
    const x = (v as Record<string, unknown>)[k];
    if (x !== undefined) out[k] = sortKeys(x);
  }
  return out;
}
