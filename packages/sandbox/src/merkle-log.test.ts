import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, verify } from 'node:crypto';
import { MerkleTree, appendEntry } from './merkle-log.js';

const H = (...p: Buffer[]) => p.reduce((h, b) => h.update(b), createHash('sha256')).digest();
const leaf = (d: Buffer) => H(Buffer.from([0]), d);

/** MTH straight from RFC 6962 §2.1 (no memo), as an independent reference. */
function mth(leaves: Buffer[]): Buffer {
  if (leaves.length === 1) return leaf(leaves[0]);
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return H(Buffer.from([1]), mth(leaves.slice(0, k)), mth(leaves.slice(k)));
}

/** RFC 9162 §2.1.3.2: verifies an inclusion proof. */
function verifyInclusion(index: number, size: number, leafData: Buffer, path: Buffer[], root: Buffer): boolean {
  let [fn, sn, r] = [index, size - 1, leaf(leafData)];
  for (const p of path) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = H(Buffer.from([1]), p, r);
      while (fn % 2 === 0 && fn !== 0) [fn, sn] = [fn >> 1, sn >> 1];
    } else r = H(Buffer.from([1]), r, p);
    [fn, sn] = [fn >> 1, sn >> 1];
  }
  return sn === 0 && r.equals(root);
}

test('the tree root and every inclusion proof agree with RFC 6962/9162 at every size', () => {
  const t = new MerkleTree();
  const data: Buffer[] = [];
  for (let n = 1; n <= 70; n++) {
    data.push(Buffer.from(`entry ${n}`));
    t.append(data[n - 1]);
    assert.ok(t.root().equals(mth(data)), `root at size ${n}`);
    for (const m of [0, Math.floor(n / 2), n - 1]) assert.ok(verifyInclusion(m, n, data[m], t.path(m), t.root()), `leaf ${m} of ${n}`);
  }
});

test('an appended entry carries a real index, proof, signed checkpoint and SET', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const t = new MerkleTree();
  t.append(Buffer.from('seed'));
  const res = appendEntry(t, { privateKey, publicKeyDer: publicKey.export({ format: 'der', type: 'spki' }), host: 'rekor.sandbox' }, { kind: 'hashedrekord', spec: { x: '1' } }, 1_700_000_000_000);
  const [uuid, e] = Object.entries(res)[0] as [string, any];
  const body = Buffer.from(e.body, 'base64');
  assert.equal(uuid, leaf(body).toString('hex'));
  assert.equal(e.logIndex, 1);
  const p = e.verification.inclusionProof;
  assert.equal(p.treeSize, 2);
  assert.equal(p.hashes.length, 1, 'never an empty path');
  assert.ok(verifyInclusion(1, 2, body, p.hashes.map((h: string) => Buffer.from(h, 'hex')), Buffer.from(p.rootHash, 'hex')));
  const [note, sigLine] = p.checkpoint.split('\n\n');
  assert.ok(verify('sha256', Buffer.from(`${note}\n`), publicKey, Buffer.from(sigLine.split(' ').pop()!, 'base64').subarray(4)));
});
