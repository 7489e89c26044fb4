// Writing signing outputs (small files) and describing them as artifacts.
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { KUBERNETES_OUTPUT_SUFFIXES, type Artifact, type ArtifactKind, type SignatureResult } from '@orel/core';

export type OutputKind = 'bundle' | 'sig' | 'cert';

/** File name suffix and artifact kind of each output. */
export const OUTPUT_FILES: Record<OutputKind, { suffix: string; kind: ArtifactKind }> = {
  bundle: { suffix: KUBERNETES_OUTPUT_SUFFIXES.bundle, kind: 'bundle' },
  sig: { suffix: KUBERNETES_OUTPUT_SUFFIXES.sig, kind: 'signature' },
  cert: { suffix: KUBERNETES_OUTPUT_SUFFIXES.cert, kind: 'certificate' },
};

/** `<file>.sig`: base64 of the DER signature, no trailing newline (cosign / Kubernetes layout). */
export function sigFileBytes(result: SignatureResult): Buffer {
  return Buffer.from(result.signature.toString('base64'));
}

/** `<file>.cert`: base64 of the PEM certificate (double encoding), no newline; undefined for key signers. */
export function certFileBytes(result: SignatureResult): Buffer | undefined {
  if (result.key.$case !== 'x509Certificate') return undefined;
  return Buffer.from(Buffer.from(result.key.certificate).toString('base64'));
}

/** Artifact record for bytes written (or found) at workDir/name. */
export function outputArtifact(workDir: string, name: string, kind: ArtifactKind, bytes: Buffer, subject?: string): Artifact {
  return {
    name,
    kind,
    path: join(workDir, name),
    size: bytes.length,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    sha512: createHash('sha512').update(bytes).digest('hex'),
    ...(subject === undefined ? {} : { subject }),
  };
}

/**
 * Write-to-temp + rename: a crash never leaves half a signature behind. The
 * directory is made only when the write finds it missing (one mkdir per
 * directory, not per file: thousands of outputs share a few).
 */
export async function writeOutput(workDir: string, name: string, bytes: Buffer): Promise<void> {
  const path = join(workDir, name);
  const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  try {
    await writeFile(tmp, bytes);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    await mkdir(dirname(path), { recursive: true });
    await writeFile(tmp, bytes);
  }
  await rename(tmp, path);
}

/** Reads a previously written output, or undefined if it is gone. */
export async function readOutput(workDir: string, name: string): Promise<Buffer | undefined> {
  try {
    return await readFile(join(workDir, name));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}
