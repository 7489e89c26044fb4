// The kill -9 sweep: a 300-artifact keyless release is killed again and
// again at increasing points (counted in journal records, so the kills land
// in every step: signing, logging, publishing, recording, promoting,
// verifying, markers), re-run each time, and must end complete and verified
// with every object written once, one Rekor entry per signature and no
// stray files. Mock mode (no build id: the re-runs must find the build) and
// --nomock against the GCS test server and a private (sandbox) Sigstore.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGcsServer } from '@orel/gcs-server';
import { startSandboxSigstore } from '@orel/sandbox';
import { errorLines, killAt, orel, snapshot } from './helpers.js';

const N = 300;
const IDENTITY = 'https://github.com/example/many/.github/workflows/release.yml@refs/tags/v2.0.0';
const ISSUER = 'https://token.actions.githubusercontent.com';
// Journal records at which a run is killed (a run that finishes first is not killed again).
const KILL_AT = [1, 40, 150, 290, 320, 500, 800, 1100, 1400, 1700, 2000, 2300, 2600, 2900, 3200, 3500, 3800];

function workspaceWith(t: { after: (fn: () => void) => void }, targets: string, signer: string): { dir: string; plan: string } {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'orel-sweep-')));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'dist'));
  for (let i = 0; i < N; i++) writeFileSync(join(dir, 'dist', `f-${String(i).padStart(3, '0')}.bin`), randomBytes(512 + i));
  const plan = join(dir, 'release.yaml');
  writeFileSync(
    plan,
    [
      'apiVersion: orel.dev/v1',
      'release: { name: many, version: 2.0.0 }',
      'artifacts: { root: dist, sets: [{ name: files, kind: other, include: ["*.bin"] }] }',
      'checksums: { files: [{ name: SHA256SUMS, algorithm: sha256 }] }',
      `signers: { sigstore: { type: keyless${signer} } }`,
      'signing: { signer: sigstore, what: artifacts, outputs: [bundle, sig, cert] }',
      `verification: { identity: "${IDENTITY}", issuer: "${ISSUER}"${signer ? ', trustedRoot: TRUSTED_ROOT' : ''} }`,
      'targets:',
      targets,
      'markers: { files: [release/stable.txt] }',
      'stages: { stage: { targets: [staging] }, release: { targets: [release] } }',
      '',
    ].join('\n'),
  );
  return { dir, plan };
}

/** Files of a directory target (temp files included, so strays are seen). */
const tree = (dir: string) => (existsSync(dir) ? snapshot(dir) : new Map());

describe('kill -9 sweep over a 300-artifact keyless release', () => {
  test('mock mode, no build id: every kill resumes; each file written once; complete and verified', async (t) => {
    const { dir, plan } = workspaceWith(t, ['  - { name: staging, url: "file://out/staging" }', '  - { name: release, url: "file://out/release", layout: { default: "release/v{version}/{name}" } }'].join('\n'), '');
    const sandbox = join(dir, 'sandbox');
    const args = ['release', '--plan', plan, '--sandbox', sandbox];
    const targets = join(sandbox, 'targets');
    let kills = 0;
    // Inodes of every file seen after a kill: a file once in place is never written again.
    const seen = new Map<string, number>();
    for (const at of KILL_AT) {
      if (await killAt(args, dir, {}, join(sandbox, 'state'), at)) kills++;
      for (const [f, s] of tree(targets)) if (!f.includes('.orel-tmp') && !f.endsWith('stable.txt')) seen.set(f, s.ino);
    }
    const last = await orel([...args, '--json'], { cwd: dir });
    assert.equal(last.status, 0, errorLines(last.stderr) + last.stderr.slice(-2000));
    assert.ok(kills >= 10, `${kills} kills landed`);
    t.diagnostic(`mock mode: ${kills} kill -9 points, then a clean finish`);
    const final = tree(targets);
    for (const [f, ino] of seen) assert.equal(final.get(f)?.ino, ino, `${f} was written again after a kill`);
    assert.ok(![...final.keys()].some((f) => f.includes('.orel-tmp')), 'no stray temp files');
    const builds = readdirSync(join(targets, 'staging/stage/2.0.0'));
    assert.equal(builds.length, 1, `one build staged (${builds.join(', ')})`);
    // (The mock-mode Rekor lives as long as each process; the --nomock case below counts log entries.)
    const v = await orel(['verify', '--plan', plan, '--sandbox', sandbox, '--json'], { cwd: dir });
    assert.equal(v.status, 0, errorLines(v.stderr));
    assert.equal(v.json().verified, true);
    assert.equal(statSync(join(targets, 'release/release/v2.0.0/SHA256SUMS')).isFile(), true);
  });

  test('--nomock against the GCS test server and a private Sigstore: each object written once, one entry per signature', async (t) => {
    const gcs = await startGcsServer({ buckets: ['sweep-staging', 'sweep-release'] });
    const sigDir = mkdtempSync(join(tmpdir(), 'orel-sweep-sigstore-'));
    const sb = await startSandboxSigstore({ dir: sigDir, identity: IDENTITY, issuer: ISSUER });
    after(async () => {
      await gcs.close();
      await sb.close();
      rmSync(sigDir, { recursive: true, force: true });
    });
    const signer = `, fulcio: "${sb.fulcioUrl}", rekor: "${sb.rekorUrl}", identityToken: "\${env:OREL_E2E_TOKEN}"`;
    const { dir, plan } = workspaceWith(
      t,
      [
        `  - { name: staging, url: "gs://sweep-staging/stage", endpoint: "${gcs.url}" }`,
        `  - { name: release, url: "gs://sweep-release", endpoint: "${gcs.url}", layout: { default: "release/v{version}/{name}" } }`,
      ].join('\n'),
      signer,
    );
    writeFileSync(plan, readFileSync(plan, 'utf8').replace('TRUSTED_ROOT', JSON.stringify(sb.trustedRootPath)));
    const args = ['release', '--plan', plan, '--nomock'];
    const env = () => ({ OREL_E2E_TOKEN: sb.mintToken() });
    let kills = 0;
    for (const at of KILL_AT) if (await killAt(args, dir, env(), join(dir, '.orel/state'), at)) kills++;
    const last = await orel([...args, '--json'], { cwd: dir, env: env() });
    assert.equal(last.status, 0, errorLines(last.stderr) + last.stderr.slice(-2000));
    assert.ok(kills >= 10, `${kills} kills landed`);
    t.diagnostic(`--nomock: ${kills} kill -9 points, then a clean finish`);
    // Server-side writes: uploads and copies committed, per object (a kill between the commit and the answer still counts).
    const writes = gcs.writes();
    const objects = [...gcs.objects('sweep-staging').keys()].map((k) => `sweep-staging/${k}`).concat([...gcs.objects('sweep-release').keys()].map((k) => `sweep-release/${k}`));
    assert.ok(objects.length > 4 * N, `${objects.length} objects`);
    for (const o of objects) assert.equal(writes.get(o), 1, `${o} written ${writes.get(o) ?? 0} times`);
    assert.equal(sb.stats().rekorEntries, N, 'one Rekor entry per signature');
    const v = await orel(['verify', '--plan', plan, '--nomock', '--json'], { cwd: dir, env: env() });
    assert.equal(v.status, 0, errorLines(v.stderr));
    assert.equal(v.json().verified, true);
  });
});
