// Streaming re-hash of published bytes against the recorded digests.
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { OrelError } from '@orel/core';

export interface ExpectedDigests {
  size: number;
  sha256: string;
  sha512?: string;
}

/** Reads the stream once (never buffering it whole) and throws VERIFY_FAILED naming what differs. */
export async function verifyDigests(name: string, stream: Readable, expect: ExpectedDigests, also: { update(chunk: Buffer): void }[] = []): Promise<void> {
  const sha256 = createHash('sha256');
  const sha512 = expect.sha512 ? createHash('sha512') : undefined;
  let size = 0;
  try {
    for await (const chunk of stream) {
      const buf = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
      size += buf.length;
      sha256.update(buf);
      sha512?.update(buf);
      for (const sink of also) sink.update(buf);
    }
  } catch (e) {
    throw new OrelError('VERIFY_FAILED', `${name}: cannot read the published bytes: ${(e as Error).message ?? e}`, { cause: e });
  }
  const problems: string[] = [];
  if (size !== expect.size) problems.push(`size ${size}, expected ${expect.size}`);
  const got256 = sha256.digest('hex');
  if (got256 !== expect.sha256.toLowerCase()) problems.push(`sha256 ${got256}, expected ${expect.sha256}`);
  const got512 = sha512?.digest('hex');
  if (got512 !== undefined && got512 !== expect.sha512!.toLowerCase()) problems.push(`sha512 ${got512}, expected ${expect.sha512}`);
  if (problems.length) {
    throw new OrelError('VERIFY_FAILED', `${name}: published bytes differ from the release record (${problems.join('; ')})`, {
      details: problems,
      hint: 'the object was changed or corrupted after upload; re-publish it from the staged copy',
    });
  }
}
