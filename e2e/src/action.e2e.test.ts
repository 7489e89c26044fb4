// The GitHub Action, run as the runner runs it: action/index.mjs with the
// inputs in INPUT_* and the runner's files (GITHUB_OUTPUT,
// GITHUB_STEP_SUMMARY, RUNNER_TEMP). It releases the quickstart in mock mode
// with the CLI of this checkout; the outputs, the job summary, the step groups
// and a plan error's annotation are what the job page would show. The example
// workflow that uses the action passes actionlint.
import { findGoTool } from '@orel/go-tools';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QUICKSTART, REPO } from './helpers.js';

const ENTRY = join(REPO, 'action/index.mjs');
const CLI = `${process.execPath} ${join(REPO, 'packages/cli/bin/orel.js')}`;

/** Runs the action in `cwd`; the runner's files live in `runner` (the report stays there). */
function runAction(cwd: string, runner: string, inputs: Record<string, string>): Promise<{ status: number; stderr: string; outputs: Map<string, string>; summary: string }> {
  const files = { GITHUB_OUTPUT: join(runner, 'output'), GITHUB_STEP_SUMMARY: join(runner, 'summary.md'), RUNNER_TEMP: runner };
  writeFileSync(files.GITHUB_OUTPUT, '');
  writeFileSync(files.GITHUB_STEP_SUMMARY, '');
  const env: NodeJS.ProcessEnv = { ...process.env, ...files, METADATA_SERVER_DETECTION: 'none', CI: 'true', GITHUB_ACTIONS: 'true' };
  for (const [k, v] of Object.entries(inputs)) env[`INPUT_${k.toUpperCase()}`] = v;
  return new Promise((resolve) => {
    execFile(process.execPath, [ENTRY], { cwd, env, maxBuffer: 64 << 20, timeout: 240_000 }, (err, _stdout, stderr) => {
      // The runner's heredoc form: name<<DELIM \n value \n DELIM.
      const outputs = new Map<string, string>();
      for (const m of readFileSync(files.GITHUB_OUTPUT, 'utf8').matchAll(/^(\w+)<<(\S+)\n([\s\S]*?)\n\2$/gm)) outputs.set(m[1], m[3]);
      resolve({ status: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stderr, outputs, summary: readFileSync(files.GITHUB_STEP_SUMMARY, 'utf8') });
    });
  });
}

test('the action releases the quickstart: outputs, job summary, step groups', async (t) => {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'orel-action-')));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  cpSync(QUICKSTART, join(dir, 'work'), { recursive: true, filter: (src) => !src.includes('/.orel') });
  mkdirSync(join(dir, 'runner'));
  const r = await runAction(join(dir, 'work'), join(dir, 'runner'), { cli: CLI, command: 'release', plan: 'release.yaml', args: '' });
  assert.equal(r.status, 0, r.stderr.slice(-3000));
  assert.equal(r.outputs.get('verified'), 'true');
  const report = JSON.parse(readFileSync(r.outputs.get('report')!, 'utf8')) as { verified: boolean; artifacts: { name: string; sha256: string }[] };
  assert.equal(report.verified, true);
  const names = JSON.parse(r.outputs.get('artifacts')!) as string[];
  assert.ok(names.includes('hello-linux-amd64') && names.includes('SHA256SUMS'), names.join(', '));
  // Each step that ran is a group in the log.
  assert.match(r.stderr, /^::group::release\/promote$/m);
  assert.ok((r.stderr.match(/^::group::/gm) ?? []).length === (r.stderr.match(/^::endgroup::$/gm) ?? []).length, 'groups are closed');
  // The job summary: verdict, each file with its digest, and VERIFY.md.
  assert.match(r.summary, /^## orel: hello 1\.2\.0 \(mock\) — ✅ verified$/m);
  const bin = report.artifacts.find((a) => a.name === 'hello-linux-amd64')!;
  assert.match(r.summary, new RegExp(`^\\| \`hello-linux-amd64\` \\| \\d+ \\| \`${bin.sha256}\` \\| .*hello-linux-amd64\\.sigstore\\.json.* \\| ✅ \\|$`, 'm'));
  assert.match(r.summary, /VERIFY\.md[\s\S]*cosign verify-blob/);
});

test('a plan error is an annotation on its line, and the outputs say not verified', async (t) => {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'orel-action-')));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  cpSync(QUICKSTART, join(dir, 'work'), { recursive: true, filter: (src) => !src.includes('/.orel') });
  mkdirSync(join(dir, 'runner'));
  writeFileSync(join(dir, 'work/broken.yaml'), readFileSync(join(dir, 'work/release.yaml'), 'utf8').replace('    type: keyless', '    type: keyless\n    pasword: x'));
  const r = await runAction(join(dir, 'work'), join(dir, 'runner'), { cli: CLI, command: 'stage', plan: 'broken.yaml' });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /^::error file=[^,]*broken\.yaml,line=\d+,col=\d+,title=orel PLAN_INVALID::signers\.sigstore\.pasword: unknown key "pasword"/m);
  assert.equal(r.outputs.get('verified'), 'false');
});

test('the example workflow that uses the action passes actionlint', (t) => {
  const actionlint = findGoTool('actionlint');
  if (!actionlint) return t.skip('actionlint not installed: go install github.com/rhysd/actionlint/cmd/actionlint@v1.7.12');
  const dir = mkdtempSync(join(tmpdir(), 'orel-actionlint-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, '.github/workflows'), { recursive: true });
  spawnSync('git', ['init', '-q'], { cwd: dir }); // actionlint finds the project by its repository
  // The action from this checkout (uses: ./), so actionlint checks its inputs and outputs too.
  cpSync(join(REPO, 'action.yml'), join(dir, 'action.yml'));
  cpSync(join(REPO, 'action'), join(dir, 'action'), { recursive: true });
  const workflow = readFileSync(join(REPO, 'examples/github-actions/release.yml'), 'utf8').replaceAll('orel-dev/orel@v1', './');
  writeFileSync(join(dir, '.github/workflows/release.yml'), workflow);
  const ok = spawnSync(actionlint, ['-no-color'], { cwd: dir, encoding: 'utf8' });
  assert.equal(ok.status, 0, ok.stdout + ok.stderr);
  // A judge, not a rubber stamp: an input the action does not have is refused.
  writeFileSync(join(dir, '.github/workflows/release.yml'), workflow.replace('command: release', 'comand: release'));
  const bad = spawnSync(actionlint, ['-no-color'], { cwd: dir, encoding: 'utf8' });
  assert.notEqual(bad.status, 0);
  assert.match(bad.stdout, /comand/);
});
