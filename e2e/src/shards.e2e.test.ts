// A stage sharded over runners, the way CI runs it: N `orel stage --shard I/N`
// processes at once, each in a working directory of its own (a runner's
// checkout), then `orel merge` and `orel release` from yet another one, all
// --nomock against the GCS test server and a private (sandbox) Sigstore.
// The merged stage manifest must be the one an unsharded stage writes, the
// release must verify, a shard killed with kill -9 re-runs alone without
// writing anything twice, and merge refuses a missing shard, a shard of
// another build and a shard that did not verify — naming the shard.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGcsServer, type GcsServer } from '@orel/gcs-server';
import { startSandboxSigstore, type SandboxSigstore } from '@orel/sandbox';
import { QUICKSTART, errorLines, killAt, orel, type OrelRun } from './helpers.js';

const IDENTITY = 'https://github.com/example/hello/.github/workflows/release.yml@refs/tags/v1.2.0';
const ISSUER = 'https://token.actions.githubusercontent.com';
const EXTRA_FILES = 30;

interface StagedEntry {
  name: string;
  kind: string;
  size: number;
  sha256: string;
  staged: { key: string }[];
}

/** What must be equal between a merged and an unsharded stage: names, kinds, layout; sizes and digests of all but signatures. */
function view(manifest: { artifacts: StagedEntry[] }, version: string, buildId: string): string[] {
  const signed = new Set(['signature', 'bundle', 'certificate', 'attestation']);
  return manifest.artifacts.map((a) => {
    const keys = a.staged.map((s) => s.key.replace(`/${buildId}/`, '/{buildId}/')).join(',');
    return `${a.name} ${a.kind} ${keys}${signed.has(a.kind) ? '' : ` ${a.size} ${a.sha256}`}`.replaceAll(version, '{version}');
  });
}

describe('sharded stage over separate runners, merged and released (GCS test server, sandbox Sigstore)', () => {
  let gcs: GcsServer;
  let sb: SandboxSigstore;
  let template: string;
  const dirs: string[] = [];

  before(async () => {
    gcs = await startGcsServer({ buckets: ['shard-staging', 'shard-release'] });
    const sigDir = mkdtempSync(join(tmpdir(), 'orel-shards-sigstore-'));
    dirs.push(sigDir);
    sb = await startSandboxSigstore({ dir: sigDir, identity: IDENTITY, issuer: ISSUER });
    // The build every runner checks out: the quickstart's output plus more files, so 7 shards all have some.
    template = realpathSync(mkdtempSync(join(tmpdir(), 'orel-shards-build-')));
    dirs.push(template);
    cpSync(join(QUICKSTART, 'dist'), join(template, 'dist'), { recursive: true });
    mkdirSync(join(template, 'dist/extras'));
    for (let i = 0; i < EXTRA_FILES; i++) writeFileSync(join(template, 'dist/extras', `extra-${String(i).padStart(2, '0')}.bin`), randomBytes(256 + i));
    const signer = `    type: keyless\n    fulcio: "${sb.fulcioUrl}"\n    rekor: "${sb.rekorUrl}"\n    identityToken: "\${env:OREL_E2E_TOKEN}"`;
    const plan = readFileSync(join(QUICKSTART, 'release.yaml'), 'utf8')
      .replace(/ {4}type: keyless.*\n/, `${signer}\n`)
      .replace('  issuer: https://token.actions.githubusercontent.com\n', `  issuer: ${ISSUER}\n  trustedRoot: ${JSON.stringify(sb.trustedRootPath)}\n`)
      .replace('      include: ["sbom/*.spdx.json"]\n', '      include: ["sbom/*.spdx.json"]\n    - { name: extras, kind: other, include: ["extras/*.bin"] }\n')
      .replace('    url: file://out/staging\n', `    url: gs://shard-staging/stage\n    endpoint: ${gcs.url}\n`)
      .replace('default: "stage/{version}/{name}"', 'default: "stage/{version}/{buildId}/{name}"')
      .replace('    url: file://out/release\n', `    url: gs://shard-release\n    endpoint: ${gcs.url}\n`)
      .replace(/markers:\n.*\n/, '');
    assert.match(plan, /shard-staging[\s\S]*\{buildId\}[\s\S]*shard-release/, 'the plan edits applied');
    writeFileSync(join(template, 'release.yaml'), plan);
  });
  after(async () => {
    await gcs?.close();
    await sb?.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  /** A runner's working directory: its own copy of the checkout (and later its own .orel state). */
  const runner = (): string => {
    const dir = realpathSync(mkdtempSync(join(tmpdir(), 'orel-shards-runner-')));
    dirs.push(dir);
    cpSync(template, dir, { recursive: true });
    return dir;
  };
  const env = () => ({ OREL_E2E_TOKEN: sb.mintToken() });
  const run = (dir: string, args: string[], plan = 'release.yaml'): Promise<OrelRun> => orel([...args, '--plan', plan, '--nomock', '--json'], { cwd: dir, env: env() });
  const ok = (r: OrelRun, what: string) => assert.equal(r.status, 0, `${what}: ${errorLines(r.stderr)}\n${r.stderr.slice(-1500)}`);
  // The target's prefix (gs://shard-staging/stage) and its layout (stage/{version}/{buildId}/{name}).
  const stagePrefix = (version: string, buildId: string) => `stage/stage/${version}/${buildId}/`;
  const stagedManifest = (version: string, buildId: string) => {
    const o = gcs.objects('shard-staging').get(`${stagePrefix(version, buildId)}orel-stage-manifest.json`);
    assert.ok(o, `a stage manifest for ${version} ${buildId}`);
    return JSON.parse(readFileSync(o.file, 'utf8')) as { artifacts: StagedEntry[]; verified: boolean };
  };
  /** Stages every shard at once, each on its own runner. */
  const stageShards = async (version: string, buildId: string, n: number, only?: number[], plan?: string) =>
    Promise.all(
      (only ?? Array.from({ length: n }, (_, i) => i + 1)).map(async (i) => {
        const r = await run(runner(), ['stage', '--shard', `${i}/${n}`, '--build-id', buildId, '--release-version', version], plan);
        return { i, r };
      }),
    );

  /** The unsharded stage every merge is compared with (staged once). */
  let referenceView: string[] | undefined;
  const unsharded = async (): Promise<string[]> => {
    if (!referenceView) {
      ok(await run(runner(), ['stage', '--build-id', 'ref', '--release-version', '3.0.0']), 'unsharded stage');
      referenceView = view(stagedManifest('3.0.0', 'ref'), '3.0.0', 'ref');
      assert.ok(referenceView.length > 4 * EXTRA_FILES, `${referenceView.length} artifacts`);
    }
    return referenceView;
  };
  /** Merges, compares with the unsharded stage and releases, from a runner of its own. */
  const mergeAndRelease = async (version: string, buildId: string, n: number): Promise<number> => {
    const reference = await unsharded();
    const home = runner();
    ok(await run(home, ['merge', '--shards', String(n), '--build-id', buildId, '--release-version', version]), `merge of ${n}`);
    const merged = stagedManifest(version, buildId);
    assert.equal(merged.verified, true);
    const got = view(merged, version, buildId);
    const diff = [...got.filter((x) => !reference.includes(x)).map((x) => `+ ${x}`), ...reference.filter((x) => !got.includes(x)).map((x) => `- ${x}`)];
    assert.deepEqual(diff, [], `N = ${n}: the merged manifest differs from the unsharded one`);
    assert.equal(got.length, reference.length);
    const released = await run(home, ['release', '--build-id', buildId, '--release-version', version]);
    ok(released, `release of ${n} shards`);
    assert.equal(released.json().verified, true);
    const files = [...gcs.objects('shard-release').keys()].filter((k) => k.startsWith(`release/v${version}/`));
    assert.equal(files.length, reference.length + 1, `released ${files.length} files (+ VERIFY.md)`);
    return reference.length;
  };

  test('N = 1, 2, 4, 7: shards + merge write the stage manifest an unsharded stage writes, and the release verifies', async (t) => {
    for (const n of [1, 2, 4, 7]) {
      const version = `3.${n}.0`;
      const buildId = `n${n}`;
      for (const { i, r } of await stageShards(version, buildId, n)) ok(r, `shard ${i}/${n}`);
      const artifacts = await mergeAndRelease(version, buildId, n);
      t.diagnostic(`N = ${n}: ${artifacts} artifacts staged by ${n} shards, merged, released and verified`);
    }
  });

  test('per-platform runners: each shard stages the part of the build it holds (--root), and the merge is the same stage', async () => {
    const [version, buildId] = ['3.5.0', 'p'];
    // Runner 1 built the binaries and the SBOM, runner 2 the archives and the extras.
    const parts = [['archives', 'extras'], ['bin', 'sbom']];
    await Promise.all(
      parts.map(async (drop, k) => {
        const dir = runner();
        for (const d of drop) rmSync(join(dir, 'dist', d), { recursive: true, force: true });
        ok(await run(dir, ['stage', '--shard', `${k + 1}/2`, '--root', 'dist', '--build-id', buildId, '--release-version', version]), `root shard ${k + 1}/2`);
      }),
    );
    await mergeAndRelease(version, buildId, 2);
  });

  test('orel ci github-actions writes the workflow for the plan: N stage jobs, merge, release', async () => {
    const dir = runner();
    const r = await orel(['ci', 'github-actions', '--plan', 'release.yaml', '--shards', '7', '--build', 'make dist', '-o', '.github/workflows/release.yml'], { cwd: dir });
    ok(r, 'orel ci');
    const wf = readFileSync(join(dir, '.github/workflows/release.yml'), 'utf8');
    assert.match(wf, /npx orel stage --plan release\.yaml --nomock --build-id \$\{\{ github\.run_id \}\} --shard \$\{\{ matrix\.shard \}\}\/7/);
    assert.match(wf, /npx orel merge --plan release\.yaml --nomock --build-id \$\{\{ github\.run_id \}\} --shards 7/);
    assert.match(wf, /run: make dist/);
  });

  test('a shard killed with kill -9 and re-run alone completes without writing any object twice; the merge releases', async () => {
    const [version, buildId] = ['3.9.0', 'k'];
    const dir = runner();
    const args = ['stage', '--plan', 'release.yaml', '--nomock', '--shard', '1/2', '--build-id', buildId, '--release-version', version];
    // Killed in its uploads (the journal records sign, then publish, entries).
    assert.equal(await killAt(args, dir, env(), join(dir, '.orel/state'), 60), true, 'the shard was killed mid-run');
    ok(await run(dir, args.filter((a) => a !== '--plan' && a !== 'release.yaml' && a !== '--nomock')), 'shard 1 re-run');
    for (const { r } of await stageShards(version, buildId, 2, [2])) ok(r, 'shard 2/2');
    const writes = gcs.writes();
    const staged = [...gcs.objects('shard-staging').keys()].filter((k) => k.startsWith(stagePrefix(version, buildId)));
    assert.ok(staged.length > 4 * EXTRA_FILES, `${staged.length} staged objects`);
    for (const k of staged) assert.equal(writes.get(`shard-staging/${k}`), 1, `${k} written ${writes.get(`shard-staging/${k}`) ?? 0} times`);
    await mergeAndRelease(version, buildId, 2);
  });

  test('merge refuses a missing shard, a shard of another build and a shard that did not verify, naming it; nothing is written', async () => {
    // One build directory for every build id: a shard of another build lands where this build's would.
    const plan = 'flat.yaml';
    const flat = (dir: string, edit = (y: string) => y) =>
      writeFileSync(join(dir, plan), edit(readFileSync(join(dir, 'release.yaml'), 'utf8').replace('"stage/{version}/{buildId}/{name}"', '"stage/{version}/{name}"')));
    const merge = async (version: string, buildId: string) => {
      const home = runner();
      flat(home);
      const before = new Map([...gcs.objects('shard-staging')].map(([k, o]) => [k, o.generation]));
      const r = await run(home, ['merge', '--shards', '3', '--build-id', buildId, '--release-version', version], plan);
      assert.notEqual(r.status, 0, `merge of ${version} should have refused`);
      assert.deepEqual(new Map([...gcs.objects('shard-staging')].map(([k, o]) => [k, o.generation])), before, 'a refused merge wrote nothing');
      return errorLines(r.stderr);
    };
    const shard = async (version: string, buildId: string, i: number, edit?: (y: string) => string) => {
      const dir = runner();
      flat(dir, edit);
      ok(await run(dir, ['stage', '--shard', `${i}/3`, '--build-id', buildId, '--release-version', version], plan), `shard ${i}/3 of ${buildId}`);
    };

    await Promise.all([shard('3.6.0', 'r', 1), shard('3.6.0', 'r', 2)]);
    assert.match(await merge('3.6.0', 'r'), /shard 3\/3 has not been staged/);
    await shard('3.6.0', 'other', 3);
    assert.match(await merge('3.6.0', 'r'), /shard 3\/3 is from build other, not r/);

    const noVerify = (y: string) => y.replace('  stage:\n    targets: [staging]\n', '  stage:\n    targets: [staging]\n    steps: [discover, checksum, preflight, sign, publish, record]\n');
    await Promise.all([shard('3.7.0', 'u', 1), shard('3.7.0', 'u', 2), shard('3.7.0', 'u', 3, noVerify)]);
    assert.match(await merge('3.7.0', 'u'), /shard 3\/3 did not pass its verification/);
  });
});
