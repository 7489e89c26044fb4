// A release signed with a key that a corporate CA certified (issue 16, item
// 3). The CA is made with openssl as a PKI team would; the release is judged
// by openssl, cosign (bundle with --trusted-root, detached pair with
// --certificate-chain) and its own VERIFY.md run verbatim. Another CA is
// refused by each of them, and a certificate verifiers would reject is
// refused before anything is written.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RegistryClient } from '@orel/oci';
import { pushIndex } from '@orel/oci/testing';
import { registryMissing, startRegistry } from '@orel/registry';
import { makeCa, makeKey, opensslMissing, type TestCa } from '@orel/test-ca';
import { certifiedSignerPlan, errorLines, orel, snapshot, workspace, type OrelRun, type Workspace } from './helpers.js';
import { notesSkip, runVerifyNotes } from './notes-runner.js';
import { peer, runPeer, type Peer } from './peers.js';
import { shellWords } from '@orel/release';

const IDENTITY = 'release@example.com';
const cosign = peer('cosign');
const skip = opensslMissing();

/** The quickstart signed by pki/release.key with its CA certificate; `extra` lines go under verification. */
function caPlan(ws: Workspace, name: string, cert: string, extra = ''): string {
  return ws.variant(name, (y) => certifiedSignerPlan(y, cert).concat(`\nverification:\n  identity: ${IDENTITY}\n${extra}`));
}

/** A trusted_root.json like `published`, holding another CA's chain instead (made without orel code). */
function foreignTrustedRoot(published: string, other: TestCa, out: string): string {
  const root = JSON.parse(readFileSync(published, 'utf8'));
  const der = (file: string) => new X509Certificate(readFileSync(file)).raw.toString('base64');
  root.certificateAuthorities[0].certChain.certificates = [{ rawBytes: der(other.intermediate) }, { rawBytes: der(other.root) }];
  writeFileSync(out, JSON.stringify(root));
  return out;
}

describe('a release signed with a corporate-CA-certified key', { skip }, () => {
  const ws = workspace({ after });
  let ca: TestCa;
  let other: TestCa;
  let run: OrelRun;
  const dir = () => join(ws.dir, 'out/release/release/v1.2.0');

  before(async () => {
    ca = makeCa(join(ws.dir, 'pki'));
    other = makeCa(join(ws.dir, 'other-pki'), 'Attacker Inc');
    ca.issue('release', makeKey(ca.dir, 'release.key'));
    run = await orel(['release', '--plan', caPlan(ws, 'ca.yaml', 'pki/release.pem'), '--nomock', '--json'], { cwd: ws.dir, env: { COSIGN_PASSWORD: undefined } });
  });

  test('exits 0, verified; bundles carry the chain, every .cert chains to the root in openssl, ca-chain.pem is the chain', () => {
    assert.equal(run.status, 0, errorLines(run.stderr) || run.stderr.slice(-2000));
    assert.equal(run.json().verified, true);
    assert.equal(readFileSync(join(dir(), 'ca-chain.pem'), 'utf8'), readFileSync(ca.chain, 'utf8').replace(/\r/g, ''));
    const leaf = new X509Certificate(readFileSync(join(ca.dir, 'release.pem')));
    const certs = readdirSync(dir()).filter((f) => f.endsWith('.cert'));
    assert.ok(certs.length >= 7, certs.join(', '));
    for (const c of certs) {
      const pem = join(ws.dir, 'leaf.pem');
      writeFileSync(pem, Buffer.from(readFileSync(join(dir(), c), 'utf8'), 'base64'));
      const out = execFileSync('openssl', ['verify', '-CAfile', ca.root, '-untrusted', ca.intermediate, pem], { encoding: 'utf8' });
      assert.match(out, /: OK/, c);
      const bundle = JSON.parse(readFileSync(join(dir(), c.replace(/\.cert$/, '.sigstore.json')), 'utf8'));
      assert.equal(bundle.mediaType, 'application/vnd.dev.sigstore.bundle+json;version=0.2');
      const chain = bundle.verificationMaterial.x509CertificateChain.certificates.map((x: { rawBytes: string }) => new X509Certificate(Buffer.from(x.rawBytes, 'base64')));
      assert.deepEqual(chain.map((x: X509Certificate) => x.fingerprint256), [leaf.fingerprint256, new X509Certificate(readFileSync(ca.intermediate)).fingerprint256], c);
    }
    // The detached signature is the certified key's: openssl checks it with the certificate's public key.
    const pub = join(ws.dir, 'leaf.pub');
    writeFileSync(pub, leaf.publicKey.export({ type: 'spki', format: 'pem' }));
    writeFileSync(join(ws.dir, 'sig.der'), Buffer.from(readFileSync(join(dir(), 'hello-linux-amd64.sig'), 'utf8'), 'base64'));
    assert.match(execFileSync('openssl', ['dgst', '-sha256', '-verify', pub, '-signature', join(ws.dir, 'sig.der'), join(dir(), 'hello-linux-amd64')], { encoding: 'utf8' }), /Verified OK/);
  });

  test('every command of its VERIFY.md passes verbatim (cosign with the published trusted root); a tampered file fails', { skip: notesSkip }, async (t) => {
    const lines = await runVerifyNotes(t, dir());
    assert.ok(lines.some((l) => l.startsWith('cosign verify-blob ') && l.includes('--trusted-root trusted_root.json')), lines.join('\n'));
  });

  test('cosign accepts the detached pair with --certificate-chain; cosign and orel refuse another CA', { skip: typeof cosign === 'string' ? cosign : undefined }, async () => {
    const { path } = cosign as Peer;
    const f = 'hello-darwin-arm64';
    const cwd = dir();
    const who = ['--certificate-identity', IDENTITY, '--certificate-oidc-issuer-regexp', '.*', '--insecure-ignore-tlog', '--insecure-ignore-sct'];
    const pair = (chain: string) => runPeer(path, ['verify-blob', f, '--signature', `${f}.sig`, '--certificate', `${f}.cert`, '--certificate-chain', chain, ...who], cwd);
    const ok = await pair('ca-chain.pem');
    assert.equal(ok.status, 0, ok.out);
    const refused = await pair(other.chain);
    assert.notEqual(refused.status, 0, 'cosign accepted the pair under another CA');
    const foreign = foreignTrustedRoot(join(cwd, 'trusted_root.json'), other, join(ws.dir, 'other_trusted_root.json'));
    const bundled = await runPeer(path, ['verify-blob', f, '--bundle', `${f}.sigstore.json`, '--trusted-root', foreign, ...who], cwd);
    assert.notEqual(bundled.status, 0, 'cosign accepted the bundle under another CA');
    const o = await orel(['verify-blob', f, '--bundle', `${f}.sigstore.json`, '--certificate-identity', IDENTITY, '--trusted-root', foreign], { cwd });
    assert.notEqual(o.status, 0, 'orel accepted the bundle under another CA');
    assert.match(o.stderr, /certificate|chain/i);
    const another = await orel(['verify-blob', f, '--bundle', `${f}.sigstore.json`, '--certificate-identity', 'attacker@example.com', '--trusted-root', 'trusted_root.json'], { cwd });
    assert.notEqual(another.status, 0, 'orel accepted another identity');
  });

  test('a certificate verifiers would reject is refused before anything is signed or written', async () => {
    const before = snapshot(join(ws.dir, 'out'));
    const unusable: [string, string, RegExp][] = [];
    // For another key; without the codeSigning usage; (below) under a CA verification.ca does not trust.
    ca.issue('other-key', makeKey(ca.dir, 'other-key.key'));
    ca.issue('no-eku', join(ca.dir, 'release.key'), { eku: '' });
    unusable.push(['other-key.yaml', 'pki/other-key.pem', /certifies another key/]);
    unusable.push(['no-eku.yaml', 'pki/no-eku.pem', /codeSigning/]);
    for (const [name, cert, why] of unusable) {
      const r = await orel(['stage', '--plan', caPlan(ws, name, cert), '--nomock', '--json'], { cwd: ws.dir, env: { COSIGN_PASSWORD: undefined } });
      assert.notEqual(r.status, 0, name);
      assert.match(r.stderr, why, name);
      assert.match(r.stderr, /error\[KEY_INVALID\]/, name);
    }
    const untrusted = await orel(['stage', '--plan', caPlan(ws, 'untrusted.yaml', 'pki/release.pem', '  ca: other-pki/root.pem\n'), '--nomock', '--json'], { cwd: ws.dir, env: { COSIGN_PASSWORD: undefined } });
    assert.notEqual(untrusted.status, 0);
    assert.match(untrusted.stderr, /not issued under verification\.ca/);
    // Each run stopped before its first write: every target is as the release left it.
    assert.deepEqual(snapshot(join(ws.dir, 'out')), before);
  });
});

describe('Spin naming with a CA-certified key: one crt.pem for every .sig', { skip }, () => {
  test('crt.pem chains to the root in openssl; every VERIFY.md command (cosign with --certificate-chain) passes verbatim; another CA is refused', { skip: notesSkip }, async (t) => {
    const ws = workspace(t);
    const ca = makeCa(join(ws.dir, 'pki'));
    const other = makeCa(join(ws.dir, 'other-pki'), 'Attacker Inc');
    ca.issue('release', makeKey(ca.dir, 'release.key'));
    const plan = ws.variant('spin.yaml', (y) => certifiedSignerPlan(y).replace('outputs: [bundle, sig, cert]', 'outputs: [sig, cert]\n  naming: spin').concat(`\nverification:\n  identity: ${IDENTITY}\n`));
    const r = await orel(['release', '--plan', plan, '--nomock', '--json'], { cwd: ws.dir, env: { COSIGN_PASSWORD: undefined } });
    assert.equal(r.status, 0, errorLines(r.stderr) || r.stderr.slice(-2000));
    const dir = join(ws.dir, 'out/release/release/v1.2.0');
    const files = readdirSync(dir);
    assert.deepEqual(files.filter((f) => /\.(cert|pem|sigstore\.json)$/.test(f) && !f.endsWith('.intoto.sigstore.json')).sort(), ['ca-chain.pem', 'crt.pem']);
    writeFileSync(join(ws.dir, 'leaf.pem'), Buffer.from(readFileSync(join(dir, 'crt.pem'), 'utf8'), 'base64'));
    assert.match(execFileSync('openssl', ['verify', '-CAfile', ca.root, '-untrusted', ca.intermediate, join(ws.dir, 'leaf.pem')], { encoding: 'utf8' }), /: OK/);
    const lines = await runVerifyNotes(t, dir);
    assert.ok(lines.some((l) => l.startsWith('cosign verify-blob ') && l.includes('--certificate crt.pem --certificate-chain ca-chain.pem')), lines.join('\n'));
    const pair = lines.find((l) => l.startsWith('cosign verify-blob ') && l.includes('--certificate crt.pem'))!;
    const refused = await runPeer((cosign as Peer).path, shellWords(pair.replace('ca-chain.pem', other.chain)).slice(1), dir);
    assert.notEqual(refused.status, 0, 'cosign accepted crt.pem under another CA');
  });
});

describe('mock mode: the sandbox CA stands in for the corporate one', { skip }, () => {
  const ws = workspace({ after });
  let run: OrelRun;

  before(async () => {
    const ca = makeCa(join(ws.dir, 'pki'));
    ca.issue('release', makeKey(ca.dir, 'release.key'));
    run = await orel(['release', '--plan', caPlan(ws, 'ca.yaml', 'pki/release.pem'), '--sandbox', ws.sandbox, '--json'], { cwd: ws.dir });
  });

  test('the rehearsal is verified, its certificates carry the real one\'s identity, and its VERIFY.md passes verbatim', { skip: notesSkip }, async (t) => {
    assert.equal(run.status, 0, errorLines(run.stderr) || run.stderr.slice(-2000));
    assert.equal(run.json().verified, true);
    const dir = join(ws.sandbox, 'targets/release/release/v1.2.0');
    const cert = new X509Certificate(Buffer.from(readFileSync(join(dir, 'hello-linux-amd64.cert'), 'utf8'), 'base64'));
    assert.equal(cert.subjectAltName, `email:${IDENTITY}`);
    assert.match(new X509Certificate(readFileSync(join(dir, 'ca-chain.pem'))).subject, /orel sandbox/);
    await runVerifyNotes(t, dir);
  });
});

describe('images signed with a CA-certified key', { skip: skip ?? registryMissing() ?? (typeof cosign === 'string' ? cosign : undefined) }, () => {
  test('orel verifies them on release; cosign accepts the bundle referrer (--trusted-root) and the .sig tag (--certificate-chain); another CA is refused', async (t) => {
    const { path } = cosign as Peer;
    const reg = await startRegistry();
    t.after(() => reg.close());
    const app = await pushIndex(new RegistryClient(reg.host), 'staging/app', 'build-1');
    const ws = workspace(t);
    const ca = makeCa(join(ws.dir, 'pki'));
    ca.issue('release', makeKey(ca.dir, 'release.key'));
    const plan = caPlan(ws, 'images.yaml', 'pki/release.pem');
    writeFileSync(plan, readFileSync(plan, 'utf8') + ['images:', '  - name: app', `    ref: ${reg.host}/staging/app:build-1`, `    promoteTo: [${reg.host}/release/app]`, '    tags: ["v{version}"]', ''].join('\n'));
    const run = await orel(['release', '--plan', plan, '--sandbox', ws.sandbox, '--json'], { cwd: ws.dir });
    assert.equal(run.status, 0, errorLines(run.stderr) || run.stderr.slice(-2000));
    assert.equal(run.json().verified, true);
    const served = await startRegistry({ dir: join(ws.sandbox, 'registry') });
    t.after(() => served.close());
    const ref = `${served.host}/release/127.0.0.1-${reg.host.split(':')[1]}/release/app@${app.digest}`;
    const released = join(ws.sandbox, 'targets/release/release/v1.2.0');
    const who = ['--certificate-identity', IDENTITY, '--certificate-oidc-issuer-regexp', '.*', '--insecure-ignore-tlog', '--insecure-ignore-sct', '--allow-http-registry', '--allow-insecure-registry'];
    const bundle = await runPeer(path, ['verify', '--trusted-root', join(released, 'trusted_root.json'), ...who, ref], ws.dir);
    assert.equal(bundle.status, 0, bundle.out);
    const legacy = await runPeer(path, ['verify', '--new-bundle-format=false', '--certificate-chain', join(released, 'ca-chain.pem'), ...who, ref], ws.dir);
    assert.equal(legacy.status, 0, legacy.out);
    const other = makeCa(join(ws.dir, 'other-pki'), 'Attacker Inc');
    const refused = await runPeer(path, ['verify', '--new-bundle-format=false', '--certificate-chain', other.chain, ...who, ref], ws.dir);
    assert.notEqual(refused.status, 0, 'cosign accepted the image under another CA');
  });
});
