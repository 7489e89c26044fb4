// Cloud KMS signer: the private key never leaves KMS; orel sends digests.
// Integrity as Google's guidance asks: digestCrc32c goes with each request,
// and each response must echo verifiedDigestCrc32c, a matching
// signatureCrc32c and the key version's name (else retry, then fail). The
// public key is fetched once per key version, its pemCrc32c checked.
import { createHash } from 'node:crypto';
import { KeyManagementServiceClient } from '@google-cloud/kms';
import * as grpc from '@grpc/grpc-js';
import { crc32c } from '@aws-crypto/crc32c';
import { OrelError, pLimit, withRetry, type HashAlgorithm, type KeyMaterial, type RetryOptions, type SignatureResult, type Signer } from '@orel/core';
import { publicKeyHint } from './keys.js';
import { kmsAlgorithmHash, parseKmsEndpoint, parseKmsKeyUri } from './kms-uri.js';
import { IntegrityMismatch, isKmsTransient, kmsError } from './kms-errors.js';

export interface KmsSignerSpec {
  /** gcpkms://projects/P/locations/L/keyRings/R/cryptoKeys/K[/cryptoKeyVersions/V] */
  key: string;
  /** host:port of a private or test endpoint (default: Google's). */
  endpoint?: string;
  /** Plaintext gRPC; honoured only for loopback endpoints. */
  insecure?: boolean;
}

export interface KmsSignerOptions {
  /** AsymmetricSign calls in flight from this signer (default 16). */
  concurrency?: number;
  /** Backoff for RESOURCE_EXHAUSTED / UNAVAILABLE and integrity mismatches (tests shorten it). */
  retry?: Pick<RetryOptions, 'retries' | 'baseMs' | 'maxMs'>;
}

const DIGEST_BYTES: Record<HashAlgorithm, number> = { sha256: 32, sha384: 48, sha512: 64 };
// gax's own retries are off: withRetry owns backoff, so attempts are not multiplied.
const CALL = { retry: null, timeout: 60_000 } as const;
const crc = (b: Uint8Array | string): string => String(crc32c(typeof b === 'string' ? Buffer.from(b) : b));

function createClient(spec: KmsSignerSpec): KeyManagementServiceClient {
  if (!spec.endpoint) {
    if (spec.insecure) throw new OrelError('PLAN_INVALID', `KMS signer for ${spec.key}: insecure needs a loopback endpoint`);
    return new KeyManagementServiceClient();
  }
  const ep = parseKmsEndpoint(spec.endpoint, spec.insecure, spec.key);
  if (!ep.plaintext) return new KeyManagementServiceClient({ apiEndpoint: ep.host, port: ep.port });
  // A fixed universe domain keeps the client from probing the metadata server;
  // plaintext credentials carry no auth headers to the loopback server.
  return new KeyManagementServiceClient({
    apiEndpoint: ep.host,
    port: ep.port,
    sslCreds: grpc.credentials.createInsecure(),
    universeDomain: 'googleapis.com',
  });
}

/** Resolves the key version, fetches and checks its public key; fails here, before any signing. */
export async function createKmsSigner(spec: KmsSignerSpec, opts: KmsSignerOptions = {}): Promise<Signer> {
  const ref = parseKmsKeyUri(spec.key);
  const client = createClient(spec);
  try {
    const retry = { retries: 6, baseMs: 250, maxMs: 20_000, ...opts.retry, retryable: isKmsTransient };
    const call = <T>(what: string, name: string, fn: () => Promise<T>): Promise<T> =>
      withRetry(fn, retry).catch((e) => {
        throw kmsError(e, what, name);
      });
    const version = ref.version ?? (await resolvePrimary(client, ref.cryptoKey, call));
    const pub = await call('GetPublicKey', version, async () => {
      const [res] = await client.getPublicKey({ name: version }, CALL);
      if (res.name !== version) throw new IntegrityMismatch(`public key response names ${res.name}`);
      if (!res.pem || crc(res.pem) !== String(res.pemCrc32c?.value)) throw new IntegrityMismatch('pemCrc32c does not match the PEM');
      return res;
    });
    const hash = kmsAlgorithmHash(String(pub.algorithm), version);
    return new KmsSigner(client, version, pub.pem!, hash, call, opts.concurrency ?? 16);
  } catch (e) {
    await client.close().catch(() => undefined);
    throw e;
  }
}

type Call = <T>(what: string, name: string, fn: () => Promise<T>) => Promise<T>;

async function resolvePrimary(client: KeyManagementServiceClient, cryptoKey: string, call: Call): Promise<string> {
  const [key] = await call('GetCryptoKey', cryptoKey, () => client.getCryptoKey({ name: cryptoKey }, CALL));
  if (key.purpose && key.purpose !== 'ASYMMETRIC_SIGN') {
    throw new OrelError('KEY_INVALID', `key ${cryptoKey} has purpose ${key.purpose}, not ASYMMETRIC_SIGN`, {
      hint: 'point the signer at an asymmetric signing key',
    });
  }
  if (!key.primary?.name) {
    throw new OrelError('KEY_INVALID', `key ${cryptoKey} names no version and has no primary version`, {
      hint: `asymmetric keys have no primary in Cloud KMS: add /cryptoKeyVersions/N to the key URI (gcloud kms keys versions list --key ...)`,
    });
  }
  return key.primary.name;
}

class KmsSigner implements Signer {
  readonly ref: string;
  private readonly material: KeyMaterial;
  private readonly limit: ReturnType<typeof pLimit>;

  constructor(
    private readonly client: KeyManagementServiceClient,
    private readonly version: string,
    private readonly pem: string,
    readonly hashAlgorithm: HashAlgorithm,
    private readonly call: Call,
    concurrency: number,
  ) {
    this.ref = `gcpkms://${version}`;
    this.material = { $case: 'publicKey', publicKey: pem, hint: publicKeyHint(pem) };
    this.limit = pLimit(Math.max(1, concurrency));
  }

  async signDigest(digest: Buffer, algorithm: HashAlgorithm): Promise<SignatureResult> {
    if (algorithm !== this.hashAlgorithm || digest.length !== DIGEST_BYTES[algorithm]) {
      throw new OrelError('SIGN_FAILED', `${this.ref} signs ${this.hashAlgorithm} digests; got a ${digest.length}-byte ${algorithm} digest`);
    }
    const digestCrc = crc(digest);
    const signature = await this.limit(() =>
      this.call('AsymmetricSign', this.version, async () => {
        const [res] = await this.client.asymmetricSign(
          { name: this.version, digest: { [algorithm]: digest }, digestCrc32c: { value: Number(digestCrc) } },
          CALL,
        );
        if (!res.verifiedDigestCrc32c) throw new IntegrityMismatch('KMS did not verify digestCrc32c');
        if (res.name !== this.version) throw new IntegrityMismatch(`response names ${res.name}`);
        const sig = Buffer.from(res.signature ?? []);
        if (sig.length === 0 || crc(sig) !== String(res.signatureCrc32c?.value)) throw new IntegrityMismatch('signatureCrc32c does not match the signature');
        return sig;
      }),
    );
    return { signature, key: this.material };
  }

  async sign(data: Buffer): Promise<SignatureResult> {
    return this.signDigest(createHash(this.hashAlgorithm).update(data).digest(), this.hashAlgorithm);
  }

  async publicKeyPem(): Promise<string> {
    return this.pem;
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}
