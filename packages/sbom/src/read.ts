// Reading a build output as an SBOM: a short look at its first bytes, and
// only a file that opens like one is parsed in full.
import { open, readFile } from 'node:fs/promises';
import { OrelError } from '@orel/core';
import { detectSbom, looksLikeSbom, type SbomFormat } from './formats.js';
import { validateSbom, type SbomProblem } from './validate.js';

const HEAD_BYTES = 64 * 1024;

export interface ReadSbom {
  format: SbomFormat;
  /** The parsed document: the attestation's predicate. */
  document: unknown;
  /** Schema violations, located by JSONPath; empty when valid. */
  problems: SbomProblem[];
}

async function head(path: string): Promise<string> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(HEAD_BYTES);
    const { bytesRead } = await fh.read(buf, 0, HEAD_BYTES, 0);
    return buf.subarray(0, bytesRead).toString('utf8');
  } finally {
    await fh.close();
  }
}

/**
 * The SBOM in a file, validated; undefined when the file is not an SBOM
 * (unless `expected`, a set of kind sbom: then that is an error). An SBOM
 * that is not JSON or of a version orel has no schema for is an error naming
 * the file.
 */
export async function readSbom(path: string, name: string, expected = false): Promise<ReadSbom | undefined> {
  if (!expected && !looksLikeSbom(await head(path))) return undefined;
  let document: unknown;
  try {
    document = JSON.parse(await readFile(path, 'utf8'));
  } catch (e) {
    if (!expected) return undefined;
    throw new OrelError('SBOM_INVALID', `${name} (${path}): an SBOM set lists it, but it is not JSON (${(e as Error).message})`, {
      hint: 'orel attests SPDX and CycloneDX JSON; give tag-value or XML SBOMs kind "other", or have the build write JSON',
    });
  }
  const detected = detectSbom(document);
  if (!detected) {
    if (!expected) return undefined;
    throw new OrelError('SBOM_INVALID', `${name} (${path}): an SBOM set lists it, but it is neither SPDX (spdxVersion / @context) nor CycloneDX (bomFormat) JSON`, {
      hint: 'give files that are not SBOMs another kind than "sbom"',
    });
  }
  if ('unsupported' in detected) throw new OrelError('SBOM_INVALID', `${name} (${path}): ${detected.unsupported}`);
  return { format: detected.format, document, problems: validateSbom(document, detected.format) };
}
