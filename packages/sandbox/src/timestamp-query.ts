// RFC 3161 requests as real clients send them (a DER TimeStampReq with
// content type application/timestamp-query), turned into the JSON request the
// mock TSA reads. The mock takes the nonce as a JS number, which a client's
// 64–128-bit nonce is not: the request carries a small token instead, and the
// TSTInfo gets the client's exact nonce bytes back (patchNonces).
import { ASN1Obj } from '@sigstore/core';

const HASHES: Record<string, string> = { '2.16.840.1.101.3.4.2.1': 'sha256', '2.16.840.1.101.3.4.2.2': 'sha384', '2.16.840.1.101.3.4.2.3': 'sha512' };
const INTEGER = 0x02;
const BOOLEAN = 0x01;

export class TimestampQueries {
  private readonly nonces = new Map<number, Buffer>();
  private next = 1;

  /** The mock's JSON request for a DER TimeStampReq (a body that does not parse is passed on, for the mock to refuse). */
  toJson(der: Buffer): string {
    try {
      const req = ASN1Obj.parseBuffer(der as Buffer<ArrayBuffer>);
      const [, imprint, ...rest] = req.subs;
      const hashAlgorithm = HASHES[imprint.subs[0].subs[0].toOID()];
      const nonce = rest.find((o) => o.tag.number === INTEGER && o.tag.isUniversal());
      const certReq = rest.find((o) => o.tag.number === BOOLEAN && o.tag.isUniversal())?.toBoolean() ?? false;
      const token = this.next++;
      if (nonce) this.nonces.set(token, Buffer.from(nonce.value));
      return JSON.stringify({ artifactHash: imprint.subs[1].value.toString('base64'), hashAlgorithm, certificates: certReq, nonce: token });
    } catch {
      return der.toString('utf8');
    }
  }

  /** Makes the mock TSA put a request's own nonce bytes into its TSTInfo. */
  patchNonces(tsa: { tstInfo: (req: { nonce: number }) => { nonce: unknown; serialNumber: object } }): void {
    const tstInfo = tsa.tstInfo.bind(tsa);
    tsa.tstInfo = (req) => {
      const info = tstInfo(req);
      const bytes = this.nonces.get(req.nonce);
      if (bytes) {
        this.nonces.delete(req.nonce);
        // asn1js's Integer, from the serial number the mock just made (asn1js is the mock's dependency, not ours).
        const Integer = info.serialNumber.constructor as new (o: { valueHex: ArrayBuffer }) => unknown;
        info.nonce = new Integer({ valueHex: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer });
      }
      return info;
    };
  }
}
