// The sandbox Rekor's log: a real RFC 6962 Merkle tree instead of the mock's
// one-leaf tree per entry. The mock answers every entry with inclusion proof
// index 0, tree size 1 and no hashes, which protobuf JSON then omits and
// sigstore-python rejects as a malformed bundle; real Rekor never logs like
// that. Here each entry is appended to one tree (seeded with one leaf, so no
// entry has index 0 or an empty path) with a proof and a signed checkpoint.
import { createHash, sign, type KeyObject } from 'node:crypto';
import { stableJson } from './rekor-store.js';

const sha256 = (...parts: Buffer[]): Buffer => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
};
const leafHash = (data: Buffer): Buffer => sha256(Buffer.from([0]), data);
const nodeHash = (l: Buffer, r: Buffer): Buffer => sha256(Buffer.from([1]), l, r);

/** Largest power of two strictly below n (n ≥ 2). */
const split = (n: number): number => 2 ** Math.floor(Math.log2(n - 1));

/** An append-only RFC 6962 tree; complete subtrees are hashed once. */
export class MerkleTree {
  private readonly leaves: Buffer[] = [];
  private readonly complete = new Map<string, Buffer>();

  get size(): number {
    return this.leaves.length;
  }

  append(data: Buffer): number {
    this.leaves.push(leafHash(data));
    return this.leaves.length - 1;
  }

  /** MTH(D[start : start+size]). */
  root(start = 0, size = this.leaves.length): Buffer {
    if (size === 1) return this.leaves[start];
    const perfect = (size & (size - 1)) === 0;
    const key = `${start}:${size}`;
    const memo = perfect ? this.complete.get(key) : undefined;
    if (memo) return memo;
    const k = split(size);
    const h = nodeHash(this.root(start, k), this.root(start + k, size - k));
    if (perfect) this.complete.set(key, h);
    return h;
  }

  /** The audit path of leaf `m` in the tree of the first `size` leaves (RFC 6962 PATH). */
  path(m: number, size = this.leaves.length, start = 0): Buffer[] {
    if (size === 1) return [];
    const k = split(size);
    return m < k ? [...this.path(m, k, start), this.root(start + k, size - k)] : [...this.path(m - k, size - k, start + k), this.root(start, k)];
  }
}

export interface LogKeys {
  privateKey: KeyObject;
  /** DER SPKI of the log key (its sha256 is the log ID). */
  publicKeyDer: Buffer;
  /** The checkpoint origin's host part (stable across sandbox starts). */
  host: string;
}

/**
 * A signed note over the tree head (C2SP checkpoint): origin line, size, root, any
 * extension lines; one signature whose 4-byte key hint is the log ID's prefix,
 * where Sigstore verifiers look for it.
 */
export function signCheckpoint(keys: Pick<LogKeys, 'privateKey' | 'host'>, logID: Buffer, origin: string, treeSize: number, rootHash: Buffer, extra: string[] = []): string {
  const note = [origin, `${treeSize}`, rootHash.toString('base64'), ...extra, ''].join('\n');
  return [note, `\u2014 ${keys.host} ${Buffer.concat([logID.subarray(0, 4), sign('sha256', Buffer.from(note), keys.privateKey)]).toString('base64')}`, ''].join('\n');
}

/** A Rekor v1 entry response ({uuid: entry}) for a proposed entry, appended to `tree`. */
export function appendEntry(tree: MerkleTree, keys: LogKeys, proposed: unknown, now = Date.now()): Record<string, unknown> {
  const body = Buffer.from(stableJson(proposed));
  const logIndex = tree.append(body);
  const treeSize = tree.size;
  const integratedTime = Math.floor(now / 1000);
  const logID = sha256(keys.publicKeyDer);
  const setPayload = Buffer.from(stableJson({ body: body.toString('base64'), integratedTime, logID: logID.toString('hex'), logIndex }));
  const rootHash = tree.root();
  const checkpoint = signCheckpoint(keys, logID, `${keys.host} - 1`, treeSize, rootHash, [`Timestamp: ${integratedTime * 1_000_000_000}`]);
  const uuid = leafHash(body).toString('hex');
  return {
    [uuid]: {
      body: body.toString('base64'),
      integratedTime,
      logID: logID.toString('hex'),
      logIndex,
      verification: {
        signedEntryTimestamp: sign('sha256', setPayload, keys.privateKey).toString('base64'),
        inclusionProof: { logIndex, treeSize, rootHash: rootHash.toString('hex'), hashes: tree.path(logIndex).map((h) => h.toString('hex')), checkpoint },
      },
    },
  };
}
