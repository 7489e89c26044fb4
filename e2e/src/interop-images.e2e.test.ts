// Image signatures with the real cosign (v3.1, installed by .ci/run) on a real
// docker-registry: what orel signs (key and keyless against the sandbox
// Sigstore), `cosign verify` accepts — the Sigstore bundle referrer (cosign 3's
// default) and the `.sig` tag (--new-bundle-format=false, older cosigns) — for
// the index and every platform; another key, another identity and another
// issuer are refused. The reverse: what `cosign sign` attaches (key, and
// keyless against the sandbox Sigstore), in both formats, `orel verify-image` accepts.
import { describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RegistryClient } from '@orel/oci';
import { pushImage, pushIndex } from '@orel/oci/testing';
import { registryMissing, startRegistry, type RunningRegistry } from '@orel/registry';
import { signingConfig, startSandboxSigstore } from '@orel/sandbox';
import { generateKeyPair } from '@orel/sign';
import { parse } from 'yaml';
import { errorLines, orel, workspace } from './helpers.js';
import { cosignLegacyEnv, peer, rootOf, runPeer, type Peer } from './peers.js';

const cosign = peer('cosign');
const skip = registryMissing() || (typeof cosign === 'string' ? cosign : undefined);
const ATTACKER = 'https://github.com/attacker/x/.github/workflows/r.yml@refs/heads/main';

const cosignRun = (args: string[], cwd: string, env: Record<string, string> = {}) => runPeer((cosign as Peer).path, args, cwd, env);

async function registry(t: TestContext, dir?: string): Promise<RunningRegistry> {
  const reg = await startRegistry(dir ? { dir } : undefined);
  t.after(() => reg.close());
  return reg;
}

/** Releases the plan with one signed index (every platform signed); returns the released image in the sandbox registry, served again. */
async function releaseImage(t: TestContext, planFile: string): Promise<{ dir: string; sandbox: string; refs: string[]; policy: { identity: string; issuer: string } }> {
  const reg = await registry(t);
  const app = await pushIndex(new RegistryClient(reg.host), 'staging/app', 'build-1');
  const ws = workspace(t, planFile);
  const plan = ws.variant('images.yaml', (y) =>
    [y, 'images:', '  - name: app', `    ref: ${reg.host}/staging/app:build-1`, '    signPlatforms: true', `    promoteTo: [${reg.host}/release/app]`, '    tags: ["v{version}"]', ''].join('\n'),
  );
  const run = await orel(['release', '--plan', plan, '--sandbox', ws.sandbox], { cwd: ws.dir });
  assert.equal(run.status, 0, errorLines(run.stderr) || run.stderr.slice(-2000));
  const served = await registry(t, join(ws.sandbox, 'registry'));
  const repo = `${served.host}/release/127.0.0.1-${reg.host.split(':')[1]}/release/app`;
  return {
    dir: ws.dir,
    sandbox: ws.sandbox,
    refs: [app.digest, ...app.platforms].map((d) => `${repo}@${d}`),
    policy: parse(readFileSync(plan, 'utf8')).verification,
  };
}

const HTTP = ['--allow-http-registry', '--allow-insecure-registry'];
const FORMATS = [[], ['--new-bundle-format=false']];

describe('cosign verify accepts what orel signs', { skip }, () => {
  test('key-signed: bundle referrer and .sig tag, index and platforms; another key is refused', async (t) => {
    t.diagnostic(`cosign ${(cosign as Peer).version}`);
    const r = await releaseImage(t, 'release-key.yaml');
    const pub = join(r.sandbox, 'targets/release/release/v1.2.0/cosign.pub');
    for (const ref of r.refs) {
      for (const format of FORMATS) {
        const ok = await cosignRun(['verify', '--key', pub, '--insecure-ignore-tlog', ...HTTP, ...format, ref], r.dir);
        assert.equal(ok.status, 0, `${ref} ${format.join(' ')}\n${ok.out}`);
      }
    }
    assert.equal((await cosignRun(['generate-key-pair'], r.dir, { COSIGN_PASSWORD: 'x' })).status, 0);
    for (const format of FORMATS) {
      const other = await cosignRun(['verify', '--key', join(r.dir, 'cosign.pub'), '--insecure-ignore-tlog', ...HTTP, ...format, r.refs[0]], r.dir);
      assert.notEqual(other.status, 0, `another key ${format.join(' ')}`);
    }
  });

  test('keyless (sandbox Sigstore): bundle referrer and .sig tag verify with --trusted-root; another identity or issuer is refused', async (t) => {
    const r = await releaseImage(t, 'release.yaml');
    const root = join(r.sandbox, 'sigstore/trusted_root.json');
    const policy = (identity: string, issuer: string) => ['--certificate-identity', identity, '--certificate-oidc-issuer', issuer, '--trusted-root', root];
    for (const ref of r.refs) {
      for (const format of FORMATS) {
        const ok = await cosignRun(['verify', ...policy(r.policy.identity, r.policy.issuer), ...HTTP, ...format, ref], r.dir);
        assert.equal(ok.status, 0, `${ref} ${format.join(' ')}\n${ok.out}`);
        assert.match(ok.out, /transparency log was verified/);
      }
    }
    for (const format of FORMATS) {
      assert.notEqual((await cosignRun(['verify', ...policy(ATTACKER, r.policy.issuer), ...HTTP, ...format, r.refs[0]], r.dir)).status, 0, 'another identity');
      assert.notEqual((await cosignRun(['verify', ...policy(r.policy.identity, 'https://accounts.google.com'), ...HTTP, ...format, r.refs[0]], r.dir)).status, 0, 'another issuer');
    }
  });
});

describe('the reverse direction: what cosign sign attaches, orel verify-image accepts', { skip }, () => {
  test('cosign sign --key, as a bundle referrer and as a .sig tag; another key and an unsigned image are refused', async (t) => {
    const reg = await registry(t);
    const client = new RegistryClient(reg.host);
    const ws = workspace(t);
    const env = { COSIGN_PASSWORD: 'interop' };
    assert.equal((await cosignRun(['generate-key-pair'], ws.dir, env)).status, 0);
    // No transparency log here: a signing config without services (cosign 3 wants one for --tlog-upload=false).
    writeFileSync(join(ws.dir, 'no-services.json'), JSON.stringify(signingConfig()));
    const bundled = await pushImage(client, 'cosign/bundled', 'v1');
    const legacy = await pushImage(client, 'cosign/legacy', 'v1');
    const unsigned = await pushImage(client, 'cosign/unsigned', 'v1');
    const signed = [
      [`${reg.host}/cosign/bundled@${bundled.digest}`, ['--signing-config', 'no-services.json']],
      [`${reg.host}/cosign/legacy@${legacy.digest}`, ['--use-signing-config=false', '--tlog-upload=false', '--new-bundle-format=false']],
    ] as const;
    for (const [ref, how] of signed) {
      const s = await cosignRun(['sign', '--key', 'cosign.key', ...how, ...HTTP, '-y', ref], ws.dir, env);
      assert.equal(s.status, 0, `cosign sign ${how.join(' ')}\n${s.out}`);
      const v = await orel(['verify-image', ref, '--key', 'cosign.pub'], { cwd: ws.dir });
      assert.equal(v.status, 0, `${ref}\n${v.stdout}${v.stderr}`);
      assert.match(v.stdout, /1 valid signature/);
    }
    writeFileSync(join(ws.dir, 'other.pub'), generateKeyPair().publicKeyPem);
    assert.notEqual((await orel(['verify-image', signed[0][0], '--key', 'other.pub'], { cwd: ws.dir })).status, 0, 'another key');
    assert.notEqual((await orel(['verify-image', `${reg.host}/cosign/unsigned@${unsigned.digest}`, '--key', 'cosign.pub'], { cwd: ws.dir })).status, 0, 'an unsigned image');
  });

  test('cosign sign keyless against the sandbox Sigstore, as a bundle referrer and as a .sig tag; another identity is refused', async (t) => {
    const reg = await registry(t);
    const client = new RegistryClient(reg.host);
    const ws = workspace(t);
    const identity = 'interop@example.com';
    const issuer = 'https://issuer.example.com';
    const sb = await startSandboxSigstore({ dir: join(ws.sandbox, 'sigstore'), identity, issuer });
    t.after(() => sb.close());
    writeFileSync(join(ws.dir, 'token'), sb.mintToken());
    writeFileSync(join(ws.dir, 'signing.json'), JSON.stringify(signingConfig({ fulcioUrl: sb.fulcioUrl, rekorUrl: sb.rekorUrl })));
    const bundled = await pushImage(client, 'keyless/bundled', 'v1');
    const legacy = await pushImage(client, 'keyless/legacy', 'v1');
    const signed = [
      [`${reg.host}/keyless/bundled@${bundled.digest}`, ['--signing-config', 'signing.json', '--trusted-root', sb.trustedRootPath], {}],
      [
        `${reg.host}/keyless/legacy@${legacy.digest}`,
        ['--use-signing-config=false', '--new-bundle-format=false', '--fulcio-url', sb.fulcioUrl, '--rekor-url', rootOf(sb.rekorUrl)],
        cosignLegacyEnv(ws.dir, sb.trustedRootPath),
      ],
    ] as const;
    const verify = (ref: string, who = identity) =>
      orel(['verify-image', ref, '--certificate-identity', who, '--certificate-oidc-issuer', issuer, '--trusted-root', sb.trustedRootPath], { cwd: ws.dir });
    for (const [ref, how, env] of signed) {
      // cosign takes a token that is not a signed JWT as a file name: pass the file.
      const s = await cosignRun(['sign', '--identity-token', join(ws.dir, 'token'), ...how, ...HTTP, '-y', ref], ws.dir, env);
      assert.equal(s.status, 0, `cosign sign ${how.join(' ')}\n${s.out}`);
      const v = await verify(ref);
      assert.equal(v.status, 0, `${ref}\n${v.stdout}${v.stderr}`);
      assert.match(v.stdout, /1 valid signature/);
      assert.notEqual((await verify(ref, 'https://github.com/attacker/x/.github/workflows/r.yml@refs/heads/main')).status, 0, `another identity: ${ref}`);
    }
  });
});
