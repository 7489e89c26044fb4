// Every command VERIFY.md prints is executed verbatim by the tools it names
// (notes-runner): orel, the real cosign (v3.1, installed by .ci/run),
// sha256sum/sha512sum. A key-signed, a keyless (sandbox Sigstore) and a
// checksums-only release (kms.e2e runs the KMS and PKCS#11 ones).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { appendFileSync, copyFileSync, createReadStream, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { renderVerifyNotes } from '@orel/release';
import { buildTufRepo, serveTufRepo } from '@orel/sandbox';
import { errorLines, orel, REPO, workspace } from './helpers.js';
import { notesSkip, runVerifyNotes } from './notes-runner.js';

const checksumsOnly = (y: string) => y.replace('  what: artifacts\n', '  what: checksums\n');
const rekorV2 = (y: string) => y.replace(/^( {4}type: keyless).*$/m, '$1\n    rekorVersion: 2');

for (const [what, planFile, edit] of [
  ['key-signed', 'release-key.yaml', undefined],
  ['keyless (sandbox Sigstore)', 'release.yaml', undefined],
  ['checksums-only (key)', 'release-key.yaml', checksumsOnly],
  ['checksums-only (keyless)', 'release.yaml', checksumsOnly],
  ['keyless on Rekor v2 (sandbox rekor-tiles API, TSA timestamps)', 'release.yaml', rekorV2],
] as const) {
  describe(`VERIFY.md of a ${what} release, executed verbatim`, () => {
    test('every line passes with the tool it names; cosign warns of nothing deprecated; a tampered file fails', { skip: notesSkip }, async (t) => {
      const ws = workspace(t, planFile);
      const plan = edit ? ws.variant('variant.yaml', edit) : ws.plan;
      const r = await orel(['release', '--plan', plan, '--sandbox', ws.sandbox], { cwd: ws.dir });
      assert.equal(r.status, 0, errorLines(r.stderr));
      await runVerifyNotes(t, join(ws.sandbox, 'targets/release/release/v1.2.0'));
    });
  });
}

describe('VERIFY.md of a keyless public-good release (a conformance-suite bundle), executed verbatim', () => {
  const cases = join(REPO, '../shared/conformance');
  const skip = notesSkip ?? (existsSync(join(cases, 'cases.json')) ? undefined : `the Sigstore conformance cases are not at ${cases}`);
  test('cosign takes the public-good root from TUF (a loopback mirror serving the production trusted root), orel its embedded copy; both accept, and refuse a foreign signer or a tampered file', { skip }, async (t) => {
    const ws = workspace(t);
    const fixture = JSON.parse(readFileSync(join(cases, 'cases.json'), 'utf8')).cases.find((c: { name: string }) => c.name === 'happy-path-v0.3') as { identity: string; issuer: string };
    const dir = join(ws.dir, 'release');
    mkdirSync(dir);
    copyFileSync(join(cases, 'cases/happy-path-v0.3/artifact'), join(dir, 'app'));
    copyFileSync(join(cases, 'cases/happy-path-v0.3/bundle.sigstore.json'), join(dir, 'app.sigstore.json'));
    const sha256 = createHash('sha256').update(readFileSync(join(dir, 'app'))).digest('hex');
    writeFileSync(join(dir, 'SHA256SUMS'), `${sha256}  app\n`);
    const files = ['app', 'app.sigstore.json', 'SHA256SUMS'].map((name) => ({ name, sha256: createHash('sha256').update(readFileSync(join(dir, name))).digest('hex') }));
    // What orel writes for a public-good release: no --trusted-root anywhere.
    const notes = renderVerifyNotes({ release: { name: 'app', version: '1.0.0' }, files, signing: { mode: 'keyless', outputs: ['bundle'], what: 'artifacts' }, identity: fixture.identity, issuer: fixture.issuer });
    assert.doesNotMatch(notes, /--trusted-root/);
    writeFileSync(join(dir, 'VERIFY.md'), notes);
    const tuf = buildTufRepo({ 'trusted_root.json': readFileSync(join(cases, 'production_trusted_root.json')) });
    const mirror = await serveTufRepo(tuf);
    t.after(() => mirror.close());
    writeFileSync(join(ws.dir, 'tuf-root.json'), tuf.rootJson);
    await runVerifyNotes(t, dir, { TUF_MIRROR: mirror.url, TUF_ROOT_JSON: join(ws.dir, 'tuf-root.json'), TUF_ROOT: join(ws.dir, 'tuf-cache') });
  });
});

describe('orel verify-blob inputs', () => {
  test('the digest form sha256:<hex> verifies like the file; a malformed --key is a clear error, not a stack trace', async (t) => {
    const ws = workspace(t);
    const r = await orel(['release', '--plan', ws.plan, '--sandbox', ws.sandbox], { cwd: ws.dir });
    assert.equal(r.status, 0, errorLines(r.stderr));
    const dir = join(ws.sandbox, 'targets/release/release/v1.2.0');
    const file = 'hello-linux-amd64';
    const hex = readFileSync(join(dir, `${file}.sha256`), 'utf8').trim();
    const byDigest = await orel(['verify-blob', `sha256:${hex}`, '--bundle', `${file}.sigstore.json`, '--key', 'cosign.pub'], { cwd: dir });
    assert.equal(byDigest.status, 0, byDigest.stderr);
    const wrong = await orel(['verify-blob', `sha256:${'0'.repeat(64)}`, '--bundle', `${file}.sigstore.json`, '--key', 'cosign.pub'], { cwd: dir });
    assert.equal(wrong.status, 3, wrong.stderr);
    appendFileSync(join(dir, 'bad.pub'), '-----BEGIN PUBLIC KEY-----\nnot base64 at all\n-----END PUBLIC KEY-----\n');
    const bad = await orel(['verify-blob', file, '--bundle', `${file}.sigstore.json`, '--key', 'bad.pub'], { cwd: dir });
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /error\[KEY_INVALID\]: --key bad\.pub is not a PEM public key/);
    assert.doesNotMatch(bad.stderr, /\n\s+at /, 'no stack trace');

    // URLs, as the Kubernetes blog verifies with cosign: served here from 127.0.0.1.
    const server = createServer((req, res) => {
      const p = join(dir, decodeURIComponent((req.url ?? '/').slice(1)));
      if (!existsSync(p)) return void res.writeHead(404).end();
      res.writeHead(200);
      createReadStream(p).pipe(res);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    t.after(() => server.close());
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    for (const how of [['--bundle', `${base}/${file}.sigstore.json`], ['--signature', `${base}/${file}.sig`]]) {
      const byUrl = await orel(['verify-blob', `${base}/${file}`, ...how, '--key', 'cosign.pub'], { cwd: dir });
      assert.equal(byUrl.status, 0, `${how.join(' ')}\n${byUrl.stderr}`);
    }
    const tamperedUrl = await orel(['verify-blob', `${base}/${file}.sha256`, '--bundle', `${base}/${file}.sigstore.json`, '--key', 'cosign.pub'], { cwd: dir });
    assert.equal(tamperedUrl.status, 3, 'another file under the same signature');
    const plain = await orel(['verify-blob', 'http://dl.example.org/x', '--bundle', 'x.json', '--key', 'cosign.pub'], { cwd: dir });
    assert.equal(plain.status, 2);
    assert.match(plain.stderr, /plain http is accepted only on loopback; use https/);
  });
});
