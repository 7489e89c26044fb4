import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { inTotoStatement } from '@orel/sign';
import { CYCLONEDX_PREDICATE, SPDX_PREDICATE } from '@orel/sbom';
import { sbomAttestationProblems } from './sbom-attestation.js';

const SBOM = { spdxVersion: 'SPDX-2.3', SPDXID: 'SPDXRef-DOCUMENT', name: 'hello', packages: [{ name: 'hello', SPDXID: 'SPDXRef-hello', downloadLocation: 'NOASSERTION' }] };
const a = { name: 'a.tar.gz', sha256: '1'.repeat(64), sha512: '2'.repeat(128) };
const b = { name: 'b.tar.gz', sha256: '3'.repeat(64), sha512: '4'.repeat(128) };
const known = new Map([[a.name, a.sha256], [b.name, b.sha256], ['registry/app', '5'.repeat(64)]]);
const input = { sbom: { name: 'hello.spdx.json', document: SBOM }, expected: [a, b], known };

describe('SBOM attestation check', () => {
  it('passes the statement orel makes: the SBOM as predicate, every described file (and image) as subject', () => {
    const s = inTotoStatement(SPDX_PREDICATE, SBOM, [a, b, { name: 'registry/app', digest: `sha256:${'5'.repeat(64)}` }]);
    assert.deepEqual(sbomAttestationProblems(s, input), []);
  });

  it('names each problem: a described file left out, another digest, a subject outside the release, another SBOM, another type', () => {
    const s = inTotoStatement(SPDX_PREDICATE, { ...SBOM, name: 'other' }, [{ ...a, sha256: '9'.repeat(64) }, { name: 'evil.bin', sha256: '7'.repeat(64) }]);
    assert.deepEqual(sbomAttestationProblems(s, input), [
      'its predicate is not hello.spdx.json as published',
      `a.tar.gz: the SBOM attestation names other digests (sha256 ${'9'.repeat(64)}, released ${a.sha256})`,
      'b.tar.gz is released but not a subject of the SBOM attestation',
      `names a.tar.gz with sha256 ${'9'.repeat(64)}, released ${a.sha256}`,
      'names evil.bin, which is not part of the release',
    ]);
    assert.match(sbomAttestationProblems(inTotoStatement(CYCLONEDX_PREDICATE, SBOM, [a, b]), input)[0], /not an in-toto statement of type https:\/\/spdx\.dev\/Document/);
    assert.match(sbomAttestationProblems(inTotoStatement(SPDX_PREDICATE, SBOM, [a, b]), { ...input, sbom: { name: 'x.json', document: { hello: 1 } } })[0], /x\.json is not an SBOM orel attests/);
  });
});
