// Post-publish verification checks each signature over the published bytes
// as they stream by (OpenSSL), not only over the recorded digest: a .sig or a
// bundle whose signature was swapped — made by another key, or by the release
// key over another file — fails `orel verify` naming the file, even with its
// record updated so that its own bytes pass the digest check.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { stagedRecords } from './forge.js';
import { errorLines, orel, workspace } from './helpers.js';

describe('swapped signatures fail verification', () => {
  test('a .sig or a bundle signature by another key, or for another file, fails orel verify naming it', async (t) => {
    const ws = workspace(t);
    const stage = await orel(['stage', '--plan', ws.plan, '--sandbox', ws.sandbox], { cwd: ws.dir });
    assert.equal(stage.status, 0, errorLines(stage.stderr));
    const verify = () => orel(['verify', '--plan', ws.plan, '--sandbox', ws.sandbox], { cwd: ws.dir });
    assert.equal((await verify()).status, 0);

    const dir = join(ws.sandbox, 'targets/staging/stage/1.2.0');
    const staged = await stagedRecords(ws, ws.plan, dir);
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const file = readFileSync(join(dir, 'hello-linux-amd64'));
    const foreign = sign('sha256', file, other);
    const bundle = JSON.parse(readFileSync(join(dir, 'hello-linux-amd64.sigstore.json'), 'utf8'));
    const cases: [string, string, Buffer][] = [
      ['a .sig by another key', 'hello-linux-amd64.sig', Buffer.from(foreign.toString('base64'))],
      ['the release key\'s .sig of another file', 'hello-linux-amd64.sig', readFileSync(join(dir, 'hello-linux-arm64.sig'))],
      ['a bundle signature by another key', 'hello-linux-amd64.sigstore.json', Buffer.from(JSON.stringify({ ...bundle, messageSignature: { ...bundle.messageSignature, signature: foreign.toString('base64') } }))],
    ];
    for (const [what, name, bytes] of cases) {
      staged.replace(name, bytes);
      const r = await verify();
      assert.equal(r.status, 3, `${what}\n${r.stderr}`);
      assert.match(r.stderr, /hello-linux-amd64/, what);
      staged.restore();
    }
    assert.equal((await verify()).status, 0, 'restored');
  });
});
