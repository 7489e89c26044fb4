import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startGitHubServer, type GitHubServer } from './index.js';

// GitHub's recorded traffic (@octokit/fixtures): our server must answer the
// same requests with the same statuses and at least the same fields.
const fixturesDir = join(dirname(createRequire(import.meta.url).resolve('@octokit/fixtures/package.json')), 'scenarios/api.github.com');
const scenario = (name: string): any[] => JSON.parse(readFileSync(join(fixturesDir, name, 'normalized-fixture.json'), 'utf8'));

describe('github test server', () => {
  let gh: GitHubServer;
  before(async () => (gh = await startGitHubServer()));
  after(() => gh.close());

  const call = (method: string, path: string, init: { headers?: Record<string, string>; body?: string | Buffer; base?: string } = {}) =>
    fetch((init.base ?? gh.url) + path, {
      method,
      redirect: 'manual',
      headers: { authorization: `token ${gh.token}`, accept: 'application/vnd.github.v3+json', ...init.headers },
      body: init.body,
    });

  for (const name of ['release-assets', 'release-assets-conflict']) {
    it(`answers the recorded ${name} scenario like GitHub`, async () => {
      const owner = 'octokit-fixture-org';
      // The scenario starts from a published v1.0.0 release with no assets (and, for -conflict, one asset).
      const created = await (await call('POST', `/repos/${owner}/${name}/releases`, { body: JSON.stringify({ tag_name: 'v1.0.0', name: 'Version 1.0.0', body: 'Initial release' }) })).json() as any;
      if (name === 'release-assets-conflict') {
        const up = new URL(created.upload_url.replace(/\{.*\}$/, ''));
        up.search = 'name=test-upload.txt';
        await fetch(up, { method: 'POST', headers: { authorization: `token ${gh.token}`, 'content-type': 'text/plain' }, body: 'Hello, world!\n' });
      }
      let assetId = 0;
      for (const rec of scenario(name)) {
        const upload = rec.scope.startsWith('https://uploads.');
        const path = rec.path.replace('/releases/1000', `/releases/${created.id}`).replace('/assets/1000', `/assets/${assetId}`);
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(rec.reqheaders)) if (k !== 'host' && k !== 'authorization') headers[k] = String(v);
        const body = rec.body === '' ? undefined : typeof rec.body === 'string' ? rec.body : JSON.stringify(rec.body);
        const res = await call(rec.method.toUpperCase(), path, { headers, body, base: upload ? gh.uploadUrl : gh.url });
        assert.equal(res.status, rec.status, `${rec.method} ${rec.path}`);
        if (rec.status === 204) continue;
        const got = await res.json() as any;
        const want = rec.response;
        const shape = (x: any) => (Array.isArray(x) ? x[0] : x);
        for (const key of Object.keys(shape(want))) {
          if (key === 'request_id') continue;
          assert.ok(key in shape(got), `${rec.method} ${rec.path}: response lacks "${key}"`);
        }
        if (want.errors) assert.deepEqual(got.errors, want.errors);
        if (shape(got)?.name === 'test-upload.txt' && shape(got).state === 'uploaded') assetId = shape(got).id;
        if (rec.method === 'post' && rec.status === 201) assert.equal(got.size, 14);
      }
    });
  }

  it('hides drafts from get-by-tag, allows several drafts per tag, refuses a second published release', async () => {
    const create = (b: object) => call('POST', '/repos/o/r/releases', { body: JSON.stringify(b) });
    const d1 = await (await create({ tag_name: 'v2', draft: true })).json() as any;
    assert.equal((await create({ tag_name: 'v2', draft: true })).status, 201);
    assert.equal((await call('GET', '/repos/o/r/releases/tags/v2')).status, 404);
    assert.match(d1.html_url, /\/releases\/tag\/untagged-/);
    const pub = await (await call('PATCH', `/repos/o/r/releases/${d1.id}`, { body: JSON.stringify({ draft: false }) })).json() as any;
    assert.equal(pub.draft, false);
    assert.ok(pub.published_at);
    assert.equal((await call('GET', '/repos/o/r/releases/tags/v2')).status, 200);
    const dup = await create({ tag_name: 'v2' });
    assert.equal(dup.status, 422);
    assert.equal((await dup.json() as any).errors[0].code, 'already_exists');
  });

  it('requires auth, Content-Length on uploads, and paginates assets with Link headers', async () => {
    assert.equal((await fetch(`${gh.url}/repos/o/r/releases`)).status, 401);
    const rel = await (await call('POST', '/repos/o/p/releases', { body: JSON.stringify({ tag_name: 'v3', draft: true }) })).json() as any;
    const base = rel.upload_url.replace(/\{.*\}$/, '');
    assert.ok(base.startsWith(gh.uploadUrl));
    const chunked = await fetch(`${base}?name=x`, {
      method: 'POST',
      headers: { authorization: `token ${gh.token}` },
      body: new ReadableStream({ start: (c) => (c.enqueue(new TextEncoder().encode('x')), c.close()) }),
      duplex: 'half',
    } as RequestInit);
    assert.equal(chunked.status, 411);
    for (let i = 0; i < 5; i++) {
      const r = await fetch(`${base}?name=f${i}`, { method: 'POST', headers: { authorization: `bearer ${gh.token}`, 'content-type': 'application/octet-stream' }, body: `file ${i}` });
      assert.equal(r.status, 201);
    }
    const page1 = await call('GET', `/repos/o/p/releases/${rel.id}/assets?per_page=2`);
    assert.equal((await page1.json() as any).length, 2);
    assert.match(page1.headers.get('link') ?? '', /page=2>; rel="next"/);
    // A draft's asset downloads through the API (302 to storage), not anonymously.
    const list = await (await call('GET', `/repos/o/p/releases/${rel.id}/assets?per_page=100`)).json() as any;
    assert.equal(list[0].digest, `sha256:${gh.assets('o', 'p', rel.id)[0].sha256}`);
    assert.equal((await fetch(list[0].browser_download_url)).status, 404);
    const redirect = await call('GET', `/repos/o/p/releases/assets/${list[0].id}`, { headers: { accept: 'application/octet-stream' } });
    assert.equal(redirect.status, 302);
    assert.equal(await (await fetch(redirect.headers.get('location')!)).text(), 'file 0');
  });

  it('injects secondary rate limits and dropped uploads', async () => {
    gh.faults.secondaryRateLimit(1, 3);
    const limited = await call('POST', '/repos/o/q/releases', { body: JSON.stringify({ tag_name: 'v4', draft: true }) });
    assert.equal(limited.status, 403);
    assert.equal(limited.headers.get('retry-after'), '3');
    assert.match((await limited.json() as any).message, /secondary rate limit/);
    const rel = await (await call('POST', '/repos/o/q/releases', { body: JSON.stringify({ tag_name: 'v4', draft: true }) })).json() as any;
    gh.faults.dropConnectionMidUpload(1);
    const base = rel.upload_url.replace(/\{.*\}$/, '');
    await assert.rejects(fetch(`${base}?name=big`, { method: 'POST', headers: { authorization: `token ${gh.token}` }, body: Buffer.alloc(64 * 1024, 1) }));
    assert.deepEqual(gh.assets('o', 'q', rel.id).map((a) => [a.name, a.state]), [['big', 'starter']]);
  });
});
