import { isTransientRead, withRetry } from '@orel/core';
import type { Readable } from 'node:stream';

/** Reads a small stream (signatures, manifests, checksum files) into memory. */
export async function readAll(stream: Readable, limit = 64 << 20): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of stream) {
    size += (c as Buffer).length;
    if (size > limit) throw new Error(`refusing to read more than ${limit} bytes into memory`);
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Reads are retried like writes: opens the object again and re-consumes it from the start. */
export function withReadRetry<T>(open: () => Promise<Readable>, consume: (s: Readable) => Promise<T>): Promise<T> {
  return withRetry(async () => consume(await open()), { retries: 4, baseMs: 100, retryable: isTransientRead });
}
