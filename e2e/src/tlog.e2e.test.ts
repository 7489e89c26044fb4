// Key-signed artifacts in a transparency log (signing.transparencyLog): in
// mock mode the sandbox Rekor logs every signature; bundles carry the entry
// and verify with @sigstore/verify requiring it (not through orel's code).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { bundleFromJSON } from '@sigstore/bundle';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { Verifier, toSignedEntity, toTrustMaterial } from '@sigstore/verify';
import { orel, workspace, type OrelRun } from './helpers.js';

describe('key-signed release with transparencyLog: true (mock mode)', () => {
  const ws = workspace({ after });
  const plan = ws.variant('tlog.yaml', (y) => y.replace('  outputs: [bundle, sig]\n', '  outputs: [bundle, sig]\n  transparencyLog: true\n'));
  const dir = () => join(ws.sandbox, 'targets/release/release/v1.2.0');
  let run: OrelRun;

  before(async () => {
    run = await orel(['release', '--plan', plan, '--sandbox', ws.sandbox, '--json'], { cwd: ws.dir });
  });

  test('releases and verifies', () => {
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.json().verified, true);
  });

  test('every bundle carries a Rekor entry that @sigstore/verify checks against the sandbox log key', () => {
    const root = TrustedRoot.fromJSON(JSON.parse(readFileSync(join(ws.sandbox, 'sigstore/trusted_root.json'), 'utf8')));
    const publicKey = createPublicKey(readFileSync(join(dir(), 'cosign.pub'), 'utf8'));
    const trust = toTrustMaterial(root, () => ({ publicKey, validFor: () => true }));
    const verifier = new Verifier(trust, { tlogThreshold: 1, ctlogThreshold: 0, timestampThreshold: 0 });
    const bundles = readdirSync(dir()).filter((f) => f.endsWith('.sigstore.json') && !f.endsWith('.intoto.sigstore.json'));
    assert.ok(bundles.length >= 9);
    for (const b of bundles) {
      const bundle = bundleFromJSON(JSON.parse(readFileSync(join(dir(), b), 'utf8')));
      assert.equal(bundle.verificationMaterial.tlogEntries.length, 1, `${b}: one log entry`);
      verifier.verify(toSignedEntity(bundle, readFileSync(join(dir(), b.slice(0, -'.sigstore.json'.length)))));
      // Without its log entry the same bundle no longer meets the policy.
      const stripped = { ...bundle, verificationMaterial: { ...bundle.verificationMaterial, tlogEntries: [] } };
      assert.throws(() => verifier.verify(toSignedEntity(stripped, readFileSync(join(dir(), b.slice(0, -'.sigstore.json'.length))))));
    }
  });

  test('VERIFY.md does not tell cosign users to skip the log', () => {
    const notes = readFileSync(join(dir(), 'VERIFY.md'), 'utf8');
    assert.match(notes, /cosign verify-blob /);
    assert.doesNotMatch(notes, /--insecure-ignore-tlog/);
  });
});
