// The walking skeleton's input side through the CLI: bad plans and bad build
// output are refused with a code and a message that names the file/line or
// artifact, nothing is published; the plan commands; a real (--nomock) run
// to a file:// target with a cosign-encrypted key.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { parse as parseYaml } from 'yaml';
import { encryptCosignKey, generateKeyPair, pkcs8Der } from '@orel/sign';
import { errorLines, orel, sha256File, workspace, type Workspace } from './helpers.js';

/** 1-based line number of the first line of `text` that matches. */
function lineOf(text: string, re: RegExp): number {
  const i = text.split('\n').findIndex((l) => re.test(l));
  assert.ok(i >= 0, `no line matches ${re}`);
  return i + 1;
}

/** A cosign-format encrypted key (cheap scrypt parameters: tests, not security) and its public half. */
async function writeEncryptedKey(ws: Workspace, password: string): Promise<string> {
  const { privateKeyPem, publicKeyPem } = generateKeyPair();
  mkdirSync(join(ws.dir, 'keys'), { recursive: true });
  writeFileSync(join(ws.dir, 'keys/cosign.key'), await encryptCosignKey(pkcs8Der(privateKeyPem), password, { params: { N: 1024, r: 8, p: 1 } }));
  return publicKeyPem;
}

interface BadCase {
  name: string;
  code: string;
  status: number;
  /** Sets the case up; returns the plan path and what stderr must contain. */
  setup(ws: Workspace): Promise<{ plan: string; expect: (string | RegExp)[]; env?: Record<string, string | undefined>; args?: string[] }>;
}

const cases: BadCase[] = [
  {
    name: 'malformed YAML',
    code: 'PLAN_PARSE',
    status: 2,
    async setup(ws) {
      const plan = ws.variant('bad.yaml', (y) => y.replace('  name: hello', '  name: [hello'));
      return { plan, expect: [/bad\.yaml:\d+:\d+/] };
    },
  },
  {
    name: 'an unknown key (line named, right key suggested)',
    code: 'PLAN_INVALID',
    status: 2,
    async setup(ws) {
      const plan = ws.variant('typo.yaml', (y) => y.replace('      include: ["archives/', '      includes: ["archives/'));
      const line = lineOf(readFileSync(plan, 'utf8'), /includes:/);
      return { plan, expect: [`typo.yaml:${line}:`, 'unknown key "includes"', 'did you mean "include"'] };
    },
  },
  {
    name: 'a missing environment variable',
    code: 'PLAN_VARIABLE',
    status: 2,
    async setup(ws) {
      const plan = ws.variant('env.yaml', (y) => y.replace('version: 1.2.0', 'version: ${env:OREL_E2E_UNSET_VERSION}'));
      const line = lineOf(readFileSync(plan, 'utf8'), /OREL_E2E_UNSET_VERSION/);
      return { plan, expect: [`env.yaml:${line}:`, 'OREL_E2E_UNSET_VERSION'], env: { OREL_E2E_UNSET_VERSION: undefined } };
    },
  },
  {
    name: 'a glob that matches nothing',
    code: 'DISCOVERY_NO_MATCH',
    status: 1,
    async setup(ws) {
      const plan = ws.variant('nomatch.yaml', (y) => y.replace('sbom/*.spdx.json', 'sbom/*.cdx.json'));
      return { plan, expect: ['"sbom"', 'sbom/*.cdx.json'] };
    },
  },
  {
    name: 'a glob that climbs out of the root with ..',
    code: 'DISCOVERY_ESCAPE',
    status: 1,
    async setup(ws) {
      mkdirSync(join(ws.dir, 'elsewhere'));
      writeFileSync(join(ws.dir, 'elsewhere/secret.tar.gz'), 'not a build output');
      const plan = ws.variant('dotdot.yaml', (y) => y.replace('"archives/*.tar.gz"', '"../elsewhere/*.tar.gz"'));
      return { plan, expect: ['"archives"', '../elsewhere/*.tar.gz'] };
    },
  },
  {
    name: 'a symlink pointing outside the root',
    code: 'DISCOVERY_ESCAPE',
    status: 1,
    async setup(ws) {
      writeFileSync(join(ws.dir, 'outside.tar.gz'), 'not a build output');
      symlinkSync(join(ws.dir, 'outside.tar.gz'), join(ws.dir, 'dist/archives/link.tar.gz'));
      return { plan: ws.plan, expect: ['archives/link.tar.gz', join(ws.dir, 'outside.tar.gz')] };
    },
  },
  {
    name: 'two artifacts with the same destination name',
    code: 'DISCOVERY_DUPLICATE',
    status: 1,
    async setup(ws) {
      const plan = ws.variant('dup.yaml', (y) => y.replace('rename: "hello-{os}-{arch}{ext}"', 'rename: "hello-{os}{ext}"'));
      return { plan, expect: ['"hello-linux"', 'bin/linux/amd64/hello', 'bin/linux/arm64/hello'] };
    },
  },
  {
    name: 'a wrong password for a cosign-encrypted key (--nomock)',
    code: 'KEY_INVALID',
    status: 1,
    async setup(ws) {
      await writeEncryptedKey(ws, 'the-right-passphrase');
      return { plan: ws.plan, expect: [join(ws.dir, 'keys/cosign.key'), 'password'], env: { COSIGN_PASSWORD: 'a-mistyped-passphrase' }, args: ['--nomock'] };
    },
  },
];

describe('bad input through the CLI', { concurrency: 2 }, () => {
  for (const c of cases) {
    test(`${c.name} → error[${c.code}], nothing published`, async (t) => {
      const ws = workspace(t);
      const { plan, expect, env, args = [] } = await c.setup(ws);
      const r = await orel(['release', '--plan', plan, '--sandbox', ws.sandbox, ...args], { cwd: ws.dir, env });
      const errors = errorLines(r.stderr);
      assert.equal(r.status, c.status, `exit status\n${r.stderr}`);
      assert.ok(errors.includes(`error[${c.code}]`), `code ${c.code} in stderr:\n${errors}`);
      for (const e of expect) {
        if (typeof e === 'string') assert.ok(errors.includes(e), `stderr names ${e}:\n${errors}`);
        else assert.match(errors, e);
      }
      if (env?.COSIGN_PASSWORD) assert.ok(!r.stderr.includes(env.COSIGN_PASSWORD) && !r.stdout.includes(env.COSIGN_PASSWORD), 'the password is never printed');
      assert.ok(!existsSync(join(ws.sandbox, 'targets')), 'no sandbox target was written');
      assert.ok(!existsSync(join(ws.dir, 'out')), 'no real target was written');
    });
  }
});

describe('plan commands', { concurrency: 2 }, () => {
  test('plan validate accepts the quickstart and refuses an unknown key', async (t) => {
    const ws = workspace(t);
    const ok = await orel(['plan', 'validate', '--plan', ws.plan, '--json'], { cwd: ws.dir });
    assert.equal(ok.status, 0, errorLines(ok.stderr));
    const v = ok.json();
    assert.equal(v.valid, true);
    assert.deepEqual(v.release, { name: 'hello', version: '1.2.0' });
    const typo = ws.variant('typo.yaml', (y) => y.replace(/^artifacts:/m, 'artifact:'));
    const bad = await orel(['plan', 'validate', '--plan', typo], { cwd: ws.dir });
    assert.equal(bad.status, 2);
    assert.ok(bad.stderr.includes(`typo.yaml:${lineOf(readFileSync(typo, 'utf8'), /^artifact:/)}:`), bad.stderr);
    assert.match(bad.stderr, /did you mean "artifacts"/);
  });

  test('plan schema prints a JSON Schema that ajv compiles and that accepts the quickstart', async (t) => {
    const ws = workspace(t);
    const r = await orel(['plan', 'schema'], { cwd: ws.dir });
    assert.equal(r.status, 0, errorLines(r.stderr));
    const schema = r.json();
    assert.match(schema.$schema, /json-schema\.org/);
    const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
    const quickstart = parseYaml(readFileSync(ws.plan, 'utf8')) as Record<string, unknown>;
    assert.ok(validate(quickstart), JSON.stringify(validate.errors));
    // Typos must not be silently ignored by editors either.
    assert.equal(validate({ ...quickstart, artifact: quickstart.artifacts }), false);
    assert.ok(schema.description || schema.properties?.release?.description, 'the schema carries descriptions for editors');
  });

  test('status before anything ran says nothing is staged', async (t) => {
    const ws = workspace(t);
    const r = await orel(['status', '--plan', ws.plan, '--sandbox', ws.sandbox], { cwd: ws.dir });
    assert.equal(r.status, 0, errorLines(r.stderr));
    assert.match(r.stdout, /hello 1\.2\.0/);
    assert.match(r.stdout, /staged:\s+no/);
    assert.match(r.stdout, /released:\s+no/);
    assert.match(r.stdout, /mock mode/);
  });
});

describe('--nomock', () => {
  test('publishes to a file:// target relative to the plan, signed with the encrypted key, and verifies', async (t) => {
    const ws = workspace(t);
    const password = 'correct horse battery staple';
    const publicKeyPem = await writeEncryptedKey(ws, password);
    const env = { COSIGN_PASSWORD: password };
    const r = await orel(['release', '--nomock', '--plan', 'release.yaml', '--json'], { cwd: ws.dir, env });
    assert.equal(r.status, 0, errorLines(r.stderr));
    assert.ok(!r.stdout.includes(password) && !r.stderr.includes(password), 'the password is never printed');
    const report = r.json();
    assert.equal(report.mode, 'nomock');
    assert.equal(report.verified, true);
    const releaseDir = join(ws.dir, 'out/release/release/v1.2.0');
    for (const a of report.artifacts) {
      for (const p of a.published) {
        assert.ok(p.location.startsWith(releaseDir + '/'), `${p.location} is under the plan's file:// target`);
        assert.equal(sha256File(p.location), a.sha256);
      }
    }
    // Signed with the plan's key, not a sandbox key.
    assert.equal(readFileSync(join(releaseDir, 'cosign.pub'), 'utf8').trim(), publicKeyPem.trim());
    writeFileSync(join(ws.dir, 'sig.der'), Buffer.from(readFileSync(join(releaseDir, 'hello-linux-amd64.sig'), 'utf8'), 'base64'));
    writeFileSync(join(ws.dir, 'expected.pub'), publicKeyPem);
    const verdict = execFileSync('openssl', ['dgst', '-sha256', '-verify', join(ws.dir, 'expected.pub'), '-signature', join(ws.dir, 'sig.der'), join(releaseDir, 'hello-linux-amd64')], { encoding: 'utf8' });
    assert.equal(verdict.trim(), 'Verified OK');
    execFileSync('sha256sum', ['--strict', '-c', 'SHA256SUMS'], { cwd: releaseDir });
    assert.ok(!existsSync(join(ws.dir, '.orel/sandbox')), 'no sandbox in nomock mode');
    assert.ok(readdirSync(join(ws.dir, 'out/staging/stage/1.2.0')).includes('orel-stage-manifest.json'));
    const v = await orel(['verify', '--nomock', '--plan', 'release.yaml'], { cwd: ws.dir, env });
    assert.equal(v.status, 0, errorLines(v.stderr));
  });
});
