// What the sandbox adds around the mock's Rekor v1 handler: the stored form
// of dsse entries (the mock logs the proposed form, which no verifier
// accepts), and Rekor's "an equivalent entry exists" answer (409 + Location)
// with a GET for the existing entry, so clients' retries are exercised.
import { createHash } from 'node:crypto';

export type RekorEntryResponse = Record<string, unknown>;

const sha256hex = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

/**
 * Rewrites a proposed dsse 0.0.1 entry into the form Rekor stores (hashes of
 * the envelope and payload, the signatures with their verifiers).
 */
export function toStoredEntry(proposed: any): any {
  if (proposed?.kind !== 'dsse' || !proposed?.spec?.proposedContent) return proposed;
  const { envelope, verifiers } = proposed.spec.proposedContent as { envelope: string; verifiers: string[] };
  const env = JSON.parse(envelope) as { payload: string; signatures: { sig: string }[] };
  return {
    apiVersion: proposed.apiVersion ?? '0.0.1',
    kind: 'dsse',
    spec: {
      envelopeHash: { algorithm: 'sha256', value: sha256hex(envelope) },
      payloadHash: { algorithm: 'sha256', value: sha256hex(Buffer.from(env.payload, 'base64')) },
      signatures: env.signatures.map((s, i) => ({ signature: s.sig, verifier: verifiers[i] ?? verifiers[0] })),
    },
  };
}

/** Identity of an entry: same kind + same content = the same entry (Rekor dedupes the same way). */
export function entryKey(stored: unknown): string {
  return sha256hex(stableJson(stored));
}

/** Canonical JSON (RFC 8785 for the strings, integers and objects Rekor entries hold). */
export function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

/** The artifact digest ("sha256:<hex>") a hashedrekord entry's body names, as Rekor's search index keys it. */
export function searchKeyOf(response: RekorEntryResponse): string | undefined {
  const entry = Object.values(response)[0] as { body?: string } | undefined;
  try {
    const body = JSON.parse(Buffer.from(entry?.body ?? '', 'base64').toString('utf8'));
    const hash = body?.kind === 'hashedrekord' ? body.spec?.data?.hash : undefined;
    return hash?.algorithm && hash?.value ? `${hash.algorithm}:${String(hash.value).toLowerCase()}` : undefined;
  } catch {
    return undefined;
  }
}

/** Log index: entry key -> uuid -> the entry as Rekor returned it, and artifact digest -> uuids (Rekor's search). */
export class RekorIndex {
  private readonly byKey = new Map<string, string>();
  private readonly byUuid = new Map<string, RekorEntryResponse>();
  private readonly byHash = new Map<string, string[]>();

  get size(): number {
    return this.byUuid.size;
  }

  uuidFor(key: string): string | undefined {
    return this.byKey.get(key);
  }

  get(uuid: string): RekorEntryResponse | undefined {
    return this.byUuid.get(uuid);
  }

  /** The uuids of entries for an artifact digest ("sha256:<hex>"), oldest first. */
  search(hash: string): string[] {
    return this.byHash.get(hash.toLowerCase()) ?? [];
  }

  /** Records the mock's answer ({uuid: entry}) and returns the uuid. */
  add(key: string, response: RekorEntryResponse): string {
    const [uuid] = Object.keys(response);
    this.byKey.set(key, uuid);
    this.byUuid.set(uuid, response);
    const hash = searchKeyOf(response);
    if (hash) {
      const uuids = this.byHash.get(hash);
      if (uuids) uuids.push(uuid);
      else this.byHash.set(hash, [uuid]);
    }
    return uuid;
  }
}
