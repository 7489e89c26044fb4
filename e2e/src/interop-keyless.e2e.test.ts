// Keyless interop with the real peers against the sandbox Sigstore (its
// Fulcio, its Rekor with the log it keeps on disk): cosign finds orel's
// .sig + .cert pair in the log as it finds Kubernetes' in the public Rekor,
// and refuses a pair that no log holds, as orel does. The reverse direction:
// what cosign sign-blob (Sigstore bundle, and the legacy .sig + .cert) and
// sigstore-python sign against the sandbox, orel verify-blob accepts.
import { describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { clientTrustConfig, signingConfig, startSandboxSigstore, type SandboxSigstore } from '@orel/sandbox';
import { createKeylessSigner, signArtifacts } from '@orel/sign';
import { parse } from 'yaml';
import { errorLines, orel, workspace, type Workspace } from './helpers.js';
import { cosignLegacyEnv, peer, rootOf, runPeer, type Peer } from './peers.js';
import { extractCommands, shellWords } from '@orel/release';

const cosign = peer('cosign');
const sigstore = peer('sigstore');
const ATTACKER = 'https://github.com/attacker/x/.github/workflows/r.yml@refs/heads/main';

/** The sandbox's Fulcio and Rekor v1 only (its signing configs also list the TSA, and the Rekor v2 one its v2 log, which peers then use). */
const v1 = (sb: SandboxSigstore) => ({ fulcioUrl: sb.fulcioUrl, rekorUrl: sb.rekorUrl });

const run = (tool: Peer, args: string[], cwd: string, env: Record<string, string> = {}) => runPeer(tool.path, args, cwd, env);

/** The sandbox Sigstore of a workspace, running (its log persisted from earlier runs). */
async function sandbox(t: TestContext, ws: Workspace, identity: string, issuer: string): Promise<SandboxSigstore> {
  const sb = await startSandboxSigstore({ dir: join(ws.sandbox, 'sigstore'), identity, issuer });
  t.after(() => sb.close());
  return sb;
}


describe('cosign agrees on keyless .sig + .cert: the pair is proved by its Rekor entry', { skip: typeof cosign === 'string' ? cosign : undefined }, () => {
  test("cosign verify-blob finds orel's pair in the sandbox Rekor; a pair that no log holds is refused by cosign and orel alike", async (t) => {
    t.diagnostic(`cosign ${(cosign as Peer).version}`);
    const ws = workspace(t, 'release.yaml');
    const r = await orel(['release', '--plan', ws.plan, '--sandbox', ws.sandbox], { cwd: ws.dir });
    assert.equal(r.status, 0, errorLines(r.stderr));
    const policy = parse(readFileSync(ws.plan, 'utf8')).verification as { identity: string; issuer: string };
    const sb = await sandbox(t, ws, policy.identity, policy.issuer);
    const env = cosignLegacyEnv(ws.dir, sb.trustedRootPath);
    const dir = join(ws.sandbox, 'targets/release/release/v1.2.0');
    const cosignPair = (file: string, cwd: string, identity = policy.identity) =>
      run(cosign as Peer, ['verify-blob', file, '--signature', `${file}.sig`, '--certificate', `${file}.cert`, '--certificate-identity', identity, '--certificate-oidc-issuer', policy.issuer, '--rekor-url', rootOf(sb.rekorUrl)], cwd, env);
    for (const file of ['hello-linux-amd64', 'hello-1.2.0-darwin-arm64.tar.gz']) {
      const ok = await cosignPair(file, dir);
      assert.equal(ok.status, 0, `${file}\n${ok.out}`);
      assert.notEqual((await cosignPair(file, dir, ATTACKER)).status, 0, `${file}: another identity`);
    }

    // Signed later with a genuine certificate for the identity, never logged.
    const evil = join(ws.dir, 'evil');
    mkdirSync(evil);
    const bytes = Buffer.from('#!/bin/sh\necho pwned\n');
    writeFileSync(join(evil, 'hello-linux-amd64'), bytes);
    const signer = await createKeylessSigner({ fulcio: sb.fulcioUrl }, { token: async () => sb.mintToken() });
    const a = { name: 'hello-linux-amd64', kind: 'binary' as const, path: join(evil, 'hello-linux-amd64'), size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex'), sha512: createHash('sha512').update(bytes).digest('hex') };
    await signArtifacts({ artifacts: [a], signer, witnesses: [], outputs: ['sig', 'cert'], workDir: evil });
    assert.notEqual((await cosignPair('hello-linux-amd64', evil)).status, 0, 'cosign: an unlogged pair');
    const byOrel = await orel(['verify-blob', 'hello-linux-amd64', '--signature', 'hello-linux-amd64.sig', '--certificate', 'hello-linux-amd64.cert', '--certificate-identity', policy.identity, '--certificate-oidc-issuer', policy.issuer, '--trusted-root', sb.trustedRootPath, '--rekor-url', rootOf(sb.rekorUrl)], { cwd: evil });
    assert.equal(byOrel.status, 3, `orel: an unlogged pair\n${byOrel.stderr}`);
  });
});

describe('naming presets round-trip: orel writes the names, cosign and VERIFY.md use them', { skip: typeof cosign === 'string' ? cosign : undefined }, () => {
  // cosign's --output-certificate habit: <file>.sig + <file>.pem; Spin: <file>.sig + one crt.pem;
  // Carvel and Flux: only checksums.txt signed, as checksums.txt.sig + .pem.
  const perFile = (f: string) => `${f}.pem`;
  for (const [preset, edit, signed, absent, cert] of [
    ['cosign (<file>.sig + <file>.pem)', (y: string) => y.replace('  outputs: [bundle, sig, cert]\n', '  outputs: [sig, cert]\n  naming: cosign\n'), ['hello-linux-amd64', 'hello-1.2.0-darwin-arm64.tar.gz'], ['hello-linux-amd64.cert', 'hello-linux-amd64.sigstore.json'], perFile],
    ['Spin (<file>.sig + crt.pem)', (y: string) => y.replace('  outputs: [bundle, sig, cert]\n', '  outputs: [sig, cert]\n  naming: spin\n'), ['hello-linux-amd64', 'hello-1.2.0-darwin-arm64.tar.gz', 'hello-1.2.0.spdx.json'], ['hello-linux-amd64.cert', 'hello-linux-amd64.pem', 'SHA256SUMS.sig'], () => 'crt.pem'],
    [
      'Carvel/Flux (checksums.txt + .sig + .pem)',
      (y: string) =>
        y
          .replace('  outputs: [bundle, sig, cert]\n', '  outputs: [sig, cert]\n  naming: cosign\n')
          .replace('  what: artifacts\n', '  what: checksums\n')
          .replace('    - { name: SHA256SUMS, algorithm: sha256 }\n    - { name: SHA512SUMS, algorithm: sha512 }\n', '    - { name: checksums.txt, algorithm: sha256 }\n'),
      ['checksums.txt'],
      ['hello-linux-amd64.sig', 'hello-linux-amd64.pem', 'checksums.txt.cert'],
      perFile,
    ],
  ] as const) {
    test(`${preset}: cosign verify-blob accepts each pair under its names; VERIFY.md's orel lines name them and pass verbatim`, async (t) => {
      const ws = workspace(t, 'release.yaml');
      const plan = ws.variant('named.yaml', edit);
      const r = await orel(['release', '--plan', plan, '--sandbox', ws.sandbox], { cwd: ws.dir });
      assert.equal(r.status, 0, errorLines(r.stderr));
      const dir = join(ws.sandbox, 'targets/release/release/v1.2.0');
      for (const f of absent) assert.equal(existsSync(join(dir, f)), false, `${f} is not written under this naming`);
      const policy = parse(readFileSync(ws.plan, 'utf8')).verification as { identity: string; issuer: string };
      const sb = await sandbox(t, ws, policy.identity, policy.issuer);
      const env = cosignLegacyEnv(ws.dir, sb.trustedRootPath);
      for (const file of signed) {
        const pair = (identity: string) => run(cosign as Peer, ['verify-blob', file, '--signature', `${file}.sig`, '--certificate', cert(file), '--certificate-identity', identity, '--certificate-oidc-issuer', policy.issuer, '--rekor-url', rootOf(sb.rekorUrl)], dir, env);
        const ok = await pair(policy.identity);
        assert.equal(ok.status, 0, `${file}\n${ok.out}`);
        assert.notEqual((await pair(ATTACKER)).status, 0, `${file}: another identity`);
      }
      // VERIFY.md names the files as written, and its orel lines pass as printed.
      const lines = extractCommands(readFileSync(join(dir, 'VERIFY.md'), 'utf8')).filter((c) => c.startsWith('orel verify-blob'));
      const pairs = lines.filter((c) => c.includes('--signature'));
      assert.ok(pairs.length > 0 && pairs.every((c) => { const f = /verify-blob (\S+) /.exec(c)![1]; return c.includes(` --signature ${f}.sig --certificate ${cert(f)} `); }), lines.join('\n'));
      for (const line of lines) {
        const v = await orel(shellWords(line).slice(1), { cwd: dir });
        assert.equal(v.status, 0, `${line}\n${v.stderr}`);
      }
      if (signed[0] === 'checksums.txt') assert.equal((await runPeer('sha256sum', ['--ignore-missing', '-c', 'checksums.txt'], dir)).status, 0, 'sha256sum -c checksums.txt');
    });
  }
});

describe('the reverse direction: what cosign and sigstore-python sign keyless, orel verifies', () => {
  const IDENTITY = 'interop@example.com';
  const ISSUER = 'https://issuer.example.com';

  /** orel verify-blob accepts art.txt's bundle for IDENTITY, and refuses another identity, then the file tampered with. */
  async function orelJudgesBundle(sb: SandboxSigstore, dir: string): Promise<void> {
    const verify = (identity = IDENTITY) => orel(['verify-blob', 'art.txt', '--bundle', 'art.txt.sigstore.json', '--certificate-identity', identity, '--certificate-oidc-issuer', ISSUER, '--trusted-root', sb.trustedRootPath], { cwd: dir });
    const ok = await verify();
    assert.equal(ok.status, 0, ok.stderr);
    assert.notEqual((await verify(ATTACKER)).status, 0, 'another identity');
    appendFileSync(join(dir, 'art.txt'), 'x');
    assert.notEqual((await verify()).status, 0, 'a tampered file');
  }

  test('cosign sign-blob against the sandbox: a Sigstore bundle, a .sig + .cert pair found in its log, and one with an RFC 3161 timestamp verify with orel; another identity and a tampered file do not', { skip: typeof cosign === 'string' ? cosign : undefined }, async (t) => {
    const ws = workspace(t);
    const sb = await sandbox(t, ws, IDENTITY, ISSUER);
    const dir = ws.dir;
    writeFileSync(join(dir, 'token'), sb.mintToken());
    writeFileSync(join(dir, 'art.txt'), 'signed by cosign\n');
    writeFileSync(join(dir, 'signing.json'), JSON.stringify(signingConfig(v1(sb))));
    // cosign takes a token that is not a signed JWT as a file name: pass the file.
    const bundle = await run(cosign as Peer, ['sign-blob', '--identity-token', join(dir, 'token'), '--signing-config', 'signing.json', '--trusted-root', sb.trustedRootPath, '--bundle', 'art.txt.sigstore.json', '-y', 'art.txt'], dir);
    assert.equal(bundle.status, 0, bundle.out);
    const legacy = await run(
      cosign as Peer,
      ['sign-blob', '--use-signing-config=false', '--new-bundle-format=false', '--fulcio-url', sb.fulcioUrl, '--rekor-url', rootOf(sb.rekorUrl), '--identity-token', join(dir, 'token'), '--output-signature', 'art.txt.sig', '--output-certificate', 'art.txt.cert', '-y', 'art.txt'],
      dir,
      cosignLegacyEnv(dir, sb.trustedRootPath),
    );
    assert.equal(legacy.status, 0, legacy.out);
    // Not logged, timestamped by the sandbox TSA instead (cosign sends a DER TimeStampReq).
    const stamped = await run(
      cosign as Peer,
      ['sign-blob', '--use-signing-config=false', '--new-bundle-format=false', '--fulcio-url', sb.fulcioUrl, '--tlog-upload=false', '--timestamp-server-url', sb.tsaUrl, '--rfc3161-timestamp', 'art.txt.tsr.json', '--identity-token', join(dir, 'token'), '--output-signature', 'ts.sig', '--output-certificate', 'ts.cert', '-y', 'art.txt'],
      dir,
      cosignLegacyEnv(dir, sb.trustedRootPath),
    );
    assert.equal(stamped.status, 0, stamped.out);
    const inputs = [
      ['--bundle', 'art.txt.sigstore.json'],
      ['--signature', 'art.txt.sig', '--certificate', 'art.txt.cert', '--rekor-url', rootOf(sb.rekorUrl)],
      ['--signature', 'ts.sig', '--certificate', 'ts.cert', '--rfc3161-timestamp', 'art.txt.tsr.json'],
    ];
    const verify = (how: string[], identity = IDENTITY) => orel(['verify-blob', 'art.txt', ...how, '--certificate-identity', identity, '--certificate-oidc-issuer', ISSUER, '--trusted-root', sb.trustedRootPath], { cwd: dir });
    for (const how of inputs) {
      const ok = await verify(how);
      assert.equal(ok.status, 0, `${how.join(' ')}\n${ok.stderr}`);
      assert.notEqual((await verify(how, ATTACKER)).status, 0, `another identity: ${how.join(' ')}`);
    }
    assert.match((await verify(inputs[1])).stdout, /transparency-log entry [0-9a-f]{64} at index \d+/);
    assert.match((await verify(inputs[2])).stdout, /1 RFC 3161 timestamp/);
    const unproved = await verify(['--signature', 'ts.sig', '--certificate', 'ts.cert', '--rekor-url', rootOf(sb.rekorUrl)]);
    assert.equal(unproved.status, 3, `the unlogged pair without its timestamp\n${unproved.stderr}`);
    appendFileSync(join(dir, 'art.txt'), 'x');
    for (const how of inputs) assert.notEqual((await verify(how)).status, 0, `tampered: ${how.join(' ')}`);
  });

  test('sigstore-python sign against the sandbox: its bundle verifies with orel; another identity and a tampered file do not', { skip: typeof sigstore === 'string' ? sigstore : undefined }, async (t) => {
    t.diagnostic((sigstore as Peer).version);
    const ws = workspace(t);
    const sb = await sandbox(t, ws, IDENTITY, ISSUER);
    const dir = ws.dir;
    writeFileSync(join(dir, 'art.txt'), 'signed by sigstore-python\n');
    writeFileSync(join(dir, 'trust_config.json'), JSON.stringify(clientTrustConfig(sb.trustedRoot, v1(sb))));
    const signed = await run(sigstore as Peer, ['--trust-config', 'trust_config.json', 'sign', '--identity-token', sb.mintToken(), '--bundle', 'art.txt.sigstore.json', 'art.txt'], dir);
    assert.equal(signed.status, 0, signed.out);
    await orelJudgesBundle(sb, dir);
  });

  for (const [name, tool] of [
    ['cosign sign-blob', cosign],
    ['sigstore-python sign', sigstore],
  ] as const) {
    test(`${name} with the sandbox's signing config picks Rekor v2 and the TSA: its bundle (hashedrekord 0.0.2, a timestamp, no integrated time) verifies with orel; another identity and a tampered file do not`, { skip: typeof tool === 'string' ? tool : undefined }, async (t) => {
      const ws = workspace(t);
      const sb = await sandbox(t, ws, IDENTITY, ISSUER);
      const dir = ws.dir;
      writeFileSync(join(dir, 'art.txt'), `signed by ${name} into Rekor v2\n`);
      writeFileSync(join(dir, 'token'), sb.mintToken());
      writeFileSync(join(dir, 'signing.json'), JSON.stringify(sb.signingConfigRekorV2));
      writeFileSync(join(dir, 'trust_config.json'), JSON.stringify({ ...clientTrustConfig(sb.trustedRoot, {}), signingConfig: sb.signingConfigRekorV2 }));
      const args =
        tool === cosign
          ? ['sign-blob', '--identity-token', join(dir, 'token'), '--signing-config', 'signing.json', '--trusted-root', sb.trustedRootPath, '--bundle', 'art.txt.sigstore.json', '-y', 'art.txt']
          : ['--trust-config', 'trust_config.json', 'sign', '--identity-token', sb.mintToken(), '--bundle', 'art.txt.sigstore.json', 'art.txt'];
      const signed = await run(tool as Peer, args, dir);
      assert.equal(signed.status, 0, signed.out);
      assert.equal(sb.stats().rekorV2Entries, 1, 'one Rekor v2 entry');
      const bundle = JSON.parse(readFileSync(join(dir, 'art.txt.sigstore.json'), 'utf8'));
      const [entry] = bundle.verificationMaterial.tlogEntries;
      assert.deepEqual(entry.kindVersion, { kind: 'hashedrekord', version: '0.0.2' });
      assert.ok(!entry.integratedTime || entry.integratedTime === '0', 'no integrated time');
      assert.equal(bundle.verificationMaterial.timestampVerificationData.rfc3161Timestamps.length, 1);
      await orelJudgesBundle(sb, dir);
    });
  }
});
