import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { isOrelError, type OrelError } from '@orel/core';
import type { ArtifactsSection, ArtifactSet } from '@orel/plan';
import { discover } from './discover.js';

/** A build output tree: binaries per os/arch, archives, an SBOM, a dot file, and stray notes. */
function tree(t: { after: (fn: () => void) => void }): { base: string; root: string } {
  const base = realpathSync(mkdtempSync(join(tmpdir(), 'orel-discover-')));
  t.after(() => rmSync(base, { recursive: true, force: true }));
  const root = join(base, '_output');
  const files: Record<string, string> = {
    'bin/linux/amd64/kubectl': 'kubectl linux amd64',
    'bin/linux/arm64/kubectl': 'kubectl linux arm64',
    'bin/darwin/arm64/kubectl': 'kubectl darwin arm64',
    'bin/linux/amd64/kubectl.debug': 'debug symbols',
    'dist/app_1.0_linux_amd64.tar.gz': 'tgz 1',
    'dist/app_1.0_darwin_arm64.tar.gz': 'tgz 2',
    'dist/.hidden.tar.gz': 'dot file',
    'dist/notes.txt': 'notes',
    'sbom/app.spdx.json': '{}',
  };
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, rel)), { recursive: true });
    writeFileSync(join(root, rel), content);
  }
  return { base, root };
}

const section = (...sets: ArtifactSet[]): ArtifactsSection => ({ root: '_output', sets });
const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

async function rejectsWith(p: Promise<unknown>, code: OrelError['code'], ...fragments: string[]): Promise<OrelError> {
  let err: unknown;
  await assert.rejects(p, (e) => ((err = e), true));
  assert.ok(isOrelError(err, code), `expected OrelError ${code}, got ${String(err)}`);
  for (const f of fragments) assert.ok((err as Error).message.includes(f), `message "${(err as Error).message}" lacks "${f}"`);
  return err as OrelError;
}

test('discovers sets in order, sorted by path, with os/arch, renames and digests', async (t) => {
  const { base, root } = tree(t);
  const progress: number[] = [];
  const got = await discover(
    section(
      {
        name: 'binaries',
        kind: 'binary',
        include: ['bin/**/*'],
        exclude: ['**/*.debug'],
        pattern: 'bin/{os}/{arch}/{file}',
        rename: '{file}-{os}-{arch}',
      },
      { name: 'archives', kind: 'archive', include: ['dist/*.tar.gz'], pattern: 'dist/{name}_{version}_{os}_{arch}{ext}' },
      { name: 'sboms', kind: 'sbom', include: ['sbom/*.json', 'sbom/app.*'], rename: '{base}-sbom{ext}' },
    ),
    base,
    { onProgress: (d) => progress.push(d) },
  );
  assert.deepEqual(
    got.map((a) => [a.set, a.relPath, a.name, a.kind, a.os, a.arch]),
    [
      ['binaries', 'bin/darwin/arm64/kubectl', 'kubectl-darwin-arm64', 'binary', 'darwin', 'arm64'],
      ['binaries', 'bin/linux/amd64/kubectl', 'kubectl-linux-amd64', 'binary', 'linux', 'amd64'],
      ['binaries', 'bin/linux/arm64/kubectl', 'kubectl-linux-arm64', 'binary', 'linux', 'arm64'],
      ['archives', 'dist/app_1.0_darwin_arm64.tar.gz', 'app_1.0_darwin_arm64.tar.gz', 'archive', 'darwin', 'arm64'],
      ['archives', 'dist/app_1.0_linux_amd64.tar.gz', 'app_1.0_linux_amd64.tar.gz', 'archive', 'linux', 'amd64'],
      ['sboms', 'sbom/app.spdx.json', 'app-sbom.spdx.json', 'sbom', undefined, undefined],
    ],
  );
  const k = got[1];
  assert.equal(k.path, join(root, 'bin/linux/amd64/kubectl'));
  assert.equal(k.size, 'kubectl linux amd64'.length);
  assert.equal(k.sha256, sha256('kubectl linux amd64'));
  assert.match(k.sha512, /^[0-9a-f]{128}$/);
  assert.deepEqual(got[3].placeholders, { name: 'app', version: '1.0' });
  assert.deepEqual(progress, [1, 2, 3, 4, 5, 6]);
});

test('a glob that matches nothing is an error unless the set is optional', async (t) => {
  const { base, root } = tree(t);
  const err = await rejectsWith(
    discover(section({ name: 'windows', kind: 'binary', include: ['bin/windows/**/*.exe'] }), base),
    'DISCOVERY_NO_MATCH',
    '"windows"',
    'bin/windows/**/*.exe',
    root,
  );
  assert.match(err.hint ?? '', /optional: true/);
  const got = await discover(
    section({ name: 'windows', kind: 'binary', include: ['bin/windows/**/*.exe'], optional: true }, { name: 's', kind: 'sbom', include: ['sbom/*'] }),
    base,
  );
  assert.deepEqual(got.map((a) => a.name), ['app.spdx.json']);
  // Dot files are never matched by wildcards.
  await rejectsWith(discover(section({ name: 'dots', kind: 'other', include: ['dist/*hidden*'] }), base), 'DISCOVERY_NO_MATCH');
});

test('globs may not leave the root', async (t) => {
  const { base } = tree(t);
  writeFileSync(join(base, 'secret'), 'x');
  await rejectsWith(discover(section({ name: 'up', kind: 'other', include: ['../secret'] }), base), 'DISCOVERY_ESCAPE', '../secret', '"up"');
  await rejectsWith(discover(section({ name: 'up', kind: 'other', include: ['bin/../../*'] }), base), 'DISCOVERY_ESCAPE');
  await rejectsWith(discover(section({ name: 'abs', kind: 'other', include: [join(base, '*')] }), base), 'DISCOVERY_ESCAPE');
});

test('symlinks: a link out of the root is refused, a link inside is followed, linked directories are not walked', async (t) => {
  const { base, root } = tree(t);
  writeFileSync(join(base, 'outside.txt'), 'not an artifact');
  symlinkSync('../sbom/app.spdx.json', join(root, 'dist', 'sbom-link.json')); // inside the root
  symlinkSync(base, join(root, 'dist', 'up')); // directory link to an ancestor: must not be walked
  const inside = await discover(section({ name: 'd', kind: 'other', include: ['dist/**/*.json'] }), base);
  assert.deepEqual(inside.map((a) => [a.relPath, a.name, a.sha256]), [['dist/sbom-link.json', 'sbom-link.json', sha256('{}')]]);

  symlinkSync('../../outside.txt', join(root, 'dist', 'evil.txt'));
  await rejectsWith(
    discover(section({ name: 'd', kind: 'other', include: ['dist/*.txt'] }), base),
    'DISCOVERY_ESCAPE',
    'dist/evil.txt',
    join(base, 'outside.txt'),
  );
  // A glob that names a linked directory gets through the walk; the resolved path is still checked.
  mkdirSync(join(base, 'elsewhere'));
  writeFileSync(join(base, 'elsewhere', 'secret.key'), 'secret');
  symlinkSync(join(base, 'elsewhere'), join(root, 'linkdir'));
  await rejectsWith(
    discover(section({ name: 'd', kind: 'other', include: ['linkdir/*.key'] }), base),
    'DISCOVERY_ESCAPE',
    'linkdir/secret.key',
    join(base, 'elsewhere', 'secret.key'),
  );
  symlinkSync('/nonexistent/file', join(root, 'dist', 'broken.bin'));
  await rejectsWith(discover(section({ name: 'd', kind: 'other', include: ['dist/*.bin'] }), base), 'DISCOVERY_NO_MATCH', 'broken');
});

test('two artifacts with the same destination name are refused, naming both sources', async (t) => {
  const { base } = tree(t);
  await rejectsWith(
    discover(section({ name: 'bins', kind: 'binary', include: ['bin/linux/*/kubectl'] }), base),
    'DISCOVERY_DUPLICATE',
    '"kubectl"',
    'bin/linux/amd64/kubectl',
    'bin/linux/arm64/kubectl',
  );
  await rejectsWith(
    discover(section({ name: 'a', kind: 'sbom', include: ['sbom/*'] }, { name: 'b', kind: 'other', include: ['sbom/*'] }), base),
    'DISCOVERY_DUPLICATE',
    'set "a"',
    'set "b"',
  );
});

test('a path that does not fit the pattern, a bad rename, and a missing root are plan errors', async (t) => {
  const { base } = tree(t);
  await rejectsWith(
    discover(section({ name: 'bins', kind: 'binary', include: ['bin/**/*'], pattern: 'bin/{os}/{arch}/kubectl' }), base),
    'PLAN_INVALID',
    'bin/linux/amd64/kubectl.debug',
    'bin/{os}/{arch}/kubectl',
  );
  await rejectsWith(
    discover(section({ name: 'bins', kind: 'binary', include: ['bin/**/kubectl'], pattern: 'bin/{os}/{arch}/{file}', rename: '{os}/{file}' }), base),
    'PLAN_INVALID',
    'not a plain file name',
  );
  await rejectsWith(
    discover(section({ name: 'bins', kind: 'binary', include: ['bin/**/kubectl'], rename: '{file}-{variant}' }), base),
    'PLAN_INVALID',
    '{variant}',
  );
  await rejectsWith(discover({ root: 'nope', sets: [] }, base), 'PLAN_INVALID', join(base, 'nope'));
});
