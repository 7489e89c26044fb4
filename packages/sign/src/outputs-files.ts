// Writing signing outputs (small files) and describing them as artifacts.
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Artifact, ArtifactKind, SignOutputKind, SignatureResult } from '@orel/core';

export type OutputKind = SignOutputKind;

/** The artifact kind of each output (names: OutputNames in @orel/core). */
export const OUTPUT_FILES: Record<OutputKind, { kind: ArtifactKind }> = {
  bundle: { kind: 'bundle' },
  sig: { kind: 'signature' },
  cert: { kind: 'certificate' },
};

/** `<file>.sig`: base64 of the DER signature, no trailing newline (cosign / Kubernetes layout). */
export function sigFileBytes(result: SignatureResult): Buffer {
  return Buffer.from(result.signature.toString('base64'));
}

/** `<file>.cert`: base64 of the PEM certificate (double encoding), no newline; undefined for key signers. */
export function certFileBytes(result: SignatureResult): Buffer | undefined {
  return result.key.$case === 'x509Certificate' ? certificateFileBytes(result.key.certificate) : undefined;
}

/** A certificate file's bytes: base64 of the PEM, as cosign sign-blob --output-certificate writes it (--b64, its default). */
export const certificateFileBytes = (pem: string): Buffer => Buffer.from(Buffer.from(pem).toString('base64'));

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
