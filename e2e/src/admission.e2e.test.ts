// The admission policies `orel policy` writes, judged by the Kyverno CLI
// (kubectl-kyverno apply, which checks image signatures in the registry as
// the admission controller does): a Pod naming the image orel released and
// signed is admitted; one naming an unsigned image, or an image signed by
// another key, in the same repository is refused.
import { findGoTool } from '@orel/go-tools';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RegistryClient, signImage } from '@orel/oci';
import { pushImage, pushIndex } from '@orel/oci/testing';
import { registryMissing, startRegistry } from '@orel/registry';
import { createKeyFileSigner, generateKeyPair } from '@orel/sign';
import { errorLines, orel, workspace } from './helpers.js';
import { appImagePlan, tagDigest } from './images-checks.js';

export const KYVERNO_INSTALL = 'go mod download github.com/kyverno/kyverno@v1.19.1 and go build ./cmd/cli/kubectl-kyverno in that module (its replace directives keep go install from building it); .ci/run does this';

const bin = findGoTool('kubectl-kyverno');
const skip = registryMissing() ?? (bin ? undefined : `kubectl-kyverno not installed: ${KYVERNO_INSTALL}`);

const pod = (image: string) => ['apiVersion: v1', 'kind: Pod', 'metadata: { name: app, namespace: default }', 'spec:', '  containers:', '    - name: app', `      image: ${image}`, ''].join('\n');

describe('Kyverno admits the released image and refuses the others', { skip }, () => {
  test('ClusterPolicy and ImageValidatingPolicy from orel policy: signed by the release key passes; unsigned and foreign-signed images in the release repository fail', async (t) => {
    const reg = await startRegistry();
    t.after(() => reg.close());
    const client = new RegistryClient(reg.host);
    const ws = workspace(t);
    await pushIndex(client, 'staging/app', 'build-1');
    mkdirSync(join(ws.dir, 'keys'), { recursive: true });
    const key = generateKeyPair();
    writeFileSync(join(ws.dir, 'keys/cosign.key'), key.privateKeyPem);
    writeFileSync(join(ws.dir, 'cosign.pub'), key.publicKeyPem);
    const plan = ws.variant('admission.yaml', (y) =>
      [
        y.replace('    password: ${env:COSIGN_PASSWORD}\n', ''),
        'verification:',
        '  key: cosign.pub',
        ...appImagePlan(reg.host),
        '',
      ].join('\n'),
    );
    const released = await orel(['release', '--plan', plan, '--nomock'], { cwd: ws.dir, env: { COSIGN_PASSWORD: undefined } });
    assert.equal(released.status, 0, errorLines(released.stderr) || released.stderr.slice(-2000));

    // In the release repository too: an image nobody signed, and one signed by another key.
    await pushImage(client, 'release/app', 'unsigned');
    const foreign = await pushImage(client, 'release/app', 'foreign');
    const other = generateKeyPair();
    writeFileSync(join(ws.dir, 'other.key'), other.privateKeyPem);
    await signImage({ client, repo: 'release/app', digest: foreign.digest, signer: await createKeyFileSigner({ key: 'other.key' }, { baseDir: ws.dir }), bundle: false });

    const policies = join(ws.dir, 'policies');
    const written = await orel(['policy', '--plan', plan, '--nomock', '--format', 'kyverno,kyverno-ivp', '-o', policies], { cwd: ws.dir });
    assert.equal(written.status, 0, written.stderr);
    t.diagnostic(execFileSync(bin!, ['version'], { encoding: 'utf8' }).split('\n')[0]);
    for (const policy of ['kyverno-clusterpolicy.yaml', 'kyverno-imagevalidatingpolicy.yaml']) {
      const apply = async (tag: string) => {
        const file = join(ws.dir, `pod-${tag}.yaml`);
        // The ImageValidatingPolicy checks what the admission webhook has pinned to a digest (the CLI does not pin).
        const ref = policy.includes('imagevalidating') ? `${reg.host}/release/app@${await tagDigest(reg.url, 'release/app', tag)}` : `${reg.host}/release/app:${tag}`;
        writeFileSync(file, pod(ref));
        const r = spawnSync(bin!, ['apply', join(policies, policy), '--resource', file, '--remove-color'], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, KUBECONFIG: join(ws.dir, 'no-kubeconfig') } });
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
  });
});
