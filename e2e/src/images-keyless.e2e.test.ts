// Keyless image signatures: the keyless quickstart (mock mode, the loopback
// Sigstore) with an images section. The `.sig` layers carry cosign's
// keyless annotations (certificate, chain, Rekor bundle), checked with
// openssl and node:crypto against the sandbox's trusted_root.json; then
// `orel verify-image` with the identity flags, and another identity fails.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { X509Certificate, createHash, createPublicKey, verify } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RegistryClient } from '@orel/oci';
import { pushIndex } from '@orel/oci/testing';
import { registryMissing, startRegistry, type RunningRegistry } from '@orel/registry';
import { parse, parseAllDocuments } from 'yaml';
import { errorLines, orel, workspace, type OrelRun } from './helpers.js';
import { sigLayers, tagDigest, type SigLayer } from './images-checks.js';

const ANN = {
  signature: 'dev.cosignproject.cosign/signature',
  certificate: 'dev.sigstore.cosign/certificate',
  chain: 'dev.sigstore.cosign/chain',
  bundle: 'dev.sigstore.cosign/bundle',
};

/** RFC 8785 for the flat Rekor payload: keys sorted, no whitespace. */
const canonical = (o: Record<string, unknown>): string => JSON.stringify(Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : 1))));

describe('keyless image signatures (mock mode)', { skip: registryMissing() }, () => {
  const ws = workspace({ after }, 'release.yaml');
  const policy = parse(readFileSync(ws.plan, 'utf8')).verification as { identity: string; issuer: string };
  const trustedRoot = join(ws.sandbox, 'sigstore/trusted_root.json');
  let reg: RunningRegistry;
  let sandbox: RunningRegistry;
  let app: { digest: string; platforms: string[] };
  let run: OrelRun;
  let releaseRepo: string;
  let plan: string;

  before(async () => {
    reg = await startRegistry();
    app = await pushIndex(new RegistryClient(reg.host), 'staging/app', 'build-1');
    plan = ws.variant('images.yaml', (y) =>
      [y, 'images:', '  - name: app', `    ref: ${reg.host}/staging/app:build-1`, '    signPlatforms: true', `    promoteTo: [${reg.host}/release/app]`, '    tags: ["v{version}"]', ''].join('\n'),
    );
    run = await orel(['release', '--plan', plan, '--sandbox', ws.sandbox, '--json'], { cwd: ws.dir });
    // What orel's sandbox registry stored, served again from the sandbox.
    sandbox = await startRegistry({ dir: join(ws.sandbox, 'registry') });
    releaseRepo = `release/127.0.0.1-${reg.host.split(':')[1]}/release/app`;
  });
  after(async () => {
    await sandbox?.close();
    await reg?.close();
  });

  test('releases and verifies; the release tag points at the staged index', async () => {
    assert.equal(run.status, 0, errorLines(run.stderr) || run.stderr.slice(-2500));
    assert.equal(run.json().verified, true);
    assert.equal(await tagDigest(sandbox.url, releaseRepo, 'v1.2.0'), app.digest);
  });

  test('each .sig layer: certificate for the plan identity, chain up to the sandbox CA, Rekor bundle whose SET verifies', async () => {
    const root = JSON.parse(readFileSync(trustedRoot, 'utf8')) as {
      certificateAuthorities: { certChain: { certificates: { rawBytes: string }[] } }[];
      tlogs: { logId: { keyId: string }; publicKey: { rawBytes: string } }[];
    };
    for (const digest of [app.digest, ...app.platforms]) {
      const { layers } = await sigLayers(sandbox.url, releaseRepo, digest);
      assert.equal(layers.length, 1, `${digest}: one signature layer`);
      const l: SigLayer = layers[0];
      const a = l.annotations;
      for (const k of Object.values(ANN)) assert.ok(a[k], `${digest}: annotation ${k}`);

      // Certificate: the plan's identity; the signature verifies over the payload with its key (openssl).
      const cert = new X509Certificate(a[ANN.certificate]);
      assert.ok(cert.subjectAltName?.includes(policy.identity), cert.subjectAltName);
      const files = { cert: join(ws.dir, 'leaf.pem'), chain: join(ws.dir, 'chain.pem'), pub: join(ws.dir, 'leaf.pub'), sig: join(ws.dir, 'sig.der'), payload: join(ws.dir, 'payload') };
      writeFileSync(files.cert, a[ANN.certificate]);
      writeFileSync(files.chain, a[ANN.chain]);
      writeFileSync(files.payload, l.payload);
      writeFileSync(files.sig, Buffer.from(a[ANN.signature], 'base64'));
      writeFileSync(files.pub, execFileSync('openssl', ['x509', '-in', files.cert, '-pubkey', '-noout']));
      assert.match(execFileSync('openssl', ['dgst', '-sha256', '-verify', files.pub, '-signature', files.sig, files.payload], { encoding: 'utf8' }), /Verified OK/);

      // Chain: the trusted root's CA, and the leaf chains up to it.
      const rootCa = root.certificateAuthorities.map((c) => c.certChain.certificates.map((x) => new X509Certificate(Buffer.from(x.rawBytes, 'base64')).raw.toString('base64')));
      const chain = (a[ANN.chain].match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map((p) => new X509Certificate(p).raw.toString('base64'));
      assert.ok(rootCa.some((c) => JSON.stringify(c) === JSON.stringify(chain)), 'chain is a CA chain of the trusted root');
      assert.match(execFileSync('openssl', ['verify', '-CAfile', files.chain, files.cert], { encoding: 'utf8' }), /OK/);

      // Bundle: cosign's RekorBundle; the body logs this very signature; the SET verifies with the log's key.
      const b = JSON.parse(a[ANN.bundle]) as { SignedEntryTimestamp: string; Payload: { body: string; integratedTime: number; logIndex: number; logID: string } };
      assert.deepEqual(Object.keys(b), ['SignedEntryTimestamp', 'Payload']);
      assert.deepEqual(Object.keys(b.Payload).sort(), ['body', 'integratedTime', 'logID', 'logIndex']);
      const body = JSON.parse(Buffer.from(b.Payload.body, 'base64').toString('utf8'));
      assert.equal(body.kind, 'hashedrekord');
      assert.equal(body.spec.data.hash.value, createHash('sha256').update(l.payload).digest('hex'));
      assert.equal(body.spec.signature.content, a[ANN.signature]);
      const tlog = root.tlogs.find((t) => Buffer.from(t.logId.keyId, 'base64').toString('hex') === b.Payload.logID);
      assert.ok(tlog, `logID ${b.Payload.logID} is a log of the trusted root`);
      const logKey = createPublicKey({ key: Buffer.from(tlog.publicKey.rawBytes, 'base64'), format: 'der', type: 'spki' });
      assert.ok(verify('sha256', Buffer.from(canonical(b.Payload)), logKey, Buffer.from(b.SignedEntryTimestamp, 'base64')), 'SET verifies');
      assert.ok(!verify('sha256', Buffer.from(canonical({ ...b.Payload, logIndex: b.Payload.logIndex + 1 })), logKey, Buffer.from(b.SignedEntryTimestamp, 'base64')));
    }
  });

  test('orel verify-image with the identity flags passes; another identity fails', async () => {
    const ref = `${sandbox.host}/${releaseRepo}:v1.2.0`;
    const flags = (identity: string) => ['verify-image', ref, '--certificate-identity', identity, '--certificate-oidc-issuer', policy.issuer, '--trusted-root', trustedRoot, '--platforms'];
    const good = await orel(flags(policy.identity), { cwd: ws.dir });
    assert.equal(good.status, 0, good.stderr);
    assert.match(good.stdout, /Verified .*@sha256:/);
    const bad = await orel(flags('https://github.com/attacker/repo/.github/workflows/x.yml@refs/heads/main'), { cwd: ws.dir });
    assert.equal(bad.status, 3, bad.stderr);
    assert.match(bad.stderr, /certificate identity .* is not https:\/\/github\.com\/attacker/);
  });

  test('without the bundle referrers (as cosign v2 signs), the .sig layers verify on their own Rekor bundle', async () => {
    for (const digest of [app.digest, ...app.platforms]) {
      const fallback = await tagDigest(sandbox.url, releaseRepo, digest.replace(':', '-'));
      assert.ok(fallback, `referrers fallback tag of ${digest}`);
      const res = await fetch(`${sandbox.url}/v2/${releaseRepo}/manifests/${fallback}`, { method: 'DELETE' });
      assert.equal(res.status, 202);
    }
    const ref = `${sandbox.host}/${releaseRepo}:v1.2.0`;
    const flags = (identity: string) => ['verify-image', ref, '--certificate-identity', identity, '--certificate-oidc-issuer', policy.issuer, '--trusted-root', trustedRoot, '--platforms', '--json'];
    const good = await orel(flags(policy.identity), { cwd: ws.dir });
    assert.equal(good.status, 0, good.stderr);
    const checks = good.json().checks as { source: string; ok: boolean; signer?: string }[];
    assert.deepEqual(checks.map((c) => [c.source, c.ok, c.signer]), [0, 1, 2].map(() => ['sig-tag', true, policy.identity]));
    const bad = await orel(flags('https://github.com/attacker/repo/.github/workflows/x.yml@refs/heads/main'), { cwd: ws.dir });
    assert.equal(bad.status, 3, bad.stderr);
    assert.match(bad.stderr, /sig-tag: certificate identity .* is not https:\/\/github\.com\/attacker/);
  });

  test('orel policy: admission policies for the released repository, trusting the sandbox Sigstore (mock) or public-good (--nomock); OpenShift refused for a URI identity', async () => {
    const out = join(ws.dir, 'policies');
    const r = await orel(['policy', '--plan', plan, '--sandbox', ws.sandbox, '-o', out], { cwd: ws.dir });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(readdirSync(out).sort(), ['kyverno-clusterpolicy.yaml', 'kyverno-imagevalidatingpolicy.yaml', 'policy-controller.yaml']);
    assert.match(r.stderr, /skipped openshift: .*e-mail address only/);
    const docs = (f: string) => parseAllDocuments(readFileSync(join(out, f), 'utf8')).map((d) => d.toJS());
    const [cp] = docs('kyverno-clusterpolicy.yaml');
    const vi = cp.spec.rules[0].verifyImages[0];
    assert.deepEqual(vi.imageReferences, [`${reg.host}/release/app:*`, `${reg.host}/release/app@*`]);
    const keyless = vi.attestors[0].entries[0].keyless;
    assert.deepEqual([keyless.subject, keyless.issuer], [policy.identity, policy.issuer]);
    // The sandbox's CA, as its trusted root has it.
    const root = JSON.parse(readFileSync(trustedRoot, 'utf8'));
    const ca = new X509Certificate(Buffer.from(root.certificateAuthorities[0].certChain.certificates.at(-1).rawBytes, 'base64'));
    assert.ok(keyless.roots.includes(ca.toString().trim()), 'the sandbox Fulcio root');
    const [trustRoot, cip] = docs('policy-controller.yaml');
    assert.equal(trustRoot.kind, 'TrustRoot');
    assert.equal(cip.spec.authorities[0].keyless.trustRootRef, trustRoot.metadata.name);

    // --nomock: public-good, which the controllers have built in (OREL_OFFLINE: the embedded root).
    const real = await orel(['policy', '--plan', plan, '--nomock', '--format', 'kyverno,policy-controller'], { cwd: ws.dir });
    assert.equal(real.status, 0, real.stderr);
    const realDocs = parseAllDocuments(real.stdout).map((d) => d.toJS());
    assert.deepEqual(realDocs.map((d) => d.kind), ['ClusterPolicy', 'ClusterImagePolicy']);
    assert.equal(realDocs[0].spec.rules[0].verifyImages[0].attestors[0].entries[0].keyless.roots, undefined);

    // Asked for by name, OpenShift's refusal is an error, and nothing is written.
    const os = await orel(['policy', '--plan', plan, '--sandbox', ws.sandbox, '--format', 'kyverno,openshift', '-o', join(ws.dir, 'os')], { cwd: ws.dir });
    assert.equal(os.status, 2, os.stderr);
    assert.match(os.stderr, /no OpenShift ClusterImagePolicy for this plan: OpenShift matches a keyless signer by e-mail address only/);
    assert.equal(existsSync(join(ws.dir, 'os')), false);
  });
});
