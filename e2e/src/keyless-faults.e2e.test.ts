// Keyless `orel release --nomock` against a private Sigstore (the sandbox
// services, started by the test, reached by URL like any private instance)
// while Rekor misbehaves: a short outage is ridden out; an outage that lasts
// fails the run before anything is published, and a re-run after recovery
// completes without duplicate log entries.
import { after, afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSandboxSigstore, type SandboxSigstore } from '@orel/sandbox';
import { errorLines, orel, workspace, type Workspace } from './helpers.js';

const IDENTITY = 'https://github.com/example/hello/.github/workflows/release.yml@refs/tags/v1.2.0';
const ISSUER = 'https://token.actions.githubusercontent.com';

describe('keyless --nomock against a private Sigstore with Rekor faults', () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'orel-sigstore-'));
  after(() => rmSync(stateDir, { recursive: true, force: true }));
  let sb: SandboxSigstore;
  let ws: Workspace;
  let plan: string;
  // The log persists across the tests (one private instance): each counts its own entries.
  let entriesBefore: number;
  beforeEach(async (t) => {
    sb = await startSandboxSigstore({ dir: stateDir, identity: IDENTITY, issuer: ISSUER });
    entriesBefore = sb.stats().rekorEntries;
    ws = workspace(t as unknown as { after: (fn: () => void) => void }, 'release.yaml');
    plan = privatePlan(ws);
  });
  /** The keyless quickstart against the private instance (its URLs, its trusted root, a token from the environment). */
  const privatePlan = (w: Workspace, edit = (y: string) => y) =>
    w.variant('private.yaml', (y) =>
      edit(y)
        .replace('    type: keyless', `    type: keyless\n    fulcio: ${sb.fulcioUrl}\n    rekor: ${sb.rekorUrl}\n    identityToken: \${env:OREL_E2E_TOKEN}`)
        .replace(`  issuer: ${ISSUER}`, `  issuer: ${ISSUER}\n  trustedRoot: ${sb.trustedRootPath}`),
    );
  afterEach(() => sb.close());
  const release = () => orel(['release', '--plan', plan, '--nomock', '--json'], { cwd: ws.dir, env: { OREL_E2E_TOKEN: sb.mintToken() } });
  const published = (target: string) => (existsSync(join(ws.dir, 'out', target)) ? readdirSync(join(ws.dir, 'out', target), { recursive: true }) : []);

  test('--identity-token gives the OIDC token on the command line (the plan names none)', async () => {
    const noToken = ws.variant('cli-token.yaml', () => readFileSync(plan, 'utf8').replace('\n    identityToken: ${env:OREL_E2E_TOKEN}', ''));
    assert.ok(!readFileSync(noToken, 'utf8').includes('identityToken'));
    const token = sb.mintToken();
    const r = await orel(['release', '--plan', noToken, '--nomock', '--json', '--identity-token', token], { cwd: ws.dir, env: { SIGSTORE_ID_TOKEN: undefined } });
    assert.equal(r.status, 0, errorLines(r.stderr) + r.stderr.slice(-2000));
    assert.equal(r.json().verified, true);
    assert.ok(!r.stderr.includes(token) && !r.stdout.includes(token), 'the token is never printed');
  });

  test('Rekor answers 503 to the first requests, then recovers: the run succeeds', async () => {
    sb.setFaults({ rekor: { status: 503, times: 4, retryAfter: 0 } });
    const r = await release();
    assert.equal(r.status, 0, errorLines(r.stderr) + r.stderr.slice(-2000));
    assert.equal(r.json().verified, true);
    assert.equal(sb.stats().rekorEntries - entriesBefore, 11, 'one log entry per artifact, one for the provenance and one for the SBOM attestation');
  });

  test('Rekor down for good: a clear failure, nothing published; after recovery a re-run completes with no duplicate entries', async () => {
    sb.setFaults({ rekor: { down: true } });
    const down = await release();
    assert.notEqual(down.status, 0);
    const errors = errorLines(down.stderr);
    assert.match(errors, /error\[SERVICE_UNAVAILABLE\]/);
    assert.ok(errors.includes(sb.rekorUrl), `names the Rekor URL:\n${errors}`);
    assert.deepEqual(published('staging'), [], 'nothing staged');
    assert.deepEqual(published('release'), [], 'nothing released');

    sb.setFaults({});
    const again = await release();
    assert.equal(again.status, 0, errorLines(again.stderr) + again.stderr.slice(-2000));
    assert.equal(again.json().verified, true);
    assert.equal(sb.stats().rekorEntries - entriesBefore, 11, 'each artifact (and each attestation) logged once');
  });

  test('post-publish verification proves each .sig + .cert pair by the bundle beside it (no log search); without bundles, by a search of the log', async (t) => {
    const withBundles = await release();
    assert.equal(withBundles.status, 0, errorLines(withBundles.stderr) + withBundles.stderr.slice(-2000));
    assert.equal(sb.stats().rekorReads, 0, 'no Rekor search when every pair has its bundle');
    const other = workspace(t, 'release.yaml');
    const pairsOnly = privatePlan(other, (y) => y.replace('outputs: [bundle, sig, cert]', 'outputs: [sig, cert]'));
    assert.ok(readFileSync(pairsOnly, 'utf8').includes('outputs: [sig, cert]'));
    const r = await orel(['release', '--plan', pairsOnly, '--nomock', '--json'], { cwd: other.dir, env: { OREL_E2E_TOKEN: sb.mintToken() } });
    assert.equal(r.status, 0, errorLines(r.stderr) + r.stderr.slice(-2000));
    assert.equal(r.json().verified, true);
    assert.ok(sb.stats().rekorReads >= 9, `each pair found in the log (${sb.stats().rekorReads} reads)`);
  });
});
