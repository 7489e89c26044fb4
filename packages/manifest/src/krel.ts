// krel's staged build as a source of artifacts: a copy of
// gs://<bucket>/stage/<build-version>/ (`gcloud storage cp -r`), laid out as
// kubernetes/release pkg/anago stages it: per version,
// <version>/gcs-stage/<version>/ holds the release tarballs, the plain
// binaries under bin/<os>/<arch>/, the SPDX documents (tag-value), and SHA256SUMS /
// SHA512SUMS plus <file>.sha256 / .sha512 over all of them; the build's source
// tarball is src.tar.gz at the top. orel takes the plan's version, checks each
// file against krel's SHA256SUMS, and writes its own checksums and signatures
// (krel's are left out). Container images (release-images/) come from the
// staging registry through the plan's `images:`.
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import fg from 'fast-glob';
import { OrelError } from '@orel/core';
import type { DiscoveredFile } from './discover.js';
import { toolSet } from './goreleaser.js';
import { checkDestinationName } from './pattern.js';

const BINARIES = toolSet('krel-binaries', 'binary');
const ARCHIVES = toolSet('krel-archives', 'archive');
const SBOMS = toolSet('krel-sboms', 'sbom');
const FILES = toolSet('krel-files', 'other');

const KREL_CHECKSUMS = /(^|\/)(SHA256SUMS|SHA512SUMS)$|\.(sha256|sha512)$/;

/** krel's SHA256SUMS ("<hex>  <path>" per line) as path → sha256. */
function parseSums(text: string, file: string): Map<string, string> {
  const out = new Map<string, string>();
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    const m = /^([0-9a-f]{64}) [ *](.+)$/.exec(line);
    if (!m) throw new OrelError('PLAN_INVALID', `${file}:${i + 1}: not a "<sha256>  <path>" line`, { hint: 'this is not the SHA256SUMS krel wrote: copy the stage again' });
    out.set(m[2], m[1]);
  });
  return out;
}

/** Where a file of gcs-stage/<version>/ goes: its release name, kind, and platform. */
function place(rel: string): Pick<DiscoveredFile, 'set' | 'name' | 'os' | 'arch'> {
  const bin = /^bin\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(rel);
  if (bin) {
    // Plain binaries share their name across platforms: the platform joins it, as for GoReleaser's.
    const [, os, arch, file] = bin;
    const dot = file.lastIndexOf('.');
    const [base, ext] = dot > 0 ? [file.slice(0, dot), file.slice(dot)] : [file, ''];
    return { set: ext === '' || ext === '.exe' ? BINARIES : FILES, name: `${base}-${os}-${arch}${ext}`, os, arch };
  }
  const name = rel.split('/').join('-');
  // krel's kubernetes-*.spdx are SPDX tag-value, which SBOM attestations (JSON) do not take: plain files.
  const set = /\.(tar\.gz|tgz)$/.test(rel) ? ARCHIVES : /\.(spdx|cdx)\.json$/.test(rel) ? SBOMS : FILES;
  return { set, name };
}

/**
 * The files of krel's stage `root` for `version` (the plan's), named and
 * typed, without reading them; each carries the sha256 krel recorded.
 */
export async function krelFiles(root: string, version: string | undefined): Promise<DiscoveredFile[]> {
  const staged = (await readdir(root, { withFileTypes: true })).filter((d) => d.isDirectory() && /^v\d/.test(d.name)).map((d) => d.name);
  const tag = `v${String(version ?? '').replace(/^v/, '')}`;
  if (version === undefined || !staged.includes(tag)) {
    throw new OrelError('PLAN_INVALID', `${root} holds no krel stage of ${tag} (it stages ${staged.length ? staged.join(', ') : 'no version'})`, {
      hint: staged.length
        ? `release a version this build staged (--release-version ${staged[0].slice(1)}), or point artifacts.root at that build's stage/<build-version>/`
        : 'artifacts.root must be a copy of gs://<bucket>/stage/<build-version>/ (gcloud storage cp -r)',
    });
  }
  const dir = join(root, tag, 'gcs-stage', tag);
  const sumsFile = join(dir, 'SHA256SUMS');
  let sums: Map<string, string>;
  try {
    sums = parseSums(await readFile(sumsFile, 'utf8'), sumsFile);
  } catch (e) {
    if (e instanceof OrelError) throw e;
    throw new OrelError('PLAN_INVALID', `${sumsFile} cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}): not a krel stage`, {
      hint: 'krel writes gcs-stage/<version>/SHA256SUMS; copy the whole stage/<build-version>/ directory',
    });
  }
  const rels = (await fg('**/*', { cwd: dir, dot: false, onlyFiles: true, followSymbolicLinks: false })).filter((r) => !KREL_CHECKSUMS.test(r)).sort();
  const out: DiscoveredFile[] = rels.map((rel) => {
    const recorded = sums.get(rel);
    if (!recorded) {
      throw new OrelError('INTEGRITY', `${join(dir, rel)} is not in krel's ${sumsFile}: it was added after krel staged the build`, {
        hint: 'release what krel staged: remove the file, or stage the build again',
      });
    }
    const placed = place(rel);
    checkDestinationName(placed.name, `${dir}: ${rel}`);
    return { ...placed, relPath: join(tag, 'gcs-stage', tag, rel), path: join(dir, rel), recordedSha256: recorded };
  });
  const found = new Set(rels);
  for (const rel of sums.keys()) {
    if (!KREL_CHECKSUMS.test(rel) && !found.has(rel)) {
      throw new OrelError('INTEGRITY', `${sumsFile} lists ${rel}, which is missing from ${dir}`, { hint: 'the copy of the stage is incomplete: copy it again' });
    }
  }
  const sources = (await readdir(root)).includes('src.tar.gz');
  if (sources) out.push({ set: ARCHIVES, name: 'src.tar.gz', relPath: 'src.tar.gz', path: join(root, 'src.tar.gz') });
  if (out.length === 0) throw new OrelError('DISCOVERY_NO_MATCH', `${dir} holds no staged file`, { hint: 'copy the whole stage/<build-version>/ directory' });
  return out;
}
