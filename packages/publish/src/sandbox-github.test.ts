import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isOrelError, type PutRequest } from '@orel/core';
import { createSandboxGitHubPublisher, readSandboxRelease } from './sandbox-github.js';

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const req = (key: string, text: string): PutRequest => {
  const data = Buffer.from(text);
  return { key, source: { data }, size: data.length, sha256: sha256(data) };
};

describe('sandbox GitHub release', () => {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'orel-sbgh-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const target = { name: 'gh', url: 'github://acme/tool', tag: 'v1.0.0', title: 'Tool 1.0.0', body: 'Notes.' };

  it('holds a draft release as a directory, keeps same bytes, refuses different ones', async () => {
    const p = createSandboxGitHubPublisher(dir, target, { prerelease: true });
    const src = join(dir, 'src.bin');
    writeFileSync(src, 'binary bytes');
    const bin: PutRequest = { key: 'bin/tool', source: { path: src }, size: 12, sha256: sha256('binary bytes') };
    const results = await Promise.all([p.put(bin), p.put(req('SHA256SUMS', 'sums')), p.put(req('VERIFY.md', '## Verify\n'))]);
    assert.deepEqual(results.map((r) => r.status), ['created', 'created', 'created']);
    const relDir = join(dir, 'acme/tool/releases/v1.0.0');
    assert.equal(readFileSync(join(relDir, 'assets/tool'), 'utf8'), 'binary bytes');
    assert.equal(results[0].location, join(relDir, 'assets/tool'));
    const rel = (await readSandboxRelease(dir, target))!;
    assert.equal(rel.draft, true);
    assert.deepEqual(rel.assets.map((a) => a.name).sort(), ['SHA256SUMS', 'VERIFY.md', 'tool']);
    assert.equal((await p.put(bin)).status, 'exists');
    await assert.rejects(p.put(req('bin/tool', 'other')), (e) => isOrelError(e, 'PUBLISH_CONFLICT') && e.message.includes('"tool"'));
    const replacing = createSandboxGitHubPublisher(dir, { ...target, replaceDraftAssets: true }, { prerelease: true });
    assert.equal((await replacing.put(req('bin/tool', 'other'))).status, 'replaced');
    assert.deepEqual(await p.stat('bin/tool'), { size: 5, sha256: sha256('other') });
    assert.equal(await p.stat('nope'), undefined);
    assert.deepEqual(readdirSync(join(relDir, 'assets')).sort(), ['SHA256SUMS', 'VERIFY.md', 'tool'], 'no partial files left');
  });

  it('publishes the draft at finalize and then never overwrites an asset', async () => {
    const p = createSandboxGitHubPublisher(dir, { ...target, replaceDraftAssets: true }, { prerelease: true });
    await p.finalize();
    const rel = (await readSandboxRelease(dir, target))!;
    assert.equal(rel.draft, false);
    assert.ok(rel.publishedAt);
    assert.equal(rel.body, 'Notes.\n\n## Verify');
    assert.equal(rel.prerelease, true);
    await assert.rejects(p.put(req('bin/tool', 'third')), (e) => isOrelError(e, 'PUBLISH_CONFLICT') && /published/.test(e.message));
    assert.equal(readFileSync(join(dir, 'acme/tool/releases/v1.0.0/assets/tool'), 'utf8'), 'other');
    const chunks: Buffer[] = [];
    for await (const c of await p.read('tool')) chunks.push(c as Buffer);
    assert.equal(Buffer.concat(chunks).toString(), 'other');
  });

  it('refuses bytes that do not match the recorded digest', async () => {
    const p = createSandboxGitHubPublisher(dir, { ...target, tag: 'v2' }, { prerelease: false });
    await assert.rejects(p.put({ ...req('a.txt', 'abc'), sha256: sha256('abd') }), (e) => isOrelError(e, 'INTEGRITY'));
    assert.ok(!existsSync(join(dir, 'acme/tool/releases/v2/assets/a.txt')));
  });
});
