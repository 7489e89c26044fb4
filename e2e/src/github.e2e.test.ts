// `orel release --nomock` to a GitHub release, against the loopback GitHub
// server: every asset present and byte-identical, the draft published last,
// a re-run that uploads nothing, and a kill -9 mid-upload that a re-run heals.
import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startGitHubServer, type GitHubServer } from '@orel/github-server';
import { errorLines, orel, workspace, type Workspace } from './helpers.js';

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const RUNNER = fileURLToPath(new URL('./run-orel.mjs', import.meta.url));

function githubPlan(yaml: string, endpoint: string): string {
  const target = ['  - name: gh', '    url: github://acme/hello', `    endpoint: ${endpoint}`, '    token: ${env:OREL_TEST_GH_TOKEN}', '    title: "hello {version}"', ''].join('\n');
  // Key-signed (keyless --nomock would need public-good Sigstore), then the GitHub target.
  const signing = ['signers:', '  release-key:', '    type: key', '    key: keys/cosign.key', '', 'signing:', '  signer: release-key', '  what: artifacts', '  outputs: [bundle, sig]', ''].join('\n');
  return yaml.replace(/\nsigners:\n[\s\S]*?\ntargets:\n/, `\n${signing}\ntargets:\n${target}`).replace(/release:\n {4}targets: \[release\]/, 'release:\n    targets: [release, gh]');
}

describe('orel release --nomock to a GitHub release', () => {
  let gh: GitHubServer;
  beforeEach(async () => (gh = await startGitHubServer()));
  afterEach(() => gh.close());
  let ws: Workspace;
  beforeEach((t) => {
    ws = workspace(t as any);
    // --nomock signs with the plan's key file: a fresh unencrypted P-256 key.
    mkdirSync(join(ws.dir, 'keys'), { recursive: true });
    writeFileSync(join(ws.dir, 'keys/cosign.key'), generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }));
  });
  const env = () => ({ OREL_TEST_GH_TOKEN: gh.token, COSIGN_PASSWORD: 'unused-for-unencrypted-keys' });

  const release = (plan: string, extra: string[] = []) =>
    orel(['release', '--plan', plan, '--nomock', '--json', ...extra], { cwd: ws.dir, env: env() });

  test('publishes every asset byte for byte, the draft last; a re-run uploads nothing', async () => {
    const plan = ws.variant('gh1.yaml', (y) => githubPlan(y, gh.url));
    const run = await release(plan);
    assert.equal(run.status, 0, errorLines(run.stderr) + run.stderr.slice(-2000));
    assert.ok(!run.stderr.includes(gh.token) && !run.stdout.includes(gh.token), 'token never printed');
    const [rel] = gh.releases('acme', 'hello') as any[];
    assert.equal(rel.draft, false);
    assert.equal(rel.tag_name, 'v1.2.0');
    assert.equal(rel.name, 'hello 1.2.0');
    assert.match(rel.body, /# Verifying hello 1\.2\.0/, 'VERIFY.md is in the release body');
    const assets = gh.assets('acme', 'hello', rel.id);
    // Byte-identical to the release target's copy (which the skeleton e2e checks independently).
    const dir = join(ws.dir, 'out/release/release/v1.2.0');
    assert.ok(assets.length >= 10, `assets: ${assets.map((a) => a.name).join(', ')}`);
    for (const a of assets) {
      assert.equal(a.state, 'uploaded');
      assert.equal(sha256(a.data), sha256(readFileSync(join(dir, a.name))), a.name);
    }
    // Published last: the PATCH that publishes comes after every upload.
    const writes = gh.requests.filter((r) => r.method !== 'GET');
    assert.equal(writes.at(-1)!.method, 'PATCH');
    assert.ok(writes.slice(0, -1).every((w) => w.method !== 'PATCH'));

    const before = gh.requests.length;
    const again = await release(plan);
    assert.equal(again.status, 0, errorLines(again.stderr) + again.stderr.slice(-3000));
    assert.deepEqual(gh.requests.slice(before).filter((r) => r.method !== 'GET'), [], 'a re-run writes nothing');
  });

  test('never touches a release orel did not create: a foreign published release for the tag is refused before any write', async () => {
    const res = await fetch(`${gh.url}/repos/acme/hello/releases`, {
      method: 'POST',
      headers: { authorization: `token ${gh.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ tag_name: 'v1.2.0', name: 'theirs', body: 'their notes', draft: false }),
    });
    assert.equal(res.status, 201);
    const plan = ws.variant('gh-foreign.yaml', (y) => githubPlan(y, gh.url));
    const run = await release(plan);
    assert.equal(run.status, 4, errorLines(run.stderr) + run.stderr.slice(-2000));
    assert.match(errorLines(run.stderr), /v1\.2\.0 .*orel did not create/);
    const [rel] = gh.releases('acme', 'hello') as any[];
    assert.equal(rel.name, 'theirs');
    assert.equal(rel.body, 'their notes');
    assert.deepEqual(gh.assets('acme', 'hello', rel.id), [], 'no asset uploaded');
    assert.equal(existsSync(join(ws.dir, 'out/release/release/v1.2.0')), false, 'no other release target was written either');
  });

  test('a conflict anywhere is found before anything is written: no draft is opened on GitHub', async () => {
    const plan = ws.variant('gh-squat.yaml', (y) => githubPlan(y, gh.url));
    const st = await orel(['stage', '--plan', plan, '--nomock'], { cwd: ws.dir, env: env() });
    assert.equal(st.status, 0, errorLines(st.stderr));
    const dir = join(ws.dir, 'out/release/release/v1.2.0');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'SHA256SUMS'), 'squatted\n');
    const run = await release(plan);
    assert.equal(run.status, 4, errorLines(run.stderr) + run.stderr.slice(-2000));
    assert.deepEqual(gh.releases('acme', 'hello'), [], 'no draft was opened');
    assert.deepEqual(readdirSync(dir), ['SHA256SUMS'], 'nothing else was promoted');
  });

  test('kill -9 mid-upload, then a re-run completes', async () => {
    const plan = ws.variant('gh2.yaml', (y) => githubPlan(y, gh.url).replace('name: hello\n', 'name: hello\n  buildId: killed\n'));
    gh.faults.stallMidUpload(1);
    const child = spawn(process.execPath, ['--conditions=development', '--import', import.meta.resolve('tsx'), RUNNER, 'release', '--plan', plan, '--nomock'], {
      cwd: ws.dir,
      env: { ...process.env, ...env(), METADATA_SERVER_DETECTION: 'none' },
      stdio: 'ignore',
    });
    const exited = new Promise<void>((r) => child.on('exit', () => r()));
    const deadline = Date.now() + 90_000;
    while (!gh.requests.some((r) => r.upload && r.status === -1) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.ok(gh.requests.some((r) => r.status === -1), 'an upload was in flight');
    child.kill('SIGKILL');
    await exited;
    const [rel] = gh.releases('acme', 'hello') as any[];
    assert.equal(rel.draft, true, 'the release stays a draft');
    assert.ok(gh.assets('acme', 'hello', rel.id).some((a) => a.state === 'starter'), 'a broken upload was left behind');

    const run = await release(plan);
    assert.equal(run.status, 0, errorLines(run.stderr) + run.stderr.slice(-2000));
    const [done] = gh.releases('acme', 'hello') as any[];
    assert.equal(done.draft, false);
    const assets = gh.assets('acme', 'hello', done.id);
    assert.ok(assets.every((a) => a.state === 'uploaded'));
    const dir = join(ws.dir, 'out/release/release/v1.2.0');
    for (const a of assets) assert.equal(sha256(a.data), sha256(readFileSync(join(dir, a.name))), a.name);
  });

  test('the orel commands in VERIFY.md work as written on the downloaded assets', async (t) => {
    const plan = ws.variant('gh3.yaml', (y) => githubPlan(y, gh.url));
    const run = await release(plan);
    assert.equal(run.status, 0, errorLines(run.stderr));
    const [rel] = gh.releases('acme', 'hello') as any[];
    const notes = gh.assets('acme', 'hello', rel.id).find((a) => a.name === 'VERIFY.md');
    if (!notes) return t.skip('this build publishes no VERIFY.md yet (notes step not registered)');
    // Download like a user: every asset into an empty directory, by its browser_download_url.
    const dl = join(ws.dir, 'downloads');
    mkdirSync(dl, { recursive: true });
    for (const a of rel.assets) writeFileSync(join(dl, a.name), Buffer.from(await (await fetch(a.browser_download_url)).arrayBuffer()));
    const { extractCommands, shellWords } = await import('@orel/release');
    const cmds = extractCommands(notes.data.toString('utf8')).filter((c: string) => c.startsWith('orel '));
    assert.ok(cmds.length > 0, 'VERIFY.md has orel commands');
    for (const c of cmds) {
      const r = await orel(shellWords(c).slice(1), { cwd: dl });
      assert.equal(r.status, 0, `${c}\n${r.stderr}`);
    }
  });
});
