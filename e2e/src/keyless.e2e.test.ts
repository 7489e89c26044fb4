// The keyless quickstart (mock mode: the loopback Sigstore) checked by code
// that is not orel's: @sigstore/verify with the sandbox's trusted_root.json
// and the plan's identity policy; openssl for the Kubernetes .sig + .cert
// layout. Then the VERIFY.md orel commands, run as written.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundleFromJSON } from '@sigstore/bundle';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { Verifier, toSignedEntity, toTrustMaterial } from '@sigstore/verify';
import { parse } from 'yaml';
import { shellWords } from '@orel/release';
import { startSandboxSigstore } from '@orel/sandbox';
import { createKeylessSigner, signArtifacts } from '@orel/sign';
import { orel, workspace, type OrelRun } from './helpers.js';

describe('keyless quickstart in mock mode', () => {
  const ws = workspace({ after }, 'release.yaml');
  const releaseDir = () => join(ws.sandbox, 'targets/release/release/v1.2.0');
  const policy = parse(readFileSync(ws.plan, 'utf8')).verification as { identity: string; issuer: string };
  let run: OrelRun;

  before(async () => {
    run = await orel(['release', '--plan', ws.plan, '--sandbox', ws.sandbox, '--json'], { cwd: ws.dir });
  });

  test('releases and verifies every artifact', () => {
    assert.equal(run.status, 0, run.stderr);
    const report = run.json();
    assert.equal(report.mode, 'mock');
    assert.equal(report.verified, true);
  });

  test('bundles verify with @sigstore/verify, the sandbox trusted root and the plan identity; another identity is rejected', () => {
    const root = TrustedRoot.fromJSON(JSON.parse(readFileSync(join(ws.sandbox, 'sigstore/trusted_root.json'), 'utf8')));
    const verifier = new Verifier(toTrustMaterial(root), { tlogThreshold: 1, ctlogThreshold: 1, timestampThreshold: 1 });
    const bundles = readdirSync(releaseDir()).filter((f) => f.endsWith('.sigstore.json') && !f.endsWith('.intoto.sigstore.json'));
    assert.ok(bundles.length >= 9, `bundles: ${bundles.join(', ')}`);
    for (const b of bundles) {
      const artifact = readFileSync(join(releaseDir(), b.slice(0, -'.sigstore.json'.length)));
      const entity = toSignedEntity(bundleFromJSON(JSON.parse(readFileSync(join(releaseDir(), b), 'utf8'))), artifact);
      const signer = verifier.verify(entity);
      assert.equal(signer.identity?.subjectAlternativeName, policy.identity, b);
      assert.equal(signer.identity?.extensions?.issuer, policy.issuer, b);
      // The same bundle under another identity policy must not pass.
      assert.notEqual(signer.identity?.subjectAlternativeName, 'https://github.com/attacker/repo/.github/workflows/x.yml@refs/heads/main');
      assert.throws(() => verifier.verify(toSignedEntity(bundleFromJSON(JSON.parse(readFileSync(join(releaseDir(), b), 'utf8'))), Buffer.from('tampered'))));
    }
  });

  test('one Fulcio certificate signs every artifact of the run', () => {
    const certs = readdirSync(releaseDir()).filter((f) => f.endsWith('.cert'));
    assert.ok(certs.length >= 9);
    const distinct = new Set(certs.map((c) => readFileSync(join(releaseDir(), c), 'utf8')));
    assert.equal(distinct.size, 1, 'all .cert files hold the same certificate');
  });

  test('.sig + .cert (Kubernetes layout) verify with openssl against the certificate key', () => {
    const dir = releaseDir();
    const certText = readFileSync(join(dir, 'hello-linux-amd64.cert'), 'utf8');
    assert.ok(!certText.endsWith('\n'), 'no trailing newline');
    const pemText = Buffer.from(certText, 'base64').toString('utf8');
    assert.match(pemText, /^-----BEGIN CERTIFICATE-----/);
    const cert = new X509Certificate(pemText);
    assert.match(cert.subjectAltName ?? '', new RegExp(policy.identity.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
    const pub = join(ws.dir, 'cert.pub');
    writeFileSync(pub, cert.publicKey.export({ type: 'spki', format: 'pem' }));
    const der = join(ws.dir, 'sig.der');
    writeFileSync(der, Buffer.from(readFileSync(join(dir, 'hello-linux-amd64.sig'), 'utf8'), 'base64'));
    const out = execFileSync('openssl', ['dgst', '-sha256', '-verify', pub, '-signature', der, join(dir, 'hello-linux-amd64')], { encoding: 'utf8' });
    assert.match(out, /Verified OK/);
  });

  test('the orel commands in VERIFY.md work as written, and fail for another identity', async () => {
    const notes = readFileSync(join(releaseDir(), 'VERIFY.md'), 'utf8');
    const commands = notes.split('\n').filter((l) => l.startsWith('orel verify-blob '));
    assert.ok(commands.length >= 2, notes);
    for (const c of commands) {
      const words = c.split(' ').slice(1).map((w) => w.replace(/^'(.*)'$/, '$1'));
      const ok = await orel(words, { cwd: releaseDir() });
      assert.equal(ok.status, 0, `${c}\n${ok.stderr}`);
      const other = words.map((w) => (w === policy.identity ? 'https://github.com/attacker/repo/.github/workflows/x.yml@refs/heads/main' : w));
      const bad = await orel(other, { cwd: releaseDir() });
      assert.notEqual(bad.status, 0, `another identity must be refused: ${other.join(' ')}`);
    }
  });

  test('a .sig + .cert pair that no transparency log holds is refused by the VERIFY.md line, though its certificate is valid for the identity', async () => {
    // Bytes signed with a genuine certificate for the release identity, never logged:
    // what anyone who kept an ephemeral key (or briefly held the identity) could publish later.
    const evilDir = join(ws.dir, 'evil');
    mkdirSync(evilDir);
    const file = 'hello-linux-amd64';
    const bytes = Buffer.from('#!/bin/sh\necho pwned\n');
    writeFileSync(join(evilDir, file), bytes);
    const sb = await startSandboxSigstore({ dir: join(ws.sandbox, 'sigstore'), identity: policy.identity, issuer: policy.issuer });
    try {
      const signer = await createKeylessSigner({ fulcio: sb.fulcioUrl }, { token: async () => sb.mintToken() });
      const a = { name: file, kind: 'binary' as const, path: join(evilDir, file), size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex'), sha512: createHash('sha512').update(bytes).digest('hex') };
      await signArtifacts({ artifacts: [a], signer, witnesses: [], outputs: ['sig', 'cert'], workDir: evilDir });
    } finally {
      await sb.close();
    }
    const line = readFileSync(join(releaseDir(), 'VERIFY.md'), 'utf8')
      .split('\n')
      .find((l) => l.startsWith('orel verify-blob ') && l.includes(' --signature '))!;
    const words = shellWords(line).slice(1).map((w) => w.replace(/^hello-1\.2\.0-darwin-arm64\.tar\.gz/, file));
    const refused = await orel(words, { cwd: evilDir });
    assert.equal(refused.status, 3, refused.stderr);
    assert.match(refused.stderr, /no transparency-log entry (in \S+ )?logs this signature with this certificate/);
    // The same pair is accepted only when the user opts out of the log, with a warning.
    const insecure = await orel([...words, '--insecure-ignore-tlog'], { cwd: evilDir });
    assert.equal(insecure.status, 0, insecure.stderr);
    assert.match(insecure.stderr, /warning: .*--insecure-ignore-tlog/);
    // The genuine pair names its entry: uuid and log index, as cosign prints them.
    const genuine = await orel(shellWords(line).slice(1), { cwd: releaseDir() });
    assert.equal(genuine.status, 0, genuine.stderr);
    assert.match(genuine.stdout, /transparency-log entry [0-9a-f]{64} at index \d+/);
  });
});
