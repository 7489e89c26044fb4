// Rekor v2 (rekor-tiles) witness: logs a signature as a hashedrekord 0.0.2
// entry and returns the entry with its inclusion proof and checkpoint. A DSSE
// envelope is logged as hashedrekord over SHA-256(PAE(type, payload)), as the
// 2026 clients (cosign 3, sigstore-go) do. Rekor v2 gives no integrated time:
// a timestamp authority must witness the signature as well.
import { createHash } from 'node:crypto';
import type { TransparencyLogEntry } from '@sigstore/bundle';
import { dsse, pem } from '@sigstore/core';
import { PublicKeyDetails, TransparencyLogEntry as TlogEntryJson } from '@sigstore/protobuf-specs';
import { CreateEntryRequest } from '@sigstore/protobuf-specs/rekor/v2';
import type { SignatureBundle, VerificationMaterial, Witness } from '@sigstore/sign';
import { OrelError, type RetryOptions } from '@orel/core';
import { OutageBreaker, serviceFetch } from './keyless-http.js';

export interface RekorV2WitnessOptions {
  /** The log's base URL (a signing config's rekorTlogUrls[].url). */
  rekorUrl: string;
  retry?: RetryOptions;
  /** Per-attempt timeout: Rekor v2 answers when its batch is integrated (about a second), so allow more than v1. */
  timeoutMs?: number;
}

/** The CreateEntryRequest for a signature: `verifier` is a certificate or public key PEM. */
export function rekorV2Request(content: SignatureBundle, verifierPem: string): CreateEntryRequest {
  const rawBytes = pem.toDER(verifierPem);
  const isCert = verifierPem.includes('CERTIFICATE');
  const verifier = {
    keyDetails: PublicKeyDetails.PKIX_ECDSA_P256_SHA_256,
    verifier: isCert ? { $case: 'x509Certificate' as const, x509Certificate: { rawBytes } } : { $case: 'publicKey' as const, publicKey: { rawBytes } },
  };
  const [digest, signature] =
    content.$case === 'dsseEnvelope'
      ? [
          createHash('sha256').update(dsse.preAuthEncoding(content.dsseEnvelope.payloadType, content.dsseEnvelope.payload)).digest(),
          content.dsseEnvelope.signatures[0].sig,
        ]
      : [content.messageSignature.messageDigest.digest, content.messageSignature.signature];
  return { spec: { $case: 'hashedRekordRequestV002', hashedRekordRequestV002: { digest, signature: { content: signature, verifier } } } };
}

export class RekorV2LogWitness implements Witness {
  private readonly url: string;
  private readonly breaker = new OutageBreaker();

  constructor(private readonly opts: RekorV2WitnessOptions) {
    this.url = `${opts.rekorUrl.replace(/\/+$/, '')}/api/v2/log/entries`;
  }

  async testify(content: SignatureBundle, verifierPem: string): Promise<VerificationMaterial> {
    const body = JSON.stringify(CreateEntryRequest.toJSON(rekorV2Request(content, verifierPem)));
    const entry = await this.breaker.run(async () => {
      const res = await serviceFetch({
        service: 'Rekor v2',
        url: this.url,
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body,
        retry: this.opts.retry,
        timeoutMs: this.opts.timeoutMs ?? 60_000,
      });
      return parseEntry(await res.json(), this.url);
    });
    return { tlogEntries: [entry] };
  }
}

function parseEntry(json: unknown, url: string): TransparencyLogEntry {
  let entry: ReturnType<typeof TlogEntryJson.fromJSON>;
  try {
    entry = TlogEntryJson.fromJSON(json);
  } catch (e) {
    throw new OrelError('SIGN_FAILED', `Rekor v2 at ${url} answered with something that is not a transparency log entry: ${(e as Error).message}`);
  }
  if (!entry.inclusionProof?.checkpoint?.envelope || !entry.logId?.keyId.length) {
    throw new OrelError('SIGN_FAILED', `Rekor v2 at ${url} answered without an inclusion proof and checkpoint`, {
      hint: 'is this URL a Rekor v2 (rekor-tiles) server? A v1 Rekor takes rekorVersion: 1',
    });
  }
  return entry as TransparencyLogEntry;
}
