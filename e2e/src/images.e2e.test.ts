// Container images through the CLI, on a real docker-registry on 127.0.0.1
// that serves as both the staging and the release registry (different
// repositories). The test pushes a single image and a two-platform index;
// orel signs them at stage time and promotes them at release time. Checked
// over plain HTTP and with openssl, never with orel's own client.
import { describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RegistryClient } from '@orel/oci';
import { pushImage, pushIndex } from '@orel/oci/testing';
import { registryMissing, startRegistry, type RunningRegistry } from '@orel/registry';
import { generateKeyPair } from '@orel/sign';
import { parseAllDocuments } from 'yaml';
import { errorLines, orel, workspace, type OrelRun, type Workspace } from './helpers.js';
import { catalog, checkLayers, sigLayers, tagDigest } from './images-checks.js';

const KEY_PASSWORD_LINE = '    password: ${env:COSIGN_PASSWORD}\n';

interface Pushed {
  tool: string;
  app: { digest: string; platforms: string[] };
}

/** A registry for one test, stopped after it. */
async function registry(t: TestContext): Promise<{ reg: RunningRegistry; client: RegistryClient }> {
  const reg = await startRegistry();
  t.after(() => reg.close());
  return { reg, client: new RegistryClient(reg.host) };
}

/** The single image and the index, pushed under the staging tag build-1. */
async function pushStaged(client: RegistryClient): Promise<Pushed> {
  const tool = await pushImage(client, 'staging/tool', 'build-1');
  const app = await pushIndex(client, 'staging/app', 'build-1');
  return { tool: tool.digest, app };
}

/** The quickstart plan plus an images section pointing at `host`. */
function imagesPlan(ws: Workspace, host: string, name = 'images.yaml', edit = (y: string) => y): string {
  return ws.variant(name, (y) =>
    [
      edit(y),
      'images:',
      '  - name: tool',
      `    ref: ${host}/staging/tool:build-1`,
      `    promoteTo: [${host}/release/tool]`,
      '    tags: ["v{version}"]',
      '  - name: app',
      `    ref: ${host}/staging/app:build-1`,
      '    signPlatforms: true',
      `    promoteTo: [${host}/release/app]`,
      '    tags: ["v{version}", latest]',
      '    mutableTags: [latest]',
      '    insecure: true',
      '',
    ].join('\n'),
  );
}

const ok = (r: OrelRun, what: string): void => assert.equal(r.status, 0, `${what}: ${errorLines(r.stderr) || r.stderr.slice(-2500)}`);

describe('images through the CLI on docker-registry', { skip: registryMissing() }, () => {
  test('mock mode: release promotes signed images into the sandbox registry, never the real one', async (t) => {
    const { reg, client } = await registry(t);
    const ws = workspace(t);
    const pushed = await pushStaged(client);
    const plan = imagesPlan(ws, reg.host);
    // Stage and release in separate processes: the sandbox registry comes back
    // on another port with the same storage.
    ok(await orel(['stage', '--plan', plan, '--sandbox', ws.sandbox], { cwd: ws.dir }), 'orel stage');
    const run = await orel(['release', '--plan', plan, '--sandbox', ws.sandbox, '--json'], { cwd: ws.dir });
    ok(run, 'orel release');
    const report = run.json();
    assert.equal(report.mode, 'mock');
    assert.equal(report.verified, true);
    const byName = new Map((report.images as { name: string; digest: string; platforms: { digest: string }[] }[]).map((i) => [i.name, i]));
    assert.equal(byName.get('tool')?.digest, pushed.tool);
    assert.equal(byName.get('app')?.digest, pushed.app.digest);
    assert.deepEqual(byName.get('app')?.platforms.map((p) => p.digest), pushed.app.platforms);

    // The real registry holds only what the test pushed: no release repository, no .sig tag.
    assert.deepEqual((await catalog(reg.url)).sort(), ['staging/app', 'staging/tool']);
    assert.deepEqual(await client.listTags('staging/app'), ['build-1']);

    // The sandbox registry (its storage persists in the sandbox) holds the promoted, signed image.
    const sandbox = await startRegistry({ dir: join(ws.sandbox, 'registry') });
    t.after(() => sandbox.close());
    const port = reg.host.split(':')[1];
    const releaseRepo = `release/127.0.0.1-${port}/release/app`;
    assert.equal(await tagDigest(sandbox.url, releaseRepo, 'v1.2.0'), pushed.app.digest);
    assert.equal(await tagDigest(sandbox.url, releaseRepo, 'latest'), pushed.app.digest);
    for (const d of [pushed.app.digest, ...pushed.app.platforms]) {
      checkLayers((await sigLayers(sandbox.url, releaseRepo, d)).layers, d, join(ws.sandbox, 'keys/sandbox.pub'), ws.dir);
    }

    // Admission policies for a key signer: the sandbox key in mock mode, OpenShift's PublicKey form remapped to staging.
    const policies = await orel(['policy', '--plan', plan, '--sandbox', ws.sandbox, '--format', 'kyverno,openshift'], { cwd: ws.dir });
    ok(policies, 'orel policy');
    const [cp, ...os] = parseAllDocuments(policies.stdout).map((d) => d.toJS());
    const pub = readFileSync(join(ws.sandbox, 'keys/sandbox.pub'), 'utf8');
    assert.equal(cp.spec.rules[0].verifyImages[0].attestors[0].entries[0].keys.publicKeys, pub);
    assert.deepEqual(cp.spec.rules[0].verifyImages[0].attestors[0].entries[0].keys.rekor, { ignoreTlog: true }, 'the quickstart key plan does not log');
    assert.deepEqual(os.map((d) => d.spec.scopes[0]), [`${reg.host}/release/tool`, `${reg.host}/release/app`]);
    assert.equal(Buffer.from(os[0].spec.policy.rootOfTrust.publicKey.keyData, 'base64').toString(), pub);
    assert.deepEqual(os[1].spec.policy.signedIdentity.remapIdentity, { prefix: `${reg.host}/release/app`, signedPrefix: `${reg.host}/staging/app` });
    // --nomock needs the key in the plan: refused, naming what to set.
    const nokey = await orel(['policy', '--plan', plan, '--nomock'], { cwd: ws.dir });
    assert.equal(nokey.status, 2, nokey.stderr);
    assert.match(nokey.stderr, /public key is not in the plan[\s\S]*verification\.key/);
  });

  test('sharded: each shard signs the images its partition gives it; merge and release verify them all, in plan order', async (t) => {
    const { reg, client } = await registry(t);
    const ws = workspace(t);
    const pushed = await pushStaged(client);
    const plan = imagesPlan(ws, reg.host);
    const cli = (...args: string[]) => orel([...args, '--plan', plan, '--sandbox', ws.sandbox, '--build-id', 'sharded', '--json'], { cwd: ws.dir });
    const signedBy: string[][] = [];
    for (const shard of ['1/2', '2/2']) {
      const r = await cli('stage', '--shard', shard);
      ok(r, `stage --shard ${shard}`);
      signedBy.push(((r.json().images ?? []) as { name: string }[]).map((i) => i.name));
    }
    assert.deepEqual(signedBy.flat().sort(), ['app', 'tool'], `each image signed by exactly one shard: ${JSON.stringify(signedBy)}`);
    ok(await cli('merge', '--shards', '2'), 'merge');
    const run = await cli('release');
    ok(run, 'release');
    const report = run.json();
    assert.equal(report.verified, true);
    assert.deepEqual((report.images as { name: string; digest: string }[]).map((i) => [i.name, i.digest]), [['tool', pushed.tool], ['app', pushed.app.digest]]);
  });

  test('--nomock: stage, staging tag moves, release; signatures, tags, verify-image, re-runs and moved tags', async (t) => {
    const { reg, client } = await registry(t);
    const ws = workspace(t);
    const pushed = await pushStaged(client);
    mkdirSync(join(ws.dir, 'keys'), { recursive: true });
    const key = generateKeyPair();
    writeFileSync(join(ws.dir, 'keys/cosign.key'), key.privateKeyPem);
    const pub = join(ws.dir, 'cosign.pub');
    writeFileSync(pub, key.publicKeyPem);
    const otherPub = join(ws.dir, 'other.pub');
    writeFileSync(otherPub, generateKeyPair().publicKeyPem);
    const plan = imagesPlan(ws, reg.host, 'images-nomock.yaml', (y) => y.replace(KEY_PASSWORD_LINE, ''));
    const cli = (cmd: string) => orel([cmd, '--plan', plan, '--nomock', '--json'], { cwd: ws.dir, env: { COSIGN_PASSWORD: undefined } });

    ok(await cli('stage'), 'orel stage --nomock');
    // Tags were resolved at stage time: a new build pushed under the same tag is not what gets released.
    const moved = await pushIndex(client, 'staging/app', 'build-1');
    assert.notEqual(moved.digest, pushed.app.digest);

    const released = await cli('release');
    ok(released, 'orel release --nomock');
    assert.equal(released.json().verified, true);
    assert.equal(released.json().images.find((i: { name: string }) => i.name === 'app').digest, pushed.app.digest);
    for (const tag of ['v1.2.0', 'latest']) assert.equal(await tagDigest(reg.url, 'release/app', tag), pushed.app.digest, `release/app:${tag}`);
    assert.equal(await tagDigest(reg.url, 'release/tool', 'v1.2.0'), pushed.tool);
    assert.equal(await tagDigest(reg.url, 'release/app', `${moved.digest.replace(':', '-')}.sig`), undefined, 'the moved build was never signed');

    // The cosign layout, checked independently, for the index, each platform and the single image.
    const signed = [...[pushed.app.digest, ...pushed.app.platforms].map((d) => ['release/app', d]), ['release/tool', pushed.tool]];
    const layerCount = async (): Promise<string[]> => Promise.all(signed.map(async ([repo, d]) => `${repo}@${d}: ${(await sigLayers(reg.url, repo, d)).layers.length}`));
    for (const [repo, d] of signed) checkLayers((await sigLayers(reg.url, repo, d)).layers, d, pub, ws.dir);
    const before = await layerCount();

    // What an end user runs.
    // `orel verify` re-checks the released images (and files) from the release registry.
    const verified = await cli('verify');
    ok(verified, 'orel verify --nomock');
    const images = verified.json().images as { name: string; verified?: { checks: number }[] }[];
    assert.deepEqual(images.map((i) => i.name).sort(), ['app', 'tool']);
    for (const i of images) assert.ok((i.verified ?? []).every((v) => v.checks > 0) && i.verified?.length, `${i.name} verified`);
    const good = await orel(['verify-image', `${reg.host}/release/app:v1.2.0`, '--key', pub, '--platforms'], { cwd: ws.dir });
    ok(good, 'verify-image --key cosign.pub');
    const bad = await orel(['verify-image', `${reg.host}/release/app:v1.2.0`, '--key', otherPub], { cwd: ws.dir });
    assert.equal(bad.status, 3, `another key must not verify: ${bad.stderr}`);
    assert.match(bad.stderr, /VERIFY_FAILED.*release\/app@sha256:/);

    // A re-run adds no signature layer and moves nothing.
    ok(await cli('release'), 're-run of orel release --nomock');
    assert.deepEqual(await layerCount(), before);
    assert.equal(await tagDigest(reg.url, 'release/app', 'v1.2.0'), pushed.app.digest);

    // Someone moves the immutable release tag (and latest): the release is refused, naming repo:tag.
    const squatter = await pushImage(client, 'release/app', 'v1.2.0');
    await pushImage(client, 'release/app', 'latest');
    const refused = await cli('release');
    assert.equal(refused.status, 4, errorLines(refused.stderr) || refused.stderr.slice(-2000));
    assert.match(refused.stderr, /PUBLISH_CONFLICT|different image/);
    assert.ok(refused.stderr.includes(`${reg.host}/release/app:v1.2.0`), errorLines(refused.stderr));
    assert.ok(!refused.stderr.includes(`${reg.host}/release/app:latest`), 'latest is mutable and not a conflict');
    assert.equal(await tagDigest(reg.url, 'release/app', 'v1.2.0'), squatter.digest, 'a refused release writes no tag');

    // With v1.2.0 back in place, latest (mutable) is moved back to the release.
    const index = await client.getManifest('release/app', pushed.app.digest);
    await client.putManifest('release/app', 'v1.2.0', index!.bytes, index!.mediaType);
    ok(await cli('release'), 'release with only latest moved');
    assert.equal(await tagDigest(reg.url, 'release/app', 'latest'), pushed.app.digest);
  });
});
