import assert from 'node:assert/strict';
import { createHash, createPublicKey, verify } from 'node:crypto';
import { describe, it } from 'node:test';
import { buildTufRepo, serveTufRepo } from './tuf-repo.js';

const sortedJson = (v: unknown): string =>
  Array.isArray(v) ? `[${v.map(sortedJson).join(',')}]` : v && typeof v === 'object' ? `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${sortedJson((v as Record<string, unknown>)[k])}`).join(',')}}` : JSON.stringify(v);

describe('TUF repository', () => {
  it('signs every role with the root key over canonical JSON, names the target by length and sha256, and serves it', async () => {
    const target = Buffer.from('{"mediaType":"trusted root"}');
    const repo = buildTufRepo({ 'trusted_root.json': target });
    const root = JSON.parse(repo.rootJson.toString());
    const [keyid] = Object.keys(root.signed.keys);
    assert.equal(keyid, createHash('sha256').update(sortedJson(root.signed.keys[keyid])).digest('hex'));
    const der = Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), Buffer.from(root.signed.keys[keyid].keyval.public, 'hex')]);
    const key = createPublicKey({ key: der, format: 'der', type: 'spki' });
    for (const name of ['root.json', 'targets.json', 'snapshot.json', 'timestamp.json']) {
      const m = JSON.parse(repo.files.get(name)!.toString());
      assert.equal(m.signatures[0].keyid, keyid, name);
      assert.ok(verify(null, Buffer.from(sortedJson(m.signed)), key, Buffer.from(m.signatures[0].sig, 'hex')), name);
    }
    const targets = JSON.parse(repo.files.get('targets.json')!.toString()).signed.targets;
    assert.deepEqual(targets['trusted_root.json'], { length: target.length, hashes: { sha256: createHash('sha256').update(target).digest('hex') } });
    const served = await serveTufRepo(repo);
    try {
      assert.deepEqual(Buffer.from(await (await fetch(`${served.url}/targets/trusted_root.json`)).arrayBuffer()), target);
      assert.equal((await fetch(`${served.url}/2.root.json`)).status, 404, 'no newer root');
    } finally {
      await served.close();
    }
  });
});
