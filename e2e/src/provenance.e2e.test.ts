// The release's SLSA v1 provenance is enforced, not a warning: `orel verify`
// fails, naming what is wrong, when a provenance signed with the release's
// own key leaves out a released file, names another digest for one, or names
// a builder the plan's policy does not accept. (VERIFY.md's provenance lines
// run verbatim with cosign verify-blob-attestation in verify-notes.e2e.)
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createKeyFileSigner, serializeBundle, signDsseBundle } from '@orel/sign';
import { errorLines, orel, workspace } from './helpers.js';

interface Statement {
  subject: { name: string; digest: Record<string, string> }[];
  predicate: { runDetails: { builder: { id: string } } };
}

const PROVENANCE = 'hello-1.2.0.intoto.sigstore.json';

describe('the release provenance is enforced by orel verify', () => {
  test('a provenance without a released file, with another digest, or from another builder fails verification naming it; the real one passes', async (t) => {
    const ws = workspace(t);
    const plan = ws.variant('policy.yaml', (y) => `${y}\nverification:\n  provenance:\n    builderId: https://orel.dev/builders/local\n`);
    const staged = await orel(['stage', '--plan', plan, '--sandbox', ws.sandbox], { cwd: ws.dir });
    assert.equal(staged.status, 0, errorLines(staged.stderr));
    const verify = () => orel(['verify', '--plan', plan, '--sandbox', ws.sandbox], { cwd: ws.dir });
    assert.equal((await verify()).status, 0, 'the provenance orel made verifies');

    const published = join(ws.sandbox, 'targets/staging/stage/1.2.0', PROVENANCE);
    const manifests = [join(ws.sandbox, 'targets/staging/stage/1.2.0/orel-stage-manifest.json')];
    const state = (await orel(['status', '--plan', plan, '--sandbox', ws.sandbox, '--json'], { cwd: ws.dir })).stdout;
    const stateManifest = /"manifest":\s*"([^"]+)"/.exec(state)?.[1];
    if (stateManifest) manifests.push(stateManifest);
    const original = readFileSync(published);
    const originalManifests = manifests.map((m) => readFileSync(m));
    const statement = JSON.parse(Buffer.from(JSON.parse(original.toString()).dsseEnvelope.payload, 'base64').toString()) as Statement;
    // The release's own key (mock mode: the sandbox key), so only the content is wrong.
    const signer = await createKeyFileSigner({ key: join(ws.sandbox, 'keys/sandbox.key') }, { baseDir: ws.dir });

    /** Publishes a re-signed provenance with `edit` applied, its record updated so the bytes themselves pass. */
    const forge = async (edit: (s: Statement) => void) => {
      const forged = structuredClone(statement);
      edit(forged);
      const bytes = serializeBundle(await signDsseBundle({ payload: Buffer.from(JSON.stringify(forged)), signer, what: 'a forged provenance' }));
      writeFileSync(published, bytes);
      for (const m of manifests) {
        const doc = JSON.parse(readFileSync(m, 'utf8'));
        const rec = doc.artifacts.find((a: { name: string }) => a.name === PROVENANCE);
        Object.assign(rec, { size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex'), sha512: createHash('sha512').update(bytes).digest('hex') });
        writeFileSync(m, JSON.stringify(doc, null, 2));
      }
    };
    const cases: [string, (s: Statement) => void, RegExp][] = [
      ['a released file left out', (s) => void (s.subject = s.subject.filter((x) => x.name !== 'hello-linux-amd64')), /hello-linux-amd64 is released but not a subject of the provenance/],
      ['another digest', (s) => void (s.subject.find((x) => x.name === 'SHA256SUMS')!.digest.sha256 = '0'.repeat(64)), /SHA256SUMS: the provenance names other digests/],
      ['another builder', (s) => void (s.predicate.runDetails.builder.id = 'https://evil.example/builder'), /builder "https:\/\/evil\.example\/builder" is not "https:\/\/orel\.dev\/builders\/local"/],
    ];
    for (const [what, edit, message] of cases) {
      await forge(edit);
      const r = await verify();
      assert.equal(r.status, 3, `${what}\n${r.stderr}`);
      assert.match(r.stderr, message, what);
      assert.match(r.stderr, new RegExp(PROVENANCE.replace(/\./g, '\\.')), `${what}: names the provenance`);
      writeFileSync(published, original);
      manifests.forEach((m, i) => writeFileSync(m, originalManifests[i]));
    }
    assert.equal((await verify()).status, 0, 'restored');
  });
});
