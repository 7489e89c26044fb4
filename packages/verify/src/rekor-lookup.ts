// Finding a detached signature's entry in Rekor, as cosign does for a
// .sig + .cert pair: search the log's index by the artifact's digest, fetch
// the entries, and keep the hashedrekord entry that logged this very
// signature with this very certificate. Its signed entry timestamp is then
// checked like any bundle's (see verify-blob), so a log that answers with a
// forged entry gains nothing.
import { OrelError, mapLimit, withRetry } from '@orel/core';
import { pem as pemUtil } from '@sigstore/core';

/** Rekor's signed entry, in the form cosign's older bundle file carries it (`rekorBundle`). */
export interface RekorBundle {
  SignedEntryTimestamp: string;
  Payload: { body: string; integratedTime: number; logIndex: number; logID: string };
}

export interface RekorEvidence {
  uuid: string;
  logIndex: number;
  rekorBundle: RekorBundle;
}

interface RekorEntry {
  body: string;
  integratedTime: number;
  logIndex: number;
  logID: string;
  verification?: { signedEntryTimestamp?: string };
}

/** Candidates fetched per lookup: an artifact signed more often than this is found by its bundle instead. */
const MAX_CANDIDATES = 64;

async function rekorJson(url: string, init: RequestInit, rekorUrl: string): Promise<unknown> {
  try {
    return await withRetry(async () => {
      const res = await fetch(url, { ...init, headers: { 'content-type': 'application/json', accept: 'application/json' }, signal: AbortSignal.timeout(30_000) });
      if (res.status === 404) return undefined;
      if (!res.ok) throw Object.assign(new Error(`HTTP ${res.status}`), { status: res.status, headers: res.headers });
      return res.json();
    }, { retries: 3 });
  } catch (e) {
    const err = e as Error & { cause?: { code?: string } };
    throw new OrelError('SERVICE_UNAVAILABLE', `the transparency log at ${rekorUrl} could not be searched: ${err.message}${err.cause?.code ? ` (${err.cause.code})` : ''}`, {
      hint: 'pass --rekor-url for the log the release was signed against, or the Sigstore bundle (--bundle) that carries the entry',
      cause: e,
    });
  }
}

/** Whether a hashedrekord body logged this signature, by this certificate, over this digest. */
export function logsPair(body: string, sha256Hex: string, signature: Buffer, certDer: Buffer): boolean {
  let entry: any;
  try {
    entry = JSON.parse(Buffer.from(body, 'base64').toString('utf8'));
  } catch {
    return false;
  }
  if (entry?.kind !== 'hashedrekord') return false;
  const { data, signature: sig } = entry.spec ?? {};
  if (data?.hash?.algorithm !== 'sha256' || String(data.hash.value).toLowerCase() !== sha256Hex) return false;
  if (!Buffer.from(String(sig?.content ?? ''), 'base64').equals(signature)) return false;
  const pem = Buffer.from(String(sig?.publicKey?.content ?? ''), 'base64').toString('utf8');
  try {
    return pemUtil.toDER(pem).equals(certDer);
  } catch {
    return false;
  }
}

/** The log entry for this pair, or undefined when the log holds none. */
export async function findRekorEntry(opts: { rekorUrl: string; sha256: Buffer; signature: Buffer; certDer: Buffer }): Promise<RekorEvidence | undefined> {
  const base = opts.rekorUrl.replace(/\/+$/, '');
  const hex = opts.sha256.toString('hex');
  const found = await rekorJson(`${base}/api/v1/index/retrieve`, { method: 'POST', body: JSON.stringify({ hash: `sha256:${hex}` }) }, base);
  const uuids = (Array.isArray(found) ? found.filter((u): u is string => typeof u === 'string') : []).slice(-MAX_CANDIDATES).reverse();
  let match: RekorEvidence | undefined;
  await mapLimit(uuids, 4, async (uuid) => {
    if (match) return;
    const answer = (await rekorJson(`${base}/api/v1/log/entries/${uuid}`, { method: 'GET' }, base)) as Record<string, RekorEntry> | undefined;
    const [id, entry] = Object.entries(answer ?? {})[0] ?? [];
    if (!entry?.verification?.signedEntryTimestamp || !logsPair(entry.body, hex, opts.signature, opts.certDer)) return;
    match ??= {
      uuid: id,
      logIndex: entry.logIndex,
      rekorBundle: {
        SignedEntryTimestamp: entry.verification.signedEntryTimestamp,
        Payload: { body: entry.body, integratedTime: entry.integratedTime, logIndex: entry.logIndex, logID: entry.logID },
      },
    };
  });
  return match;
}

/** Reads a `.rekor` / `--rekor-bundle` file: the rekorBundle JSON cosign writes (or a whole older cosign bundle holding one). */
export function parseRekorBundle(json: unknown, what: string): RekorBundle {
  const candidate = (json as { rekorBundle?: unknown })?.rekorBundle ?? json;
  const b = candidate as Partial<RekorBundle>;
  const p = b?.Payload;
  if (typeof b?.SignedEntryTimestamp !== 'string' || typeof p?.body !== 'string' || typeof p.integratedTime !== 'number' || typeof p.logIndex !== 'number' || typeof p.logID !== 'string') {
    throw new OrelError('USAGE', `${what} is not a Rekor bundle ({"SignedEntryTimestamp", "Payload": {body, integratedTime, logIndex, logID}})`);
  }
  return b as RekorBundle;
}
