// orel as a new user gets it, built by tools/pack from this checkout:
//  - the npm package: the ordinary npm client packs it and installs the
//    tarball into an empty directory (offline: everything it needs is inside),
//    and the installed `orel` releases the quickstart in mock mode, verified;
//  - the self-contained linux-x64 tarball: with no Node.js on PATH, its
//    `orel` releases the quickstart too, on the Node.js 24 it ships, and
//    signs with a PKCS#11 key (SoftHSM2) through the pkcs11js it ships,
//    compiled against that runtime;
//  - orel releases orel: the repository's release.yaml releases both in mock
//    mode, and cosign verifies what it published.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { createPublicKey } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createSoftHsmToken, softHsmMissing } from '@orel/softhsm';
import { QUICKSTART, REPO, errorLines, orel, workspace } from './helpers.js';
import { peer, runPeer } from './peers.js';

const run = promisify(execFile);
const opts = (cwd: string, env: NodeJS.ProcessEnv = process.env) => ({ cwd, maxBuffer: 64 << 20, timeout: 300_000, env: { ...env, METADATA_SERVER_DETECTION: 'none', CI: '1' } });
const quickstart = (into: string): string => {
  cpSync(QUICKSTART, into, { recursive: true, filter: (src) => !src.includes('/.orel') });
  return into;
};

describe('orel, installed', () => {
  let dir: string;
  let pkgDir: string;
  let tgz: string;
  let tarball: string | undefined;
  const linuxX64 = process.platform === 'linux' && process.arch === 'x64';
  before(async () => {
    dir = realpathSync(mkdtempSync(join(tmpdir(), 'orel-package-')));
    pkgDir = join(dir, 'orel');
    await run(process.execPath, [join(REPO, 'tools/pack/src/build.mjs'), '--out', pkgDir], opts(REPO));
    await run('npm', ['pack', pkgDir, '--pack-destination', dir, '--silent'], opts(dir));
    tgz = join(dir, readdirSync(dir).find((f) => /^orel-.*\.tgz$/.test(f)) ?? 'no tarball');
    if (linuxX64) tarball = (await run(process.execPath, [join(REPO, 'tools/pack/src/binary.mjs'), '--package', pkgDir, '--out', join(dir, 'binary')], opts(REPO))).stdout.trim();
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('npm pack → npm install into an empty directory (offline) → orel releases the quickstart', async () => {
    assert.ok(existsSync(tgz), `npm pack wrote a tarball: ${readdirSync(dir).join(', ')}`);
    const app = join(dir, 'app');
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), '{ "name": "app", "private": true }\n');
    await run('npm', ['install', '--offline', '--no-audit', '--no-fund', tgz], opts(app));
    const bin = join(app, 'node_modules/.bin/orel');
    assert.ok(existsSync(bin), 'the package installs an orel command');

    const version = await run(bin, ['--version'], opts(app));
    assert.match(version.stdout, /^orel \d+\.\d+\.\d+ \(Node\.js /);
    assert.match(version.stdout, /^@sigstore\/sign \d+\.\d+\.\d+$/m);

    const released = await run(bin, ['release', '--plan', 'release.yaml', '--json'], opts(quickstart(join(app, 'quickstart'))));
    const report = JSON.parse(released.stdout) as { verified: boolean; mode: string; artifacts: unknown[] };
    assert.equal(report.mode, 'mock');
    assert.equal(report.verified, true);
    assert.ok(report.artifacts.length > 10, `${report.artifacts.length} artifacts released`);
    assert.ok(!released.stderr.includes(REPO), 'nothing of the checkout was used');
  });

  test('the linux-x64 tarball runs with no Node.js on PATH and releases the quickstart', async (t) => {
    if (!tarball) return t.skip('the self-contained build is linux-x64');
    const unpacked = join(dir, 'unpacked');
    mkdirSync(unpacked);
    await run('tar', ['-xzf', tarball, '-C', unpacked], opts(dir));
    // A PATH with only what the launcher calls: no node anywhere on it.
    const pathDir = join(dir, 'path');
    mkdirSync(pathDir);
    for (const tool of ['dirname', 'readlink']) symlinkSync(`/usr/bin/${tool}`, join(pathDir, tool));
    const env = { PATH: pathDir, HOME: dir };
    assert.notEqual(spawnSync('/bin/sh', ['-c', 'command -v node'], { env }).status, 0, 'node is not on the stripped PATH');
    const bin = join(unpacked, 'orel-linux-x64/orel');
    assert.match((await run(bin, ['--version'], opts(dir, env))).stdout, /^orel \d+\.\d+\.\d+ \(Node\.js 24\./, 'the binary ships Node.js 24');
    const released = await run(bin, ['release', '--plan', 'release.yaml', '--json'], opts(quickstart(join(dir, 'qs-binary')), env));
    const report = JSON.parse(released.stdout) as { verified: boolean };
    assert.equal(report.verified, true);

    // PKCS#11 from the binary: the native addon it ships loads in its runtime and signs.
    const missing = softHsmMissing();
    if (missing) return t.skip(missing);
    const token = await createSoftHsmToken({ pin: 'orel-binary-pin-4410' });
    try {
      const ws = workspace({ after: (fn) => t.after(fn) });
      const plan = ws.variant('hsm.yaml', (y) => y.replace(/ {2}release-key:\n(?: {4}.*\n)+/, `  release-key:\n    type: pkcs11\n    uri: "${token.uri}"\n    module: ${token.module}\n    pin: \${env:HSM_PIN}\n`));
      const signed = await run(bin, ['release', '--plan', plan, '--nomock', '--json'], opts(ws.dir, { ...env, SOFTHSM2_CONF: token.conf, HSM_PIN: token.pin }));
      assert.equal((JSON.parse(signed.stdout) as { verified: boolean }).verified, true);
      const spki = (pem: string) => createPublicKey(pem).export({ type: 'spki', format: 'der' }).toString('hex');
      assert.equal(spki(readFileSync(join(ws.dir, 'out/release/release/v1.2.0/cosign.pub'), 'utf8')), spki(token.publicKeyPem), 'signed by the token key');
    } finally {
      await token.cleanup();
    }
  });

  test('orel releases orel: the repository\'s release.yaml in mock mode; cosign verifies the published package and binary', async (t) => {
    // The layout `npm run dist` makes: out/dist beside the plan.
    const ws = join(dir, 'self');
    mkdirSync(join(ws, 'out/dist'), { recursive: true });
    cpSync(join(REPO, 'release.yaml'), join(ws, 'release.yaml'));
    const { version } = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as { version: string };
    cpSync(tgz, join(ws, 'out/dist', `orel-${version}.tgz`));
    if (tarball) cpSync(tarball, join(ws, 'out/dist', `orel-${version}-linux-x64.tar.gz`));
    const r = await orel(['release', '--plan', 'release.yaml', '--sandbox', join(ws, 'sandbox'), '--json'], { cwd: ws, env: { OREL_VERSION: undefined } });
    assert.equal(r.status, 0, errorLines(r.stderr) + r.stderr.slice(-2000));
    assert.equal(r.json().verified, true);
    const assets = join(ws, `sandbox/github/orel-dev/orel/releases/v${version}/assets`);
    const files = readdirSync(assets);
    for (const f of ['SHA256SUMS', 'VERIFY.md', `orel-${version}.tgz.sigstore.json`, `orel-${version}.intoto.sigstore.json`]) assert.ok(files.includes(f), `${f} in ${files.join(', ')}`);
    const cosign = peer('cosign');
    if (typeof cosign === 'string') return t.skip(cosign);
    for (const f of files.filter((x) => x.endsWith('.tgz') || x.endsWith('.tar.gz'))) {
      const v = await runPeer(cosign.path, ['verify-blob', '--bundle', `${f}.sigstore.json`, '--certificate-identity', `https://github.com/orel-dev/orel/.github/workflows/release.yml@refs/tags/v${version}`, '--certificate-oidc-issuer', 'https://token.actions.githubusercontent.com', '--trusted-root', join(ws, 'sandbox/sigstore/trusted_root.json'), f], assets);
      assert.equal(v.status, 0, `cosign verify-blob ${f}: ${v.out}`);
    }
    await run('sha256sum', ['-c', 'SHA256SUMS'], opts(assets));
  });
});
