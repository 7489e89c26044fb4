// Version markers (stable.txt, latest.txt, latest-{major}.{minor}.txt): small
// files holding "v1.2.3" that tools curl to find the newest release.
//
// The rule, so a marker never moves backwards:
// - a marker is written only when it is missing, does not hold a version, or
//   holds a version lower than this release (semver precedence); equal means
//   already done, higher means a newer release owns it (releasing 1.30.9 after
//   1.31.2 leaves latest.txt at v1.31.2 and only moves latest-1.30.txt);
// - a pre-release (1.32.0-rc.1) never moves a "stable" marker (a file whose
//   base name starts with "stable"); it moves the others (latest*) like any
//   release, subject to the rule above.
// The markers step runs last, after verification passed, so a marker never
// points at an unverified release.
import { createHash } from 'node:crypto';
import { OrelError, renderTemplate, type Publisher, type PutResult } from '@orel/core';
import { MARKER_CACHE_CONTROL } from './gcs-content.js';

export interface MarkerPlanInput {
  /** Marker file templates from the plan: stable.txt, latest.txt, latest-{major}.{minor}.txt */
  files: string[];
  /** This release's version, with or without a leading "v". */
  version: string;
  prerelease: boolean;
  /** Current content of each rendered marker file (undefined: missing). */
  current: Map<string, string | undefined>;
  /** Extra placeholders for the templates (plan variables). */
  vars?: Record<string, string | undefined>;
}

export interface MarkerWrite {
  file: string;
  content: string;
  previous?: string;
}

export interface MarkerPlan {
  writes: MarkerWrite[];
  skipped: { file: string; reason: string }[];
}

interface SemVer {
  major: number;
  minor: number;
  patch: number;
  pre: string[];
}

const SEMVER = /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+[0-9A-Za-z.-]+)?$/;

export function parseSemver(v: string): SemVer | undefined {
  const m = SEMVER.exec(v.trim());
  if (!m) return undefined;
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]), pre: m[4] ? m[4].split('.') : [] };
}

/** Semver precedence: negative when a < b. Build metadata is ignored. */
export function compareSemver(a: SemVer, b: SemVer): number {
  for (const k of ['major', 'minor', 'patch'] as const) if (a[k] !== b[k]) return a[k] - b[k];
  if (!a.pre.length || !b.pre.length) return b.pre.length - a.pre.length; // a release outranks its pre-releases
  for (let i = 0; i < Math.max(a.pre.length, b.pre.length); i++) {
    const [x, y] = [a.pre[i], b.pre[i]];
    if (x === undefined || y === undefined) return x === undefined ? -1 : 1;
    const [nx, ny] = [/^\d+$/.test(x), /^\d+$/.test(y)];
    if (nx && ny && Number(x) !== Number(y)) return Number(x) - Number(y);
    if (nx !== ny) return nx ? -1 : 1;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

const isStableMarker = (file: string): boolean => /^stable/i.test(file.split('/').pop() ?? file);

/** Renders the marker templates for a version (latest-{major}.{minor}.txt → latest-1.31.txt). */
export function markerFiles(files: string[], version: string, vars: Record<string, string | undefined> = {}): string[] {
  const v = parseSemver(version);
  if (!v) throw new OrelError('PLAN_INVALID', `release.version "${version}" is not a semantic version (MAJOR.MINOR.PATCH[-PRE])`);
  const all = { ...vars, version: version.replace(/^v/, ''), major: String(v.major), minor: String(v.minor), patch: String(v.patch) };
  return files.map((f) => renderTemplate(f, all, `markers.files entry`));
}

/** Decides which markers to write (pure): see the rule at the top of this file. */
export function planMarkerWrites(inp: MarkerPlanInput): MarkerPlan {
  const version = parseSemver(inp.version)!;
  const content = `v${inp.version.replace(/^v/, '')}`;
  const out: MarkerPlan = { writes: [], skipped: [] };
  for (const file of markerFiles(inp.files, inp.version, inp.vars)) {
    if (inp.prerelease && isStableMarker(file)) {
      out.skipped.push({ file, reason: `${content} is a pre-release; stable markers only move for releases` });
      continue;
    }
    const previous = inp.current.get(file)?.trim();
    const cur = previous ? parseSemver(previous) : undefined;
    if (cur) {
      const c = compareSemver(version, cur);
      if (c === 0) {
        out.skipped.push({ file, reason: `already ${previous}` });
        continue;
      }
      if (c < 0) {
        out.skipped.push({ file, reason: `holds newer ${previous}; markers never move backwards` });
        continue;
      }
    }
    out.writes.push({ file, content, previous: previous || undefined });
  }
  return out;
}

/** Reads the current content of markers (small files); missing ones map to undefined. */
export async function readMarkers(publisher: Publisher, files: string[]): Promise<Map<string, string | undefined>> {
  const out = new Map<string, string | undefined>();
  for (const file of files) {
    if (!(await publisher.stat(file))) {
      out.set(file, undefined);
      continue;
    }
    const chunks: Buffer[] = [];
    for await (const c of await publisher.read(file)) chunks.push(c as Buffer);
    out.set(file, Buffer.concat(chunks).toString('utf8').slice(0, 256));
  }
  return out;
}

/** Writes the planned markers, replacing what is there (the only overwrite orel does). */
export async function writeMarkers(publisher: Publisher, writes: MarkerWrite[]): Promise<PutResult[]> {
  const results: PutResult[] = [];
  for (const w of writes) {
    const data = Buffer.from(w.content);
    results.push(
      await publisher.put({
        key: w.file,
        source: { data },
        size: data.length,
        sha256: createHash('sha256').update(data).digest('hex'),
        contentType: 'text/plain; charset=utf-8',
        cacheControl: MARKER_CACHE_CONTROL,
        artifact: w.file,
        overwrite: true,
      }),
    );
  }
  return results;
}
