// `orel release --nomock` of the quickstart signed by a Cloud KMS key (the
// gRPC test server, over plaintext loopback) and by a PKCS#11 key (SoftHSM2).
// Checked with tools that share no code with orel: every <file>.sig with
// openssl against the public key the KMS server / token hands out, every
// bundle with @sigstore/verify given that key, and VERIFY.md run verbatim
// (the real cosign among its tools).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createPublicKey } from 'node:crypto';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundleFromJSON } from '@sigstore/bundle';
import { Verifier, toSignedEntity, type TrustMaterial } from '@sigstore/verify';
import { startKmsServer, type KmsServer } from '@orel/kms-server';
import { createSoftHsmToken, softHsmMissing, type SoftHsmToken } from '@orel/softhsm';
import { errorLines, orel, workspace, type OrelRun, type Workspace } from './helpers.js';
import { notesSkip, runVerifyNotes } from './notes-runner.js';

const KEY_SIGNER = ['  release-key:', '    type: key', '    key: keys/cosign.key', '    password: ${env:COSIGN_PASSWORD}', ''].join('\n');

function keyTrust(pem: string): TrustMaterial {
  const publicKey = createPublicKey(pem);
  return { certificateAuthorities: [], timestampAuthorities: [], tlogs: [], ctlogs: [], publicKey: () => ({ publicKey, validFor: () => true }) };
}

/** Every signed file in the release dir: its .sig verifies with openssl, its bundle with @sigstore/verify. */
function checkRelease(ws: Workspace, pem: string): string[] {
  const dir = join(ws.dir, 'out/release/release/v1.2.0');
  const pub = join(ws.dir, 'expected.pub');
  writeFileSync(pub, pem);
  assert.equal(createPublicKey(readFileSync(join(dir, 'cosign.pub'), 'utf8')).export({ type: 'spki', format: 'der' }).toString('hex'), createPublicKey(pem).export({ type: 'spki', format: 'der' }).toString('hex'), 'cosign.pub is the signer key');
  const signed = readdirSync(dir).filter((f) => f.endsWith('.sig')).map((f) => f.slice(0, -4));
  assert.ok(signed.length >= 7, `signed files: ${signed.join(', ')}`);
  for (const name of signed) {
    const der = join(ws.dir, 'sig.der');
    writeFileSync(der, Buffer.from(readFileSync(join(dir, `${name}.sig`), 'utf8'), 'base64'));
    const out = execFileSync('openssl', ['dgst', '-sha256', '-verify', pub, '-signature', der, join(dir, name)], { encoding: 'utf8' });
    assert.match(out, /Verified OK/, name);
    const bundle = bundleFromJSON(JSON.parse(readFileSync(join(dir, `${name}.sigstore.json`), 'utf8')));
    new Verifier(keyTrust(pem), { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0 }).verify(toSignedEntity(bundle, readFileSync(join(dir, name))));
    assert.throws(() => new Verifier(keyTrust(pem), { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0 }).verify(toSignedEntity(bundle, Buffer.from('tampered'))));
  }
  return signed;
}

describe('orel release --nomock with a Cloud KMS key', () => {
  const ws = workspace({ after });
  const KEY = 'projects/orel/locations/global/keyRings/release/cryptoKeys/signing/cryptoKeyVersions/1';
  let server: KmsServer;
  let pem: string;
  let run: OrelRun;

  before(async () => {
    server = await startKmsServer();
    pem = server.addKey(KEY, 'EC_SIGN_P256_SHA256').publicKeyPem;
    // The first signatures meet a quota error: orel backs off and carries on.
    server.failNext('AsymmetricSign', 8 /* RESOURCE_EXHAUSTED */, 2);
    const plan = ws.variant('kms.yaml', (y) =>
      y.replace(KEY_SIGNER, `  release-key:\n    type: kms\n    key: gcpkms://${KEY}\n    endpoint: ${server.endpoint}\n    insecure: true\n`),
    );
    run = await orel(['release', '--plan', plan, '--nomock', '--json'], { cwd: ws.dir, env: { COSIGN_PASSWORD: undefined } });
  });
  after(() => server?.close());

  test('exits 0, verified, every .sig and bundle checks out against the KMS public key', () => {
    assert.equal(run.status, 0, errorLines(run.stderr) || run.stderr.slice(-2000));
    assert.equal(run.json().verified, true);
    const signed = checkRelease(ws, pem);
    assert.ok(server.calls.AsymmetricSign >= signed.length + 2, `${server.calls.AsymmetricSign} sign calls for ${signed.length} files`);
    assert.equal(server.calls.GetPublicKey, 1, 'public key fetched once');
  });

  test('every command of its VERIFY.md passes verbatim (cosign with the KMS public key); a tampered file fails', { skip: notesSkip }, async (t) => {
    await runVerifyNotes(t, join(ws.dir, 'out/release/release/v1.2.0'));
  });
});

const missing = softHsmMissing();

describe('orel release --nomock with a PKCS#11 key (SoftHSM2)', { skip: missing }, () => {
  const ws = workspace({ after });
  let token: SoftHsmToken;
  let run: OrelRun;

  before(async () => {
    token = await createSoftHsmToken({ pin: 'orel-hsm-pin-7731' });
    const plan = ws.variant('hsm.yaml', (y) =>
      y.replace(KEY_SIGNER, `  release-key:\n    type: pkcs11\n    uri: "${token.uri}"\n    module: ${token.module}\n    pin: \${env:HSM_PIN}\n`),
    );
    run = await orel(['release', '--plan', plan, '--nomock', '--json'], { cwd: ws.dir, env: { SOFTHSM2_CONF: token.conf, HSM_PIN: token.pin, COSIGN_PASSWORD: undefined } });
  });
  after(() => token?.cleanup());

  test('exits 0, verified, every .sig and bundle checks out against the token key', () => {
    assert.equal(run.status, 0, errorLines(run.stderr) || run.stderr.slice(-2000));
    assert.equal(run.json().verified, true);
    checkRelease(ws, token.publicKeyPem);
    assert.ok(!run.stdout.includes(token.pin) && !run.stderr.includes(token.pin), 'the PIN never reaches the output');
  });

  test('every command of its VERIFY.md passes verbatim (cosign with the token public key); a tampered file fails', { skip: notesSkip }, async (t) => {
    await runVerifyNotes(t, join(ws.dir, 'out/release/release/v1.2.0'));
  });
});

if (missing) test('PKCS#11 release e2e', { skip: missing }, () => {});
