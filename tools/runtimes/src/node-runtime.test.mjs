import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { RUNTIMES, nodeRuntime, runtimeEnv } from './node-runtime.mjs';

test('a cached runtime is used as it is: nothing fetched, nothing logged', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'orel-runtimes-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const home = join(dir, `node-v${RUNTIMES[24]}-linux-x64`);
  mkdirSync(join(home, 'bin'), { recursive: true });
  writeFileSync(join(home, 'bin/node'), '');
  const logged = [];
  const rt = nodeRuntime(24, { dir, log: (m) => logged.push(m) });
  assert.deepEqual(rt, { version: RUNTIMES[24], home, bin: join(home, 'bin'), node: join(home, 'bin/node') });
  assert.deepEqual(logged, []);
});

test('an unpinned major is refused, naming the pinned ones', () => {
  assert.throws(() => nodeRuntime(19, { dir: tmpdir() }), /no pinned Node\.js 19: pinned are 22, 24/);
});

test('the runtime environment puts its bin first on PATH and its headers in npm_config_nodedir', () => {
  const env = runtimeEnv({ bin: '/rt/bin', home: '/rt' }, { PATH: '/usr/bin', KEEP: '1' });
  assert.equal(env.PATH, `/rt/bin${delimiter}/usr/bin`);
  assert.equal(env.npm_config_nodedir, '/rt');
  assert.equal(env.KEEP, '1');
});
