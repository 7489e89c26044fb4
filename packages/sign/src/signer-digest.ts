// The digest a signer wants for an artifact. sha256 / sha512 come from the
// artifact record (hashed once at discovery); keys that sign another digest
// (Cloud KMS / HSM P-384 keys: sha384) get it by streaming the file once.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { OrelError, type Artifact, type HashAlgorithm } from '@orel/core';
import { artifactDigest } from './outputs.js';

export async function signerDigest(a: Artifact, algorithm: HashAlgorithm): Promise<Buffer> {
  if (algorithm !== 'sha384') return artifactDigest(a, algorithm);
  if (!a.path) {
    throw new OrelError('SIGN_FAILED', `${a.name}: the signer's key signs sha384 digests, and this artifact has no local file to hash`);
  }
  const hash = createHash(algorithm);
  try {
    await pipeline(createReadStream(a.path), hash);
  } catch (e) {
    throw new OrelError('SIGN_FAILED', `${a.name}: cannot read ${a.path} to compute its ${algorithm}: ${(e as Error).message}`, { cause: e });
  }
  return hash.digest();
}
