// The sandbox Rekor's log on disk (rekor-log.jsonl beside trusted_root.json):
// one line per entry, in log order, so a later run continues the same tree
// and a verifier finds a .sig + .cert pair's entry by the artifact's digest,
// as cosign finds it in the real Rekor. serveSandboxLog answers those reads
// when no sandbox Sigstore is running (orel verify-blob --trusted-root sandbox).
import { appendFileSync } from 'node:fs';
import { readFile, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { OrelError } from '@orel/core';
import type { MerkleTree } from './merkle-log.js';
import { entryKey, RekorIndex, toStoredEntry, type RekorEntryResponse } from './rekor-store.js';
import { readBody, send, serveLoopback, type LoopbackServer } from './http.js';

export const REKOR_LOG_FILE = 'rekor-log.jsonl';

const ENTRY = /^\/api\/v1\/log\/entries\/([0-9a-f]{16,})$/;
const SEARCH = '/api/v1/index/retrieve';
const RETRIEVE = '/api/v1/log/entries/retrieve';

export function persistEntry(file: string, key: string, entry: RekorEntryResponse): void {
  appendFileSync(file, JSON.stringify({ key, entry }) + '\n');
}

/** Rebuilds the index (and the tree) from the log file; a torn last line, from a kill mid-append, is cut off. */
export async function replayLog(file: string, index: RekorIndex, tree?: MerkleTree): Promise<void> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  const lines = text.split('\n');
  let good = 0;
  for (const [i, line] of lines.entries()) {
    if (!line) continue;
    let rec: { key: string; entry: Record<string, { body: string }> };
    try {
      rec = JSON.parse(line);
    } catch {
      if (i < lines.length - 2) throw new OrelError('INTEGRITY', `${file}:${i + 1}: not a log entry`, { hint: 'delete the sandbox directory to start a fresh sandbox' });
      await truncate(file, good);
      return;
    }
    tree?.append(Buffer.from(Object.values(rec.entry)[0].body, 'base64'));
    index.add(rec.key, rec.entry);
    good += Buffer.byteLength(line) + 1;
  }
}

/** Rekor's read API over the index: an entry by uuid, and the uuids for an artifact digest. */
export function readLog(index: RekorIndex, method: string | undefined, path: string, body: string): { status: number; body: string } | undefined {
  const entry = ENTRY.exec(path);
  if (method === 'GET' && entry) {
    const found = index.get(entry[1]);
    return found ? { status: 200, body: JSON.stringify(found) } : { status: 404, body: '{"code":404,"message":"entry not found"}' };
  }
  if (method !== 'POST' || (path !== SEARCH && path !== RETRIEVE)) return undefined;
  let query: { hash?: unknown; entries?: unknown; entryUUIDs?: unknown };
  try {
    query = JSON.parse(body || '{}');
  } catch {
    return { status: 400, body: '{"code":400,"message":"invalid JSON"}' };
  }
  if (path === RETRIEVE) {
    // cosign's search: by the proposed entries themselves (Rekor finds each by its canonical form), or by uuid.
    const uuids = [
      ...(Array.isArray(query.entries) ? query.entries.map((e) => index.uuidFor(entryKey(toStoredEntry(e))) ?? '') : []),
      ...(Array.isArray(query.entryUUIDs) ? query.entryUUIDs.map(String) : []),
    ];
    return { status: 200, body: JSON.stringify(uuids.map((u) => index.get(u)).filter((e) => e !== undefined)) };
  }
  if (typeof query.hash !== 'string') return { status: 422, body: '{"code":422,"message":"this sandbox searches by hash only"}' };
  return { status: 200, body: JSON.stringify(index.search(query.hash)) };
}

/** The sandbox Rekor's log, served read-only from `dir` on loopback. */
export async function serveSandboxLog(dir: string): Promise<LoopbackServer> {
  const index = new RekorIndex();
  await replayLog(join(dir, REKOR_LOG_FILE), index);
  return serveLoopback((req, res) => {
    void readBody(req).then((body) => {
      const out = readLog(index, req.method, (req.url ?? '/').split('?')[0], body.toString('utf8'));
      send(res, out?.status ?? 404, 'application/json', out?.body ?? '{"code":404,"message":"not found"}');
    });
  });
}
