// Rekor (v1 API) witness: logs a signature and returns the entry for the
// bundle. Retries 408/429/5xx honouring Retry-After, and treats 409 Conflict
// (an equivalent entry exists, e.g. a retried request that had succeeded) as
// success by fetching the existing entry.
import type { TransparencyLogEntry } from '@sigstore/bundle';
import type { SignatureBundle, VerificationMaterial, Witness } from '@sigstore/sign';
import { toProposedEntry } from '@sigstore/sign/dist/witness/tlog/entry.js';
import { OrelError, type RetryOptions } from '@orel/core';
import { OutageBreaker, serviceFetch } from './keyless-http.js';

export interface RekorWitnessOptions {
  rekorUrl: string;
  /** DSSE entries as "dsse" (default) or "intoto". */
  entryType?: 'dsse' | 'intoto';
  retry?: RetryOptions;
}

/** A Rekor v1 log entry as the API returns it (under its UUID). */
export interface RekorEntry {
  uuid: string;
  body: string;
  integratedTime: number;
  logID: string;
  logIndex: number;
  verification?: {
    signedEntryTimestamp?: string;
    inclusionProof?: { logIndex: number; treeSize: number; rootHash: string; hashes: string[]; checkpoint: string };
  };
}

export class RekorLogWitness implements Witness {
  private readonly base: string;
  private readonly breaker = new OutageBreaker();

  constructor(private readonly opts: RekorWitnessOptions) {
    this.base = opts.rekorUrl.replace(/\/+$/, '');
  }

  async testify(content: SignatureBundle, publicKey: string): Promise<VerificationMaterial> {
    const proposed = toProposedEntry(content, publicKey, this.opts.entryType ?? 'dsse');
    const entry = await this.breaker.run(() => this.createEntry(proposed));
    return { tlogEntries: [toTransparencyLogEntry(entry)] };
  }

  async createEntry(proposed: unknown): Promise<RekorEntry> {
    const url = `${this.base}/api/v1/log/entries`;
    const res = await serviceFetch({
      service: 'Rekor',
      url,
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(proposed),
      accept: (s) => s === 409,
      retry: this.opts.retry,
    });
    if (res.status !== 409) return entryFromResponse(await res.json(), url);
    // Already logged: fetch the entry the Location header points at.
    await res.body?.cancel();
    const uuid = res.headers.get('location')?.split('/').pop();
    if (!uuid) throw new OrelError('SIGN_FAILED', `Rekor at ${url} answered 409 Conflict without a Location for the existing entry`);
    return this.getEntry(uuid);
  }

  async getEntry(uuid: string): Promise<RekorEntry> {
    const url = `${this.base}/api/v1/log/entries/${uuid}`;
    const res = await serviceFetch({ service: 'Rekor', url, method: 'GET', headers: { accept: 'application/json' }, retry: this.opts.retry });
    return entryFromResponse(await res.json(), url);
  }
}

function entryFromResponse(data: unknown, url: string): RekorEntry {
  const entries = Object.entries((data ?? {}) as Record<string, Omit<RekorEntry, 'uuid'>>);
  if (entries.length !== 1) throw new OrelError('SIGN_FAILED', `Rekor at ${url} answered with ${entries.length} entries, expected 1`);
  const [uuid, entry] = entries[0];
  return { ...entry, uuid };
}

/** The bundle's form of a Rekor v1 entry (as @sigstore/sign's RekorWitness builds it). */
export function toTransparencyLogEntry(entry: RekorEntry): TransparencyLogEntry {
  const body = JSON.parse(Buffer.from(entry.body, 'base64').toString('utf8')) as { kind: string; apiVersion: string };
  const set = entry.verification?.signedEntryTimestamp;
  const proof = entry.verification?.inclusionProof;
  return {
    logIndex: entry.logIndex.toString(),
    logId: { keyId: Buffer.from(entry.logID, 'hex') },
    integratedTime: entry.integratedTime.toString(),
    kindVersion: { kind: body.kind, version: body.apiVersion },
    inclusionPromise: set ? { signedEntryTimestamp: Buffer.from(set, 'base64') } : undefined,
    inclusionProof: proof
      ? {
          logIndex: proof.logIndex.toString(),
          treeSize: proof.treeSize.toString(),
          rootHash: Buffer.from(proof.rootHash, 'hex'),
          hashes: proof.hashes.map((h) => Buffer.from(h, 'hex')),
          checkpoint: { envelope: proof.checkpoint },
        }
      : undefined,
    canonicalizedBody: Buffer.from(entry.body, 'base64'),
  };
}
