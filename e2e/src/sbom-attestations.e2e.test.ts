// SBOMs found by content and bound by name: a CycloneDX 1.6 SBOM named after
// an archive (x.tar.gz.cdx.json) is attested for that archive alone, and a
// CycloneDX file in a set of kind "other" (bom.json: no SBOM name, no SBOM
// kind) is still found, validated and attested, for the release as a whole.
// cosign verify-blob-attestation --type cyclonedx accepts each for the files
// it names and refuses a file it does not name; orel verify passes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { errorLines, orel, workspace } from './helpers.js';
import { peer, runPeer, type Peer } from './peers.js';

const cosign = peer('cosign');
const CDX = join(import.meta.dirname, '../../packages/sbom/src/testdata/cyclonedx-1.6.json');

test('a CycloneDX SBOM named after an archive attests that archive; one found by content in an "other" set attests the release; cosign agrees', { skip: typeof cosign === 'string' ? cosign : undefined }, async (t) => {
  const ws = workspace(t);
  copyFileSync(CDX, join(ws.dir, 'dist/sbom/hello-1.2.0-linux-amd64.tar.gz.cdx.json'));
  mkdirSync(join(ws.dir, 'dist/extra'));
  copyFileSync(CDX, join(ws.dir, 'dist/extra/bom.json'));
  const plan = ws.variant('cdx.yaml', (y) =>
    y.replace('include: ["sbom/*.spdx.json"]', 'include: ["sbom/*.json"]').replace('\nchecksums:', '\n    - name: extra\n      kind: other\n      include: ["extra/*.json"]\n\nchecksums:'),
  );
  const r = await orel(['release', '--plan', plan, '--sandbox', ws.sandbox], { cwd: ws.dir });
  assert.equal(r.status, 0, errorLines(r.stderr) || r.stderr.slice(-2000));
  assert.match(r.stderr, /hello-1\.2\.0-linux-amd64\.tar\.gz\.cdx\.json\.intoto\.sigstore\.json \(CycloneDX 1\.6, 1 subject\)/);
  assert.match(r.stderr, /bom\.json\.intoto\.sigstore\.json \(CycloneDX 1\.6, \d+ subjects\)/);
  const dir = join(ws.sandbox, 'targets/release/release/v1.2.0');
  const subjects = (att: string) =>
    (JSON.parse(Buffer.from(JSON.parse(readFileSync(join(dir, att), 'utf8')).dsseEnvelope.payload, 'base64').toString()) as { subject: { name: string }[] }).subject.map((s) => s.name);
  assert.deepEqual(subjects('hello-1.2.0-linux-amd64.tar.gz.cdx.json.intoto.sigstore.json'), ['hello-1.2.0-linux-amd64.tar.gz']);
  const whole = subjects('bom.json.intoto.sigstore.json');
  assert.ok(whole.includes('hello-linux-amd64') && whole.includes('hello-1.2.0-darwin-arm64.tar.gz'), whole.join(', '));
  assert.ok(!whole.some((n) => n.endsWith('.json')), 'SBOMs are not subjects of another SBOM');
  assert.ok(existsSync(join(dir, 'hello-1.2.0.spdx.json.intoto.sigstore.json')), 'the SPDX SBOM too');

  const check = (att: string, file: string) =>
    runPeer((cosign as Peer).path, ['verify-blob-attestation', '--bundle', att, '--type', 'cyclonedx', '--key', 'cosign.pub', '--insecure-ignore-tlog', file], dir);
  assert.equal((await check('hello-1.2.0-linux-amd64.tar.gz.cdx.json.intoto.sigstore.json', 'hello-1.2.0-linux-amd64.tar.gz')).status, 0);
  assert.notEqual((await check('hello-1.2.0-linux-amd64.tar.gz.cdx.json.intoto.sigstore.json', 'hello-1.2.0-darwin-arm64.tar.gz')).status, 0, 'an archive it does not describe');
  const ok = await check('bom.json.intoto.sigstore.json', 'hello-linux-amd64');
  assert.equal(ok.status, 0, ok.out);
  const verified = await orel(['verify', '--plan', plan, '--sandbox', ws.sandbox], { cwd: ws.dir });
  assert.equal(verified.status, 0, errorLines(verified.stderr));
});
