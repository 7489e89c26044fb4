import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VERSION, main } from './main.js';
import { capture } from './__fixtures__/capture.js';

test('--version prints the version and exits 0', async (t) => {
  const { out } = capture(t);
  assert.equal(await main(['node', 'orel', '--version']), 0);
  assert.equal(out.join('').trim(), VERSION);
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
