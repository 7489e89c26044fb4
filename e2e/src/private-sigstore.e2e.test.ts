// A corporate Sigstore (the OpenShift case) from the real services on
// loopback (tools/sigstore-stack: Fulcio, TesseraCT, rekor-tiles, the
// timestamp authority, an OIDC issuer, a TUF repository). `orel release
// --nomock` takes its trust and services from that TUF repository with an
// empty cache, signs into Rekor v2 with timestamps, and every bundle verifies
// with orel, cosign and sigstore-python; cosign and sigstore-python sign
// against the same stack and orel verifies what they made.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startPrivateSigstore, stackMissing, type PrivateSigstore } from '@orel/sigstore-stack';
import { errorLines, orel, workspace, type Workspace } from './helpers.js';
import { notesSkip, runVerifyNotes } from './notes-runner.js';
import { peer, runPeer, type Peer } from './peers.js';

const cosign = peer('cosign');
const sigstore = peer('sigstore');
const ATTACKER = 'attacker@corp.example';
const skip = stackMissing() || notesSkip || (typeof sigstore === 'string' ? sigstore : undefined);

/** The quickstart plan pointed at the private stack: services and trust from its TUF repository. */
function corporatePlan(ws: Workspace, stack: PrivateSigstore, signer = ''): string {
  return ws.variant('corp.yaml', (y) =>
    y
      .replace(/^( {4}type: keyless).*$/m, `$1\n    signingConfig: tuf${signer}`)
      .replace(/^ {2}identity: .*\n {2}issuer: .*$/m, `  identity: ${stack.identity}\n  issuer: ${stack.oidcIssuer}\n  tuf: { mirror: "${stack.tufUrl}", root: ${stack.tufRootPath} }`),
  );
}

describe('a private Sigstore from the real services (Fulcio, TesseraCT, rekor-tiles, timestamp-authority) on loopback', { skip }, () => {
  let stack: PrivateSigstore;
  before(async () => {
    stack = await startPrivateSigstore();
  });
  after(() => stack?.close());

  const trustConfig = (dir: string) => {
    const file = join(dir, 'trust_config.json');
    writeFileSync(file, JSON.stringify({ mediaType: 'application/vnd.dev.sigstore.clienttrustconfig.v0.1+json', trustedRoot: stack.trustedRoot, signingConfig: stack.signingConfig }));
    return file;
  };
  const cosignVerify = (file: string, cwd: string, identity = stack.identity) =>
    runPeer((cosign as Peer).path, ['verify-blob', file, '--bundle', `${file}.sigstore.json`, '--certificate-identity', identity, '--certificate-oidc-issuer', stack.oidcIssuer, '--trusted-root', stack.trustedRootPath], cwd);
  const pythonVerify = (file: string, cwd: string, identity = stack.identity) =>
    runPeer((sigstore as Peer).path, ['--trust-config', trustConfig(cwd), 'verify', 'identity', file, '--bundle', `${file}.sigstore.json`, '--cert-identity', identity, '--cert-oidc-issuer', stack.oidcIssuer], cwd);
  const orelVerify = (file: string, cwd: string, identity = stack.identity) =>
    orel(['verify-blob', file, '--bundle', `${file}.sigstore.json`, '--certificate-identity', identity, '--certificate-oidc-issuer', stack.oidcIssuer, '--trusted-root', stack.trustedRootPath], { cwd });

  test('orel release --nomock signs through the TUF-published signing config (empty cache): Rekor v2 entries with timestamps, verified by orel, cosign and sigstore-python, and VERIFY.md verbatim', async (t) => {
    t.diagnostic(`cosign ${(cosign as Peer).version}; ${(sigstore as Peer).version}`);
    const ws = workspace(t, 'release.yaml');
    const plan = corporatePlan(ws, stack);
    writeFileSync(join(ws.dir, 'token'), await stack.mintToken());
    const cache = join(ws.dir, 'tuf-cache');
    const r = await orel(['release', '--nomock', '--plan', plan, '--identity-token-file', join(ws.dir, 'token')], { cwd: ws.dir, env: { OREL_OFFLINE: '0', OREL_TUF_CACHE: cache } });
    assert.equal(r.status, 0, errorLines(r.stderr));
    assert.ok(existsSync(join(cache, encodeURIComponent(new URL(stack.tufUrl).host), 'targets', 'signing_config.v0.2.json')), 'the signing config came through TUF');

    const dir = join(ws.dir, 'out/release/release/v1.2.0');
    const signed = readdirSync(dir).filter((f) => f.endsWith('.sigstore.json') && !f.endsWith('.intoto.sigstore.json')).map((f) => f.slice(0, -'.sigstore.json'.length));
    assert.equal(signed.length, 9, signed.join(' '));
    for (const file of signed) {
      const { verificationMaterial: vm } = JSON.parse(readFileSync(join(dir, `${file}.sigstore.json`), 'utf8'));
      assert.deepEqual(vm.tlogEntries[0].kindVersion, { kind: 'hashedrekord', version: '0.0.2' }, file);
      assert.ok(!vm.tlogEntries[0].integratedTime || vm.tlogEntries[0].integratedTime === '0', `${file}: Rekor v2 records no time`);
      assert.equal(vm.timestampVerificationData.rfc3161Timestamps.length, 1, `${file}: the TSA's timestamp`);
      for (const [who, run] of [['orel', orelVerify], ['cosign', cosignVerify], ['sigstore-python', pythonVerify]] as const) {
        const ok = await run(file, dir);
        assert.equal(ok.status, 0, `${who} ${file}\n${'out' in ok ? ok.out : ok.stderr}`);
      }
    }
    const example = 'hello-linux-amd64';
    for (const [who, run] of [['orel', orelVerify], ['cosign', cosignVerify], ['sigstore-python', pythonVerify]] as const) {
      assert.notEqual((await run(example, dir, ATTACKER)).status, 0, `${who}: another identity`);
    }
    await runVerifyNotes(t, dir);
  });

  test('a plan that asks for Rekor v1 is refused before anything is signed or written: the stack publishes only Rekor v2', async (t) => {
    const ws = workspace(t, 'release.yaml');
    const plan = corporatePlan(ws, stack, '\n    rekorVersion: 1');
    writeFileSync(join(ws.dir, 'token'), await stack.mintToken());
    const r = await orel(['release', '--nomock', '--plan', plan, '--identity-token-file', join(ws.dir, 'token')], { cwd: ws.dir, env: { OREL_OFFLINE: '0', OREL_TUF_CACHE: join(ws.dir, 'tuf-cache') } });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /no Rekor \(rekorTlogUrls\) valid now with API version ≤ 1 \(listed: http:\/\/127\.0\.0\.1:\d+ \(v2\)\)/);
    assert.equal(existsSync(join(ws.dir, 'out')), false, 'no target was touched');
  });

  test('cosign sign-blob and sigstore-python sign against the stack: orel verifies their bundles; another identity and a tampered file are refused', async (t) => {
    const ws = workspace(t);
    const dir = ws.dir;
    writeFileSync(join(dir, 'signing.json'), JSON.stringify(stack.signingConfig));
    for (const [who, tool, args] of [
      ['cosign', cosign, (token: string) => ['sign-blob', '--identity-token', token, '--signing-config', 'signing.json', '--trusted-root', stack.trustedRootPath, '--bundle', 'cosign.txt.sigstore.json', '-y', 'cosign.txt']],
      ['sigstore-python', sigstore, (token: string) => ['--trust-config', trustConfig(dir), 'sign', '--identity-token', token, '--bundle', 'python.txt.sigstore.json', 'python.txt']],
    ] as const) {
      const file = who === 'cosign' ? 'cosign.txt' : 'python.txt';
      writeFileSync(join(dir, file), `signed by ${who} against the private stack\n`);
      const signedBy = await runPeer((tool as Peer).path, args(await stack.mintToken()), dir);
      assert.equal(signedBy.status, 0, `${who} signs\n${signedBy.out}`);
      const ok = await orelVerify(file, dir);
      assert.equal(ok.status, 0, `${who}'s bundle\n${ok.stderr}`);
      assert.match(ok.stdout, /signed by release@corp\.example/);
      assert.notEqual((await orelVerify(file, dir, ATTACKER)).status, 0, `${who}: another identity`);
      appendFileSync(join(dir, file), 'x');
      assert.equal((await orelVerify(file, dir)).status, 3, `${who}: a tampered file`);
    }
  });
});
