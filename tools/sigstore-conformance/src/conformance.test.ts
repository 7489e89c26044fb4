// All 70 offline cases of the sigstore-conformance suite, each with the
// artifact's path and with its sha256 digest (140 runs), in process through
// the same run() the entrypoint calls; plus the entrypoint itself, spawned,
// for one pass and one fail case, and sign-bundle against the sandbox.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';
import { startSandboxSigstore } from '@orel/sandbox';
import { run } from './protocol.js';

const SHARED = resolve(import.meta.dirname, '../../../../shared/conformance');
const ENTRYPOINT = resolve(import.meta.dirname, '../entrypoint');

interface Case {
  name: string;
  dir: string;
  expected: 'pass' | 'fail';
  argv_path: string[];
  argv_digest: string[];
}

async function inDir<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  const prev = process.cwd();
  process.chdir(dir);
  try {
    return await fn();
  } finally {
    process.chdir(prev);
  }
}

describe('sigstore-conformance bundle verification', async () => {
  const { cases } = JSON.parse(await readFile(join(SHARED, 'cases.json'), 'utf8')) as { cases: Case[] };

  it('has the 70 cases', () => assert.equal(cases.length, 70));

  it('matches the expected outcome of all 140 runs (path and digest forms)', async () => {
    const mismatches: string[] = [];
    for (const c of cases) {
      for (const [form, argv] of [['path', c.argv_path], ['digest', c.argv_digest]] as const) {
        const errors: string[] = [];
        const status = await inDir(join(SHARED, c.dir), () => run(argv, { stderr: (l) => errors.push(l) }));
        const outcome = status === 0 ? 'pass' : 'fail';
        if (outcome !== c.expected) mismatches.push(`${c.name} [${form}]: expected ${c.expected}, got ${outcome}${errors.length ? ` (${errors.join(' ')})` : ''}`);
      }
    }
    assert.deepEqual(mismatches, []);
  });

  it('runs as an executable entrypoint', async () => {
    const exec = promisify(execFile);
    const pass = cases.find((c) => c.name === 'happy-path-v0.3')!;
    await exec(ENTRYPOINT, pass.argv_digest, { cwd: join(SHARED, pass.dir) });
    const failing = cases.find((c) => c.name === 'signature-mismatch_fail')!;
    await assert.rejects(exec(ENTRYPOINT, failing.argv_path, { cwd: join(SHARED, failing.dir) }), (e: { code?: number }) => e.code === 1);
  });
});

describe('sigstore-conformance sign-bundle against the sandbox', () => {
  it('signs a blob and an in-toto statement into Rekor v1 and (a config listing it) Rekor v2; verify-bundle accepts them for the identity and rejects another', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'orel-conf-'));
    const identity = 'https://github.com/example/repo/.github/workflows/release.yml@refs/heads/main';
    const issuer = 'https://token.actions.githubusercontent.com';
    const sb = await startSandboxSigstore({ dir: join(dir, 'sandbox'), identity, issuer });
    try {
      const artifact = join(dir, 'a.txt');
      await writeFile(artifact, 'conformance\n');
      const statement = join(dir, 'statement.json');
      const digest = 'f4c8d1d0d3ba2a4bbd5c5f5c0a51b8d3c5f0e4ea55d1ac8cd0c6d8ab5b7b7fd5';
      await writeFile(statement, JSON.stringify({ _type: 'https://in-toto.io/Statement/v1', subject: [{ name: 'x', digest: { sha256: digest } }], predicateType: 'https://example.com/p', predicate: {} }));
      // Rekor v1, then a config listing Rekor v2 (as the suite's Rekor v2 signing runs): the client takes the highest version listed.
      for (const [name, rekorTlogUrls] of [
        ['v1', [{ url: sb.rekorUrl, majorApiVersion: 1 }]],
        ['v2', [{ url: sb.rekorUrl, majorApiVersion: 1 }, { url: sb.rekorV2Url, majorApiVersion: 2 }]],
      ] as const) {
        const config = join(dir, `signing_config_${name}.json`);
        await writeFile(
          config,
          JSON.stringify({
            mediaType: 'application/vnd.dev.sigstore.signingconfig.v0.2+json',
            caUrls: [{ url: sb.fulcioUrl, majorApiVersion: 1 }],
            rekorTlogUrls,
            tsaUrls: [{ url: sb.tsaUrl, majorApiVersion: 1 }],
          }),
        );
        const io = { stderr: (l: string) => assert.fail(l) };
        const token = sb.mintToken();
        const [blobBundle, dsseBundle] = [`a.${name}.sigstore.json`, `s.${name}.sigstore.json`];
        assert.equal(await run(['sign-bundle', '--identity-token', token, '--bundle', join(dir, blobBundle), '--signing-config', config, artifact], io), 0);
        assert.equal(await run(['sign-bundle', '--in-toto', '--identity-token', token, '--bundle', join(dir, dsseBundle), '--signing-config', config, statement], io), 0);
        const kinds = [blobBundle, dsseBundle].map((b) => JSON.parse(readFileSync(join(dir, b), 'utf8')).verificationMaterial.tlogEntries[0].kindVersion.version);
        assert.deepEqual(kinds, name === 'v1' ? ['0.0.1', '0.0.1'] : ['0.0.2', '0.0.2'], name);

        const verify = (bundle: string, id: string, input: string) =>
          run(['verify-bundle', '--bundle', join(dir, bundle), '--certificate-identity', id, '--certificate-oidc-issuer', issuer, '--trusted-root', sb.trustedRootPath, input], { stderr: () => {} });
        assert.equal(await verify(blobBundle, identity, artifact), 0, name);
        assert.equal(await verify(dsseBundle, identity, `sha256:${digest}`), 0, name);
        assert.equal(await verify(blobBundle, 'https://github.com/evil/repo/.github/workflows/x.yml@refs/heads/main', artifact), 1, name);
        assert.equal(await verify(dsseBundle, identity, `sha256:${'0'.repeat(64)}`), 1, `${name}: not a subject of the statement`);
      }
    } finally {
      await sb.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
