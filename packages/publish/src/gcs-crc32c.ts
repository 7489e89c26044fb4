// CRC32C (Castagnoli), as GCS reports it: big-endian 4 bytes, base64.
// @node-rs/crc32 runs on the CPU's CRC instructions, which matters for
// multi-GiB artifacts hashed while they stream to the bucket.
import { crc32c } from '@node-rs/crc32';

export class Crc32c {
  private crc = 0;

  update(buf: Uint8Array): this {
    this.crc = crc32c(Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength), this.crc);
    return this;
  }

  /** The value GCS puts in `crc32c`: base64 of the big-endian 32-bit CRC. */
  base64(): string {
    const out = Buffer.alloc(4);
    out.writeUInt32BE(this.crc >>> 0);
    return out.toString('base64');
  }
}
