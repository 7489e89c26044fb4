// Digests of local bytes, computed while they stream to GCS: md5 and crc32c
// to compare with what GCS stored, sha256 to prove the file did not change
// since the manifest recorded it.
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Crc32c } from './gcs-crc32c.js';

export interface Digests {
  size: number;
  /** base64, as GCS reports it. */
  md5: string;
  /** base64 big-endian, as GCS reports it. */
  crc32c: string;
  /** hex. */
  sha256: string;
}

export class StreamDigests {
  private readonly md5: Hash = createHash('md5');
  private readonly sha256: Hash = createHash('sha256');
  private readonly crc = new Crc32c();
  size = 0;

  update(b: Buffer): void {
    this.md5.update(b);
    this.sha256.update(b);
    this.crc.update(b);
    this.size += b.length;
  }

  digest(): Digests {
    return { size: this.size, md5: this.md5.digest('base64'), crc32c: this.crc.base64(), sha256: this.sha256.digest('hex') };
  }
}

export async function digestFile(path: string, start = 0, end?: number, into = new StreamDigests()): Promise<StreamDigests> {
  for await (const c of createReadStream(path, { start, end, highWaterMark: 1 << 20 })) into.update(c as Buffer);
  return into;
}

export function digestBuffer(data: Buffer): Digests {
  const d = new StreamDigests();
  d.update(data);
  return d.digest();
}
