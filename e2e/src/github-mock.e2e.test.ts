// A github:// target in mock mode: the release lands in the sandbox as a
// directory (release.json + assets), drafted, filled, verified, and only then
// published, with no token and no network.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { orel, workspace, type OrelRun } from './helpers.js';

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('github:// target in mock mode', () => {
  const ws = workspace({ after });
  const plan = ws.variant('gh.yaml', (y) =>
    y
      .replace('targets:\n', 'targets:\n  - name: gh\n    url: github://example/hello\n    token: ${env:OREL_E2E_GITHUB_TOKEN}\n    title: "hello {version}"\n')
      .replace('  release:\n    targets: [release]', '  release:\n    targets: [release, gh]'),
  );
  const releaseDir = () => join(ws.sandbox, 'github/example/hello/releases/v1.2.0');
  let run: OrelRun;

  before(async () => {
    run = await orel(['release', '--plan', plan, '--sandbox', ws.sandbox, '--json'], { cwd: ws.dir, env: { OREL_E2E_GITHUB_TOKEN: undefined } });
  });

  test('releases without a token and verifies', () => {
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.json().verified, true);
  });

  test('the sandbox release is published, titled, and its body carries VERIFY.md', () => {
    const rel = JSON.parse(readFileSync(join(releaseDir(), 'release.json'), 'utf8'));
    assert.equal(rel.draft, false);
    assert.equal(rel.name, 'hello 1.2.0');
    assert.equal(rel.prerelease, false);
    assert.match(rel.body, /# Verifying hello 1\.2\.0/);
  });

  test('every published file is an asset with the same bytes as the file target', () => {
    const fileTarget = join(ws.sandbox, 'targets/release/release/v1.2.0');
    const expected = readdirSync(fileTarget).sort();
    const assets = readdirSync(join(releaseDir(), 'assets')).sort();
    assert.deepEqual(assets, expected);
    for (const a of assets) assert.equal(sha256(readFileSync(join(releaseDir(), 'assets', a))), sha256(readFileSync(join(fileTarget, a))), a);
    // Version markers go to file/bucket targets, never into a GitHub release.
    assert.ok(!assets.some((a) => a.endsWith('.txt') && a.startsWith('stable')));
    assert.ok(existsSync(join(ws.sandbox, 'targets/release/release/stable.txt')));
  });

  test('a re-run changes nothing and still verifies', async () => {
    const before = readFileSync(join(releaseDir(), 'release.json'), 'utf8');
    const again = await orel(['release', '--plan', plan, '--sandbox', ws.sandbox, '--json'], { cwd: ws.dir, env: { OREL_E2E_GITHUB_TOKEN: undefined } });
    assert.equal(again.status, 0, again.stderr);
    assert.equal(readFileSync(join(releaseDir(), 'release.json'), 'utf8'), before);
  });
});
