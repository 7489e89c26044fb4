// The release's SLSA v1 provenance and SBOM attestations are enforced, not a
// warning: `orel verify` fails, naming what is wrong, when an attestation
// signed with the release's own key leaves out a released file, names another
// digest for one, names a builder the plan's policy does not accept, or
// attests another SBOM than the one published. An SBOM that breaks its
// schema stops the stage before anything is signed or written, with the
// JSONPath of the problem. (VERIFY.md's attestation lines run verbatim with
// cosign verify-blob-attestation in verify-notes.e2e.)
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createKeyFileSigner, serializeBundle, signDsseBundle } from '@orel/sign';
import { stagedRecords } from './forge.js';
import { errorLines, orel, workspace } from './helpers.js';

interface Statement {
  subject: { name: string; digest: Record<string, string> }[];
  predicate: { runDetails: { builder: { id: string } }; packages?: { name: string }[] };
}

const PROVENANCE = 'hello-1.2.0.intoto.sigstore.json';
const SBOM_ATTESTATION = 'hello-1.2.0.spdx.json.intoto.sigstore.json';

describe('the release provenance is enforced by orel verify', () => {
  test('an attestation without a released file, with another digest, from another builder or of another SBOM fails verification naming it; the real ones pass', async (t) => {
    const ws = workspace(t);
    const plan = ws.variant('policy.yaml', (y) => `${y}\nverification:\n  provenance:\n    builderId: https://orel.dev/builders/local\n`);
    const stage = await orel(['stage', '--plan', plan, '--sandbox', ws.sandbox], { cwd: ws.dir });
    assert.equal(stage.status, 0, errorLines(stage.stderr));
    const verify = () => orel(['verify', '--plan', plan, '--sandbox', ws.sandbox], { cwd: ws.dir });
    assert.equal((await verify()).status, 0, 'the provenance orel made verifies');

    const publishedAt = (name: string) => join(ws.sandbox, 'targets/staging/stage/1.2.0', name);
    const staged = await stagedRecords(ws, plan, join(ws.sandbox, 'targets/staging/stage/1.2.0'));
    const originals = new Map([PROVENANCE, SBOM_ATTESTATION].map((n) => [n, readFileSync(publishedAt(n))]));
    const statementOf = (name: string) => JSON.parse(Buffer.from(JSON.parse(originals.get(name)!.toString()).dsseEnvelope.payload, 'base64').toString()) as Statement;
    // The release's own key (mock mode: the sandbox key), so only the content is wrong.
    const signer = await createKeyFileSigner({ key: join(ws.sandbox, 'keys/sandbox.key') }, { baseDir: ws.dir });

    /** Publishes a re-signed attestation with `edit` applied, its record updated so the bytes themselves pass. */
    const forge = async (name: string, edit: (s: Statement) => void) => {
      const forged = statementOf(name);
      edit(forged);
      staged.replace(name, serializeBundle(await signDsseBundle({ payload: Buffer.from(JSON.stringify(forged)), signer, what: 'a forged attestation' })));
    };
    const cases: [string, string, (s: Statement) => void, RegExp][] = [
      ['a released file left out', PROVENANCE, (s) => void (s.subject = s.subject.filter((x) => x.name !== 'hello-linux-amd64')), /hello-linux-amd64 is released but not a subject of the provenance/],
      ['another digest', PROVENANCE, (s) => void (s.subject.find((x) => x.name === 'SHA256SUMS')!.digest.sha256 = '0'.repeat(64)), /SHA256SUMS: the provenance names other digests/],
      ['another builder', PROVENANCE, (s) => void (s.predicate.runDetails.builder.id = 'https://evil.example/builder'), /builder "https:\/\/evil\.example\/builder" is not "https:\/\/orel\.dev\/builders\/local"/],
      ['a described file left out', SBOM_ATTESTATION, (s) => void (s.subject = s.subject.filter((x) => x.name !== 'hello-linux-amd64')), /hello-linux-amd64 is released but not a subject of the SBOM attestation/],
      ['another digest', SBOM_ATTESTATION, (s) => void (s.subject.find((x) => x.name === 'hello-linux-arm64')!.digest.sha256 = '0'.repeat(64)), /hello-linux-arm64: the SBOM attestation names other digests/],
      ['another SBOM', SBOM_ATTESTATION, (s) => void (s.predicate.packages![0].name = 'not-hello'), /its predicate is not hello-1\.2\.0\.spdx\.json as published/],
    ];
    for (const [what, name, edit, message] of cases) {
      await forge(name, edit);
      const r = await verify();
      assert.equal(r.status, 3, `${what}\n${r.stderr}`);
      assert.match(r.stderr, message, what);
      assert.match(r.stderr, new RegExp(name.replace(/\./g, '\\.')), `${what}: names the attestation`);
      staged.restore();
    }
    assert.equal((await verify()).status, 0, 'restored');
  });

  test('an SBOM that breaks its schema stops the stage at preflight, naming the file and the JSONPath; nothing is signed or written', async (t) => {
    const ws = workspace(t);
    const sbomFile = join(ws.dir, 'dist/sbom/hello-1.2.0.spdx.json');
    const doc = JSON.parse(readFileSync(sbomFile, 'utf8'));
    delete doc.packages[0].downloadLocation;
    doc.packages.push({ name: 'libfoo', SPDXID: 'SPDXRef-libfoo', downloadLocation: 5 });
    writeFileSync(sbomFile, JSON.stringify(doc, null, 2));
    const r = await orel(['stage', '--plan', join(ws.dir, 'release.yaml'), '--sandbox', ws.sandbox], { cwd: ws.dir });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /2 problem\(s\) with the SBOMs to attest; nothing was signed or published/);
    assert.match(r.stderr, /sbom\/hello-1\.2\.0\.spdx\.json: SPDX 2\.3 schema: \$\.packages\[0\]: missing required property "downloadLocation"/);
    assert.match(r.stderr, /sbom\/hello-1\.2\.0\.spdx\.json: SPDX 2\.3 schema: \$\.packages\[1\]\.downloadLocation: must be string/);
    assert.equal(existsSync(join(ws.sandbox, 'targets/staging')), false, 'nothing published');
    const log = join(ws.sandbox, 'sigstore/rekor-log.jsonl');
    assert.equal(existsSync(log) ? readFileSync(log, 'utf8').trim() : '', '', 'nothing logged');
  });
});
