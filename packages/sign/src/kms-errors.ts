// Cloud KMS failures → what orel retries, and OrelErrors that name the key
// and say what to do. gRPC status codes are numbers (google.rpc.Code).
import { OrelError } from '@orel/core';

const DEADLINE_EXCEEDED = 4;
const NOT_FOUND = 5;
const PERMISSION_DENIED = 7;
const RESOURCE_EXHAUSTED = 8;
const FAILED_PRECONDITION = 9;
const UNAVAILABLE = 14;
const UNAUTHENTICATED = 16;
const TRANSIENT = new Set([DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, UNAVAILABLE]);

/** A response that failed its CRC32C / name check: corrupted in transit, so retried. */
export class IntegrityMismatch extends Error {}

export function isKmsTransient(err: unknown): boolean {
  return err instanceof IntegrityMismatch || TRANSIENT.has((err as { code?: unknown })?.code as number);
}

const detailsOf = (err: any): string => String(err?.details || err?.message || err);

/** Maps a final (non-retried or retries exhausted) failure of `method` on `name`. */
export function kmsError(err: unknown, method: string, name: string): OrelError {
  if (err instanceof OrelError) return err;
  const details = detailsOf(err);
  const opts = { cause: err };
  if (err instanceof IntegrityMismatch) {
    return new OrelError('SIGN_FAILED', `Cloud KMS ${method} for ${name} failed its integrity check after retries: ${details}`, {
      ...opts,
      hint: 'responses were corrupted in transit; check proxies between orel and the KMS endpoint and re-run',
    });
  }
  const code = (err as { code?: unknown })?.code;
  switch (code) {
    case FAILED_PRECONDITION: {
      const state = /state is:?\s*([A-Z_]+)/.exec(details)?.[1];
      if (state) {
        return new OrelError('KEY_INVALID', `key version ${name} is ${state}, so it cannot sign`, {
          ...opts,
          hint:
            state === 'DISABLED'
              ? `enable it (gcloud kms keys versions enable ...) or point the signer at an enabled version`
              : `point the signer at an enabled key version (a ${state} version cannot be used)`,
        });
      }
      if (/purpose/i.test(details)) {
        return new OrelError('KEY_INVALID', `key ${name} cannot sign: ${details}`, {
          ...opts,
          hint: 'point the signer at a key whose purpose is ASYMMETRIC_SIGN',
        });
      }
      return new OrelError('KEY_INVALID', `Cloud KMS refused ${method} on ${name}: ${details}`, opts);
    }
    case PERMISSION_DENIED:
    case UNAUTHENTICATED:
      return new OrelError('SIGN_FAILED', `permission denied for ${method} on ${name}: ${details}`, {
        ...opts,
        hint: 'grant the signing identity roles/cloudkms.signerVerifier on the key (it needs useToSign and viewPublicKey)',
      });
    case NOT_FOUND:
      return new OrelError('KEY_INVALID', `Cloud KMS key ${name} not found: ${details}`, {
        ...opts,
        hint: 'check the project, location, key ring, key and version in the key URI',
      });
    case RESOURCE_EXHAUSTED:
    case UNAVAILABLE:
    case DEADLINE_EXCEEDED:
      return new OrelError('SERVICE_UNAVAILABLE', `Cloud KMS ${method} on ${name} kept failing after retries: ${details}`, {
        ...opts,
        hint: 'KMS quota or availability: lower signing.concurrency, ask for more quota, or re-run later (done work is kept)',
      });
    default:
      return new OrelError('SIGN_FAILED', `Cloud KMS ${method} on ${name} failed: ${details}`, opts);
  }
}
