// Image attestations with the real cosign (v3.1, installed by .ci/run) on a
// real docker-registry: the release's SLSA provenance and an SBOM bound to
// the image are attached as cosign attest does and promoted with it; after
// promotion `cosign verify-attestation --type` accepts both, from the bundle
// referrers (cosign 3) and — with the referrers gone — from the `.att` tag
// (cosign 2's layout), key-signed and keyless against the sandbox Sigstore;
// another key, another identity and a type never attached are refused.
// `orel verify-image --type` agrees, and `orel verify` (verify-images)
// requires them. The reverse: what `cosign attest` attaches (bundle referrer
// and .att tag), `orel verify-image --type` accepts.
import { describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RegistryClient } from '@orel/oci';
import { pushIndex } from '@orel/oci/testing';
import { registryMissing, startRegistry, type RunningRegistry } from '@orel/registry';
import { signingConfig } from '@orel/sandbox';
import { generateKeyPair } from '@orel/sign';
import { parse } from 'yaml';
import { errorLines, orel, workspace } from './helpers.js';
import { appImagePlan, tagDigest } from './images-checks.js';
import { peer, runPeer, type Peer } from './peers.js';

const cosign = peer('cosign');
const skip = registryMissing() || (typeof cosign === 'string' ? cosign : undefined);
const HTTP = ['--allow-http-registry', '--allow-insecure-registry'];
const ATTACKER = 'https://github.com/attacker/x/.github/workflows/r.yml@refs/heads/main';

const cosignRun = (args: string[], cwd: string) => runPeer((cosign as Peer).path, args, cwd);

async function registry(t: TestContext, dir?: string): Promise<RunningRegistry> {
  const reg = await startRegistry(dir ? { dir } : undefined);
  t.after(() => reg.close());
  return reg;
}

interface Released {
  dir: string;
  sandbox: string;
  plan: string;
  url: string;
  repo: string;
  ref: string;
  digest: string;
  policy: { identity: string; issuer: string };
}

/** Releases the plan with one image that the SBOM also describes; serves the sandbox registry again. */
async function releaseImage(t: TestContext, planFile: string): Promise<Released> {
  const reg = await registry(t);
  const app = await pushIndex(new RegistryClient(reg.host), 'staging/app', 'build-1');
  const ws = workspace(t, planFile);
  const plan = ws.variant('images.yaml', (y) =>
    [
      y.replace('  sboms: true\n', "  sboms:\n    - file: hello-1.2.0.spdx.json\n      describes: ['hello-1.2.0-*.tar.gz']\n      images: [app]\n"),
      ...appImagePlan(reg.host),
      '',
    ].join('\n'),
  );
  const run = await orel(['release', '--plan', plan, '--sandbox', ws.sandbox], { cwd: ws.dir });
  assert.equal(run.status, 0, errorLines(run.stderr) || run.stderr.slice(-2000));
  assert.match(run.stderr, /release\/verify-images \(\d+ ms\) [1-9]\d* image signatures and attestations verified/);
  const served = await registry(t, join(ws.sandbox, 'registry'));
  const repo = `release/127.0.0.1-${reg.host.split(':')[1]}/release/app`;
  return { dir: ws.dir, sandbox: ws.sandbox, plan, url: served.url, repo, ref: `${served.host}/${repo}@${app.digest}`, digest: app.digest, policy: parse(readFileSync(plan, 'utf8')).verification };
}

/** The predicate types cosign verified, from its JSON output (one envelope per line). */
function verifiedTypes(out: string): string[] {
  return out
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(Buffer.from(JSON.parse(l).payload, 'base64').toString('utf8')).predicateType as string);
}

/** Removes the referrers fallback tag: what is left is the `.att` tag (cosign 2's layout). */
async function dropReferrers(r: Released): Promise<void> {
  const fallback = await tagDigest(r.url, r.repo, r.digest.replace(':', '-'));
  assert.ok(fallback, 'the referrers fallback tag exists');
  assert.equal((await fetch(`${r.url}/v2/${r.repo}/manifests/${fallback}`, { method: 'DELETE' })).status, 202);
  assert.ok(await tagDigest(r.url, r.repo, `${r.digest.replace(':', '-')}.att`), 'the .att tag exists');
}

describe('cosign verify-attestation accepts the attestations orel attaches to images, after promotion', { skip }, () => {
  test('key-signed: provenance and SBOM, from bundle referrers and from the .att tag; another key or type is refused', async (t) => {
    t.diagnostic(`cosign ${(cosign as Peer).version}`);
    const r = await releaseImage(t, 'release-key.yaml');
    const pub = join(r.sandbox, 'targets/release/release/v1.2.0/cosign.pub');
    writeFileSync(join(r.dir, 'other.pub'), generateKeyPair().publicKeyPem);
    const check = async (layout: string) => {
      for (const [type, uri] of [['slsaprovenance1', 'https://slsa.dev/provenance/v1'], ['spdxjson', 'https://spdx.dev/Document']]) {
        const ok = await cosignRun(['verify-attestation', '--key', pub, '--insecure-ignore-tlog', '--type', type, ...HTTP, r.ref], r.dir);
        assert.equal(ok.status, 0, `${layout} ${type}\n${ok.out}`);
        assert.ok(verifiedTypes(ok.out).includes(uri), `${layout} ${type}: ${ok.out}`);
        const mine = await orel(['verify-image', r.ref, '--key', pub, '--type', type], { cwd: r.dir });
        assert.equal(mine.status, 0, `orel ${layout} ${type}\n${mine.stdout}${mine.stderr}`);
        assert.match(mine.stdout, new RegExp(`valid attestation\\(s\\) of type ${uri.replace(/\./g, '\\.')}`));
        assert.notEqual((await cosignRun(['verify-attestation', '--key', 'other.pub', '--insecure-ignore-tlog', '--type', type, ...HTTP, r.ref], r.dir)).status, 0, `${layout} ${type}: another key`);
        assert.notEqual((await orel(['verify-image', r.ref, '--key', 'other.pub', '--type', type], { cwd: r.dir })).status, 0, `orel ${layout} ${type}: another key`);
      }
      assert.notEqual((await cosignRun(['verify-attestation', '--key', pub, '--insecure-ignore-tlog', '--type', 'cyclonedx', ...HTTP, r.ref], r.dir)).status, 0, `${layout}: a type never attached`);
      assert.notEqual((await orel(['verify-image', r.ref, '--key', pub, '--type', 'cyclonedx'], { cwd: r.dir })).status, 0, `orel ${layout}: a type never attached`);
    };
    await check('referrers');
    await dropReferrers(r);
    await check('.att tag');
    // With the .att tag gone too, the release's own verification fails naming what is missing.
    const att = await tagDigest(r.url, r.repo, `${r.digest.replace(':', '-')}.att`);
    assert.equal((await fetch(`${r.url}/v2/${r.repo}/manifests/${att}`, { method: 'DELETE' })).status, 202);
    const verify = await orel(['verify', '--plan', r.plan, '--sandbox', r.sandbox], { cwd: r.dir });
    assert.equal(verify.status, 3, verify.stderr);
    assert.match(verify.stderr, /no https:\/\/slsa\.dev\/provenance\/v1 attestation \(referrers or sha256-[0-9a-f]{64}\.att\)/);
  });

  test('keyless (sandbox Sigstore): provenance and SBOM verify with --trusted-root, from referrers and from the .att tag; another identity is refused', async (t) => {
    const r = await releaseImage(t, 'release.yaml');
    const root = join(r.sandbox, 'sigstore/trusted_root.json');
    const policy = (identity: string) => ['--certificate-identity', identity, '--certificate-oidc-issuer', r.policy.issuer, '--trusted-root', root];
    const check = async (layout: string) => {
      for (const [type, uri] of [['slsaprovenance1', 'https://slsa.dev/provenance/v1'], ['spdxjson', 'https://spdx.dev/Document']]) {
        const ok = await cosignRun(['verify-attestation', ...policy(r.policy.identity), '--type', type, ...HTTP, r.ref], r.dir);
        assert.equal(ok.status, 0, `${layout} ${type}\n${ok.out}`);
        assert.ok(verifiedTypes(ok.out).includes(uri), `${layout} ${type}: ${ok.out}`);
        assert.match(ok.out, /transparency log was verified|tlog/i);
        const mine = await orel(['verify-image', r.ref, ...policy(r.policy.identity), '--type', type], { cwd: r.dir });
        assert.equal(mine.status, 0, `orel ${layout} ${type}\n${mine.stdout}${mine.stderr}`);
        assert.notEqual((await cosignRun(['verify-attestation', ...policy(ATTACKER), '--type', type, ...HTTP, r.ref], r.dir)).status, 0, `${layout} ${type}: another identity`);
        const bad = await orel(['verify-image', r.ref, ...policy(ATTACKER), '--type', type], { cwd: r.dir });
        assert.equal(bad.status, 3, `orel ${layout} ${type}: another identity`);
        assert.match(bad.stderr, /certificate identity .* is not https:\/\/github\.com\/attacker/);
      }
    };
    await check('referrers');
    await dropReferrers(r);
    await check('.att tag');
  });
});

describe('the reverse direction: what cosign attest attaches, orel verify-image --type accepts', { skip }, () => {
  test('cosign attest --key, as a bundle referrer and as an .att tag; another key and another type are refused', async (t) => {
    const reg = await registry(t);
    const client = new RegistryClient(reg.host);
    const ws = workspace(t);
    const env = { COSIGN_PASSWORD: 'interop' };
    assert.equal((await runPeer((cosign as Peer).path, ['generate-key-pair'], ws.dir, env)).status, 0);
    // No transparency log here: a signing config without services (cosign 3 wants one for --tlog-upload=false).
    writeFileSync(join(ws.dir, 'no-services.json'), JSON.stringify(signingConfig()));
    const bundled = await pushIndex(client, 'cosign/bundled', 'v1');
    const legacy = await pushIndex(client, 'cosign/legacy', 'v1');
    const attested = [
      [`${reg.host}/cosign/bundled@${bundled.digest}`, ['--signing-config', 'no-services.json']],
      [`${reg.host}/cosign/legacy@${legacy.digest}`, ['--use-signing-config=false', '--tlog-upload=false', '--new-bundle-format=false']],
    ] as const;
    for (const [ref, how] of attested) {
      const a = await runPeer((cosign as Peer).path, ['attest', '--key', 'cosign.key', '--type', 'spdxjson', '--predicate', join(ws.dir, 'dist/sbom/hello-1.2.0.spdx.json'), ...how, ...HTTP, '-y', ref], ws.dir, env);
      assert.equal(a.status, 0, `cosign attest ${how.join(' ')}\n${a.out}`);
      const v = await orel(['verify-image', ref, '--key', 'cosign.pub', '--type', 'spdxjson'], { cwd: ws.dir });
      assert.equal(v.status, 0, `${ref}\n${v.stdout}${v.stderr}`);
      assert.match(v.stdout, /1 valid attestation\(s\) of type https:\/\/spdx\.dev\/Document/);
      assert.notEqual((await orel(['verify-image', ref, '--key', 'cosign.pub', '--type', 'slsaprovenance1'], { cwd: ws.dir })).status, 0, `${ref}: another type`);
    }
    writeFileSync(join(ws.dir, 'other.pub'), generateKeyPair().publicKeyPem);
    assert.notEqual((await orel(['verify-image', attested[0][0], '--key', 'other.pub', '--type', 'spdxjson'], { cwd: ws.dir })).status, 0, 'another key');
  });
});
