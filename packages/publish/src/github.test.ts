import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { isOrelError, type PutRequest, type Reporter } from '@orel/core';
import { startGitHubServer, type GitHubServer } from '@orel/github-server';
import { createGitHubPublisher, type GitHubPublisherOptions } from './github.js';
import type { GitHubTarget } from './github-assets.js';

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const fixtures = join(dirname(createRequire(import.meta.url).resolve('@octokit/fixtures/package.json')), 'scenarios/api.github.com');

function lines(): Reporter & { lines: string[] } {
  const out: string[] = [];
  const push = (m: string) => void out.push(m);
  return { lines: out, info: push, warn: push, debug: push, stepStart() {}, stepEnd() {}, progress() {} };
}

async function readAll(s: AsyncIterable<Buffer | Uint8Array>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks);
}

describe('GitHub release publisher', () => {
  let gh: GitHubServer;
  let dir: string;
  let files: PutRequest[];
  let repo = 0;
  let target: GitHubTarget;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'orel-gh-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  beforeEach(async () => {
    gh = await startGitHubServer();
    repo++;
    target = { name: 'gh', url: `github://acme/tool${repo}`, endpoint: gh.url, tag: 'v1.2.0', title: 'Tool 1.2.0', body: 'Release notes.' };
    files = ['tool-linux-amd64.tar.gz', 'tool-linux-amd64.tar.gz.sigstore.json', 'SHA256SUMS', 'VERIFY.md'].map((name, i) => {
      const data = Buffer.from(name === 'VERIFY.md' ? '## Verify\n\ncosign verify-blob ...\n' : `${name} ${'x'.repeat(1000 * (i + 1))}\n`);
      const path = join(dir, `${repo}-${name}`);
      writeFileSync(path, data);
      return { key: `release/v1.2.0/${name}`, source: { path }, size: data.length, sha256: sha256(data) };
    });
  });
  afterEach(() => gh.close());

  const publisher = (t: Partial<GitHubTarget> = {}, o: Partial<GitHubPublisherOptions> = {}) =>
    createGitHubPublisher({ ...target, ...t }, { token: gh.token, prerelease: false, retry: { baseMs: 20 }, ...o });
  const owner = 'acme';
  const repoName = () => `tool${repo}`;
  const writes = () => gh.requests.filter((r) => r.method !== 'GET');
  const uploads = () => gh.requests.filter((r) => r.upload);

  it('creates one draft, uploads every asset to upload_url, and a re-run uploads nothing', async () => {
    const p = publisher();
    const results = await Promise.all(files.map((f) => p.put(f)));
    assert.deepEqual(results.map((r) => r.status), ['created', 'created', 'created', 'created']);
    const [rel] = gh.releases(owner, repoName()) as any[];
    assert.equal(rel.draft, true);
    assert.deepEqual(
      gh.assets(owner, repoName(), rel.id).map((a) => [a.name, a.sha256]).sort(),
      files.map((f) => [f.key.split('/').pop(), f.sha256]).sort(),
    );
    assert.ok(uploads().every((u) => u.path.startsWith(`/uploads/repos/${owner}/${repoName()}/releases/${rel.id}/assets?name=`)));
    assert.equal(results[0].location, `${new URL(gh.url).origin}/acme/${repoName()}/releases/download/v1.2.0/tool-linux-amd64.tar.gz`);

    const before = gh.requests.length;
    const again = publisher();
    const rerun = await Promise.all(files.map((f) => again.put(f)));
    assert.deepEqual(rerun.map((r) => r.status), ['exists', 'exists', 'exists', 'exists']);
    const during = gh.requests.slice(before);
    assert.equal(during.filter((r) => r.method !== 'GET').length, 0, 'a re-run writes nothing');
    assert.equal(gh.releases(owner, repoName()).length, 1, 'no second draft');

    // Read back from the draft (API download) and stat.
    assert.deepEqual(await readAll(await again.read(files[0].key)), readFileSync((files[0].source as { path: string }).path));
    assert.deepEqual(await again.stat(files[1].key), { size: files[1].size, sha256: files[1].sha256 });
    assert.equal(await again.stat('release/v1.2.0/missing.txt'), undefined);
  });

  it('sends the upload the way GitHub accepted it in the recorded release-assets scenario', async () => {
    const recorded: any[] = JSON.parse(readFileSync(join(fixtures, 'release-assets/normalized-fixture.json'), 'utf8'));
    const recUpload = recorded.find((r) => r.scope.startsWith('https://uploads.'));
    const recList = recorded.find((r) => r.method === 'get' && /\/releases\/\d+\/assets$/.test(r.path));
    const data = Buffer.from(recUpload.body);
    const p = publisher();
    await p.put({ key: 'test-upload.txt', source: { data }, size: data.length, sha256: sha256(data), contentType: recUpload.reqheaders['content-type'] });
    const up = uploads().find((r) => r.status === 201)!;
    const list = gh.requests.find((r) => r.method === 'GET' && /\/releases\/\d+\/assets/.test(r.path))!;
    for (const [ours, rec] of [
      [up, recUpload],
      [list, recList],
    ]) {
      assert.equal(ours.method.toLowerCase(), rec.method);
      const shape = (path: string) => path.replace(/^\/uploads/, '').replace(/\/repos\/[^/]+\/[^/]+\//, '/repos/O/R/').replace(/\/\d+\//, '/ID/').replace(/[?&](label|per_page)=[^&]*/g, '');
      assert.equal(shape(ours.path).split('?')[0], shape(rec.path).split('?')[0]);
      for (const h of ['accept', 'content-type', 'content-length']) {
        if (rec.reqheaders[h] !== undefined) assert.equal(String(ours.headers[h]), String(rec.reqheaders[h]), `${rec.method} ${h}`);
      }
      assert.match(String(ours.headers.authorization), /^token \S+$/);
    }
    assert.match(up.path, /\?name=test-upload\.txt$/);
    assert.deepEqual(gh.assets(owner, repoName(), (gh.releases(owner, repoName())[0] as any).id)[0].data, data);
  });

  it('treats a 422 already_exists with the same bytes as done', async () => {
    const p = publisher();
    await p.put(files[0]);
    // Another uploader adds files[1] behind the publisher's back.
    const rel = gh.releases(owner, repoName())[0] as any;
    const data = readFileSync((files[1].source as { path: string }).path);
    await fetch(`${gh.uploadUrl}/repos/${owner}/${repoName()}/releases/${rel.id}/assets?name=${files[1].key.split('/').pop()}`, {
      method: 'POST',
      headers: { authorization: `token ${gh.token}`, 'content-type': 'application/octet-stream' },
      body: data,
    });
    assert.equal((await p.put(files[1])).status, 'exists');
    assert.ok(uploads().some((u) => u.status === 422));
  });

  it('honours Retry-After on a secondary rate limit and x-ratelimit-reset on a primary one, without logging the token', async () => {
    const rep = lines();
    const p = publisher({}, { reporter: rep });
    await p.put(files[0]);
    gh.faults.secondaryRateLimit(1, 1, (r) => r.upload);
    await p.put(files[1]);
    const limited = gh.requests.find((r) => r.status === 403)!;
    const next = gh.requests[gh.requests.indexOf(limited) + 1];
    assert.ok(next.at - limited.at >= 950, `waited ${next.at - limited.at} ms after Retry-After: 1`);
    assert.equal(next.status, 201);

    gh.faults.primaryRateLimit(1, 1, (r) => r.upload);
    await p.put(files[2]);
    const limited2 = gh.requests.filter((r) => r.status === 403)[1];
    const next2 = gh.requests[gh.requests.indexOf(limited2) + 1];
    assert.ok(next2.at >= Math.floor(limited2.at / 1000) * 1000 + 1000 - 50, 'waited for x-ratelimit-reset');
    assert.ok(rep.lines.some((l) => /retry 1/.test(l)));
    assert.ok(rep.lines.every((l) => !l.includes(gh.token)));
  });

  it('retries 5xx and gives up with SERVICE_UNAVAILABLE', async () => {
    const p = publisher({}, { retry: { baseMs: 5, retries: 2 } });
    gh.faults.failNext(502, 1, (r) => r.upload);
    assert.equal((await p.put(files[0])).status, 'created');
    gh.faults.failNext(503, 5, (r) => r.upload);
    await assert.rejects(p.put(files[1]), (e) => isOrelError(e, 'SERVICE_UNAVAILABLE') && /SHA256SUMS|sigstore/.test(e.message));
  });

  it('refuses different bytes on a draft unless replaceDraftAssets, and always on a published release', async () => {
    await publisher().put(files[0]);
    const changed = Buffer.from('different bytes');
    const req: PutRequest = { ...files[0], source: { data: changed }, size: changed.length, sha256: sha256(changed) };
    await assert.rejects(publisher().put(req), (e) => isOrelError(e, 'PUBLISH_CONFLICT') && e.message.includes('"tool-linux-amd64.tar.gz"') && /draft/.test(e.message));
    const r = await publisher({ replaceDraftAssets: true }).put(req);
    assert.equal(r.status, 'replaced');
    const rel = gh.releases(owner, repoName())[0] as any;
    assert.deepEqual(gh.assets(owner, repoName(), rel.id)[0].data, changed);

    const p = publisher({ replaceDraftAssets: true });
    await p.put(files[3]);
    await p.finalize();
    await assert.rejects(publisher({ replaceDraftAssets: true }).put(files[0]), (e) => isOrelError(e, 'PUBLISH_CONFLICT') && /published/.test(e.message) && e.message.includes('tool-linux-amd64.tar.gz'));
    assert.deepEqual(gh.assets(owner, repoName(), rel.id)[0].data, changed, 'published bytes untouched');
    assert.equal((await publisher().put(req)).status, 'exists');
  });

  it('completes after a connection dropped mid-upload, in the same run and in a re-run', async () => {
    gh.faults.dropConnectionMidUpload(1);
    assert.equal((await publisher().put(files[1])).status, 'created');
    const rel = gh.releases(owner, repoName())[0] as any;
    assert.deepEqual(gh.assets(owner, repoName(), rel.id).map((a) => a.state), ['uploaded']);

    // "kill -9" stand-in: a run that gives up at the first broken upload leaves a starter asset...
    gh.faults.dropConnectionMidUpload(1);
    await assert.rejects(publisher({}, { retry: { retries: 0 } }).put(files[2]));
    assert.ok(gh.assets(owner, repoName(), rel.id).some((a) => a.state === 'starter'));
    // ...and the next run clears it and finishes.
    const p = publisher();
    assert.equal((await p.put(files[2])).status, 'created');
    assert.equal((await p.put(files[1])).status, 'exists');
    assert.deepEqual(gh.assets(owner, repoName(), rel.id).map((a) => [a.name, a.state]).sort(), [
      ['SHA256SUMS', 'uploaded'],
      ['tool-linux-amd64.tar.gz.sigstore.json', 'uploaded'],
    ]);
  });

  it('publishes the draft last, with title, body + VERIFY.md and pre-release flag', async () => {
    const p = publisher({}, { prerelease: true });
    for (const f of files) await p.put(f);
    const lastUpload = uploads().at(-1)!;
    await p.finalize();
    const [rel] = gh.releases(owner, repoName()) as any[];
    assert.equal(rel.draft, false);
    assert.equal(rel.prerelease, true);
    assert.equal(rel.name, 'Tool 1.2.0');
    assert.match(rel.body, /^Release notes\.\n\n## Verify\n/);
    const publish = writes().at(-1)!;
    assert.equal(publish.method, 'PATCH');
    assert.ok(publish.at >= lastUpload.at);
    // Published: anonymous download at the final URL.
    const res = await fetch(p.location(files[0].key));
    assert.equal(res.status, 200);
    assert.equal(sha256(Buffer.from(await res.arrayBuffer())), files[0].sha256);
    assert.equal(sha256(await readAll(await p.read(files[0].key))), files[0].sha256);
    const n = gh.requests.length;
    await publisher({}, { prerelease: true }).finalize();
    assert.equal(gh.requests.slice(n).filter((r) => r.method !== 'GET').length, 0, 'finalize again changes nothing');
  });

  it('hashes by download when the server returns no digest, and works with an Enterprise base URL', async () => {
    await gh.close();
    gh = await startGitHubServer({ enterprise: true, digests: false });
    assert.match(gh.url, /\/api\/v3$/);
    const p = publisher({ endpoint: gh.url });
    await p.put(files[0]);
    assert.ok(uploads()[0].path.startsWith('/api/uploads/'));
    const r = await publisher({ endpoint: gh.url }).put(files[0]);
    assert.equal(r.status, 'exists');
    assert.ok(gh.requests.some((x) => x.path.startsWith('/_storage/')), 'compared by downloading');
    assert.equal(p.location(files[0].key), `${new URL(gh.url).origin}/acme/${repoName()}/releases/download/v1.2.0/tool-linux-amd64.tar.gz`);
  });

  it('reports a bad token as PUBLISH_FAILED without the token in the message', async () => {
    const p = createGitHubPublisher(target, { token: 'ghp_wrongTokenValue123', prerelease: false });
    await assert.rejects(p.put(files[0]), (e) => isOrelError(e, 'PUBLISH_FAILED') && !e.message.includes('ghp_wrongTokenValue123'));
  });
});
