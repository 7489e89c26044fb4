// Interop with the verifiers users already run, against the sandbox's trust
// material: sigstore-python (4.x, installed by .ci/run) verifies every keyless
// bundle of the quickstart offline, and refuses a tampered file and a foreign
// identity. (cosign runs every VERIFY.md line in verify-notes.e2e.)
import { describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { appendFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { clientTrustConfig, signingConfig } from '@orel/sandbox';
import { errorLines, orel, workspace } from './helpers.js';
import { peer } from './peers.js';

const sigstore = peer('sigstore');

/** A sigstore-python ClientTrustConfig for the sandbox (its services are never contacted: --offline). */
function trustConfig(trustedRootFile: string, out: string): string {
  const nowhere = 'http://127.0.0.1:1';
  writeFileSync(out, JSON.stringify(clientTrustConfig(JSON.parse(readFileSync(trustedRootFile, 'utf8')), { fulcioUrl: nowhere, rekorUrl: nowhere })));
  return out;
}

describe('sigstore-python accepts orel keyless bundles', () => {
  test('every bundle of the keyless quickstart verifies offline; a tampered file, another identity and another issuer are refused', { skip: typeof sigstore === 'string' ? sigstore : undefined }, async (t) => {
    const { path, version } = sigstore as { path: string; version: string };
    t.diagnostic(version);
    const ws = workspace(t, 'release.yaml');
    const r = await orel(['release', '--plan', ws.plan, '--sandbox', ws.sandbox], { cwd: ws.dir });
    assert.equal(r.status, 0, errorLines(r.stderr));
    const policy = parse(readFileSync(ws.plan, 'utf8')).verification as { identity: string; issuer: string };
    const dir = join(ws.sandbox, 'targets/release/release/v1.2.0');
    const config = trustConfig(join(ws.sandbox, 'sigstore/trusted_root.json'), join(ws.dir, 'trust_config.json'));
    const files = readdirSync(dir).filter((f) => readdirSync(dir).includes(`${f}.sigstore.json`));
    assert.ok(files.length >= 9, files.join(', '));
    const verify = (identity: string, inputs: string[], issuer = policy.issuer) =>
      spawnSync(path, ['--trust-config', config, 'verify', 'identity', '--offline', '--cert-identity', identity, '--cert-oidc-issuer', issuer, ...inputs], { cwd: dir, encoding: 'utf8' });
    const ok = verify(policy.identity, files);
    assert.equal(ok.status, 0, `${ok.stdout}\n${ok.stderr}`);
    assert.equal((ok.stdout + ok.stderr).match(/^OK: /gm)?.length, files.length);
    // The release provenance (a DSSE bundle): each file is one of its subjects; a file it does not name is refused.
    const provenance = ['--bundle', 'hello-1.2.0.intoto.sigstore.json'];
    const attested = verify(policy.identity, [...provenance, 'hello-linux-amd64']);
    assert.equal(attested.status, 0, `provenance\n${attested.stdout}\n${attested.stderr}`);
    writeFileSync(join(dir, 'not-released'), 'x');
    assert.notEqual(verify(policy.identity, [...provenance, 'not-released']).status, 0, 'a file the provenance does not name');
    // The SBOM attestation likewise: the files the SBOM describes are its subjects.
    const sbom = ['--bundle', 'hello-1.2.0.spdx.json.intoto.sigstore.json'];
    const described = verify(policy.identity, [...sbom, 'hello-1.2.0-linux-amd64.tar.gz']);
    assert.equal(described.status, 0, `SBOM attestation\n${described.stdout}\n${described.stderr}`);
    assert.notEqual(verify(policy.identity, [...sbom, 'not-released']).status, 0, 'a file the SBOM attestation does not name');
    assert.notEqual(verify('https://github.com/attacker/x/.github/workflows/r.yml@refs/heads/main', [files[0]]).status, 0, 'another identity');
    assert.notEqual(verify(policy.identity, [files[0]], 'https://accounts.google.com').status, 0, 'another issuer');
    appendFileSync(join(dir, files[0]), 'x');
    assert.notEqual(verify(policy.identity, [files[0]]).status, 0, 'a tampered file');
  });
});

describe('the reverse direction: what cosign signs, orel verifies', () => {
  const cosign = peer('cosign');

  /** A workspace with a cosign key pair (cosign.key / cosign.pub) and a signing config without services (no log: --tlog-upload=false needs one in cosign 3). */
  function cosignKeyWorkspace(t: TestContext): { dir: string; cosignRun: (args: string[]) => void } {
    const { path, version } = cosign as { path: string; version: string };
    t.diagnostic(`cosign ${version}`);
    const dir = workspace(t).dir;
    const env = { ...process.env, COSIGN_PASSWORD: 'interop' };
    const cosignRun = (args: string[]) => {
      const r = spawnSync(path, args, { cwd: dir, env, encoding: 'utf8' });
      assert.equal(r.status, 0, `cosign ${args.join(' ')}\n${r.stderr}`);
    };
    cosignRun(['generate-key-pair']);
    writeFileSync(join(dir, 'no-services.json'), JSON.stringify(signingConfig()));
    return { dir, cosignRun };
  }
  test('cosign sign-blob --key: a Sigstore bundle, cosign\'s older bundle file and a bare .sig all verify with orel; a tampered file does not', { skip: typeof cosign === 'string' ? cosign : undefined }, async (t) => {
    const { dir, cosignRun } = cosignKeyWorkspace(t);
    writeFileSync(join(dir, 'artifact.bin'), 'released bytes\n');
    cosignRun(['sign-blob', '--key', 'cosign.key', '--signing-config', 'no-services.json', '--bundle', 'artifact.bin.sigstore.json', '-y', 'artifact.bin']);
    cosignRun(['sign-blob', '--key', 'cosign.key', '--use-signing-config=false', '--tlog-upload=false', '--new-bundle-format=false', '--bundle', 'artifact.bin.cosign-bundle', '-y', 'artifact.bin']);
    cosignRun(['sign-blob', '--key', 'cosign.key', '--use-signing-config=false', '--tlog-upload=false', '--new-bundle-format=false', '--output-signature', 'artifact.bin.sig', '-y', 'artifact.bin']);
    const inputs = [['--bundle', 'artifact.bin.sigstore.json'], ['--bundle', 'artifact.bin.cosign-bundle'], ['--signature', 'artifact.bin.sig']];
    for (const how of inputs) {
      const r = await orel(['verify-blob', 'artifact.bin', ...how, '--key', 'cosign.pub'], { cwd: dir });
      assert.equal(r.status, 0, `${how.join(' ')}\n${r.stderr}`);
    }
    appendFileSync(join(dir, 'artifact.bin'), 'x');
    for (const how of inputs) assert.notEqual((await orel(['verify-blob', 'artifact.bin', ...how, '--key', 'cosign.pub'], { cwd: dir })).status, 0, `tampered, ${how.join(' ')}`);
  });

  test('cosign attest-blob --key (SLSA v1 predicate): orel verify-blob --type slsaprovenance1 accepts it; another type, another key and another file are refused', { skip: typeof cosign === 'string' ? cosign : undefined }, async (t) => {
    const { dir, cosignRun } = cosignKeyWorkspace(t);
    writeFileSync(join(dir, 'artifact.bin'), 'attested bytes\n');
    writeFileSync(join(dir, 'predicate.json'), JSON.stringify({ buildDefinition: { buildType: 'https://example.com/build', externalParameters: {} }, runDetails: { builder: { id: 'https://example.com/builder' } } }));
    cosignRun(['attest-blob', '--key', 'cosign.key', '--signing-config', 'no-services.json', '--predicate', 'predicate.json', '--type', 'slsaprovenance1', '--bundle', 'artifact.att.sigstore.json', '-y', 'artifact.bin']);
    const verify = (type: string, key = 'cosign.pub', file = 'artifact.bin') => orel(['verify-blob', file, '--bundle', 'artifact.att.sigstore.json', '--type', type, '--key', key], { cwd: dir });
    const ok = await verify('slsaprovenance1');
    assert.equal(ok.status, 0, ok.stderr);
    const other = await verify('spdxjson');
    assert.equal(other.status, 3, other.stderr);
    assert.match(other.stderr, /predicate type is "https:\/\/slsa\.dev\/provenance\/v1", not https:\/\/spdx\.dev\/Document/);
    cosignRun(['generate-key-pair', '--output-key-prefix', 'other']);
    assert.notEqual((await verify('slsaprovenance1', 'other.pub')).status, 0, 'another key');
    writeFileSync(join(dir, 'other.bin'), 'other bytes\n');
    assert.notEqual((await verify('slsaprovenance1', 'cosign.pub', 'other.bin')).status, 0, 'a file the statement does not name');
  });
});
