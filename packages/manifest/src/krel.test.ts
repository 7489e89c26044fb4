// krel's staged build as the artifact list: a stage/<build-version>/ laid out
// as kubernetes/release pkg/anago stages it (gcs-stage/<version>/ with
// bin/<os>/<arch>/, tarballs, SPDX, and SHA256SUMS / SHA512SUMS / <file>.sha256
// written by sha256sum as krel's WriteChecksums writes them), in a temp dir.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { isOrelError } from '@orel/core';
import { discover } from './discover.js';

const STAGED = [
  'kubernetes.tar.gz',
  'kubernetes-client-linux-amd64.tar.gz',
  'kubernetes-server-linux-amd64.tar.gz',
  'kubernetes-release.spdx',
  'bin/linux/amd64/kubectl',
  'bin/linux/amd64/kube-apiserver',
  'bin/linux/amd64/kube-apiserver.tar',
  'bin/linux/arm64/kubectl',
  'bin/windows/amd64/kubectl.exe',
];

/** stage/<build-version>/ for v1.31.0 (and v1.32.0-alpha.0, as a branch cut stages two). */
function krelStage(t: TestContext): { root: string; gcsStage: string } {
  const root = realpathSync(mkdtempSync(join(tmpdir(), 'orel-krel-')));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  for (const version of ['v1.31.0', 'v1.32.0-alpha.0']) {
    const dir = join(root, version, 'gcs-stage', version);
    for (const f of STAGED) {
      mkdirSync(dirname(join(dir, f)), { recursive: true });
      writeFileSync(join(dir, f), `${version} ${f}\n`);
    }
    const sums = (alg: string) => execFileSync('sh', ['-c', `find . -type f | sed 's|^\\./||' | sort | xargs ${alg}sum`], { cwd: dir, encoding: 'utf8' });
    const s256 = sums('sha256');
    const s512 = sums('sha512');
    writeFileSync(join(dir, 'SHA256SUMS'), s256);
    writeFileSync(join(dir, 'SHA512SUMS'), s512);
    for (const line of s256.trim().split('\n')) writeFileSync(join(dir, `${line.slice(66)}.sha256`), line.slice(0, 64));
    mkdirSync(join(root, version, 'release-images', 'amd64'), { recursive: true });
    writeFileSync(join(root, version, 'release-images', 'amd64', 'kube-apiserver.tar'), 'image');
  }
  writeFileSync(join(root, 'src.tar.gz'), 'sources');
  return { root, gcsStage: join(root, 'v1.31.0', 'gcs-stage', 'v1.31.0') };
}

const section = (root: string) => ({ root, from: 'krel' as const });

test('the plan version\'s gcs-stage: tarballs, platform binaries named uniquely, SPDX (tag-value: a plain file), sources; krel\'s checksums and images left out', async (t) => {
  const { root } = krelStage(t);
  const found = await discover(section(root), '/', { vars: { version: '1.31.0' } });
  assert.deepEqual(found.map((a) => `${a.kind} ${a.name} ${a.os ?? '-'}/${a.arch ?? '-'}`).sort(), [
    'archive kubernetes-client-linux-amd64.tar.gz -/-',
    'archive kubernetes-server-linux-amd64.tar.gz -/-',
    'archive kubernetes.tar.gz -/-',
    'archive src.tar.gz -/-',
    'binary kube-apiserver-linux-amd64 linux/amd64',
    'binary kubectl-linux-amd64 linux/amd64',
    'binary kubectl-linux-arm64 linux/arm64',
    'binary kubectl-windows-amd64.exe windows/amd64',
    'other kube-apiserver-linux-amd64.tar linux/amd64',
    'other kubernetes-release.spdx -/-',
  ]);
  assert.ok(found.every((a) => !a.relPath?.includes('v1.32.0')), 'only the plan\'s version');
});

test('another version, a file changed or added since krel staged it, and a missing one are refused', async (t) => {
  const { root, gcsStage } = krelStage(t);
  const refused = async (version: string, code: string, re: RegExp) =>
    assert.rejects(discover(section(root), '/', { vars: { version } }), (e) => isOrelError(e, code as never) && re.test(e.message));
  await refused('1.30.0', 'PLAN_INVALID', /holds no krel stage of v1\.30\.0 \(it stages v1\.31\.0, v1\.32\.0-alpha\.0\)/);
  appendFileSync(join(gcsStage, 'bin/linux/amd64/kubectl'), 'tampered');
  await refused('1.31.0', 'INTEGRITY', /bin\/linux\/amd64\/kubectl \(kubectl-linux-amd64\) changed after the build recorded it/);
  const again = krelStage(t);
  writeFileSync(join(again.gcsStage, 'extra.txt'), 'x');
  await assert.rejects(discover(section(again.root), '/', { vars: { version: '1.31.0' } }), (e) => isOrelError(e, 'INTEGRITY') && /extra\.txt is not in krel's/.test(e.message));
  const third = krelStage(t);
  rmSync(join(third.gcsStage, 'kubernetes.tar.gz'));
  await assert.rejects(discover(section(third.root), '/', { vars: { version: '1.31.0' } }), (e) => isOrelError(e, 'INTEGRITY') && /lists kubernetes\.tar\.gz, which is missing/.test(e.message));
});
