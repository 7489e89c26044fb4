import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VERSION, main } from './main.js';
import { EXAMPLES, SIGSTORE_LIBRARIES } from './help.js';
import { capture } from './__fixtures__/capture.js';

test('--version prints the version and the Sigstore libraries it signs and verifies with, and exits 0', async (t) => {
  const { out } = capture(t);
  assert.equal(await main(['node', 'orel', '--version']), 0);
  const lines = out.join('').trim().split('\n');
  assert.equal(lines[0], `orel ${VERSION} (Node.js ${process.versions.node})`);
  for (const lib of SIGSTORE_LIBRARIES) assert.ok(lines.some((l) => new RegExp(`^${lib} \\d+\\.\\d+\\.\\d+$`).test(l)), `${lib} in ${lines.join(' | ')}`);
});

test('every command\'s --help shows the global options, examples and the exit statuses', async (t) => {
  const { out } = capture(t);
  const commands = ['plan', 'plan validate', 'plan show', 'plan schema', 'stage', 'merge', 'release', 'verify', 'status', 'verify-blob', 'verify-image', 'ci', 'report', 'policy'];
  assert.deepEqual([...commands].sort(), Object.keys(EXAMPLES).sort(), 'every command has examples, and the list here is complete');
  for (const c of commands) {
    out.length = 0;
    assert.equal(await main(['node', 'orel', ...c.split(' '), '--help']), 0, c);
    const help = out.join('');
    assert.match(help, new RegExp(`^Usage: orel ${c} `, 'm'), c);
    assert.match(help, /^Global Options:\n(.*\n)*\s+--nomock/m, `${c}: global options`);
    assert.match(help, /^Examples:\n {2}orel /m, `${c}: examples`);
    assert.match(help, /^Exit status: 0 success; 2 bad plan or usage/m, `${c}: exit statuses`);
  }
});

test('an unknown command or option is a usage error (exit 2)', async (t) => {
  const { err } = capture(t);
  assert.equal(await main(['node', 'orel', 'relase']), 2);
  assert.match(err.join(''), /unknown command 'relase'/);
  assert.equal(await main(['node', 'orel', 'release', '--no-such-flag']), 2);
});

test('a plan file that does not exist: error[USAGE] naming it, exit 2', async (t) => {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'orel-cli-')));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const { err } = capture(t);
  const plan = join(dir, 'nope.yaml');
  assert.equal(await main(['node', 'orel', 'plan', 'validate', '--plan', plan]), 2);
  assert.match(err.join(''), /^error\[USAGE\]: cannot read plan .*nope\.yaml/m);
});
