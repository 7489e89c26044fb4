import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Artifact } from '@orel/core';
import { detectBuildRun, LOCAL_BUILDER, provenanceProblems, provenanceStatement, SLSA_PROVENANCE_V1 } from './provenance.js';

const art = (name: string, n: number): Artifact => ({ name, kind: 'binary', size: n, sha256: String(n).repeat(64).slice(0, 64), sha512: String(n).repeat(128).slice(0, 128) });

describe('SLSA v1 provenance', () => {
  it('names the GitHub Actions run, Cloud Build, or a local run', () => {
    const gh = detectBuildRun({
      GITHUB_ACTIONS: 'true',
      GITHUB_REPOSITORY: 'example/hello',
      GITHUB_WORKFLOW_REF: 'example/hello/.github/workflows/release.yml@refs/tags/v1.2.0',
      GITHUB_RUN_ID: '42',
      GITHUB_SHA: 'abc123',
      GITHUB_REF: 'refs/tags/v1.2.0',
    });
    assert.deepEqual(gh, {
      kind: 'github-actions',
      builderId: 'https://github.com/example/hello/.github/workflows/release.yml@refs/tags/v1.2.0',
      invocationId: 'https://github.com/example/hello/actions/runs/42/attempts/1',
      source: { uri: 'git+https://github.com/example/hello@refs/tags/v1.2.0', digest: { gitCommit: 'abc123' } },
    });
    assert.equal(detectBuildRun({ BUILD_ID: 'b1', PROJECT_ID: 'p' }).kind, 'cloud-build');
    assert.equal(detectBuildRun({}, true).kind, 'tekton');
    assert.deepEqual(detectBuildRun({}), { kind: 'local', builderId: LOCAL_BUILDER });
  });

  it('subjects every file (sha256 + sha512) and image, sorted; the plan digest is an external parameter', () => {
    const s = provenanceStatement({
      release: { name: 'hello', version: '1.2.0' },
      subjects: [art('b', 2), art('a', 1)],
      images: [{ name: 'registry.example/app', digest: 'sha256:' + 'f'.repeat(64) }],
      plan: { file: 'release.yaml', sha256: 'e'.repeat(64) },
      run: detectBuildRun({}),
      orelVersion: '0.1.0',
      startedOn: new Date(0),
      finishedOn: new Date(1000),
    });
    assert.equal(s.predicateType, SLSA_PROVENANCE_V1);
    assert.deepEqual(s.subject.map((x) => x.name), ['a', 'b', 'registry.example/app']);
    assert.deepEqual(s.subject[2].digest, { sha256: 'f'.repeat(64) });
    assert.deepEqual((s.predicate.buildDefinition.externalParameters.plan as { digest: unknown }).digest, { sha256: 'e'.repeat(64) });
    assert.deepEqual(provenanceProblems(s, [art('a', 1), art('b', 2)], { builderId: LOCAL_BUILDER }), []);
  });

  it('names each problem: a file left out, another digest, a builder the policy refuses, not a provenance at all', () => {
    const s = provenanceStatement({ release: { name: 'h', version: '1' }, subjects: [art('a', 1), art('b', 2)], plan: { file: 'p', sha256: '0' }, run: detectBuildRun({}), orelVersion: '0', startedOn: new Date(0), finishedOn: new Date(0) });
    assert.deepEqual(provenanceProblems(s, [art('a', 1), art('b', 3), art('c', 4)], { builderIdRegexp: 'https://github\\.com/.*' }), [
      'b: the provenance names other digests (sha256 2222222222222222222222222222222222222222222222222222222222222222, released 3333333333333333333333333333333333333333333333333333333333333333)',
      'c is released but not a subject of the provenance',
      `builder "${LOCAL_BUILDER}" does not match https://github\\.com/.* (verification.provenance.builderIdRegexp)`,
    ]);
    assert.match(provenanceProblems({ _type: 'x' }, [])[0], /not a SLSA v1 provenance/);
  });

  it('holds the source repository to the policy: the GitHub run\'s repository passes, another or none is named', () => {
    const input = { release: { name: 'h', version: '1' }, subjects: [art('a', 1)], plan: { file: 'p', sha256: '0' }, orelVersion: '0', startedOn: new Date(0), finishedOn: new Date(0) };
    const gh = provenanceStatement({ ...input, run: detectBuildRun({ GITHUB_ACTIONS: 'true', GITHUB_REPOSITORY: 'example/hello', GITHUB_SHA: 'abc', GITHUB_REF: 'refs/tags/v1' }) });
    assert.deepEqual(provenanceProblems(gh, [art('a', 1)], { sourceRepository: 'https://github.com/example/hello' }), []);
    assert.deepEqual(provenanceProblems(gh, [art('a', 1)], { sourceRepository: 'https://github.com/example/other' }), [
      'built from git+https://github.com/example/hello@refs/tags/v1, not https://github.com/example/other (verification.provenance.sourceRepository)',
    ]);
    const local = provenanceStatement({ ...input, run: detectBuildRun({}) });
    assert.deepEqual(provenanceProblems(local, [art('a', 1)], { sourceRepository: 'https://github.com/example/hello' }), [
      'built from no recorded source, not https://github.com/example/hello (verification.provenance.sourceRepository)',
    ]);
  });
});
