// The walking skeleton end to end: the quickstart released in mock mode, then
// checked with tools that share no code with orel (coreutils, openssl,
// @sigstore/verify), re-run, tampered with and verified again.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createPublicKey } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundleFromJSON } from '@sigstore/bundle';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { Verifier, toSignedEntity, toTrustMaterial, type TrustMaterial } from '@sigstore/verify';
import { errorLines, orel, sha256File, snapshot, workspace, type OrelRun } from './helpers.js';

const PROVENANCE_SUFFIX = '.intoto.sigstore.json';

/** Trust material holding only the release key, as `cosign verify-blob --key cosign.pub` would. */
function keyTrust(pem: string): TrustMaterial {
  const publicKey = createPublicKey(pem);
  return { certificateAuthorities: [], timestampAuthorities: [], tlogs: [], ctlogs: [], publicKey: () => ({ publicKey, validFor: () => true }) };
}

function verifyBundleIndependently(bundlePath: string, artifactPath: string, pubPem: string): void {
  const bundle = bundleFromJSON(JSON.parse(readFileSync(bundlePath, 'utf8')));
  const entity = toSignedEntity(bundle, readFileSync(artifactPath));
  new Verifier(keyTrust(pubPem), { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0 }).verify(entity);
}

/** openssl's verdict on `<file>.sig` (base64 DER) against cosign.pub. */
function opensslVerify(dir: string, file: string, sigPath: string): string {
  const der = join(dir, '..', `${file}.sig.der`);
  writeFileSync(der, Buffer.from(readFileSync(sigPath, 'utf8'), 'base64'));
  try {
    return execFileSync('openssl', ['dgst', '-sha256', '-verify', join(dir, 'cosign.pub'), '-signature', der, join(dir, file)], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    }).trim();
  } catch (e: any) {
    return `${e.stdout ?? ''}${e.stderr ?? ''}`.trim();
  }
}

function flipByte(path: string, at = 100): () => void {
  const original = readFileSync(path);
  const changed = Buffer.from(original);
  changed[at % changed.length]! ^= 0x01;
  writeFileSync(path, changed);
  return () => writeFileSync(path, original);
}

describe('quickstart release in mock mode', () => {
  const ws = workspace({ after });
  const args = ['--plan', ws.plan, '--sandbox', ws.sandbox];
  const releaseDir = join(ws.sandbox, 'targets/release/release/v1.2.0');
  const stagingDir = join(ws.sandbox, 'targets/staging/stage/1.2.0');
  let run: OrelRun;
  let report: any;

  before(async () => {
    run = await orel(['release', ...args, '--json'], { cwd: ws.dir });
    report = run.json();
  });

  test('exits 0 with a mock-mode report in which every artifact is verified', () => {
    assert.equal(run.status, 0, errorLines(run.stderr));
    assert.match(run.stderr, /mock mode/);
    assert.ok(run.stderr.includes(ws.sandbox), 'the sandbox location is printed');
    assert.equal(report.mode, 'mock');
    assert.equal(report.verified, true);
    const names = report.artifacts.map((a: any) => a.name);
    for (const n of ['hello-linux-amd64', 'hello-windows-amd64.exe', 'hello-1.2.0-linux-arm64.tar.gz', 'hello-1.2.0.spdx.json', 'SHA256SUMS', 'cosign.pub']) {
      assert.ok(names.includes(n), `${n} in the report (got ${names.join(', ')})`);
    }
    for (const a of report.artifacts) {
      assert.equal(typeof a.name, 'string');
      assert.match(a.sha256, /^[0-9a-f]{64}$/);
      assert.ok(a.published.length > 0, `${a.name} published somewhere`);
      for (const p of a.published) {
        assert.equal(p.target, 'release', `${a.name}: the release report lists the release target`);
        assert.ok(p.location.startsWith(releaseDir + '/'), `${p.location} is inside the sandbox release dir`);
        assert.equal(sha256File(p.location), a.sha256, `${p.location} holds the reported bytes`);
      }
      assert.ok(Array.isArray(a.signatures));
    }
    const binaries = report.artifacts.filter((a: any) => a.kind === 'binary' || a.kind === 'archive' || a.kind === 'sbom');
    assert.equal(binaries.length, 9);
    for (const a of binaries) {
      assert.deepEqual(a.signatures.map((s: any) => s.format).sort(), ['bundle', 'sig'], `${a.name} has a bundle and a .sig`);
      for (const s of a.signatures) assert.ok(existsSync(s.location), `${s.location} exists`);
    }
  });

  test('sha256sum -c and sha512sum -c pass in the published release directory', () => {
    for (const [tool, file] of [['sha256sum', 'SHA256SUMS'], ['sha512sum', 'SHA512SUMS']] as const) {
      const out = execFileSync(tool, ['--strict', '-c', file], { cwd: releaseDir, encoding: 'utf8' });
      const ok = out.split('\n').filter((l) => l.endsWith(': OK'));
      assert.equal(ok.length, 9, `${tool}: ${out}`);
    }
    // Per-file .sha256 (dl.k8s.io layout: the bare hex digest).
    assert.equal(readFileSync(join(releaseDir, 'hello-linux-amd64.sha256'), 'utf8').trim(), sha256File(join(releaseDir, 'hello-linux-amd64')));
  });

  test('every <file>.sig verifies with openssl against cosign.pub (and a changed file does not)', () => {
    const sigs = readdirSync(releaseDir).filter((f) => f.endsWith('.sig'));
    assert.equal(sigs.length, 9);
    for (const sig of sigs) {
      const file = sig.slice(0, -'.sig'.length);
      assert.equal(opensslVerify(releaseDir, file, join(releaseDir, sig)), 'Verified OK', `openssl on ${sig}`);
    }
    // Negative control: the same check refuses another file's signature.
    assert.match(opensslVerify(releaseDir, 'hello-linux-arm64', join(releaseDir, 'hello-linux-amd64.sig')), /Verification failure/);
  });

  test('every bundle verifies with @sigstore/verify and the release key (and not with another key)', () => {
    const pub = readFileSync(join(releaseDir, 'cosign.pub'), 'utf8');
    // One bundle per file, plus the release's provenance (a DSSE bundle, checked by provenance.e2e and verify-notes).
    const bundles = readdirSync(releaseDir).filter((f) => f.endsWith('.sigstore.json') && !f.endsWith(PROVENANCE_SUFFIX));
    assert.equal(bundles.length, 9);
    assert.ok(existsSync(join(releaseDir, `hello-1.2.0${PROVENANCE_SUFFIX}`)), 'the release provenance');
    for (const b of bundles) {
      const bundle = JSON.parse(readFileSync(join(releaseDir, b), 'utf8'));
      assert.equal(bundle.mediaType, 'application/vnd.dev.sigstore.bundle.v0.3+json');
      verifyBundleIndependently(join(releaseDir, b), join(releaseDir, b.slice(0, -'.sigstore.json'.length)), pub);
    }
    const other = execFileSync('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout'], { encoding: 'utf8' });
    const otherPub = createPublicKey(other).export({ type: 'spki', format: 'pem' }).toString();
    assert.throws(() => verifyBundleIndependently(join(releaseDir, bundles[0]!), join(releaseDir, bundles[0]!.slice(0, -'.sigstore.json'.length)), otherPub));
    assert.throws(() => verifyBundleIndependently(join(releaseDir, 'hello-linux-amd64.sigstore.json'), join(releaseDir, 'hello-linux-arm64'), pub));
  });

  test('plan show --json lists every artifact with its destination in each target', async () => {
    const r = await orel(['plan', 'show', ...args, '--json'], { cwd: ws.dir });
    assert.equal(r.status, 0, errorLines(r.stderr));
    const show = r.json();
    assert.equal(show.mode, 'mock');
    assert.deepEqual(show.targets.map((t: any) => t.name), ['staging', 'release']);
    assert.equal(show.artifacts.length, 9);
    const bin = show.artifacts.find((a: any) => a.name === 'hello-linux-amd64');
    assert.deepEqual(bin.destinations, { staging: 'stage/1.2.0/hello-linux-amd64', release: 'release/v1.2.0/hello-linux-amd64' });
    assert.equal(bin.os, 'linux');
    assert.equal(bin.arch, 'amd64');
    assert.equal(bin.sha256, sha256File(join(ws.dir, 'dist/bin/linux/amd64/hello')));
  });

  test('status reports the build as staged and released', async () => {
    const r = await orel(['status', ...args, '--json'], { cwd: ws.dir });
    assert.equal(r.status, 0, errorLines(r.stderr));
    const s = r.json();
    assert.equal(s.mode, 'mock');
    assert.equal(s.sandbox, ws.sandbox);
    assert.ok(s.staged && s.released, JSON.stringify(s));
    assert.equal(s.signed, 9);
  });

  test('a re-run uploads nothing, changes no file and still verifies', async () => {
    const targets = join(ws.sandbox, 'targets');
    const beforeRun = snapshot(targets);
    const r = await orel(['release', ...args, '--json'], { cwd: ws.dir });
    assert.equal(r.status, 0, errorLines(r.stderr));
    const again = r.json();
    assert.equal(again.verified, true);
    assert.deepEqual(snapshot(targets), beforeRun);
    const notes = again.stages.flatMap((s: any) => s.steps.map((x: any) => `${s.name}/${x.name}: ${x.note ?? x.reason ?? ''}`)).join('\n');
    assert.doesNotMatch(notes, /\b[1-9]\d* created/, notes);
  });

  test('a staged object changed after staging stops the release, naming it', async () => {
    const staged = join(stagingDir, 'hello-1.2.0-linux-amd64.tar.gz');
    const restore = flipByte(staged);
    try {
      const beforeRun = snapshot(join(ws.sandbox, 'targets/release'));
      const r = await orel(['release', ...args], { cwd: ws.dir });
      assert.notEqual(r.status, 0);
      assert.match(r.stderr, /error\[INTEGRITY\]/);
      assert.ok(r.stderr.includes(staged), errorLines(r.stderr));
      assert.deepEqual(snapshot(join(ws.sandbox, 'targets/release')), beforeRun);
    } finally {
      restore();
    }
  });

  test('one changed byte in a published file fails `orel verify`, naming the file', async () => {
    const target = join(releaseDir, 'hello-linux-amd64');
    const restore = flipByte(target);
    try {
      const human = await orel(['verify', ...args], { cwd: ws.dir });
      assert.notEqual(human.status, 0);
      assert.equal(human.status, 3);
      assert.match(human.stderr, /error\[VERIFY_FAILED\]/);
      assert.ok(human.stderr.includes(target), errorLines(human.stderr));
      const r = await orel(['verify', ...args, '--json'], { cwd: ws.dir });
      assert.equal(r.status, 3);
      const v = r.json();
      assert.equal(v.verified, false);
      const bad = v.artifacts.filter((a: any) => a.verified === false).map((a: any) => a.name);
      assert.deepEqual(bad, ['hello-linux-amd64']);
    } finally {
      restore();
    }
    const ok = await orel(['verify', ...args], { cwd: ws.dir });
    assert.equal(ok.status, 0, errorLines(ok.stderr));
  });
});

describe('the README quickstart (keyless) in mock mode', () => {
  const IDENTITY = 'https://github.com/example/hello/.github/workflows/release.yml@refs/tags/v1.2.0';
  const ISSUER = 'https://token.actions.githubusercontent.com';

  test('releases, verifies, and its bundles and .sig/.cert check out against the sandbox trusted root', async (t) => {
    const ws = workspace(t, 'release.yaml');
    const r = await orel(['release', '--plan', ws.plan, '--sandbox', ws.sandbox, '--json'], { cwd: ws.dir });
    assert.equal(r.status, 0, errorLines(r.stderr));
    const report = r.json();
    assert.equal(report.mode, 'mock');
    assert.equal(report.verified, true);
    const releaseDir = join(ws.sandbox, 'targets/release/release/v1.2.0');
    execFileSync('sha256sum', ['--strict', '-c', 'SHA256SUMS'], { cwd: releaseDir });
    // Version markers come last, after verification.
    assert.equal(readFileSync(join(ws.sandbox, 'targets/release/release/stable.txt'), 'utf8').trim(), 'v1.2.0');

    // Bundles: @sigstore/verify with the sandbox's trusted_root.json (Fulcio CA, Rekor, CT log) and the plan's identity.
    const rootJson = JSON.parse(readFileSync(join(ws.sandbox, 'sigstore/trusted_root.json'), 'utf8'));
    const verifier = new Verifier(toTrustMaterial(TrustedRoot.fromJSON(rootJson)), { tlogThreshold: 1, ctlogThreshold: 1, timestampThreshold: 1 });
    const bundles = readdirSync(releaseDir).filter((f) => f.endsWith('.sigstore.json') && !f.endsWith(PROVENANCE_SUFFIX));
    assert.equal(bundles.length, 9);
    // The provenance: a DSSE bundle by the same certificate identity.
    const provenance = verifier.verify(toSignedEntity(bundleFromJSON(JSON.parse(readFileSync(join(releaseDir, `hello-1.2.0${PROVENANCE_SUFFIX}`), 'utf8')))), { subjectAlternativeName: IDENTITY, extensions: { issuer: ISSUER } });
    assert.equal(provenance.identity?.subjectAlternativeName, IDENTITY);
    for (const b of bundles) {
      const entity = toSignedEntity(bundleFromJSON(JSON.parse(readFileSync(join(releaseDir, b), 'utf8'))), readFileSync(join(releaseDir, b.slice(0, -'.sigstore.json'.length))));
      const signer = verifier.verify(entity, { subjectAlternativeName: IDENTITY, extensions: { issuer: ISSUER } });
      assert.equal(signer.identity?.subjectAlternativeName, IDENTITY);
      assert.throws(() => verifier.verify(entity, { subjectAlternativeName: 'https://github.com/evil/fork/.github/workflows/release.yml@refs/tags/v1.2.0' }));
    }

    // Kubernetes layout: <file>.cert = base64(PEM) chaining to the Fulcio CA, <file>.sig = base64(DER) by its key.
    const ca = rootJson.certificateAuthorities[0].certChain.certificates
      .map((c: { rawBytes: string }) => `-----BEGIN CERTIFICATE-----\n${c.rawBytes.match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE-----\n`)
      .join('');
    writeFileSync(join(ws.dir, 'fulcio-ca.pem'), ca);
    for (const name of ['hello-linux-amd64', 'hello-1.2.0.spdx.json']) {
      const certPem = Buffer.from(readFileSync(join(releaseDir, `${name}.cert`), 'utf8'), 'base64').toString('utf8');
      assert.match(certPem, /^-----BEGIN CERTIFICATE-----/);
      writeFileSync(join(ws.dir, 'leaf.pem'), certPem);
      const chain = execFileSync('openssl', ['verify', '-CAfile', join(ws.dir, 'fulcio-ca.pem'), join(ws.dir, 'leaf.pem')], { encoding: 'utf8' });
      assert.match(chain, /: OK/);
      writeFileSync(join(ws.dir, 'leaf.pub'), execFileSync('openssl', ['x509', '-pubkey', '-noout', '-in', join(ws.dir, 'leaf.pem')]));
      writeFileSync(join(ws.dir, 'sig.der'), Buffer.from(readFileSync(join(releaseDir, `${name}.sig`), 'utf8'), 'base64'));
      const verdict = execFileSync('openssl', ['dgst', '-sha256', '-verify', join(ws.dir, 'leaf.pub'), '-signature', join(ws.dir, 'sig.der'), join(releaseDir, name)], { encoding: 'utf8' });
      assert.equal(verdict.trim(), 'Verified OK', name);
    }
  });
});

describe('a destination that already holds different bytes', () => {
  test('is refused with PUBLISH_CONFLICT (exit 4), named, and left as it was', async (t) => {
    const ws = workspace(t);
    const squatted = join(ws.sandbox, 'targets/release/release/v1.2.0/hello-linux-amd64');
    execFileSync('mkdir', ['-p', join(squatted, '..')]);
    writeFileSync(squatted, 'bytes someone released before\n');
    const r = await orel(['release', '--plan', ws.plan, '--sandbox', ws.sandbox, '--json'], { cwd: ws.dir });
    assert.equal(r.status, 4, errorLines(r.stderr));
    assert.match(r.stderr, /error\[PUBLISH_CONFLICT\]/);
    assert.ok(r.stderr.includes(squatted), errorLines(r.stderr));
    const out = r.json();
    assert.equal(out.verified, false);
    assert.equal(out.error.code, 'PUBLISH_CONFLICT');
    assert.ok(out.error.message.includes(squatted));
    assert.equal(readFileSync(squatted, 'utf8'), 'bytes someone released before\n');
  });
});
