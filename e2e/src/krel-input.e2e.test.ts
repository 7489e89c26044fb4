// krel's staged layout as orel's input (`artifacts.from: krel`): a copy of
// gs://<bucket>/stage/<build-version>/ as kubernetes/release pkg/anago lays it
// out, its SHA256SUMS written by sha256sum (krel itself needs a Kubernetes
// build, which cannot run here). orel releases the plan version's files with
// no artifact list, sha256sum accepts orel's SHA256SUMS, the digests are
// krel's, and a file changed since krel staged it is refused before any write.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { errorLines, orel, workspace } from './helpers.js';

const FILES = ['kubernetes.tar.gz', 'kubernetes-client-linux-amd64.tar.gz', 'bin/linux/amd64/kubectl', 'bin/linux/arm64/kubectl', 'bin/darwin/arm64/kubectl'];

function krelStage(root: string, version: string): string {
  const dir = join(root, version, 'gcs-stage', version);
  for (const f of FILES) {
    mkdirSync(dirname(join(dir, f)), { recursive: true });
    writeFileSync(join(dir, f), `${version} ${f}\n`.repeat(100));
  }
  const sums = execFileSync('sh', ['-c', "find . -type f | sed 's|^\\./||' | sort | xargs sha256sum"], { cwd: dir, encoding: 'utf8' });
  writeFileSync(join(dir, 'SHA256SUMS'), sums);
  return sums;
}

describe('a krel stage released by orel', () => {
  test('no artifact list: the staged files are released and verified with krel\'s digests; a changed file is refused first', async (t) => {
    const ws = workspace(t);
    const krelSums = krelStage(join(ws.dir, 'stage'), 'v1.2.0');
    const plan = ws.variant('krel.yaml', (y) => {
      const artifacts = y.slice(y.indexOf('artifacts:\n'), y.indexOf('checksums:\n'));
      return y.replace(artifacts, 'artifacts:\n  root: stage\n  from: krel\n\n').replace('  sboms: true\n', '');
    });
    const r = await orel(['release', '--plan', plan, '--sandbox', ws.sandbox, '--json'], { cwd: ws.dir });
    assert.equal(r.status, 0, errorLines(r.stderr) || r.stderr.slice(-2000));
    assert.equal(r.json().verified, true);
    const dir = join(ws.sandbox, 'targets/release/release/v1.2.0');
    for (const name of ['kubernetes.tar.gz', 'kubectl-linux-amd64', 'kubectl-darwin-arm64', 'kubectl-linux-arm64.sigstore.json']) assert.ok(existsSync(join(dir, name)), name);
    assert.match(execFileSync('sha256sum', ['-c', 'SHA256SUMS'], { cwd: dir, encoding: 'utf8' }), /kubectl-linux-amd64: OK/);
    // orel's digests are krel's, file by file.
    const ours = new Map(readFileSync(join(dir, 'SHA256SUMS'), 'utf8').trim().split('\n').map((l) => [l.slice(66), l.slice(0, 64)] as const));
    for (const line of krelSums.trim().split('\n')) {
      const [hex, path] = [line.slice(0, 64), line.slice(66)];
      const name = path.startsWith('bin/') ? `kubectl-${path.split('/')[1]}-${path.split('/')[2]}` : path;
      assert.equal(ours.get(name), hex, name);
    }

    appendFileSync(join(ws.dir, 'stage/v1.2.0/gcs-stage/v1.2.0/bin/linux/amd64/kubectl'), 'tampered');
    const refused = await orel(['stage', '--plan', plan, '--sandbox', join(ws.dir, 'other-sandbox'), '--build-id', 'again'], { cwd: ws.dir });
    assert.notEqual(refused.status, 0);
    assert.match(refused.stderr, /kubectl-linux-amd64\) changed after the build recorded it/);
    assert.equal(existsSync(join(ws.dir, 'other-sandbox/targets')), false, 'nothing published');
  });
});
