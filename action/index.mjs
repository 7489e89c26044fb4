// The GitHub Action's entry point (action.yml): runs one orel command with
// --json, streams its log (orel groups steps and annotates errors itself on
// GitHub Actions), writes the report to a file and the outputs to
// $GITHUB_OUTPUT. No dependencies: it runs before anything is installed.
import { spawn } from 'node:child_process';
import { appendFileSync, writeFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { tmpdir } from 'node:os';

/** An input as the runner passes it: INPUT_<NAME>, upper case, spaces as underscores. */
const input = (name) => (process.env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] ?? '').trim();
const words = (s) => s.split(/\s+/).filter(Boolean);

/** Appends name=value to $GITHUB_OUTPUT (heredoc form, safe for any value). */
function setOutput(name, value) {
  const file = process.env.GITHUB_OUTPUT;
  if (!file) return;
  const delimiter = `orel_${randomUUID()}`;
  appendFileSync(file, `${name}<<${delimiter}\n${value}\n${delimiter}\n`);
}

const cli = words(input('cli') || `npx --yes orel@${input('version') || 'latest'}`);
const args = [...words(input('command') || 'release'), '--plan', input('plan') || 'release.yaml', '--json', ...words(input('args'))];
process.stderr.write(`orel action: ${[...cli, ...args].join(' ')}\n`);

const child = spawn(cli[0], [...cli.slice(1), ...args], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, GITHUB_ACTIONS: 'true' } });
const out = [];
child.stdout.on('data', (d) => out.push(d));
child.on('error', (e) => {
  process.stderr.write(`::error title=orel action::cannot run ${cli[0]}: ${e.message}\n`);
  process.exit(1);
});
child.on('close', (code) => {
  const text = Buffer.concat(out).toString('utf8');
  let report;
  try {
    report = JSON.parse(text);
  } catch {
    report = undefined;
  }
  const file = join(process.env.RUNNER_TEMP || tmpdir(), `orel-report-${process.pid}.json`);
  writeFileSync(file, report ? JSON.stringify(report, null, 2) + '\n' : text);
  setOutput('report', file);
  setOutput('verified', String(report?.verified === true));
  const released = (report?.artifacts ?? []).map((a) => a.name);
  setOutput('artifacts', JSON.stringify(released));
  process.exitCode = code ?? 1;
});
