// GoReleaser's dist/ as the artifact list: the artifacts.json and
// metadata.json GoReleaser v2.15.1 wrote (testdata/goreleaser), with the
// files they list laid out in a temp dir.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isOrelError } from '@orel/core';
import { discover, findFiles } from './discover.js';

const FIXTURE = fileURLToPath(new URL('./testdata/goreleaser/', import.meta.url));
const VERSION = '0.0.0-SNAPSHOT-none';
type Entry = { name: string; path: string; type: string; extra?: { Checksum?: string } };

/** A project dir with dist/ as GoReleaser left it: each listed file holds its own name, archives carry the sha256 of that. */
function project(t: TestContext, edit: (entries: Entry[]) => Entry[] = (e) => e): string {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'orel-goreleaser-')));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const entries = edit(JSON.parse(readFileSync(join(FIXTURE, 'artifacts.json'), 'utf8')) as Entry[]);
  for (const e of entries) {
    if (e.type === 'Metadata') continue;
    mkdirSync(dirname(join(dir, e.path)), { recursive: true });
    writeFileSync(join(dir, e.path), e.path);
    if (e.extra?.Checksum) e.extra.Checksum = `sha256:${createHash('sha256').update(e.path).digest('hex')}`;
  }
  writeFileSync(join(dir, 'dist/artifacts.json'), JSON.stringify(entries));
  writeFileSync(join(dir, 'dist/metadata.json'), readFileSync(join(FIXTURE, 'metadata.json')));
  return dir;
}
const section = { root: 'dist', from: 'goreleaser' as const };
const vars = { version: VERSION };

test('archives and binaries with os/arch, named uniquely; GoReleaser checksums, metadata left out', async (t) => {
  const dir = project(t);
  const found = await discover(section, dir, { vars });
  const rows = found.map((a) => `${a.kind} ${a.name} ${a.os}/${a.arch} ${a.set}`).sort();
  assert.deepEqual(rows, [
    'archive hello_0.0.0-SNAPSHOT-none_darwin_amd64.tar.gz darwin/amd64 goreleaser-archives',
    'archive hello_0.0.0-SNAPSHOT-none_darwin_arm64.tar.gz darwin/arm64 goreleaser-archives',
    'archive hello_0.0.0-SNAPSHOT-none_linux_amd64.tar.gz linux/amd64 goreleaser-archives',
    'archive hello_0.0.0-SNAPSHOT-none_linux_arm64.tar.gz linux/arm64 goreleaser-archives',
    'archive hello_0.0.0-SNAPSHOT-none_windows_amd64.zip windows/amd64 goreleaser-archives',
    'archive hello_0.0.0-SNAPSHOT-none_windows_arm64.zip windows/arm64 goreleaser-archives',
    'binary hello-darwin-amd64 darwin/amd64 goreleaser-binaries',
    'binary hello-darwin-arm64 darwin/arm64 goreleaser-binaries',
    'binary hello-linux-amd64 linux/amd64 goreleaser-binaries',
    'binary hello-linux-arm64 linux/arm64 goreleaser-binaries',
    'binary hello-windows-amd64.exe windows/amd64 goreleaser-binaries',
    'binary hello-windows-arm64.exe windows/arm64 goreleaser-binaries',
  ]);
  const linux = found.find((a) => a.name === 'hello-linux-amd64')!;
  assert.equal(linux.relPath, 'hello_linux_amd64_v1/hello');
  assert.equal(linux.sha256, createHash('sha256').update('dist/hello_linux_amd64_v1/hello').digest('hex'));
});

test('refused before anything is read: another version, a file changed since GoReleaser, an unknown type, a path outside dist', async (t) => {
  const refuse = async (dir: string, code: string, re: RegExp, v = vars) => {
    await assert.rejects(discover(section, dir, { vars: v }), (e) => isOrelError(e) && e.code === code && re.test(`${e.message} ${e.hint}`), `${code} ${re}`);
  };
  await refuse(project(t), 'PLAN_INVALID', /metadata\.json: GoReleaser built version "0\.0\.0-SNAPSHOT-none", but the plan releases 1\.2\.0.*--release-version 0\.0\.0-SNAPSHOT-none/, { version: '1.2.0' });

  const changed = project(t);
  writeFileSync(join(changed, 'dist/hello_0.0.0-SNAPSHOT-none_linux_amd64.tar.gz'), 'rewritten');
  await refuse(changed, 'INTEGRITY', /hello_0\.0\.0-SNAPSHOT-none_linux_amd64\.tar\.gz .* changed after the build recorded it/);

  await refuse(project(t, (e) => [...e, { name: 'x.dmg', path: 'dist/x.dmg', type: 'Disk Image' }]), 'PLAN_INVALID', /entry 14 \(x\.dmg\): GoReleaser artifact type "Disk Image" is not one orel knows/);
  const outside = project(t);
  const list = JSON.parse(readFileSync(join(outside, 'dist/artifacts.json'), 'utf8')) as Entry[];
  list[1].path = 'main.go';
  writeFileSync(join(outside, 'dist/artifacts.json'), JSON.stringify(list));
  await refuse(outside, 'DISCOVERY_ESCAPE', /entry 1 \(hello\): main\.go is outside/);
  const none = realpathSync(mkdtempSync(join(tmpdir(), 'orel-goreleaser-')));
  t.after(() => rmSync(none, { recursive: true, force: true }));
  mkdirSync(join(none, 'dist'));
  await refuse(none, 'PLAN_INVALID', /artifacts\.from: goreleaser reads .*metadata\.json.*run goreleaser/);
});

test('findFiles lists the same files without reading them, and plan sets add to them', async (t) => {
  const dir = project(t);
  writeFileSync(join(dir, 'dist/NOTICE'), 'notice');
  const files = await findFiles({ ...section, sets: [{ name: 'notice', kind: 'other', include: ['NOTICE'] }] }, dir, vars);
  assert.equal(files.length, 13);
  assert.equal(files.at(-1)?.name, 'NOTICE');
});
