// `orel stage` and `orel release` --nomock against the GCS test server:
// every object in place, markers last, re-runs change nothing, a tampered
// staged object or a foreign object at a release path stops the release.
import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startGcsServer, type GcsServer } from '@orel/gcs-server';
import { generateKeyPair } from '@orel/sign';
import { errorLines, orel, workspace, type Workspace } from './helpers.js';

const RUNNER = fileURLToPath(new URL('./run-orel.mjs', import.meta.url));
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const KEY_PASSWORD_LINE = '    password: ${env:COSIGN_PASSWORD}\n';

/** The quickstart with both targets on GCS and an unencrypted key of its own. */
function gcsPlan(ws: Workspace, name: string, endpoint: string, buildId: string): string {
  mkdirSync(join(ws.dir, 'keys'), { recursive: true });
  writeFileSync(join(ws.dir, 'keys/cosign.key'), generateKeyPair().privateKeyPem);
  return ws.variant(name, (y) =>
    y
      .replace(KEY_PASSWORD_LINE, '')
      .replace('name: hello\n', `name: hello\n  buildId: ${buildId}\n`)
      .replace('url: file://out/staging', `url: gs://orel-staging/stage\n    endpoint: ${endpoint}`)
      .replace('url: file://out/release', `url: gs://orel-release\n    endpoint: ${endpoint}`),
  );
}

describe('orel stage / release --nomock to GCS', () => {
  let gcs: GcsServer;
  beforeEach(async () => (gcs = await startGcsServer({ buckets: ['orel-staging', 'orel-release'] })));
  afterEach(() => gcs.close());
  // A workspace per test: the journal and state of one run must not leak into the next.
  let ws: Workspace;
  beforeEach((t) => void (ws = workspace(t as unknown as { after: (fn: () => void) => void })));
  const run = (cmd: string, plan: string) => orel([cmd, '--plan', plan, '--nomock', '--json'], { cwd: ws.dir, env: { COSIGN_PASSWORD: undefined } });
  const generations = (bucket: string) => new Map([...gcs.objects(bucket)].map(([k, o]) => [k, o.generation]));

  test('stage then release: every object in place, markers last; a re-run changes no generation', async () => {
    const plan = gcsPlan(ws, 'gcs1.yaml', gcs.url, 'b1');
    const staged = await run('stage', plan);
    assert.equal(staged.status, 0, errorLines(staged.stderr) + staged.stderr.slice(-3000));
    const stageObjects = [...gcs.objects('orel-staging').keys()];
    assert.ok(stageObjects.length >= 10, `staged: ${stageObjects.join(', ')}`);
    const released = await run('release', plan);
    assert.equal(released.status, 0, errorLines(released.stderr) + released.stderr.slice(-3000));
    const rel = gcs.objects('orel-release');
    const files = [...rel.keys()].filter((k) => k.startsWith('release/v1.2.0/'));
    assert.ok(files.length >= 10, `released: ${[...rel.keys()].join(', ')}`);
    // Byte-identical to the staged copies, by name.
    for (const k of files) {
      const name = k.split('/').pop()!;
      const s = stageObjects.find((o) => o.endsWith(`/${name}`));
      if (s) assert.equal(rel.get(k)!.md5Hash, gcs.objects('orel-staging').get(s)!.md5Hash, k);
      assert.match(rel.get(k)!.metadata?.sha256 ?? '', /^[0-9a-f]{64}$/, k);
    }
    // SHA256SUMS lists every file it names with the right digest.
    const sums = (await gcs.readObject('orel-release', 'release/v1.2.0/SHA256SUMS')).toString();
    for (const line of sums.trim().split('\n')) {
      const [hex, name] = line.split(/\s+\*?/);
      assert.equal(sha256(await gcs.readObject('orel-release', `release/v1.2.0/${name}`)), hex, name);
    }
    // Markers: right content, no-cache, written after every release object.
    assert.equal((await gcs.readObject('orel-release', 'release/stable.txt')).toString(), 'v1.2.0');
    assert.equal((await gcs.readObject('orel-release', 'release/latest-1.2.txt')).toString(), 'v1.2.0');
    assert.equal(rel.get('release/stable.txt')!.cacheControl, 'no-cache, max-age=0');
    const lastObject = Math.max(...files.map((k) => rel.get(k)!.generation));
    assert.ok(rel.get('release/stable.txt')!.generation > lastObject, 'markers written last');

    const before = { stage: generations('orel-staging'), release: generations('orel-release') };
    const st = await run('stage', plan);
    assert.equal(st.status, 0, errorLines(st.stderr) + st.stderr.slice(-1500));
    const again = await run('release', plan);
    assert.equal(again.status, 0, errorLines(again.stderr));
    assert.deepEqual(generations('orel-staging'), before.stage, 'a re-run changes no staged generation');
    assert.deepEqual(generations('orel-release'), before.release, 'a re-run changes no released generation');
  });

  test('with a publicUrl, verification downloads over HTTP as an end user would, and catches a changed object', async () => {
    const base = readFileSync(gcsPlan(ws, 'gcs-public-base.yaml', gcs.url, 'b1'), 'utf8');
    const plan = join(ws.dir, 'gcs-public.yaml');
    writeFileSync(plan, base.replace('url: gs://orel-release\n', `url: gs://orel-release\n    publicUrl: ${gcs.url}/orel-release/{path}\n`));
    const released = await run('release', plan);
    assert.equal(released.status, 0, errorLines(released.stderr) + released.stderr.slice(-3000));
    const plainGets = gcs.stats.requests.filter((r) => r.method === 'GET' && r.path.startsWith('/orel-release/release/v1.2.0/'));
    assert.ok(plainGets.length >= 10, `public downloads: ${plainGets.length}`);
    // Someone replaces a released object behind orel's back: verify names it.
    gcs.putObject('orel-release', 'release/v1.2.0/hello-linux-amd64', 'not the released bytes');
    const verified = await run('verify', plan);
    assert.equal(verified.status, 3, verified.stderr);
    assert.match(verified.stderr, /hello-linux-amd64 \(http:\/\/127\.0\.0\.1:\d+\/orel-release\/release\/v1\.2\.0\/hello-linux-amd64\)/);
  });

  test('a tampered staged object stops the release, naming it', async () => {
    const plan = gcsPlan(ws, 'gcs2.yaml', gcs.url, 'b2');
    const st = await run('stage', plan);
    assert.equal(st.status, 0, errorLines(st.stderr) + st.stderr.slice(-1500));
    const victim = [...gcs.objects('orel-staging').keys()].find((k) => k.endsWith('.tar.gz'))!;
    gcs.putObject('orel-staging', victim, 'tampered bytes');
    const r = await run('release', plan);
    assert.notEqual(r.status, 0);
    assert.ok(r.stderr.includes(victim.split('/').pop()!), errorLines(r.stderr));
    assert.equal([...gcs.objects('orel-release').keys()].filter((k) => k.endsWith('.txt')).length, 0, 'no markers');
  });

  test('a different object already at a release path is refused and left unchanged', async () => {
    const plan = gcsPlan(ws, 'gcs3.yaml', gcs.url, 'b3');
    const st = await run('stage', plan);
    assert.equal(st.status, 0, errorLines(st.stderr) + st.stderr.slice(-1500));
    const squatter = gcs.putObject('orel-release', 'release/v1.2.0/SHA256SUMS', 'not ours\n');
    const r = await run('release', plan);
    assert.equal(r.status, 4, errorLines(r.stderr) + r.stderr.slice(-2000));
    assert.match(r.stderr, /gs:\/\/orel-release\/release\/v1\.2\.0\/SHA256SUMS/);
    const now = gcs.objects('orel-release').get('release/v1.2.0/SHA256SUMS')!;
    assert.equal(now.generation, squatter.generation);
    assert.equal((await gcs.readObject('orel-release', 'release/v1.2.0/SHA256SUMS')).toString(), 'not ours\n');
    assert.equal(gcs.objects('orel-release').has('release/stable.txt'), false, 'no markers');
  });

  test('bytes, not labels: an object at a release path with the right size and metadata.sha256 but other bytes is refused', async () => {
    const plan = gcsPlan(ws, 'gcs5.yaml', gcs.url, 'b5');
    const st = await run('stage', plan);
    assert.equal(st.status, 0, errorLines(st.stderr) + st.stderr.slice(-1500));
    const stagedKey = [...gcs.objects('orel-staging').keys()].find((k) => k.endsWith('/SHA256SUMS'))!;
    const real = await gcs.readObject('orel-staging', stagedKey);
    const forged = Buffer.from(real.toString().replace(/^[0-9a-f]/, (c) => (c === '0' ? '1' : '0')));
    assert.equal(forged.length, real.length);
    const squatter = gcs.putObject('orel-release', 'release/v1.2.0/SHA256SUMS', forged, { metadata: { sha256: sha256(real) } });
    const r = await run('release', plan);
    assert.equal(r.status, 4, errorLines(r.stderr) + r.stderr.slice(-2000));
    assert.equal(gcs.objects('orel-release').get('release/v1.2.0/SHA256SUMS')!.generation, squatter.generation, 'left as it was');
    assert.equal(gcs.objects('orel-release').has('release/stable.txt'), false, 'no markers');
  });

  test('reads are retried: a connection reset while reading a published object back does not fail the stage', async () => {
    const plan = gcsPlan(ws, 'gcs6.yaml', gcs.url, 'b6');
    gcs.faults.dropConnectionMidDownload(2, '.tar.gz');
    // The GCS client never ends a cut download; orel cuts a read idle this long and retries it.
    const st = await orel(['stage', '--plan', plan, '--nomock', '--json'], { cwd: ws.dir, env: { COSIGN_PASSWORD: undefined, OREL_GCS_READ_IDLE_MS: '500' } });
    assert.equal(st.status, 0, errorLines(st.stderr) + st.stderr.slice(-1500));
    assert.ok(st.json().verified);
    const media = gcs.stats.requests.filter((q) => q.method === 'GET' && q.path.includes('alt=media') && q.path.includes('.tar.gz'));
    assert.ok(media.length > new Set(media.map((q) => q.path)).size, 'some download was made again');
  });

  test('kill -9 mid-release, then a re-run ends complete and verified', async () => {
    const plan = gcsPlan(ws, 'gcs4.yaml', gcs.url, 'b4');
    const st = await run('stage', plan);
    assert.equal(st.status, 0, errorLines(st.stderr) + st.stderr.slice(-1500));
    // Slow the copies down so the kill lands mid-promotion.
    gcs.faults.failNext({ pathIncludes: '/rewriteTo/' }, 503, 4, { 'Retry-After': '1' });
    const child = spawn(process.execPath, ['--conditions=development', '--import', import.meta.resolve('tsx'), RUNNER, 'release', '--plan', plan, '--nomock'], {
      cwd: ws.dir,
      env: { ...process.env, METADATA_SERVER_DETECTION: 'none', COSIGN_PASSWORD: '' },
      stdio: 'ignore',
    });
    const exited = new Promise<void>((r) => child.on('exit', () => r()));
    const deadline = Date.now() + 60_000;
    while (!gcs.stats.requests.some((r) => r.path.includes('/rewriteTo/') && r.status === 200) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    child.kill('SIGKILL');
    await exited;
    const partial = gcs.objects('orel-release');
    assert.ok(partial.size >= 1, 'some objects were promoted before the kill');
    assert.equal(partial.has('release/stable.txt'), false, 'no marker before verification');
    const gens = new Map([...partial].map(([k, o]) => [k, o.generation]));
    const r = await run('release', plan);
    assert.equal(r.status, 0, errorLines(r.stderr) + r.stderr.slice(-2000));
    const done = gcs.objects('orel-release');
    for (const [k, g] of gens) assert.equal(done.get(k)!.generation, g, `${k} untouched by the re-run`);
    assert.equal((await gcs.readObject('orel-release', 'release/stable.txt')).toString(), 'v1.2.0');
    assert.ok(r.json().verified, 'verified');
  });
});
