// Checksum files. Aggregate files use the coreutils format ("<hex>  <name>",
// one line per artifact, sorted by name) so `sha256sum -c SHA256SUMS` checks
// them; they hold destination names only, never workspace paths. Per-file
// "<file>.sha256" / "<file>.sha512" follow dl.k8s.io: the bare hex digest,
// no file name and no newline. That is NOT `sha256sum -c` input; users check
// with `echo "$(cat kubectl.sha256)  kubectl" | sha256sum -c`.
import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { OrelError, mapLimit, type Artifact } from '@orel/core';
import type { ChecksumAlgorithm, ChecksumsSection } from '@orel/plan';
import { writeFileAtomic } from './atomic.js';
import { checkDestinationName } from './pattern.js';

const HEX_LENGTH: Record<ChecksumAlgorithm, number> = { sha256: 64, sha512: 128 };

/** Content of an aggregate checksum file (SHA256SUMS, checksums.txt) over the given artifacts. */
export function checksumFileContent(artifacts: readonly Pick<Artifact, 'name' | 'sha256' | 'sha512'>[], algorithm: ChecksumAlgorithm): string {
  const seen = new Set<string>();
  const lines = artifacts.map((a) => {
    checkDestinationName(a.name, `checksum entry`);
    if (seen.has(a.name)) throw new OrelError('DISCOVERY_DUPLICATE', `checksum file would list "${a.name}" twice`);
    seen.add(a.name);
    return { name: a.name, hex: hexOf(a, algorithm) };
  });
  lines.sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
  return lines.map((l) => `${l.hex}  ${l.name}\n`).join('');
}

/** Content of a per-file checksum (dl.k8s.io "<file>.sha256"): the bare hex digest, no newline. */
export function perFileChecksumContent(artifact: Pick<Artifact, 'name' | 'sha256' | 'sha512'>, algorithm: ChecksumAlgorithm): string {
  return hexOf(artifact, algorithm);
}

/**
 * Parses a checksum file: coreutils text ("<hex>  <name>") or binary
 * ("<hex> *<name>") lines, BSD tags ("SHA256 (<name>) = <hex>"), or a bare
 * digest (per-file files; stored under the name "" ). Blank lines are
 * skipped. Errors name the file and line.
 */
export function parseChecksumFile(text: string, file: string, algorithm?: ChecksumAlgorithm): Map<string, string> {
  const out = new Map<string, string>();
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  let hexLength = algorithm ? HEX_LENGTH[algorithm] : undefined;
  lines.forEach((raw, i) => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const where = `${file}:${i + 1}`;
    if (line.trim() === '') return;
    let hex: string;
    let name: string;
    let m: RegExpExecArray | null;
    if ((m = /^([0-9a-fA-F]+) [ *](.+)$/.exec(line))) [hex, name] = [m[1], m[2]];
    else if ((m = /^SHA(256|512) \((.+)\) = ([0-9a-fA-F]+)$/.exec(line))) [hex, name] = [m[3], m[2]];
    else if ((m = /^([0-9a-fA-F]+)$/.exec(line.trim())) && lines.length === 1) [hex, name] = [m[1], ''];
    else {
      throw new OrelError('VERIFY_FAILED', `${where}: not a checksum line: ${JSON.stringify(line.slice(0, 80))}`, {
        hint: 'expected "<hex>  <name>" (coreutils format)',
      });
    }
    hexLength ??= hex.length;
    if (hex.length !== hexLength || (hexLength !== 64 && hexLength !== 128)) {
      throw new OrelError('VERIFY_FAILED', `${where}: digest of "${name}" has ${hex.length} hex digits, expected ${hexLength === 128 ? 128 : 64}`);
    }
    const prev = out.get(name);
    if (prev !== undefined && prev !== hex.toLowerCase()) {
      throw new OrelError('VERIFY_FAILED', `${where}: "${name}" is listed again with a different digest`);
    }
    out.set(name, hex.toLowerCase());
  });
  return out;
}

/**
 * Writes the checksum files the plan asks for into workDir and returns them
 * as 'checksum' artifacts (per-file ones with `subject` set). Their own
 * digests are computed from the bytes written; nothing is re-read.
 */
export async function writeChecksumArtifacts(
  artifacts: readonly Artifact[],
  section: ChecksumsSection,
  workDir: string,
): Promise<Artifact[]> {
  const taken = new Set(artifacts.map((a) => a.name));
  const outputs: { name: string; content: string; subject?: string; algorithm: ChecksumAlgorithm }[] = [];
  for (const f of section.files ?? []) {
    outputs.push({ name: f.name, content: checksumFileContent(artifacts, f.algorithm), algorithm: f.algorithm });
  }
  for (const alg of section.perFile ?? []) {
    for (const a of artifacts) outputs.push({ name: `${a.name}.${alg}`, content: perFileChecksumContent(a, alg), subject: a.name, algorithm: alg });
  }
  for (const o of outputs) {
    checkDestinationName(o.name, 'checksums');
    if (taken.has(o.name)) {
      throw new OrelError('DISCOVERY_DUPLICATE', `checksum file "${o.name}" has the same name as another artifact`, {
        hint: 'rename the checksum file in checksums.files, or the artifact',
      });
    }
    taken.add(o.name);
  }
  await mkdir(workDir, { recursive: true });
  return mapLimit(outputs, 16, async (o) => {
      const bytes = Buffer.from(o.content, 'utf8');
      const path = join(workDir, o.name);
      await writeFileAtomic(path, bytes);
      return {
        name: o.name,
        kind: 'checksum' as const,
        algorithm: o.algorithm,
        path,
        size: bytes.length,
        sha256: createHash('sha256').update(bytes).digest('hex'),
        sha512: createHash('sha512').update(bytes).digest('hex'),
        ...(o.subject !== undefined && { subject: o.subject }),
      };
  });
}

function hexOf(a: Pick<Artifact, 'name' | 'sha256' | 'sha512'>, algorithm: ChecksumAlgorithm): string {
  const hex = algorithm === 'sha256' ? a.sha256 : a.sha512;
  if (typeof hex !== 'string' || !new RegExp(`^[0-9a-f]{${HEX_LENGTH[algorithm]}}$`).test(hex)) {
    throw new OrelError('INTERNAL', `artifact "${a.name}" has no valid ${algorithm} digest`);
  }
  return hex;
}
