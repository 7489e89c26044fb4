// RFC 3161 timestamp witness: a signed time for the signature, from a
// timestamp authority, with the same retries and errors as Rekor.
import { createHash } from 'node:crypto';
import type { SignatureBundle, VerificationMaterial, Witness } from '@sigstore/sign';
import type { RetryOptions } from '@orel/core';
import { OutageBreaker, serviceFetch } from './keyless-http.js';

/** A bare host means the standard path; a URL with a path is used as is (as in signing configs). */
export function timestampUrl(tsaUrl: string): string {
  const u = new URL(tsaUrl);
  return u.pathname === '/' || u.pathname === '' ? `${tsaUrl.replace(/\/+$/, '')}/api/v1/timestamp` : tsaUrl;
}

export class TimestampWitness implements Witness {
  private readonly breaker = new OutageBreaker();

  constructor(private readonly opts: { tsaUrl: string; retry?: RetryOptions }) {}

  testify(content: SignatureBundle): Promise<VerificationMaterial> {
    return this.breaker.run(() => this.timestamp(content));
  }

  private async timestamp(content: SignatureBundle): Promise<VerificationMaterial> {
    const signature = content.$case === 'dsseEnvelope' ? content.dsseEnvelope.signatures[0].sig : content.messageSignature.signature;
    const res = await serviceFetch({
      service: 'timestamp authority',
      url: timestampUrl(this.opts.tsaUrl),
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ artifactHash: createHash('sha256').update(signature).digest('base64'), hashAlgorithm: 'sha256' }),
      retry: this.opts.retry,
    });
    return { rfc3161Timestamps: [{ signedTimestamp: Buffer.from(await res.arrayBuffer()) }] };
  }
}
