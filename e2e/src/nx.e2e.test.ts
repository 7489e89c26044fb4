// The Nx executors in a fixture Nx workspace: a project whose project.json
// configures @orel/nx:release with its plan; `nx run hello:release` releases
// it (mock mode) and `nx run hello:verify` verifies it; a failing release
// fails the Nx target.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QUICKSTART, REPO } from './helpers.js';

/** `nx ARGS` in the fixture; the quickstart key's password in the environment, as CI would set it. */
function nx(cwd: string, ...args: string[]): Promise<{ status: number; out: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(cwd, 'node_modules/nx/bin/nx.js'), ...args],
      { cwd, maxBuffer: 64 << 20, timeout: 240_000, env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false', NX_SKIP_NX_CACHE: 'true', METADATA_SERVER_DETECTION: 'none', CI: '1', COSIGN_PASSWORD: 'quickstart' } },
      (err, stdout, stderr) => resolve({ status: err ? (typeof err.code === 'number' ? err.code : 1) : 0, out: stdout + stderr }),
    );
  });
}

test('nx run <project>:release and :verify run orel with the plan from project.json', async (t) => {
  const ws = realpathSync(mkdtempSync(join(tmpdir(), 'orel-nx-')));
  t.after(() => rmSync(ws, { recursive: true, force: true }));
  writeFileSync(join(ws, 'package.json'), JSON.stringify({ name: 'fixture', private: true }));
  writeFileSync(join(ws, 'nx.json'), JSON.stringify({ useDaemonProcess: false }));
  // The workspace's dependencies, as npm would link them: nx, the executors, orel.
  mkdirSync(join(ws, 'node_modules/@orel'), { recursive: true });
  symlinkSync(join(REPO, 'node_modules/nx'), join(ws, 'node_modules/nx'));
  symlinkSync(join(REPO, 'packages/nx'), join(ws, 'node_modules/@orel/nx'));
  symlinkSync(join(REPO, 'packages/cli'), join(ws, 'node_modules/@orel/cli'));
  cpSync(QUICKSTART, join(ws, 'apps/hello'), { recursive: true, filter: (src) => !src.includes('/.orel') });
  const target = (command: string, options: Record<string, unknown> = {}) => ({ executor: `@orel/nx:${command}`, options: { plan: 'release-key.yaml', ...options } });
  writeFileSync(
    join(ws, 'apps/hello/project.json'),
    JSON.stringify({ name: 'hello', root: 'apps/hello', targets: { release: target('release'), verify: target('verify', { json: true }), broken: target('release', { plan: 'missing.yaml' }) } }),
  );

  const released = await nx(ws, 'run', 'hello:release');
  assert.equal(released.status, 0, released.out.slice(-3000));
  assert.match(released.out, /hello 1\.2\.0 \(mock\): \d+ files in the sandbox .*apps\/hello\/\.orel\/sandbox; every artifact verified/);
  const verified = await nx(ws, 'run', 'hello:verify');
  assert.equal(verified.status, 0, verified.out.slice(-3000));
  assert.match(verified.out, /"verified": true/);
  const broken = await nx(ws, 'run', 'hello:broken');
  assert.notEqual(broken.status, 0, 'a failing orel command fails the Nx target');
  assert.match(broken.out, /cannot read plan .*missing\.yaml/);
});
