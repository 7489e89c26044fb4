// GoReleaser's dist/ as a source of artifacts: its artifacts.json lists what
// it built (binaries, archives, packages, SBOMs) with os/arch and, for what
// it checksummed, the sha256 it recorded; metadata.json names the version.
// orel takes that list instead of hand-written globs, signs and publishes it
// itself (GoReleaser's own checksums, signatures and images are left out: orel
// writes its checksums and signatures, and images come from the plan's
// `images:`), and refuses a dist/ of another version or whose files changed
// since GoReleaser recorded them.
import { readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { OrelError } from '@orel/core';
import type { ArtifactSet } from '@orel/plan';
import type { DiscoveredFile } from './discover.js';
import { checkDestinationName } from './pattern.js';

export interface GoReleaserEntry {
  name: string;
  path: string;
  type: string;
  goos?: string;
  goarch?: string;
  goarm?: string;
  goamd64?: string;
  extra?: { Checksum?: string; Ext?: string; [k: string]: unknown };
}

/** The set a build tool's file joins (named for the tool; no globs of its own). */
export const toolSet = (name: string, kind: ArtifactSet['kind']): ArtifactSet => ({ name, kind, include: [] });
const set = toolSet;
const BINARIES = set('goreleaser-binaries', 'binary');

/** GoReleaser artifact types orel releases, and the set (kind) each joins. */
const TAKEN: Record<string, ArtifactSet> = {
  Archive: set('goreleaser-archives', 'archive'),
  'Uploadable Binary': BINARIES,
  Binary: BINARIES,
  'Linux Package': set('goreleaser-packages', 'other'),
  Source: set('goreleaser-source', 'archive'),
  SBOM: set('goreleaser-sboms', 'sbom'),
  'Uploadable File': set('goreleaser-files', 'other'),
};

/** Types left out on purpose (orel makes its own, or they are not files to publish). */
const LEFT_OUT = new Set(['Checksum', 'Signature', 'Certificate', 'Metadata', 'Docker Image', 'Published Docker Image', 'Docker Manifest', 'Docker Image V2', 'Header', 'C Archive', 'C Shared', 'Wasm']);

/** The file's release name: GoReleaser's, except plain binaries, which share one name across platforms. */
function releaseName(e: GoReleaserEntry): string {
  if (e.type !== 'Binary') return e.name;
  const ext = e.extra?.Ext && e.name.endsWith(e.extra.Ext) ? e.extra.Ext : '';
  const variant = e.goarm ? `v${e.goarm}` : e.goamd64 && e.goamd64 !== 'v1' ? e.goamd64 : '';
  return `${e.name.slice(0, e.name.length - ext.length)}-${e.goos}-${e.goarch}${variant}${ext}`;
}

async function readJson(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new OrelError('PLAN_INVALID', `artifacts.from: goreleaser reads ${file}, which cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, {
      hint: 'artifacts.root names GoReleaser\'s dist directory: run goreleaser (release or build) first',
    });
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new OrelError('PLAN_INVALID', `${file} is not JSON: ${(e as Error).message}`, { hint: 'rebuild the dist directory with goreleaser' });
  }
}

/**
 * The files a GoReleaser dist/ holds, named and typed, without reading them.
 * `version`: the plan's; a dist/ built for another version is refused.
 */
export async function goreleaserFiles(root: string, version: string | undefined): Promise<DiscoveredFile[]> {
  const artifactsFile = join(root, 'artifacts.json');
  const metadataFile = join(root, 'metadata.json');
  const meta = (await readJson(metadataFile)) as { version?: string; project_name?: string };
  const built = String(meta?.version ?? '').replace(/^v/, '');
  if (version !== undefined && built !== version.replace(/^v/, '')) {
    throw new OrelError('PLAN_INVALID', `${metadataFile}: GoReleaser built version ${JSON.stringify(built)}, but the plan releases ${version}`, {
      hint: `rebuild dist for ${version} (goreleaser release on its tag), or release what was built: --release-version ${built}`,
    });
  }
  const entries = await readJson(artifactsFile);
  if (!Array.isArray(entries)) throw new OrelError('PLAN_INVALID', `${artifactsFile}: expected GoReleaser's list of artifacts`, { hint: 'rebuild the dist directory with goreleaser' });
  // GoReleaser writes paths relative to where it ran: the directory holding dist/.
  const base = dirname(root);
  const out: DiscoveredFile[] = [];
  entries.forEach((raw, i) => {
    const e = raw as GoReleaserEntry;
    const where = `${artifactsFile}: entry ${i}`;
    if (typeof e?.name !== 'string' || typeof e.path !== 'string' || typeof e.type !== 'string') {
      throw new OrelError('PLAN_INVALID', `${where}: expected name, path and type`, { hint: 'rebuild the dist directory with goreleaser' });
    }
    const taken = TAKEN[e.type];
    if (!taken) {
      if (LEFT_OUT.has(e.type)) return;
      throw new OrelError('PLAN_INVALID', `${where} (${e.name}): GoReleaser artifact type "${e.type}" is not one orel knows how to release`, {
        hint: `orel releases ${Object.keys(TAKEN).join(', ')}; leave it out of the GoReleaser config, or list the file in an artifact set`,
      });
    }
    const path = resolve(base, e.path);
    const relPath = relative(root, path);
    if (relPath.startsWith('..') || relPath === '' || resolve(root, relPath) !== path) {
      throw new OrelError('DISCOVERY_ESCAPE', `${where} (${e.name}): ${e.path} is outside ${root}`, { hint: 'artifacts.root must be the dist directory GoReleaser wrote' });
    }
    const name = releaseName(e);
    checkDestinationName(name, `${where} (${e.name})`);
    const checksum = /^sha256:([0-9a-f]{64})$/.exec(e.extra?.Checksum ?? '')?.[1];
    out.push({
      set: taken,
      relPath,
      path,
      name,
      ...(e.goos ? { os: e.goos } : {}),
      ...(e.goarch ? { arch: e.goarch } : {}),
      ...(checksum ? { recordedSha256: checksum } : {}),
    });
  });
  if (out.length === 0) throw new OrelError('DISCOVERY_NO_MATCH', `${artifactsFile} lists nothing orel releases`, { hint: 'check the GoReleaser config builds archives or binaries' });
  return out;
}
