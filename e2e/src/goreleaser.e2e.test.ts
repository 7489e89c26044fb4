// GoReleaser as the build: the real GoReleaser (v2, built from the Go module
// proxy by .ci/run) builds a one-file Go program for four platforms
// (--snapshot --skip=publish), and orel releases its dist/ from
// artifacts.json alone (`artifacts.from: goreleaser`, no artifact list in the
// plan): keyless in mock mode, verified, and every VERIFY.md line passes with
// the tool it names. A dist/ changed after GoReleaser wrote it is refused
// before anything is written.
import { findGoTool } from '@orel/go-tools';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { errorLines, orel, QUICKSTART } from './helpers.js';
import { notesSkip, runVerifyNotes } from './notes-runner.js';

export const GORELEASER_INSTALL = 'go install github.com/goreleaser/goreleaser/v2@v2.15.1 (.ci/run does)';

const bin = findGoTool('goreleaser');
const skip = bin ? notesSkip : `goreleaser not installed: ${GORELEASER_INSTALL}`;

const CONFIG = `version: 2
project_name: hello
builds:
  - env: [CGO_ENABLED=0]
    goos: [linux, darwin]
    goarch: [amd64, arm64]
archives:
  - formats: [tar.gz]
checksum:
  name_template: checksums.txt
snapshot:
  version_template: "1.4.0"
changelog:
  disable: true
`;

/** The keyless quickstart plan with GoReleaser's dist/ as the artifacts: no sets. */
function plan(): string {
  const quickstart = readFileSync(join(QUICKSTART, 'release.yaml'), 'utf8');
  const artifacts = quickstart.slice(quickstart.indexOf('artifacts:\n'), quickstart.indexOf('checksums:\n'));
  const out = quickstart.replace(artifacts, 'artifacts:\n  root: dist\n  from: goreleaser\n\n').replace('version: 1.2.0', 'version: 1.4.0').replace('  sboms: true\n', '');
  assert.ok(!out.includes('sets:') && out.includes('from: goreleaser'));
  return out;
}

describe('a GoReleaser dist/ released by orel', { skip }, () => {
  test('GoReleaser builds four platforms; orel stages and releases its archives and binaries from artifacts.json, verifies, and VERIFY.md passes verbatim; a changed dist/ is refused first', async (t) => {
    const tmp = realpathSync(mkdtempSync(join(tmpdir(), 'orel-goreleaser-')));
    t.after(() => rmSync(tmp, { recursive: true, force: true }));
    const dir = join(tmp, 'hello');
    mkdirSync(dir);
    writeFileSync(join(dir, 'go.mod'), 'module example.com/hello\n\ngo 1.22\n');
    writeFileSync(join(dir, 'main.go'), 'package main\n\nimport "fmt"\n\nfunc main() { fmt.Println("hello") }\n');
    writeFileSync(join(dir, '.goreleaser.yaml'), CONFIG);
    writeFileSync(join(dir, 'release.yaml'), plan());
    const git = (...args: string[]) => execFileSync('git', ['-c', 'user.email=ci@example.org', '-c', 'user.name=ci', ...args], { cwd: dir });
    git('init', '-q');
    git('add', '-A');
    git('commit', '-qm', 'hello');
    t.diagnostic(execFileSync(bin!, ['--version'], { encoding: 'utf8' }).split('\n').find((l) => /GitVersion/.test(l)) ?? '');
    const built = spawnSync(bin!, ['release', '--snapshot', '--clean', '--skip=publish'], {
      cwd: dir,
      encoding: 'utf8',
      timeout: 300_000,
      // Nothing leaves the machine: the program has no dependencies, the toolchain is the local one.
      env: { ...process.env, GOPROXY: 'off', GOTOOLCHAIN: 'local', GOFLAGS: '' },
    });
    assert.equal(built.status, 0, `goreleaser:\n${built.stdout}${built.stderr}`);

    // A copy whose archive was rewritten after GoReleaser recorded it: refused at discovery, nothing written.
    const changed = join(tmp, 'changed');
    cpSync(dir, changed, { recursive: true, filter: (p) => !p.includes('/.git') });
    writeFileSync(join(changed, 'dist/hello_1.4.0_linux_amd64.tar.gz'), 'not what GoReleaser built');
    const refused = await orel(['stage', '--plan', join(changed, 'release.yaml'), '--sandbox', join(changed, 'sandbox')], { cwd: changed });
    assert.notEqual(refused.status, 0);
    assert.match(refused.stderr, /hello_1\.4\.0_linux_amd64\.tar\.gz .*changed after the build recorded it/);
    assert.equal(existsSync(join(changed, 'sandbox/targets')), false, 'nothing published');

    const sandbox = join(dir, 'sandbox');
    const r = await orel(['release', '--plan', join(dir, 'release.yaml'), '--sandbox', sandbox, '--json'], { cwd: dir });
    assert.equal(r.status, 0, errorLines(r.stderr) || r.stderr.slice(-2000));
    const report = r.json() as { verified: boolean; artifacts: { name: string; kind: string; sha256: string }[] };
    assert.equal(report.verified, true);
    const released = report.artifacts.filter((a) => a.kind === 'archive' || a.kind === 'binary').map((a) => a.name).sort();
    assert.deepEqual(released, [
      'hello-darwin-amd64',
      'hello-darwin-arm64',
      'hello-linux-amd64',
      'hello-linux-arm64',
      'hello_1.4.0_darwin_amd64.tar.gz',
      'hello_1.4.0_darwin_arm64.tar.gz',
      'hello_1.4.0_linux_amd64.tar.gz',
      'hello_1.4.0_linux_arm64.tar.gz',
    ]);
    // orel's digests are GoReleaser's.
    const theirs = readFileSync(join(dir, 'dist/checksums.txt'), 'utf8');
    for (const a of report.artifacts.filter((x) => x.kind === 'archive')) assert.ok(theirs.includes(`${a.sha256}  ${a.name}`), a.name);
    await runVerifyNotes(t, join(sandbox, 'targets/release/release/v1.4.0'));
  });
});
