// Rehearsing a pre-release from the same plan (--release-version) in mock
// mode: it lands beside the release, never moves a stable marker, and a
// GitHub target marks it as a pre-release.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { errorLines, orel, workspace } from './helpers.js';

describe('pre-release rehearsal with --release-version', () => {
  const ws = workspace({ after }, 'release.yaml');
  const plan = ws.variant('gh.yaml', (y) =>
    y
      .replace('targets:\n', 'targets:\n  - name: gh\n    url: github://example/hello\n')
      .replace('  release:\n    targets: [release]', '  release:\n    targets: [release, gh]'),
  );
  const markers = join(ws.sandbox, 'targets/release/release');
  const run = (...args: string[]) => orel(['release', '--plan', plan, '--sandbox', ws.sandbox, '--json', ...args], { cwd: ws.dir });

  test('1.2.0, then an rc of 1.3.0: stable.txt stays, latest-1.3.txt and a GitHub pre-release appear', async () => {
    const stable = await run();
    assert.equal(stable.status, 0, errorLines(stable.stderr));
    const rc = await run('--release-version', 'v1.3.0-rc.1');
    assert.equal(rc.status, 0, errorLines(rc.stderr));
    const report = rc.json();
    assert.deepEqual(report.release, { name: 'hello', version: '1.3.0-rc.1' });
    assert.equal(report.verified, true);
    assert.equal(readFileSync(join(markers, 'stable.txt'), 'utf8'), 'v1.2.0');
    assert.equal(readFileSync(join(markers, 'latest-1.3.txt'), 'utf8'), 'v1.3.0-rc.1');
    assert.equal(readFileSync(join(markers, 'latest-1.2.txt'), 'utf8'), 'v1.2.0');
    const gh = JSON.parse(readFileSync(join(ws.sandbox, 'github/example/hello/releases/v1.3.0-rc.1/release.json'), 'utf8'));
    assert.equal(gh.prerelease, true);
    assert.equal(gh.draft, false);
    assert.match(readFileSync(join(markers, 'v1.3.0-rc.1/VERIFY.md'), 'utf8'), /# Verifying hello 1\.3\.0-rc\.1/);
  });

  test('a --release-version that is not semver is refused naming it', async () => {
    const bad = await run('--release-version', 'next');
    assert.equal(bad.status, 2);
    assert.match(errorLines(bad.stderr), /next/);
  });
});
