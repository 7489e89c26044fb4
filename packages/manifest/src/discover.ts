// Discovery: the plan's artifact sets (globs under one root) → typed,
// hashed Artifact records in a deterministic order. Every file must stay
// inside the root, every destination name must be unique, and a glob that
// matches nothing is an error unless the set is optional.
import { realpath, stat } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import fg from 'fast-glob';
import { DEFAULT_CONCURRENCY, OrelError, renderTemplate, type Artifact } from '@orel/core';
import type { ArtifactSet, ArtifactsSection } from '@orel/plan';
import { digestFiles } from './digest.js';
import { goreleaserFiles } from './goreleaser.js';
import { krelFiles } from './krel.js';
import { checkDestinationName, compilePattern, nameParts } from './pattern.js';

export interface DiscoverOptions {
  /** Files hashed in parallel (default: the section's, else 8). */
  concurrency?: number;
  onProgress?: (done: number, total: number) => void;
  /** Plan variables ({version}...) usable in `rename`; placeholders from the path win. */
  vars?: Record<string, string>;
  /** Keeps only some files (a shard's part), chosen after every file is named and before any is read. */
  select?: (file: DiscoveredFile) => boolean;
}

/** A file found by discovery, before hashing. */
export interface DiscoveredFile {
  set: ArtifactSet;
  relPath: string;
  path: string;
  name: string;
  os?: string;
  arch?: string;
  /** Placeholders from `pattern` other than os, arch and file. */
  placeholders?: Record<string, string>;
  /** The sha256 the build tool recorded (GoReleaser): the file must still have it. */
  recordedSha256?: string;
}

export async function discover(section: ArtifactsSection, baseDir: string, opts: DiscoverOptions = {}): Promise<Artifact[]> {
  const all = await findFiles(section, baseDir, opts.vars);
  const files = opts.select ? all.filter(opts.select) : all;
  const digests = await digestFiles(
    files.map((f) => f.path),
    opts.concurrency ?? section.concurrency ?? DEFAULT_CONCURRENCY,
    { onProgress: opts.onProgress },
  );
  files.forEach((f, i) => {
    if (f.recordedSha256 && f.recordedSha256 !== digests[i].sha256) {
      throw new OrelError('INTEGRITY', `${f.relPath} (${f.name}) changed after the build recorded it: sha256 ${digests[i].sha256}, recorded ${f.recordedSha256}`, {
        hint: 'something rewrote the build output; rebuild it and release what the build made',
      });
    }
  });
  return files.map((f, i) => ({
    name: f.name,
    kind: f.set.kind,
    path: f.path,
    relPath: f.relPath,
    set: f.set.name,
    ...(f.os !== undefined && { os: f.os }),
    ...(f.arch !== undefined && { arch: f.arch }),
    size: digests[i].size,
    sha256: digests[i].sha256,
    sha512: digests[i].sha512,
    ...(f.placeholders && { placeholders: f.placeholders }),
  }));
}

/** Expands, checks and names the files of every set, without reading them. */
export async function findFiles(section: ArtifactsSection, baseDir: string, vars: Record<string, string> = {}): Promise<DiscoveredFile[]> {
  const root = resolve(baseDir, section.root);
  let realRoot: string;
  try {
    realRoot = await realpath(root);
    if (!(await stat(realRoot)).isDirectory()) throw new Error('not a directory');
  } catch {
    throw new OrelError('PLAN_INVALID', `artifacts.root ${root} is not a directory`, {
      hint: 'artifacts.root is relative to the plan file; run the build first or fix the path',
    });
  }

  const out: DiscoveredFile[] = [];
  const byName = new Map<string, DiscoveredFile>();
  const add = (file: DiscoveredFile): void => {
    const prev = byName.get(file.name);
    if (prev) {
      throw new OrelError(
        'DISCOVERY_DUPLICATE',
        `two artifacts are named "${file.name}": ${prev.relPath} (set "${prev.set.name}") and ${file.relPath} (set "${file.set.name}")`,
        { hint: 'give the sets a "rename" template (e.g. "{base}-{os}-{arch}{ext}") or exclude one of the files' },
      );
    }
    byName.set(file.name, file);
    out.push(file);
  };
  if (section.from === 'goreleaser') (await goreleaserFiles(realRoot, vars.version)).forEach(add);
  if (section.from === 'krel') (await krelFiles(realRoot, vars.version)).forEach(add);
  for (const set of section.sets ?? []) {
    const rels = new Set<string>();
    for (const glob of set.include) {
      checkGlob(glob, set.name, root);
      const found = await expand(glob, set, root, realRoot);
      if (found.length === 0 && !set.optional) {
        throw new OrelError('DISCOVERY_NO_MATCH', `artifact set "${set.name}": include "${glob}" matched no file under ${root}`, {
          hint: `check the glob and that the build produced the files; mark the set "optional: true" if it may be empty`,
        });
      }
      for (const r of found) rels.add(r);
    }
    for (const glob of set.exclude ?? []) checkGlob(glob, set.name, root);

    const pattern = set.pattern ? compilePattern(set.pattern) : undefined;
    // Name every file of the set first: a pattern mismatch says more than a duplicate it may cause.
    const described = [...rels].sort(compareStrings).map((relPath) => describe(set, relPath, root, pattern, vars));
    described.forEach(add);
  }
  return out;
}

/** A glob may not leave the root: no absolute globs, no ".." segments. */
function checkGlob(glob: string, set: string, root: string): void {
  if (isAbsolute(glob) || glob.split(/[/\\]/).includes('..')) {
    throw new OrelError('DISCOVERY_ESCAPE', `artifact set "${set}": glob "${glob}" reaches outside the artifact root ${root}`, {
      hint: 'globs are relative to artifacts.root and may not contain ".." or start with "/"; move the root up instead',
    });
  }
}

/**
 * Expands one glob to root-relative file paths. Wildcards do not descend
 * into symlinked directories (a link to "/" or to an ancestor would make the
 * walk huge or endless), but a glob can still name one ("linkdir/*"), so
 * every match is resolved and must land inside the root. A symlinked file is
 * taken when its target is a file inside the root.
 */
async function expand(glob: string, set: ArtifactSet, root: string, realRoot: string): Promise<string[]> {
  const entries = await fg(glob, {
    cwd: root,
    dot: false,
    onlyFiles: false,
    followSymbolicLinks: false,
    objectMode: true,
    ignore: set.exclude ?? [],
  });
  const files: string[] = [];
  for (const e of entries) {
    if (!e.dirent.isFile() && !e.dirent.isSymbolicLink()) continue;
    if (e.path.includes('\uFFFD')) {
      throw new OrelError('PLAN_INVALID', `artifact set "${set.name}": the file name ${JSON.stringify(e.path)} is not valid UTF-8`, {
        hint: 'rename the file in the build output to a UTF-8 name, or exclude it',
      });
    }
    let target: string;
    try {
      target = await realpath(resolve(root, e.path));
    } catch {
      throw new OrelError('DISCOVERY_NO_MATCH', `artifact set "${set.name}": ${e.path} is a broken symlink`, {
        hint: 'the build left a link to a missing file; fix the build or exclude the link',
      });
    }
    if (!isInside(realRoot, target)) {
      throw new OrelError(
        'DISCOVERY_ESCAPE',
        `artifact set "${set.name}": ${e.path} resolves to ${target}, outside the artifact root ${root}`,
        { hint: 'copy the file into the artifact root, or exclude the link' },
      );
    }
    if (e.dirent.isFile() || (await stat(target)).isFile()) files.push(e.path);
  }
  return files;
}

function describe(
  set: ArtifactSet,
  relPath: string,
  root: string,
  pattern: ReturnType<typeof compilePattern> | undefined,
  vars: Record<string, string>,
): DiscoveredFile {
  let captured: Record<string, string> = {};
  if (pattern) {
    const m = pattern.match(relPath);
    if (!m) {
      throw new OrelError('PLAN_INVALID', `artifact set "${set.name}": ${relPath} does not match pattern "${pattern.source}"`, {
        hint: 'fix the pattern, or exclude the file from the set',
      });
    }
    captured = m;
  }
  const parts = nameParts(relPath);
  const all = { ...vars, set: set.name, ...parts, ...captured };
  const name = renderTemplate(set.rename ?? '{file}', all, `artifact set "${set.name}" rename`);
  checkDestinationName(name, `artifact set "${set.name}" rename of ${relPath}`);
  const { os, arch, ...rest } = captured;
  return {
    set,
    relPath,
    path: resolve(root, relPath),
    name,
    ...(os !== undefined && { os }),
    ...(arch !== undefined && { arch }),
    ...(Object.keys(rest).length > 0 && { placeholders: rest }),
  };
}

function isInside(dir: string, p: string): boolean {
  const rel = relative(dir, p);
  return rel !== '' && !rel.startsWith('..' + sep) && rel !== '..' && !isAbsolute(rel);
}

/** Code-unit order: the same on every machine and locale. */
function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
