import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { OrelError } from '@orel/core';
import type { ReleaseReport } from '@orel/release';
import { GitHubActionsReporter, errorAnnotations, escapeCommand, jobSummary } from './github-actions.js';

describe('GitHub Actions output', () => {
  test('workflow command escaping: %, CR, LF everywhere; : and , in properties', () => {
    assert.equal(escapeCommand('50% done\r\nnext'), '50%25 done%0D%0Anext');
    assert.equal(escapeCommand('a:b,c', true), 'a%3Ab%2Cc');
  });

  test('a plan error that names file:line:column becomes an annotation on that line, one per problem', () => {
    const e = new OrelError('PLAN_INVALID', 'release.yaml:12:5: signers.k.pasword: unknown key "pasword" (did you mean "password"?)', {
      details: ['release.yaml:12:5: signers.k.pasword: unknown key "pasword" (did you mean "password"?)', 'release.yaml:20:3: targets[0].url: must be a URL'],
    });
    assert.deepEqual(errorAnnotations(e), [
      '::error file=release.yaml,line=12,col=5,title=orel PLAN_INVALID::signers.k.pasword: unknown key "pasword" (did you mean "password"?)',
      '::error file=release.yaml,line=20,col=3,title=orel PLAN_INVALID::targets[0].url: must be a URL',
    ]);
    assert.deepEqual(errorAnnotations(new OrelError('VERIFY_FAILED', 'two problems\nhere')), ['::error title=orel VERIFY_FAILED::two problems%0Ahere']);
  });

  test('each step that runs is a group; a skipped one is a plain line', () => {
    const lines: string[] = [];
    const r = new GitHubActionsReporter((l) => lines.push(l));
    r.stepStart('release', 'promote');
    r.progress('promote', 1, 1);
    r.stepEnd('release', 'promote', { status: 'done', ms: 3, note: '2 copied' });
    r.stepEnd('release', 'markers', { status: 'skipped', reason: 'no markers' });
    assert.deepEqual(lines, ['::group::release/promote', '• release/promote', '    promote: 1/1', '  ✓ release/promote (3 ms) 2 copied', '::endgroup::', '  - release/markers skipped: no markers']);
  });

  const report: ReleaseReport = {
    mode: 'nomock',
    plan: 'release.yaml',
    release: { name: 'hello', version: '1.2.0' },
    stages: [{ name: 'release', steps: [{ name: 'verify', status: 'done', ms: 12, note: '3 files verified' }] }],
    verified: true,
    artifacts: [
      { name: 'hello|linux', kind: 'binary', size: 10, sha256: 'a'.repeat(64), published: [], signatures: [{ format: 'bundle', name: 'hello|linux.sigstore.json' }], verified: true },
      { name: 'hello|linux.sigstore.json', kind: 'bundle', size: 5, sha256: 'b'.repeat(64), published: [], signatures: [], verified: true },
    ],
  };

  test('the job summary: verdict, one row per file with digest, signatures and log index, the steps, VERIFY.md', () => {
    const md = jobSummary(report, { logIndexes: new Map([['hello|linux.sigstore.json', '4711']]), notes: '# Verify\n\n```sh\ncosign verify-blob …\n```' });
    assert.match(md, /^## orel: hello 1\.2\.0 \(nomock\) — ✅ verified$/m);
    assert.match(md, new RegExp(`^\\| \`hello\\\\\\|linux\` \\| 10 \\| \`${'a'.repeat(64)}\` \\| \`hello\\\\\\|linux\\.sigstore\\.json\` \\| 4711 \\| ✅ \\|$`, 'm'));
    assert.ok(!md.includes(`| \`hello\\|linux.sigstore.json\` | 5 |`), 'signature files are not rows of their own');
    assert.match(md, /^\| release\/verify \| done \| 12 \| 3 files verified \|$/m);
    assert.match(md, /cosign verify-blob/);
    const failed = jobSummary({ ...report, verified: false, error: { code: 'VERIFY_FAILED', message: 'hello: digest differs' } });
    assert.match(failed, /— ❌ failed: `VERIFY_FAILED` hello: digest differs$/m);
  });
});
