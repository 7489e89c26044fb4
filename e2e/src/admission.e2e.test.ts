// The admission policies `orel policy` writes, judged by the Kyverno CLI
// (kubectl-kyverno apply, which checks image signatures in the registry as
// the admission controller does): a Pod naming the image orel released and
// signed is admitted; one naming an unsigned image, or an image signed by
// another key, in the same repository is refused.
import { findGoTool } from '@orel/go-tools';
import { describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RegistryClient, signImage } from '@orel/oci';
import { pushImage, pushIndex } from '@orel/oci/testing';
import { registryMissing, startRegistry, type RunningRegistry } from '@orel/registry';
import { certifySigner, createKeyFileSigner, generateKeyPair } from '@orel/sign';
import { makeCa, makeKey } from '@orel/test-ca';
import { certifiedSignerPlan, errorLines, orel, workspace, type Workspace } from './helpers.js';
import { appImagePlan, tagDigest } from './images-checks.js';

export const KYVERNO_INSTALL = 'go mod download github.com/kyverno/kyverno@v1.19.1 and go build ./cmd/cli/kubectl-kyverno in that module (its replace directives keep go install from building it); .ci/run does this';

const bin = findGoTool('kubectl-kyverno');
const skip = registryMissing() ?? (bin ? undefined : `kubectl-kyverno not installed: ${KYVERNO_INSTALL}`);

const pod = (image: string) => ['apiVersion: v1', 'kind: Pod', 'metadata: { name: app, namespace: default }', 'spec:', '  containers:', '    - name: app', `      image: ${image}`, ''].join('\n');

/** The staging image pushed, the quickstart plan (signer edited by `plan`, which returns its lines) with it, released --nomock. */
async function releaseApp(t: TestContext, name: string, plan: (dir: string, yaml: string) => string[]): Promise<{ ws: Workspace; reg: RunningRegistry; client: RegistryClient; plan: string }> {
  const reg = await startRegistry();
  t.after(() => reg.close());
  const client = new RegistryClient(reg.host);
  const ws = workspace(t);
  await pushIndex(client, 'staging/app', 'build-1');
  const file = ws.variant(name, (y) => [...plan(ws.dir, y), ...appImagePlan(reg.host), ''].join('\n'));
  const released = await orel(['release', '--plan', file, '--nomock'], { cwd: ws.dir, env: { COSIGN_PASSWORD: undefined } });
  assert.equal(released.status, 0, errorLines(released.stderr) || released.stderr.slice(-2000));
  return { ws, reg, client, plan: file };
}

/** `orel policy` for the plan; the Kyverno CLI admits release/app:v1.2.0 and refuses :unsigned and :foreign under each policy form given. */
async function checkAdmission(t: TestContext, dir: string, reg: RunningRegistry, plan: string, forms = ['kyverno-clusterpolicy.yaml', 'kyverno-imagevalidatingpolicy.yaml']): Promise<void> {
  const policies = join(dir, 'policies');
  const written = await orel(['policy', '--plan', plan, '--nomock', '--format', 'kyverno,kyverno-ivp', '-o', policies], { cwd: dir });
  assert.equal(written.status, 0, written.stderr);
  t.diagnostic(execFileSync(bin!, ['version'], { encoding: 'utf8' }).split('\n')[0]);
  for (const policy of forms) {
    const apply = async (tag: string) => {
      const file = join(dir, `pod-${tag}.yaml`);
      // The ImageValidatingPolicy checks what the admission webhook has pinned to a digest (the CLI does not pin).
      const ref = policy.includes('imagevalidating') ? `${reg.host}/release/app@${await tagDigest(reg.url, 'release/app', tag)}` : `${reg.host}/release/app:${tag}`;
      writeFileSync(file, pod(ref));
      const r = spawnSync(bin!, ['apply', join(policies, policy), '--resource', file, '--remove-color'], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, KUBECONFIG: join(dir, 'no-kubeconfig') } });
      return { status: r.status, out: `${r.stdout}${r.stderr}` };
    };
    const signed = await apply('v1.2.0');
    assert.equal(signed.status, 0, `${policy}: the released image is admitted:\n${signed.out}`);
    assert.match(signed.out, /pass: [1-9]\d*, fail: 0, warn: 0, error: 0/, policy);
    for (const tag of ['unsigned', 'foreign']) {
      const r = await apply(tag);
      assert.notEqual(r.status, 0, `${policy}, ${tag}: refused\n${r.out}`);
      assert.match(r.out, /pass: 0, fail: [1-9]/, `${policy}, ${tag}\n${r.out}`);
    }
  }
}

describe('Kyverno admits the released image and refuses the others', { skip }, () => {
  test('ClusterPolicy and ImageValidatingPolicy from orel policy: signed by the release key passes; unsigned and foreign-signed images in the release repository fail', async (t) => {
    const { ws, reg, client, plan } = await releaseApp(t, 'admission.yaml', (dir, y) => {
      mkdirSync(join(dir, 'keys'), { recursive: true });
      const key = generateKeyPair();
      writeFileSync(join(dir, 'keys/cosign.key'), key.privateKeyPem);
      writeFileSync(join(dir, 'cosign.pub'), key.publicKeyPem);
      return [y.replace('    password: ${env:COSIGN_PASSWORD}\n', ''), 'verification:', '  key: cosign.pub'];
    });

    // In the release repository too: an image nobody signed, and one signed by another key.
    await pushImage(client, 'release/app', 'unsigned');
    const foreign = await pushImage(client, 'release/app', 'foreign');
    const other = generateKeyPair();
    writeFileSync(join(ws.dir, 'other.key'), other.privateKeyPem);
    await signImage({ client, repo: 'release/app', digest: foreign.digest, signer: await createKeyFileSigner({ key: 'other.key' }, { baseDir: ws.dir }), bundle: false });

    await checkAdmission(t, ws.dir, reg, plan);
  });
  test('a key a corporate CA certified (openssl): the ClusterPolicy trusts the CA chain; the released image passes, unsigned and other-CA images fail', async (t) => {
    const { ws, reg, client, plan } = await releaseApp(t, 'admission-ca.yaml', (dir, y) => {
      const ca = makeCa(join(dir, 'pki'));
      ca.issue('release', makeKey(ca.dir, 'release.key'));
      return [certifiedSignerPlan(y), 'verification:', '  identity: release@example.com'];
    });

    // An image nobody signed, and one signed with the same identity by a key another CA certified.
    await pushImage(client, 'release/app', 'unsigned');
    const foreign = await pushImage(client, 'release/app', 'foreign');
    const other = makeCa(join(ws.dir, 'other-pki'), 'Attacker Inc');
    const otherKey = makeKey(other.dir, 'release.key');
    const otherCert = other.issue('release', otherKey);
    const signer = await certifySigner(await createKeyFileSigner({ key: otherKey }, { baseDir: ws.dir }), {
      certificate: { pem: readFileSync(otherCert, 'utf8'), file: otherCert },
      chain: { pem: readFileSync(other.chain, 'utf8'), file: other.chain },
    });
    await signImage({ client, repo: 'release/app', digest: foreign.digest, signer, bundle: false });
    // Kyverno's ImageValidatingPolicy reads Sigstore's TUF root at admission for any keyless attestor,
    // roots of its own or not: offline, the CLI cannot evaluate it (its schema is checked in @orel/policy).
    await checkAdmission(t, ws.dir, reg, plan, ['kyverno-clusterpolicy.yaml']);
  });
});
